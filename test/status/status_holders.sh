#!/bin/bash
# test/status/status_holders.sh - why abortclose --status takes its copies of
# the sockets in a child of its own: a copy held by a process the library
# searches for other holders would keep a gracefully closed socket armed.
#
# The target, status_server --reexec, accepts one connection and executes
# itself on it: same pid, same parent (this shell), and the library in the new
# image adopts the socket as inherited.  When the program closes an inherited
# socket, the library first looks for other holders among its parent and its
# parent's other children (shim/holders.c): here, this shell's children, among
# them `abortclose --status` when it runs from the same shell.
# The tool holds its copies for 3 s (LIBABORTCLOSE_STATUS_TEST_HOLD_MS, a test
# hook) and the program closes the connection on purpose meanwhile:
#   child    the copies are in a child of the tool, not a sibling of the
#            target: the library disarms, the client gets "BYE" and EOF, FIN
#            on the wire (and a crash after the report would still RST:
#            status_server.sh)
#   control  LIBABORTCLOSE_STATUS_TEST_NO_FORK=1, the copies in the tool
#            itself: the library finds the tool holding the socket
#            ("kept-armed:shared-with-pid-TOOL" in its log), keeps it armed,
#            and the tool's close of its copy is the last one: RST.  This is
#            the harm the child avoids; it shows the test can tell.
. "$(dirname "$0")/../lib.sh"

need_lib "$AC_BIN/status_server" "$AC_BUILD/abortclose-status"
need_tool tcpdump
need_tool python3
AC="$AC_ROOT/scripts/abortclose"
PORT=27070 CPORT=27170

run_case() {
	local name=$1 d="$AC_TMP/$1" spid cpid tpid why="" rst fin first bytes
	shift
	mkdir -p "$d"
	port_listening $PORT && { fail "$name" "port $PORT already in use"; return; }
	capture_start $PORT || { fail "$name" "tcpdump did not start"; return; }
	ac_bg spid "$d/server.out" "$d/server.err" env LD_PRELOAD="$(ac_preload)" ABORTCLOSE_LOG=stderr \
		ABORTCLOSE_LOG_LEVEL=debug "$AC_BIN/status_server" --listen 4:$PORT --expect 1 --reexec 1
	wait_for_line "$d/server.out" '^READY$' 10 "$spid" >/dev/null || why="server not ready"
	ac_bg cpid "$d/client.out" "$d/client.err" python3 "$AC_ROOT/test/status/client.py" "127.0.0.1:$PORT:$CPORT"
	wait_for_line "$d/server.out" '^ADOPTED$' 10 "$spid" >/dev/null || why="${why:+$why; }never ADOPTED: $(head -c 300 "$d/server.err")"
	sh "$AC" --status "$spid" >"$d/before.txt" 2>&1
	grep -qE "peer=127\.0\.0\.1:$CPORT state=ESTABLISHED armed$" "$d/before.txt" || why="${why:+$why; }adopted connection not armed"

	ac_bg tpid "$d/tool.out" "$d/tool.err" env LIBABORTCLOSE_STATUS_TEST_HOLD_MS=3000 "$@" sh "$AC" --status "$spid"
	wait_for_line "$d/tool.err" 'holding 1 copies' 10 "$tpid" >/dev/null || why="${why:+$why; }the tool never held its copy: $(head -c 200 "$d/tool.err")"
	kill -USR2 "$spid"
	wait_for_line "$d/server.out" '^CLOSED$' 10 "$spid" >/dev/null || why="${why:+$why; }never CLOSED"
	ac_wait "$tpid" 20
	kill -KILL "$spid"
	ac_wait "$spid" 10
	wait_for_line "$d/client.out" '^DONE$' 40 "$cpid" >/dev/null || why="${why:+$why; }client never DONE"
	ac_wait "$cpid" 10
	capture_stop || why="${why:+$why; }capture incomplete"

	rst=$(tcpdump -r "$AC_CAP_FILE" -nn "tcp and src port $PORT and dst port $CPORT" 2>/dev/null | grep -cE 'Flags \[[^]]*R' || true)
	fin=$(tcpdump -r "$AC_CAP_FILE" -nn "tcp and src port $PORT and dst port $CPORT" 2>/dev/null | grep -cE 'Flags \[[^]]*F' || true)
	first=$(sed -nE "s/^$CPORT first=([A-Z]+) .*/\1/p" "$d/client.out")
	bytes=$(sed -nE "s/^$CPORT first=[A-Z]+ bytes=([0-9]+)$/\1/p" "$d/client.out")
	if [ "$name" = child ]; then
		[ "$first" = EOF ] && [ "$bytes" = 4 ] && [ "$fin" -ge 1 ] && [ "$rst" = 0 ] ||
			why="${why:+$why; }want FIN with the 4 bytes"
		grep -q "kept-armed:shared-with-pid" "$d/server.err" && why="${why:+$why; }the library counted a copy as a holder"
	else
		[ "$first" = ECONNRESET ] && [ "$rst" -ge 1 ] && [ "$fin" = 0 ] ||
			why="${why:+$why; }control: want RST (the copy in the tool counted as a holder)"
		grep -q "kept-armed:shared-with-pid-$tpid" "$d/server.err" ||
			why="${why:+$why; }control: no kept-armed:shared-with-pid-$tpid in the library's log: $(grep -o 'kept-armed[^ ]*\|disarmed:[a-z]*' "$d/server.err" | tr '\n' ' ')"
	fi
	local evidence="client first=$first bytes=$bytes, RST=$rst FIN=$fin; library: $(grep -oE 'kept-armed:[^ ]*|disarmed:[a-z]+' "$d/server.err" | tr '\n' ' ')"
	if [ -n "$why" ]; then
		fail "$name" "$why [$evidence]"
	else
		pass "$name ($evidence)"
	fi
}

run_case child
run_case control LIBABORTCLOSE_STATUS_TEST_NO_FORK=1
ac_finish
