#!/bin/bash
# test/soak/run.sh - `make soak`: the long reliability soak, bounded.
#
#   1. crash soak: 1,000 trials (REL_CRASH_TRIALS) of a server under the
#      library dying at a random moment while streaming (SIGKILL at a random
#      byte or time, SIGSEGV, exit(1)), then the same 1,000 with
#      ABORTCLOSE=off; the client's first observation is tallied.
#      Target: 100% ECONNRESET with the library, 100% EOF without.
#   2. graceful soak: 20 rounds (REL_GRACEFUL_ROUNDS) x 200 concurrent
#      connections x 1 MiB, closed on purpose, from a threaded and from a
#      forking server under the library.  Target: 0 bytes lost, 0 RST.
# Each driver runs in its own network namespace (root), so the kernel's RST
# counters are this soak's alone.  Prints the tables and a verdict; exit 1
# if any target is missed.  Ports 23000 (crash), 23100-23101 (graceful).
set -u
cd "$(dirname "$0")/../.." || exit 1
LIB=${AC_LIB_UNDER_TEST:-build/libabortclose.so}
BIN=build/test
for f in "$LIB" "$BIN/rel_crash" "$BIN/rel_graceful"; do
	[ -e "$f" ] || { echo "soak: $f missing (run make)"; exit 1; }
done
FAILED=()
T0=$SECONDS

echo "== crash soak =="
timeout -k 5 600 "$BIN/rel_crash" soak --lib "$LIB" --port 23000 --trials "${REL_CRASH_TRIALS:-1000}" ||
	FAILED+=("crash soak")

for mode in thread fork; do
	port=23100
	[ "$mode" = fork ] && port=23101
	echo
	echo "== graceful soak: $mode server =="
	timeout -k 5 600 "$BIN/rel_graceful" soak --lib "$LIB" --server "$mode" --port "$port" \
		--rounds "${REL_GRACEFUL_ROUNDS:-20}" --conns 200 --bytes 1048576 || FAILED+=("graceful soak ($mode)")
done

echo
echo "soak runtime: $((SECONDS - T0)) s"
if [ "${#FAILED[@]}" -eq 0 ]; then
	echo "SOAK PASS"
	exit 0
fi
echo "SOAK FAIL: ${FAILED[*]}"
exit 1
