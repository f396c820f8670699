#!/bin/bash
# fork-pidns.sh - a forking server whose handler child is in a new PID
# namespace (unshare(CLONE_NEWPID) then fork, as unshare(1), bubblewrap or
# nsjail make it): the child is pid 1 of its namespace, its parent's pid is
# not one it can name, and /proc is still the outer namespace's.  Victim:
# fd_pidns.py (a Python server), on the wire and at the peer:
#   parent-first   the parent closes its copy, the child sends and closes:
#                  FIN and every byte; the child exits 1 with it open: RST;
#   child-first    the child sends half and closes (the parent holds it:
#                  still armed), the parent sends the rest and closes: FIN
#                  and every byte; the parent exits 1 instead: RST;
#   parent-gone    the parent leaves without closing, then the child sends
#                  and closes: FIN and every byte (no process is left to
#                  count on).
# Every RST case has its ABORTCLOSE=off control (FIN).  Needs root
# (unshare(CLONE_NEWPID)).  Ports 23700-23719.
. "$(dirname "$0")/../lib.sh"
need_lib
need_tool tcpdump
need_tool python3
PY=$(command -v /usr/bin/python3 || command -v python3)
VICTIM="$(dirname "$0")/fd_pidns.py"
if ! unshare -p -f true 2>/dev/null; then
	if in_ci; then fail pidns "unshare(CLONE_NEWPID) refused (CI runs as root)"; else skip pidns "needs unshare(CLONE_NEWPID) (root)"; fi
	ac_finish
fi

port=23700
while read -r name order end expect status env; do
	case $name in '' | '#'*) continue ;; esac
	CASE_VICTIM_CMD=("$PY" "$VICTIM" "$port" 262144 "$order" "$end")
	CASE_WANT_STATUS=$status
	CASE_ENV=()
	[ "$env" = - ] || CASE_ENV=("$env")
	run_tcp_case "pidns-$name" server 4 "$port" 262144 "$order-$end" "$expect"
	port=$((port + 1))
done <<'TABLE'
# name                    order        end    expect status env
parent-first-close        parent-first close  fin    0      -
parent-first-exit1        parent-first exit1  rst    0      -
parent-first-exit1-off    parent-first exit1  fin    0      ABORTCLOSE=off
child-first-close         child-first  close  fin    0      -
child-first-exit1         child-first  exit1  rst    1      -
child-first-exit1-off     child-first  exit1  fin    1      ABORTCLOSE=off
parent-gone-close         parent-gone  close  fin    1      -
TABLE
ac_finish
