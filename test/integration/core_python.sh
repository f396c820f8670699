#!/bin/bash
# A Python 3 server (python/server.py) under the library, IPv4 and IPv6:
#   sock.close()                     -> FIN, every byte
#   shutdown(SHUT_WR) + os._exit(1)  -> FIN, every byte
#   os._exit(1), os.abort(), kill -9 -> RST (with ABORTCLOSE=off: FIN)
# Ports 20450-20499.
. "$(dirname "$0")/../lib.sh"
need_lib
need_tool tcpdump
need_tool python3
# Debian's interpreter when present (a pyenv shim is a shell script that
# execs it: fine too, but one level less to reason about).
PY=$(command -v /usr/bin/python3 || command -v python3)
SCRIPT="$(dirname "$0")/python/server.py"

port=20450
for fam in 4 6; do
	while read -r name mode expect bytes slow status env; do
		case $name in '' | '#'*) continue ;; esac
		CASE_VICTIM_CMD=("$PY" "$SCRIPT" "$port" "$fam" "$bytes" "$mode")
		CASE_WANT_STATUS=$status
		CASE_ENV=()
		[ "$env" = - ] || CASE_ENV=("$env")
		CASE_PEER_OPTS=()
		[ "$slow" = 0 ] || CASE_PEER_OPTS=(--slow "$slow")
		run_tcp_case "python-v$fam-$name" server "$fam" "$port" "$bytes" "$mode" "$expect"
		port=$((port + 1))
	done <<'TABLE'
# name        mode      expect bytes   slow status env
close         close     fin    1048576 3000 0   -
shutdown      shutdown  fin    1048576 3000 1   -
os_exit1      os_exit1  rst    262144  0    1   -
os_exit1-off  os_exit1  fin    262144  0    1   ABORTCLOSE=off
abort         abort     rst    262144  0    134 -
kill9         external  rst    262144  0    137 -
kill9-off     external  fin    262144  0    137 ABORTCLOSE=off
TABLE
done
ac_finish
