#!/bin/bash
# fork-window.sh - a fork on another thread between the system call that
# makes a connection's fd and the library's entry for it (shim/
# fork_window.c).  test/preload/fork_inside.so, preloaded after the library,
# forks inside accept4() at exactly that point; its child holds the
# connection until the server is gone, then closes it on purpose.
#   the child keeps it, the server crashes or closes: the child's close is
#       the last holder's and must give every byte and FIN (before: the
#       server's crash left it armed, and the child, which had no entry for
#       it, sent RST); the protection given up is said at info level;
#   the child lets go of it at once (a child forked while accept waited):
#       nothing is given up, the server's crash gives RST (control:
#       ABORTCLOSE=off gives FIN);
#   a client's socket(), the same (victim client): its connect() must not
#       arm the given-up socket again (it did: RST at the child's close);
#   a close: the fork inside the server's real close of a connection that
#       another fd of the server (a dup) still holds, before the kernel's
#       close; the child holds the socket under no entry of its own
#       (fork_inside.so moves it with raw system calls, as when another
#       thread got the freed fd number and wrote its new entry there before
#       the kernel copied the memory: seen in the forking stress test).
#       The server's later close of the dup, or its crash, must leave the
#       socket disarmed for the child (before: the close kept it armed for
#       the child, the crash left it armed, and the child's close sent RST).
# Ports 24810-24819.
. "$(dirname "$0")/lib-fd.sh"
need_lib "$FD_SERVER"
need_tool tcpdump
FORKER="$AC_BIN/fork_inside.so"
[ -f "$FORKER" ] || { fail setup "$FORKER not built"; ac_finish; }

B=1048576
# windowed NAME EXPECT PORT LIBMODE HOW END [CASE]
windowed() {
	local name=$1 expect=$2 port=$3 mode=$4 how=$5 end=$6 kase=${7:-plain}
	local log="$AC_TMP/$name.log" pidfile="$AC_TMP/$name.child" preload
	preload=$(ac_preload)
	FD_CASE_ENV=("LD_PRELOAD=$preload $FORKER" FORK_INSIDE="$how" "FORK_INSIDE_PIDFILE=$pidfile"
		ABORTCLOSE_LOG_LEVEL=info "ABORTCLOSE_LOG=file:$log")
	[ "$mode" = off ] && FD_CASE_ENV+=(ABORTCLOSE=off)
	fd_case "$name" "$expect" "$port" $B nolib "$FD_SERVER" --port "$port" --bytes $B --case "$kase" --end "$end"
	FD_CASE_ENV=()
	if [ ! -s "$pidfile" ]; then
		fail "$name-child-forked" "fork_inside.so did not fork"
	elif ! fd_wait_gone "$(cat "$pidfile")" 20; then
		fail "$name-child-ends" "the forked child $(cat "$pidfile") is still running"
		kill -KILL "$(cat "$pidfile")"
	fi
}

windowed child-keeps-it-server-crashes fin 24810 on accept kill
fd_logged child-keeps-it-server-crashes-logs-the-give-up "$AC_TMP/child-keeps-it-server-crashes.log" \
	"gave-up:forked-while-accepting-it"
windowed child-keeps-it-server-closes fin 24811 on accept close
windowed child-let-go-server-crashes-on rst 24812 on accept-let-go kill
windowed child-let-go-server-crashes-off fin 24813 off accept-let-go kill
if grep -q gave-up "$AC_TMP/child-let-go-server-crashes-on.log" 2>/dev/null; then
	fail child-let-go-gives-nothing-up "$(grep -m1 gave-up "$AC_TMP/child-let-go-server-crashes-on.log")"
else
	pass child-let-go-gives-nothing-up
fi

for end in kill close; do
	[ $end = kill ] && port=24816 || port=24817
	windowed close-child-holds-it-unseen-server-$end fin $port on close $end dup-close-orig
	fd_logged close-child-holds-it-unseen-server-$end-logs-the-give-up \
		"$AC_TMP/close-child-holds-it-unseen-server-$end.log" "gave-up:forked-while-closing-a-dup-of-it"
done

# A client: the fork inside socket(); the victim connects, sends, and is
# killed (or closes); the child holding the socket closes last.
for end in sigkill close; do
	name="client-socket-child-keeps-it-victim-$end"
	log="$AC_TMP/$name.log"
	CASE_NOLIB=1
	CASE_ENV=("LD_PRELOAD=$(ac_preload) $FORKER" FORK_INSIDE=socket "FORK_INSIDE_PIDFILE=$AC_TMP/$name.child"
		ABORTCLOSE_LOG_LEVEL=info "ABORTCLOSE_LOG=file:$log")
	[ "$end" = sigkill ] && port=24814 || port=24815
	run_tcp_case "$name" client 4 $port $B "$end" fin
	CASE_NOLIB=0
	CASE_ENV=()
	if [ -s "$AC_TMP/$name.child" ] && ! fd_wait_gone "$(cat "$AC_TMP/$name.child")" 20; then
		fail "$name-child-ends" "the forked child is still running"
		kill -KILL "$(cat "$AC_TMP/$name.child")"
	fi
	fd_logged "$name-logs-the-give-up" "$log" "gave-up:forked-while-creating-it"
done
ac_finish
