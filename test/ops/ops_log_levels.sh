#!/bin/bash
# ABORTCLOSE_LOG_LEVEL (issue 4, levels as in the core issue): the per-socket
# decision lines are debug lines; at info, warn (the default) and error none
# of them is written.  Each case: a server with two connections, one closed
# (disarmed:close) and one left open at exit(1) (left-armed:exit-status-1),
# logging to a file.  The library works the same at every level: the first
# peer gets EOF and the second a reset.  With ABORTCLOSE_STATS=1 the stats
# line is written whatever the level (it was asked for explicitly).
# Ports 25490-25519.
. "$(dirname "$0")/lib-ops.bash"
need_ops

port=25490
for level in debug info warn error default; do
	name=level-$level log="$AC_TMP/$level.log"
	OPS_ENV=(ABORTCLOSE_LOG="file:$log")
	[ "$level" = default ] || OPS_ENV+=(ABORTCLOSE_LOG_LEVEL="$level")
	ops_case "$name" server "$port" 2 --bytes 4096 --keep 1 --end exit1
	OPS_ENV=()
	port=$((port + 1))
	[ -z "$OPS_WHY" ] || { fail "$name" "$OPS_WHY"; continue; }
	if [ "$level" = debug ]; then
		ops_want "$log" "$(ops_log_re "$OPS_VPID" 'disarmed:close')" 1 "disarmed:close"
		ops_want "$log" "$(ops_log_re "$OPS_VPID" 'left-armed:exit-status-1')" 1 "left-armed:exit-status-1"
	else
		ops_want "$log" "libabortclose\\[[0-9]+\\]: fd=" 0 "debug lines at $level"
	fi
	[ "$(ops_firsts)" = "EOF ECONNRESET" ] || OPS_BAD="${OPS_BAD:+$OPS_BAD; }peer firsts $(ops_firsts), want EOF ECONNRESET"
	[ "$OPS_VST" = 1 ] || OPS_BAD="${OPS_BAD:+$OPS_BAD; }victim status $OPS_VST"
	ops_verdict "$name" "$(ops_count "$log" .) line(s), peers $(ops_firsts)" "$log"
done

# The stats line is not a debug line.
for level in info error; do
	name=stats-at-$level log="$AC_TMP/stats-$level.log"
	OPS_ENV=(ABORTCLOSE_LOG="file:$log" ABORTCLOSE_LOG_LEVEL="$level" ABORTCLOSE_STATS=1)
	ops_case "$name" client "$port" 1 --bytes 100
	OPS_ENV=()
	port=$((port + 1))
	[ -z "$OPS_WHY" ] || { fail "$name" "$OPS_WHY"; continue; }
	ops_want "$log" "^libabortclose\\[$OPS_VPID\\]: stats: " 1 "stats line"
	ops_want "$log" "fd=" 0 "debug lines"
	ops_verdict "$name" "$(ops_show "$log")" "$log"
done

ac_finish
