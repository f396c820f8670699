#!/bin/bash
# scm-users.sh - when nothing can tell, the library gives up protection and
# says so (issue 10, invariant 2).  A sender running as nobody hands a TCP
# connection with SCM_RIGHTS to a receiver running as root, which holds it
# when the sender closes its copy.  The sender's candidate holder is the
# receiver (SO_PEERCRED), whose /proc/PID/fd nobody may read, and which is in
# no ledger of the sender's: the sender disarms (a graceful close must not
# lose data) and logs one info line "gave-up:peer-fd-table-unreadable-pid-N".
# The receiver's crash then gives FIN (protection lost, no data lost).
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
mapfile -t envargs < <(fd_lib_env on)
ac_bg rpid "$d/recv.out" "$d/recv.err" env "${envargs[@]}" "$SCM" recv --unix "$d/sock" --go "$d/go" \
	--bytes $B --when before --end kill
if ! wait_for_line "$d/recv.out" '^READY-UNIX' 10 "$rpid" >/dev/null; then
	fail receiver "not ready: $(head -c 200 "$d/recv.err")"
	ac_finish
fi
chmod 777 "$d/sock"
: >"$d/sender.log" # setpriv (root) opens it first, then the sender (nobody)
chmod 666 "$d/sender.log"
FD_CASE_ENV=(ABORTCLOSE_LOG_LEVEL=info "ABORTCLOSE_LOG=file:$d/sender.log")
fd_case receiver-of-another-user-crashes-after-sender-close fin 22060 $B on \
	setpriv --reuid=65534 --regid=65534 --clear-groups "$SCM" send --unix "$d/sock" --port 22060 \
	--go "$d/go" --when before
FD_CASE_ENV=()
ac_wait "$rpid" 30 || true
if grep -q 'gave-up:peer-fd-table-unreadable-pid-[0-9]' "$d/sender.log" 2>/dev/null; then
	pass "sender-logs-why-it-gave-up ($(grep -o 'gave-up:[a-z-]*[0-9]*' "$d/sender.log" | head -1))"
else
	fail sender-logs-why-it-gave-up "no gave-up line in the sender's log: $(head -c 300 "$d/sender.log" 2>/dev/null)"
fi
ac_finish
