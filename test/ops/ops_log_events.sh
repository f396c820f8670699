#!/bin/bash
# The debug events of issue 4, each produced by the program path that should
# produce it, with the connection's addresses ("one line per decision: pid,
# fd, local and remote address:port, event"), logged to a file:
#   disarmed:fclose, disarmed:shutdown, disarmed:exit-status-0 (and
#   disarmed:shutdown/close after the peer closed first),
#   left-armed:exit-status-1 (exit via _exit(1) and via return 1 from main),
#   skipped:port and skipped:role (server: the listener's local port; client:
#   the remote port it connects to), adopted:inherited (a connection
#   inherited across exec), kept-armed:shared-with-pid-N (a forked child
#   closes its copy while the parent still holds the connection),
#   armed (a client's line names its remote 127.0.0.1:PORT; a server's armed
#   lines are its connections, each with a remote address).
# Where a case also has a visible effect, the peer's first error is checked.
# Ports 25520-25569.
. "$(dirname "$0")/lib-ops.bash"
need_ops

# ev NAME ROLE PORT CONNS [ops_conn options...]: run with a debug file log
# (plus EV_ENV); the log is $AC_TMP/NAME.log.
EV_ENV=()
ev() {
	local name=$1
	shift
	OPS_ENV=(ABORTCLOSE_LOG="file:$AC_TMP/$name.log" ABORTCLOSE_LOG_LEVEL=debug "${EV_ENV[@]}")
	ops_case "$name" "$@"
	OPS_ENV=()
	EV_LOG="$AC_TMP/$name.log"
	if [ -n "$OPS_WHY" ]; then
		fail "$name" "$OPS_WHY"
		return 1
	fi
}
want_first() {
	[ "$(ops_firsts)" = "$1" ] || OPS_BAD="${OPS_BAD:+$OPS_BAD; }peer first=$(ops_firsts), want $1"
}
A=$OPS_ADDR_ANY

# --- purposeful ends ----------------------------------------------------------------
if ev fclose server 25520 1 --bytes 4096 --how fclose; then
	ops_want "$EV_LOG" "$(ops_log_re "$OPS_VPID" disarmed:fclose "$(ops_addr 25520)" "$A")" 1 disarmed:fclose
	ops_want "$EV_LOG" "$(ops_log_re "$OPS_VPID" 'disarmed:close')" 0 "disarmed:close"
	want_first EOF
	ops_verdict fclose "disarmed:fclose" "$EV_LOG"
fi
if ev shutdown client 25521 1 --bytes 4096 --how shutdown; then
	ops_want "$EV_LOG" "$(ops_log_re "$OPS_VPID" disarmed:shutdown "$A" "$(ops_addr 25521)")" 1 disarmed:shutdown
	ops_want "$EV_LOG" "$(ops_log_re "$OPS_VPID" 'disarmed:[a-z0-9:-]+')" 1 "disarmed lines in all"
	want_first EOF
	ops_verdict shutdown "disarmed:shutdown, once" "$EV_LOG"
fi
if ev exit0 server 25522 1 --bytes 4096 --keep 1 --end exit0; then
	ops_want "$EV_LOG" "$(ops_log_re "$OPS_VPID" disarmed:exit-status-0 "$(ops_addr 25522)" "$A")" 1 disarmed:exit-status-0
	want_first EOF
	ops_verdict exit0 "disarmed:exit-status-0" "$EV_LOG"
fi
for end in _exit1 return1; do
	port=25523
	[ "$end" = return1 ] && port=25524
	if ev "$end" client "$port" 1 --bytes 4096 --keep 1 --end "$end"; then
		ops_want "$EV_LOG" "$(ops_log_re "$OPS_VPID" left-armed:exit-status-1 "$A" "$(ops_addr "$port")")" 1 \
			left-armed:exit-status-1
		want_first ECONNRESET
		ops_verdict "$end" "left-armed:exit-status-1" "$EV_LOG"
	fi
done

# The peer closes first (an HTTP client that has its whole response), then
# the server ends the connection: the line still names the remote address.
# On loopback the last ACK arrives while shutdown() is still running, so the
# socket is already CLOSED (no peer for getpeername) by the time it returns.
for how in shutdown close; do
	port=25525
	[ "$how" = close ] && port=25526
	OPS_OBS_OPTS=(--half-close 4096)
	if ev "peer-first-$how" server "$port" 1 --bytes 4096 --how "$how" --wait-eof; then
		ops_want "$EV_LOG" "$(ops_log_re "$OPS_VPID" "disarmed:$how" "$(ops_addr "$port")" "$A")" 1 \
			"disarmed:$how naming the remote 127.0.0.1:N"
		want_first EOF
		ops_verdict "peer-first-$how" "disarmed:$how with both addresses" "$EV_LOG"
	fi
	OPS_OBS_OPTS=()
done

# --- filters --------------------------------------------------------------------------
EV_ENV=(ABORTCLOSE_PORTS=1-25000)
if ev skipped-port-server server 25530 1 --bytes 4096 --keep 1 --end exit1; then
	ops_want "$EV_LOG" "$(ops_log_re "$OPS_VPID" skipped:port "$(ops_addr 25530)")" 1 "skipped:port (listener)"
	ops_want "$EV_LOG" "$(ops_log_re "$OPS_VPID" '(armed|left-armed:.*)')" 0 "armed/left-armed lines"
	want_first EOF
	ops_verdict skipped-port-server "skipped:port on the listener, FIN at exit(1)" "$EV_LOG"
fi
if ev skipped-port-client client 25531 1 --bytes 4096 --keep 1 --end exit1; then
	ops_want "$EV_LOG" "$(ops_log_re "$OPS_VPID" skipped:port "$A" "$(ops_addr 25531)")" 1 \
		"skipped:port naming remote 127.0.0.1:25531"
	want_first EOF
	ops_verdict skipped-port-client "skipped:port with the remote address" "$EV_LOG"
fi
EV_ENV=(ABORTCLOSE_ROLES=connected)
if ev skipped-role-server server 25532 1 --bytes 4096; then
	ops_want "$EV_LOG" "$(ops_log_re "$OPS_VPID" skipped:role "$(ops_addr 25532)")" 1 "skipped:role (listener)"
	ops_verdict skipped-role-server "skipped:role on the listener" "$EV_LOG"
fi
EV_ENV=(ABORTCLOSE_ROLES=accepted)
if ev skipped-role-client client 25533 1 --bytes 4096; then
	ops_want "$EV_LOG" "$(ops_log_re "$OPS_VPID" skipped:role "$A" "$(ops_addr 25533)")" 1 \
		"skipped:role naming remote 127.0.0.1:25533"
	ops_verdict skipped-role-client "skipped:role with the remote address" "$EV_LOG"
fi
EV_ENV=()

# --- armed lines name the connection ------------------------------------------------
if ev armed-client client 25540 1 --bytes 4096; then
	ops_want "$EV_LOG" "$(ops_log_re "$OPS_VPID" armed "$A" "$(ops_addr 25540)")" 1 \
		"armed naming remote 127.0.0.1:25540"
	ops_want "$EV_LOG" "$(ops_log_re "$OPS_VPID" armed)" 1 "armed lines in all"
	ops_verdict armed-client "one armed line, with the connection's addresses" "$EV_LOG"
fi
if ev armed-server server 25541 2 --bytes 4096; then
	ops_want "$EV_LOG" "$(ops_log_re "$OPS_VPID" armed "$(ops_addr 25541)" "$A")" 2 "armed lines of the 2 connections"
	ops_want "$EV_LOG" "$(ops_log_re "$OPS_VPID" armed)" 2 "armed lines in all"
	ops_verdict armed-server "two armed lines, one per connection" "$EV_LOG"
fi

# --- kept-armed: a forked child closes its copy ----------------------------------------
if ev kept-armed server 25545 1 --bytes 4096 --fork-close; then
	ops_want "$EV_LOG" "$(ops_log_re '[0-9]+' "kept-armed:shared-with-pid-$OPS_VPID" "$(ops_addr 25545)" "$A")" 1 \
		"kept-armed:shared-with-pid-$OPS_VPID"
	ops_want "$EV_LOG" "$(ops_log_re "$OPS_VPID" "kept-armed:.*")" 0 "kept-armed line from the parent itself"
	ops_want "$EV_LOG" "$(ops_log_re "$OPS_VPID" disarmed:close "$(ops_addr 25545)" "$A")" 1 "parent's disarmed:close"
	want_first EOF
	ops_verdict kept-armed "the child's close kept it armed for the parent" "$EV_LOG"
fi

# --- adopted:inherited: a connection made before the library was loaded --------------
for prog in true false; do
	name=adopted-$prog port=25550 want=EOF ev_end=disarmed:exit-status-0
	[ "$prog" = false ] && port=25551 want=ECONNRESET ev_end=left-armed:exit-status-1
	log="$AC_TMP/$name.log" d="$AC_TMP/$name"
	mkdir -p "$d"
	ac_bg ppid "$d/peer.out" "$d/peer.err" "$AC_BIN/peer" server --port "$port" --timeout 20
	if ! wait_for_line "$d/peer.out" '^READY ' 10 "$ppid" >/dev/null; then
		fail "$name" "peer not ready: $(ops_show "$d/peer.err")"
		continue
	fi
	# bash (no library) connects on fd 5, then becomes the program under the
	# library, which inherits fd 5 and is its only holder.
	( exec 5<>"/dev/tcp/127.0.0.1/$port" && exec env LD_PRELOAD="$(ac_preload)" \
		ABORTCLOSE_LOG="file:$log" ABORTCLOSE_LOG_LEVEL=debug "$(command -v "$prog")" ) 2>"$d/prog.err" || true
	ac_wait "$ppid" 30 || true
	re_pid='[0-9]+'
	ops_want "$log" "$(ops_log_re "$re_pid" adopted:inherited "$A" "$(ops_addr "$port")")" 1 adopted:inherited
	ops_want "$log" "$(ops_log_re "$re_pid" "$ev_end" "$A" "$(ops_addr "$port")")" 1 "$ev_end"
	first=$(peer_field "$d/peer.out" first)
	[ "$first" = "$want" ] || OPS_BAD="${OPS_BAD:+$OPS_BAD; }peer first=$first, want $want"
	ops_verdict "$name" "adopted:inherited, then $ev_end, peer $first" "$log"
done

ac_finish
