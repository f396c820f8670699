#!/bin/bash
# test/run-all.sh [unit|integration|all|AREA] - the runner behind `make check`.
#
# Builds nothing (make check has built everything).  Runs, one at a time:
#   unit         build/unit/run-unit (the check unit tests; summary printed)
#   integration  every executable test/*/*.sh (sorted; test/unit, test/progs,
#                test/soak, test/fuzz excluded: soak has `make soak`), each
#                under a timeout (AC_TEST_TIMEOUT, default 300 s); then the
#                sanitizer run: a subset of them again with the ASan+UBSan
#                build of the library (build/asan/libabortclose.so)
#   all          both (default)
#   AREA         the scripts of test/AREA only (e.g. paths: make check-paths)
# A test script exits 0 (pass), 77 (skip) or anything else (fail).  One line
# per test: PASS/FAIL/SKIP name (seconds).  A script's own sub-case lines are
# shown when they are not "  PASS ..." (all of them with AC_VERBOSE=1).
# The last line is exactly "N passed, M failed" (", K skipped" when some
# were); exit 1 when anything failed.
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
WHAT=${1:-all}
TIMEOUT=${AC_TEST_TIMEOUT:-300}
PASSED=0
FAILED=0
SKIPPED=0
FAILED_NAMES=()

case $WHAT in
unit | integration | all) ;;
*)
	if [ ! -d "test/$WHAT" ] || [ "$WHAT" != "${WHAT#*/}" ]; then
		echo "usage: test/run-all.sh [unit|integration|all|AREA]  (AREA: a directory of test/, e.g. paths)" >&2
		exit 2
	fi
	;;
esac

# A checkout path with ' ' or ':' cannot be carried by LD_PRELOAD: the tests
# then preload from one space-free copy of build/ made here for the whole
# run (test/lib.sh uses AC_STAGED_BUILD; the wrapper itself copes on its own).
case $ROOT in
*[[:space:]:]*)
	AC_STAGED_BUILD=$(mktemp -d /tmp/abortclose-build.XXXXXX) || exit 1
	trap 'rm -rf "$AC_STAGED_BUILD"' EXIT
	chmod 0755 "$AC_STAGED_BUILD"
	cp -R build/. "$AC_STAGED_BUILD/" || exit 1
	export AC_STAGED_BUILD
	echo "(checkout path has a space or ':': tests preload from a copy of build/ in $AC_STAGED_BUILD)"
	;;
esac

# verdict NAME STATUS SECONDS
verdict() {
	case $2 in
	0)
		PASSED=$((PASSED + 1))
		echo "PASS $1 ($3 s)"
		;;
	77)
		SKIPPED=$((SKIPPED + 1))
		echo "SKIP $1"
		;;
	124 | 137)
		FAILED=$((FAILED + 1))
		FAILED_NAMES+=("$1")
		echo "FAIL $1 (timeout after $TIMEOUT s)"
		;;
	*)
		FAILED=$((FAILED + 1))
		FAILED_NAMES+=("$1")
		echo "FAIL $1 (exit $2, $3 s)"
		;;
	esac
}

# run_one NAME CMD...: run with the timeout, filter its output, give a verdict.
run_one() {
	local name=$1 st=0 t0 out
	shift
	t0=$SECONDS
	out=$(mktemp)
	timeout -k 10 "$TIMEOUT" "$@" </dev/null >"$out" 2>&1 || st=$?
	if [ "${AC_VERBOSE:-0}" = 1 ]; then
		cat "$out"
	else
		grep -v '^  PASS ' "$out"
	fi
	rm -f "$out"
	verdict "$name" "$st" $((SECONDS - t0))
}

run_unit() {
	local runner="$ROOT/build/unit/run-unit"
	if [ -x "$runner" ]; then
		# check prints "100%: Checks: N, Failures: 0, Errors: 0"; CK_FORK
		# (default) isolates a crashing test.
		run_one unit "$runner"
	elif compgen -G "test/unit/*.c" >/dev/null; then
		echo "  build/unit/run-unit missing although test/unit/*.c exist (run make)"
		verdict unit 1 0
	else
		verdict unit 77 0
	fi
}

integration_scripts() {
	local f dir
	for f in test/*/*.sh; do
		dir=${f#test/}
		dir=${dir%%/*}
		case $dir in unit | progs | soak | fuzz) continue ;; esac
		[ -f "$f" ] && [ -x "$f" ] && echo "$f"
	done | LC_ALL=C sort
}

run_integration() {
	local f
	while read -r f; do
		run_one "$f" bash "$f"
	done < <(integration_scripts)
}

# The sanitizer run: the same scenarios with the ASan+UBSan library.  The
# sanitizer runtime must come first in LD_PRELOAD (the victims are not
# instrumented).  It can fail three ways: a sanitizer report on a victim's
# stderr (run_tcp_case rejects any stderr), a victim that dies of a report
# (wrong exit status, RST where FIN was due), and a library that did not
# load ("cannot be preloaded", or FIN where the crash cases want RST).
# Paths under test/.  The fork and SCM_RIGHTS cases cover the ledger
# (shim/ledger.c, holders.c).  Not the C++ unwinding tests: libasan preloaded
# into an uninstrumented C++ program reports its own __cxa_throw interceptor
# (stack-use-after-scope in sigaltstack), whatever the library does.
ASAN_SUBSET="integration/core_deaths_server.sh integration/core_deaths_client.sh integration/core_graceful.sh
integration/core_exit_policy.sh integration/core_nontcp.sh fdpaths/fork.sh fdpaths/scm.sh"
run_asan() {
	local lib="$ROOT/build/asan/libabortclose.so" rt t
	rt=$(gcc -print-file-name=libasan.so 2>/dev/null)
	if [ ! -f "$lib" ] || [ ! -f "$rt" ]; then
		if [ "${CI:-}" = true ]; then
			echo "  ASan library or runtime missing ($lib, ${rt:-libasan.so}): make build/asan/libabortclose.so"
			verdict "asan" 1 0
		else
			echo "  (no $lib: make build/asan/libabortclose.so to run the sanitizer run)"
			verdict "asan" 77 0
		fi
		return
	fi
	# The build really is instrumented (a Makefile change that dropped the
	# -fsanitize flags would otherwise turn this run into a plain re-run).
	if nm -D --undefined-only "$lib" | grep -q __asan_report &&
		nm -D --undefined-only "$lib" | grep -q __ubsan_handle; then
		verdict "asan:instrumented" 0 0
	else
		echo "  $lib has no __asan_report/__ubsan_handle references: not an ASan+UBSan build"
		verdict "asan:instrumented" 1 0
	fi
	for t in $ASAN_SUBSET; do
		[ -x "test/$t" ] || continue
		run_one "asan:test/$t" env AC_LIB_UNDER_TEST="$lib" AC_PRELOAD_PREFIX="$rt" \
			ASAN_OPTIONS="detect_leaks=1:halt_on_error=1" UBSAN_OPTIONS="print_stacktrace=1" \
			bash "test/$t"
	done
}

# The policy parser under libFuzzer (ASan+UBSan), for a bounded time: any
# crash, leak or sanitizer report fails it (test/fuzz/run.sh).  30 s here
# (about 190,000 inputs from the seed corpus), to keep make check
# near 10 minutes; make check-fuzz runs 60 s, FUZZ_SECONDS=N either.
run_fuzz() {
	if ! command -v clang >/dev/null 2>&1; then
		if [ "${CI:-}" = true ]; then
			echo "  clang missing: sh scripts/install-deps.sh"
			verdict fuzz 1 0
		else
			verdict fuzz 77 0
		fi
		return
	fi
	run_one "fuzz:policy (${FUZZ_SECONDS:-30} s)" bash test/fuzz/run.sh "${FUZZ_SECONDS:-30}"
}

# One area (make check-paths: test/paths): its executable scripts only.
run_area() {
	local f
	for f in "test/$1"/*.sh; do
		[ -f "$f" ] && [ -x "$f" ] && run_one "$f" bash "$f"
	done
}

T0=$SECONDS
case $WHAT in
unit) run_unit ;;
integration)
	run_integration
	run_asan
	;;
all)
	run_unit
	run_integration
	run_asan
	run_fuzz
	;;
*) run_area "$WHAT" ;;
esac

[ "$FAILED" -eq 0 ] || echo "failed: ${FAILED_NAMES[*]}"
echo "runtime: $((SECONDS - T0)) s"
summary="$PASSED passed, $FAILED failed"
[ "$SKIPPED" -eq 0 ] || summary="$summary, $SKIPPED skipped"
echo "$summary"
[ "$FAILED" -eq 0 ]
