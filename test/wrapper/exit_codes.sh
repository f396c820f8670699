#!/bin/bash
# The wrapper's exit statuses, and its one-line messages:
#   2   unknown option, option without value, invalid ABORTCLOSE_* value
#       (from an option or from the environment), unknown ABORTCLOSE_* name,
#       no command, library not found - exactly one stderr line, and for the
#       configuration errors the very line the library itself prints;
#       and the command is never run;
#   127 command not found; 126 not executable (file, directory);
#   otherwise the command's own status, including death by a signal (exec).
. "$(dirname "$0")/lib-wrapper.sh"

marker="$AC_TMP/ran"
touch_cmd=(sh -c "touch '$marker'")
not_run() { # NAME: the command must not have run
	if [ -e "$marker" ]; then
		fail "$1: not run" "the command ran"
		rm -f "$marker"
	else
		pass "$1: not run"
	fi
}

# --- 2: options ----------------------------------------------------------------
wrun -- --bogus "${touch_cmd[@]}"
check_status "unknown option: exit" 2
check_one_line "unknown option: message" "abortclose: unknown option '--bogus' (try 'abortclose --help')"
not_run "unknown option"

wrun -- -x "${touch_cmd[@]}"
check_status "unknown short option: exit" 2
not_run "unknown short option"

wrun -- --ports
check_status "option without value: exit" 2
check_one_line "option without value: message" \
	"abortclose: option '--ports' needs a value, e.g. --ports=VALUE (try 'abortclose --help')"

wrun -- --stats=1 true
check_status "--stats takes no value" 2

# --- 2: invalid configuration, the library's own line ---------------------------
# Each: wrapper arguments | the same setting as the environment of /bin/true.
while IFS='|' read -r args envset; do
	# shellcheck disable=SC2086 # args are words on purpose
	wrun -- $args "${touch_cmd[@]}"
	want=$(lib_line "$envset")
	check_status "option $args: exit" 2
	if [ -z "$want" ]; then
		fail "option $args: library line" "the library printed nothing for $envset"
	else
		check_one_line "option $args: same line as the library" "$want"
	fi
	not_run "option $args"
done <<'CASES'
--on-exit=sometimes|ABORTCLOSE_ON_EXIT=sometimes
--on-shutdown=never|ABORTCLOSE_ON_SHUTDOWN=never
--on-close=shutdown|ABORTCLOSE_ON_CLOSE=shutdown
--on-unwind=off|ABORTCLOSE_ON_UNWIND=off
--log=tcp:1.2.3.4|ABORTCLOSE_LOG=tcp:1.2.3.4
--log-level=loud|ABORTCLOSE_LOG_LEVEL=loud
--ports=70000|ABORTCLOSE_PORTS=70000
--ports=|ABORTCLOSE_PORTS=
--roles=listener|ABORTCLOSE_ROLES=listener
--on-exit maybe|ABORTCLOSE_ON_EXIT=maybe
CASES

while read -r envset; do
	wrun "$envset" -- "${touch_cmd[@]}"
	want=$(lib_line "$envset")
	check_status "env $envset: exit" 2
	if [ -z "$want" ]; then
		fail "env $envset: library line" "the library printed nothing"
	else
		check_one_line "env $envset: same line as the library" "$want"
	fi
	not_run "env $envset"
done <<'CASES'
ABORTCLOSE_ON_EXIT=sometimes
ABORTCLOSE_STATS=yes
ABORTCLOSE=maybe
ABORTCLOSE_PORT=80
ABORTCLOSE_TYPO=1
CASES

# The caller's LD_PRELOAD already holds the library (a unit that sets it and
# runs the wrapper): the library inside the wrapper's own shell prints its
# line at startup; still exactly one line in all.
# (A bash subshell execs the wrapper directly: env or timeout in between
# would load the library too and print lines of their own.)
preloaded_run() { # VAR=VALUE... -- WRAPPER-ARGS: like wrun, no helper processes
	RC=0
	(
		while [ "$1" != -- ]; do export "${1?}"; shift; done
		shift
		exec "$W" "$@" >"$AC_TMP/w.out" 2>"$AC_TMP/w.err" </dev/null
	) || RC=$?
	OUT=$(cat "$AC_TMP/w.out")
	ERR=$(cat "$AC_TMP/w.err")
}
want=$(lib_line ABORTCLOSE_ON_EXIT=bad)
preloaded_run LD_PRELOAD="$LIB" ABORTCLOSE_ON_EXIT=bad -- "${touch_cmd[@]}"
check_status "library already preloaded, bad env: exit" 2
check_one_line "library already preloaded, bad env: one line" "$want"
not_run "library already preloaded, bad env"
preloaded_run LD_PRELOAD="$LIB" -- --on-exit=bad "${touch_cmd[@]}"
check_status "library already preloaded, bad option: exit" 2
check_one_line "library already preloaded, bad option: one line" "$want"

# An option overrides the environment: a bad value in the environment is
# replaced by the option's good one, and the other way round.
wrun ABORTCLOSE_ON_EXIT=sometimes -- --on-exit=rst true
check_status "option replaces a bad env value" 0
wrun ABORTCLOSE_ON_EXIT=rst -- --on-exit=bad true
check_status "bad option replaces a good env value" 2

# The unknown-name guard also covers names the wrapper has no option for.
wrun ABORTCLOSE_LIB="$LIB" -- true
check_status "ABORTCLOSE_LIB is a known name" 0

# --- 2: nothing to run, no library -------------------------------------------------
wrun -- 
check_status "no command: exit" 2
check_one_line "no command: message" "abortclose: no command given (try 'abortclose --help')"
wrun ABORTCLOSE_LIB="$AC_TMP/nope.so" -- "${touch_cmd[@]}"
check_status "ABORTCLOSE_LIB not a file: exit" 2
not_run "ABORTCLOSE_LIB not a file"

# --- 127 / 126 ------------------------------------------------------------------
wrun -- no-such-command-abortclose-test a b
check_status "not found: exit" 127
check_one_line "not found: message" "abortclose: no-such-command-abortclose-test: command not found"
wrun -- "$AC_TMP/no/such/file"
check_status "missing path: exit" 127
printf 'echo hi\n' >"$AC_TMP/noexec"
chmod 0644 "$AC_TMP/noexec"
wrun -- "$AC_TMP/noexec"
check_status "not executable: exit" 126
check_one_line "not executable: message" "abortclose: $AC_TMP/noexec: Permission denied"
wrun -- "$AC_TMP"
check_status "directory: exit" 126
# Found on PATH only as a non-executable file: 126, like a shell.
wrun PATH="$AC_TMP:/usr/bin:/bin" -- noexec
check_status "PATH: only a non-executable file: exit" 126

# --- the command's own status -------------------------------------------------------
for st in 0 1 7 255; do
	wrun -- sh -c "exit $st"
	check_status "command status $st" "$st"
done
# (bash reports "Terminated" for the timeout wrapper in wrun: not news here)
{ wrun -- sh -c 'kill -TERM $$'; } 2>/dev/null
check_status "command killed by SIGTERM (exec: the status is its own)" 143
# exec: the wrapper's pid is the command's pid (signals reach the command).
"$W" sh -c 'echo "$$"' >"$AC_TMP/pid.cmd" &
bgpid=$!
wait "$bgpid"
check_eq "exec: the command has the wrapper's pid" "$(cat "$AC_TMP/pid.cmd")" "$bgpid"

ac_finish
