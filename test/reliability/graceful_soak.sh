#!/bin/bash
# graceful_soak.sh - graceful closes under load lose nothing and send no RST.
# A threaded server (a thread per connection) and a forking server (a
# process per connection; the parent closes its copy at once) under the
# library each serve rounds of 200 concurrent connections x 1 MiB and
# close() every one on purpose.  The client checks every byte and an EOF
# end; the kernel of a private network namespace counts the RSTs a close
# or abort sends (TCPAbortOnData + TCPAbortOnClose must stay 0).  Reduced
# from `make soak` for the threaded server (10 rounds); the forking server
# keeps all 20 rounds because its failure mode (two holders closing at once
# both keep the socket armed) showed up in only a few connections per
# thousand.  Driver: test/progs/rel_graceful.c.  Ports 23100, 23101.
. "$(dirname "$0")/../lib.sh"
need_lib "$AC_BIN/rel_graceful"

run_mode() {
	local mode=$1 port=$2 rounds=$3 out="$AC_TMP/graceful-$1.out" st=0
	with_timeout 120 "$AC_BIN/rel_graceful" soak --lib "$AC_LIB" --server "$mode" --port "$port" \
		--rounds "$rounds" --conns 200 --bytes 1048576 >"$out" 2>&1 || st=$?
	[ "$st" = 0 ] || sed "s/^/    /" "$out"
	case $st in
	0) pass "graceful-$mode: $(grep -m1 '^RESULT' "$out")" ;;
	77)
		in_ci && { fail "graceful-$mode" "no private network namespace (needs root)"; return; }
		skip "no private network namespace (needs root)"
		;;
	*) fail "graceful-$mode" "$(grep -m1 '^RESULT' "$out" || echo "driver exit $st")" ;;
	esac
}
run_mode thread 23100 "${REL_GRACEFUL_ROUNDS:-10}"
run_mode fork 23101 "${REL_GRACEFUL_ROUNDS:-20}"
ac_finish
