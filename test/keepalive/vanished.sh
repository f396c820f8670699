#!/bin/bash
# vanished.sh - a peer that vanishes without FIN or RST (its namespace drops
# every packet of the connection with nftables: a host that lost power) is
# noticed by an unmodified program under the library:
#   * server blocked in recv(), ABORTCLOSE_KEEPALIVE=1,1,2: recv() fails with
#     ETIMEDOUT, after keepalive probes on the wire (ACKs without data);
#   * server sending, ABORTCLOSE_USER_TIMEOUT=2000: send() fails with
#     ETIMEDOUT;
#   * client blocked in recv() whose server vanishes: ETIMEDOUT too;
#   * controls, still blocked when every case above has its answer: the same
#     programs without the settings, with ABORTCLOSE=off, and with the
#     program's own SO_KEEPALIVE=0 / TCP_USER_TIMEOUT=0 (its choice wins).
# All cases run at once, in two namespaces of the test's own
# (lib-ka.sh); no time is asserted: the bound is only a test timeout.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-ka.sh"
need_lib "$AC_BIN/ka_conn"
need_tool tcpdump
ka_netns_setup

KA="ABORTCLOSE_KEEPALIVE=1,1,2"
UTO="ABORTCLOSE_USER_TIMEOUT=2000"
GO="$AC_TMP/go"
# name|port|side under test|action|environment of the side under test
CASES=(
"recv-keepalive|22810|server|recv|$KA"
"send-user-timeout|22811|server|send|$UTO"
"client-recv-keepalive|22812|client|recv|$KA"
"control-recv-no-setting|22813|server|recv|ABORTCLOSE_LOG_LEVEL=warn"
"control-send-no-setting|22814|server|send|ABORTCLOSE_LOG_LEVEL=warn"
"control-recv-abortclose-off|22815|server|recv|ABORTCLOSE=off $KA"
"control-send-abortclose-off|22816|server|send|ABORTCLOSE=off $UTO"
"control-program-own-choice|22817|server|own|$KA $UTO"
"control-client-no-setting|22818|client|recv|ABORTCLOSE_LOG_LEVEL=warn"
)

ip netns exec "$KA_SRV" tcpdump -i "ka$$s" -U --immediate-mode -nn -s 96 -w "$AC_TMP/srv.pcap" \
	"tcp port 22810" >/dev/null 2>"$AC_TMP/tcpdump.err" </dev/null &
cap_pid=$!
AC_PIDS+=("$cap_pid")
wait_for_line "$AC_TMP/tcpdump.err" "listening on" 10 "$cap_pid" >/dev/null || fail capture "tcpdump did not start"

declare -A UNDER PEER
for c in "${CASES[@]}"; do
	IFS='|' read -r name port side action envs <<<"$c"
	# shellcheck disable=SC2086
	if [ "$side" = server ]; then
		ac_bg pid "$AC_TMP/$name.out" "$AC_TMP/$name.err" ip netns exec "$KA_SRV" \
			env LD_PRELOAD="$(ac_preload)" KA_GO="$GO" $envs "$AC_BIN/ka_conn" server "$port" "$action"
		UNDER[$name]=$pid
		wait_for_line "$AC_TMP/$name.out" READY 10 "$pid" >/dev/null || fail "$name" "server not ready"
		ac_bg pid "$AC_TMP/$name.peer" "$AC_TMP/$name.peer.err" ip netns exec "$KA_CLI" \
			"$AC_BIN/ka_conn" client "$KA_SRV_IP" "$port" hold
		PEER[$name]=$pid
		wait_for_line "$AC_TMP/$name.out" ACCEPTED 10 "${UNDER[$name]}" >/dev/null || fail "$name" "not accepted"
	else
		ac_bg pid "$AC_TMP/$name.peer" "$AC_TMP/$name.peer.err" ip netns exec "$KA_SRV" \
			"$AC_BIN/ka_conn" server "$port" hold
		PEER[$name]=$pid
		wait_for_line "$AC_TMP/$name.peer" READY 10 "$pid" >/dev/null || fail "$name" "peer not ready"
		ac_bg pid "$AC_TMP/$name.out" "$AC_TMP/$name.err" ip netns exec "$KA_CLI" \
			env LD_PRELOAD="$(ac_preload)" $envs "$AC_BIN/ka_conn" client "$KA_SRV_IP" "$port" "$action"
		UNDER[$name]=$pid
		wait_for_line "$AC_TMP/$name.out" CONNECTED 10 "$pid" >/dev/null || fail "$name" "not connected"
	fi
done

# Every peer vanishes at once: the clients' namespace drops the server cases'
# ports, the servers' namespace the client cases' ports.
ka_vanish "$KA_CLI" 22810 22811 22813 22814 22815 22816 22817
ka_vanish "$KA_SRV" 22812 22818
vanished_at=$(date +%s.%N)
: >"$GO" # the senders start now: nothing they send is ever acknowledged

# The cases under test: each must report ETIMEDOUT (bounded wait, 30 s).
for name in recv-keepalive send-user-timeout client-recv-keepalive; do
	if line=$(wait_for_line "$AC_TMP/$name.out" '^RESULT' 30 "${UNDER[$name]}"); then
		case $line in
		*errno=ETIMEDOUT)
			at=${line#*at=}
			pass "$name (errno=ETIMEDOUT, $(awk -v a="${at%% *}" -v b="$vanished_at" 'BEGIN { printf "%.1f", a - b }') s after the peer vanished)" ;;
		*) fail "$name" "want errno=ETIMEDOUT, got: $line" ;;
		esac
	else
		fail "$name" "no result within 30 s: $(tr '\n' '|' <"$AC_TMP/$name.err" | head -c 300)"
	fi
done

# The controls had the same time and more (2 s after the last answer): still
# blocked, no RESULT line.
sleep 2
for c in "${CASES[@]}"; do
	IFS='|' read -r name _ _ _ _ <<<"$c"
	case $name in control-*) ;; *) continue ;; esac
	if grep -q '^RESULT' "$AC_TMP/$name.out"; then
		fail "$name" "the vanished peer was noticed: $(grep '^RESULT' "$AC_TMP/$name.out")"
	elif ! ac_running "${UNDER[$name]}"; then
		fail "$name" "exited: $(tr '\n' '|' <"$AC_TMP/$name.err" | head -c 300)"
	else
		pass "$name (still blocked)"
	fi
done
# The program's own choice is what it sees, too.
grep -q '^OPTS own ka=0 .* uto=0$' "$AC_TMP/control-program-own-choice.out" &&
	pass "own-choice-visible ($(grep '^OPTS' "$AC_TMP/control-program-own-choice.out"))" ||
	fail own-choice-visible "$(cat "$AC_TMP/control-program-own-choice.out")"

# The wire: keepalive probes from the server (ACKs without data, seq =
# snd_nxt - 1) before it gave up: at least TCP_KEEPCNT=2 unanswered ones.
kill -INT "$cap_pid" 2>/dev/null
ac_wait "$cap_pid" 10
probes=$(tcpdump -r "$AC_TMP/srv.pcap" -nn "src host $KA_SRV_IP and tcp[tcpflags] == tcp-ack and (ip[2:2] - ((ip[0]&0xf)<<2) - ((tcp[12]&0xf0)>>2)) == 0" 2>/dev/null | wc -l)
rsts=$(tcpdump -r "$AC_TMP/srv.pcap" -nn "src host $KA_SRV_IP and tcp[tcpflags] & tcp-rst != 0" 2>/dev/null | wc -l)
if [ "$probes" -ge 2 ]; then
	pass "keepalive-probes-on-the-wire ($probes probes, then $rsts RST)"
else
	fail keepalive-probes-on-the-wire "want >= 2 empty ACKs from the server, got $probes"
fi
ac_finish
