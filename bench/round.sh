#!/usr/bin/env bash
# bench/round.sh - one measured round: start bench_server, wait for READY,
# run bench_client, collect both outputs.  Called by bench/run.sh, normally
# inside a fresh network namespace (`unshare -n`) so that every round starts
# with an empty TIME_WAIT table and untouched counters.
#
# Parameters come from the environment (set by run.sh):
#   R_BIN      directory holding bench_server / bench_client
#   R_KIND     churn | bulk
#   R_PORT     TCP port (26000-26999)
#   R_N        churn: timed connections; bulk: bytes
#   R_WARMUP   churn: untimed connections first (default 0)
#   R_SRV_LIB  library preloaded into the server ("" = none)
#   R_CLI_LIB  library preloaded into the client ("" = none)
#   R_HAND     1 = server sets SO_LINGER by hand (configuration D)
#   R_SRV_ENV  extra VAR=VALUE words for the server (e.g. the keepalive
#              settings), with its library
#   R_STRACE   directory: run each side under `strace -f -c`, summaries go to
#              R_STRACE/server.txt and R_STRACE/client.txt
#   R_CALLGRIND directory: run each side under `valgrind --tool=callgrind`
#              (user-space instruction counts): R_CALLGRIND/{server,client}.out
#              and the "Collected : N" lines in R_CALLGRIND/{server,client}.err
#   R_CPUS     split = server on cpu 0, client on cpu 1 (default); same = both
#              on cpu 0; none = not pinned
# Output: the client's result line, then the server's result line.
set -u

if [ "${R_NETNS:-0}" = 1 ]; then
	ip link set lo up || exit 1
fi

tmp=$(mktemp -d /tmp/acbench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

srv_cpu=() cli_cpu=()
case ${R_CPUS:-split} in
split) srv_cpu=(--cpu 0) cli_cpu=(--cpu 1) ;;
same) srv_cpu=(--cpu 0) cli_cpu=(--cpu 0) ;;
esac
srv_args=("$R_PORT" "$R_N")
cli_args=("$R_PORT" "$R_N")
if [ "$R_KIND" = bulk ]; then
	srv_args=("$R_PORT" 0 --bulk "$R_N")
	cli_args=("$R_PORT" 0 --bulk)
else
	srv_args+=(--warmup "${R_WARMUP:-0}")
	cli_args+=(--warmup "${R_WARMUP:-0}")
	[ "${R_HAND:-0}" = 1 ] && srv_args+=(--hand)
fi

# The command prefix of one side, one word per line:
#   strace -f -c -o FILE [-E LD_PRELOAD=lib]     (-E: for the traced program only)
#   env [LD_PRELOAD=lib] valgrind --tool=callgrind --callgrind-out-file=FILE
#   env [LD_PRELOAD=lib]
prefix() { # $1 = lib or "", $2 = server|client
	if [ -n "${R_STRACE:-}" ]; then
		printf '%s\n' strace -f -c -o "$R_STRACE/$2.txt"
		[ -n "$1" ] && printf '%s\n' -E "LD_PRELOAD=$1"
		if [ "$2" = server ] && [ -n "${R_SRV_ENV:-}" ]; then
			for kv in $R_SRV_ENV; do printf '%s\n' -E "$kv"; done
		fi
		return 0
	fi
	printf '%s\n' env
	[ -n "$1" ] && printf '%s\n' "LD_PRELOAD=$1"
	if [ "$2" = server ] && [ -n "${R_SRV_ENV:-}" ]; then
		for kv in $R_SRV_ENV; do printf '%s\n' "$kv"; done
	fi
	if [ -n "${R_CALLGRIND:-}" ]; then
		printf '%s\n' valgrind --tool=callgrind "--callgrind-out-file=$R_CALLGRIND/$2.out" \
			"--log-file=$R_CALLGRIND/$2.err"
	fi
	return 0
}
mapfile -t srv_pre < <(prefix "$R_SRV_LIB" server)
mapfile -t cli_pre < <(prefix "$R_CLI_LIB" client)

timeout 300 "${srv_pre[@]}" "$R_BIN/bench_server" "${srv_args[@]}" "${srv_cpu[@]}" \
	>"$tmp/server.out" 2>"$tmp/server.err" &
spid=$!
ready=0
for _ in $(seq 500); do # up to ~5 s (strace start-up included)
	if grep -q '^READY' "$tmp/server.out" 2>/dev/null; then
		ready=1
		break
	fi
	kill -0 "$spid" 2>/dev/null || break
	sleep 0.01
done
if [ "$ready" != 1 ]; then
	echo "round: server did not become ready: $(head -c 300 "$tmp/server.err")" >&2
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	exit 1
fi
timeout 300 "${cli_pre[@]}" "$R_BIN/bench_client" "${cli_args[@]}" "${cli_cpu[@]}" \
	>"$tmp/client.out" 2>"$tmp/client.err"
crc=$?
if [ "$crc" != 0 ]; then
	echo "round: client failed (rc=$crc): $(head -c 300 "$tmp/client.err")" >&2
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	exit 1
fi
wait "$spid"
src=$?
if [ "$src" != 0 ]; then
	echo "round: server failed (rc=$src): $(head -c 300 "$tmp/server.err")" >&2
	exit 1
fi
cat "$tmp/client.out"
grep -v '^READY' "$tmp/server.out"
exit 0
