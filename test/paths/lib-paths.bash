# test/paths/lib-paths.bash - one checkout place for the test/paths scripts
# (`make check-paths`, also part of `make check`).  Sourced, not executable.
#
#   paths_place NAME DIR [SETUP]
#     copies the working tree (what is checked out plus uncommitted changes;
#     .git left out) to DIR, runs SETUP (a shell command, with $1 = DIR,
#     e.g. a chown), then, from DIR: make all, make demo (its conclusion
#     line), test/run-all.sh wrapper (every wrapper test, among them
#     inspect.sh's uid-65534 cases and space_path.sh), and the integration
#     scripts in PATHS_INTEGRATION.  One PASS/FAIL line per step, named
#     "NAME: step"; the script's own verdict is the sum (ac_finish).
#     build/ comes along (make check has just built it: make all then only
#     checks it is up to date there), except with PATHS_FRESH_BUILD=1 (one
#     place compiles everything from scratch: the one with a space).
#
# Every command is bounded (timeout).  The copy is made with tar, not
# git: a checkout owned by another uid makes git refuse ("dubious
# ownership", safe.directory) and nothing in the build or the tests calls git.
# shellcheck source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
need_tool make
need_tool gcc
need_tool tar

# The integration scripts each place runs after its wrapper tests (whose
# end_to_end.sh already crashes a server under the wrapper from the place);
# a place script may empty it after sourcing this file.
PATHS_INTEGRATION=(test/integration/core_deaths_server.sh)

# paths_step NAME LOG SECS CMD...: run CMD in the place (at most SECS),
# PASS/FAIL with the failing lines of its log.  The place's own build: not an
# outer run's copy of build/ nor its library under test.
paths_step() {
	local name=$1 log=$2 secs=$3 st=0
	shift 3
	(cd "$PLACE" && unset AC_STAGED_BUILD AC_LIB_UNDER_TEST AC_PRELOAD_PREFIX &&
		exec timeout -k 5 "$secs" "$@") >"$log" 2>&1 </dev/null || st=$?
	if [ "$st" = 0 ]; then
		pass "$name"
	else
		fail "$name" "exit $st: $(grep -E 'FAIL|rror|cannot' "$log" | head -n 5 | tr '\n' '|' | head -c 600)"
	fi
	return "$st"
}

paths_place() {
	local name=$1 setup=${3:-} t log
	PLACE=$2
	log=$AC_TMP/logs-${name//[^A-Za-z0-9]/_}
	mkdir -p "$log" "$PLACE"
	local -a skip=(--exclude=./.git)
	[ "${PATHS_FRESH_BUILD:-0}" = 1 ] && skip+=(--exclude=./build)
	if ! tar -C "$AC_ROOT" "${skip[@]}" -cf - . | tar -C "$PLACE" -xf -; then
		fail "$name: copy the tree" "tar failed"
		return
	fi
	if [ -n "$setup" ] && ! sh -c "$setup" _ "$PLACE" >"$log/setup" 2>&1; then
		fail "$name: setup" "$(head -c 300 "$log/setup")"
		return
	fi
	echo "  ($name: $PLACE)"
	paths_step "$name: make all" "$log/make" 600 make --no-print-directory -j2 all || return
	if paths_step "$name: make demo" "$log/demo" 120 make --no-print-directory demo; then
		grep -q '^Conclusion:' "$log/demo" && pass "$name: demo conclusion" ||
			fail "$name: demo conclusion" "no Conclusion line: $(tail -n 3 "$log/demo" | tr '\n' '|')"
	fi
	if paths_step "$name: test/run-all.sh wrapper" "$log/wrapper" 600 bash test/run-all.sh wrapper; then
		:
	fi
	echo "  ($name: wrapper tests: $(tail -n 1 "$log/wrapper"))"
	for t in "${PATHS_INTEGRATION[@]}"; do
		paths_step "$name: $t" "$log/${t//\//_}" 300 bash "$t"
	done
	# The wrapper's links to this place's library (a path with ' ' or ':'),
	# made by make demo: the place goes at exit, so do they.
	for t in /tmp/abortclose-lib."$(id -u)"/*-libabortclose.so; do
		case $(readlink -- "$t") in "$PLACE"/*) rm -f -- "$t" ;; esac
	done
}
