#!/bin/bash
# rust_panic.sh - the seed's Rust server (issue 11), built with rustc (std
# only): a handler that writes "Hello.\n" through a BufWriter and then
#   succeeds ("We are done!\n", flush, shutdown(Both)): FIN, both lines;
#   panics inside catch_unwind (accept loop): RST, and the loop goes on
#     accepting (the next connection is served, FIN);
#   panics on its own thread (thread per connection): RST; the next
#     connection after the join is served: FIN;
#   panics holding only a borrow: the stream dropped after catch_unwind
#     returned, or after the panicked thread was joined, is a normal drop: FIN.
# Each RST case also runs with ABORTCLOSE=off (FIN/EOF: the case
# discriminates) and with ABORTCLOSE_ON_UNWIND=fin (the switch works); one
# group goes through the wrapper as a new user would.  Ports 22600-22619.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-unwind.bash"
need_lib
need_tool tcpdump
need_tool python3
RS=$AC_BIN/rust_server
if [ ! -x "$RS" ]; then
	if in_ci; then echo "  FAIL: $RS missing (rustc not installed? scripts/install-deps.sh)"; exit 1; fi
	skip "$RS not built (no rustc: sh scripts/install-deps.sh, then make)"
fi
OK='Hello.\nWe are done!\n'
HELLO='Hello.\n'

for mode in catch thread; do
	p=$([ $mode = catch ] && echo 22600 || echo 22601)
	srv_start "$mode" $p -- "$RS" $mode $p && {
		conn_case ok ok fin "$OK"
		conn_case panic panic rst "$HELLO"
		conn_case after-panic-ok ok fin "$OK"
		if [ $mode = catch ]; then
			conn_case panic-then-drop-after-catch panic-after fin 'Hello.\nRecovered.\n'
		else
			conn_case panic-then-drop-after-join panic-after fin 'Hello.\nJoined.\n'
		fi
		conn_case err-default err fin "$HELLO"
		conn_case last-ok ok fin "$OK"
		grep -q "panicked at 'handler panicked" "$SRV_DIR/err" &&
			pass "$mode: the panics are real (Rust's panic message on stderr)" ||
			fail "$mode: panic message" "none on stderr: $(head -c 200 "$SRV_DIR/err")"
	}
	srv_stop
done

# Controls: without the library's decision the same panic is a FIN.
p=22602
for mode in catch thread; do
	srv_start "$mode-ABORTCLOSE=off" $p ABORTCLOSE=off -- "$RS" $mode $p && {
		conn_case panic panic fin "$HELLO"
		conn_case ok ok fin "$OK"
	}
	srv_stop
	p=$((p + 1))
	srv_start "$mode-ON_UNWIND=fin" $p ABORTCLOSE_ON_UNWIND=fin -- "$RS" $mode $p && {
		conn_case panic panic fin "$HELLO"
	}
	srv_stop
	p=$((p + 1))
done

# As a new user would: through the wrapper, with its debug log.
SRV_WRAP=1 srv_start "wrapper-catch" 22610 -- --log=stderr --log-level=debug "$RS" catch 22610 && {
	conn_case panic panic rst "$HELLO"
	conn_case ok ok fin "$OK"
	grep -q "kept-armed:unwinding" "$SRV_DIR/err" && pass "wrapper-catch: debug line kept-armed:unwinding" ||
		fail "wrapper-catch: debug line" "no kept-armed:unwinding in $(head -c 300 "$SRV_DIR/err" | tr '\n' '|')"
}
srv_stop
SRV_WRAP=1 srv_start "wrapper-on-unwind=fin" 22611 -- --on-unwind=fin "$RS" catch 22611 && {
	conn_case panic panic fin "$HELLO"
}
srv_stop
ac_finish
