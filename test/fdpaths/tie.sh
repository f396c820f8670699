#!/bin/bash
# tie.sh - two holders of one connection in different fork trees close it at
# the same instant (shim/tie.c).  Victim: fd_tie.py.  P, a server, hands each
# accepted connection to Q, an unrelated process started separately (its
# release records are in a ledger P cannot see), with SCM_RIGHTS; both
# close it at one instant (a deadline on CLOCK_MONOTONIC).  The debug log of
# both widens the window between each one's holder question and its close:
#   simultaneous     200 connections: every one EOF with every byte at the
#                    client, 0 RST and 200 FIN from the server port.  Before
#                    tie.c both kept it armed about one time in four (RST);
#   exec-simultaneous 60 connections, each given to a new child (fork and
#                    exec: a ledger of its own) that execs /bin/true with it
#                    close-on-exec at the instant P closes: EOF with every
#                    byte, 60 FIN, 0 RST.  Before, 59 of 60 ended with RST (the
#                    child's release comes before the exec, the exec's close
#                    of the fd long after: P saw it still holding);
#   receiver-crashes P closes, Q holds it and is SIGKILLed: RST (taking
#                    turns keeps the protection), control ABORTCLOSE=off: FIN;
#   mark-*           Q (with 300 other fds) holds the connection when P
#                    closes its copy: P finds Q's mark (shim/mark.c) and reads
#                    no fd table (strace: no openat of /proc/Q/fd; before,
#                    one scan of all of Q's fds per close); Q SIGKILLed: RST
#                    (control ABORTCLOSE=off: FIN);
#   lock-held        Q holds the turn (a POSIX lock on the socket, as a
#                    holder stopped inside its own close would): P waits a
#                    bounded time, disarms and says so (gave-up:tie-wait-too-
#                    long), Q's later close: FIN and every byte.
# Ports 23800-23809.
. "$(dirname "$0")/../lib.sh"
need_lib
need_tool tcpdump
need_tool python3
PY=$(command -v /usr/bin/python3 || command -v python3)
VICTIM="$(dirname "$0")/fd_tie.py"

# tie_start NAME PORT TRIALS Q_END [VAR=VALUE...]: Q, then P, each under the
# library with a debug log of its own; sets P_OUT, P_LOG, Q_PID, Q_OUT, P_PID.
# Q_EXTRA: other fds Q opens first; P_WRAP: a command P runs under (strace).
Q_EXTRA=0
P_WRAP=()
tie_start() {
	local name=$1 port=$2 trials=$3 qend=$4
	shift 4
	local d="$AC_TMP/$name"
	mkdir -p "$d"
	SOCK="$d/u"
	Q_OUT="$d/q.out" P_OUT="$d/p.out" P_LOG="$d/p.log"
	ac_bg Q_PID "$Q_OUT" "$d/q.err" env LD_PRELOAD="$(ac_preload)" ABORTCLOSE_LOG="file:$d/q.log" \
		ABORTCLOSE_LOG_LEVEL=debug "$@" "$PY" "$VICTIM" recv "$SOCK" "$qend" "$Q_EXTRA"
	if ! wait_for_line "$Q_OUT" '^READY-UNIX' 10 "$Q_PID" >/dev/null; then
		fail "$name" "receiver not ready: $(head -c 300 "$d/q.err")"
		return 1
	fi
	capture_start "$port" || { fail "$name" "no capture"; return 1; }
	ac_bg P_PID "$P_OUT" "$d/p.err" "${P_WRAP[@]}" env LD_PRELOAD="$(ac_preload)" ABORTCLOSE_LOG="file:$P_LOG" \
		ABORTCLOSE_LOG_LEVEL=debug "$@" "$PY" "$VICTIM" send "$port" "$SOCK" "$trials" 4096
}

# tie_end NAME: wait for both (bounded), stop the capture; the RESULT line.
tie_end() {
	local name=$1
	ac_wait "$P_PID" 60 || { fail "$name" "sender: status $? $(head -c 300 "$AC_TMP/$name/p.err")"; capture_stop; return 1; }
	ac_wait "$Q_PID" 20 || true
	capture_stop || { fail "$name" "capture incomplete"; return 1; }
	RESULT=$(grep -m1 '^RESULT' "$P_OUT")
	[ -n "$RESULT" ] || { fail "$name" "no RESULT: $(head -c 300 "$AC_TMP/$name/p.err")"; return 1; }
}

# --- simultaneous graceful closes ---------------------------------------------
port=23800
if tie_start simultaneous $port 200 close && tie_end simultaneous; then
	rst=$(count_rst_from server $port) fin=$(count_fin_from server $port)
	kept=$(grep -c 'kept-armed' "$P_LOG" "$AC_TMP/simultaneous/q.log" | awk -F: '{ s += $2 } END { print s + 0 }')
	if [ "$RESULT" = "RESULT trials=200 eof=200 reset=0 bad=0" ] && [ "$rst" = 0 ] && [ "$fin" = 200 ]; then
		pass "simultaneous ($RESULT; wire: $fin FIN, 0 RST; $kept closes kept it armed for the other)"
	else
		fail simultaneous "$RESULT; wire from the server: $rst RST, $fin FIN (want 0, 200)"
	fi
fi

# --- the other holder's copy closed by its exec ----------------------------------
port=23805
d="$AC_TMP/exec-simultaneous"
mkdir -p "$d"
if capture_start $port; then
	ac_bg P_PID "$d/p.out" "$d/p.err" env LD_PRELOAD="$(ac_preload)" ABORTCLOSE_LOG="file:$d/lib.log" \
		ABORTCLOSE_LOG_LEVEL=debug "$PY" "$VICTIM" send-exec $port 60 4096
	st=0
	ac_wait "$P_PID" 120 || st=$?
	if capture_stop; then
		RESULT=$(grep -m1 '^RESULT' "$d/p.out")
		rst=$(count_rst_from server $port) fin=$(count_fin_from server $port)
		if [ $st = 0 ] && [ "$RESULT" = "RESULT trials=60 eof=60 reset=0 bad=0" ] && [ "$rst" = 0 ] && [ "$fin" = 60 ]; then
			pass "exec-simultaneous ($RESULT; wire: $fin FIN, 0 RST)"
		else
			fail exec-simultaneous "status $st, ${RESULT:-no RESULT: $(head -c 300 "$d/p.err")}; wire from the server: $rst RST, $fin FIN (want 0, 60)"
		fi
	else
		fail exec-simultaneous "capture incomplete"
	fi
else
	fail exec-simultaneous "no capture"
fi

# --- the receiver crashes after the sender's close ------------------------------
# (mark-*: the same with 300 other fds in Q and P under strace)
have_strace=0
command -v strace >/dev/null && strace -f -o /dev/null true 2>/dev/null && have_strace=1
for name in receiver-crashes-on receiver-crashes-off mark-on mark-off; do
	case $name in
	receiver-crashes-on) port=23801 ;; receiver-crashes-off) port=23802 ;;
	mark-on) port=23806 ;; mark-off) port=23807 ;;
	esac
	mode=${name##*-}
	env=()
	[ $mode = off ] && env=(ABORTCLOSE=off)
	Q_EXTRA=0 P_WRAP=()
	if [ "${name%%-*}" = mark ]; then
		if [ $have_strace = 0 ]; then
			if in_ci; then fail "$name" "strace missing"; else skip "$name" "strace missing"; fi
			continue
		fi
		Q_EXTRA=300 P_WRAP=(strace -f -qq -o "$AC_TMP/$name.strace" -e trace=openat)
	fi
	tie_start "$name" $port 1 hold "${env[@]}" || continue
	if ! wait_for_line "$P_OUT" '^CLOSED' 20 "$P_PID" >/dev/null || ! wait_for_line "$Q_OUT" '^HOLDING' 20 "$Q_PID" >/dev/null; then
		fail "$name" "no hand-over: $(head -c 300 "$AC_TMP/$name/p.err")"
		capture_stop
		continue
	fi
	kill -KILL "$Q_PID"
	tie_end "$name" || continue
	rst=$(count_rst_from server $port) fin=$(count_fin_from server $port)
	if [ $mode = on ]; then want="RESULT trials=1 eof=0 reset=1 bad=0" wr=1 wf=0; else want="RESULT trials=1 eof=1 reset=0 bad=0" wr=0 wf=1; fi
	# mark-on: P's close must not have listed Q's fds (mark-off: the
	# library is off, nothing is asked).
	scans=0 said=""
	if [ "${name%%-*}" = mark ]; then
		scans=$(grep -c "/proc/$Q_PID/fd\"" "$AC_TMP/$name.strace")
		said="; P listed Q's fd table $scans times"
	fi
	if [ "$RESULT" = "$want" ] && [ "$rst" = $wr ] && [ "$fin" = $wf ] && [ "$scans" = 0 ]; then
		pass "$name ($RESULT; wire: $rst RST, $fin FIN$said)"
	else
		fail "$name" "$RESULT (want $want); wire: $rst RST, $fin FIN (want $wr, $wf)$said (want 0)"
	fi
done
Q_EXTRA=0 P_WRAP=()

# --- a holder that keeps the turn ------------------------------------------------
port=23803
if tie_start lock-held $port 1 lock; then
	if wait_for_line "$Q_OUT" '^LOCKED' 20 "$Q_PID" >/dev/null && wait_for_line "$P_OUT" '^CLOSED' 20 "$P_PID" >/dev/null; then
		: >"$SOCK.go" # Q may close now
	fi
	if tie_end lock-held; then
		rst=$(count_rst_from server $port) fin=$(count_fin_from server $port)
		line=$(grep -m1 "gave-up:tie-wait-too-long-pid-$Q_PID" "$P_LOG")
		if [ "$RESULT" = "RESULT trials=1 eof=1 reset=0 bad=0" ] && [ "$rst" = 0 ] && [ "$fin" = 1 ] && [ -n "$line" ]; then
			pass "lock-held ($RESULT; wire: 1 FIN, 0 RST; P: ${line#*: })"
		else
			fail lock-held "$RESULT; wire: $rst RST, $fin FIN; P's log: $(tr '\n' '|' <"$P_LOG" | head -c 400)"
		fi
	fi
fi
ac_finish
