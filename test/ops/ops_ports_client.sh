#!/bin/bash
# ABORTCLOSE_PORTS on the client side (issue 4): a connecting socket is
# managed only when its REMOTE port (the server's port) is listed; the
# decision is taken at connect().  A client under the library killed with
# kill -9 while connected to a listed port must send RST (the server-side
# peer's first error is ECONNRESET); connected to an unlisted or excluded
# port, the kernel's ordinary FIN and every byte, then EOF.  Wire (packets
# sent by the client, i.e. to the server port) and the peer's view, by
# run_tcp_case (test/lib.sh).  The client's own (local) port must not count:
# a client bound to a listed local port that connects to an unlisted port
# gets FIN.  Ports 25100-25199.
. "$(dirname "$0")/lib-ops.bash"
need_ops
need_tool tcpdump

BYTES=65536

# crash NAME PORTS_VALUE PORT EXPECT [FAMILY [MODE]]: the victim client
# connects to a peer server on PORT under ABORTCLOSE_PORTS=PORTS_VALUE and is
# killed with kill -9 after it sent.
crash() {
	CASE_ENV=(ABORTCLOSE_PORTS="$2")
	run_tcp_case "$1" client "${5:-4}" "$3" "$BYTES" "${6:-external}" "$4"
	CASE_ENV=()
}

crash listed-kill9 25101 25101 rst
crash unlisted-kill9 25101 25103 fin
CASE_ENV=(ABORTCLOSE_PORTS=25102 ABORTCLOSE=off)
run_tcp_case listed-kill9-off client 4 25102 "$BYTES" external fin
CASE_ENV=()

crash range-low-bound 25110-25119 25110 rst
crash range-high-bound 25110-25119 25119 rst
crash range-above 25110-25119 25120 fin

crash excluded-in-range '25130-25139,!25135' 25135 fin
crash beside-exclusion '25130-25139,!25135' 25136 rst
crash only-exclusion-excluded '!25140' 25140 fin
crash only-exclusion-other '!25140' 25141 rst

crash v6-listed 25150 25150 rst 6
crash v6-unlisted 25150 25151 fin 6

crash listed-exit1 25152 25152 rst 4 exit1
crash unlisted-exit1 25152 25153 fin 4 exit1
crash listed-sigsegv 25154 25154 rst 4 sigsegv
crash listed-close 25155 25155 fin 4 close

# The remote port decides, not the client's own.  The client (under the
# library) binds local port CPORT and connects to SPORT.
# own_port NAME PORTS_VALUE SPORT CPORT EXPECT
own_port() {
	local name=$1 rst fin firsts ok=0
	OPS_ENV=(ABORTCLOSE_PORTS="$2")
	OPS_CAPTURE=$3
	ops_case "$name" client "$3" 1 --bind-port "$4" --keep 1 --bytes "$BYTES" --end external
	OPS_ENV=() OPS_CAPTURE=""
	[ -z "$OPS_WHY" ] || { fail "$name" "$OPS_WHY"; return; }
	rst=$(count_rst_from client "$3")
	fin=$(count_fin_from client "$3")
	firsts=$(ops_firsts)
	if [ "$5" = rst ]; then
		[ "$firsts" = ECONNRESET ] && [ "$rst" -ge 1 ] && [ "$fin" = 0 ] && ok=1
	else
		[ "$firsts" = EOF ] && [ "$rst" = 0 ] && [ "$fin" -ge 1 ] && ops_obs_ok "$BYTES" && ok=1
	fi
	local evidence
	evidence="peer first=$firsts; from client: RST=$rst FIN=$fin; wire: $(wire_summary "$3")"
	if [ "$ok" = 1 ]; then
		pass "$name ($5: $evidence)"
	else
		fail "$name" "want $5 [$evidence]"
	fi
}
own_port local-port-listed-remote-not 25161 25160 25161 fin
own_port remote-port-listed-local-not 25162 25162 25163 rst

ac_finish
