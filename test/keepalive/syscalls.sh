#!/bin/bash
# syscalls.sh - what the options cost, counted with strace, and where the
# ports/roles filters apply:
#   * a server under ABORTCLOSE_KEEPALIVE + ABORTCLOSE_USER_TIMEOUT sets the
#     5 options once, on the listener, whether it accepts 1 or 3
#     connections: accept() costs no system call for them (the kernel copies
#     them into each connection), and the accepted socket really has them
#     (its keepalive timer, ss);
#   * with ABORTCLOSE_PORTS naming the server's port the listener is
#     decided after listen() and still passes them on;
#   * a client sets them once, before connect();
#   * a connection the filters skip gets nothing (ports, roles), and
#     without the settings nothing is set.
# Loopback only.
. "$(dirname "$0")/../lib.sh"
need_lib "$AC_BIN/ka_conn"
need_tool strace
need_tool ss

SET=(ABORTCLOSE_KEEPALIVE=1,1,2 ABORTCLOSE_USER_TIMEOUT=2000)
OPTS_RE='SO_KEEPALIVE|TCP_KEEPIDLE|TCP_KEEPINTVL|TCP_KEEPCNT|TCP_USER_TIMEOUT'

# server_run NAME PORT N ENV...: strace the server while N clients connect
# (the last one holds until its keepalive timer is seen); prints the count
# of keepalive setsockopt calls, the fds they were made on, and the timer of
# the last accepted connection.
server_run() {
	local name=$1 port=$2 n=$3 spid cpid i
	shift 3
	ac_bg spid "$AC_TMP/$name.out" "$AC_TMP/$name.err" strace -qq -f -o "$AC_TMP/$name.strace" \
		-e trace=setsockopt,listen,accept env LD_PRELOAD="$(ac_preload)" "$@" \
		"$AC_BIN/ka_conn" server "$port" recv "$n"
	wait_for_line "$AC_TMP/$name.out" READY 10 "$spid" >/dev/null || { echo "server not ready"; return; }
	for i in $(seq 2 "$n"); do
		"$AC_BIN/ka_conn" client 127.0.0.1 "$port" quit >/dev/null 2>&1
	done
	ac_bg cpid "$AC_TMP/$name.c.out" "$AC_TMP/$name.c.err" "$AC_BIN/ka_conn" client 127.0.0.1 "$port" hold
	wait_for_line "$AC_TMP/$name.out" ACCEPTED 10 "$spid" >/dev/null
	timer=$(ss -Htnoi state established "( sport = :$port )" | grep -o 'timer:([^)]*)' || echo no-timer)
	kill "$cpid" 2>/dev/null
	ac_wait "$spid" 10
	ac_wait "$cpid" 5
	local count fds
	count=$(grep -cE "$OPTS_RE" "$AC_TMP/$name.strace")
	fds=$(grep -E "$OPTS_RE" "$AC_TMP/$name.strace" | sed -E 's/^[0-9]+ +setsockopt\(([0-9]+),.*/\1/' | sort -u | tr '\n' ' ')
	lfd=$(grep -E 'listen\(' "$AC_TMP/$name.strace" | sed -E 's/^[0-9]+ +listen\(([0-9]+),.*/\1/' | head -1)
	# 1 when the last option was set before listen() (the unfiltered case)
	before=$(grep -E "$OPTS_RE|listen\(" "$AC_TMP/$name.strace" | tail -1 | grep -c 'listen(')
	echo "count=$count fds=${fds% } listener=$lfd before-listen=$before timer=$timer"
}

expect() { # NAME GOT ERE
	if [[ $2 =~ $3 ]]; then pass "$1 ($2)"; else fail "$1" "got '$2', want /$3/"; fi
}

one=$(server_run accept-1 22840 1 "${SET[@]}")
three=$(server_run accept-3 22841 3 "${SET[@]}")
expect listener-only-1 "$one" '^count=5 fds=([0-9]+) listener=\1 before-listen=1 timer=timer:\(keepalive,'
expect listener-only-3 "$three" '^count=5 fds=([0-9]+) listener=\1 before-listen=1 timer=timer:\(keepalive,'
expect filtered-port-after-listen "$(server_run ports-match 22842 2 "${SET[@]}" ABORTCLOSE_PORTS=22842)" \
	'^count=5 fds=([0-9]+) listener=\1 before-listen=0 timer=timer:\(keepalive,'
expect skipped-port "$(server_run ports-skip 22843 1 "${SET[@]}" ABORTCLOSE_PORTS=80)" '^count=0 .*timer=no-timer'
expect skipped-role "$(server_run roles-skip 22844 1 "${SET[@]}" ABORTCLOSE_ROLES=connected)" '^count=0 .*timer=no-timer'
expect no-settings "$(server_run none 22845 1)" '^count=0 .*timer=no-timer'

# client_run NAME ENV...: the client's keepalive setsockopt calls.
client_run() {
	local name=$1 spid
	shift
	ac_bg spid "$AC_TMP/$name.s.out" "$AC_TMP/$name.s.err" "$AC_BIN/ka_conn" server 22846 hold
	wait_for_line "$AC_TMP/$name.s.out" READY 10 "$spid" >/dev/null || { echo "peer not ready"; return; }
	strace -qq -f -o "$AC_TMP/$name.strace" -e trace=setsockopt,connect env LD_PRELOAD="$(ac_preload)" "$@" \
		"$AC_BIN/ka_conn" client 127.0.0.1 22846 quit >/dev/null 2>&1
	ac_wait "$spid" 10
	echo "count=$(grep -cE "$OPTS_RE" "$AC_TMP/$name.strace") before-connect=$(grep -E "$OPTS_RE|connect\(" "$AC_TMP/$name.strace" | tail -1 | grep -c 'connect(')"
}
expect client-before-connect "$(client_run client "${SET[@]}")" '^count=5 before-connect=1$'
expect client-skipped-role "$(client_run client-role "${SET[@]}" ABORTCLOSE_ROLES=accepted)" '^count=0 '
expect client-skipped-port "$(client_run client-port "${SET[@]}" ABORTCLOSE_PORTS=80)" '^count=0 '
ac_finish
