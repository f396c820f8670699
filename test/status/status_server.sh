#!/bin/bash
# test/status/status_server.sh - `abortclose --status` on a server under the
# library (issue 13): what it shows, that JSON says the same, and that
# inspecting changes nothing (the connections still end as they should,
# checked on the wire).
#
# status_server listens on 27001 (IPv4) and [::1]:27002 (managed) and 27003
# (excluded by ABORTCLOSE_PORTS='!27003'); python client.py opens six
# connections from fixed ports, and the server treats each by that port:
#   27101 -> 27001  nothing                      armed
#   27102 -> 27001  shutdown(SHUT_WR)            disarmed, FIN_WAIT2
#   27103 -> 27001  the program's {1,9}          armed (the library keeps {1,0}
#                                                under it and restores it later)
#   27104 -> [::1]:27002 nothing                 armed, in brackets
#   27105 -> 27003  the program's {1,9}          own-linger (not managed)
#   27106 -> 27003  nothing                      disarmed
# Cases:  crash     --status twice, then kill -9: RST on each armed connection
#                   (client ECONNRESET), FIN on the others
#         graceful  --status, then the server closes everything on purpose and is
#                   killed afterwards: FIN and "BYE" on every connection
#         off       the same server with ABORTCLOSE=off: nothing armed, kill -9
#                   gives FIN everywhere (the check can tell the two apart)
# In each: the listeners are shown with state=LISTEN (their armed column is not
# asserted: listener arming is being changed elsewhere), the count line, the
# program's own getsockopt(SO_LINGER) view and the tool's view are the same
# before and after --status, and --json is valid JSON equal to the text.
. "$(dirname "$0")/../lib.sh"

need_lib "$AC_BIN/status_server" "$AC_BUILD/abortclose-status"
need_tool tcpdump
need_tool python3

P4=27001 P6=27002 PU=27003
CONNS=(127.0.0.1:$P4:27101 127.0.0.1:$P4:27102 127.0.0.1:$P4:27103 ::1:$P6:27104
	127.0.0.1:$PU:27105 127.0.0.1:$PU:27106)
status() { sh "$AC_ROOT/scripts/abortclose" --status "$@"; }

# wire_count FLAG SERVERPORT CLIENTPORT: packets the server sent to that client.
wire_count() {
	tcpdump -r "$AC_CAP_FILE" -nn "tcp and src port $2 and dst port $3" 2>/dev/null |
		grep -cE "Flags \[[^]]*$1" || true
}
server_port_of() {
	case $1 in
	27101 | 27102 | 27103) echo $P4 ;;
	27104) echo $P6 ;;
	*) echo $PU ;;
	esac
}

# sock_line FILE CLIENTPORT: the --status line of the connection from that port.
sock_line() {
	grep -E " peer=(127\.0\.0\.1|\[::1\]):$2 " "$1"
}

# linger_view FILE N: the N-th LINGER block of the server (sorted lines).
linger_view() {
	awk -v want="$2" '/^LINGERS$/ { n++; next } /^LINGER / && n == want - 1' "$1"
}

run_case() {
	local name=$1 d="$AC_TMP/$1" spid cpid why="" line want got
	shift
	mkdir -p "$d"
	for p in $P4 $P6 $PU; do
		port_listening "$p" && { fail "$name" "port $p already in use"; return; }
	done
	capture_start $P4 $P6 $PU || { fail "$name" "tcpdump did not start"; return; }
	ac_bg spid "$d/server.out" "$d/server.err" env LD_PRELOAD="$(ac_preload)" \
		ABORTCLOSE_PORTS="!$PU" "$@" "$AC_BIN/status_server" \
		--listen 4:$P4 --listen 6:$P6 --listen 4:$PU --expect 6 \
		--shutwr 27102 --linger 27103:9 --linger 27105:9
	wait_for_line "$d/server.out" '^READY$' 10 "$spid" >/dev/null ||
		{ fail "$name" "server not ready: $(head -c 300 "$d/server.err")"; capture_stop; return; }
	ac_bg cpid "$d/client.out" "$d/client.err" python3 "$AC_ROOT/test/status/client.py" "${CONNS[@]}"
	wait_for_line "$d/server.out" '^SETUP$' 10 "$spid" >/dev/null ||
		{ fail "$name" "server never accepted 6: $(head -c 300 "$d/client.err")"; capture_stop; return; }

	kill -USR1 "$spid"
	wait_for_line "$d/server.out" '^LINGERS$' 10 "$spid" >/dev/null || why="no LINGER view"
	status "$spid" >"$d/status1.txt" 2>"$d/status1.err" || why="${why:+$why; }--status exited $?"
	status --json "$spid" >"$d/status.json" 2>>"$d/status1.err" || why="${why:+$why; }--status --json exited $?"
	status "$spid" >"$d/status2.txt" 2>>"$d/status1.err"
	kill -USR1 "$spid"
	local i=0
	while [ "$(grep -c '^LINGERS$' "$d/server.out")" -lt 2 ] && [ $i -lt 500 ]; do sleep 0.02; i=$((i + 1)); done

	# What --status says.
	[ -s "$d/status1.err" ] && why="${why:+$why; }stderr: $(head -c 200 "$d/status1.err")"
	grep -q "^pid $spid: .*status_server --listen" "$d/status1.txt" || why="${why:+$why; }no header"
	grep -qxF "  libabortclose: loaded ($(readlink -f "$AC_LIB"))" "$d/status1.txt" ||
		why="${why:+$why; }library not shown as loaded"
	[ "$(grep -c " state=LISTEN " "$d/status1.txt")" = 3 ] || why="${why:+$why; }not 3 LISTEN lines"
	grep -qE "^  fd=[0-9]+ local=\[::1\]:$P6 peer=\[::\]:0 state=LISTEN " "$d/status1.txt" ||
		why="${why:+$why; }IPv6 listener not in brackets"
	local expect
	if [ "$name" = off ]; then
		grep -q "^  policy: .*ABORTCLOSE=off" "$d/status1.txt" || why="${why:+$why; }policy does not show ABORTCLOSE=off"
		expect="27101:disarmed 27102:disarmed 27103:own-linger 27104:disarmed 27105:own-linger 27106:disarmed"
		want="  6 connections: 0 armed, 4 disarmed, 2 own-linger (listeners not counted: 3)"
	else
		grep -qE "^  policy: ABORTCLOSE_PORTS=1-$((PU - 1)),$((PU + 1))-65535; defaults: ABORTCLOSE=on " "$d/status1.txt" ||
			why="${why:+$why; }policy line: $(grep policy "$d/status1.txt")"
		expect="27101:armed 27102:disarmed 27103:armed 27104:armed 27105:own-linger 27106:disarmed"
		want="  6 connections: 3 armed, 2 disarmed, 1 own-linger (listeners not counted: 3)"
	fi
	for e in $expect; do
		line=$(sock_line "$d/status1.txt" "${e%%:*}")
		case $line in
		*" ${e#*:}") ;;
		*) why="${why:+$why; }${e%%:*} shown as '${line:-nothing}', want ${e#*:}" ;;
		esac
	done
	line=$(sock_line "$d/status1.txt" 27104)
	[[ $line == *"local=[::1]:$P6 peer=[::1]:27104 state=ESTABLISHED "* ]] || why="${why:+$why; }IPv6 line '$line'"
	line=$(sock_line "$d/status1.txt" 27102)
	# FIN_WAIT2 once the client acknowledged the FIN (FIN_WAIT1 just before).
	[[ $line == *" state=FIN_WAIT"[12]" "* ]] || why="${why:+$why; }shut-down connection '$line', want FIN_WAIT2"
	got=$(grep " connections: " "$d/status1.txt")
	[ "$got" = "$want" ] || why="${why:+$why; }count line '$got', want '$want'"
	cmp -s "$d/status1.txt" "$d/status2.txt" || why="${why:+$why; }second --status differs from the first"
	python3 -m json.tool "$d/status.json" >/dev/null 2>"$d/json.err" || why="${why:+$why; }invalid JSON: $(head -c 200 "$d/json.err")"
	python3 "$AC_ROOT/test/status/compare.py" "$d/status1.txt" "$d/status.json" >"$d/compare.out" 2>&1 ||
		why="${why:+$why; }JSON and text differ: $(head -c 300 "$d/compare.out")"
	# The program's own view (through the library) did not change.
	if [ "$(linger_view "$d/server.out" 1)" != "$(linger_view "$d/server.out" 2)" ] ||
		[ -z "$(linger_view "$d/server.out" 1)" ]; then
		why="${why:+$why; }the program's SO_LINGER view changed: $(grep LINGER "$d/server.out" | tr '\n' ' ')"
	fi

	# The end.
	if [ "$name" = graceful ]; then
		kill -USR2 "$spid"
		wait_for_line "$d/server.out" '^CLOSED$' 10 "$spid" >/dev/null || why="${why:+$why; }never CLOSED"
	fi
	kill -KILL "$spid"
	ac_wait "$spid" 10
	wait_for_line "$d/client.out" '^DONE$' 40 "$cpid" >/dev/null || why="${why:+$why; }client never DONE"
	ac_wait "$cpid" 10
	capture_stop || why="${why:+$why; }capture incomplete"

	local cp sp rst fin first bytes evidence=""
	for cp in 27101 27102 27103 27104 27105 27106; do
		sp=$(server_port_of $cp)
		rst=$(wire_count R "$sp" "$cp")
		fin=$(wire_count F "$sp" "$cp")
		first=$(sed -nE "s/^$cp first=([A-Z]+) .*/\1/p" "$d/client.out")
		bytes=$(sed -nE "s/^$cp first=[A-Z]+ bytes=([0-9]+)$/\1/p" "$d/client.out")
		evidence="$evidence $cp:$first/$bytes/R$rst/F$fin"
		if [ "$name" = crash ] && [[ " 27101 27103 27104 " == *" $cp "* ]]; then
			[ "$first" = ECONNRESET ] && [ "$rst" -ge 1 ] && [ "$fin" = 0 ] ||
				why="${why:+$why; }$cp: want RST (ECONNRESET, >=1 RST, 0 FIN)"
		else
			want=0
			[ "$name" = graceful ] && [ "$cp" != 27102 ] && want=4 # "BYE\n"
			[ "$first" = EOF ] && [ "$bytes" = "$want" ] && [ "$fin" -ge 1 ] && [ "$rst" = 0 ] ||
				why="${why:+$why; }$cp: want FIN (EOF after $want bytes, >=1 FIN, 0 RST)"
		fi
	done
	if [ -n "$why" ]; then
		fail "$name" "$why [wire:$evidence]"
	else
		pass "$name (${got# }; wire:$evidence)"
	fi
}

run_case crash
run_case graceful
run_case off ABORTCLOSE=off
ac_finish
