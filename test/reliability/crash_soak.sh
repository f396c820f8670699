#!/bin/bash
# crash_soak.sh - the crash soak, small: 100 trials in which a server under
# the library streams to a client and dies at a random moment (SIGKILL at a
# random byte or time, a real SIGSEGV, exit(1)); the client must see
# ECONNRESET every time.  The same 100 trials with ABORTCLOSE=off (the
# control) must all end in a clean EOF, or the test does not discriminate.
# `make soak` runs 1,000 (test/soak/run.sh).  Driver: test/progs/rel_crash.c.
# Runs in a private network namespace (root), which also isolates the
# kernel's RST counters it reports.  Port 23000.
. "$(dirname "$0")/../lib.sh"
need_lib "$AC_BIN/rel_crash"

out="$AC_TMP/crash.out"
st=0
with_timeout 120 "$AC_BIN/rel_crash" soak --lib "$AC_LIB" --port 23000 --trials "${REL_CRASH_TRIALS:-100}" \
	>"$out" 2>&1 || st=$?
[ "$st" = 0 ] || sed "s/^/    /" "$out"
case $st in
0) pass "crash-soak: $(grep -m1 '^RESULT' "$out")" ;;
77)
	in_ci && { fail crash-soak "no private network namespace (unshare CLONE_NEWNET needs root)"; ac_finish; }
	skip "no private network namespace (needs root)"
	;;
*) fail crash-soak "$(grep -m1 '^RESULT' "$out" || echo "driver exit $st")" ;;
esac
ac_finish
