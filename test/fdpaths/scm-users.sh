#!/bin/bash
# scm-users.sh - a sender running as nobody hands a TCP connection with
# SCM_RIGHTS to a receiver running as root, which holds it when the sender
# closes its copy.  The sender's candidate holder is the receiver
# (SO_PEERCRED), whose /proc/PID/fd nobody may read, and which is in no
# ledger of the sender's.
#   receiver-marked-*  the receiver runs the library: it marked the socket
#       when it received it (a POSIX read lock, shim/mark.c), which the
#       sender sees with F_GETLK whatever the users: the sender keeps it
#       armed for the receiver ("kept-armed:shared-with-pid-N"), whose crash
#       gives RST (control: the library off in both, FIN).  Before mark.c
#       the sender gave protection up here (FIN);
#   receiver-without-library-*  nothing can tell (no mark, the fd table
#       unreadable): the sender disarms (a graceful close must not lose
#       data) and logs one info line "gave-up:peer-fd-table-unreadable-
#       pid-N" (invariant 2); the receiver's crash gives FIN.
# Needs root (setpriv to 65534).  Ports 22060-22069.
. "$(dirname "$0")/lib-fd.sh"
# Its processes run as uid 65534 and exec programs that load the library:
# they run from a world-readable copy (the checkout may be under a mode-700
# directory).
ac_use_public_tree
FD_SERVER="$AC_BIN/fd_server"
SCM="$AC_BIN/fd_scm"
need_lib "$SCM"
need_tool tcpdump
need_tool setpriv
if [ "$(id -u)" != 0 ]; then
	in_ci && { echo "  FAIL: needs root (CI runs as root)"; exit 1; }
	skip "needs root"
fi
B=1048576
d=$(mktemp -d /tmp/abortclose-scmu.XXXXXX)
chmod 777 "$d" # the sender (nobody) writes its go file and its log here
trap 'st=$?; rm -rf "$d"; (exit $st); fd_exit' EXIT

# users_case NAME EXPECT PORT RECEIVER_MODE SENDER_MODE LOG_WANTED
users_case() {
	local name=$1 expect=$2 port=$3 rmode=$4 smode=$5 want=$6 rpid
	local c="$d/$name"
	mkdir -p "$c" && chmod 777 "$c"
	mapfile -t envargs < <(fd_lib_env "$rmode")
	ac_bg rpid "$c/recv.out" "$c/recv.err" env "${envargs[@]}" "$SCM" recv --unix "$c/sock" --go "$c/go" \
		--bytes $B --when before --end kill
	if ! wait_for_line "$c/recv.out" '^READY-UNIX' 10 "$rpid" >/dev/null; then
		fail "$name" "receiver not ready: $(head -c 200 "$c/recv.err")"
		return
	fi
	chmod 777 "$c/sock"
	: >"$c/sender.log" # setpriv (root) opens it first, then the sender (nobody)
	chmod 666 "$c/sender.log"
	FD_CASE_ENV=(ABORTCLOSE_LOG_LEVEL=debug "ABORTCLOSE_LOG=file:$c/sender.log")
	fd_case "$name" "$expect" "$port" $B "$smode" \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$SCM" send --unix "$c/sock" --port "$port" \
		--go "$c/go" --when before
	FD_CASE_ENV=()
	ac_wait "$rpid" 30 || true
	[ "$want" = - ] && return
	want=${want//RPID/$rpid}
	if grep -qE "$want" "$c/sender.log" 2>/dev/null; then
		pass "$name-sender-log ($(grep -oE "$want" "$c/sender.log" | head -1))"
	else
		fail "$name-sender-log" "no line matching $want in the sender's log: $(tr '\n' '|' <"$c/sender.log" 2>/dev/null | head -c 300)"
	fi
}

users_case receiver-marked-crashes-after-sender-close rst 22060 on on 'kept-armed:shared-with-pid-RPID$'
users_case receiver-marked-crashes-after-sender-close-off fin 22061 off off -
users_case receiver-without-library-crashes-after-sender-close fin 22062 nolib on 'gave-up:peer-fd-table-unreadable-pid-RPID$'
ac_finish
