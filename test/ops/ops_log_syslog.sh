#!/bin/bash
# ABORTCLOSE_LOG=syslog:/path (issue 4): each log line is one datagram on an
# AF_UNIX datagram socket, "<PRI>libabortclose[pid]: ..." with facility
# daemon and severity debug (<31>), no trailing newline.  The receiving end
# is a test socket this test binds itself (build/test/ops_syslogd), never the
# machine's /dev/log.  The scenarios of log-dest.bash (armed,
# disarmed:close, left-armed:exit-status-1, server and client) arrive there
# and nothing goes to the program's stderr; and:
#   stats-to-stderr   with syslog the stats line goes to stderr, not syslog
#   no-listener       the socket path does not exist: the program runs
#                     unaffected (status, all data) and the library still
#                     works (exit(1) gives the peer a reset)
# Ports 25460-25489.
. "$(dirname "$0")/lib-ops.bash"
. "$(dirname "$0")/log-dest.bash"
need_ops

OPS_LOG_PREFIX='<31>'
DEST_ERR_CLEAN=1
SYSLOGD_PID=""

dest_begin() {
	local sock="$AC_TMP/$1.sock"
	DEST_ENV=(ABORTCLOSE_LOG="syslog:$sock")
	ac_bg SYSLOGD_PID "$AC_TMP/$1.syslog" "$AC_TMP/$1.syslogd.err" "$AC_BIN/ops_syslogd" "$sock" --timeout 60
	# The log is opened once, in the constructor: the socket must exist first.
	if ! wait_for_line "$AC_TMP/$1.syslog" '^READY ' 10 "$SYSLOGD_PID" >/dev/null; then
		echo "  ops_syslogd did not start: $(ops_show "$AC_TMP/$1.syslogd.err")" >&2
	fi
}

# dest_end NAME: wait until the victim's last message has arrived (its exit
# line: disarmed:close or left-armed), stop the receiver, print the file of
# the datagrams (without the READY line).
dest_end() {
	local f="$AC_TMP/$1.syslog"
	if [ -n "$OPS_VPID" ]; then
		wait_for_line "$f" "libabortclose\\[$OPS_VPID\\]: .* (disarmed:close|left-armed:exit-status-1)\$" 10 \
			"$SYSLOGD_PID" >/dev/null || true
	fi
	kill -TERM "$SYSLOGD_PID" 2>/dev/null
	ac_wait "$SYSLOGD_PID" 10 || true
	grep -v '^READY ' "$f" >"$f.lines" || true
	echo "$f.lines"
}
log_dest_scenarios 25460

# --- stats line: stderr, not syslog ------------------------------------------------
dest_begin stats
OPS_ENV=("${DEST_ENV[@]}" ABORTCLOSE_LOG_LEVEL=debug ABORTCLOSE_STATS=1)
ops_case stats-to-stderr server 25470 1 --bytes 100
OPS_ENV=()
log=$(dest_end stats)
if [ -n "$OPS_WHY" ]; then
	fail stats-to-stderr "$OPS_WHY"
else
	OPS_LOG_PREFIX=""
	ops_want "$OPS_DIR/victim.err" "^libabortclose\\[$OPS_VPID\\]: stats: " 1 "stats line on stderr"
	ops_want "$log" "stats:" 0 "stats line in syslog"
	ops_want "$log" "disarmed:close" 1 "disarmed:close in syslog"
	OPS_LOG_PREFIX='<31>'
	ops_verdict stats-to-stderr "stderr: $(ops_show "$OPS_DIR/victim.err")" "$log"
fi

# --- no receiver: unaffected ------------------------------------------------------
for end in close exit1; do
	name=no-listener-$end keep=0 want_first=EOF want_st=0
	[ "$end" = exit1 ] && keep=1 want_first=ECONNRESET want_st=1
	OPS_ENV=(ABORTCLOSE_LOG="syslog:$AC_TMP/nobody-here.sock" ABORTCLOSE_LOG_LEVEL=debug)
	ops_case "$name" server $((25471 + keep)) 1 --bytes 65536 --keep "$keep" --end "$end"
	OPS_ENV=()
	[ -z "$OPS_WHY" ] || { fail "$name" "$OPS_WHY"; continue; }
	[ "$OPS_VST" = "$want_st" ] || OPS_BAD="victim status $OPS_VST, want $want_st"
	[ "$(ops_firsts)" = "$want_first" ] || OPS_BAD="${OPS_BAD:+$OPS_BAD; }peer first=$(ops_firsts), want $want_first"
	[ "$end" = exit1 ] || ops_obs_ok 65536 || OPS_BAD="${OPS_BAD:+$OPS_BAD; }peer did not get all bytes"
	[ -e "$AC_TMP/nobody-here.sock" ] && OPS_BAD="${OPS_BAD:+$OPS_BAD; }something created the socket path"
	ops_verdict "$name" "status $OPS_VST, peer $(ops_firsts); stderr: $(ops_show "$OPS_DIR/victim.err")" "$OPS_DIR/victim.err"
done

ac_finish
