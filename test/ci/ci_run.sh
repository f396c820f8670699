#!/bin/bash
# .ci/run's contract, with a stand-in `make` first on PATH (the real
# install-deps.sh runs: everything is present once make check runs): it
# runs `make check` (the README's test command), exits non-zero when that
# fails, and its last line is exactly "N passed, M failed" in every case:
# all passed; a test failed (make prints its "Error" line after the
# runner's summary: the summary is repeated); the build failed before the
# runner (no summary: "0 passed, 1 failed").
. "$(dirname "$0")/../lib.sh"
fake=$AC_TMP/bin
mkdir -p "$fake"
# fake_make BODY: a `make` that records its arguments and runs BODY.
fake_make() {
	printf '#!/bin/sh\necho "$*" >>"%s/make.args"\n%s\n' "$AC_TMP" "$1" >"$fake/make"
	chmod +x "$fake/make"
}
# ci_case NAME WANT-STATUS WANT-LAST-LINE
ci_case() {
	local st=0 last
	: >"$AC_TMP/make.args"
	PATH="$fake:$PATH" timeout -k 5 120 bash "$AC_ROOT/.ci/run" >"$AC_TMP/ci.out" 2>&1 </dev/null || st=$?
	last=$(tail -n 1 "$AC_TMP/ci.out")
	if { [ "$2" = 0 ] && [ "$st" = 0 ]; } || { [ "$2" != 0 ] && [ "$st" != 0 ]; }; then
		pass "$1: exit $st"
	else
		fail "$1: exit status" "exit $st, want $2 ($(tail -n 3 "$AC_TMP/ci.out" | tr '\n' '|'))"
	fi
	[ "$last" = "$3" ] && pass "$1: last line [$last]" || fail "$1: last line" "[$last], want [$3]"
	[ "$(cat "$AC_TMP/make.args")" = check ] && pass "$1: ran make check" ||
		fail "$1: ran make check" "make was called with [$(tr '\n' '|' <"$AC_TMP/make.args")]"
}
fake_make 'echo "PASS unit (1 s)"; echo "runtime: 1 s"; echo "7 passed, 0 failed"'
ci_case "all passed" 0 "7 passed, 0 failed"
fake_make 'echo "FAIL x (exit 1, 1 s)"; echo "runtime: 1 s"; echo "6 passed, 1 failed"; echo "make: *** [Makefile:78: check] Error 1" >&2; exit 2'
ci_case "a test failed" 2 "6 passed, 1 failed"
fake_make 'echo "  SUMMARY: 3 passed, 0 failed"; echo "shim/x.c:1: error: boom" >&2; echo "make: *** [Makefile:40: build/libabortclose.so] Error 1" >&2; exit 2'
ci_case "the build failed" 2 "0 passed, 1 failed"
ac_finish
