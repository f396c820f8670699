#!/bin/bash
# --dry-run prints the environment and the command and runs nothing (exit
# 0; still 2/127 for what would fail); --check validates only (0 or 2);
# --help and --version.
. "$(dirname "$0")/lib-wrapper.sh"

lib=$(readlink -f "$LIB")
marker="$AC_TMP/ran"
sh_path=$(type -P sh)

wrun -u LD_PRELOAD -u ABORTCLOSE_LOG -- --dry-run --on-exit=rst --stats sh -c "touch '$marker'" "it's"
check_status "dry-run: exit" 0
check_eq "dry-run: output" "$OUT" "export LD_PRELOAD='$lib'
export ABORTCLOSE_ON_EXIT='rst'
export ABORTCLOSE_STATS='1'
exec '$sh_path' '-c' 'touch '\\''$marker'\\''' 'it'\\''s'"
check_eq "dry-run: stderr empty" "$ERR" ""
[ -e "$marker" ] && fail "dry-run: runs nothing" "the command ran" || pass "dry-run: runs nothing"

# The printed lines are valid shell: running them does what the wrapper does.
printf '%s\n' "$OUT" >"$AC_TMP/plan.sh"
sh "$AC_TMP/plan.sh"
[ -e "$marker" ] && pass "dry-run: output is a runnable script" ||
	fail "dry-run: output is a runnable script" "running it did not run the command"
rm -f "$marker"

wrun LD_PRELOAD="$AC_TMP/x.so" ABORTCLOSE_PORTS=443 -- --dry-run true
check_eq "dry-run: caller's LD_PRELOAD and env shown" "$OUT" "export LD_PRELOAD='$lib:$AC_TMP/x.so'
export ABORTCLOSE_PORTS='443'
exec '$(type -P true)'"

wrun -- --dry-run --on-exit=never true
check_status "dry-run: invalid still 2" 2
# --on-exit=status:LIST (issue 9): the statuses that count as success.
wrun -- --dry-run --on-exit=status:0,255 true
check_status "dry-run: --on-exit=status:0,255 accepted" 0
check_eq "dry-run: --on-exit=status:0,255 passed on" "$(printf '%s\n' "$OUT" | grep ON_EXIT)" "export ABORTCLOSE_ON_EXIT='status:0,255'"
wrun -- --dry-run --on-exit=status:0,256 true
check_status "dry-run: --on-exit=status:0,256 refused" 2
wrun -- --dry-run no-such-command-abortclose-test
check_status "dry-run: not found still 127" 127
wrun -- --dry-run
check_status "dry-run: no command is 2" 2

# --- --check --------------------------------------------------------------------
wrun -- --check
check_status "check: valid, no command" 0
check_eq "check: silent" "$OUT$ERR" ""
wrun -- --check --ports=80 --roles=accepted sh -c "touch '$marker'"
check_status "check: valid with a command" 0
[ -e "$marker" ] && fail "check: runs nothing" "the command ran" || pass "check: runs nothing"
wrun -- --check --ports=80-
check_status "check: invalid option" 2
check_one_line "check: the library's line" "$(lib_line ABORTCLOSE_PORTS=80-)"
wrun ABORTCLOSE_ONEXIT=rst -- --check
check_status "check: unknown name" 2
check_one_line "check: the library's line for an unknown name" "$(lib_line ABORTCLOSE_ONEXIT=rst)"
wrun -- --check no-such-command-abortclose-test
check_status "check: missing command is 2 (check answers 0 or 2)" 2
wrun -- --check "$AC_TMP"
check_status "check: directory is 2" 2

# --- --help / --version ------------------------------------------------------------
wrun -- --help
check_status "help: exit" 0
case $OUT in
Usage:\ abortclose*--on-exit=*--dry-run*--check*"Exit status"*) pass "help: text" ;;
*) fail "help: text" "unexpected: $(printf '%s' "$OUT" | head -n3 | tr '\n' '|')" ;;
esac
wrun -- -h
check_status "-h: exit" 0
wrun -- --version
check_status "version: exit" 0
want=$(sed -nE 's/^VERSION[[:space:]]*:?=[[:space:]]*//p' "$AC_ROOT/Makefile")
check_eq "version: matches the Makefile" "$(printf '%s\n' "$OUT" | head -n1)" "abortclose $want"
check_eq "version: names the library" "$(printf '%s\n' "$OUT" | sed -n 2p)" "library: $lib"
# Options after the command are the command's: --help there is not ours.
wrun -- sh -c 'echo "$1"' x --help
check_eq "--help after the command is the command's" "$OUT" "--help"

ac_finish
