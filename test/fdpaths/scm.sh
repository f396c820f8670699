#!/bin/bash
# scm.sh - a TCP connection handed over with SCM_RIGHTS, then the receiver
# crashes (issue 3: "adopt received TCP sockets like inherited ones").
# The sender (a TCP server: accept, pass the socket over a UNIX socket, close
# its own copy, exit 0) and the receiver (serve the connection, then END) are
# unrelated processes, as in an accept-and-dispatch server.  Two orders:
#   after   the receiver takes the fd out of the UNIX socket only after the
#           sender closed its copy and exited (the fd waited in flight)
#   before  the receiver holds the fd when the sender closes its copy
# Receiver crash / exit 1: RST (control: ABORTCLOSE=off in both: FIN); its
# graceful close or exit 0: FIN with every byte.
# Ports 24700-24749.
. "$(dirname "$0")/lib-fd.sh"
SCM="$AC_BIN/fd_scm"
need_lib "$SCM"
need_tool tcpdump
B=1048576

# scm_case NAME EXPECT PORT SENDER_LIBMODE RECEIVER_LIBMODE WHEN END
# (SCM_RECV_ENV=(VAR=VAL ...) adds to the receiver's environment.)
SCM_RECV_ENV=()
scm_case() {
	local name=$1 expect=$2 port=$3 smode=$4 rmode=$5 when=$6 end=$7
	local d="$AC_TMP/$name-recv" rpid rst=0
	local -a envargs
	mkdir -p "$d"
	mapfile -t envargs < <(fd_lib_env "$rmode")
	ac_bg rpid "$d/out" "$d/err" env "${envargs[@]}" "${SCM_RECV_ENV[@]}" "$SCM" recv --unix "$d/sock" --go "$d/go" \
		--bytes $B --when "$when" --end "$end"
	if ! wait_for_line "$d/out" '^READY-UNIX' 10 "$rpid" >/dev/null; then
		fail "$name" "receiver not ready: $(head -c 200 "$d/err")"
		return
	fi
	fd_case "$name" "$expect" "$port" $B "$smode" "$SCM" send --unix "$d/sock" --port "$port" \
		--go "$d/go" --when "$when"
	ac_wait "$rpid" 30 || rst=$?
	[ ! -s "$d/err" ] || fail "$name" "receiver stderr: $(head -c 300 "$d/err")"
	grep -q '^SENT' "$d/out" || fail "$name" "receiver did not send (status $rst)"
}

p=24700
for when in after before; do
	# The sender records the receiver (SO_PEERCRED) when it sends the fd
	# (issue 10; before, the "before" order was a documented gap: FIN).
	want=rst
	scm_case "receiver-crashes-$when-sender-close-on" $want $p on on $when kill
	scm_case "receiver-crashes-$when-sender-close-off" fin $((p + 1)) off off $when kill
	scm_case "receiver-exit1-$when-sender-close" $want $((p + 2)) on on $when exit1
	scm_case "receiver-closes-$when-sender-close" fin $((p + 3)) on on $when close
	scm_case "receiver-exit0-$when-sender-close" fin $((p + 4)) on on $when exit0
	# A sender without the library (only the receiver loads it).
	scm_case "receiver-crashes-$when-close-of-plain-sender" rst $((p + 5)) nolib on $when kill
	p=$((p + 10))
done

# A fork on another thread while the receiver is in recvmsg: the kernel has
# installed the fd, the library has no entry yet, and the child inherits the
# fd without one (test/preload/fork_inside.so forks at exactly that point).
# The receiver then crashes or closes, and the child closes last, on purpose:
# every byte and FIN.  Before, after the receiver's crash the child's close
# sent RST: the socket was still armed and the child did not know it.  The
# receiver gives the socket's protection up, with one info line.
FORKER="$AC_BIN/fork_inside.so"
[ -f "$FORKER" ] || fail setup "$FORKER not built"
p=24720
for end in kill close; do
	name="forked-while-receiving-then-receiver-$end-then-child-closes"
	log="$AC_TMP/$name.log" pidfile="$AC_TMP/$name.child"
	SCM_RECV_ENV=("LD_PRELOAD=$(ac_preload) $FORKER" FORK_INSIDE=recvmsg "FORK_INSIDE_PIDFILE=$pidfile"
		ABORTCLOSE_LOG_LEVEL=info "ABORTCLOSE_LOG=file:$log")
	scm_case "$name" fin $p on on after "$end"
	if [ -s "$pidfile" ] && ! fd_wait_gone "$(cat "$pidfile")" 20; then
		fail "$name-child-ends" "the forked child $(cat "$pidfile") is still running"
		kill -KILL "$(cat "$pidfile")"
	fi
	[ -s "$pidfile" ] || fail "$name-child-forked" "fork_inside.so did not fork"
	fd_logged "$name-logs-the-give-up" "$log" "gave-up:forked-while-receiving-it"
	p=$((p + 1))
done
SCM_RECV_ENV=()
ac_finish
