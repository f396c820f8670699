#!/usr/bin/env bash
# bench/multi-round.sh - one round of fine-grained interleaving: servers A
# (no library), B (under the library) and D (hand-modified) run at the same
# time on cpu 0, and one plain client on cpu 1 connects to them in turn,
# connection by connection, timing each (bench_client with several ports).
# Called by bench/run.sh inside a fresh network namespace.
#
# Environment: M_BIN, M_PORT (A = M_PORT, B = +1, D = +2), M_N (timed
# connections per server), M_WARMUP, M_LIB ("" = no library: only A and D),
# M_NETNS=1 inside `unshare -n`.
# Output, one line per configuration:
#   MODE rate=R median_ns=M server_cpu_ns_per_conn=C
set -u

if [ "${M_NETNS:-0}" = 1 ]; then
	ip link set lo up || exit 1
fi
tmp=$(mktemp -d /tmp/acbench-multi.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

modes=(A D)
[ -n "$M_LIB" ] && modes=(A B D)
declare -A port_of
ports=""
for m in "${modes[@]}"; do
	case $m in
	A) p=$M_PORT pre=(env) extra=() ;;
	B) p=$((M_PORT + 1)) pre=(env "LD_PRELOAD=$M_LIB") extra=() ;;
	D) p=$((M_PORT + 2)) pre=(env) extra=(--hand) ;;
	esac
	port_of[$m]=$p
	ports=${ports:+$ports,}$p
	timeout 300 "${pre[@]}" "$M_BIN/bench_server" "$p" "$M_N" --warmup "$M_WARMUP" "${extra[@]}" --cpu 0 \
		>"$tmp/$m.out" 2>"$tmp/$m.err" &
	pids+=($!)
done
for m in "${modes[@]}"; do
	ok=0
	for _ in $(seq 500); do
		grep -q '^READY' "$tmp/$m.out" 2>/dev/null && { ok=1; break; }
		sleep 0.01
	done
	if [ "$ok" != 1 ]; then
		echo "multi-round: server $m not ready: $(head -c 300 "$tmp/$m.err")" >&2
		exit 1
	fi
done
if ! timeout 300 "$M_BIN/bench_client" "$ports" "$M_N" --warmup "$M_WARMUP" --cpu 1 >"$tmp/client.out" 2>"$tmp/client.err"; then
	echo "multi-round: client failed: $(head -c 300 "$tmp/client.err")" >&2
	exit 1
fi
for i in "${!pids[@]}"; do
	wait "${pids[$i]}" || { echo "multi-round: a server failed" >&2; exit 1; }
done
pids=()
for m in "${modes[@]}"; do
	rate=$(awk -v p="${port_of[$m]}" '$1 == "port=" p { print $4, $5 }' "$tmp/client.out")
	cpu=$(grep '^server_cpu' "$tmp/$m.out")
	echo "$m $rate $cpu"
done
exit 0
