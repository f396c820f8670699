#!/bin/bash
# ABORTCLOSE_ON_EXIT and the program's own SO_LINGER, for the accept and the
# connect side, IPv4 and IPv6.
#   rst: even exit(0)/return 0 ends open sockets with RST (=off: FIN again);
#   fin: even exit(1)/return 1/_exit(1) end them with FIN and all data;
#        a signal still gives RST (no exit code runs);
#   status (explicit): same as the default;
#   a program that sets SO_LINGER {1,0} itself asked for an abort: its
#   close() and its exit(0) must send RST under the library too;
#   ABORTCLOSE_ON_SHUTDOWN=keep: shutdown(SHUT_WR) does not disarm, the exit
#   with megabytes queued sends RST only.
# Ports 20300-20399.
PORT_BASE=20300
TABLE='
# name            mode            expect bytes   slow lib  env / victim options
rst-exit0         exit0-open      rst    262144  0    lib  ABORTCLOSE_ON_EXIT=rst
rst-return0       return0-open    rst    262144  0    lib  ABORTCLOSE_ON_EXIT=rst
rst-exit0-off     exit0-open      fin    262144  0    lib  ABORTCLOSE_ON_EXIT=rst ABORTCLOSE=off
fin-exit1         exit1           fin    2097152 2000 lib  ABORTCLOSE_ON_EXIT=fin
fin-return1       return1         fin    2097152 2000 lib  ABORTCLOSE_ON_EXIT=fin
fin-_exit1        _exit1          fin    2097152 2000 lib  ABORTCLOSE_ON_EXIT=fin
fin-sigkill       sigkill         rst    262144  0    lib  ABORTCLOSE_ON_EXIT=fin
status-exit1      exit1           rst    262144  0    lib  ABORTCLOSE_ON_EXIT=status
status-exit0      exit0-open      fin    2097152 2000 lib  ABORTCLOSE_ON_EXIT=status
own-abort-close   close           rst    262144  0    lib  --linger 1,0
own-abort-exit0   exit0-open      rst    262144  0    lib  --linger 1,0
own-off-close     close           fin    2097152 2000 lib  --linger 0,0
keep-shutdown     shutdown-exit1  rst    4194304 2000 lib  ABORTCLOSE_ON_SHUTDOWN=keep
status-qexit0     quick_exit0     fin    2097152 2000 lib  ABORTCLOSE_ON_EXIT=status
status-qexit1     quick_exit1     rst    262144  0    lib  ABORTCLOSE_ON_EXIT=status
'
. "$(dirname "$0")/core-table.bash"
