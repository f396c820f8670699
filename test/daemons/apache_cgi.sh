#!/bin/bash
# Issue 10: Apache 2.4 prefork + mod_cgi (Debian's apache2), children running
# as www-data.  The root parent accepts nothing; a www-data child accepts the
# connection and forks the CGI process, whose APR cleanups close() the client
# socket before exec.  The child is non-dumpable (setuid from root), so the
# CGI process cannot read /proc/CHILD/fd to learn that its parent still holds
# the connection.  Own minimal config, foreground (-DFOREGROUND), loopback
# only; everything www-data reads is in a world-readable temp dir.
#   cgi-full        a CGI response (slow reader) -> every byte and FIN, 0 RST
#   static-full     a static file -> every byte and FIN, 0 RST
#   kill-child      a CGI streams its first 64 KiB and waits; the Apache
#                   child holding the client socket (found with ss: the only
#                   holder, the CGI closed its copy at exec) is SIGKILLed
#                   -> RST at the client (ECONNRESET, no FIN)
#   kill-child-off  the same with ABORTCLOSE=off -> FIN/EOF (discriminates)
#   cgi-load        200 CGI requests one after the other: 0 bytes lost, 0 RST,
#                   a FIN per response
# The child has read the whole request (a GET with its header, sent in one
# send) before it is killed: no unread input, so the kernel's RFC 2525 RST
# cannot stand in for the library's.
# Ports 22220-22239.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-daemons.sh"
need_lib "$AC_BIN/dmn_http"
need_tool tcpdump
need_tool apache2
need_tool setpriv
dmn_need_root
MODS=/usr/lib/apache2/modules

dmn_webdir
W=$DMN_WEB
mkdir -p "$W/htdocs" "$W/run" "$W/logs"
chmod 755 "$W/htdocs"
BODY="$W/htdocs/body.bin"
dmn_make_body "$BODY" 524288
# full.cgi: the whole file; stream.cgi: the first 64 KiB, then it waits for a
# gate file the crash cases never create (bounded: 20 s), then the rest.
cat >"$W/htdocs/full.cgi" <<CGI
#!/bin/sh
printf 'Content-Type: application/octet-stream\r\nContent-Length: 524288\r\n\r\n'
exec /bin/cat "$BODY"
CGI
cat >"$W/htdocs/stream.cgi" <<CGI
#!/bin/sh
printf 'Content-Type: application/octet-stream\r\nContent-Length: 524288\r\n\r\n'
/bin/dd if="$BODY" bs=65536 count=1 status=none
i=0
while [ ! -e "$W/gate" ] && [ \$i -lt 400 ]; do /bin/sleep 0.05; i=\$((i + 1)); done
exec /bin/dd if="$BODY" bs=65536 skip=1 status=none
CGI
chmod 755 "$W/htdocs/full.cgi" "$W/htdocs/stream.cgi"
for f in "$W/htdocs/full.cgi" "$W/htdocs/stream.cgi" "$BODY"; do
	dmn_readable_by www-data "$f" || { fail apache-setup "www-data cannot read $f"; ac_finish; }
done

# apache_conf PORT: the whole configuration (no Debian conf: ServerRoot is W).
apache_conf() {
	cat <<CONF
ServerRoot "$W"
ServerName 127.0.0.1
Listen 127.0.0.1:$1
PidFile "$W/run/httpd-$1.pid"
DefaultRuntimeDir "$W/run"
Mutex file:$W/run default
ErrorLog "$W/logs/error-$1.log"
LogLevel info
LoadModule mpm_prefork_module $MODS/mod_mpm_prefork.so
LoadModule authz_core_module $MODS/mod_authz_core.so
LoadModule mime_module $MODS/mod_mime.so
LoadModule cgi_module $MODS/mod_cgi.so
User www-data
Group www-data
StartServers 2
MinSpareServers 1
MaxSpareServers 4
MaxRequestWorkers 8
KeepAlive Off
TypesConfig /etc/mime.types
DocumentRoot "$W/htdocs"
<Directory "$W/htdocs">
	Require all granted
	Options +ExecCGI
	AddHandler cgi-script .cgi
</Directory>
CONF
}

APACHE_PID=""
# apache_start NAME PORT [VAR=VALUE...]: the library's debug lines go to
# stderr, which Apache sends to its error log (evidence for a failure).
apache_start() {
	local name=$1 port=$2
	shift 2
	if port_listening "$port"; then
		echo "  port $port already in use"
		return 1
	fi
	apache_conf "$port" >"$W/httpd-$port.conf"
	dmn_bg_group APACHE_PID "$AC_TMP/$name.out" "$AC_TMP/$name.err" env \
		LD_PRELOAD="$(ac_preload)" ABORTCLOSE_LOG=stderr ABORTCLOSE_LOG_LEVEL=debug "$@" \
		apache2 -f "$W/httpd-$port.conf" -DFOREGROUND
	if ! wait_for_line "$W/logs/error-$port.log" 'resuming normal operations' 15 "$APACHE_PID" >/dev/null ||
		! port_listening "$port"; then
		echo "  apache not ready: $(head -c 300 "$AC_TMP/$name.err") $(tail -c 300 "$W/logs/error-$port.log" 2>/dev/null)"
		return 1
	fi
}

# holders PORT: the pids of the processes holding the established server-side
# socket(s) of PORT (ss -p).
holders() {
	ss -Htnp state established "( sport = :$1 )" 2>/dev/null |
		grep -oE 'pid=[0-9]+' | sort -u | sed 's/pid=//'
}

# --- graceful: CGI and static ------------------------------------------------------
# graceful_case NAME PORT PATH
graceful_case() {
	local name=$1 port=$2 path=$3
	if capture_start "$port" && apache_start "$name" "$port"; then
		with_timeout 30 "$AC_BIN/dmn_http" --http10 --port "$port" --path "$path" --expect "$BODY" \
			--slow 2000 >"$AC_TMP/$name.client" 2>&1
		capture_stop || echo "  capture incomplete"
		dmn_http_case "$name" fin "$port" "$AC_TMP/$name.client" "$BODY"
	else
		capture_stop
		fail "$name" "setup failed"
	fi
	dmn_kill_group "$APACHE_PID"
}
graceful_case apache-cgi-full 22220 /full.cgi
graceful_case apache-static-full 22221 /body.bin

# --- the Apache child killed while its CGI streams -----------------------------
# kill_case NAME PORT EXPECT [VAR=VALUE...]
kill_case() {
	local name=$1 port=$2 expect=$3 cpid pids="" uid=""
	shift 3
	if ! capture_start "$port" || ! apache_start "$name" "$port" "$@"; then
		capture_stop
		fail "$name" "setup failed"
		dmn_kill_group "$APACHE_PID"
		return
	fi
	ac_bg cpid "$AC_TMP/$name.client" "$AC_TMP/$name.cerr" "$AC_BIN/dmn_http" --http10 --port "$port" \
		--path /stream.cgi --save "$AC_TMP/$name.got" --mark 65536 --timeout 20
	if wait_for_line "$AC_TMP/$name.client" '^PROGRESS ' 15 "$cpid" >/dev/null; then
		pids=$(holders "$port")
		[ -n "$pids" ] && uid=$(awk '/^Uid:/ {print $2}' "/proc/$pids/status" 2>/dev/null)
	fi
	local why=""
	if [ -z "$pids" ]; then
		why="the CGI response never started, or no holder found: $(head -c 200 "$AC_TMP/$name.cerr")"
	elif [ "$(echo "$pids" | wc -l)" != 1 ]; then
		why="more than one holder of the connection: $(echo "$pids" | tr "\n" " ")"
	elif [ "$uid" != "$(id -u www-data)" ]; then
		why="the holder $pids runs as uid $uid, not www-data"
	else
		kill -KILL "$pids"
	fi
	ac_wait "$cpid" 20
	capture_stop || echo "  capture incomplete"
	dmn_http_verdict "$name" "$why" "$expect" "$port" "$AC_TMP/$name.client" "$BODY" "$AC_TMP/$name.got"
	dmn_kill_group "$APACHE_PID"
}
kill_case apache-cgi-kill-child 22222 rst
kill_case apache-cgi-kill-child-off 22223 eof ABORTCLOSE=off

# --- a graceful load through CGI ----------------------------------------------------
port=22224
name=apache-cgi-load
if capture_start "$port" && apache_start "$name" "$port"; then
	with_timeout 50 "$AC_BIN/dmn_http" --http10 --port "$port" --path /full.cgi --expect "$BODY" \
		--count 200 --timeout 45 >"$AC_TMP/$name.client" 2>&1
	capture_stop || echo "  capture incomplete"
	ok=$(dmn_field "$AC_TMP/$name.client" ok)
	lost=$(dmn_field "$AC_TMP/$name.client" lost)
	rst=$(count_rst_from server "$port")
	fin=$(count_fin_from server "$port")
	ev="requests=200 ok=$ok lost=$lost; from server: RST=$rst FIN=$fin"
	if [ "$ok" = 200 ] && [ "$lost" = 0 ] && [ "$rst" = 0 ] && [ "$fin" -ge 200 ]; then
		pass "$name ($ev)"
	else
		fail "$name" "$ev; $(head -c 300 "$AC_TMP/$name.client")"
	fi
else
	capture_stop
	fail "$name" "setup failed"
fi
dmn_kill_group "$APACHE_PID"
ac_finish
