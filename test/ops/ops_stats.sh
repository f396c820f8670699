#!/bin/bash
# ABORTCLOSE_STATS=1 (issue 4): one line at exit,
#   libabortclose[PID]: stats: armed=A graceful=G left-armed=L skipped=S
# counting CONNECTIONS: armed by the library, ended gracefully (FIN), left
# armed at exit (RST), skipped by the filters.  Each case makes a known set
# of connections and checks the line against it exactly, and against the
# wire: graceful = FIN packets and left-armed = RST packets sent by the side
# under test (tcpdump), and the peers' first errors.  Also: no line without
# ABORTCLOSE_STATS=1 (unset or 0), none from a process that met no TCP
# socket, the line goes to the log file when ABORTCLOSE_LOG=file:, and a
# forked child does not print its parent's counts.  Ports 25600-25699.
. "$(dirname "$0")/lib-ops.bash"
need_ops
need_tool tcpdump

# stats NAME ROLE PORT CONNS "A G L S" "FIRSTS" [ops_conn options...]
#   (STATS_ENV adds variables)
STATS_ENV=()
stats() {
	local name=$1 role=$2 port=$3 conns=$4 want=$5 firsts=$6 a g l s rst fin
	shift 6
	read -r a g l s <<<"$want"
	OPS_ENV=(ABORTCLOSE_STATS=1 "${STATS_ENV[@]}")
	OPS_CAPTURE=$port
	ops_case "$name" "$role" "$port" "$conns" --bytes 4096 "$@"
	OPS_ENV=() OPS_CAPTURE=""
	[ -z "$OPS_WHY" ] || { fail "$name" "$OPS_WHY"; return; }
	rst=$(count_rst_from "$role" "$port")
	fin=$(count_fin_from "$role" "$port")
	ops_want "$OPS_DIR/victim.err" "$(ops_stats_re "$OPS_VPID" "$a" "$g" "$l" "$s")" 1 \
		"stats armed=$a graceful=$g left-armed=$l skipped=$s"
	ops_want "$OPS_DIR/victim.err" "stats:" 1 "stats lines in all"
	[ "$(ops_firsts)" = "$firsts" ] || OPS_BAD="${OPS_BAD:+$OPS_BAD; }peers $(ops_firsts), want $firsts"
	# The wire agrees with the counts: one FIN per graceful or skipped
	# connection (a skipped one ends as the program made it, here FIN), one
	# RST per connection left armed.
	[ "$fin" = $((g + s)) ] || OPS_BAD="${OPS_BAD:+$OPS_BAD; }$fin FIN from the $role, want $((g + s))"
	[ "$rst" = "$l" ] || OPS_BAD="${OPS_BAD:+$OPS_BAD; }$rst RST from the $role, want $l"
	ops_verdict "$name" "$(ops_show "$OPS_DIR/victim.err") FIN=$fin RST=$rst" "$OPS_DIR/victim.err"
}

stats server-all-graceful server 25601 5 "5 5 0 0" "EOF EOF EOF EOF EOF"
stats client-all-graceful client 25602 5 "5 5 0 0" "EOF EOF EOF EOF EOF"
stats client-one-left-exit1 client 25603 4 "4 3 1 0" "EOF EOF EOF ECONNRESET" --keep 1 --end exit1
stats server-one-left-_exit1 server 25604 3 "3 2 1 0" "EOF EOF ECONNRESET" --keep 1 --end _exit1
stats client-open-at-exit0 client 25605 3 "3 3 0 0" "EOF EOF EOF" --keep 2 --end exit0
stats server-open-at-return0 server 25606 3 "3 3 0 0" "EOF EOF EOF" --keep 2 --end return0
# shutdown + close is one graceful end, not two.
stats client-shutdown client 25607 3 "3 3 0 0" "EOF EOF EOF" --how shutdown
stats server-fclose server 25608 2 "2 2 0 0" "EOF EOF" --how fclose

# Skipped by the filters: counted once per connection, nothing armed.
STATS_ENV=(ABORTCLOSE_PORTS=1-25000)
stats skipped-port-client client 25610 3 "0 0 0 3" "EOF EOF EOF" --keep 1 --end exit1
stats skipped-port-server server 25611 3 "0 0 0 3" "EOF EOF EOF" --keep 1 --end exit1
STATS_ENV=(ABORTCLOSE_ROLES=accepted)
stats skipped-role-client client 25612 2 "0 0 0 2" "EOF EOF"
STATS_ENV=(ABORTCLOSE_ROLES=connected)
stats skipped-role-server server 25613 2 "0 0 0 2" "EOF EOF"
STATS_ENV=()

# --- no line -------------------------------------------------------------------------
for v in unset 0; do
	if [ "$v" = unset ]; then OPS_ENV=() port=25620; else OPS_ENV=(ABORTCLOSE_STATS=0) port=25621; fi
	ops_case "no-stats-$v" client "$port" 2 --bytes 100 --keep 1 --end exit1
	OPS_ENV=()
	if [ -n "$OPS_WHY" ]; then fail "no-stats-$v" "$OPS_WHY"
	elif [ -s "$OPS_DIR/victim.err" ]; then fail "no-stats-$v" "stderr: $(ops_show "$OPS_DIR/victim.err")"
	else pass "no-stats-$v (stderr empty)"; fi
done
out=$(env LD_PRELOAD="$(ac_preload)" ABORTCLOSE_STATS=1 sh -c 'true; exit 0' 2>&1)
if [ -z "$out" ]; then pass "no-tcp-quiet (a shell that met no TCP socket prints nothing)"
else fail no-tcp-quiet "printed: $out"; fi

# --- to the log file, not stderr -------------------------------------------------------
OPS_ENV=(ABORTCLOSE_STATS=1 ABORTCLOSE_LOG="file:$AC_TMP/stats.log")
ops_case stats-to-file client 25630 2 --bytes 100
OPS_ENV=()
if [ -n "$OPS_WHY" ]; then
	fail stats-to-file "$OPS_WHY"
else
	ops_want "$AC_TMP/stats.log" "$(ops_stats_re "$OPS_VPID" 2 2 0 0)" 1 "stats line in the file"
	[ -s "$OPS_DIR/victim.err" ] && OPS_BAD="${OPS_BAD:+$OPS_BAD; }stderr: $(ops_show "$OPS_DIR/victim.err")"
	ops_verdict stats-to-file "$(ops_show "$AC_TMP/stats.log")" "$AC_TMP/stats.log"
fi

# --- a forked child does not report its parent's connections -----------------------
# The server forks a child per connection that closes its copy (kept armed
# for the parent) and _exit(0)s; the parent then closes.  Only the parent
# made, armed and ended connections: one line, armed=2 graceful=2.
OPS_ENV=(ABORTCLOSE_STATS=1)
ops_case fork-child-own-counts server 25640 2 --bytes 100 --fork-close
OPS_ENV=()
if [ -n "$OPS_WHY" ]; then
	fail fork-child-own-counts "$OPS_WHY"
else
	ops_want "$OPS_DIR/victim.err" "$(ops_stats_re "$OPS_VPID" 2 2 0 0)" 1 "parent's stats armed=2 graceful=2"
	ops_want "$OPS_DIR/victim.err" "stats:" 1 "stats lines in all (parent + children)"
	ops_verdict fork-child-own-counts "$(ops_show "$OPS_DIR/victim.err")" "$OPS_DIR/victim.err"
fi

ac_finish
