#!/bin/bash
# UDP and UNIX sockets are untouched by the library: their kernel SO_LINGER
# stays as the program left it ({0,0}, or {1,5} that it set itself), every
# call succeeds, and errno after a successful close() is what it was before
# (test/progs/nontcp.c).  The same run checks that TCP sockets - including
# the SOCK_NONBLOCK|SOCK_CLOEXEC and IPPROTO_TCP forms Python and Node use -
# are armed {1,0} with the library, and not with ABORTCLOSE=off or without
# it: so the "untouched" result comes from a library that is really active.
# No TCP traffic; the UDP ports are ephemeral.
. "$(dirname "$0")/../lib.sh"
need_lib "$AC_BIN/nontcp"

nontcp_case() {
	local name=$1 armed=$2 out st=0
	shift 2
	out=$("$@" "$AC_BIN/nontcp" --tcp-armed "$armed" 2>"$AC_TMP/$name.err") || st=$?
	if [ "$st" -ne 0 ]; then
		fail "$name" "exit $st: $(echo "$out" | grep -v '^nontcp:' | head -5 | tr '\n' '|')"
	elif [ -s "$AC_TMP/$name.err" ]; then
		fail "$name" "unexpected stderr: $(head -c 300 "$AC_TMP/$name.err" | tr '\n' '|')"
	else
		pass "$name (${out##*$'\n'})"
	fi
}

nontcp_case with-library 1 env LD_PRELOAD="$(ac_preload)"
nontcp_case abortclose-off 0 env LD_PRELOAD="$(ac_preload)" ABORTCLOSE=off
nontcp_case without-library 0 env
ac_finish
