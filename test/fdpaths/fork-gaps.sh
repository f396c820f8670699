#!/bin/bash
# fork-gaps.sh - sharing between processes beyond parent and child (issue 3:
# "A close ... in one process must not disarm a socket that another live
# process still references"; issue 10: the ledger's fork tree also reaches
# grandchildren and siblings):
#   double fork   parent -> child -> grandchild; the child exits at once (the
#                 classic "reap immediately" daemon pattern), the parent
#                 closes its copy, the grandchild serves and crashes;
#   siblings      the parent forks A and B and closes its copy; A closes its
#                 copy; B serves and crashes.
# Expected (the issue's rule): RST.  The graceful variants must give FIN.
# Ports 24400-24449.
. "$(dirname "$0")/lib-fd.sh"
need_lib "$FD_SERVER"
need_tool tcpdump

B=1048576
p=24400
# After a double fork the grandchild is re-parented to init; the ledger
# still knows it as the dead middle child's child (issue 10; it was a
# documented gap before: FIN).
fd_crash_pair double-fork-grandchild-crashes-after-parent-close $p $B --case double-fork --end kill
fd_server_case double-fork-grandchild-closes fin $((p + 2)) $B on --case double-fork --end close
fd_crash_pair sibling-crashes-after-other-sibling-and-parent-closed $((p + 3)) $B --case siblings --end kill
fd_server_case sibling-closes-last fin $((p + 5)) $B on --case siblings --end close
ac_finish
