# test/keepalive/lib-ka.sh - two network namespaces of the test's own joined
# by a veth pair, and a way to make one side vanish.  Sourced after
# test/lib.sh.
#
#   ka_netns_setup        namespaces $KA_SRV (10.212.0.1) and $KA_CLI
#                         (10.212.0.2); removed at exit
#   ka_in NS CMD...       run CMD inside namespace NS
#   ka_vanish NS PORT...  from now on NS drops every TCP packet to or from
#                         PORT, in and out (nftables): to the other side it
#                         is a host that lost power - no FIN, no RST, no
#                         answer to anything
# Nothing leaves these namespaces; no address outside them is used.

KA_SRV="ac12s-$$"
KA_CLI="ac12c-$$"
KA_SRV_IP=10.212.0.1
KA_CLI_IP=10.212.0.2

ka_cleanup() {
	ip netns del "$KA_SRV" 2>/dev/null
	ip netns del "$KA_CLI" 2>/dev/null
	ac_cleanup 2>/dev/null # the killed peers' "Killed" lines are expected
}

ka_netns_setup() {
	need_tool ip
	need_tool nft
	trap ka_cleanup EXIT
	ip netns add "$KA_SRV" && ip netns add "$KA_CLI" || { fail setup "ip netns add"; ac_finish; }
	ip link add "ka$$s" netns "$KA_SRV" type veth peer name "ka$$c" netns "$KA_CLI" ||
		{ fail setup "veth"; ac_finish; }
	ip -n "$KA_SRV" addr add "$KA_SRV_IP/30" dev "ka$$s"
	ip -n "$KA_CLI" addr add "$KA_CLI_IP/30" dev "ka$$c"
	ip -n "$KA_SRV" link set lo up
	ip -n "$KA_CLI" link set lo up
	ip -n "$KA_SRV" link set "ka$$s" up
	ip -n "$KA_CLI" link set "ka$$c" up
	ip netns exec "$KA_CLI" nft add table inet ka12 &&
		ip netns exec "$KA_SRV" nft add table inet ka12 || { fail setup "nft add table"; ac_finish; }
	local ns
	for ns in "$KA_SRV" "$KA_CLI"; do
		ip netns exec "$ns" nft add chain inet ka12 in '{ type filter hook input priority 0; }'
		ip netns exec "$ns" nft add chain inet ka12 out '{ type filter hook output priority 0; }'
	done
}

ka_in() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

ka_vanish() {
	local ns=$1 p
	shift
	for p in "$@"; do
		ip netns exec "$ns" nft add rule inet ka12 in tcp sport "$p" drop &&
		ip netns exec "$ns" nft add rule inet ka12 in tcp dport "$p" drop &&
		ip netns exec "$ns" nft add rule inet ka12 out tcp sport "$p" drop &&
		ip netns exec "$ns" nft add rule inet ka12 out tcp dport "$p" drop ||
			{ fail "vanish $p" "nft add rule"; return 1; }
	done
}
