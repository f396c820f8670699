#!/usr/bin/env bash
# bench/pg-rows.sh - issue 10's "a forking server with 1,000 live sessions
# accepts new connections as fast as without the library", asked of the
# fork-per-connection server the issue names: PostgreSQL 15 (Debian's), run
# as the postgres user from a cluster of its own, in the foreground.  Called
# by bench/fork-rows.sh (make bench); alone: bash bench/pg-rows.sh.
#
# Per round and mode a fresh postmaster (in a fresh network namespace when
# unshare -n works); the client (bench/pg_connect.py) starts N sessions and
# keeps them, then times M new sessions one after the other, connect() to
# the EOF after Terminate: the postmaster's accept + fork + close of its
# copy, the backend's start and end.  Modes, interleaved round by round:
# A no library, B the library (the postmaster and so every backend).
# Ratio: median B / median A, and the median of the per-round B/A with its
# 95 % confidence interval; the same for the CPU time of the postmaster and
# the backends it reaped (steadier than the wall clock).  Never asserted.
#
# Knobs: BENCH_PG_NS ("10 100 1000"), BENCH_PG_ROUNDS (15), BENCH_PG_M (200),
# ABORTCLOSE_LIB.  Port 22170.  Needs root (the postgres user) and
# postgresql-15 (scripts/install-deps.sh); skipped with a line otherwise.
set -u
export LC_ALL=C
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
LIB=${ABORTCLOSE_LIB:-$ROOT/build/libabortclose.so}
NS=${BENCH_PG_NS-10 100 1000}
ROUNDS=${BENCH_PG_ROUNDS:-15}
M=${BENCH_PG_M:-200}
PORT=22170
PGBIN=/usr/lib/postgresql/15/bin
PY=$(command -v /usr/bin/python3 || command -v python3)
[ -n "$NS" ] || exit 0
if [ "$(id -u)" != 0 ] || [ ! -x "$PGBIN/postgres" ] || ! id postgres >/dev/null 2>&1 || [ -z "$PY" ]; then
	echo "   (PostgreSQL rows skipped: they need root, the postgres user and postgresql-15)"
	exit 0
fi
[ -f "$LIB" ] || { echo "bench: $LIB not built" >&2; exit 1; }

# Everything the postgres user reads is in a directory of its own, readable
# by it (the checkout may be under root's mode-700 home).
W=$(mktemp -d /tmp/acbench-pg.XXXXXX)
trap 'rm -rf "$W"' EXIT
chmod 755 "$W"
cp "$LIB" "$W/libabortclose.so" && cp bench/pg_connect.py "$W/" && chmod 644 "$W/libabortclose.so" "$W/pg_connect.py"
mkdir "$W/data" "$W/run" && chown postgres: "$W/data" "$W/run" && chmod 700 "$W/data"
if ! runuser -u postgres -- "$PGBIN/initdb" -D "$W/data" -A trust -U postgres --no-sync >"$W/initdb.out" 2>&1; then
	echo "bench: initdb failed: $(tail -c 300 "$W/initdb.out")" >&2
	exit 1
fi
OUT=$W/rounds
: >"$OUT"

NETNS=0
unshare -n true 2>/dev/null && NETNS=1
# one_round MODE N -> "MODE N n=.. real_ns=.."
one_round() {
	local mode=$1 n=$2 pre=""
	[ "$mode" = B ] && pre="LD_PRELOAD=$W/libabortclose.so"
	# The postmaster's fast shutdown (SIGINT) ends its backends; at most
	# 30 s, then SIGKILL of what this round started (by pid).
	local script='[ "$NETNS" = 1 ] && ip link set lo up
		log=$W/pg.$$.log
		runuser -u postgres -- env $PRE "$PGBIN/postgres" -D "$W/data" -p "$PORT" -k "$W/run" \
			-c listen_addresses=127.0.0.1 -c max_connections=$((N + 20)) -c shared_buffers=16MB \
			-c fsync=off -c logging_collector=off >"$log" 2>&1 & pg=$!
		for i in $(seq 300); do grep -q "ready to accept connections" "$log" 2>/dev/null && break; sleep 0.05; done
		timeout 600 "$PY" "$W/pg_connect.py" "$PORT" "$N" "$M" "$W/data/postmaster.pid"
		pm=$(head -1 "$W/data/postmaster.pid" 2>/dev/null)
		[ -n "$pm" ] && kill -INT "$pm" 2>/dev/null
		for i in $(seq 600); do kill -0 $pg 2>/dev/null || break; sleep 0.05; done
		[ -n "$pm" ] && kill -9 "$pm" 2>/dev/null
		wait $pg 2>/dev/null
		rm -f "$log"'
	local r
	if [ "$NETNS" = 1 ]; then
		r=$(NETNS=1 W=$W PGBIN=$PGBIN PY=$PY PORT=$PORT N=$n M=$M PRE=$pre unshare -n bash -c "$script")
	else
		r=$(NETNS=0 W=$W PGBIN=$PGBIN PY=$PY PORT=$PORT N=$n M=$M PRE=$pre bash -c "$script")
	fi
	[ -n "$r" ] && printf '%s %s %s\n' "$mode" "$n" "$r"
}

. "$ROOT/bench/lib-stats.sh"
vals() { awk -v m="$1" -v n="$2" -v k="$3" '$1 == m && $2 == n { for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }' "$OUT"; }
ratios() { paste <(vals B "$1" "$2") <(vals A "$1" "$2") | awk '$2 > 0 { print $1 / $2 }'; }

echo "   PostgreSQL 15, the postmaster forking a backend per connection (bench/pg-rows.sh), N live sessions;"
echo "   the client times M=$M new sessions one after the other, connect to the EOF after Terminate"
echo "   ($ROUNDS rounds, interleaved: A none, B the library):"
for r in $(seq "$ROUNDS"); do
	for n in $NS; do
		for mode in A B; do
			one_round "$mode" "$n" >>"$OUT" || echo "bench: postgres round $mode N=$n failed" >&2
		done
	done
done
ROWS=""
for n in $NS; do
	a=$(vals A "$n" real_ns | median) b=$(vals B "$n" real_ns | median) pr=$(ratios "$n" real_ns | median)
	read -r lo hi < <(ratios "$n" real_ns | ci)
	ua=$(vals A "$n" cpu_ns | median) ub=$(vals B "$n" cpu_ns | median) ur=$(ratios "$n" cpu_ns | median)
	read -r ulo uhi < <(ratios "$n" cpu_ns | ci)
	ROWS="$ROWS${ROWS:+, }{\"n\": $n, \"real_ns_A\": $a, \"real_ns_B\": $b, \"real_ratio\": $pr, \"cpu_ns_A\": $ua, \"cpu_ns_B\": $ub, \"cpu_ratio\": $ur}"
	awk -v n="$n" -v a="$a" -v b="$b" -v pr="$pr" -v lo="$lo" -v hi="$hi" -v k="$(vals A "$n" real_ns | wc -l)" \
	    -v ua="$ua" -v ub="$ub" -v ur="$ur" -v ulo="$ulo" -v uhi="$uhi" 'BEGIN {
		printf "   N=%-5d postgres: A %7.0f  B %7.0f us per new session   B/A x%.3f (per-round x%.3f [%.3f-%.3f], %d rounds)\n",
			n, a / 1000, b / 1000, (a > 0 ? b / a : 0), pr, lo, hi, k
		printf "           cpu:      A %7.0f  B %7.0f us per new session   B/A x%.3f (per-round x%.3f [%.3f-%.3f])\n",
			ua / 1000, ub / 1000, (ua > 0 ? ub / ua : 0), ur, ulo, uhi }'
done
echo "   (cpu: user + system time of the postmaster and the backends it reaped, per new session)"
printf '{"m": %s, "rounds": %s, "rows": [%s]}\n' "$M" "$ROUNDS" "$ROWS" >"$ROOT/build/bench-pg.json"
