#!/bin/bash
# Issue 10: HAProxy 2.6 (Debian's haproxy) with `user nobody` / `group nogroup`
# and external health checks every 100 ms (`option external-check`; 2.6 needs
# `insecure-fork-wanted`), in the foreground (-db: one process, the worker).
# Each check forks a child that close()s every fd, the client connections
# included, and execs the check script.  The worker is non-dumpable (setuid
# from root), so that child cannot read /proc/WORKER/fd to learn that the
# worker still holds them.  Own config, loopback only; the check script and
# config are in a world-readable temp dir.
#   full         a download through HAProxy (slow reader) while checks run
#                -> every byte and FIN from HAProxy to the client, 0 RST
#   kill         the worker is SIGKILLed mid-download, after at least two
#                checks ran during the download -> RST at the client
#                (ECONNRESET, no FIN)
#   kill-off     the same with ABORTCLOSE=off -> FIN/EOF (discriminates)
#   nodrop-kill  the control: no user/group (root, dumpable) -> RST
# Only the client side is asserted on: HAProxy sets SO_LINGER {1,0} itself
# on some server connections (platform-facts.md section 10).  The worker has
# read the whole request (one GET, sent in one send): no unread input.
# The backend is node/backend.js, without the library.
# Ports 22240-22259 (frontends 2224x, backends 2225x).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-daemons.sh"
need_lib "$AC_BIN/dmn_http"
need_tool tcpdump
need_tool haproxy
need_tool node
need_tool setpriv
dmn_need_root
BACKEND_JS="$(cd "$(dirname "$0")" && pwd)/node/backend.js"

dmn_webdir
W=$DMN_WEB
mkdir -p "$W/checks"
chown nobody:nogroup "$W/checks"
BODY="$W/body.bin"
dmn_make_body "$BODY" 524288
cat >"$W/check.sh" <<CHECK
#!/bin/sh
# An external health check: count the run, report the server up.
echo run >>"$W/checks/ran"
exit 0
CHECK
chmod 755 "$W/check.sh"
dmn_readable_by nobody "$W/check.sh" || { fail haproxy-setup "nobody cannot read $W/check.sh"; ac_finish; }

checks_ran() { { wc -l <"$W/checks/ran"; } 2>/dev/null || echo 0; }
# wait_checks N SECS: until at least N checks ran in all.
wait_checks() {
	local i=0
	while [ "$(checks_ran)" -lt "$1" ] && [ "$i" -lt $(($2 * 50)) ]; do
		sleep 0.02
		i=$((i + 1))
	done
	[ "$(checks_ran)" -ge "$1" ]
}

haproxy_conf() { # FRONTEND_PORT BACKEND_PORT
	cat <<CONF
global
$HAP_USER_LINES
	nbthread 1
	insecure-fork-wanted
	external-check
defaults
	mode http
	timeout connect 2s
	timeout client 20s
	timeout server 20s
	timeout check 2s
frontend fe
	bind 127.0.0.1:$1
	default_backend be
backend be
	option external-check
	external-check path "/usr/bin:/bin"
	external-check command "$W/check.sh"
	server s1 127.0.0.1:$2 check inter 100 fall 3 rise 1
CONF
}

HAP_PID=""
BE_PID=""
HAP_USER_LINES=$'\tuser nobody\n\tgroup nogroup'
HAP_UID=65534
# start_both NAME FRONT BACK [VAR=VALUE...]: the backend, then HAProxy under
# the library; ready once HAProxy listens and two checks have run.
start_both() {
	local name=$1 front=$2 back=$3
	shift 3
	if port_listening "$front" || port_listening "$back"; then
		echo "  port $front or $back already in use"
		return 1
	fi
	dmn_bg_group BE_PID "$AC_TMP/$name.be.out" "$AC_TMP/$name.be.err" node "$BACKEND_JS" "$back" "$BODY"
	if ! wait_for_line "$AC_TMP/$name.be.out" '^READY ' 15 "$BE_PID" >/dev/null; then
		echo "  backend not ready: $(head -c 300 "$AC_TMP/$name.be.err")"
		return 1
	fi
	haproxy_conf "$front" "$back" >"$W/haproxy-$front.cfg"
	local n0
	n0=$(checks_ran)
	dmn_bg_group HAP_PID "$AC_TMP/$name.out" "$AC_TMP/$name.err" env LD_PRELOAD="$(ac_preload)" \
		ABORTCLOSE_LOG=stderr ABORTCLOSE_LOG_LEVEL=debug "$@" haproxy -db -f "$W/haproxy-$front.cfg"
	local i=0
	while ! port_listening "$front" && ac_running "$HAP_PID" && [ "$i" -lt 500 ]; do
		sleep 0.02
		i=$((i + 1))
	done
	if ! port_listening "$front" || ! wait_checks $((n0 + 2)) 10; then
		echo "  haproxy not ready (checks ran: $(($(checks_ran) - n0))): $(head -c 400 "$AC_TMP/$name.err")"
		return 1
	fi
}
stop_both() {
	dmn_kill_group "$HAP_PID"
	dmn_kill_group "$BE_PID"
}

# --- a graceful download while checks run ---------------------------------------
name=haproxy-full
front=22240
if capture_start "$front" && start_both "$name" "$front" 22250; then
	n0=$(checks_ran)
	with_timeout 30 "$AC_BIN/dmn_http" --port "$front" --path /full --expect "$BODY" \
		--slow 50000 >"$AC_TMP/$name.client" 2>&1
	n1=$(checks_ran)
	capture_stop || echo "  capture incomplete"
	echo "  ($name: $((n1 - n0)) external checks ran during the download)"
	dmn_http_case "$name" fin "$front" "$AC_TMP/$name.client" "$BODY"
else
	capture_stop
	fail "$name" "setup failed"
fi
stop_both

# --- the worker killed mid-download -------------------------------------------------
# kill_case NAME FRONT BACK EXPECT [VAR=VALUE...]
kill_case() {
	local name=$1 front=$2 back=$3 expect=$4 cpid n0 uid="" why=""
	shift 4
	if ! capture_start "$front" || ! start_both "$name" "$front" "$back" "$@"; then
		capture_stop
		fail "$name" "setup failed"
		stop_both
		return
	fi
	ac_bg cpid "$AC_TMP/$name.client" "$AC_TMP/$name.cerr" "$AC_BIN/dmn_http" --port "$front" \
		--path /stall --save "$AC_TMP/$name.got" --mark 262144 --timeout 20
	if ! wait_for_line "$AC_TMP/$name.client" '^PROGRESS ' 15 "$cpid" >/dev/null; then
		why="the download never started: $(head -c 200 "$AC_TMP/$name.cerr")"
	else
		# Two checks forked (and closed every fd) while the connection was open.
		n0=$(checks_ran)
		wait_checks $((n0 + 2)) 10 || why="no external check ran during the download"
		uid=$(awk '/^Uid:/ {print $2}' "/proc/$HAP_PID/status" 2>/dev/null)
		[ "$uid" = "$HAP_UID" ] || why="${why:+$why; }the worker runs as uid ${uid:-?}, not $HAP_UID"
	fi
	[ -n "$why" ] || kill -KILL "$HAP_PID"
	ac_wait "$cpid" 20
	capture_stop || echo "  capture incomplete"
	dmn_http_verdict "$name" "$why" "$expect" "$front" "$AC_TMP/$name.client" "$BODY" "$AC_TMP/$name.got"
	stop_both
}
kill_case haproxy-kill 22241 22251 rst
kill_case haproxy-kill-off 22242 22252 eof ABORTCLOSE=off
# The control: the same without `user`/`group` (the worker stays root and
# dumpable, /proc answers the check child): RST already today.
HAP_USER_LINES="" HAP_UID=0 kill_case haproxy-nodrop-kill 22243 22253 rst
ac_finish
