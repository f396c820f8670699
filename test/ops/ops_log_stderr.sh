#!/bin/bash
# ABORTCLOSE_LOG=stderr (issue 4): the debug lines of a crash-free run
# ("armed", "disarmed:close" with the connection's local and remote
# address:port) and of exit(1) ("left-armed:exit-status-1") appear on the
# program's stderr, one well-formed line each, for a server and a client
# (scenarios in log-dest.bash).  Also: ABORTCLOSE_LOG unset or off with
# LOG_LEVEL=debug writes nothing.  Ports 25400-25419.
. "$(dirname "$0")/lib-ops.bash"
. "$(dirname "$0")/log-dest.bash"
need_ops

DEST_ERR_CLEAN=0
dest_begin() { DEST_ENV=(ABORTCLOSE_LOG=stderr); }
dest_end() { echo "$OPS_DIR/victim.err"; }
log_dest_scenarios 25400

# No destination, no line (the default, and off), even at debug.
for v in unset off; do
	if [ "$v" = unset ]; then
		OPS_ENV=(ABORTCLOSE_LOG_LEVEL=debug) port=25410
	else
		OPS_ENV=(ABORTCLOSE_LOG=off ABORTCLOSE_LOG_LEVEL=debug) port=25411
	fi
	ops_case "log-$v-silent" server "$port" 1 --bytes 4096 --keep 1 --end exit1
	OPS_ENV=()
	if [ -n "$OPS_WHY" ]; then
		fail "log-$v-silent" "$OPS_WHY"
	elif [ -s "$OPS_DIR/victim.err" ]; then
		fail "log-$v-silent" "stderr not empty: $(ops_show "$OPS_DIR/victim.err")"
	else
		pass "log-$v-silent (stderr empty, peer $(ops_firsts))"
	fi
done

ac_finish
