#!/bin/bash
# fork-setuid.sh - privilege-dropped forking servers (issue 10).  A server
# started as root setuid()s to 65534 (Linux makes it non-dumpable: its
# /proc/PID/fd is unreadable to its own children, and theirs to it), forks a
# child on a live connection:
#   child-closes   the child closes its copy (before exec or exit: Apache
#                  prefork + mod_cgi, HAProxy external-check); the parent
#                  is then killed: RST (the child's close must not disarm:
#                  the ledger says the parent still holds the socket);
#   parent-first   the parent closes its copy first; the child serves and
#                  closes: every byte and FIN (the child was the last holder).
#   noted-fd-reused  the parent lets go of a connection of its own, noting
#                  its fd to the child; the child dup2()s the peer's
#                  connection onto that fd and closes it: the child's release
#                  is of the peer's connection (not the noted one), so the
#                  parent's close gives every byte and FIN, its crash RST.
# The chroot-* variants run in a chroot without /proc (ENOENT instead of
# EACCES).  Controls: ABORTCLOSE=off gives FIN.  Needs root (setuid).
# Ports 22000-22049 (22030-22049: the servers' own loopback connections).
. "$(dirname "$0")/lib-fd.sh"
# Its processes run as uid 65534 and exec programs that load the library:
# they run from a world-readable copy (the checkout may be under a mode-700
# directory).
ac_use_public_tree
FD_SERVER="$AC_BIN/fd_server"
need_lib "$FD_SERVER"
need_tool tcpdump
if [ "$(id -u)" != 0 ]; then
	if [ "${CI:-}" = true ]; then
		fail setuid "needs root (CI runs as root)"
	else
		skip setuid "needs root"
	fi
	ac_finish
fi

B=1048576
p=22000
for how in close-exec close-exit0 chroot-close-exit0; do
	fd_crash_pair "child-$how-then-parent-killed" $p $B --case setuid-child-closes --how "$how" --end kill
	fd_server_case "child-$how-then-parent-closes" fin $((p + 2)) $B on --case setuid-child-closes --how "$how" --end close
	p=$((p + 3))
done
for how in plain chroot; do
	fd_server_case "parent-closes-first-then-child-closes-$how" fin $p $B on --case setuid-parent-first --how "$how"
	p=$((p + 1))
done
fd_server_case "noted-fd-reused-by-child-then-parent-closes" fin $p $B on --case setuid-noted-fd-reused --end close
fd_crash_pair "noted-fd-reused-by-child-then-parent-killed" $((p + 1)) $B --case setuid-noted-fd-reused --end kill
ac_finish
