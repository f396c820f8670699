#!/bin/bash
# log_closefrom.sh - the log survives a daemon's start-up (issue 9): sshd
# and systemd-socket-activate close every fd >= 3 when they start, the
# library's log fd (>= 900) included.  test/progs/log_closefrom does that
# (closefrom(3), close_range(3, ~0), or close() of each fd listed in
# /proc/self/fd), then connects and closes on purpose: its "armed" and
# "disarmed:close" debug lines must still reach ABORTCLOSE_LOG=file:,
# syslog: and stderr, and the connection must get fd 3 (the reopened log
# never takes a number the program is about to use).  Ports 22430-22449.
. "$(dirname "$0")/../lib.sh"
need_lib "$AC_BIN/log_closefrom" "$AC_BIN/ops_syslogd"

port=22430
for dest in file syslog stderr; do
	for how in closefrom close_range proc-loop; do
		name="$dest-$how"
		d="$AC_TMP/$name"
		mkdir -p "$d"
		sl=""
		case $dest in
		file) env=(ABORTCLOSE_LOG="file:$d/log"); logf="$d/log" ;;
		syslog)
			env=(ABORTCLOSE_LOG="syslog:$d/sock"); logf="$d/syslog"
			ac_bg sl "$d/syslog" "$d/syslogd.err" "$AC_BIN/ops_syslogd" "$d/sock" --timeout 30
			wait_for_line "$d/syslog" '^READY ' 10 "$sl" >/dev/null || { fail "$name" "no syslogd"; continue; }
			;;
		stderr) env=(ABORTCLOSE_LOG=stderr); logf="$d/err" ;;
		esac
		ac_bg pp "$d/peer.out" "$d/peer.err" "$AC_BIN/peer" server --port "$port" --timeout 20
		wait_for_line "$d/peer.out" '^READY' 10 "$pp" >/dev/null || { fail "$name" "peer not ready"; continue; }
		with_lib "${env[@]}" ABORTCLOSE_LOG_LEVEL=debug "$AC_BIN/log_closefrom" "$port" "$how" \
			>"$d/out" 2>"$d/err" </dev/null
		st=$?
		ac_wait "$pp" 20
		why=""
		[ "$st" = 0 ] || why="status $st"
		grep -q '^DONE fd=3$' "$d/out" || why="${why:+$why; }connection not on fd 3: $(cat "$d/out")"
		if [ -n "$sl" ]; then
			wait_for_line "$logf" 'disarmed:close' 10 "$sl" >/dev/null
			kill -TERM "$sl" 2>/dev/null
			ac_wait "$sl" 10
		fi
		for ev in armed disarmed:close; do
			grep -qE "libabortclose\[[0-9]+\]: fd=3 .*remote=127\.0\.0\.1:$port $ev\$" "$logf" ||
				why="${why:+$why; }no '$ev' line after $how"
		done
		if [ -n "$why" ]; then
			fail "$name" "$why [log: $(head -c 300 "$logf" 2>/dev/null | tr '\n' '|')]"
		else
			pass "$name (debug lines after $how)"
		fi
		port=$((port + 1))
	done
done
ac_finish
