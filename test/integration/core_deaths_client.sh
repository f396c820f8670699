#!/bin/bash
# The connect side dies (kill -9, SIGSEGV, SIGABRT, SIGTERM, exit(1), return 1,
# _exit(1)): RST + ECONNRESET with the library, FIN + EOF with ABORTCLOSE=off.
# Ports 20100-20199.
ROLE=client
PORT_BASE=20100
. "$(dirname "$0")/core-deaths.bash"
