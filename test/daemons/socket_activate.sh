#!/bin/bash
# socket_activate.sh - systemd-socket-activate under the library (issue 9).
#
# The library used to arm a listener before listen() so that accepted
# connections inherit {1,0}.  Socket activation starts the service with its
# first connection already queued, and the service here does not load the
# library (the wrapper runs systemd-socket-activate only, whose children get
# a fresh environment without LD_PRELOAD): every queued connection kept
# {1,0}, and the service's normal close() sent RST (16 of 20 MB arrived).
# Now listeners are never armed:
#   listener-unwrapped   LISTEN_FDS mode, 3 connections (the activating one
#                        first): each gets 20 MB byte-exact, FIN, zero RST
#   inetd-unwrapped      --inetd --accept: the same for 3 connections
#   listener-kill / inetd-kill   the library reaches the service
#                        (-E LD_PRELOAD=...): a SIGKILL mid-response gives
#                        RST; -off variants (-E ABORTCLOSE=off): FIN
# Ports 22470-22489.
. "$(dirname "$0")/../lib.sh"
need_lib "$AC_BIN/activated_service"
need_tool tcpdump
need_tool systemd-socket-activate

BYTES=20000000
SA=$(command -v systemd-socket-activate)

# serve_case NAME PORT MODE(listener|inetd) CONNS
serve_case() {
	local name=$1 port=$2 mode=$3 conns=$4 d="$AC_TMP/$1" sa i why="" args=()
	mkdir -p "$d"
	[ "$mode" = inetd ] && args=(--inetd --accept)
	capture_start "$port" || { fail "$name" "no capture"; return; }
	ac_bg sa "$d/sa.out" "$d/sa.err" env ABORTCLOSE_LIB="$AC_LIB" "$AC_ROOT/scripts/abortclose" -- "$SA" "${args[@]}" \
		-l "127.0.0.1:$port" "$AC_BIN/activated_service" "$BYTES" "$conns" close
	wait_for_line "$d/sa.err" "Listening on" 10 "$sa" >/dev/null || { capture_stop; fail "$name" "not listening: $(head -c 300 "$d/sa.err")"; return; }
	for i in $(seq 1 "$conns"); do
		"$AC_BIN/peer" client --port "$port" --timeout 30 >"$d/peer$i.out" 2>&1
		[ "$(peer_field "$d/peer$i.out" first)" = EOF ] || why="${why:+$why; }connection $i: first=$(peer_field "$d/peer$i.out" first)"
		[ "$(peer_field "$d/peer$i.out" bytes)" = "$BYTES" ] || why="${why:+$why; }connection $i: $(peer_field "$d/peer$i.out" bytes) of $BYTES bytes"
		[ "$(peer_field "$d/peer$i.out" match)" = 1 ] || why="${why:+$why; }connection $i: bytes differ"
	done
	[ "$mode" = listener ] && ac_wait "$sa" 20 # the service exits after CONNS
	kill -TERM "$sa" 2>/dev/null
	ac_wait "$sa" 10
	capture_stop
	local rst fin
	rst=$(count_rst_from server "$port")
	fin=$(count_fin_from server "$port")
	[ "$rst" = 0 ] || why="${why:+$why; }$rst RST from the server"
	[ "$fin" -ge "$conns" ] || why="${why:+$why; }$fin FIN for $conns connections"
	if [ -n "$why" ]; then
		fail "$name" "$why [wire: $(wire_summary "$port")]"
	else
		pass "$name ($conns x $BYTES bytes byte-exact, FIN=$fin RST=$rst)"
	fi
}

# kill_case NAME PORT MODE EXPECT -E...: the service loads the library.
kill_case() {
	local name=$1 port=$2 mode=$3 expect=$4 d="$AC_TMP/$1" sa pp pid i=0 args=()
	shift 4
	mkdir -p "$d"
	[ "$mode" = inetd ] && args=(--inetd --accept)
	capture_start "$port" || { fail "$name" "no capture"; return; }
	ac_bg sa "$d/sa.out" "$d/sa.err" env ABORTCLOSE_LIB="$AC_LIB" "$AC_ROOT/scripts/abortclose" -- "$SA" "${args[@]}" \
		-E "LD_PRELOAD=$AC_LIB" "$@" -l "127.0.0.1:$port" \
		"$AC_BIN/activated_service" "$BYTES" 1 half-pause "$d/pid"
	wait_for_line "$d/sa.err" "Listening on" 10 "$sa" >/dev/null || { capture_stop; fail "$name" "not listening"; return; }
	ac_bg pp "$d/peer.out" "$d/peer.err" "$AC_BIN/peer" client --port "$port" --timeout 30
	while [ ! -s "$d/pid" ] && [ "$i" -lt 500 ]; do sleep 0.02; i=$((i + 1)); done
	pid=$(cat "$d/pid" 2>/dev/null)
	if [ -n "$pid" ] && grep -q activated_service "/proc/$pid/cmdline" 2>/dev/null; then
		kill -KILL "$pid"
	else
		fail "$name" "no service pid"
	fi
	ac_wait "$pp" 30
	kill -TERM "$sa" 2>/dev/null
	ac_wait "$sa" 10
	capture_stop
	local first got rst fin why
	first=$(peer_field "$d/peer.out" first)
	got=$(peer_field "$d/peer.out" bytes)
	rst=$(count_rst_from server "$port")
	fin=$(count_fin_from server "$port")
	why=$(expect_verdict "$expect" server "$first" "$got" $((BYTES / 2)) "$rst" "$fin")
	if [ -n "$why" ]; then
		fail "$name" "$why [peer: first=$first bytes=$got; wire: $(wire_summary "$port")]"
	else
		pass "$name ($expect: peer first=$first bytes=$got; RST=$rst FIN=$fin)"
	fi
}

serve_case listener-unwrapped 22470 listener 3
serve_case inetd-unwrapped 22471 inetd 3
kill_case listener-kill 22472 listener rst
kill_case listener-kill-off 22473 listener fin -E ABORTCLOSE=off
kill_case inetd-kill 22474 inetd rst
kill_case inetd-kill-off 22475 inetd fin -E ABORTCLOSE=off
ac_finish
