#!/bin/bash
# LD_PRELOAD and the environment the command gets:
#   - the library goes first, entries already there are kept in order
#     (':' or ' ' separated, as ld.so accepts both);
#   - never added twice (same path, or another path to the same file);
#   - the library is really loaded into the command (/proc/PID/maps);
#   - options map to ABORTCLOSE_* and win over the environment; --opt VALUE
#     works like --opt=VALUE;
#   - `--` ends the options; anything after the command name is the
#     command's, even when it looks like an option.
. "$(dirname "$0")/lib-wrapper.sh"
need_tool gcc

lib=$(readlink -f "$LIB")
# Two real (empty) libraries, so ld.so loads every entry without complaint.
for n in a b; do
	echo "int abortclose_test_$n;" >"$AC_TMP/$n.c"
	gcc -shared -fPIC -o "$AC_TMP/lib$n.so" "$AC_TMP/$n.c" || { fail "build lib$n.so" "gcc failed"; ac_finish; }
done
A=$AC_TMP/liba.so
B=$AC_TMP/libb.so
show='printf "%s\n" "$LD_PRELOAD"; grep -c libabortclose /proc/$$/maps | sed "s/^/maps:/"'

preload_case() { # NAME CALLER-LD_PRELOAD|- WANT
	if [ "$2" = - ]; then
		wrun -u LD_PRELOAD -- sh -c "$show"
	else
		wrun LD_PRELOAD="$2" -- sh -c "$show"
	fi
	check_status "$1: exit" 0
	check_eq "$1: LD_PRELOAD" "$(printf '%s\n' "$OUT" | head -n1)" "$3"
	local maps
	maps=$(printf '%s\n' "$OUT" | sed -n 's/^maps://p')
	if [ "${maps:-0}" -gt 0 ]; then
		pass "$1: loaded"
	else
		fail "$1: loaded" "libabortclose not in the command's /proc/PID/maps ($OUT)"
	fi
	check_eq "$1: stderr empty" "$ERR" ""
}

preload_case "unset" - "$lib"
preload_case "empty" "" "$lib"
preload_case "one entry kept after" "$A" "$lib:$A"
preload_case "colon list kept in order" "$A:$B" "$lib:$A:$B"
preload_case "space list kept in order" "$A $B" "$lib:$A $B"
preload_case "already first: unchanged" "$lib:$A" "$lib:$A"
preload_case "already in the middle: unchanged" "$A:$lib:$B" "$A:$lib:$B"
preload_case "space-separated duplicate: unchanged" "$A $lib" "$A $lib"
ln -s "$lib" "$AC_TMP/link-to-lib.so"
preload_case "same file by a symlink: unchanged" "$AC_TMP/link-to-lib.so" "$AC_TMP/link-to-lib.so"
# The library is mapped once even when the wrapper runs itself.
wrun -- "$W" sh -c 'printf "%s\n" "$LD_PRELOAD"; grep -c "libabortclose.so$" /proc/$$/maps'
check_eq "nested wrapper: LD_PRELOAD" "$(printf '%s\n' "$OUT" | head -n1)" "$lib"

# --- options -> environment ------------------------------------------------------
envshow='env | grep ^ABORTCLOSE | LC_ALL=C sort'
wrun -- --on-exit=rst --on-shutdown=keep --log=stderr --log-level=debug --ports=80,443 \
	--roles=accepted --stats --off sh -c "$envshow"
check_status "all options: exit" 0
check_eq "all options: environment" "$OUT" "ABORTCLOSE=off
ABORTCLOSE_LOG=stderr
ABORTCLOSE_LOG_LEVEL=debug
ABORTCLOSE_ON_EXIT=rst
ABORTCLOSE_ON_SHUTDOWN=keep
ABORTCLOSE_PORTS=80,443
ABORTCLOSE_ROLES=accepted
ABORTCLOSE_STATS=1"

wrun -- --on-exit fin --ports 8000-8999 sh -c "$envshow"
check_eq "--opt VALUE form" "$OUT" "ABORTCLOSE_ON_EXIT=fin
ABORTCLOSE_PORTS=8000-8999"

wrun ABORTCLOSE_ON_EXIT=fin ABORTCLOSE_ROLES=connected -- --on-exit=rst sh -c "$envshow"
check_eq "option wins, other env kept" "$OUT" "ABORTCLOSE_ON_EXIT=rst
ABORTCLOSE_ROLES=connected"

wrun -- --on-exit=fin --on-exit=rst sh -c "$envshow"
check_eq "last option wins" "$OUT" "ABORTCLOSE_ON_EXIT=rst"

# --- `--` and the command's own arguments ---------------------------------------------
wrun -- --stats -- sh -c 'printf "[%s]" "$@"; echo; env | grep -c ^ABORTCLOSE_STATS' x --on-exit=bad --off -- -x
check_status "-- then command: exit" 0
check_eq "-- then command: its arguments untouched" "$OUT" "[--on-exit=bad][--off][--][-x]
1"
wrun -- -- --stats
check_status "-- then an option-looking command name: not found" 127
check_one_line "-- then an option-looking command name: message" "abortclose: --stats: command not found"
wrun -- sh -c 'printf "[%s]" "$@"' x "a b" "" "*" "\$HOME"
check_eq "arguments with spaces, empty, glob, dollar" "$OUT" '[a b][][*][$HOME]'
# argv[0] is the name as typed (busybox-style programs depend on it).
wrun -- bash -c 'echo "$0"'
check_eq "argv[0] of a PATH command" "$OUT" "bash"
wrun -- sh -c 'cat /proc/$$/cmdline | tr "\0" " "'
check_eq "argv[0] as typed" "$OUT" "sh -c cat /proc/\$\$/cmdline | tr \"\\0\" \" \" "

ac_finish
