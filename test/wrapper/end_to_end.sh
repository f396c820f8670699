#!/bin/bash
# The wrapper really protects a program, on the wire and at the peer:
#   a server killed with -9 under the wrapper sends RST, its peer's first
#   error is ECONNRESET; the same with --off sends FIN and the peer sees EOF
#   (the test discriminates); a client killed under the wrapper sends RST;
#   a graceful close under the wrapper keeps FIN and every byte; and
#   --on-exit=rst turns exit(0) with an open socket into RST.
# Ports 21100-21109.
. "$(dirname "$0")/lib-wrapper.sh"
need_lib
need_tool tcpdump

victim() { # ROLE PORT BYTES MODE -> CASE_VICTIM_CMD, under the wrapper + "$WOPTS[@]"
	CASE_VICTIM_CMD=("$W" "${WOPTS[@]}" -- "$AC_BIN/victim" "$1" --port "$2" --family 4 \
		--bytes "$3" --end "$4")
}
CASE_NOLIB=1 # the wrapper does the preloading, not lib.sh

WOPTS=()
victim server 21100 1000000 external
run_tcp_case "server kill -9 under the wrapper: RST" server 4 21100 1000000 external rst

WOPTS=(--off)
victim server 21101 1000000 external
run_tcp_case "server kill -9 under the wrapper --off: FIN" server 4 21101 1000000 external fin

WOPTS=()
victim client 21102 1000000 external
run_tcp_case "client kill -9 under the wrapper: RST" client 4 21102 1000000 external rst

WOPTS=()
victim server 21103 4000000 close
CASE_WANT_STATUS=0
run_tcp_case "graceful close under the wrapper: FIN, all bytes" server 4 21103 4000000 close fin

WOPTS=(--on-exit=rst)
victim server 21104 100000 exit0-open
run_tcp_case "exit(0) open under the wrapper --on-exit=rst: RST" server 4 21104 100000 exit0-open rst
CASE_WANT_STATUS=""

ac_finish
