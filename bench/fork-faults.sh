#!/usr/bin/env bash
# bench/fork-faults.sh [N] [M] - page faults per fork of bench_fork's
# forking server (bench/fork.c), without and with the library: the number
# that does not move with the machine's load, beside the timed rows of
# bench/fork-rows.sh.  Counts every page fault of the server and of its
# handlers (perf record -e page-faults -c 1), the parent's per fork and the
# handlers' per handler, and lists the library's own faults in the parent
# (stack pages it writes deeper than the program does: a copy-on-write fault
# after every fork), then how deep below its caller each call of the cycle
# writes the stack (bench/stackdepth.c).  Needs perf and unshare -n (root).
# Ports 22101, 22103.
#   N  live sessions (20), M  measured connections (300)
set -u
cd "$(dirname "$0")/.." || exit 1
N=${1:-20}
M=${2:-300}
LIB=${ABORTCLOSE_LIB:-$PWD/build/libabortclose.so}
BIN=build/bench/bench_fork
command -v perf >/dev/null || { echo "fork-faults: perf not installed (linux-perf)" >&2; exit 1; }
[ -x "$BIN" ] || bash bench/fork-rows.sh >/dev/null 2>&1 </dev/null # builds it (BENCH_FORK_NS=... would limit it)
[ -x "$BIN" ] && [ -f "$LIB" ] || { echo "fork-faults: build first (make; bench/fork-rows.sh)" >&2; exit 1; }
tmp=$(mktemp -d /tmp/acfaults.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
for mode in A B; do
	pre=()
	[ $mode = B ] && pre=("LD_PRELOAD=$LIB")
	unshare -n bash -c '
		ip link set lo up
		perf record -q -e page-faults -c 1 -d -o "$1/perf.data" env "${@:5}" "$2" server 22101 "$3" "$4" >"$1/srv" 2>&1 &
		for i in $(seq 100); do grep -q READY "$1/srv" 2>/dev/null && break; sleep 0.05; done
		"$2" client 22101 "$3" "$4" >/dev/null 2>&1
		wait' faults "$tmp" "$BIN" "$N" "$M" "${pre[@]}" || { echo "fork-faults: run failed" >&2; exit 1; }
	perf script -i "$tmp/perf.data" -F pid,addr,ip,sym,dso 2>/dev/null >"$tmp/$mode.txt"
	awk -v m="$mode" -v forks="$((N + M))" '
		{ n[$1]++; line[NR] = $0; pid[NR] = $1 }
		END {
			for (p in n) if (n[p] > top) { top = n[p]; parent = p }
			procs = 0; for (p in n) procs++
			printf "%s  parent %.2f faults per fork   handlers %.2f faults each   (%d processes)\n",
				m == "A" ? "no library " : "the library", top / forks, (NR - top) / (procs - 1), procs
			if (m == "B")
				for (i = 1; i <= NR; i++)
					if (pid[i] == parent && line[i] ~ /\[stack\]/ && line[i] ~ /abortclose/) s++
			if (m == "B") printf "             the library'"'"'s stack faults in the parent: %d\n", s
		}' "$tmp/$mode.txt"
done
# The stack each call writes below its caller (bytes; after a fork every page
# the parent writes is a copy-on-write fault: what the library writes below
# the program's own post-fork depth is a fault in the layouts where that
# crosses a page boundary).
SD=build/bench/stackdepth
if [ ! -x "$SD" ] || [ bench/stackdepth.c -nt "$SD" ]; then
	${CC:-gcc} -O2 -g -std=gnu11 -D_GNU_SOURCE -o "$SD" bench/stackdepth.c || exit 1
fi
unshare -n bash -c 'ip link set lo up
	printf "stack below the caller, no library:  %s\n" "$("$1" 22103)"
	printf "stack below the caller, the library: %s\n" "$(LD_PRELOAD="$2" "$1" 22103)"' depth "$SD" "$LIB"
