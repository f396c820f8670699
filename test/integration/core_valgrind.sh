#!/bin/bash
# valgrind memcheck of C victims under the library: the library's code on
# the socket/accept/connect/close/exit paths must make no invalid access and
# pass no uninitialised bytes to a system call (memcheck checks setsockopt's
# linger argument, for instance), and it must still do its job there:
#   close after 1 MB      -> FIN, all data   (close path)
#   exit(0), socket open  -> FIN, all data   (on_exit handler, status 0)
#   exit(1), socket open  -> RST             (on_exit handler, status 1)
#   SIGSEGV               -> RST             (nothing runs)
#   nontcp --tcp-armed 1  -> UDP/UNIX untouched, TCP armed
# valgrind's own --error-exitcode is 99 (not 1: exit(1) is a victim mode)
# and its log must say "ERROR SUMMARY: 0 errors".  --trace-children=no: the
# victims do not fork.  Ports 20500-20549.
. "$(dirname "$0")/../lib.sh"
need_lib "$AC_BIN/nontcp"
need_tool tcpdump
need_tool valgrind
VG=(valgrind --error-exitcode=99 --trace-children=no --track-origins=yes)

vg_log_problem() {
	local log=$1
	[ -f "$log" ] || { echo "no valgrind log"; return; }
	grep -q "ERROR SUMMARY: 0 errors" "$log" && return 0
	echo "memcheck: $(grep -m1 'ERROR SUMMARY' "$log" || echo 'no summary'): $(grep -m3 -E '^==[0-9]+== (Invalid|Conditional|Syscall|Use of)' "$log" | tr '\n' '|')"
}

port=20500
for role in server client; do
	# name      mode        expect bytes   slow  status
	while read -r name mode expect bytes slow status; do
		case $name in '' | '#'*) continue ;; esac
		log="$AC_TMP/vg-$role-$name.log"
		CASE_VICTIM_CMD=("${VG[@]}" --log-file="$log" "$AC_BIN/victim" "$role" --port "$port"
			--bytes "$bytes" --end "$mode")
		CASE_WANT_STATUS=$status
		CASE_PEER_OPTS=()
		[ "$slow" = 0 ] || CASE_PEER_OPTS=(--slow "$slow")
		run_tcp_case "valgrind-$role-$name" "$role" 4 "$port" "$bytes" "$mode" "$expect"
		# The session's memcheck verdict (the signal case ends before valgrind
		# can print a summary: only its wire result counts).
		if [ "$mode" != sigsegv ]; then
			problem=$(vg_log_problem "$log")
			if [ -n "$problem" ]; then
				fail "valgrind-$role-$name-memcheck" "$problem"
			else
				pass "valgrind-$role-$name-memcheck"
			fi
		fi
		port=$((port + 1))
	done <<'TABLE'
close       close       fin    1048576 2000  0
exit0-open  exit0-open  fin    1048576 2000  0
exit1       exit1       rst    262144  0     1
sigsegv     sigsegv     rst    262144  0     139
TABLE
done
CASE_VICTIM_CMD=()
CASE_WANT_STATUS=""

log="$AC_TMP/vg-nontcp.log"
st=0
out=$(env LD_PRELOAD="$(ac_preload)" "${VG[@]}" --log-file="$log" "$AC_BIN/nontcp" --tcp-armed 1 2>&1) || st=$?
problem=$(vg_log_problem "$log")
if [ "$st" -ne 0 ] || [ -n "$problem" ]; then
	fail valgrind-nontcp "exit $st ${problem:-}; $(echo "$out" | head -5 | tr '\n' '|')"
else
	pass "valgrind-nontcp (${out##*$'\n'})"
fi
ac_finish
