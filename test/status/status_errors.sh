#!/bin/bash
# test/status/status_errors.sh - `abortclose --status`: bad input and limits.
#   no-such-pid    a reaped child's pid: one line on stderr, nothing on stdout, exit 1
#   not-a-pid      abc, 12x, -5, '': one line, exit 2 (the wrapper's usage status)
#   permission     uid 65534 (setpriv) against a root process: one line naming
#                  the reason, exit 1; the same uid against its own process
#                  under the library: the full report, armed read
#   fallback       --no-getfd: sockets still listed, armed
#                  column "unknown", a line saying why; JSON says the same
#   close-state    TCP sockets in no /proc/net/tcp table (never connected,
#                  only bound) listed with state=CLOSE, UDP not listed
#   dup            a connection with two fds: two lines, counted once
#   invalid-policy a server whose ABORTCLOSE_PORTS the library refused: the
#                  library's own line after "policy: invalid: ", nothing armed
#   preloaded-tool the tool started with the library in LD_PRELOAD re-executes
#                  itself without it (and refuses when it cannot)
#   json-escaping  a command line with '"', '\', a control byte, a non-UTF-8
#                  byte and UTF-8: valid JSON that decodes to those bytes
#                  (\u00XX for the raw byte), text shows \xNN
# The tool and the wrapper run as uid 65534 from a world-readable temp dir of
# the test's own (the checkout may be under a mode-700 directory).
. "$(dirname "$0")/../lib.sh"

need_lib "$AC_BIN/status_server" "$AC_BUILD/abortclose-status"
need_tool python3
need_tool setpriv
AC="$AC_ROOT/scripts/abortclose"

# --- no such pid
true &
gone=$!
wait "$gone"
if [ -e "/proc/$gone" ]; then
	fail no-such-pid "pid $gone was reused at once; cannot test"
else
	st=0
	sh "$AC" --status "$gone" >"$AC_TMP/nopid.out" 2>"$AC_TMP/nopid.err" || st=$?
	if [ "$st" = 1 ] && [ ! -s "$AC_TMP/nopid.out" ] && [ "$(wc -l <"$AC_TMP/nopid.err")" = 1 ] &&
		grep -qxF "abortclose: pid $gone: no such process" "$AC_TMP/nopid.err"; then
		pass "no-such-pid (exit 1: $(cat "$AC_TMP/nopid.err"))"
	else
		fail no-such-pid "exit $st, stdout '$(head -c 100 "$AC_TMP/nopid.out")', stderr '$(head -c 200 "$AC_TMP/nopid.err")'"
	fi
fi

# --- not a pid
why=""
for arg in abc 12x -5 ''; do
	st=0
	sh "$AC" --status "$arg" >"$AC_TMP/bad.out" 2>"$AC_TMP/bad.err" || st=$?
	[ "$st" = 2 ] && [ ! -s "$AC_TMP/bad.out" ] && [ "$(wc -l <"$AC_TMP/bad.err")" = 1 ] &&
		grep -qF "abortclose: --status: '$arg' is not a process id" "$AC_TMP/bad.err" ||
		why="${why:+$why; }'$arg': exit $st, stderr '$(head -c 200 "$AC_TMP/bad.err")'"
done
st=0
"$AC_BUILD/abortclose-status" abc 2>/dev/null || st=$?
[ "$st" = 2 ] || why="${why:+$why; }the tool itself exits $st on 'abc'"
[ -z "$why" ] && pass "not-a-pid (exit 2, one line each)" || fail not-a-pid "$why"

# --- a server with one connection: start_server DIR PORT CPORT [ENV...] -> SPID CPID
start_server() {
	local d=$1 port=$2 cport=$3
	shift 3
	mkdir -p "$d"
	ac_bg SPID "$d/server.out" "$d/server.err" env LD_PRELOAD="$(ac_preload)" "$@" \
		"$AC_BIN/status_server" --listen 4:"$port" --expect 1
	wait_for_line "$d/server.out" '^READY$' 10 "$SPID" >/dev/null || return 1
	ac_bg CPID "$d/client.out" "$d/client.err" python3 "$AC_ROOT/test/status/client.py" "127.0.0.1:$port:$cport"
	wait_for_line "$d/server.out" '^SETUP$' 10 "$SPID" >/dev/null
}
stop_server() {
	kill -KILL "$SPID" 2>/dev/null
	ac_wait "$SPID" 10
	ac_wait "$CPID" 40
}

# --- permission: a world-readable copy of the wrapper, the tool, the library
# and the server, so that uid 65534 can run them.
W=$(mktemp -d "${TMPDIR:-/tmp}/abortclose-status-perm.XXXXXX")
chmod 755 "$W"
mkdir -p "$W/bin" "$W/libexec/abortclose" "$W/lib"
cp "$AC" "$W/bin/abortclose"
cp "$AC_BUILD/abortclose-status" "$W/libexec/abortclose/"
cp "$AC_LIB" "$W/lib/libabortclose.so"
cp "$AC_BIN/status_server" "$W/bin/"
chmod -R a+rX "$W"
as_nobody() { setpriv --reuid 65534 --regid 65534 --clear-groups "$@"; }

why=""
if start_server "$AC_TMP/perm" 27060 27160; then
	st=0
	(cd / && as_nobody sh "$W/bin/abortclose" --status "$SPID") >"$AC_TMP/perm.out" 2>"$AC_TMP/perm.err" || st=$?
	[ "$st" = 1 ] || why="exit $st, want 1"
	[ ! -s "$AC_TMP/perm.out" ] || why="${why:+$why; }stdout: $(head -c 200 "$AC_TMP/perm.out")"
	[ "$(wc -l <"$AC_TMP/perm.err")" = 1 ] || why="${why:+$why; }$(wc -l <"$AC_TMP/perm.err") stderr lines"
	grep -qE "^abortclose: pid $SPID: permission denied reading /proc/$SPID/[a-z]+: .*uid 0.*you are uid 65534$" "$AC_TMP/perm.err" ||
		why="${why:+$why; }stderr: $(head -c 300 "$AC_TMP/perm.err")"
else
	why="server not ready: $(head -c 200 "$AC_TMP/perm/server.err")"
fi
stop_server
[ -z "$why" ] && pass "permission (exit 1: $(cat "$AC_TMP/perm.err"))" || fail permission "$why"

# The same uid against its own process: no privilege needed.
why=""
mkdir -p "$AC_TMP/own"
chmod 777 "$AC_TMP/own"
ac_bg SPID "$AC_TMP/own/server.out" "$AC_TMP/own/server.err" setpriv --reuid 65534 --regid 65534 --clear-groups \
	env LD_PRELOAD="$W/lib/libabortclose.so" "$W/bin/status_server" --listen 4:27061 --expect 1
if wait_for_line "$AC_TMP/own/server.out" '^READY$' 10 "$SPID" >/dev/null; then
	ac_bg CPID "$AC_TMP/own/client.out" "$AC_TMP/own/client.err" python3 "$AC_ROOT/test/status/client.py" "127.0.0.1:27061:27161"
	wait_for_line "$AC_TMP/own/server.out" '^SETUP$' 10 "$SPID" >/dev/null || why="no connection"
	st=0
	(cd / && as_nobody sh "$W/bin/abortclose" --status "$SPID") >"$AC_TMP/own.out" 2>"$AC_TMP/own.err" || st=$?
	[ "$st" = 0 ] || why="${why:+$why; }exit $st: $(head -c 200 "$AC_TMP/own.err")"
	# Yama's ptrace_scope >= 1 refuses pidfd_getfd to a non-ancestor: the
	# fallback, with the reason, is then the right answer.
	want_arm=armed
	[ "$(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null || echo 0)" -ge 1 ] && want_arm=unknown
	grep -qE "^  fd=[0-9]+ local=127\.0\.0\.1:27061 peer=127\.0\.0\.1:27161 state=ESTABLISHED $want_arm$" "$AC_TMP/own.out" ||
		why="${why:+$why; }not $want_arm: $(tr '\n' '|' <"$AC_TMP/own.out" | head -c 300)"
else
	why="server not ready: $(head -c 200 "$AC_TMP/own/server.err")"
fi
stop_server
[ -z "$why" ] && pass "permission-own-uid (uid 65534 reads its own process: $(grep ' connections: ' "$AC_TMP/own.out" | sed 's/^  //'))" ||
	fail permission-own-uid "$why"
rm -rf "$W"

# --- fallback without pidfd_getfd
why=""
if start_server "$AC_TMP/fb" 27062 27162; then
	sh "$AC" --status --no-getfd "$SPID" >"$AC_TMP/fb.txt" 2>"$AC_TMP/fb.err" || why="exit $?"
	sh "$AC" --status --json --no-getfd "$SPID" >"$AC_TMP/fb.json" 2>>"$AC_TMP/fb.err"
	grep -qxF "  armed state: unknown: --no-getfd (pidfd_getfd not used); sockets from /proc/$SPID/fd and /proc/$SPID/net/tcp*" "$AC_TMP/fb.txt" ||
		why="${why:+$why; }no 'armed state: unknown' line"
	grep -qE "^  fd=[0-9]+ local=127\.0\.0\.1:27062 peer=0\.0\.0\.0:0 state=LISTEN unknown$" "$AC_TMP/fb.txt" || why="${why:+$why; }no LISTEN line"
	grep -qE "^  fd=[0-9]+ local=127\.0\.0\.1:27062 peer=127\.0\.0\.1:27162 state=ESTABLISHED unknown$" "$AC_TMP/fb.txt" || why="${why:+$why; }no unknown connection"
	grep -qxF "  1 connections: 0 armed, 0 disarmed, 0 own-linger, 1 unknown (listeners not counted: 1)" "$AC_TMP/fb.txt" ||
		why="${why:+$why; }count: $(grep connections "$AC_TMP/fb.txt")"
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d[0]["armed_known"] is False and d[0]["counts"]["unknown"] == 1' "$AC_TMP/fb.json" 2>/dev/null ||
		why="${why:+$why; }JSON: $(head -c 200 "$AC_TMP/fb.json")"
	python3 "$AC_ROOT/test/status/compare.py" "$AC_TMP/fb.txt" "$AC_TMP/fb.json" >"$AC_TMP/fb.cmp" 2>&1 || why="${why:+$why; }$(head -c 200 "$AC_TMP/fb.cmp")"
	# Without --no-getfd the same process is read in full.
	sh "$AC" --status "$SPID" | grep -qE "peer=127\.0\.0\.1:27162 state=ESTABLISHED armed$" || why="${why:+$why; }not armed without --no-getfd"
else
	why="server not ready"
fi
stop_server
[ -z "$why" ] && pass "fallback ($(grep ' connections: ' "$AC_TMP/fb.txt" | sed 's/^  //'))" || fail fallback "$why"

# --- a dup'd connection: one line per fd, counted once
why=""
mkdir -p "$AC_TMP/dup"
ac_bg SPID "$AC_TMP/dup/server.out" "$AC_TMP/dup/server.err" env LD_PRELOAD="$(ac_preload)" \
	"$AC_BIN/status_server" --listen 4:27066 --expect 1 --dup 27166
if wait_for_line "$AC_TMP/dup/server.out" '^READY$' 10 "$SPID" >/dev/null; then
	ac_bg CPID "$AC_TMP/dup/client.out" "$AC_TMP/dup/client.err" python3 "$AC_ROOT/test/status/client.py" "127.0.0.1:27066:27166"
	wait_for_line "$AC_TMP/dup/server.out" '^SETUP$' 10 "$SPID" >/dev/null || why="no connection"
	sh "$AC" --status "$SPID" >"$AC_TMP/dup.txt" 2>&1 || why="${why:+$why; }exit $?"
	[ "$(grep -cE "peer=127\.0\.0\.1:27166 state=ESTABLISHED armed$" "$AC_TMP/dup.txt")" = 2 ] || why="${why:+$why; }not two armed lines"
	grep -qxF "  1 connections: 1 armed, 0 disarmed, 0 own-linger (listeners not counted: 1)" "$AC_TMP/dup.txt" ||
		why="${why:+$why; }count: $(grep connections "$AC_TMP/dup.txt")"
else
	why="server not ready"
fi
stop_server
[ -z "$why" ] && pass "dup (two fds, one connection: $(grep ' connections: ' "$AC_TMP/dup.txt" | sed 's/^  //'))" || fail dup "$why: $(tr '\n' '|' <"$AC_TMP/dup.txt" | head -c 300)"

# --- sockets in no /proc/net/tcp table: a TCP socket never connected and one
# only bound are found through the copies (state=CLOSE); a UDP socket is not
# TCP and not listed; without copies neither can be seen
why=""
mkdir -p "$AC_TMP/cl"
ac_bg SPID "$AC_TMP/cl/out" "$AC_TMP/cl/err" env LD_PRELOAD="$(ac_preload)" python3 -c '
import socket, sys, time
s = socket.socket()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
v = socket.socket(socket.AF_INET6)
v.bind(("::1", 27067))
print("READY %d %d" % (s.fileno(), v.fileno()), flush=True)
time.sleep(60)'
CPID=$SPID
if line=$(wait_for_line "$AC_TMP/cl/out" '^READY ' 10 "$SPID"); then
	read -r _ tfd vfd <<<"$line"
	sh "$AC" --status "$SPID" >"$AC_TMP/cl.txt" 2>&1 || why="exit $?"
	grep -qxE "  fd=$tfd local=0\.0\.0\.0:0 peer=0\.0\.0\.0:0 state=CLOSE [a-z-]+" "$AC_TMP/cl.txt" || why="${why:+$why; }no unconnected socket"
	grep -qxE "  fd=$vfd local=\[::1\]:27067 peer=\[::\]:0 state=CLOSE [a-z-]+" "$AC_TMP/cl.txt" || why="${why:+$why; }no bound socket"
	[ "$(grep -c '^  fd=' "$AC_TMP/cl.txt")" = 2 ] || why="${why:+$why; }not exactly 2 sockets (UDP listed?)"
	sh "$AC" --status --no-getfd "$SPID" >"$AC_TMP/cl-no.txt" 2>&1
	grep -q '^  fd=' "$AC_TMP/cl-no.txt" && why="${why:+$why; }--no-getfd lists a socket that is in no table"
else
	why="python not ready: $(head -c 200 "$AC_TMP/cl/err")"
fi
stop_server
[ -z "$why" ] && pass "close-state (found through the copies: $(grep -c 'state=CLOSE' "$AC_TMP/cl.txt") sockets in state CLOSE, UDP not listed)" ||
	fail close-state "$why: $(tr '\n' '|' <"$AC_TMP/cl.txt" | head -c 300)"

# --- the library stepped aside: the policy line is the library's own line
why=""
if start_server "$AC_TMP/inv" 27063 27163 ABORTCLOSE_PORTS=80,bogus; then
	want=$(ABORTCLOSE_PORTS=80,bogus "$AC_BUILD/abortclose-validate")
	sh "$AC" --status "$SPID" >"$AC_TMP/inv.txt" 2>&1 || why="exit $?"
	grep -qxF "  policy: invalid: $want" "$AC_TMP/inv.txt" || why="${why:+$why; }policy: $(grep policy "$AC_TMP/inv.txt"), want '$want'"
	grep -qF "$want" "$AC_TMP/inv/server.err" || why="${why:+$why; }the library printed: $(head -c 200 "$AC_TMP/inv/server.err")"
	grep -qE "peer=127\.0\.0\.1:27163 state=ESTABLISHED disarmed$" "$AC_TMP/inv.txt" || why="${why:+$why; }connection not disarmed"
	sh "$AC" --status --json "$SPID" >"$AC_TMP/inv.json"
	python3 "$AC_ROOT/test/status/compare.py" "$AC_TMP/inv.txt" "$AC_TMP/inv.json" >"$AC_TMP/inv.cmp" 2>&1 || why="${why:+$why; }$(head -c 200 "$AC_TMP/inv.cmp")"
else
	why="server not ready"
fi
stop_server
[ -z "$why" ] && pass "invalid-policy ($(grep 'policy:' "$AC_TMP/inv.txt" | sed 's/^  //' | head -c 120)...)" || fail invalid-policy "$why"

# --- the tool with the library preloaded into it (a caller's LD_PRELOAD):
# it re-executes itself without it; when it cannot get rid of it (the guard
# set, as after a re-exec under /etc/ld.so.preload), it refuses.
why=""
if start_server "$AC_TMP/pre" 27065 27165; then
	st=0
	env LD_PRELOAD="$(ac_preload)" "$AC_BUILD/abortclose-status" "$SPID" >"$AC_TMP/pre.txt" 2>"$AC_TMP/pre.err" || st=$?
	[ "$st" = 0 ] && [ ! -s "$AC_TMP/pre.err" ] || why="exit $st: $(head -c 200 "$AC_TMP/pre.err")"
	grep -qE "peer=127\.0\.0\.1:27165 state=ESTABLISHED armed$" "$AC_TMP/pre.txt" || why="${why:+$why; }not armed: $(tr '\n' '|' <"$AC_TMP/pre.txt" | head -c 300)"
	st=0
	env LIBABORTCLOSE_STATUS_REEXEC=1 LD_PRELOAD="$(ac_preload)" "$AC_BUILD/abortclose-status" "$SPID" >"$AC_TMP/ref.txt" 2>"$AC_TMP/ref.err" || st=$?
	[ "$st" = 2 ] && [ ! -s "$AC_TMP/ref.txt" ] && [ "$(wc -l <"$AC_TMP/ref.err")" = 1 ] &&
		grep -qF "refusing to inspect" "$AC_TMP/ref.err" || why="${why:+$why; }guard: exit $st, $(head -c 200 "$AC_TMP/ref.err")"
else
	why="server not ready"
fi
stop_server
[ -z "$why" ] && pass "preloaded-tool (re-executed without the library; refused when it cannot: $(cat "$AC_TMP/ref.err"))" || fail preloaded-tool "$why"

# --- JSON escaping of a hostile command line
why=""
tag=$'q"b\\s\x01\xff \xc3\xa9\t'
mkdir -p "$AC_TMP/esc"
ac_bg SPID "$AC_TMP/esc/server.out" "$AC_TMP/esc/server.err" env LD_PRELOAD="$(ac_preload)" \
	"$AC_BIN/status_server" --listen 6:27064 --expect 0 --tag "$tag"
CPID=$SPID
if wait_for_line "$AC_TMP/esc/server.out" '^SETUP$' 10 "$SPID" >/dev/null; then
	sh "$AC" --status --json "$SPID" >"$AC_TMP/esc.json" 2>&1
	sh "$AC" --status "$SPID" >"$AC_TMP/esc.txt" 2>&1
	python3 -m json.tool "$AC_TMP/esc.json" >/dev/null 2>&1 || why="invalid JSON: $(head -c 300 "$AC_TMP/esc.json")"
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
want = "--tag q\"b\\s\x01\u00ff \u00e9\t"
got = d[0]["cmdline"]
sys.exit(0 if got.endswith(want) else "cmdline %r does not end with %r" % (got, want))' "$AC_TMP/esc.json" 2>"$AC_TMP/esc.py" ||
		why="${why:+$why; }$(cat "$AC_TMP/esc.py")"
	grep -qF -- '--tag q"b\x5cs\x01\xff é\x09' "$AC_TMP/esc.txt" || why="${why:+$why; }text header: $(head -1 "$AC_TMP/esc.txt")"
	grep -qF '\u0001\u00ff é\u0009' "$AC_TMP/esc.json" || why="${why:+$why; }raw JSON escapes: $(grep -o '"cmdline": "[^,]*' "$AC_TMP/esc.json")"
	python3 "$AC_ROOT/test/status/compare.py" "$AC_TMP/esc.txt" "$AC_TMP/esc.json" >"$AC_TMP/esc.cmp" 2>&1 || why="${why:+$why; }$(head -c 200 "$AC_TMP/esc.cmp")"
	grep -qE "^  fd=[0-9]+ local=\[::1\]:27064 peer=\[::\]:0 state=LISTEN " "$AC_TMP/esc.txt" || why="${why:+$why; }no IPv6 listener"
else
	why="server not ready"
fi
stop_server
[ -z "$why" ] && pass "json-escaping ($(grep -o '"cmdline": "[^,]*' "$AC_TMP/esc.json" | sed 's/.*--tag //'))" || fail json-escaping "$why"
ac_finish
