#!/bin/bash
# limits.sh - descriptors at the edges (test/progs/rel_limits.c):
#   near-limit   RLIMIT_NOFILE soft limit 64, filled with sockets: socket()
#                and accept() fail with EMFILE (errno kept), a forked child's
#                close of a shared socket (the holder search cannot open
#                /proc) and a graceful close at the limit work;
#   above-table  fds above the library's state table (sized from the hard
#                limit at load).  Raising the hard limit at run time needs
#                CAP_SYS_RESOURCE, which containers often lack, so the test
#                preloads build/reliability/fake_rlimit.so in front of the
#                library: it sees a hard limit of 1024 and sizes its table so,
#                while the process can open fds up to its real limit.  Every
#                fd above the table must be managed correctly or passed
#                through untouched: a graceful close delivers every byte and
#                EOF; close/shutdown/dup2/close_range/closefrom across the
#                table's end work; invalid fds give EBADF.
# above-table also runs with ABORTCLOSE_PORTS and ABORTCLOSE_ROLES set (the
# listener is then armed after listen()).  Both modes run with the plain
# library and with the ASan+UBSan build (an out-of-bounds table access is a
# sanitizer report).  above-table also runs
# with ABORTCLOSE=off as the control.  Ports 23400, 23401.
. "$(dirname "$0")/../lib.sh"
need_lib "$AC_BIN/rel_limits"
need_tool gcc

fake="$AC_BUILD/reliability/fake_rlimit.so"
mkdir -p "${fake%/*}"
if ! gcc -O2 -Wall -Wextra -Werror -shared -fPIC -o "$fake" "$AC_ROOT/test/reliability/fake_rlimit.c" \
	2>"$AC_TMP/build.err"; then
	fail fake-rlimit-build "$(head -c 300 "$AC_TMP/build.err")"
	ac_finish
fi
asan_lib="${AC_ASAN_LIB:-$AC_BUILD/asan/libabortclose.so}"
asan_rt=$(gcc -print-file-name=libasan.so 2>/dev/null)

# run NAME PRELOAD MODE [VAR=VAL...]
run() {
	local name=$1 preload=$2 mode=$3 out="$AC_TMP/$1.out" st=0
	shift 3
	with_timeout 90 env LD_PRELOAD="$preload" REL_FAKE_HARD_NOFILE=1024 \
		ASAN_OPTIONS="detect_leaks=0:halt_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
		"$@" "$AC_BIN/rel_limits" "$mode" >"$out" 2>&1 || st=$?
	if [ "$st" = 77 ]; then
		fail "$name" "could not raise RLIMIT_NOFILE: $(tail -n1 "$out")"
	elif [ "$st" = 0 ] && ! grep -qE "Sanitizer|runtime error" "$out"; then
		pass "$name ($(grep -c '^ok' "$out") checks)"
	else
		grep -vE '^ok|^info|^table' "$out" | head -30 | sed 's/^/    /'
		fail "$name" "exit $st: $(grep -m1 -E '^FAIL|Sanitizer|runtime error' "$out")"
	fi
}

run near-limit "$AC_PRELOAD" near-limit
run above-table "$fake $AC_PRELOAD" above-table
# With a port or role filter the listener is armed after listen(), not
# before: connections completed since then inherit the arming just the same.
run above-table-ports-filter "$fake $AC_PRELOAD" above-table ABORTCLOSE_PORTS=23401
run above-table-roles-filter "$fake $AC_PRELOAD" above-table ABORTCLOSE_ROLES=accepted
run control-off-above-table "$fake $AC_PRELOAD" above-table ABORTCLOSE=off
if [ -f "$asan_lib" ] && [ -f "$asan_rt" ]; then
	run asan-near-limit "$asan_rt $asan_lib" near-limit
	run asan-above-table "$asan_rt $fake $asan_lib" above-table
elif in_ci; then
	fail asan "ASan library missing (make build/asan/libabortclose.so)"
else
	echo "  (no $asan_lib: the ASan runs are skipped)"
fi
ac_finish
