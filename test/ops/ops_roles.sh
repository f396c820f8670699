#!/bin/bash
# ABORTCLOSE_ROLES (issue 4): `accepted` manages server-side connections only,
# `connected` client-side connections only, both by default.  With
# ROLES=connected a server killed with kill -9 sends FIN (left as the program
# made it) while a client sends RST; ROLES=accepted the other way round.
# Checked on the wire (packets sent by the side under test) and by the peer's
# first error (run_tcp_case, test/lib.sh).  Also: both roles listed, the
# ABORTCLOSE=off controls, IPv6, exit(1) of an unmanaged role (stays FIN),
# and roles combined with ports (a listed port does not bring back an
# unmanaged role).  Ports 25200-25299.
. "$(dirname "$0")/lib-ops.bash"
need_ops
need_tool tcpdump

BYTES=65536

# role NAME ROLES_VALUE SIDE PORT EXPECT [FAMILY [MODE [EXTRA_ENV...]]]
role() {
	local name=$1 roles=$2 side=$3 port=$4 expect=$5 fam=${6:-4} mode=${7:-external}
	shift 7 2>/dev/null || shift $#
	CASE_ENV=(ABORTCLOSE_ROLES="$roles" "$@")
	run_tcp_case "$name" "$side" "$fam" "$port" "$BYTES" "$mode" "$expect"
	CASE_ENV=()
}

role connected-server-kill9 connected server 25201 fin
role connected-client-kill9 connected client 25202 rst
role accepted-server-kill9 accepted server 25203 rst
role accepted-client-kill9 accepted client 25204 fin
role both-server-kill9 accepted,connected server 25205 rst
role both-client-kill9 connected,accepted client 25206 rst

# The controls of the RST cases: the same with ABORTCLOSE=off.
role accepted-server-kill9-off accepted server 25207 fin 4 external ABORTCLOSE=off
role connected-client-kill9-off connected client 25208 fin 4 external ABORTCLOSE=off

# A listed port does not manage a role that is not.
role accepted-listed-port-server accepted server 25209 rst 4 external ABORTCLOSE_PORTS=25209
role accepted-listed-port-client accepted client 25210 fin 4 external ABORTCLOSE_PORTS=25210

role v6-connected-server-kill9 connected server 25211 fin 6
role v6-connected-client-kill9 connected client 25212 rst 6

# exit(1) leaves managed sockets armed (default exit policy); an unmanaged
# role keeps the program's own FIN.
role connected-server-exit1 connected server 25213 fin 4 exit1
role accepted-client-exit1 accepted client 25214 fin 4 exit1
role accepted-server-exit1 accepted server 25215 rst 4 exit1
role connected-client-exit1 connected client 25216 rst 4 exit1

ac_finish
