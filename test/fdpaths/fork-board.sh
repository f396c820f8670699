#!/bin/bash
# fork-board.sh - a holder must stay a holder (issue 3, "fork and sharing").
# The library breaks the tie between two holders closing at once with a
# board of "releases in progress" shared by a fork tree (shim/holders.c): a
# holder found releasing the same socket does not count.  A claim must not
# outlive the release it announces, or a live process that still serves the
# connection is taken for one that is letting it go, the relative's routine
# close disarms the socket, and the server's crash sends FIN:
#   reused pid   child A exits 0 holding the connection and is reaped; child
#                B gets A's pid back (ns_last_pid; a busy forking server gets
#                it after pid_max forks - 32768 here); the parent closes its
#                copy; B crashes.
#   exec relay   a forked child passes the connection through a program
#                without the library (`env LD_PRELOAD=lib service`, what
#                inetd.conf must say for openbsd-inetd, which strips LD_*) to a
#                program that adopts it; then the parent closes its copy; the
#                program crashes.
# RST wanted in both (controls: ABORTCLOSE=off gives FIN); the graceful
# variants must give FIN.
# Ports 24440-24449.
. "$(dirname "$0")/lib-fd.sh"
need_lib "$FD_SERVER"
need_tool tcpdump

B=1048576
if [ -w /proc/sys/kernel/ns_last_pid ]; then
	fd_crash_pair reused-pid-child-crashes-after-parent-close 24440 $B --case pid-reuse --end kill
	fd_server_case reused-pid-child-closes fin 24442 $B on --case pid-reuse --end close
else
	fd_info reused-pid "/proc/sys/kernel/ns_last_pid not writable (needs root): not run"
fi
fd_crash_pair exec-relay-program-crashes-after-parent-close 24443 $B --case fork-exec-relay --end kill
fd_server_case exec-relay-program-closes fin 24445 $B on --case fork-exec-relay --end close
# The same child execs a program that never loads the library, which exits 0
# after the parent's close: the socket must have been disarmed for it (its
# graceful end must stay graceful, invariant 1) - whatever the board says.
fd_server_case exec-to-program-without-lib-exit0-after-parent-close fin 24446 $B on --case fork-exec-relay --how nolib --end exit0
ac_finish
