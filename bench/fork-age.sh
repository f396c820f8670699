#!/usr/bin/env bash
# bench/fork-age.sh [AGES] - does a forking server's cost per connection grow
# with how long it has been forking?  bench_fork (bench/fork.c) first forks
# AGE children that exit at once, then runs its N live sessions and times M
# new connections (accept + fork + close at the parent, the handler's own
# close).  Without the library (A) and with it (B), for each AGE.  Fork
# epochs (shim/state.h) were 20-bit and saturated after about 500,000 forks
# of one process; from then on each close listed every child in /proc
# (parent 8.1 ms per connection instead of 0.12 ms at N = 100).  Not part
# of `make bench`: an AGE of 600,000 takes 2 to 4 minutes per run here.
# Never asserted.  Root (unshare -n).  Port 22104.
#   AGES ("0 600000"), BENCH_AGE_N (100), BENCH_AGE_M (200), ABORTCLOSE_LIB
set -u
export LC_ALL=C
cd "$(dirname "$0")/.." || exit 1
AGES=${1:-0 600000}
N=${BENCH_AGE_N:-100}
M=${BENCH_AGE_M:-200}
LIB=${ABORTCLOSE_LIB:-$PWD/build/libabortclose.so}
BIN=build/bench/bench_fork
[ -x "$BIN" ] && [ "$BIN" -nt bench/fork.c ] || BENCH_FORK_NS= BENCH_FORK_PY_NS= bash bench/fork-rows.sh >/dev/null 2>&1 </dev/null
[ -x "$BIN" ] && [ -f "$LIB" ] || { echo "fork-age: build first (make)" >&2; exit 1; }
printf '%-9s %-4s %12s %12s %12s\n' age mode parent_us handler_us cpu_us
for age in $AGES; do
	for mode in A B; do
		pre=()
		[ $mode = B ] && pre=("LD_PRELOAD=$LIB")
		line=$(unshare -n bash -c '
			ip link set lo up
			ulimit -n "$(ulimit -Hn)"
			"$1" client 22104 "$2" "$3" >/dev/null 2>&1 &
			c=$!
			env "${@:5}" "$1" server 22104 "$2" "$3" "$4" | grep "^n="
			wait $c' age "$BIN" "$N" "$M" "$age" "${pre[@]}")
		read -r parent handler cpu < <(echo "$line" |
			sed -n 's/.*parent_ns=\([0-9]*\) child_close_ns=\([0-9]*\) cpu_ns=\([0-9]*\).*/\1 \2 \3/p')
		printf '%-9s %-4s %12.1f %12.1f %12.1f\n' "$age" "$mode" "$((parent))e-3" "$((handler))e-3" "$((cpu))e-3"
	done
done
