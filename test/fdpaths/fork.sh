#!/bin/bash
# fork.sh - fork and sharing between processes (issue 3): after fork() both
# processes hold one socket, and SO_LINGER is the socket's
# (platform-facts.md section 4: forkserver_naive - a parent that "disarms and
# closes" its copy silently removes the child's crash protection;
# forkserver_parentdies - the child's graceful disarm is global too).
# A close or exit-time disarm in one process must leave the socket armed
# while another live process holds it, and disarm it when it is the last.
# Ports 24300-24399.
. "$(dirname "$0")/lib-fd.sh"
need_lib "$FD_SERVER"
need_tool tcpdump

B=1048576
p=24300
# The parent closes its copy first; the child serves and closes: FIN, all data.
fd_server_case parent-closes-first-then-child-closes fin $p $B on --case fork-parent-first --how close
# ... the child crashes after the parent's close: still armed, RST.
fd_crash_pair child-crashes-after-parent-close $((p + 1)) $B --case fork-parent-first
# The child closes its copy first and exits 0; the parent serves and closes.
fd_server_case child-closes-first-then-parent-closes fin $((p + 3)) $B on --case fork-child-first --end close
# ... the parent crashes after the child's close: RST.
fd_crash_pair parent-crashes-after-child-close $((p + 4)) $B --case fork-child-first --end kill

# The parent forks a helper while it serves; the helper ends in one of the
# ordinary ways; the parent's later crash must still give RST, its later
# close FIN.
p=24320
for how in exit0 _exit0 close-exit0 closefrom-exit0 exec-lib exec-nolib exec-cloexec exit1 kill; do
	if [ "$how" = exec-nolib ]; then
		# Trade-off (invariant 1 first): the helper exec's a program without
		# the library that inherits the socket and could never disarm it, so
		# the socket is disarmed before that exec; the parent's later crash
		# then gives FIN, never a graceful close that loses data.
		fd_server_case "helper-$how-then-parent-crashes-disarmed" fin $p $B on --case fork-helper --how "$how" --end kill
	else
		fd_crash_pair "helper-$how-then-parent-crashes" $p $B --case fork-helper --how "$how" --end kill
	fi
	fd_server_case "helper-$how-then-parent-closes" fin $((p + 2)) $B on --case fork-helper --how "$how" --end close
	p=$((p + 3))
done

p=24360
# Both exit(0) without closing: the last one out delivers the FIN.
fd_server_case both-exit0-child-first fin $p $B on --case fork-both-exit0
fd_server_case parent-exit0-first-then-child-exit0 fin $((p + 1)) $B on --case fork-parent-exits-first --end exit0
fd_crash_pair parent-exit0-first-then-child-crashes $((p + 2)) $B --case fork-parent-exits-first --end kill
# daemon(): glibc's internal fork, the parent leaves with the internal _exit.
fd_crash_pair daemon-then-crash $((p + 4)) $B --case daemon --end kill
fd_server_case daemon-then-close fin $((p + 6)) $B on --case daemon --end close
# The daemon child closes at once, while its parent is still exiting (its
# 256 MiB heap is freed before its files: the kernel's exit_mm comes before
# exit_files), so the parent still holds the socket when the child closes.
fd_server_case daemon-child-closes-while-parent-exits fin $((p + 7)) $B on --case daemon --how at-once-bigmem --end close
# The same parent-first pattern through the other ways a child is forked
# (fd_server.c fork_the_way): _Fork(), forkpty() (glibc's internal fork: the
# atfork handlers run, the library's fork() wrapper does not), and two
# threads forking at once, the serving child's fork taking the library's
# per-process fork ticket first or second (shim/ledger.c, forks).  The
# parent's close right after the fork must find the child in every case.
p=24380
for way in _Fork forkpty concurrent-first concurrent-second; do
	fd_crash_pair "$way-child-crashes-after-parent-close" $p $B --case fork-parent-first --how "$way"
	fd_server_case "$way-parent-closes-first-then-child-closes" fin $((p + 2)) $B on --case fork-parent-first --how "$way,close"
	p=$((p + 3))
done
ac_finish
