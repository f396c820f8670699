#!/bin/bash
# `make demo` keeps working: scripts/demo.sh (run with sh, as the Makefile
# does) ends with its conclusion, the client saw EOF without the library and
# a reset with it, and, with tcpdump as root, the wire lines say FIN then RST.
# Ports 21000-21099 (the demo's own).
. "$(dirname "$0")/lib-wrapper.sh"
need_lib "$AC_BIN/demo_server" "$AC_BIN/demo_client"

RC=0
timeout -k 5 120 sh "$AC_ROOT/scripts/demo.sh" >"$AC_TMP/demo.out" 2>"$AC_TMP/demo.err" </dev/null || RC=$?
OUT=$(cat "$AC_TMP/demo.out")
ERR=$(cat "$AC_TMP/demo.err")
check_status "demo: exit" 0
check_eq "demo: stderr" "$ERR" ""
clients=$(grep -E '^   client: ' "$AC_TMP/demo.out" | sed -E 's/^   client: //; s/[0-9]+ bytes/N bytes/')
check_eq "demo: what the client saw" "$clients" "EOF after N bytes
connection reset by peer after N bytes"
grep -q '^Conclusion:' "$AC_TMP/demo.out" && pass "demo: conclusion" || fail "demo: conclusion" "missing"
if command -v tcpdump >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	wires=$(grep -E '^   wire: ' "$AC_TMP/demo.out" | sed -E 's/^   wire: +server sent ([A-Z]+).*/\1/')
	check_eq "demo: the wire" "$wires" "FIN
RST"
fi
lines=$(grep -c . "$AC_TMP/demo.out")
[ "$lines" -le 15 ] && pass "demo: short ($lines lines)" || fail "demo: short" "$lines lines"

ac_finish
