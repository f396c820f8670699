#!/bin/bash
# The accept side dies (kill -9, SIGSEGV, SIGABRT, SIGTERM, exit(1), return 1,
# _exit(1)): RST + ECONNRESET with the library, FIN + EOF with ABORTCLOSE=off.
# Ports 20000-20099.
ROLE=server
PORT_BASE=20000
. "$(dirname "$0")/core-deaths.bash"
