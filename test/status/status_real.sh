#!/bin/bash
# test/status/status_real.sh - `abortclose --status` on a real program:
# python3 -m http.server started with scripts/abortclose on [::1]:27050,
# holding one idle keep-open connection (client.py from port 27150).
#   lib  --status shows the listener (state=LISTEN, in brackets) and the
#        connection armed; the server still serves a request afterwards;
#        `--status` without a PID lists it (and only processes with the
#        library); kill -9 then gives RST on the wire and ECONNRESET
#   off  the same with --off: the connection is disarmed, kill -9 gives FIN
# and a second http.server without the library (27051) is reported as
# "libabortclose: not loaded" with its sockets still listed.
. "$(dirname "$0")/../lib.sh"

need_lib "$AC_BUILD/abortclose-status"
need_tool tcpdump
need_tool python3
PY=$(command -v /usr/bin/python3 || command -v python3)
AC="$AC_ROOT/scripts/abortclose"
PORT=27050 CPORT=27150 NOLIB_PORT=27051 NOLIB_CPORT=27151
mkdir -p "$AC_TMP/www"
echo hello >"$AC_TMP/www/index.html"

# until_status FILE PID ERE: run --status PID into FILE until a line matches
# (the server accepts the connection in its own time), at most 10 s.
until_status() {
	local i=0
	while [ $i -lt 100 ]; do
		sh "$AC" --status "$2" >"$1" 2>"$1.err"
		grep -qE -- "$3" "$1" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

run_case() {
	local name=$1 d="$AC_TMP/$1" spid cpid why="" got
	shift
	mkdir -p "$d"
	port_listening $PORT && { fail "$name" "port $PORT already in use"; return; }
	capture_start $PORT || { fail "$name" "tcpdump did not start"; return; }
	ac_bg spid "$d/server.out" "$d/server.err" sh "$AC" "$@" -- "$PY" -m http.server $PORT \
		--bind ::1 --directory "$AC_TMP/www"
	local i=0
	while ! port_listening $PORT && ac_running "$spid" && [ $i -lt 500 ]; do sleep 0.02; i=$((i + 1)); done
	port_listening $PORT || { fail "$name" "http.server not listening: $(head -c 300 "$d/server.err")"; capture_stop; return; }
	ac_bg cpid "$d/client.out" "$d/client.err" "$PY" "$AC_ROOT/test/status/client.py" "::1:$PORT:$CPORT"
	local want_arm=armed want_count="  1 connections: 1 armed, 0 disarmed, 0 own-linger (listeners not counted: 1)"
	if [ "$name" = off ]; then
		want_arm=disarmed want_count="  1 connections: 0 armed, 1 disarmed, 0 own-linger (listeners not counted: 1)"
	fi
	until_status "$d/status.txt" "$spid" "peer=\[::1\]:$CPORT state=ESTABLISHED " ||
		why="connection never shown: $(tr '\n' '|' <"$d/status.txt" | head -c 400) $(head -c 200 "$d/status.txt.err")"
	grep -qE "^pid $spid: .*python3[^ ]* -m http\.server $PORT --bind ::1 " "$d/status.txt" || why="${why:+$why; }header: $(head -1 "$d/status.txt")"
	grep -qxF "  libabortclose: loaded ($(readlink -f "$AC_LIB"))" "$d/status.txt" || why="${why:+$why; }not shown loaded"
	grep -qE "^  fd=[0-9]+ local=\[::1\]:$PORT peer=\[::\]:0 state=LISTEN " "$d/status.txt" || why="${why:+$why; }no IPv6 LISTEN line"
	grep -qE "^  fd=[0-9]+ local=\[::1\]:$PORT peer=\[::1\]:$CPORT state=ESTABLISHED $want_arm$" "$d/status.txt" ||
		why="${why:+$why; }connection not $want_arm: $(grep "$CPORT" "$d/status.txt")"
	got=$(grep " connections: " "$d/status.txt")
	[ "$got" = "$want_count" ] || why="${why:+$why; }count '$got', want '$want_count'"
	[ -s "$d/status.txt.err" ] && why="${why:+$why; }stderr: $(head -c 200 "$d/status.txt.err")"
	sh "$AC" --status --json "$spid" >"$d/status.json" 2>/dev/null
	python3 -m json.tool "$d/status.json" >/dev/null 2>&1 || why="${why:+$why; }invalid JSON"
	python3 "$AC_ROOT/test/status/compare.py" "$d/status.txt" "$d/status.json" >"$d/compare.out" 2>&1 ||
		why="${why:+$why; }JSON and text differ: $(head -c 300 "$d/compare.out")"

	# Still serving after the inspection.
	got=$("$PY" -c "import urllib.request as u; r = u.urlopen('http://[::1]:$PORT/index.html', timeout=10); print(r.status, r.read().decode().strip())" 2>&1)
	[ "$got" = "200 hello" ] || why="${why:+$why; }request after --status: '$got'"

	# Every process with the library, one header each; this one among them.
	if [ "$name" = lib ]; then
		sh "$AC" --status >"$d/all.txt" 2>"$d/all.err"
		grep -q "^pid $spid: " "$d/all.txt" || why="${why:+$why; }--status without PID does not list $spid"
		local headers loaded
		headers=$(grep -c '^pid ' "$d/all.txt")
		loaded=$(grep -c '^  libabortclose: loaded (' "$d/all.txt")
		[ "$headers" = "$loaded" ] || why="${why:+$why; }--status without PID: $headers headers, $loaded loaded"
		grep -q "abortclose-status" "$d/all.txt" && why="${why:+$why; }--status without PID lists the tool itself"
		ALL_LIST="$d/all.txt"
	fi

	kill -KILL "$spid"
	ac_wait "$spid" 10
	wait_for_line "$d/client.out" '^DONE$' 40 "$cpid" >/dev/null || why="${why:+$why; }client never DONE"
	ac_wait "$cpid" 10
	capture_stop || why="${why:+$why; }capture incomplete"
	local rst fin first
	rst=$(tcpdump -r "$AC_CAP_FILE" -nn "tcp and src port $PORT and dst port $CPORT" 2>/dev/null | grep -cE 'Flags \[[^]]*R' || true)
	fin=$(tcpdump -r "$AC_CAP_FILE" -nn "tcp and src port $PORT and dst port $CPORT" 2>/dev/null | grep -cE 'Flags \[[^]]*F' || true)
	first=$(sed -nE "s/^$CPORT first=([A-Z]+) .*/\1/p" "$d/client.out")
	if [ "$name" = lib ]; then
		[ "$first" = ECONNRESET ] && [ "$rst" -ge 1 ] && [ "$fin" = 0 ] || why="${why:+$why; }kill -9 after --status: want RST"
	else
		[ "$first" = EOF ] && [ "$fin" -ge 1 ] && [ "$rst" = 0 ] || why="${why:+$why; }kill -9 with --off: want FIN"
	fi
	if [ -n "$why" ]; then
		fail "$name" "$why [client first=$first, RST=$rst FIN=$fin]"
	else
		pass "$name ($(grep ' connections: ' "$d/status.txt" | sed 's/^  //'); kill -9: client first=$first, RST=$rst FIN=$fin)"
	fi
}

ALL_LIST=""
run_case lib
run_case off --off

# Without the library: "not loaded", sockets still listed, no policy line,
# and not among the processes `--status` lists without a PID.
d="$AC_TMP/nolib"
mkdir -p "$d"
ac_bg npid "$d/server.out" "$d/server.err" "$PY" -m http.server $NOLIB_PORT --bind 127.0.0.1 --directory "$AC_TMP/www"
i=0
while ! port_listening $NOLIB_PORT && ac_running "$npid" && [ $i -lt 500 ]; do sleep 0.02; i=$((i + 1)); done
ac_bg ncpid "$d/client.out" "$d/client.err" "$PY" "$AC_ROOT/test/status/client.py" "127.0.0.1:$NOLIB_PORT:$NOLIB_CPORT"
why=""
until_status "$d/status.txt" "$npid" "peer=127\.0\.0\.1:$NOLIB_CPORT state=ESTABLISHED " || why="connection never shown"
grep -qxF "  libabortclose: not loaded" "$d/status.txt" || why="${why:+$why; }not 'libabortclose: not loaded'"
grep -q "^  policy" "$d/status.txt" && why="${why:+$why; }a policy line without the library"
grep -qE "^  fd=[0-9]+ local=127\.0\.0\.1:$NOLIB_PORT peer=0\.0\.0\.0:0 state=LISTEN disarmed$" "$d/status.txt" || why="${why:+$why; }no LISTEN line"
grep -qE "^  fd=[0-9]+ local=127\.0\.0\.1:$NOLIB_PORT peer=127\.0\.0\.1:$NOLIB_CPORT state=ESTABLISHED disarmed$" "$d/status.txt" ||
	why="${why:+$why; }connection not listed disarmed"
sh "$AC" --status >"$d/all.txt" 2>/dev/null
grep -q "^pid $npid: " "$d/all.txt" && why="${why:+$why; }--status without PID lists a process without the library"
kill -KILL "$npid"
ac_wait "$npid" 10
ac_wait "$ncpid" 40
if [ -n "$why" ]; then
	fail "not-loaded" "$why: $(tr '\n' '|' <"$d/status.txt" | head -c 400)"
else
	pass "not-loaded ($(grep -c '^  fd=' "$d/status.txt") sockets listed, $(grep ' connections: ' "$d/status.txt" | sed 's/^  //'))"
fi
ac_finish
