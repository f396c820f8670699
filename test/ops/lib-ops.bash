# test/ops/lib-ops.bash - helpers of the operator tests (ports, roles, log,
# stats), on top of test/lib.sh.  Sourced, never run: test/run-all.sh runs
# only the executable test/*/*.sh.
#
#   . "$(dirname "$0")/lib-ops.bash"
#
# What it adds to lib.sh:
#   OPS            build/test/ops_conn (multi-connection victim and observer)
#   ops_case NAME ROLE PORT CONNS [ops_conn victim options...]
#       ROLE server: `ops_conn server` (the side under test, with the library
#       and OPS_ENV) and `ops_conn reader` (the other end, no library);
#       ROLE client: `ops_conn sink` and `ops_conn client`.
#       With "--end external" the victim is killed with SIGKILL after SENT.
#       Globals read:  OPS_ENV=(VAR=VAL...) for the victim, OPS_NOLIB=1 (no
#                      library), OPS_OBS_OPTS=(...) extra observer options,
#                      OPS_CAPTURE="" or the port(s) to capture.
#       Globals set:   OPS_DIR (victim.out victim.err obs.out), OPS_VPID,
#                      OPS_VST (victim exit status), OPS_WHY (setup problem,
#                      "" if none).
#   ops_firsts         the observer's "first" per connection, e.g. "EOF ECONNRESET"
#   ops_obs_ok BYTES   every connection got exactly BYTES correct bytes
#   capture_start PORT... / capture_stop (lib.sh)   several ports at once
#   ops_log_re PID EVENT [LOCAL] [REMOTE]   ERE of one debug line (anchored)
#   ops_count FILE ERE                      matching lines (0 when no file)
#   ops_stats_re PID A G L S                ERE of the stats line

. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

OPS="$AC_BIN/ops_conn"
OPS_ENV=()
OPS_NOLIB=0
OPS_OBS_OPTS=()
OPS_CAPTURE=""
OPS_DIR=""
OPS_VPID=""
OPS_VST=""
OPS_WHY=""

# Also the two test programs of this area.
need_ops() {
	need_lib "$OPS" "$AC_BIN/ops_syslogd" "$@"
}

ops_case() {
	local name=$1 role=$2 port=$3 conns=$4 opid="" ost=0 external=0 a
	shift 4
	local -a victim_cmd obs_cmd
	OPS_DIR="$AC_TMP/$name"
	OPS_VPID=""
	OPS_VST=""
	OPS_WHY=""
	mkdir -p "$OPS_DIR"
	for a in "$@"; do [ "$a" = external ] && external=1; done
	if port_listening "$port"; then
		OPS_WHY="port $port already in use by another process"
		return
	fi
	if [ "$OPS_NOLIB" = 1 ]; then
		victim_cmd=(env "${OPS_ENV[@]}")
	else
		victim_cmd=(env LD_PRELOAD="$(ac_preload)" "${OPS_ENV[@]}")
	fi
	victim_cmd+=("$OPS" "$role" --port "$port" --conns "$conns" "$@")
	if [ "$role" = server ]; then
		obs_cmd=("$OPS" reader --port "$port" --conns "$conns" --timeout 20 "${OPS_OBS_OPTS[@]}")
	else
		obs_cmd=("$OPS" sink --port "$port" --conns "$conns" --timeout 20 "${OPS_OBS_OPTS[@]}")
	fi
	if [ -n "$OPS_CAPTURE" ]; then
		# shellcheck disable=SC2086 # a list of ports
		capture_start $OPS_CAPTURE || { OPS_WHY="tcpdump did not start"; return; }
	fi
	if [ "$role" = server ]; then
		ac_bg OPS_VPID "$OPS_DIR/victim.out" "$OPS_DIR/victim.err" "${victim_cmd[@]}"
		if wait_for_line "$OPS_DIR/victim.out" '^READY ' 10 "$OPS_VPID" >/dev/null; then
			ac_bg opid "$OPS_DIR/obs.out" "$OPS_DIR/obs.err" "${obs_cmd[@]}"
		else
			OPS_WHY="victim server not ready: $(head -c 200 "$OPS_DIR/victim.err")"
		fi
	else
		ac_bg opid "$OPS_DIR/obs.out" "$OPS_DIR/obs.err" "${obs_cmd[@]}"
		if wait_for_line "$OPS_DIR/obs.out" '^READY ' 10 "$opid" >/dev/null; then
			ac_bg OPS_VPID "$OPS_DIR/victim.out" "$OPS_DIR/victim.err" "${victim_cmd[@]}"
		else
			OPS_WHY="sink not ready: $(head -c 200 "$OPS_DIR/obs.err")"
		fi
	fi
	if [ -z "$OPS_WHY" ] && [ "$external" = 1 ]; then
		if wait_for_line "$OPS_DIR/victim.out" '^SENT ' 20 "$OPS_VPID" >/dev/null; then
			kill -KILL "$OPS_VPID"
		else
			OPS_WHY="victim never reported SENT: $(head -c 200 "$OPS_DIR/victim.err")"
		fi
	fi
	if [ -n "$OPS_VPID" ]; then
		OPS_VST=0
		ac_wait "$OPS_VPID" 30 || OPS_VST=$?
	fi
	if [ -n "$opid" ]; then
		ac_wait "$opid" 30 || ost=$?
		[ "$ost" = 0 ] || OPS_WHY="${OPS_WHY:+$OPS_WHY; }observer exited $ost: $(head -c 200 "$OPS_DIR/obs.err")"
	fi
	if [ -n "$OPS_CAPTURE" ]; then
		capture_stop || OPS_WHY="${OPS_WHY:+$OPS_WHY; }capture incomplete"
	fi
	return 0
}

# The observer's "first" of each connection, space separated, in order.
ops_firsts() {
	sed -nE 's/^conn=[0-9]+ .*first=([^ ]+).*/\1/p' "$OPS_DIR/obs.out" | tr '\n' ' ' | sed 's/ $//'
}

# ops_obs_ok BYTES: every connection delivered exactly BYTES correct bytes.
ops_obs_ok() {
	local n bad
	n=$(grep -c '^conn=' "$OPS_DIR/obs.out" 2>/dev/null || true)
	bad=$(grep '^conn=' "$OPS_DIR/obs.out" | grep -vc " bytes=$1 .*match=1" || true)
	[ "${n:-0}" -ge 1 ] && [ "$bad" = 0 ]
}

# ops_count FILE ERE: number of lines of FILE matching ERE (0 if no FILE).
ops_count() {
	[ -f "$1" ] || { echo 0; return; }
	grep -cE -- "$2" "$1" || true
}

# ops_log_re PID EVENT [LOCAL] [REMOTE]: one debug line of the library,
#   libabortclose[PID]: fd=N local=ADDR:PORT remote=ADDR:PORT|- EVENT
# LOCAL/REMOTE default to "any address"; EVENT is an ERE fragment.
# Anchored at the start of the line after OPS_LOG_PREFIX (syslog: "<31>").
OPS_ANY_ADDR='[^ ]+'
OPS_LOG_PREFIX=""
ops_log_re() {
	local pid=$1 ev=$2 loc=${3:-$OPS_ANY_ADDR} rem=${4:-$OPS_ANY_ADDR}
	echo "^${OPS_LOG_PREFIX}libabortclose\\[$pid\\]: fd=[0-9]+ local=$loc remote=$rem $ev\$"
}

# ops_stats_re PID ARMED GRACEFUL LEFT SKIPPED
ops_stats_re() {
	echo "^libabortclose\\[$1\\]: stats: armed=$2 graceful=$3 left-armed=$4 skipped=$5\$"
}

# A loopback IPv4 address with a given port (ERE), and with any port.
ops_addr() { echo "127\\.0\\.0\\.1:$1"; }
OPS_ADDR_ANY='127\.0\.0\.1:[0-9]+'

# ops_show FILE: a file's first lines on one line, for failure messages.
ops_show() {
	if [ -f "$1" ]; then head -c 600 "$1" | tr '\n' '|'; else echo "(no $1)"; fi
}

# ops_want FILE ERE N WHAT: FILE must have exactly N lines matching ERE
# ("+" for N = at least one); otherwise a reason is added to OPS_BAD.
OPS_BAD=""
ops_want() {
	local got
	got=$(ops_count "$1" "$2")
	if [ "$3" = + ]; then
		[ "$got" -ge 1 ] && return 0
	else
		[ "$got" = "$3" ] && return 0
	fi
	OPS_BAD="${OPS_BAD:+$OPS_BAD; }$4: want $3 line(s), got $got"
}

# ops_want_only FILE PID: every line of FILE is one of the library's lines of
# process PID (a debug line or the stats line): nothing merged, cut or foreign.
ops_want_only() {
	local bad
	bad=$(grep -cvE "^${OPS_LOG_PREFIX}libabortclose\\[$2\\]: (fd=[0-9]+ local=[^ ]+ remote=[^ ]+ [a-z][a-z0-9:-]*|stats: armed=[0-9]+ graceful=[0-9]+ left-armed=[0-9]+ skipped=[0-9]+)\$" "$1" 2>/dev/null || true)
	[ "${bad:-0}" = 0 ] || OPS_BAD="${OPS_BAD:+$OPS_BAD; }$bad line(s) that are not well-formed lines of pid $2"
}

# ops_verdict NAME WHAT_PASSED LOGFILE: pass or fail on OPS_BAD (and reset it).
ops_verdict() {
	if [ -z "$OPS_BAD" ]; then
		pass "$1 ($2)"
	else
		fail "$1" "$OPS_BAD [log: $(ops_show "$3")]"
	fi
	OPS_BAD=""
}
