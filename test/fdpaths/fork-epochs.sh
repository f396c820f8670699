#!/bin/bash
# fork-epochs.sh - a forking server that has forked for a long time (issue
# 10).  Fork epochs count a process's forks (two per fork, shim/state.h).
# They were 20-bit and saturated after about 500,000 forks of one process:
# a few hours of a busy forking server.  From then on every close listed
# every child in /proc (O(children x fds)), 8 ms per connection at 100
# live children instead of 0.1 ms, and a privilege-dropped server whose
# children's fd tables are unreadable gave protection up.  Now they are
# 64-bit (44 bits in an fd's entry).
#
# Forking for hours in a test is not possible, so the test uses a build of
# the library whose first epoch is 2^32 - 3 (make: build/epochs/).  Every
# case then crosses 2^32 at its second fork, where the narrower fields wrap
# (a release record keeps 32 bits, a ring entry a 26-bit tag): the epochs
# of a process that forked 2^31 times.
#   - the fork cases of fork.sh (the parent's and the child's close, a
#     helper's exit, two threads forking at once): RST at a crash, with
#     the ABORTCLOSE=off control (FIN), FIN and every byte at a close;
#   - a fork-per-connection server, 300 connections, 8 at a time, with
#     helpers (fd_forkload): every connection gets its payload, and the
#     server's processes open /proc a constant handful of times (the
#     library's start), not per connection.
# The control: the same server under a build that saturates its epochs in
# three forks (build/epochs-saturating/) opens /proc for every connection,
# so the count discriminates.
# Ports 21300-21319.
AC_LIB_UNDER_TEST=${AC_LIB_UNDER_TEST:-$(cd "$(dirname "$0")/../.." && pwd)/build/epochs/libabortclose.so}
export AC_LIB_UNDER_TEST
. "$(dirname "$0")/lib-fd.sh"
SATURATING="$AC_BUILD/epochs-saturating/libabortclose.so"
LOAD="$AC_BIN/fd_forkload"
need_lib "$FD_SERVER"
need_lib "$LOAD"
need_tool tcpdump
need_tool strace
if [ ! -f "$AC_LIB" ] || [ ! -f "$SATURATING" ]; then
	in_ci && { echo "  FAIL: $AC_LIB or $SATURATING missing (make check builds them)"; exit 1; }
	skip "epoch builds missing: make build/epochs/libabortclose.so build/epochs-saturating/libabortclose.so"
fi

B=1048576
p=21300
fd_crash_pair child-crashes-after-parent-close $p $B --case fork-parent-first
fd_server_case parent-closes-first-then-child-closes fin $((p + 2)) $B on --case fork-parent-first --how close
fd_crash_pair parent-crashes-after-child-close $((p + 3)) $B --case fork-child-first --end kill
fd_server_case child-closes-first-then-parent-closes fin $((p + 5)) $B on --case fork-child-first --end close
fd_crash_pair helper-exit0-then-parent-crashes $((p + 6)) $B --case fork-helper --how exit0 --end kill
fd_crash_pair concurrent-second-child-crashes-after-parent-close $((p + 8)) $B --case fork-parent-first --how concurrent-second

# load LIB PORT: fd_forkload (300 connections) under strace -f; prints
# "ok=N proc=M" (connections that got their payload, /proc opens) and the
# server's stderr, if any.
load() {
	local lib=$1 port=$2 d="$AC_TMP/load-$2"
	mkdir -p "$d"
	with_timeout 120 unshare -n bash -c '
		ip link set lo up || exit 3
		strace -f -qq -o "$4/strace" -e trace=openat \
			env LD_PRELOAD="$1" "$2" server --port "$3" --conns 300 >"$4/server.out" 2>"$4/server.err" &
		s=$!
		for i in $(seq 200); do grep -q "^READY" "$4/server.out" 2>/dev/null && break; sleep 0.05; done
		"$2" client --port "$3" --conns 300 --parallel 8 >"$4/client.out" 2>"$4/client.err"
		wait $s' load "$lib" "$LOAD" "$port" "$d" >/dev/null 2>&1
	local ok proc
	ok=$(sed -n 's/.* ok=\([0-9]*\).*/\1/p' "$d/client.out" | head -1)
	proc=$(grep -c 'openat(.*"/proc/' "$d/strace" 2>/dev/null)
	echo "ok=${ok:-0} proc=${proc:-0}$(head -c 200 "$d/server.err" | tr '\n' '|' | sed 's/^./ stderr: &/')"
}
if unshare -n true 2>/dev/null; then
	got=$(load "$AC_LIB" $((p + 10)))
	ctl=$(load "$SATURATING" $((p + 11)))
	proc=$(echo "$got" | sed -n 's/.*proc=\([0-9]*\).*/\1/p')
	ctl_proc=$(echo "$ctl" | sed -n 's/.*proc=\([0-9]*\).*/\1/p')
	if ! [[ $got =~ ^ok=300\ proc=[0-9]+$ ]]; then
		fail forking-server-past-2^32-epochs "not every connection got its payload, or stderr: $got"
	elif [ "${proc:-999}" -gt 20 ]; then
		fail forking-server-past-2^32-epochs-constant-cost "$proc /proc opens for 300 connections (control, saturated: $ctl_proc)"
	elif [ "${ctl_proc:-0}" -lt 300 ]; then
		fail saturated-control "the saturating build opened /proc only $ctl_proc times for 300 connections: the count does not discriminate ($ctl)"
	else
		pass "forking-server-past-2^32-epochs ($got; /proc opens: $proc, with saturated epochs: $ctl_proc)"
	fi
else
	in_ci && { echo "  FAIL: unshare -n not usable (required in CI)"; exit 1; }
	fd_info forking-server-past-2^32-epochs "skipped: needs unshare -n"
fi
ac_finish
