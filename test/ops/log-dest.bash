# test/ops/log-dest.bash - the scenarios every log destination must carry
# (sourced by ops_log_stderr.sh, ops_log_file.sh, ops_log_syslog.sh).
#
# The including script defines, for a case NAME:
#   dest_begin NAME   prepare the destination (e.g. start the test syslog
#                     socket); sets DEST_ENV=(ABORTCLOSE_LOG=...)
#   dest_end NAME     finish it; prints the path of a file holding what the
#                     destination received, one line per log message
#   DEST_ERR_CLEAN    1 when the victim's stderr must stay empty (the lines
#                     go elsewhere)
# and calls log_dest_scenarios PORT_BASE (uses PORT_BASE .. PORT_BASE+3).
#
# Scenarios, at ABORTCLOSE_LOG_LEVEL=debug, one connection each:
#   server-close   accept, send, close(), return 0: "armed" and
#                  "disarmed:close" for the connection, with its local
#                  127.0.0.1:PORT and the peer's remote 127.0.0.1:N
#   client-close   connect, send, close(): "armed", "disarmed:close" with
#                  remote 127.0.0.1:PORT
#   server-exit1   exit(1) with the connection open:
#                  "left-armed:exit-status-1", no "disarmed:" line, peer RST
#   client-exit1   the same on the client side
# Every line must be a well-formed line of the victim's pid.

log_dest_case() {
	local name=$1 role=$2 port=$3 end=$4 keep=0 log first want_first want_st
	[ "$end" = exit1 ] && keep=1
	dest_begin "$name"
	OPS_ENV=(ABORTCLOSE_LOG_LEVEL=debug "${DEST_ENV[@]}")
	ops_case "$name" "$role" "$port" 1 --bytes 4096 --keep "$keep" --end "$end"
	OPS_ENV=()
	log=$(dest_end "$name")
	if [ -n "$OPS_WHY" ]; then
		fail "$name" "$OPS_WHY"
		return
	fi
	local pid=$OPS_VPID me here there
	me=$(ops_addr "$port")
	if [ "$role" = server ]; then here=$me there=$OPS_ADDR_ANY; else here=$OPS_ADDR_ANY there=$me; fi
	first=$(ops_firsts)
	if [ "$end" = exit1 ]; then
		want_first=ECONNRESET want_st=1
		ops_want "$log" "$(ops_log_re "$pid" 'left-armed:exit-status-1' "$here" "$there")" 1 \
			"left-armed:exit-status-1 of the connection"
		ops_want "$log" "$(ops_log_re "$pid" 'disarmed:[a-z0-9:-]+')" 0 "disarmed lines"
	else
		want_first=EOF want_st=0
		ops_want "$log" "$(ops_log_re "$pid" armed)" + "armed"
		ops_want "$log" "$(ops_log_re "$pid" 'disarmed:close' "$here" "$there")" 1 \
			"disarmed:close of the connection"
	fi
	[ "$role" = server ] && ops_want "$log" "$(ops_log_re "$pid" armed "$here" "$there")" 1 \
		"armed line of the accepted connection"
	ops_want_only "$log" "$pid"
	[ "$first" = "$want_first" ] || OPS_BAD="${OPS_BAD:+$OPS_BAD; }peer first=$first, want $want_first"
	[ "$OPS_VST" = "$want_st" ] || OPS_BAD="${OPS_BAD:+$OPS_BAD; }victim status $OPS_VST, want $want_st"
	if [ "$DEST_ERR_CLEAN" = 1 ] && [ -s "$OPS_DIR/victim.err" ]; then
		OPS_BAD="${OPS_BAD:+$OPS_BAD; }victim stderr not empty: $(ops_show "$OPS_DIR/victim.err")"
	fi
	ops_verdict "$name" "$(grep -cE . "$log" 2>/dev/null || echo 0) lines, peer $first" "$log"
}

log_dest_scenarios() {
	local base=$1
	log_dest_case server-close server "$base" close
	log_dest_case client-close client $((base + 1)) close
	log_dest_case server-exit1 server $((base + 2)) exit1
	log_dest_case client-exit1 client $((base + 3)) exit1
}
