#!/bin/bash
# on_close.sh - ABORTCLOSE_ON_CLOSE=rst (issue 11, the seed's variant 2):
# every close path of a managed connection leaves it armed (RST); only
# shutdown(SHUT_WR|SHUT_RDWR), or the exit policy at a normal exit, ends it
# with FIN; the ports and roles filters still apply.  The close-path cases
# end with exit(0) after the close (fd_server --end exit0): a socket still
# open then would get FIN from the exit policy, so the RST can only come from
# the close.  Each RST case has its control: the default policy (FIN).
# Then the seed's Rust server through the wrapper: --on-close=rst makes its
# Err path (dropped without shutdown) RST, its success path stays FIN.
# Ports 22620-22669.
. "$(dirname "$0")/../fdpaths/lib-fd.sh"
. "$(dirname "$0")/lib-unwind.bash"
need_lib "$FD_SERVER"
need_tool tcpdump
need_tool python3
B=1048576
RST_ENV=(ABORTCLOSE_ON_CLOSE=rst)

# --- C close paths (fd_server) -------------------------------------------------
p=22620
while read -r name args; do
	[ -n "$name" ] || continue
	FD_CASE_ENV=("${RST_ENV[@]}")
	# shellcheck disable=SC2086 # args are words
	fd_server_case "on-close=rst/$name" rst $p $B on $args --end exit0
	FD_CASE_ENV=()
	# shellcheck disable=SC2086
	fd_server_case "default/$name" fin $((p + 1)) $B on $args --end exit0
	p=$((p + 2))
done <<'CASES'
close-both-dups     --case dup-close-both
fclose              --case fclose
freopen             --case freopen
closefrom           --case closefrom
close_range         --case close-range
syscall-SYS_close   --case sys-close
syscall-close_range --case sys-close-range
dup2-over-last      --case dup2-over-last
exec-cloexec        --case exec-cloexec
CASES
# shutdown still disarms: FIN although the process is killed right after it.
FD_CASE_ENV=("${RST_ENV[@]}")
fd_server_case "on-close=rst/syscall-SYS_shutdown-then-crash" fin $p $B on --case sys-shutdown
FD_CASE_ENV=()

# --- victim: close, shutdown, exit policy, filters -------------------------------
p=22640
CASE_ENV=("${RST_ENV[@]}")
run_tcp_case on-close=rst/server-close server 4 $p $B close rst
run_tcp_case on-close=rst/client-close client 4 $((p + 1)) $B close rst
run_tcp_case on-close=rst/server-close-v6 server 6 $((p + 2)) $B close rst
run_tcp_case on-close=rst/shutdown-exit1 server 4 $((p + 3)) $B shutdown-exit1 fin
run_tcp_case on-close=rst/exit0-open server 4 $((p + 4)) $B exit0-open fin
run_tcp_case on-close=rst/return0-open server 4 $((p + 5)) $B return0-open fin
CASE_ENV=("${RST_ENV[@]}" ABORTCLOSE_ROLES=connected)
run_tcp_case on-close=rst/roles=connected-server-close server 4 $((p + 6)) $B close fin
CASE_ENV=("${RST_ENV[@]}" "ABORTCLOSE_PORTS=!$((p + 7))")
run_tcp_case on-close=rst/port-excluded-server-close server 4 $((p + 7)) $B close fin
CASE_ENV=(ABORTCLOSE_ON_CLOSE=fin)
run_tcp_case on-close=fin/server-close server 4 $((p + 8)) $B close fin
CASE_ENV=("${RST_ENV[@]}" ABORTCLOSE=off)
run_tcp_case on-close=rst-ABORTCLOSE=off/server-close server 4 $((p + 9)) $B close fin
CASE_ENV=()

# --- the seed's Rust server, as a new user would run it ---------------------------
RS=$AC_BIN/rust_server
if [ ! -x "$RS" ]; then
	if in_ci; then fail "rust_server" "$RS missing (rustc not installed? scripts/install-deps.sh)"; else
		echo "  SKIP rust_server part: $RS not built (no rustc)"; fi
else
	OK='Hello.\nWe are done!\n'
	SRV_WRAP=1 srv_start "rust-wrapper-on-close=rst" 22660 -- --on-close=rst "$RS" catch 22660 && {
		conn_case err err rst 'Hello.\n'
		conn_case ok ok fin "$OK"
		conn_case panic panic rst 'Hello.\n'
		conn_case ok-again ok fin "$OK"
	}
	srv_stop
	SRV_WRAP=1 srv_start "rust-wrapper-default" 22661 -- "$RS" catch 22661 && {
		conn_case err err fin 'Hello.\n'
	}
	srv_stop
	SRV_WRAP=1 srv_start "rust-wrapper-on-close=rst-off" 22662 -- --on-close=rst --off "$RS" catch 22662 && {
		conn_case err err fin 'Hello.\n'
	}
	srv_stop
fi
ac_finish
