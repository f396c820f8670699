#!/bin/bash
# kernel_copies.sh - the kernel behaviour keepalive.c relies on, measured
# without the library (test/progs/ka_probe.c): SO_KEEPALIVE, TCP_KEEPIDLE,
# TCP_KEEPINTVL, TCP_KEEPCNT, TCP_USER_TIMEOUT (and SO_LINGER) set on a
# listener before listen(), or after listen() but before the handshake,
# are in the accepted socket, with its keepalive timer running; set after
# the handshake completed, they are not.  If a kernel stops copying them,
# this fails and accept() would need its own system calls.  Loopback only.
. "$(dirname "$0")/../lib.sh"
need_lib "$AC_BIN/ka_probe"
need_tool ss

fifo="$AC_TMP/hold"
mkfifo "$fifo"
exec 3<>"$fifo"
ac_bg pid "$AC_TMP/probe.out" "$AC_TMP/probe.err" bash -c "exec '$AC_BIN/ka_probe' 22850 <'$fifo'"
wait_for_line "$AC_TMP/probe.out" HOLDING 10 "$pid" >/dev/null || { fail probe "$(cat "$AC_TMP/probe.err")"; ac_finish; }
timer() { ss -Htnoi state established "( sport = :$1 )" | grep -o 'timer:(keepalive' || echo none; }
copied='^ka=1 idle=11 intvl=3 cnt=4 uto=1234 linger=1,0$'
# (the idle/intvl/cnt defaults are the namespace's sysctls)
default='^ka=0 idle=[0-9]+ intvl=[0-9]+ cnt=[0-9]+ uto=0 linger=0,0$'
check() { # MOMENT PORT WANT-ERE WANT-TIMER
	local got
	got=$(grep "^$1 " "$AC_TMP/probe.out" | cut -d' ' -f2-)
	if [[ $got =~ $3 ]] && [ "$(timer "$2")" = "$4" ]; then
		pass "$1 ($got, timer: $4)"
	else
		fail "$1" "got '$got' timer $(timer "$2"), want /$3/ timer $4"
	fi
}
check before-listen 22850 "$copied" "timer:(keepalive"
check after-listen 22851 "$copied" "timer:(keepalive"
check after-handshake 22852 "$default" none
exec 3>&-
ac_wait "$pid" 10
ac_finish
