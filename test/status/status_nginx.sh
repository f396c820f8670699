#!/bin/bash
# test/status/status_nginx.sh - the issue's "done when": `abortclose --status`
# on a wrapped nginx (Debian's nginx-light, master + 2 workers, its own
# config in a temp dir, loopback 127.0.0.1 and [::1] port 27080) under load.
# client.py holds three idle keep-alive connections (27181, 27182 over IPv4,
# 27183 over IPv6) while 200 curl requests run; during the load --status is
# run on the master and its workers four times.
#   lib  every report shows the three connections ESTABLISHED and armed in
#        the worker that accepted them; all 200 requests get 200 (nginx kept
#        serving); kill -9 of nginx then gives RST on each (client
#        ECONNRESET, checked on the wire)
#   off  the same under --off: disarmed, and kill -9 gives FIN
. "$(dirname "$0")/../lib.sh"

need_lib "$AC_BUILD/abortclose-status"
need_tool tcpdump
need_tool python3
need_tool curl
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || need_tool nginx
AC="$AC_ROOT/scripts/abortclose"
PORT=27080
CONNS=(127.0.0.1:$PORT:27181 127.0.0.1:$PORT:27182 ::1:$PORT:27183)

# nginx's workers run as nobody: their document root must be world-readable.
chmod 755 "$AC_TMP"
NG=$AC_TMP/nginx
mkdir -p "$NG/www" "$NG/logs"
chmod 755 "$NG" "$NG/www"
echo hello >"$NG/www/index.html"
chmod 644 "$NG/www/index.html"
cat >"$NG/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 2;
pid $NG/nginx.pid;
error_log $NG/logs/error.log;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path $NG/tmp_body;
	proxy_temp_path $NG/tmp_proxy;
	fastcgi_temp_path $NG/tmp_fastcgi;
	uwsgi_temp_path $NG/tmp_uwsgi;
	scgi_temp_path $NG/tmp_scgi;
	keepalive_timeout 60s;
	server {
		listen 127.0.0.1:$PORT;
		listen [::1]:$PORT;
		root $NG/www;
	}
}
EOF

# nginx_status FILE: --status of the master and its workers (only ours).
nginx_status() {
	sh "$AC" --status "$NPID" $(pgrep -P "$NPID") >"$1" 2>"$1.err"
}
# all_shown FILE ARM: the three connections shown ESTABLISHED with ARM.
all_shown() {
	[ "$(grep -cE "^  fd=[0-9]+ local=(127\.0\.0\.1|\[::1\]):$PORT peer=(127\.0\.0\.1|\[::1\]):2718[123] state=ESTABLISHED $2$" "$1")" = 3 ]
}

run_case() {
	local name=$1 d="$AC_TMP/$1" cpid lpid why="" arm=armed i
	shift
	[ "$name" = off ] && arm=disarmed
	mkdir -p "$d"
	port_listening $PORT && { fail "$name" "port $PORT already in use"; return; }
	capture_start $PORT || { fail "$name" "tcpdump did not start"; return; }
	ac_bg NPID "$d/nginx.out" "$d/nginx.err" sh "$AC" "$@" -- "$NGINX" -p "$NG" -c "$NG/nginx.conf" -e "$NG/logs/error.log"
	i=0
	while ! port_listening $PORT && ac_running "$NPID" && [ $i -lt 500 ]; do sleep 0.02; i=$((i + 1)); done
	port_listening $PORT || { fail "$name" "nginx not listening: $(head -c 300 "$d/nginx.err") $(tail -c 300 "$NG/logs/error.log")"; capture_stop; return; }
	ac_bg cpid "$d/client.out" "$d/client.err" python3 "$AC_ROOT/test/status/client.py" "${CONNS[@]}"
	wait_for_line "$d/client.out" '^CONNECTED$' 10 "$cpid" >/dev/null || why="client not connected: $(head -c 200 "$d/client.err")"
	ac_bg lpid "$d/load.out" "$d/load.err" bash -c "ok=0 bad=0
		for i in \$(seq 200); do
			c=\$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 http://127.0.0.1:$PORT/index.html)
			[ \"\$c\" = 200 ] && ok=\$((ok + 1)) || bad=\$((bad + 1))
		done
		echo ok=\$ok bad=\$bad"
	# nginx accepts the idle connections in its own time.
	i=0
	until nginx_status "$d/status0.txt" && all_shown "$d/status0.txt" "$arm"; do
		i=$((i + 1))
		[ $i -lt 100 ] || { why="${why:+$why; }never all 3 $arm: $(grep 2718 "$d/status0.txt" | tr '\n' '|')"; break; }
		sleep 0.1
	done
	for i in 1 2 3; do
		nginx_status "$d/status$i.txt" || why="${why:+$why; }--status exited $?: $(head -c 200 "$d/status$i.txt.err")"
		all_shown "$d/status$i.txt" "$arm" || why="${why:+$why; }report $i: $(grep 2718 "$d/status$i.txt" | tr '\n' '|')"
		[ "$(grep -c '^  libabortclose: loaded (' "$d/status$i.txt")" = 3 ] || why="${why:+$why; }report $i: not 3 processes with the library"
	done
	ac_wait "$lpid" 120
	grep -qx "ok=200 bad=0" "$d/load.out" || why="${why:+$why; }load: $(cat "$d/load.out")"

	kill -KILL "$NPID" $(pgrep -P "$NPID") 2>/dev/null
	ac_wait "$NPID" 10
	wait_for_line "$d/client.out" '^DONE$' 40 "$cpid" >/dev/null || why="${why:+$why; }client never DONE"
	ac_wait "$cpid" 10
	capture_stop || why="${why:+$why; }capture incomplete"
	local cp rst fin first evidence=""
	for cp in 27181 27182 27183; do
		rst=$(tcpdump -r "$AC_CAP_FILE" -nn "tcp and src port $PORT and dst port $cp" 2>/dev/null | grep -cE 'Flags \[[^]]*R' || true)
		fin=$(tcpdump -r "$AC_CAP_FILE" -nn "tcp and src port $PORT and dst port $cp" 2>/dev/null | grep -cE 'Flags \[[^]]*F' || true)
		first=$(sed -nE "s/^$cp first=([A-Z]+) .*/\1/p" "$d/client.out")
		evidence="$evidence $cp:$first/R$rst/F$fin"
		if [ "$name" = lib ]; then
			[ "$first" = ECONNRESET ] && [ "$rst" -ge 1 ] && [ "$fin" = 0 ] || why="${why:+$why; }$cp: want RST"
		else
			[ "$first" = EOF ] && [ "$fin" -ge 1 ] && [ "$rst" = 0 ] || why="${why:+$why; }$cp: want FIN"
		fi
	done
	if [ -n "$why" ]; then
		fail "$name" "$why [wire:$evidence]"
	else
		pass "$name (4 reports under load: 3 connections $arm; $(cat "$d/load.out"); kill -9:$evidence)"
	fi
}

run_case lib
run_case off --off
ac_finish
