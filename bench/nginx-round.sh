#!/usr/bin/env bash
# bench/nginx-round.sh - one nginx + wrk round for `make bench` (optional part).
#
# Starts the Debian nginx in the foreground with a throw-away config (one
# worker, a 16-byte static file, keep-alive off so every request is a new
# TCP connection, pid/logs/temp in a private directory), pinned to cpu 0,
# optionally under the library; then drives it from cpu 1 with
#   wrk -t1 -c16 -d${N_SECS}s -H 'Connection: close'
# and prints "rps=X errors=E".  Only the nginx master we started is
# signalled (its PID from $!), and its worker exits with it.
#
# Environment: N_PORT, N_SECS, N_PRELOAD (a command prefix, e.g.
# "scripts/abortclose --", or "" for none), N_NETNS=1 inside `unshare -n`.
set -u

if [ "${N_NETNS:-0}" = 1 ]; then
	ip link set lo up || exit 1
fi
nginx_bin=${NGINX:-/usr/sbin/nginx}
tmp=$(mktemp -d /tmp/acbench-nginx.XXXXXX)
npid=""
cleanup() {
	if [ -n "$npid" ] && kill -0 "$npid" 2>/dev/null; then
		kill -QUIT "$npid" 2>/dev/null
		for _ in $(seq 100); do kill -0 "$npid" 2>/dev/null || break; sleep 0.05; done
		kill -KILL "$npid" 2>/dev/null
	fi
	[ -n "$npid" ] && wait "$npid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# As root nginx runs its worker as "nobody": the files must be world-readable.
chmod 755 "$tmp"
mkdir -p "$tmp/html"
printf 'abortclose bench\n' >"$tmp/html/x.txt"
chmod -R a+rX "$tmp/html"
cat >"$tmp/nginx.conf" <<CONF
worker_processes 1;
daemon off;
master_process on;
pid $tmp/nginx.pid;
error_log $tmp/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    keepalive_timeout 0;
    client_body_temp_path $tmp/body;
    proxy_temp_path $tmp/proxy;
    fastcgi_temp_path $tmp/fastcgi;
    uwsgi_temp_path $tmp/uwsgi;
    scgi_temp_path $tmp/scgi;
    server {
        listen 127.0.0.1:$N_PORT;
        root $tmp/html;
    }
}
CONF

read -r -a pre <<<"${N_PRELOAD:-}"
taskset -c 0 "${pre[@]}" "$nginx_bin" -p "$tmp/" -e "$tmp/error.log" -c "$tmp/nginx.conf" \
	>"$tmp/nginx.out" 2>&1 &
npid=$!
up=0
for _ in $(seq 500); do # readiness: the port accepts a connection (~5 s max)
	if (exec 3<>"/dev/tcp/127.0.0.1/$N_PORT") 2>/dev/null; then
		up=1
		break
	fi
	kill -0 "$npid" 2>/dev/null || break
	sleep 0.01
done
if [ "$up" != 1 ]; then
	echo "nginx-round: nginx did not start: $(head -c 300 "$tmp/nginx.out" "$tmp/error.log" 2>/dev/null)" >&2
	exit 1
fi
out=$(timeout $((N_SECS + 30)) taskset -c 1 wrk -t1 -c16 -d"${N_SECS}s" \
	-H 'Connection: close' "http://127.0.0.1:$N_PORT/x.txt" 2>&1)
rps=$(printf '%s\n' "$out" | awk '/^Requests\/sec:/ {print $2}')
if [ -z "$rps" ]; then
	echo "nginx-round: wrk failed: $(printf '%s' "$out" | head -c 300)" >&2
	exit 1
fi
# "Socket errors: connect 0, read 0, write 0, timeout 0" and "Non-2xx ... responses: N"
errors=$(printf '%s\n' "$out" | awk '
	/Socket errors:/ { gsub(/,/, ""); e += $4 + $6 + $8 + $10 }
	/Non-2xx/ { e += $NF }
	END { print e + 0 }')
echo "rps=$rps errors=$errors"
exit 0
