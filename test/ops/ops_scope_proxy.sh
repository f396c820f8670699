#!/bin/bash
# The reason for the filters (issue 4: "only the public port, not the
# database client"): one process that is both a server and a client.  The
# proxy (test/progs/ops_conn.c, under the library) accepts a connection on
# its public port P, connects to an upstream ("database") port Q, sends data
# on both, and is killed with kill -9.  For each policy, which of its two
# connections ends with RST and which with FIN: on the wire (packets sent by
# the proxy: from port P, to port Q) and as each peer's first error.
#   default            P RST, Q RST
#   PORTS=P            P RST, Q FIN      PORTS=Q          P FIN, Q RST
#   ROLES=accepted     P RST, Q FIN      ROLES=connected  P FIN, Q RST
#   ABORTCLOSE=off     P FIN, Q FIN      (the control)
# Ports 25300-25349 (two per case).
. "$(dirname "$0")/lib-ops.bash"
need_ops
need_tool tcpdump

BYTES=65536

# verdict_of EXPECT FIRST RST FIN GOT: "" when the connection ended as EXPECT.
verdict_of() {
	case $1 in
	rst) [ "$2" = ECONNRESET ] && [ "$3" -ge 1 ] && [ "$4" = 0 ] ;;
	fin) [ "$2" = EOF ] && [ "$3" = 0 ] && [ "$4" -ge 1 ] && [ "$5" = "$BYTES" ] ;;
	esac
}

# proxy_case NAME P Q EXPECT_P EXPECT_Q [ENV...]
proxy_case() {
	local name=$1 p=$2 q=$3 want_p=$4 want_q=$5 d="$AC_TMP/$1" ppid cpid vpid why=""
	shift 5
	mkdir -p "$d"
	if port_listening "$p" || port_listening "$q"; then
		fail "$name" "port $p or $q already in use"
		return
	fi
	capture_start "$p" "$q" || { fail "$name" "tcpdump did not start"; return; }
	ac_bg ppid "$d/up.out" "$d/up.err" "$AC_BIN/peer" server --port "$q" --timeout 20
	if ! wait_for_line "$d/up.out" '^READY ' 10 "$ppid" >/dev/null; then
		why="upstream peer not ready: $(ops_show "$d/up.err")"
	else
		ac_bg vpid "$d/proxy.out" "$d/proxy.err" env LD_PRELOAD="$(ac_preload)" "$@" \
			"$OPS" proxy --port "$p" --upstream "$q" --bytes "$BYTES" --keep 1 --end external
		if ! wait_for_line "$d/proxy.out" '^READY ' 10 "$vpid" >/dev/null; then
			why="proxy not ready: $(ops_show "$d/proxy.err")"
		else
			ac_bg cpid "$d/client.out" "$d/client.err" "$AC_BIN/peer" client --port "$p" --timeout 20
			if wait_for_line "$d/proxy.out" '^SENT ' 20 "$vpid" >/dev/null; then
				kill -KILL "$vpid"
			else
				why="proxy never reported SENT: $(ops_show "$d/proxy.err")"
			fi
		fi
	fi
	[ -n "${vpid:-}" ] && { ac_wait "$vpid" 30 || true; }
	[ -n "${cpid:-}" ] && { ac_wait "$cpid" 30 || true; }
	[ -n "${ppid:-}" ] && { ac_wait "$ppid" 30 || true; }
	capture_stop || why="${why:+$why; }capture incomplete"
	[ -z "$why" ] || { fail "$name" "$why"; return; }

	local fp fq gp gq rp rq np nq evidence
	fp=$(peer_field "$d/client.out" first)
	gp=$(peer_field "$d/client.out" bytes)
	fq=$(peer_field "$d/up.out" first)
	gq=$(peer_field "$d/up.out" bytes)
	rp=$(count_rst_from server "$p")
	np=$(count_fin_from server "$p")
	rq=$(count_rst_from client "$q")
	nq=$(count_fin_from client "$q")
	evidence="public $p: peer first=$fp bytes=$gp, RST=$rp FIN=$np; upstream $q: peer first=$fq bytes=$gq, RST=$rq FIN=$nq"
	[ -s "$d/proxy.err" ] && why="proxy stderr: $(ops_show "$d/proxy.err")"
	verdict_of "$want_p" "$fp" "$rp" "$np" "$gp" || why="${why:+$why; }public connection: want $want_p"
	verdict_of "$want_q" "$fq" "$rq" "$nq" "$gq" || why="${why:+$why; }upstream connection: want $want_q"
	if [ -n "$why" ]; then
		fail "$name" "$why [$evidence; wire: $(wire_summary "$p")]"
	else
		pass "$name (public $want_p, upstream $want_q: $evidence)"
	fi
}

proxy_case default 25301 25302 rst rst
proxy_case ports-public 25303 25304 rst fin ABORTCLOSE_PORTS=25303
proxy_case ports-upstream 25305 25306 fin rst ABORTCLOSE_PORTS=25306
proxy_case roles-accepted 25307 25308 rst fin ABORTCLOSE_ROLES=accepted
proxy_case roles-connected 25309 25310 fin rst ABORTCLOSE_ROLES=connected
proxy_case off 25311 25312 fin fin ABORTCLOSE=off
# The documented example shape: public range with the upstream excluded.
proxy_case ports-range-exclusion 25313 25314 rst fin 'ABORTCLOSE_PORTS=25300-25349,!25314'

ac_finish
