#!/bin/bash
# sshd.sh - OpenSSH 9.2's sshd under the library (issue 9), the way a new
# user would run it: abortclose /usr/sbin/sshd -D -e -f CONF, from a temp
# dir with its own config (lib-sshd.sh), key authentication, loopback.
#
#   preauth-sandbox-info-line  ABORTCLOSE_LOG_LEVEL=info: the line saying
#       the library stepped back in the pre-auth child, and why
#   login-root / login-user   logins succeed (the pre-authentication child
#       runs under a KILL-by-default seccomp filter: before issue 9 the
#       library got it killed with SIGSYS and every login failed)
#   output-5mb                with ABORTCLOSE_ON_EXIT=status:0,255 (the
#       README's setting: sshd ends each session with exit(255)), a
#       session's 5 MB arrive byte-exact, FIN and no RST from the server
#   default-logout-rst        the default policy (status = status:0): the
#       same normal logout ends with RST - why the setting is needed
#   kill-session              the session process ("sshd: USER@notty")
#       SIGKILLed mid-output: RST and no FIN from the server, ssh fails
#       with "Connection reset by peer" (exit 255).  The monitor process
#       then exits 255, which status:0,255 counts as success, but a child
#       killed by a signal and not yet reaped tells the library the end is
#       abnormal (exit.c).  Control ABORTCLOSE=off: the server's FIN first
# Ports 22450-22469.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-sshd.sh"
need_lib
need_tool tcpdump
need_tool strace
sshd_setup || { fail setup "cannot prepare sshd (keys, user $SSHD_USER)"; ac_finish; }
head -c 5000000 /dev/urandom >"$SSHD_DIR/pub/payload"
chmod 644 "$SSHD_DIR/pub/payload"

port=22450

# --- logins -----------------------------------------------------------------------
if sshd_start "$port" ABORTCLOSE_ON_EXIT=status:0,255 ABORTCLOSE_LOG=stderr ABORTCLOSE_LOG_LEVEL=info; then
	for who in root "$SSHD_USER"; do
		out=$(ssh_run "$who" 'id -un' 2>"$AC_TMP/login-$who.err")
		st=$?
		if [ "$st" = 0 ] && [ "$out" = "$who" ]; then
			pass "login-${who/$SSHD_USER/user} ($who)"
		else
			fail "login-${who/$SSHD_USER/user}" "status $st, output '$out': $(head -c 300 "$AC_TMP/login-$who.err"); sshd: $(tail -n 5 "$SSHD_DIR/sshd.log" | tr '\n' '|')"
		fi
	done
	# The pre-auth child's sandbox: one info line says the library stepped
	# back there, and why (sshd's log goes through a pipe: lib-sshd.sh).
	if grep -qE 'libabortclose\[[0-9]+\]: stepped back for good at prctl\(PR_SET_SECCOMP\): a seccomp filter would answer [^ ]+ with SECCOMP_RET_' "$SSHD_DIR/sshd.log"; then
		pass "preauth-sandbox-info-line ($(grep -m1 -oE 'stepped back for good at [^;]*' "$SSHD_DIR/sshd.log"))"
	else
		fail preauth-sandbox-info-line "no step-back line in sshd's log: $(grep libabortclose "$SSHD_DIR/sshd.log" | head -n 3 | tr '\n' '|')"
	fi
	# --- 5 MB byte-exact, FIN, no RST --------------------------------------------
	capture_start "$port"
	ssh_run "$SSHD_USER" "cat $SSHD_DIR/pub/payload" >"$AC_TMP/out5" 2>"$AC_TMP/out5.err"
	st=$?
	sshd_conns_gone "$port"
	capture_stop
	rst=$(count_rst_from server "$port")
	fin=$(count_fin_from server "$port")
	why=""
	[ "$st" = 0 ] || why="ssh status $st"
	cmp -s "$AC_TMP/out5" "$SSHD_DIR/pub/payload" || why="${why:+$why; }output differs ($(stat -c %s "$AC_TMP/out5") bytes)"
	[ "$fin" -ge 1 ] || why="${why:+$why; }no FIN from the server"
	[ "$rst" = 0 ] || why="${why:+$why; }$rst RST from the server"
	if [ -n "$why" ]; then
		fail output-5mb "$why [wire: $(wire_summary "$port")]"
	else
		pass "output-5mb (status:0,255: 5000000 bytes byte-exact, FIN=$fin RST=$rst)"
	fi
	sshd_stop
else
	fail sshd-start "sshd did not listen: $(tail -n 5 "$SSHD_DIR/sshd.log" | tr '\n' '|')"
fi
port=$((port + 1))

# --- the default policy: a normal logout ends with RST ---------------------------
if sshd_start "$port"; then
	capture_start "$port"
	ssh_run "$SSHD_USER" "cat $SSHD_DIR/pub/payload" >"$AC_TMP/outd" 2>"$AC_TMP/outd.err"
	st=$?
	sshd_conns_gone "$port"
	capture_stop
	rst=$(count_rst_from server "$port")
	if [ "$st" = 0 ] && cmp -s "$AC_TMP/outd" "$SSHD_DIR/pub/payload" && [ "$rst" -ge 1 ]; then
		pass "default-logout-rst (ON_EXIT=status: sshd's exit(255) after a normal logout gives RST=$rst; data complete)"
	else
		fail default-logout-rst "status $st, RST=$rst [wire: $(wire_summary "$port")]"
	fi
	sshd_stop
else
	fail sshd-start-default "sshd did not listen"
fi
port=$((port + 1))

# --- SIGKILL of the session process mid-output ----------------------------------
# The client stops reading after 1 MB (its stdout pipe is full), so it sends
# nothing more (no window adjust) while the session is killed: an RST can
# then only come from the library's arming, never from the kernel's rule
# for unread data at close (RFC 2525).  Once no sshd process of the test
# user is left (monitor gone), the client reads on.
# kill_attempt NAME EXPECT VAR=VAL...: one try on $port; sets KILL_WHY (empty:
# passed), KILL_OK (the pass text) and KILL_UNREAD (1: the server's RST came
# with client data it had not read, see kill_case).
kill_attempt() {
	local name=$1 expect=$2
	shift 2
	KILL_WHY="" KILL_OK="" KILL_UNREAD=0 KILL_FIRST=""
	if ! sshd_start "$port" "$@"; then
		KILL_WHY="sshd did not listen"
		return
	fi
	local d="$AC_TMP/$name" cpid spid i=0 st
	mkdir -p "$d"
	capture_start "$port"
	(
		SSH_WRAP="strace -qq -e trace=read,write,recvfrom,sendto,recvmsg,sendmsg -e status=failed -o $d/strace" \
			SSH_LOGLEVEL=info ssh_run "$SSHD_USER" 'echo SPID=$PPID >&2; exec cat /dev/zero' 2>"$d/err" |
			{ head -c 1000000 >"$d/out1"; : >"$d/paused"
			  while [ ! -e "$d/resume" ]; do sleep 0.02; done; cat >/dev/null; }
		echo "${PIPESTATUS[0]}" >"$d/status"
	) &
	cpid=$!
	AC_PIDS+=("$cpid")
	while [ "$i" -lt 500 ]; do
		grep -q '^SPID=' "$d/err" 2>/dev/null && [ -e "$d/paused" ] && break
		sleep 0.02
		i=$((i + 1))
	done
	spid=$(sed -n 's/^SPID=//p' "$d/err")
	# Only the session process of this test's own daemon and user.
	if [ -n "$spid" ] && grep -q "sshd: $SSHD_USER" "/proc/$spid/cmdline" 2>/dev/null; then
		kill -KILL "$spid"
	else
		KILL_WHY="no session process (SPID=$spid)"
	fi
	i=0
	while pgrep -f "^sshd: $SSHD_USER" >/dev/null && [ "$i" -lt 500 ]; do
		sleep 0.02
		i=$((i + 1))
	done
	: >"$d/resume"
	ac_wait "$cpid" 20
	st=$(cat "$d/status" 2>/dev/null)
	capture_stop
	local rst fin first why=""
	rst=$(count_rst_from server "$port")
	fin=$(count_fin_from server "$port")
	first=$(first_flag_from_server "$port")
	case $expect in
	rst)
		[ "$rst" -ge 1 ] || why="no RST from the server"
		[ "$fin" = 0 ] || why="${why:+$why; }$fin FIN from the server"
		# ssh's first call on the connection after the RST fails with
		# ECONNRESET: a read(), or a write() when ssh had a window adjust
		# to send first (it then says "Connection reset by ..." or, when
		# its disconnect message fails next, "Broken pipe").
		grep -q "ECONNRESET" "$d/strace" ||
			why="${why:+$why; }no call of ssh failed with ECONNRESET: $(tr '\n' '|' <"$d/err" | head -c 200)"
		[ "$st" = 255 ] || why="${why:+$why; }ssh status $st, want 255"
		;;
	fin)
		# The server's FIN ends the stream; an RST may follow it (the
		# client's window adjusts meet the closed socket).
		[ "$first" = F ] || why="the server's first FIN/RST is '${first:-none}', want FIN"
		! grep -q "ECONNRESET" "$d/strace" || why="${why:+$why; }a read() of ssh failed with ECONNRESET"
		;;
	esac
	KILL_FIRST=$first
	[ "$first" = R ] && unread_data_reset "$port" && KILL_UNREAD=1
	if [ -n "$why" ]; then
		KILL_WHY="${KILL_WHY:+$KILL_WHY; }$why [wire: $(wire_summary "$port")]"
	elif [ -z "$KILL_WHY" ]; then
		KILL_OK="$name ($expect: RST=$rst FIN=$fin first=$first, ssh status $st)"
	fi
	sshd_stop
	port=$((port + 1))
}

# unread_data_reset PORT: did the server's RST acknowledge client bytes that
# no earlier segment of the server had (the client's window adjust arrived
# while the monitor was exiting)?  Closing a socket with unread data makes
# the kernel itself answer with RST (RFC 2525, tcp_close "data was lost"),
# with or without the library.
unread_data_reset() {
	tcpdump -r "$AC_CAP_FILE" -nn "tcp and src port $1" 2>/dev/null | awk '
		/Flags \[R/ { for (i = 1; i <= NF; i++) if ($i == "ack") { gsub(",", "", $(i + 1)); rst = $(i + 1) } exit }
		{ for (i = 1; i <= NF; i++) if ($i == "ack") { gsub(",", "", $(i + 1)); last = $(i + 1) } }
		END { exit !(rst != "" && last != "" && rst + 0 > last + 0) }'
}

# kill_case NAME EXPECT VAR=VAL...: kill_attempt, and for the ABORTCLOSE=off
# control (expect fin) up to four more tries when the server's first was an
# RST.  With ABORTCLOSE=off the library sets nothing, so that RST is the
# kernel's own: its answer to client data the session had not read when it
# died (RFC 2525), a race of the client's (ssh sends a window adjust every
# ~13 ms while it reads).  The heuristic unread_data_reset only sees the
# data that arrived after the server's last segment; a CI run once had the
# kernel's RST twice, the second time for data that arrived earlier.  A FIN
# must still be seen in one try for the control to pass (a library that
# armed with ABORTCLOSE=off would give RST every time: it fails).
kill_case() {
	local name=$1 expect=$2 try
	shift 2
	for try in 1 2 3 4 5; do
		kill_attempt "$name" "$expect" "$@"
		if [ -z "$KILL_WHY" ]; then
			if [ "$try" = 1 ]; then pass "$KILL_OK"; else pass "$KILL_OK (try $try)"; fi
			return
		fi
		if [ "$expect" = fin ] && [ "$KILL_FIRST" = R ] && [ "$try" -lt 5 ]; then
			if [ "$KILL_UNREAD" = 1 ]; then
				echo "  INFO $name: try $try: the server's RST acknowledged client data it had not read (the kernel's reset for unread data, not the library's); again"
			else
				echo "  INFO $name: try $try: the server's first was RST with ABORTCLOSE=off (the kernel's own: unread client data at close); again"
			fi
			continue
		fi
		fail "$name" "$KILL_WHY"
		return
	done
}

kill_case kill-session rst ABORTCLOSE_ON_EXIT=status:0,255
kill_case kill-session-off fin ABORTCLOSE_ON_EXIT=status:0,255 ABORTCLOSE=off
ac_finish
