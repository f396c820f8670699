#!/bin/bash
# rust_panic.sh - the seed's Rust server (issue 11), built with rustc (std
# only): a handler that writes "Hello.\n" through a BufWriter and then
#   succeeds ("We are done!\n", flush, shutdown(Both)): FIN, both lines;
#   panics inside catch_unwind (accept loop): RST, and the loop goes on
#     accepting (the next connection is served, FIN);
#   panics on its own thread (thread per connection): RST; the next
#     connection after the join is served: FIN;
#   panics in the closure given to catch_unwind itself: RST;
#   panics holding only a borrow: the stream dropped after catch_unwind
#     returned, or after the panicked thread was joined, is a normal drop: FIN.
# Each RST case also runs with ABORTCLOSE=off (FIN/EOF: the case
# discriminates) and with ABORTCLOSE_ON_UNWIND=fin (the switch works); one
# group goes through the wrapper as a new user would.  Per thread: while a
# handler thread is inside its unwinding (held in a guard's drop), the main
# thread answers another connection with a plain close: that one is FIN,
# the unwinding one RST.  Ports 22600-22619.
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
			conn_case panic-in-the-closure-itself panic-inline rst "$HELLO"
			conn_case panic-then-drop-after-catch panic-after fin 'Hello.\nRecovered.\n'
		else
			conn_case panic-then-drop-after-join panic-after fin 'Hello.\nJoined.\n'
		fi
		conn_case err-default err fin "$HELLO"
		conn_case last-ok ok fin "$OK"
		# Rust's own message: "panicked at 'MSG', FILE" before 1.73
		# (Debian's 1.63), "panicked at FILE:\nMSG" since (rustup's).
		grep -Eq "panicked at 'handler panicked|^handler panicked mid-response" "$SRV_DIR/err" &&
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

# flags_to LETTER LPORT: packets from the server to the client port LPORT
# with TCP flag LETTER, in the last capture.
flags_to() {
	tcpdump -r "$AC_CAP_FILE" -nn "tcp and src port $SRV_PORT and dst port $2" 2>/dev/null |
		grep -cE "Flags \[[^]]*$1" || true
}
# concurrent_case NAME PORT EXPECT-OF-THE-UNWINDING-ONE [VAR=VAL...]
concurrent_case() {
	local name=$1 p=$2 expect=$3 c1pid why="" l1 l2 o1 o2
	shift 3
	srv_start "$name" "$p" "$@" -- "$RS" thread "$p" || return
	capture_start "$p" || { fail "$name" "tcpdump did not start"; srv_stop; return; }
	ac_bg c1pid "$SRV_DIR/c1" "$SRV_DIR/c1.err" python3 "$UW_DIR/client.py" "$p" hold
	if ! wait_for_line "$SRV_DIR/out" '^UNWINDING' 10 "$SRV_PID" >/dev/null; then
		why="the handler thread never reached its unwinding"
	fi
	o2=$(with_timeout 30 python3 "$UW_DIR/client.py" "$p" plain)
	ac_wait "$c1pid" 30 || why="${why:+$why; }first client did not finish"
	o1=$(cat "$SRV_DIR/c1")
	srv_done_line 2 >/dev/null || why="${why:+$why; }no DONE for the held connection"
	capture_stop || why="${why:+$why; }capture incomplete"
	l1=$(sed -nE 's/.* lport=([0-9]+).*/\1/p' <<<"$o1")
	l2=$(sed -nE 's/.* lport=([0-9]+).*/\1/p' <<<"$o2")
	local r1 f1 r2 f2
	r1=$(flags_to R "$l1") f1=$(flags_to F "$l1") r2=$(flags_to R "$l2") f2=$(flags_to F "$l2")
	case $expect in
	rst) [[ "$o1" == *"first=ECONNRESET"* ]] && [ "$r1" -ge 1 ] && [ "$f1" -eq 0 ] ||
		why="${why:+$why; }unwinding connection: want ECONNRESET, RST, no FIN: $o1 RST=$r1 FIN=$f1" ;;
	fin) [[ "$o1" == *"first=EOF"*"data=Hello.\n" ]] && [ "$f1" -ge 1 ] && [ "$r1" -eq 0 ] ||
		why="${why:+$why; }unwinding connection: want EOF after Hello., FIN, no RST: $o1 RST=$r1 FIN=$f1" ;;
	esac
	[[ "$o2" == *"first=EOF"*"data=Hello.\nWe are done!\n" ]] && [ "$f2" -ge 1 ] && [ "$r2" -eq 0 ] ||
		why="${why:+$why; }other thread's plain close: want EOF after both lines, FIN, no RST: $o2 RST=$r2 FIN=$f2"
	if [ -z "$why" ]; then
		pass "$name: unwinding thread's connection $expect (RST=$r1 FIN=$f1); main thread's plain close meanwhile fin, 20 bytes (RST=$r2 FIN=$f2)"
	else
		fail "$name" "$why"
	fi
	srv_stop
}
concurrent_case thread-concurrent 22612 rst
concurrent_case thread-concurrent-ABORTCLOSE=off 22613 fin ABORTCLOSE=off

# Another rustc on PATH (rustup's, newer than Debian's): the same cases with
# its std, whose exception class is written differently (from_ne_bytes).
alt=$(command -v rustc 2>/dev/null || true)
if [ -n "$alt" ] && [ "$("$alt" --version 2>/dev/null)" != "$(/usr/bin/rustc --version 2>/dev/null)" ]; then
	if "$alt" --edition 2021 -C opt-level=2 -o "$AC_TMP/rust_server_alt" "$(dirname "$0")/rust_server.rs" 2>"$AC_TMP/alt.err"; then
		v=$("$alt" --version | cut -d' ' -f2)
		for mode in catch thread; do
			srv_start "rustc-$v-$mode" 22614 -- "$AC_TMP/rust_server_alt" $mode 22614 && {
				conn_case panic panic rst "$HELLO"
				conn_case ok ok fin "$OK"
			}
			srv_stop
		done
	else
		echo "  INFO $alt could not build the server: $(head -c 200 "$AC_TMP/alt.err")"
	fi
fi

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
