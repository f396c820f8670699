#!/bin/bash
# interposer.sh - another preloaded library that wraps setsockopt (as cwrap's
# socket_wrapper does) keeps seeing the library's own SO_LINGER calls.  The
# library calls the setsockopt system call itself only when the next
# setsockopt is libc's (shim/real.c: it saves a forked child a page fault);
# with another library in between, it must go through that one, or that
# library's view of its sockets goes wrong.
#   LD_PRELOAD="libabortclose.so setsockopt_counter.so": the counter is
#   next; a graceful close (every byte + FIN) and a crash (RST) must both
#   work, and the counter must have seen the arming {1,0} and, for the
#   graceful close, the disarming {0,0}.
# Ports 24470-24479.
. "$(dirname "$0")/lib-fd.sh"
need_lib "$FD_SERVER"
need_tool tcpdump
COUNTER="$AC_BIN/setsockopt_counter.so"
[ -f "$COUNTER" ] || { fail setup "$COUNTER not built"; ac_finish; }

B=1048576
# counted NAME EXPECT PORT END: the case with the counter after the library.
counted() {
	local name=$1 expect=$2 port=$3 end=$4 log="$AC_TMP/$1.linger"
	: >"$log"
	FD_CASE_ENV=("LD_PRELOAD=$(ac_preload) $COUNTER" "SETSOCKOPT_COUNTER_LOG=$log")
	fd_server_case "$name" "$expect" "$port" $B on --case fork-child-first --end "$end"
	FD_CASE_ENV=()
	local arm disarm
	arm=$(grep -c '^linger 1 0$' "$log")
	disarm=$(grep -c '^linger 0 0$' "$log")
	if [ "$arm" -lt 1 ]; then
		fail "$name-seen-by-next-library" "no arming {1,0} reached the next setsockopt ($(tr '\n' ' ' <"$log"))"
	elif [ "$end" = close ] && [ "$disarm" -lt 1 ]; then
		fail "$name-seen-by-next-library" "no disarming {0,0} reached the next setsockopt ($(tr '\n' ' ' <"$log"))"
	else
		pass "$name-seen-by-next-library" "arm=$arm disarm=$disarm through $COUNTER"
	fi
}
counted graceful-close-through-interposer fin 24470 close
counted crash-through-interposer rst 24471 kill
ac_finish
