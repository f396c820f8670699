#!/bin/bash
# fork-reap.sh - the wait family under the library (shim/hook_wait.c).
#   api       wait, waitpid (NULL status, WNOHANG, WUNTRACED, WCONTINUED),
#             wait3, wait4, waitid (WNOWAIT, WNOHANG), ECHILD, an invalid
#             status pointer (EFAULT, not a crash): every result,
#             status and errno the same with and without the library
#   reaped    8,400 children, each reaped (the five calls in turn) before
#             the next fork: once all 8,192 ledger slots have been used, a
#             fork takes a reaped child's slot without kill(pid, 0) - the
#             parent makes (almost) none (strace)
#   ignored   the control: the same children reaped by the kernel (SIGCHLD
#             ignored, no wait call): a kill(pid, 0) per fork past 8,192
# No network.
. "$(dirname "$0")/../lib.sh"
need_lib "$AC_BIN/fd_reap"
need_tool strace

"$AC_BIN/fd_reap" api >"$AC_TMP/api-off.txt" 2>&1
with_lib "$AC_BIN/fd_reap" api >"$AC_TMP/api-on.txt" 2>&1
if [ -s "$AC_TMP/api-on.txt" ] && cmp -s "$AC_TMP/api-off.txt" "$AC_TMP/api-on.txt"; then
	pass "api: $(wc -l <"$AC_TMP/api-on.txt") results the same with and without the library"
else
	fail "api" "$(diff "$AC_TMP/api-off.txt" "$AC_TMP/api-on.txt" | head -c 400 | tr '\n' '|')"
fi

# kills WAY: the parent's kill() calls over 8,400 forks reaped that way.
kills() {
	local t="$AC_TMP/strace-$1"
	with_timeout 120 strace -f -qq -e trace=kill -o "$t" env LD_PRELOAD="$(ac_preload)" \
		"$AC_BIN/fd_reap" churn 8400 "$1" >"$AC_TMP/churn-$1.out" 2>&1 || { echo "-1"; return; }
	grep -q '^done 8400' "$AC_TMP/churn-$1.out" || { echo "-1"; return; }
	local parent
	parent=$(head -n1 "$t" | awk '{ print $1 }')
	awk -v p="$parent" '$1 == p && $2 ~ /^kill\(/ && $2 !~ /SIG/' "$t" | grep -c ', 0)' || true
}
k=$(kills all)
if [ "$k" -ge 0 ] && [ "$k" -le 5 ]; then
	pass "reaped: $k kill(pid, 0) by the parent over 8,400 forks (ledger slots 8,192)"
else
	fail "reaped" "$k kill(pid, 0) by the parent over 8,400 forks, want at most 5"
fi
k=$(kills ignore)
if [ "$k" -ge 150 ]; then
	pass "ignored (control): $k kill(pid, 0) by the parent: a reaped-by-the-kernel child's slot is asked about"
else
	fail "ignored (control)" "$k kill(pid, 0), want one per fork past 8,192 (the count above could not fail)"
fi
ac_finish
