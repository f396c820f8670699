#!/bin/bash
# linger.sh - SO_LINGER transparency (issue 3).  The program sets and reads
# its own linger; the socket stays armed underneath; a graceful close restores
# the program's value, so a program that sets {1,0} itself still aborts (RST)
# on its own close and one that sets {1,5} still lingers (FIN, every byte).
# Accepted sockets inherit the program's view from their listener.
#   view     fd_linger (C) and fd_linger.py print every get/set result: the
#            output must be identical with and without the library, and under
#            the library the kernel value (raw syscall) stays {1,0}
#   wire     the program's own {1,0} and {1,5} on the wire
# Ports 24650-24699.
. "$(dirname "$0")/lib-fd.sh"
need_lib "$AC_BIN/fd_linger"
need_tool tcpdump
LINGER="$AC_BIN/fd_linger"

# --- what the program sees ------------------------------------------------------
d="$AC_TMP/view"
mkdir -p "$d"
if "$LINGER" view 24650 >"$d/nolib.txt" 2>"$d/nolib.err" &&
	with_lib "$LINGER" view 24652 >"$d/lib.txt" 2>"$d/lib.err" &&
	with_lib "$LINGER" view 24654 --kernel >"$d/kernel.txt" 2>"$d/kernel.err"; then
	if ! diff -u "$d/nolib.txt" "$d/lib.txt" >"$d/diff.txt"; then
		fail c-getsockopt-view "differs with the library: $(grep '^[-+][a-z]' "$d/diff.txt" | head -4 | tr '\n' '|')"
	elif [ -s "$d/lib.err" ]; then
		fail c-getsockopt-view "stderr: $(head -c 200 "$d/lib.err")"
	else
		pass "c-getsockopt-view ($(wc -l <"$d/lib.txt") steps identical with and without the library)"
	fi
	# Every step of a managed connection: the kernel holds the arming.
	notarmed=$(grep -E '^(client|accepted|dup)' "$d/kernel.txt" | grep -v 'kernel={1,0}' || true)
	if [ -n "$notarmed" ]; then
		fail c-kernel-stays-armed "$(echo "$notarmed" | head -3 | tr -s ' ' | tr '\n' '|')"
	else
		pass "c-kernel-stays-armed (raw getsockopt reads {1,0} at every step)"
	fi
else
	fail c-getsockopt-view "fd_linger failed: $(cat "$d"/*.err | head -c 300)"
fi

need_tool python3
PY=$(command -v python3)
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
if "$PY" "$AC_ROOT/test/fdpaths/fd_linger.py" 24656 >"$d/py-nolib.txt" 2>"$d/py-nolib.err" &&
	with_lib "$PY" "$AC_ROOT/test/fdpaths/fd_linger.py" 24657 >"$d/py-lib.txt" 2>"$d/py-lib.err"; then
	if ! diff -u "$d/py-nolib.txt" "$d/py-lib.txt" >"$d/py-diff.txt"; then
		fail python-getsockopt-view "differs with the library: $(grep '^[-+][a-z]' "$d/py-diff.txt" | head -4 | tr '\n' '|')"
	elif [ -s "$d/py-lib.err" ]; then
		fail python-getsockopt-view "stderr: $(head -c 200 "$d/py-lib.err")"
	else
		pass "python-getsockopt-view ($(wc -l <"$d/py-lib.txt") steps identical with and without the library)"
	fi
else
	fail python-getsockopt-view "fd_linger.py failed: $(cat "$d"/py-*.err | head -c 300)"
fi

# --- on the wire ----------------------------------------------------------------
B=1048576
p=24660
# The program's own {1,0} then close(): its abort is respected (RST, also
# without the library: the kernel's own behaviour).
CASE_VICTIM_OPTS=(--linger 1,0)
run_tcp_case own-1-0-close-lib server 4 $p $B close rst
CASE_NOLIB=1
run_tcp_case own-1-0-close-nolib server 4 $((p + 1)) $B close rst
CASE_NOLIB=0
# The program's own {1,5} then close(): a lingering graceful close.
CASE_VICTIM_OPTS=(--linger 1,5)
run_tcp_case own-1-5-close server 4 $((p + 2)) $B close fin
# ... and a crash with {1,5} set: still armed underneath.
run_tcp_case own-1-5-crash-on server 4 $((p + 3)) $B external rst
CASE_ENV=(ABORTCLOSE=off)
run_tcp_case own-1-5-crash-off server 4 $((p + 4)) $B external fin
CASE_ENV=()
# {0,0} set explicitly changes nothing.
CASE_VICTIM_OPTS=(--linger 0,0)
run_tcp_case own-0-0-close server 4 $((p + 5)) $B close fin
run_tcp_case own-0-0-crash server 4 $((p + 6)) $B external rst
CASE_VICTIM_OPTS=()
# The listener's linger, set by the program before listen(), is the accepted
# socket's: {1,0} -> its close aborts (RST), {1,5} -> graceful (FIN).
fd_case listener-1-0-accepted-close-lib rst $((p + 7)) $B on "$LINGER" serve $((p + 7)) $B 1,0
fd_case listener-1-0-accepted-close-nolib rst $((p + 8)) $B nolib "$LINGER" serve $((p + 8)) $B 1,0
fd_case listener-1-5-accepted-close fin $((p + 9)) $B on "$LINGER" serve $((p + 9)) $B 1,5
fd_case listener-0-0-accepted-close fin $((p + 10)) $B on "$LINGER" serve $((p + 10)) $B 0,0
ac_finish
