#!/bin/bash
# exit_monitor.sh - ABORTCLOSE_ON_EXIT=status:0,255 with sshd's shape
# (test/progs/exit_monitor): a monitor and its session child both hold the
# connection, and the monitor exits 255 right after the child is gone,
# however it went.
#   normal   the child exits 255 after all bytes: the monitor's 255 counts
#            as success: every byte and FIN
#   killed   the child is SIGKILLed after all bytes: the monitor's 255 does
#            not count (a child killed by a signal, still dying or
#            unreaped): RST
#   default  ON_EXIT=status (0 only): normal gives RST
#   -off     ABORTCLOSE=off controls: FIN
# Ports 22490-22499.
. "$(dirname "$0")/../lib.sh"
need_lib "$AC_BIN/exit_monitor"
need_tool tcpdump
BYTES=2000000

# one NAME PORT MODE EXPECT VAR=VAL...
one() {
	local name=$1 port=$2 mode=$3 expect=$4 d="$AC_TMP/$1" m pp pid
	shift 4
	mkdir -p "$d"
	capture_start "$port" || { fail "$name" "no capture"; return; }
	ac_bg m "$d/m.out" "$d/m.err" env LD_PRELOAD="$(ac_preload)" "$@" "$AC_BIN/exit_monitor" "$port" "$BYTES" "$mode"
	wait_for_line "$d/m.out" '^READY' 10 "$m" >/dev/null || { capture_stop; fail "$name" "not ready"; return; }
	ac_bg pp "$d/peer.out" "$d/peer.err" "$AC_BIN/peer" client --port "$port" --timeout 20
	if [ "$mode" = killed ]; then
		pid=$(wait_for_line "$d/m.err" '^CHILD' 20 "$m" | awk '{ print $2 }')
		[ -n "$pid" ] && kill -KILL "$pid"
	fi
	ac_wait "$m" 20
	local st=$?
	ac_wait "$pp" 20
	capture_stop
	local first got rst fin why=""
	first=$(peer_field "$d/peer.out" first)
	got=$(peer_field "$d/peer.out" bytes)
	rst=$(count_rst_from server "$port")
	fin=$(count_fin_from server "$port")
	[ "$st" = 255 ] || why="monitor status $st, want 255"
	why="${why:+$why; }$(expect_verdict "$expect" server "$first" "$got" "$BYTES" "$rst" "$fin")"
	why=${why%; }
	if [ -n "$why" ]; then
		fail "$name" "$why [peer: first=$first bytes=$got; wire: $(wire_summary "$port")]"
	else
		pass "$name ($expect: peer first=$first bytes=$got; RST=$rst FIN=$fin)"
	fi
}

one normal 22490 normal fin ABORTCLOSE_ON_EXIT=status:0,255
one normal-off 22491 normal fin ABORTCLOSE_ON_EXIT=status:0,255 ABORTCLOSE=off
one killed 22492 killed rst ABORTCLOSE_ON_EXIT=status:0,255
one killed-off 22493 killed fin ABORTCLOSE_ON_EXIT=status:0,255 ABORTCLOSE=off
one default-normal 22494 normal rst
ac_finish
