#!/bin/bash
# Purposeful ends must stay graceful under the library: FIN, every byte
# delivered and byte-exact, no RST - for the accept and the connect side,
# IPv4 and IPv6.  The peer reads slowly, so megabytes are still queued in the
# victim's socket when it closes or exits: had the library left the socket
# armed, the kernel would have thrown them away with an RST.  The last row
# proves that: the program arms its own socket ({1,0}) and the same exit
# loses data with an RST.  Ports 20200-20299.
PORT_BASE=20200
TABLE='
# name             mode            expect bytes   slow lib  env / victim options
close-8M           close           fin    8388608 1000 lib
exit0-open         exit0-open      fin    4194304 2000 lib
return0-open       return0-open    fin    4194304 2000 lib
_exit0-open        _exit0          fin    4194304 2000 lib
shutdown-exit1     shutdown-exit1  fin    4194304 2000 lib
shutdown-exit1-off shutdown-exit1  fin    4194304 2000 lib  ABORTCLOSE=off
control-own-abort  exit0-open      rst    4194304 2000 none --linger 1,0
'
. "$(dirname "$0")/core-table.bash"
