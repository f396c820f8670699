#!/bin/bash
# adopt.sh - adoption at load (issue 3): a program started under the library
# takes every TCP socket it inherited under management.  fd_launch (no
# library: an inetd / systemd Accept=yes stand-in) accepts the connection,
# puts it on fd 0/1 and execs fd_service under the library.  The service
# writes 5 MB to fd 1 and never closes it: exit 0 must deliver every byte
# and a FIN; exit 1, a crash or kill -9 from outside must give RST (control:
# ABORTCLOSE=off gives FIN).  Also socket activation (LISTEN_FDS): an
# inherited listener's connections are armed.
# Ports 24600-24649.
. "$(dirname "$0")/lib-fd.sh"
need_lib "$AC_BIN/fd_launch" "$AC_BIN/fd_service"
need_tool tcpdump

MB5=5242880
LAUNCH="$AC_BIN/fd_launch"
SVC="$AC_BIN/fd_service"

# adopt_case NAME EXPECT PORT LIBMODE END [LAUNCH_OPTS...]
adopt_case() {
	local name=$1 expect=$2 port=$3 mode=$4 end=$5 pidfile="$AC_TMP/$1.pid"
	shift 5
	local -a envargs
	mapfile -t envargs < <(fd_lib_env "$mode")
	[ "$end" = pause ] && FD_KILL_PIDFILE=$pidfile
	fd_case "$name" "$expect" "$port" $MB5 nolib "$LAUNCH" --port "$port" "$@" -- \
		env "${envargs[@]}" "$SVC" $MB5 "$end" "$pidfile"
	FD_KILL_PIDFILE=""
	[ ! -s "$pidfile.err" ] || fail "$name" "service: $(cat "$pidfile.err")"
}

p=24600
# The connection on fd 0 and fd 1 (systemd Accept=yes, socat EXEC).
adopt_case fd01-exit0 fin $p on exit0
adopt_case fd01-return0 fin $((p + 1)) on return0
adopt_case fd01-stdio-exit0 fin $((p + 2)) on stdio-exit0
adopt_case fd01-exit1-on rst $((p + 3)) on exit1
adopt_case fd01-exit1-off fin $((p + 4)) off exit1
adopt_case fd01-crash-on rst $((p + 5)) on kill
adopt_case fd01-crash-off fin $((p + 6)) off kill
adopt_case fd01-kill9-from-outside-on rst $((p + 7)) on pause
adopt_case fd01-kill9-from-outside-off fin $((p + 8)) off pause
# On fd 0, 1 and 2 (inetd).
p=24610
adopt_case fd012-exit0 fin $p on exit0 --stderr
adopt_case fd012-exit1-on rst $((p + 1)) on exit1 --stderr
adopt_case fd012-exit1-off fin $((p + 2)) off exit1 --stderr
adopt_case fd012-kill9-from-outside-on rst $((p + 3)) on pause --stderr
adopt_case fd012-kill9-from-outside-off fin $((p + 4)) off pause --stderr
# Closing one of the inherited fds (fd 1) is not the end of the connection:
# fd 0 (and 2) still hold the socket, so a crash afterwards must give RST.
adopt_case fd01-close-fd1-then-crash-on rst $((p + 5)) on close1-kill
adopt_case fd01-close-fd1-then-crash-off fin $((p + 6)) off close1-kill
adopt_case fd012-close-fd1-then-crash-on rst $((p + 7)) on close1-kill --stderr
# Socket activation: an inherited listener (LISTEN_FDS=1, fd 3).
p=24620
adopt_case listener-exit0 fin $p on exit0 --listener
adopt_case listener-crash-on rst $((p + 1)) on kill --listener
adopt_case listener-crash-off fin $((p + 2)) off kill --listener
adopt_case listener-kill9-from-outside-on rst $((p + 3)) on pause --listener
ac_finish
