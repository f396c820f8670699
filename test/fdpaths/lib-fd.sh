# test/fdpaths/lib-fd.sh - helpers of the descriptor-path tests (issue 3) on
# top of test/lib.sh (sourced by every test/fdpaths/*.sh; not a test itself:
# it is not executable and run-all.sh runs only executable *.sh).
#
#   fd_case NAME EXPECT PORT BYTES LIBMODE CMD ARGS...
#       One connection: CMD is a server on 127.0.0.1:PORT (it prints
#       "READY <port>"), the peer (build/test/peer client) connects, sends
#       "HELLO\n" and reads until EOF or an error.  LIBMODE:
#         on     the library preloaded (default policy)
#         off    the library preloaded with ABORTCLOSE=off (the control)
#         nolib  no library at all
#       EXPECT (what the side under test, the server, must have done):
#         rst  peer's first error is ECONNRESET, >= 1 RST and no FIN from the
#              server, what arrived is a clean prefix of the payload
#         fin  peer reads exactly BYTES correct bytes then EOF, >= 1 FIN and
#              no RST from the server
#       Also: the server's stderr is empty (no CHECK failure, no library
#       message), and every process the server reported with "PID <pid>"
#       is gone before the capture stops (nothing it does later is missed).
#       FD_CASE_ENV=(VAR=VAL ...) adds to the server's environment.
#       FD_KILL_PIDFILE=FILE: once the peer runs, wait for FILE (a pid written
#       by the side under test, e.g. fd_service ... pause FILE) and kill -9
#       that pid: a crash from outside.  FILE.err, if it appears, is that
#       program's error output and fails the case like the server's stderr.
#
#   fd_server_case NAME EXPECT PORT BYTES LIBMODE FD_SERVER_ARGS...
#       fd_case with build/test/fd_server --port PORT --bytes BYTES ARGS.
#
#   fd_info NAME TEXT    an informational line (not a verdict).
# shellcheck shell=bash
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

# bash reports background jobs that died of a signal ("... line N:  PID
# Killed  "$@" > ...") on its stderr whenever it reaps them, however they are
# waited for.  Here every crash is on purpose: the shell's stderr goes to a
# file, shown at exit without exactly those notices.  (A pipe through a
# filter would deadlock: lib.sh's `wait` also waits for process
# substitutions.)
FD_SHELL_ERR=$(mktemp "${TMPDIR:-/tmp}/abortclose-fd-stderr.XXXXXX")
exec 8>&2 2>"$FD_SHELL_ERR"
fd_exit() {
	local st=$?
	ac_cleanup
	exec 2>&8
	grep -v -E '^.*line [0-9]+: +[0-9]+ (Killed|Segmentation fault|Aborted).*"\$@"' "$FD_SHELL_ERR" >&2
	rm -f "$FD_SHELL_ERR"
	exit "$st"
}
trap fd_exit EXIT

FD_SERVER="$AC_BIN/fd_server"
FD_CASE_ENV=()
FD_KILL_PIDFILE=""

fd_info() {
	echo "  INFO $1: $2"
}

# fd_evidence LINE: the "peer: ...; from server: RST=n FIN=m" part of a
# PASS/FAIL line (for INFO lines about documented behaviour).
fd_evidence() {
	printf '%s\n' "$1" | grep -o -m1 'peer: first=[^;]*; from server: RST=[0-9]* FIN=[0-9]*'
}

# fd_logged NAME LOGFILE ERE: a case passing when the library's log (a case
# run with ABORTCLOSE_LOG=file:LOGFILE) has a line matching ERE.
fd_logged() {
	local name=$1 log=$2 re=$3
	if grep -Eq "$re" "$log" 2>/dev/null; then
		pass "$name ($(grep -Eo "$re" "$log" | head -1))"
	else
		fail "$name" "no line matching $re in the log: $(head -c 300 "$log" 2>/dev/null | tr '\n' '|')"
	fi
}

# fd_lib_env LIBMODE: the env(1) arguments that give LIBMODE.
fd_lib_env() {
	case $1 in
	on) echo "LD_PRELOAD=$(ac_preload)" ;;
	off) printf '%s\n' "LD_PRELOAD=$(ac_preload)" "ABORTCLOSE=off" ;;
	nolib) ;;
	*) echo "fd_lib_env: bad mode $1" >&2 ;;
	esac
}

# fd_wait_gone PID SECS: wait until PID (not necessarily our child) is gone.
fd_wait_gone() {
	local pid=$1 secs=$2 i=0
	while ac_running "$pid" && [ "$i" -lt $((secs * 50)) ]; do
		sleep 0.02
		i=$((i + 1))
	done
	! ac_running "$pid"
}

fd_case() {
	local name=$1 expect=$2 port=$3 bytes=$4 mode=$5
	shift 5
	local d="$AC_TMP/$name" spid ppid pst=0 why="" p
	local -a envargs
	mkdir -p "$d"
	mapfile -t envargs < <(fd_lib_env "$mode")
	if port_listening "$port"; then
		fail "$name" "port $port already in use by another process"
		return
	fi
	capture_start "$port" || { fail "$name" "tcpdump did not start"; return; }
	ac_bg spid "$d/server.out" "$d/server.err" env "${envargs[@]}" "${FD_CASE_ENV[@]}" "$@"
	if ! wait_for_line "$d/server.out" '^READY ' 10 "$spid" >/dev/null; then
		why="server not ready: $(head -c 300 "$d/server.err" | tr '\n' '|')"
	else
		ac_bg ppid "$d/peer.out" "$d/peer.err" "$AC_BIN/peer" client --port "$port" --timeout 20
		if [ -n "$FD_KILL_PIDFILE" ]; then
			if wait_for_line "$FD_KILL_PIDFILE" '^[0-9]+$' 20 >/dev/null; then
				p=$(cat "$FD_KILL_PIDFILE")
				kill -KILL "$p"
				fd_wait_gone "$p" 20 || why="killed process $p still running"
			else
				why="no pid in $FD_KILL_PIDFILE: $(head -c 200 "$FD_KILL_PIDFILE.err" 2>/dev/null)"
			fi
		fi
		ac_wait "$ppid" 30 || pst=$?
	fi
	ac_wait "$spid" 30 >/dev/null || true
	for p in $(sed -n 's/^PID \([0-9]*\)$/\1/p' "$d/server.out"); do
		fd_wait_gone "$p" 30 || why="${why:+$why; }process $p still running"
	done
	capture_stop || why="${why:+$why; }capture incomplete"
	if [ -n "$why" ]; then
		fail "$name" "$why"
		return
	fi
	if [ -n "$FD_KILL_PIDFILE" ] && [ -s "$FD_KILL_PIDFILE.err" ]; then
		cat "$FD_KILL_PIDFILE.err" >>"$d/server.err"
	fi
	fd_verdict "$name" "$expect" "$port" "$bytes" "$d/peer.out" "$d/server.err" "$pst"
}

# fd_verdict NAME EXPECT PORT BYTES PEER_OUT SERVER_ERR PEER_STATUS
fd_verdict() {
	local name=$1 expect=$2 port=$3 bytes=$4 pout=$5 serr=$6 pst=$7 why=""
	local first got match rst fin
	first=$(peer_field "$pout" first)
	got=$(peer_field "$pout" bytes)
	match=$(peer_field "$pout" match)
	rst=$(count_rst_from server "$port")
	fin=$(count_fin_from server "$port")
	local evidence="peer: first=$first bytes=${got:-?}/$bytes match=$match; from server: RST=$rst FIN=$fin"
	[ "$pst" = 0 ] || why="peer exited $pst"
	if [ -s "$serr" ]; then
		why="${why:+$why; }server stderr: $(head -c 300 "$serr" | tr '\n' '|')"
	fi
	[ "$match" = 1 ] || why="${why:+$why; }received bytes are not the payload"
	why="${why:+$why; }$(expect_verdict "$expect" server "$first" "$got" "$bytes" "$rst" "$fin")"
	why=${why%; }
	if [ -n "$why" ]; then
		fail "$name" "$why [$evidence; wire: $(wire_summary "$port")]"
	else
		pass "$name ($expect: $evidence)"
	fi
}

fd_server_case() {
	local name=$1 expect=$2 port=$3 bytes=$4 mode=$5
	shift 5
	fd_case "$name" "$expect" "$port" "$bytes" "$mode" "$FD_SERVER" --port "$port" --bytes "$bytes" "$@"
}

# fd_crash_pair NAME PORT BYTES FD_SERVER_ARGS...: a crash case under the
# library (RST) and its ABORTCLOSE=off control (FIN, every byte); uses PORT
# and PORT+1.
fd_crash_pair() {
	local name=$1 port=$2 bytes=$3
	shift 3
	fd_server_case "$name-on" rst "$port" "$bytes" on "$@"
	fd_server_case "$name-off" fin $((port + 1)) "$bytes" off "$@"
}
