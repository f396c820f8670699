#!/bin/bash
# fork-load.sh - a fork-per-connection server under load (issue 10): 3,000
# connections, 16 at a time; the server forks a handler per connection and
# closes its copy at once, every 5th handler forks a helper that closes its
# copy, and the handlers end on purpose (close, shutdown+close, exit(0) with
# the socket open) while siblings are live.  Wanted: every connection gets
# exactly its payload then EOF, and no abort in the kernel's counters (a
# private network namespace: TcpExtTCPAbortOnClose/OnData/OnLinger = 0).
# Ports 22050-22059.
. "$(dirname "$0")/lib-fd.sh"
LOAD="$AC_BIN/fd_forkload"
need_lib "$LOAD"
if ! unshare -n true 2>/dev/null || ! command -v nstat >/dev/null; then
	in_ci && { echo "  FAIL: unshare -n / nstat not usable (required in CI)"; exit 1; }
	skip "needs unshare -n and nstat"
fi
d="$AC_TMP/load"
mkdir -p "$d"
COUNTERS="TcpExtTCPAbortOnClose TcpExtTCPAbortOnData TcpExtTCPAbortOnLinger TcpActiveOpens"
with_timeout 150 unshare -n bash -c '
	ip link set lo up || exit 3
	env LD_PRELOAD="$1" ABORTCLOSE_STATS=1 "$2" server --port 22050 --conns 3000 >"$3/server.out" 2>"$3/server.err" &
	s=$!
	for i in $(seq 100); do grep -q "^READY" "$3/server.out" 2>/dev/null && break; sleep 0.05; done
	"$2" client --port 22050 --conns 3000 --parallel 16 >"$3/client.out" 2>"$3/client.err"
	echo "client=$?" >>"$3/client.out"
	wait $s
	echo "server=$?" >>"$3/client.out"
	nstat -asz '"$COUNTERS"' >"$3/nstat"
' load "$(ac_preload)" "$LOAD" "$d" || true
line=$(grep '^conns=' "$d/client.out" | head -1)
aborts=$(awk '$1 ~ /^TcpExtTCPAbortOn/ { s += $2 } END { print s + 0 }' "$d/nstat" 2>/dev/null)
detail=$(awk '$1 ~ /^Tcp/ { printf "%s=%s ", $1, $2 }' "$d/nstat" 2>/dev/null)
problem=$(grep -hv 'libabortclose\[[0-9]*\]: stats:' "$d/server.err" "$d/client.err" | head -c 300)
why=""
grep -q '^client=0' "$d/client.out" || why="client: ${line:-no result} $(head -c 200 "$d/client.err")"
grep -q '^server=0' "$d/client.out" || why="${why:+$why; }server status: $(grep '^server=' "$d/client.out")"
[ -z "$problem" ] || why="${why:+$why; }stderr: $problem"
[ "${aborts:-x}" = 0 ] || why="${why:+$why; }aborts: $detail"
if [ -n "$why" ]; then
	fail fork-per-connection-under-load "$why"
else
	pass "fork-per-connection-under-load ($line; $detail)"
fi
ac_finish
