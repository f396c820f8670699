# test/wrapper/lib-wrapper.sh - helpers for the wrapper tests (bash; sourced,
# not executable, so the runner does not run it as a test).
#
#   W                      scripts/abortclose, from a copy of the runnable
#                          tree in AC_PUB (ac_public_tree): world-readable,
#                          at a path without spaces, so the cases run as
#                          another user and do not depend on the checkout path
#   LIB                    its build/libabortclose.so (what the wrapper finds)
#   wrun [ENV=V...] -- ARGS  run the wrapper (20 s bound); sets RC, OUT, ERR
#                          (file contents), runs with the given environment
#   lib_line VAR=VAL...    the line the library itself prints for that
#                          configuration (loaded into /bin/true)
#   check_status NAME WANT / check_one_line NAME TEXT / check_eq NAME GOT WANT
# shellcheck source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

for f in "$AC_ROOT/scripts/abortclose" "$AC_BUILD/libabortclose.so" "$AC_BUILD/abortclose-inspect" \
	"$AC_BUILD/abortclose-validate"; do
	[ -e "$f" ] || { echo "  FAIL: $f missing (run make)"; exit 1; }
done
ac_public_tree
W=$AC_PUB_W
LIB=$AC_PUB_BUILD/libabortclose.so

RC=0
OUT=""
ERR=""
# wrun [VAR=VALUE...] -- WRAPPER-ARGS...: the environment is the test's own
# plus the assignments (env(1) semantics).
wrun() {
	local -a assigns=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		assigns+=("$1")
		shift
	done
	shift
	RC=0
	env "${assigns[@]}" timeout -k 5 20 "$W" "$@" >"$AC_TMP/w.out" 2>"$AC_TMP/w.err" </dev/null || RC=$?
	OUT=$(cat "$AC_TMP/w.out")
	ERR=$(cat "$AC_TMP/w.err")
}

lib_line() {
	env LD_PRELOAD="$LIB" "$@" /bin/true 2>&1 >/dev/null
}

check_eq() { # NAME GOT WANT
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "got [$2], want [$3]"
	fi
}

check_status() { # NAME WANT (uses RC, ERR)
	if [ "$RC" = "$2" ]; then
		pass "$1"
	else
		fail "$1" "exit $RC, want $2 (stderr: $(printf '%s' "$ERR" | head -c 300 | tr '\n' '|'))"
	fi
}

# check_one_line NAME TEXT: stderr is exactly the one line TEXT.
check_one_line() {
	local n
	n=$(printf '%s\n' "$ERR" | grep -c .)
	if [ "$n" != 1 ]; then
		fail "$1" "stderr has $n lines: $(printf '%s' "$ERR" | tr '\n' '|')"
	else
		check_eq "$1" "$ERR" "$2"
	fi
}
