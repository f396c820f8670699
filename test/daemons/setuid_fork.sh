#!/bin/bash
# Issue 10: a server started as root that setuid()s after arming, then forks a
# child that closes its copy of a live connection and execs (the Apache
# prefork + mod_cgi and HAProxy external-check pattern, reduced to its steps
# by test/progs/dmn_setuid.c).  After setuid the parent is non-dumpable: its
# child cannot read /proc/PARENT/fd (EACCES), so "does my parent still hold
# it?" cannot be answered from /proc.
#   kill-*          the child closed its copy and exec'd (/bin/true: gone;
#                   /bin/sleep: still alive, like a CGI), then the parent
#                   (the last holder) is SIGKILLed -> RST;
#                   with ABORTCLOSE=off -> FIN (the case discriminates)
#   control-*       the same steps without the setuid (root all along,
#                   /proc answers): RST today already; proves the setup
#   parent-first-*  the parent closes first, then the child (the last
#                   holder) closes and execs, with data still queued (slow
#                   reader) -> every byte and FIN, no RST
# Ports 22260-22279.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-daemons.sh"
# Its processes run as uid 65534 and exec programs that load the library:
# they run from a world-readable copy (the checkout may be under a mode-700
# directory).
ac_use_public_tree
need_lib "$AC_BIN/dmn_setuid"
need_tool tcpdump
dmn_need_root

port=22260
# name               mode          exec  drop expect bytes   slow env
while read -r name mode exec drop expect bytes slow env; do
	case $name in '' | '#'*) continue ;; esac
	CASE_VICTIM_CMD=("$AC_BIN/dmn_setuid" --port "$port" --bytes "$bytes" --mode "$mode" --exec "$exec"
		--drop "$drop")
	CASE_ENV=()
	[ "$env" = - ] || CASE_ENV=("$env")
	CASE_PEER_OPTS=()
	[ "$slow" = 0 ] || CASE_PEER_OPTS=(--slow "$slow")
	if [ "$mode" = kill ]; then
		CASE_WANT_STATUS=137
		run_tcp_case "setuid-fork-$name" server 4 "$port" "$bytes" external "$expect"
	else
		CASE_WANT_STATUS=0
		run_tcp_case "setuid-fork-$name" server 4 "$port" "$bytes" close "$expect"
	fi
	# A /bin/sleep child outlives the parent: end it (its pid is in the
	# victim's output; it is ours, in this script's process group).
	child=$(sed -n 's/^CHILD //p' "$AC_TMP/setuid-fork-$name/victim.out" 2>/dev/null)
	if [ "$exec" = sleep ] && [ -n "$child" ]; then
		kill -KILL "$child" 2>/dev/null
	fi
	port=$((port + 1))
done <<'TABLE'
kill-true            kill          true  yes  rst    262144  0    -
kill-true-off        kill          true  yes  fin    262144  0    ABORTCLOSE=off
kill-sleep           kill          sleep yes  rst    262144  0    -
kill-sleep-off       kill          sleep yes  fin    262144  0    ABORTCLOSE=off
control-kill-true    kill          true  no   rst    262144  0    -
parent-first-true    parent-first  true  yes  fin    4194304 2000 -
parent-first-sleep   parent-first  sleep yes  fin    4194304 2000 -
TABLE
CASE_WANT_STATUS=""
ac_finish
