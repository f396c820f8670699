#!/bin/bash
# A Node.js server (node/server.js) under the library, IPv4 and IPv6:
#   socket.end()     -> FIN, every byte (libuv: shutdown(SHUT_WR) disarms)
#   socket.destroy() -> FIN, every byte (libuv closes with
#                       syscall(SYS_close): node never calls close())
#   process.exit(3)  -> RST (non-zero exit status keeps sockets armed);
#                       with ABORTCLOSE=off: FIN
#   kill -9          -> RST; with ABORTCLOSE=off: FIN
# The peer reads slowly on the graceful paths so that data is still queued
# in node's socket when it closes.  Ports 20400-20449.
. "$(dirname "$0")/../lib.sh"
need_lib
need_tool tcpdump
need_tool node
JS="$(dirname "$0")/node/server.js"

port=20400
for fam in 4 6; do
	# name        mode      expect bytes   slow status env
	while read -r name mode expect bytes slow status env; do
		case $name in '' | '#'*) continue ;; esac
		CASE_VICTIM_CMD=(node "$JS" "$port" "$fam" "$bytes" "$mode")
		CASE_WANT_STATUS=$status
		CASE_ENV=()
		[ "$env" = - ] || CASE_ENV=("$env")
		CASE_PEER_OPTS=()
		[ "$slow" = 0 ] || CASE_PEER_OPTS=(--slow "$slow")
		run_tcp_case "node-v$fam-$name" server "$fam" "$port" "$bytes" "$mode" "$expect"
		port=$((port + 1))
	done <<'TABLE'
end           end       fin    4194304 2000 0   -
destroy       destroy   fin    4194304 2000 0   -
exit3         exit3     rst    262144  0    3   -
exit3-off     exit3     fin    262144  0    3   ABORTCLOSE=off
kill9         external  rst    262144  0    137 -
kill9-off     external  fin    262144  0    137 ABORTCLOSE=off
TABLE
done
ac_finish
