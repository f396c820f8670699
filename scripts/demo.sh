#!/bin/sh
# scripts/demo.sh - `make demo`: what a client sees when the server dies
# mid-response, without and with libabortclose.
#
# A small server (build/test/demo_server) streams a response; once the
# client has received part of it, the server is killed with kill -9.  The
# client (build/test/demo_client) says how the connection ended.  Run twice:
# plainly, then under scripts/abortclose.  With tcpdump (and root) it also
# shows what the server's kernel sent: FIN or RST.
#
# Ports 21000-21099 (the wrapper/demo range), first free ones.  Every wait
# is bounded; only processes started here are killed.
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
server=$root/build/test/demo_server
client=$root/build/test/demo_client
wrapper=$root/scripts/abortclose
bytes=131072

for f in "$server" "$client" "$root/build/libabortclose.so"; do
	[ -e "$f" ] || { echo "demo: $f is missing: run 'make' first" >&2; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/abortclose-demo.XXXXXX")
pids=
cleanup() {
	for p in $pids; do
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# wait_for FILE REGEX TENTHS: poll FILE for a line (a readiness check), at
# most TENTHS tenths of a second.
wait_for() {
	i=0
	while [ "$i" -lt "$3" ]; do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# A process we started, still alive (a zombie counts as ended).
alive() {
	[ -r "/proc/$1/stat" ] || return 1
	state=$(sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null)
	[ -n "$state" ] && [ "$state" != Z ]
}

# wait_pid PID TENTHS: bounded wait for a child; SIGKILL after that.
wait_pid() {
	i=0
	while alive "$1" && [ "$i" -lt "$2" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	alive "$1" && kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

free_port() { # the first port from $1 on (up to 21099) that nothing listens on
	p=$1
	while [ "$p" -le 21099 ]; do
		if ! command -v ss >/dev/null 2>&1 || [ -z "$(ss -Hltn "sport = :$p" 2>/dev/null)" ]; then
			echo "$p"
			return 0
		fi
		p=$((p + 1))
	done
	return 1
}

wire=0
if command -v tcpdump >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	wire=1
fi

# run_once N PORT [WRAPPER]: one round; sets $seen (the client's words) and
# $wire_line (what the server sent, or a hint).
run_once() {
	n=$1 port=$2
	shift 2
	d=$tmp/run$n
	mkdir -p "$d"
	cap_pid=
	if [ "$wire" = 1 ]; then
		tcpdump -i lo -U --immediate-mode -nn -s 128 -w "$d/cap.pcap" "tcp port $port" \
			>/dev/null 2>"$d/tcpdump.err" </dev/null &
		cap_pid=$!
		pids="$pids $cap_pid"
		wait_for "$d/tcpdump.err" "listening on" 100 || { kill -INT "$cap_pid"; cap_pid=; }
	fi

	# "$@" is empty or the wrapper: exec'd, so $! is the server itself.
	"$@" "$server" "$port" "$bytes" >"$d/server.out" 2>"$d/server.err" </dev/null &
	spid=$!
	pids="$pids $spid"
	if ! wait_for "$d/server.out" '^READY' 100; then
		echo "demo: the server did not start: $(cat "$d/server.err")" >&2
		exit 1
	fi
	"$client" "$port" >"$d/client.out" 2>&1 </dev/null &
	cpid=$!
	pids="$pids $cpid"
	if ! wait_for "$d/server.out" '^SENT' 150; then
		echo "demo: the server never sent its data: $(cat "$d/server.err")" >&2
		exit 1
	fi
	kill -KILL "$spid" # the crash, in the middle of the response
	wait_pid "$spid" 50
	wait_pid "$cpid" 250
	seen=$(cat "$d/client.out")

	if [ -z "$cap_pid" ]; then
		wire_line="(install tcpdump and run as root to see FIN vs RST on the wire)"
		return
	fi
	# Readiness, not a sleep: stop tcpdump once the server's FIN or RST is
	# in the file (at most 5 s).
	from_server() { tcpdump -r "$d/cap.pcap" -nn "tcp and src port $port" 2>/dev/null; }
	i=0
	while [ "$i" -lt 50 ] && ! from_server | grep -qE 'Flags \[[^]]*[FR]'; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -INT "$cap_pid" 2>/dev/null
	wait "$cap_pid" 2>/dev/null
	fins=$(from_server | grep -cE 'Flags \[[^]]*F')
	rsts=$(from_server | grep -cE 'Flags \[[^]]*R')
	pkt=$(from_server | grep -m1 -E 'Flags \[[^]]*[FR]' | sed -E 's/^[0-9:.]+ IP //; s/(Flags \[[^]]*\]).*/\1/')
	if [ "$rsts" -gt 0 ] && [ "$fins" -eq 0 ]; then
		what="RST (reset)"
	elif [ "$fins" -gt 0 ] && [ "$rsts" -eq 0 ]; then
		what="FIN (normal end)"
	else
		what="$fins FIN, $rsts RST"
	fi
	wire_line="server sent $what    tcpdump: $pkt"
}

if ! port1=$(free_port 21000) || ! port2=$(free_port $((port1 + 1))); then
	echo "demo: no free port in 21000-21099" >&2
	exit 1
fi

echo "libabortclose demo: a server starts streaming a response and, after $bytes"
echo "bytes, is killed with kill -9 (as in a crash). What does the client see?"
echo

run_once 1 "$port1"
seen1=$seen
echo "1) without the library:  build/test/demo_server"
echo "   client: $seen1"
echo "   wire:   $wire_line"
echo

run_once 2 "$port2" "$wrapper"
seen2=$seen
echo "2) with the library:     scripts/abortclose build/test/demo_server"
echo "   client: $seen2"
echo "   wire:   $wire_line"
echo

case $seen1/$seen2 in
EOF*/"connection reset by peer"*)
	echo "Conclusion: without libabortclose the crash looks like the normal end of the"
	echo "response (EOF); with it the client is told the server died (connection reset)."
	;;
*)
	echo "Unexpected result: wanted EOF without the library and a reset with it." >&2
	exit 1
	;;
esac
