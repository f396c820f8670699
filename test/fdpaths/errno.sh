#!/bin/bash
# errno.sh - the library is invisible to a program's error handling
# (issue 3): every interposed call returns the same value and errno with and
# without the library on its failure paths (close of a bad fd -> EBADF,
# setsockopt(SO_LINGER) with a short optlen -> EINVAL, shutdown of an
# unconnected socket -> ENOTCONN, dup3(fd, fd) -> EINVAL, close_range with
# first > last -> EINVAL, failed execs...), and leaves errno untouched on its
# success paths.  fd_errno prints one line per call; the outputs must match.
# Port 24800 (nobody listens there: ECONNREFUSED).
. "$(dirname "$0")/lib-fd.sh"
need_lib "$AC_BIN/fd_errno"
d="$AC_TMP/errno"
mkdir -p "$d"
if port_listening 24800; then
	fail errno-exactness "port 24800 is in use"
	ac_finish
fi
"$AC_BIN/fd_errno" 24800 >"$d/nolib.txt" 2>"$d/nolib.err"
with_lib "$AC_BIN/fd_errno" 24800 >"$d/lib.txt" 2>"$d/lib.err"
n=$(wc -l <"$d/nolib.txt")
if [ "$n" -lt 40 ]; then
	fail errno-exactness "fd_errno printed only $n lines: $(head -c 200 "$d/nolib.err")"
elif ! diff -u "$d/nolib.txt" "$d/lib.txt" >"$d/diff.txt"; then
	fail errno-exactness "differs with the library: $(grep '^[-+][a-z]' "$d/diff.txt" | head -6 | tr -s ' ' | tr '\n' '|')"
elif [ -s "$d/lib.err" ]; then
	fail errno-exactness "stderr with the library: $(head -c 200 "$d/lib.err")"
else
	pass "errno-exactness ($n calls: same result and errno with and without the library)"
fi
ac_finish
