#!/bin/bash
# The man pages render without a single groff warning, have a whatis line,
# and stay in step with the code: every wrapper option (from --help) is in
# abortclose(1) and docs/readme-wrapper.md; every variable the library knows
# (from its own "not a known variable" line) is in libabortclose(7) and
# abortclose(1).
. "$(dirname "$0")/lib-wrapper.sh"
need_tool groff

M1=$AC_ROOT/man/abortclose.1
M7=$AC_ROOT/man/libabortclose.7
DOC=$AC_ROOT/docs/readme-wrapper.md
for m in "$M1" "$M7"; do
	name=${m#"$AC_ROOT"/}
	w=$(groff -man -Tutf8 -ww -z "$m" 2>&1)
	check_eq "$name: groff -ww warnings" "$w" ""
	text=$(groff -man -Tutf8 -P-cbou "$m" 2>/dev/null)
	for section in NAME SYNOPSIS DESCRIPTION ENVIRONMENT FILES "SEE ALSO"; do
		grep -q "^$section" <<<"$text" && pass "$name: $section" || fail "$name: $section" "section missing"
	done
	if command -v lexgrog >/dev/null 2>&1; then
		lexgrog "$m" >/dev/null 2>&1 && pass "$name: whatis line" || fail "$name: whatis line" "lexgrog cannot parse NAME"
	fi
done
t1=$(groff -man -Tutf8 -P-cbou "$M1" 2>/dev/null)
for section in OPTIONS "EXIT STATUS" WARNINGS FILES EXAMPLES; do
	grep -q "^$section" <<<"$t1" && pass "abortclose.1: $section" || fail "abortclose.1: $section" "section missing"
done
t7=$(groff -man -Tutf8 -P-cbou "$M7" 2>/dev/null)
for topic in "Environment=LD_PRELOAD=" "ld.so.preload" "/proc/PID/maps" "TcpExtTCPAbortOnData" \
	"tcpdump" "IORING_OP_CLOSE" "statically linked" "Go programs" "setuid" "COPY libabortclose.so"; do
	grep -qF -- "$topic" <<<"$t7" && pass "libabortclose.7 covers '$topic'" ||
		fail "libabortclose.7 covers '$topic'" "not found"
done

# Options from --help (the code) must be documented.
opts=$("$W" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u)
[ -n "$opts" ] || fail "options from --help" "none found"
for o in $opts; do
	grep -qF -- "$o" <<<"$t1" && pass "abortclose.1 documents $o" || fail "abortclose.1 documents $o" "missing"
	grep -qF -- "\`$o" "$DOC" && pass "readme-wrapper.md documents $o" || fail "readme-wrapper.md documents $o" "missing"
done

# Variables the library knows (its own list) must be documented.
known=$(lib_line ABORTCLOSE_NO_SUCH_NAME_FOR_TEST=1 | sed -nE 's/.*\(known: ([^)]*)\).*/\1/p' | tr -d ',')
[ -n "$known" ] || fail "the library's list of variables" "no '(known: ...)' in its line"
for v in $known; do
	grep -qE -- "(^|[^A-Z_])$v([^A-Z_]|$)" <<<"$t7" && pass "libabortclose.7 documents $v" ||
		fail "libabortclose.7 documents $v" "missing"
	grep -qE -- "(^|[^A-Z_])$v([^A-Z_]|$)" <<<"$t1" && pass "abortclose.1 mentions $v" ||
		fail "abortclose.1 mentions $v" "missing"
done

ac_finish
