#!/bin/bash
# Issue 10: PostgreSQL 15 (Debian's), a fork-per-connection server: the
# postmaster accepts each connection, forks a backend for it and closes its
# own copy; the backend serves the session.  Run as the postgres user (it
# refuses root), from a cluster of its own made with initdb in a temp dir,
# in the foreground, on loopback only.  The client is test/daemons/
# pg_client.py (libpq reports an EOF and an ECONNRESET with the same words):
#   query          a 2 MB result (2,000 rows of 1,000 x), Terminate: every
#                  row exact, EOF, FIN and 0 RST from the server port
#   kill-backend   a 200 MB result; after 64 KiB the backend (the only
#                  holder of the connection: the postmaster let go of it) is
#                  SIGKILLed: ECONNRESET, RST and no FIN
#   kill-backend-off  the same with ABORTCLOSE=off: EOF and FIN (discriminates)
#   terminate      pg_terminate_backend() of an idle session: the backend
#                  sends FATAL and exits with status 1, PostgreSQL's
#                  convention for a FATAL end, so with the default
#                  ABORTCLOSE_ON_EXIT=status the connection ends with RST
#                  after the FATAL message;
#   terminate-status-0-1  with ABORTCLOSE_ON_EXIT=status:0,1 (as a
#                  PostgreSQL user may set it): the FATAL message, then FIN
#   crash-ends-the-others  two idle sessions, the first's backend SIGKILLed:
#                  the postmaster makes the other backend quit (a WARNING to
#                  its client, then exit status 2): RST on both connections,
#                  also with status:0,1 (control ABORTCLOSE=off: FIN)
#   load           100 sessions one after the other, each a 200 kB result:
#                  all exact, 0 RST, a FIN each
# Ports 23740-23759.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-daemons.sh"
need_lib
need_tool tcpdump
need_tool python3
need_tool runuser
dmn_need_root
PGBIN=/usr/lib/postgresql/15/bin
if [ ! -x "$PGBIN/postgres" ] || ! id postgres >/dev/null 2>&1; then
	if in_ci; then fail postgres "$PGBIN/postgres or the postgres user missing (scripts/install-deps.sh)"; else skip postgres "PostgreSQL 15 not installed"; fi
	ac_finish
fi
PY=$(command -v /usr/bin/python3 || command -v python3)
# The backends load the library as the postgres user: from a world-readable
# copy (the checkout may be under a mode-700 directory).
ac_use_public_tree
CLIENT="$AC_PUB/pg_client.py"
cp "$(dirname "$0")/pg_client.py" "$CLIENT" && chmod 644 "$CLIENT"

dmn_webdir
W=$DMN_WEB
mkdir "$W/data" "$W/run"
chown postgres: "$W/data" "$W/run"
chmod 700 "$W/data"
if ! runuser -u postgres -- "$PGBIN/initdb" -D "$W/data" -A trust -U postgres --no-sync \
	>"$AC_TMP/initdb.out" 2>&1; then
	fail postgres-initdb "$(tail -c 300 "$AC_TMP/initdb.out")"
	ac_finish
fi

PG_PID=""
# pg_start NAME PORT [VAR=VALUE...]: the postmaster under the library, its
# log (and the library's debug lines, on stderr) in $AC_TMP/NAME.err.
pg_start() {
	local name=$1 port=$2
	shift 2
	if port_listening "$port"; then
		echo "  port $port already in use"
		return 1
	fi
	dmn_bg_group PG_PID "$AC_TMP/$name.out" "$AC_TMP/$name.err" runuser -u postgres -- env \
		LD_PRELOAD="$(ac_preload)" ABORTCLOSE_LOG=stderr ABORTCLOSE_LOG_LEVEL=debug "$@" \
		"$PGBIN/postgres" -D "$W/data" -p "$port" -k "$W/run" -c listen_addresses=127.0.0.1 \
		-c fsync=off -c logging_collector=off
	if ! wait_for_line "$AC_TMP/$name.err" 'ready to accept connections' 20 "$PG_PID" >/dev/null ||
		! port_listening "$port"; then
		echo "  postgres not ready: $(tail -c 400 "$AC_TMP/$name.err")"
		return 1
	fi
}

# pg_stop: a fast shutdown (SIGINT to the postmaster: its backends end,
# its shared memory goes), at most 15 s, then SIGKILL of the group.
pg_stop() {
	local pm i=0
	pm=$(head -n1 "$W/data/postmaster.pid" 2>/dev/null)
	if [ -n "$pm" ] && kill -INT "$pm" 2>/dev/null; then
		while [ -e "$W/data/postmaster.pid" ] && [ "$i" -lt 750 ]; do
			sleep 0.02
			i=$((i + 1))
		done
	fi
	dmn_kill_group "$PG_PID"
}

# case_start NAME PORT [VAR=VALUE...]: the capture and the server of one
# case; when either fails, the case fails, everything stops, and it returns 1.
case_start() {
	capture_start "$2" && pg_start "$@" && return 0
	capture_stop
	fail "$1" "setup failed"
	pg_stop
	return 1
}

# holders PORT: the pids holding the established server side of PORT.
holders() {
	ss -Htnp state established "( sport = :$1 )" 2>/dev/null |
		grep -oE 'pid=[0-9]+' | sort -u | sed 's/pid=//'
}

field() { sed -nE "s/.*(^| )$2=([^ ]*).*/\2/p" "$1" | tail -n1; }

# pg_verdict NAME WHY EXPECT PORT OUT ROWS: EXPECT fin (complete, EOF, FIN,
# no RST), rst (ECONNRESET, RST, no FIN) or eof (EOF, FIN, no RST: what a
# kill gives without the library); fatal-rst / fatal-fin: the FATAL
# message arrived, then RST / FIN.
pg_verdict() {
	local name=$1 why=$2 expect=$3 port=$4 out=$5 rows=$6
	local got complete first fatal rst fin
	got=$(field "$out" rows) complete=$(field "$out" complete) first=$(field "$out" first)
	fatal=$(field "$out" fatal)
	rst=$(count_rst_from server "$port") fin=$(count_fin_from server "$port")
	local ev="rows=$got/$rows complete=$complete first=$first fatal=$fatal; from server: RST=$rst FIN=$fin"
	if [ -z "$why" ]; then
		case $expect in
		fin) [ "$complete" = 1 ] && [ "$got" = "$rows" ] && [ "$first" = EOF ] && [ "$fin" -ge 1 ] &&
			[ "$rst" = 0 ] || why="want every row, EOF, FIN, no RST" ;;
		rst) [ "$first" = ECONNRESET ] && [ "$rst" -ge 1 ] && [ "$fin" = 0 ] && [ "$complete" = 0 ] ||
			why="want ECONNRESET, RST, no FIN" ;;
		eof) [ "$first" = EOF ] && [ "$fin" -ge 1 ] && [ "$rst" = 0 ] && [ "$complete" = 0 ] ||
			why="want EOF, FIN, no RST (the control)" ;;
		fatal-rst) [ "$fatal" = 1 ] && [ "$first" = ECONNRESET ] && [ "$rst" -ge 1 ] && [ "$fin" = 0 ] ||
			why="want the FATAL message, then ECONNRESET, RST, no FIN" ;;
		fatal-fin) [ "$fatal" = 1 ] && [ "$first" = EOF ] && [ "$fin" -ge 1 ] && [ "$rst" = 0 ] ||
			why="want the FATAL message, then EOF, FIN, no RST" ;;
		esac
	fi
	if [ -n "$why" ]; then
		fail "$name" "$why [$ev; wire: $(wire_summary "$port")] $(head -c 200 "$AC_TMP/$name.cerr" 2>/dev/null)"
	else
		pass "$name ($expect: $ev)"
	fi
}

# --- a whole result ------------------------------------------------------------
port=23740
name=postgres-query
if case_start "$name" "$port"; then
	with_timeout 30 "$PY" "$CLIENT" "$port" 2000 1000 full >"$AC_TMP/$name.client" 2>"$AC_TMP/$name.cerr"
	capture_stop || echo "  capture incomplete"
	pg_verdict "$name" "" fin "$port" "$AC_TMP/$name.client" 2000
	grep -q "kept-armed:shared-with-pid-" "$AC_TMP/$name.err" ||
		echo "  INFO the postmaster's close did not log kept-armed (debug log: $AC_TMP/$name.err)"
	pg_stop
fi

# --- the backend killed mid-result ----------------------------------------------
# kill_case NAME PORT EXPECT [VAR=VALUE...]
kill_case() {
	local name=$1 port=$2 expect=$3 cpid pids="" bpid why=""
	shift 3
	case_start "$name" "$port" "$@" || return
	ac_bg cpid "$AC_TMP/$name.client" "$AC_TMP/$name.cerr" "$PY" "$CLIENT" "$port" 200000 1000 gate "$AC_TMP/$name.gate"
	if bpid=$(wait_for_line "$AC_TMP/$name.client" '^PROGRESS ' 20 "$cpid"); then
		bpid=${bpid#PROGRESS }
		pids=$(holders "$port")
	fi
	if [ -z "$pids" ]; then
		why="the result never started, or no holder found: $(head -c 200 "$AC_TMP/$name.cerr")"
	elif [ "$pids" != "$bpid" ]; then
		why="the holders are $(echo "$pids" | tr '\n' ' '), not only the backend $bpid"
	else
		kill -KILL "$bpid"
	fi
	touch "$AC_TMP/$name.gate"
	ac_wait "$cpid" 30
	capture_stop || echo "  capture incomplete"
	pg_verdict "$name" "$why" "$expect" "$port" "$AC_TMP/$name.client" 200000
	pg_stop
}
kill_case postgres-kill-backend 23741 rst
kill_case postgres-kill-backend-off 23742 eof ABORTCLOSE=off

# --- pg_terminate_backend: FATAL, exit status 1 ------------------------------------
# terminate_case NAME PORT EXPECT [VAR=VALUE...]
terminate_case() {
	local name=$1 port=$2 expect=$3 cpid bpid why=""
	shift 3
	case_start "$name" "$port" "$@" || return
	ac_bg cpid "$AC_TMP/$name.client" "$AC_TMP/$name.cerr" "$PY" "$CLIENT" "$port" 0 0 idle "$AC_TMP/$name.gate"
	if bpid=$(wait_for_line "$AC_TMP/$name.client" '^PROGRESS ' 20 "$cpid"); then
		bpid=${bpid#PROGRESS }
		# over the UNIX socket: not on the captured port
		runuser -u postgres -- "$PGBIN/psql" -h "$W/run" -p "$port" -U postgres -d postgres \
			-Atc "SELECT pg_terminate_backend($bpid)" >"$AC_TMP/$name.psql" 2>&1 ||
			why="psql: $(head -c 200 "$AC_TMP/$name.psql")"
	else
		why="the session never started: $(head -c 200 "$AC_TMP/$name.cerr")"
	fi
	touch "$AC_TMP/$name.gate"
	ac_wait "$cpid" 30
	capture_stop || echo "  capture incomplete"
	pg_verdict "$name" "$why" "$expect" "$port" "$AC_TMP/$name.client" 0
	pg_stop
}
terminate_case postgres-terminate 23743 fatal-rst
terminate_case postgres-terminate-status-0-1 23744 fatal-fin ABORTCLOSE_ON_EXIT=status:0,1

# --- another backend crashes: the postmaster makes every backend quit ---------------
# sibling_case NAME PORT EXPECT [VAR=VALUE...]: two idle sessions; the first's
# backend is SIGKILLed; the postmaster tells the second's to quit (SIGQUIT:
# a WARNING to its client, then _exit(2)).  EXPECT rst: both connections end
# with RST (the second's status 2 is not among status:0,1), the second's
# client gets the WARNING, then ECONNRESET; fin (the control): two FINs.
sibling_case() {
	local name=$1 port=$2 expect=$3 c1 c2 b1 b2 why=""
	shift 3
	case_start "$name" "$port" "$@" || return
	ac_bg c1 "$AC_TMP/$name.client1" "$AC_TMP/$name.cerr1" "$PY" "$CLIENT" "$port" 0 0 idle "$AC_TMP/$name.gate"
	ac_bg c2 "$AC_TMP/$name.client" "$AC_TMP/$name.cerr" "$PY" "$CLIENT" "$port" 0 0 idle "$AC_TMP/$name.gate"
	if b1=$(wait_for_line "$AC_TMP/$name.client1" '^PROGRESS ' 20 "$c1") &&
		b2=$(wait_for_line "$AC_TMP/$name.client" '^PROGRESS ' 20 "$c2"); then
		kill -KILL "${b1#PROGRESS }"
		# the second backend is gone once the postmaster has restarted
		wait_for_line "$AC_TMP/$name.err" 'all server processes terminated' 20 "$PG_PID" >/dev/null ||
			why="the postmaster did not end its other backends: $(tail -c 300 "$AC_TMP/$name.err")"
	else
		why="the sessions never started: $(head -c 200 "$AC_TMP/$name.cerr1") $(head -c 200 "$AC_TMP/$name.cerr")"
	fi
	touch "$AC_TMP/$name.gate"
	ac_wait "$c1" 30
	ac_wait "$c2" 30
	capture_stop || echo "  capture incomplete"
	local first notice rst fin ev
	first=$(field "$AC_TMP/$name.client" first) notice=$(field "$AC_TMP/$name.client" notice)
	rst=$(count_rst_from server "$port") fin=$(count_fin_from server "$port")
	ev="the quitting backend's client: first=$first notice=$notice; from server: RST=$rst FIN=$fin"
	if [ -z "$why" ]; then
		case $expect in
		rst) [ "$first" = ECONNRESET ] && [ "$notice" = 1 ] && [ "$rst" -ge 2 ] && [ "$fin" = 0 ] ||
			why="want the WARNING, then ECONNRESET; RST on both connections, no FIN" ;;
		fin) [ "$first" = EOF ] && [ "$notice" = 1 ] && [ "$fin" -ge 2 ] && [ "$rst" = 0 ] ||
			why="want the WARNING, then EOF; FIN on both connections, no RST (the control)" ;;
		esac
	fi
	if [ -n "$why" ]; then fail "$name" "$why [$ev; wire: $(wire_summary "$port")]"; else pass "$name ($expect: $ev)"; fi
	pg_stop
}
sibling_case postgres-crash-ends-the-others-status-0-1 23746 rst ABORTCLOSE_ON_EXIT=status:0,1
sibling_case postgres-crash-ends-the-others-off 23747 fin ABORTCLOSE=off

# --- 100 sessions ----------------------------------------------------------------
port=23748
name=postgres-load
if case_start "$name" "$port"; then
	ok=0 bad=""
	for i in $(seq 100); do
		with_timeout 30 "$PY" "$CLIENT" "$port" 200 1000 full >"$AC_TMP/$name.$i" 2>&1
		if [ "$(field "$AC_TMP/$name.$i" complete)" = 1 ] && [ "$(field "$AC_TMP/$name.$i" first)" = EOF ]; then
			ok=$((ok + 1))
		else
			bad="${bad:-session $i: $(head -c 200 "$AC_TMP/$name.$i")}"
		fi
	done
	capture_stop || echo "  capture incomplete"
	rst=$(count_rst_from server "$port") fin=$(count_fin_from server "$port")
	ev="sessions=100 exact-and-EOF=$ok; from server: RST=$rst FIN=$fin"
	if [ "$ok" = 100 ] && [ "$rst" = 0 ] && [ "$fin" -ge 100 ]; then
		pass "$name ($ev)"
	else
		fail "$name" "$ev ${bad}"
	fi
	pg_stop
fi
ac_finish
