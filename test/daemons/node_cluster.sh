#!/bin/bash
# Issue 10: a Node.js cluster HTTP server in its default scheduling policy
# (round-robin, NODE_CLUSTER_SCHED_POLICY unset; also PM2's cluster mode): the
# primary accepts each connection, sends it to a worker with SCM_RIGHTS,
# waits for the worker's ack and closes its own copy (node/cluster.js).
#   full            a graceful response (slow reader: data still queued at the
#                   worker's end) -> every byte (the body is compared with the
#                   file) and FIN, 0 RST
#   kill-worker     the worker is SIGKILLed mid-response -> RST at the client
#                   (ECONNRESET, RST on the wire, no FIN)
#   kill-worker-off the same with ABORTCLOSE=off -> FIN/EOF (discriminates)
#   none-kill-worker the control: NODE_CLUSTER_SCHED_POLICY=none (workers
#                   accept themselves, no hand-over) -> RST
#   log-*           the debug log: the primary armed the connection, and its
#                   close of the handed-over socket is no longer
#                   "disarmed:close" (that disarmed the worker's connection)
#   load            200 graceful requests through the cluster: 0 bytes lost,
#                   0 RST from the server, a FIN per response
# Ports 22200-22219.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-daemons.sh"
need_lib "$AC_BIN/dmn_http"
need_tool tcpdump
need_tool node
JS="$(cd "$(dirname "$0")" && pwd)/node/cluster.js"
unset NODE_CLUSTER_SCHED_POLICY
BODY="$AC_TMP/body.bin"
dmn_make_body "$BODY" 524288

NODE_PID=""
NODE_PRIMARY=""
# node_start DIR PORT [VAR=VALUE...]: the cluster under the library, its
# debug log in DIR/lib.log; sets NODE_PID (= the primary) once both workers
# listen.
node_start() {
	local d=$1 port=$2
	shift 2
	if port_listening "$port"; then
		echo "  port $port already in use"
		return 1
	fi
	dmn_bg_group NODE_PID "$d/node.out" "$d/node.err" env LD_PRELOAD="$(ac_preload)" \
		ABORTCLOSE_LOG="file:$d/lib.log" ABORTCLOSE_LOG_LEVEL=debug "$@" \
		node "$JS" "$port" "$BODY"
	if ! wait_for_line "$d/node.out" '^READY ' 15 "$NODE_PID" >/dev/null; then
		echo "  node cluster not ready: $(head -c 300 "$d/node.err")"
		return 1
	fi
	NODE_PRIMARY=$(sed -nE 's/^READY .* primary=([0-9]+).*/\1/p' "$d/node.out")
}

# log_check NAME DIR: the primary's lines in the library's debug log.
log_check() {
	local name=$1 d=$2
	if ! grep -qE "^libabortclose\[$NODE_PRIMARY\]: .* armed$" "$d/lib.log"; then
		fail "$name" "no 'armed' line of the primary ($NODE_PRIMARY) in the debug log: $(head -c 300 "$d/lib.log" | tr '\n' '|')"
	elif grep -qE "^libabortclose\[$NODE_PRIMARY\]: .*disarmed:close" "$d/lib.log"; then
		fail "$name" "the primary disarmed the handed-over socket: $(grep -m1 -E "^libabortclose\[$NODE_PRIMARY\]: .*disarmed:close" "$d/lib.log")"
	else
		pass "$name (primary $NODE_PRIMARY: $(grep -E "^libabortclose\[$NODE_PRIMARY\]:" "$d/lib.log" | sed -E 's/.* //' | sort | uniq -c | tr -s ' \n' ' '))"
	fi
}

# --- a graceful response ---------------------------------------------------------
port=22200
d="$AC_TMP/full"
mkdir -p "$d"
if capture_start "$port" && node_start "$d" "$port"; then
	with_timeout 30 "$AC_BIN/dmn_http" --port "$port" --path /full --expect "$BODY" \
		--slow 2000 >"$d/client.out" 2>"$d/client.err"
	capture_stop || echo "  capture incomplete"
	dmn_http_case node-cluster-full fin "$port" "$d/client.out" "$BODY"
	log_check node-cluster-log-full "$d"
else
	capture_stop
	fail node-cluster-full "setup failed"
fi
dmn_kill_group "$NODE_PID"

# --- a worker killed mid-response --------------------------------------------------
# kill_case NAME PORT EXPECT [VAR=VALUE...]
kill_case() {
	local name=$1 port=$2 expect=$3 cpid wpid why=""
	shift 3
	d="$AC_TMP/$name"
	mkdir -p "$d"
	if ! capture_start "$port" || ! node_start "$d" "$port" "$@"; then
		capture_stop
		fail "$name" "setup failed"
		dmn_kill_group "$NODE_PID"
		return
	fi
	ac_bg cpid "$d/client.out" "$d/client.err" "$AC_BIN/dmn_http" --port "$port" \
		--path /stall --save "$d/got.bin" --mark 262144 --timeout 20
	wpid=""
	if wait_for_line "$d/client.out" '^PROGRESS ' 15 "$cpid" >/dev/null &&
		wait_for_line "$d/node.out" '^SENT ' 15 "$NODE_PID" >/dev/null; then
		wpid=$(sed -nE 's/^SENT ([0-9]+) .*/\1/p' "$d/node.out" | head -n1)
		kill -KILL "$wpid"
	fi
	ac_wait "$cpid" 20
	capture_stop || echo "  capture incomplete"
	[ -n "$wpid" ] || why="the response never started: $(head -c 300 "$d/node.err" "$d/client.err")"
	dmn_http_verdict "$name" "$why" "$expect" "$port" "$d/client.out" "$BODY" "$d/got.bin"
	[ "$name" = node-cluster-kill-worker ] && log_check node-cluster-log-kill "$d"
	dmn_kill_group "$NODE_PID"
}
kill_case node-cluster-kill-worker 22201 rst
kill_case node-cluster-kill-worker-off 22202 eof ABORTCLOSE=off
# The control: with NODE_CLUSTER_SCHED_POLICY=none the workers accept from the
# shared listener themselves (no hand-over), and the kill gives RST already.
kill_case node-cluster-none-kill-worker 22204 rst NODE_CLUSTER_SCHED_POLICY=none

# --- a graceful load -------------------------------------------------------------
port=22203
d="$AC_TMP/load"
mkdir -p "$d"
if capture_start "$port" && node_start "$d" "$port"; then
	with_timeout 50 "$AC_BIN/dmn_http" --port "$port" --path /full --expect "$BODY" \
		--count 200 --timeout 45 >"$d/client.out" 2>"$d/client.err"
	capture_stop || echo "  capture incomplete"
	ok=$(dmn_field "$d/client.out" ok)
	lost=$(dmn_field "$d/client.out" lost)
	rst=$(count_rst_from server "$port")
	fin=$(count_fin_from server "$port")
	ev="requests=200 ok=$ok lost=$lost; from server: RST=$rst FIN=$fin"
	if [ "$ok" = 200 ] && [ "$lost" = 0 ] && [ "$rst" = 0 ] && [ "$fin" -ge 200 ]; then
		pass "node-cluster-load ($ev)"
	else
		fail node-cluster-load "$ev; $(cat "$d/client.out" "$d/client.err" | head -c 300)"
	fi
else
	capture_stop
	fail node-cluster-load "setup failed"
fi
dmn_kill_group "$NODE_PID"
ac_finish
