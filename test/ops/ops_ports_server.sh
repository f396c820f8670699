#!/bin/bash
# ABORTCLOSE_PORTS on the server side (issue 4): a listening/accepted
# connection is managed only when its LOCAL port is listed.  A server killed
# with kill -9 on a listed port must send RST (the peer's first error is
# ECONNRESET); on an unlisted or excluded port the library leaves the socket
# exactly as the program made it, so the kernel's ordinary FIN goes out and
# the peer reads every byte, then EOF.  Wire (tcpdump, packets sent by the
# server) and the peer's view are both checked by run_tcp_case (test/lib.sh).
# Single ports, range bounds, `!` exclusions (anywhere in the list, single
# and ranges, exclusions only = every port but these), IPv6, other deaths
# (SIGSEGV, exit(1)), a graceful close on a listed port, ABORTCLOSE=off.
# The filter must look at the server's own port, not the client's: a client
# bound to a listed local port talking to an unlisted server port gets FIN.
# Ports 25000-25099.
. "$(dirname "$0")/lib-ops.bash"
need_ops
need_tool tcpdump

BYTES=65536

# crash NAME PORTS_VALUE PORT EXPECT [FAMILY [MODE]]: the victim server on
# PORT under ABORTCLOSE_PORTS=PORTS_VALUE, killed with kill -9 after it sent.
crash() {
	CASE_ENV=(ABORTCLOSE_PORTS="$2")
	run_tcp_case "$1" server "${5:-4}" "$3" "$BYTES" "${6:-external}" "$4"
	CASE_ENV=()
}

# Listed vs unlisted single port, and the ABORTCLOSE=off control.
crash listed-kill9 25001 25001 rst
crash unlisted-kill9 25001 25003 fin
CASE_ENV=(ABORTCLOSE_PORTS=25002 ABORTCLOSE=off)
run_tcp_case listed-kill9-off server 4 25002 "$BYTES" external fin
CASE_ENV=()

# A range includes both bounds and nothing outside them.
crash range-low-bound 25010-25019 25010 rst
crash range-high-bound 25010-25019 25019 rst
crash range-below 25010-25019 25009 fin
crash range-above 25010-25019 25020 fin

# `!` exclusions win, wherever they stand in the list.
crash excluded-in-range '25030-25039,!25035' 25035 fin
crash beside-exclusion '25030-25039,!25035' 25036 rst
crash exclusion-first '!25037,25030-25039' 25037 fin
crash excluded-range '25050-25059,!25052-25054' 25053 fin
crash after-excluded-range '25050-25059,!25052-25054' 25055 rst
# Only exclusions: every port except those.
crash only-exclusion-excluded '!25040' 25040 fin
crash only-exclusion-other '!25040' 25041 rst
# A list with other entries (the documented example's shape).
crash list-member '80,443,25060,8000-8999,!8080' 25060 rst
crash list-nonmember '80,443,25060,8000-8999,!8080' 25061 fin

# IPv6 (::1).
crash v6-listed 25070 25070 rst 6
crash v6-unlisted 25070 25071 fin 6

# Other deaths on a listed port, and exit(1) (left armed by the default
# exit policy) on an unlisted port, which must stay the program's own FIN.
crash listed-sigsegv 25072 25072 rst 4 sigsegv
crash listed-exit1 25073 25073 rst 4 exit1
crash unlisted-exit1 25073 25074 fin 4 exit1
# A graceful close on a listed port stays graceful (FIN, all data).
crash listed-close 25075 25075 fin 4 close

# The server's own port decides, not the client's.  The client (no library)
# binds local port CPORT, which is listed; the server's port SPORT is not.
# own_port NAME PORTS_VALUE SPORT CPORT EXPECT
own_port() {
	local name=$1 rst fin firsts ok=0
	OPS_ENV=(ABORTCLOSE_PORTS="$2")
	OPS_OBS_OPTS=(--bind-port "$4")
	OPS_CAPTURE=$3
	ops_case "$name" server "$3" 1 --keep 1 --bytes "$BYTES" --end external
	OPS_ENV=() OPS_OBS_OPTS=() OPS_CAPTURE=""
	[ -z "$OPS_WHY" ] || { fail "$name" "$OPS_WHY"; return; }
	rst=$(count_rst_from server "$3")
	fin=$(count_fin_from server "$3")
	firsts=$(ops_firsts)
	if [ "$5" = rst ]; then
		[ "$firsts" = ECONNRESET ] && [ "$rst" -ge 1 ] && [ "$fin" = 0 ] && ok=1
	else
		[ "$firsts" = EOF ] && [ "$rst" = 0 ] && [ "$fin" -ge 1 ] && ops_obs_ok "$BYTES" && ok=1
	fi
	local evidence
	evidence="peer first=$firsts; from server: RST=$rst FIN=$fin; wire: $(wire_summary "$3")"
	if [ "$ok" = 1 ]; then
		pass "$name ($5: $evidence)"
	else
		fail "$name" "want $5 [$evidence]"
	fi
}
own_port client-port-listed-server-port-not 25081 25080 25081 fin
own_port server-port-listed-client-port-not 25082 25082 25083 rst

ac_finish
