#!/bin/bash
# hazards.sh - signals and forks at the worst moments (test/progs/rel_hazards.c):
#   sig-close      a signal handler close()s and creates sockets while the
#                  main thread is inside socket/connect/accept/close;
#   fork-threads   fork() while 4 other threads are inside the library;
#   atfork-signal  a pthread_atfork prepare handler raises a signal whose
#                  handler calls close()/socket(), and a child handler raises
#                  one that closes an inherited socket (socket_wrapper's
#                  fork/signal deadlock).
# No deadlock (each bounded by alarm + timeout), no lost state (kernel-side
# linger of the sockets still held, EOF for those closed on purpose; a
# worker's socket copied into a child by a fork inside its socket/accept is
# given up, each with an info line in the log the program counts).  Each
# runs with the plain and with the ASan+UBSan library; the sig-close mode
# also runs with ABORTCLOSE=off, where its "armed" checks must fail (proof
# that they see the library).  Ports 23501-23503.
. "$(dirname "$0")/../lib.sh"
need_lib "$AC_BIN/rel_hazards"

asan_lib="${AC_ASAN_LIB:-$AC_BUILD/asan/libabortclose.so}"
asan_rt=$(gcc -print-file-name=libasan.so 2>/dev/null)

# run NAME PRELOAD [VAR=VAL...] MODE
run() {
	local name=$1 preload=$2 out="$AC_TMP/$1.out" st=0
	shift 2
	with_timeout 90 env LD_PRELOAD="$preload" ASAN_OPTIONS="detect_leaks=0:halt_on_error=1" \
		ABORTCLOSE_LOG="file:$AC_TMP/$name.log" ABORTCLOSE_LOG_LEVEL=info REL_HAZARDS_LOG="$AC_TMP/$name.log" \
		UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" "${@:1:$#-1}" \
		"$AC_BIN/rel_hazards" "${@: -1}" >"$out" 2>&1 || st=$?
	if [ "$st" = 0 ] && ! grep -qE "Sanitizer|runtime error" "$out"; then
		pass "$name ($(grep -c '^ok' "$out") checks; $(grep -m1 '^info' "$out" | cut -d: -f2-))"
	else
		sed 's/^/    /' "$out" | head -30
		fail "$name" "exit $st: $(grep -m1 -E '^FAIL|Sanitizer|runtime error' "$out" || echo "no verdict (timeout = deadlock?)")"
	fi
}

for mode in sig-close fork-threads atfork-signal; do
	run "$mode" "$AC_PRELOAD" "$mode"
	if [ -f "$asan_lib" ] && [ -f "$asan_rt" ]; then
		run "asan-$mode" "$asan_rt $asan_lib" "$mode"
	elif in_ci; then
		fail "asan-$mode" "ASan library missing (make build/asan/libabortclose.so)"
	fi
done

# Control: without the library the fresh sockets are not armed.
st=0
with_timeout 90 env LD_PRELOAD="$AC_PRELOAD" ABORTCLOSE=off "$AC_BIN/rel_hazards" sig-close \
	>"$AC_TMP/control.out" 2>&1 || st=$?
if grep -q '^FAIL sig-close-new-sockets-armed' "$AC_TMP/control.out"; then
	pass "control-off-detected"
else
	fail control-off-detected "with ABORTCLOSE=off the armed checks still passed (exit $st)"
fi
ac_finish
