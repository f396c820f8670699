#!/bin/bash
# tsan.sh - ThreadSanitizer over the library.  Builds the library and the
# threaded stress program (test/progs/rel_stress.c: 8 threads creating,
# dup'ing and closing sockets on one listener, so an accept() in one thread
# keeps returning the fd number another thread just closed) with
# -fsanitize=thread into build/tsan/, and runs it with the TSan runtime
# preloaded first.  Must end with no report; the suppressions and their
# reason are in test/reliability/tsan.supp.  The stress program's own checks
# (every fresh socket armed {1,0} in the kernel, the program's view {0,0})
# must hold too.  Listener port 23600.
. "$(dirname "$0")/../lib.sh"
need_tool gcc
cd "$AC_ROOT" || exit 1
rt=$(gcc -print-file-name=libtsan.so)
if [ ! -f "$rt" ]; then
	in_ci && { echo "  FAIL: libtsan.so missing (apt-get install libgcc-12-dev)"; exit 1; }
	skip "libtsan.so missing"
fi
B="$AC_BUILD/tsan"
mkdir -p "$B"
# The Makefile's SHIM_CFLAGS/SHIM_LDFLAGS, with -fsanitize=thread.
if ! gcc -O1 -g -fsanitize=thread -Wall -Wextra -Werror -Wshadow -std=gnu11 -fPIC \
	-fvisibility=hidden -ftls-model=initial-exec -fno-strict-aliasing -D_GNU_SOURCE \
	-DAC_VERSION='"tsan"' -Ipolicy -Ishim -o "$B/libabortclose.so" shim/*.c shim/*.S policy/*.c \
	-shared -Wl,-z,relro,-z,now -Wl,--no-undefined -ldl 2>"$AC_TMP/build.err" ||
	! gcc -O1 -g -fsanitize=thread -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE \
		-o "$B/rel_stress" test/progs/rel_stress.c -lpthread 2>>"$AC_TMP/build.err"; then
	fail tsan-build "$(head -c 400 "$AC_TMP/build.err")"
	ac_finish
fi

# TSAN_OPTIONS splits at ' ' and ':': the suppressions file from AC_TMP, not
# from a checkout path that may hold them.
cp "$AC_ROOT/test/reliability/tsan.supp" "$AC_TMP/tsan.supp"

# run_stress [PREFIX...]: the stress program under the TSan library.
run_stress() {
	with_timeout 240 "$@" env \
		TSAN_OPTIONS="halt_on_error=0 exitcode=66 suppressions=$AC_TMP/tsan.supp" \
		LD_PRELOAD="$rt $B/libabortclose.so" "$B/rel_stress" "${REL_STRESS_ITERS:-3000}" \
		>"$AC_TMP/tsan.out" 2>&1
}
st=0
run_stress || st=$?
# Newer kernels randomise mmap beyond what gcc 12's TSan expects: retry
# without address-space randomisation.
if grep -q "unexpected memory mapping" "$AC_TMP/tsan.out"; then
	st=0
	run_stress setarch "$(uname -m)" -R || st=$?
fi
reports=$(grep -c "WARNING: ThreadSanitizer" "$AC_TMP/tsan.out")
summary=$(grep -m1 '^rel_stress:' "$AC_TMP/tsan.out")
if [ "$st" = 0 ] && [ "$reports" = 0 ] && [ -n "$summary" ]; then
	pass "tsan-stress ($summary; 0 TSan reports)"
else
	grep -A25 -m3 "WARNING: ThreadSanitizer" "$AC_TMP/tsan.out" | head -80 | sed 's/^/    /'
	fail tsan-stress "exit $st, $reports TSan reports; ${summary:-no summary line}"
fi
ac_finish
