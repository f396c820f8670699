#!/bin/bash
# The wrapper from a checkout (or ABORTCLOSE_LIB) at a path with a space or
# a ':', which ld.so would split LD_PRELOAD at: LD_PRELOAD names a link
# /tmp/abortclose-lib.UID/CRC-LEN-libabortclose.so that resolves to the
# library, and the library really is loaded into the command and its
# children (also a child that dropped to another user: the link directory
# is mode 755).  The link is made once per library path and reused; a
# directory that is not ours, writable by others, a symlink or a file is
# refused with one line and exit 2 (checked in a private /tmp: unshare -m).
. "$(dirname "$0")/lib-wrapper.sh"

uid=$(id -u)
link_dir=/tmp/abortclose-lib.$uid
show='printf "%s\n" "$LD_PRELOAD"; grep -m1 -o "/.*libabortclose.so$" /proc/$$/maps'

# space_tree DIR: a copy of the runnable tree (wrapper + build/) under DIR.
space_tree() {
	mkdir -p "$1/scripts"
	cp -R "$AC_PUB/build" "$1/" && cp "$W" "$1/scripts/" && chmod -R a+rX "$1"
}

# link_case NAME DIR: the wrapper in DIR/scripts preloads DIR's library.
link_case() {
	local name=$1 dir=$2 sw lib pre
	sw=$dir/scripts/abortclose
	lib=$(readlink -f "$dir/build/libabortclose.so")
	RC=0
	env -u LD_PRELOAD timeout -k 5 20 "$sw" sh -c "$show" >"$AC_TMP/s.out" 2>"$AC_TMP/s.err" </dev/null || RC=$?
	ERR=$(cat "$AC_TMP/s.err")
	check_status "$name: exit" 0
	check_eq "$name: stderr" "$ERR" ""
	pre=$(sed -n 1p "$AC_TMP/s.out")
	case $pre in
	"$link_dir"/*-libabortclose.so) pass "$name: LD_PRELOAD is a link in $link_dir ($pre)" ;;
	*) fail "$name: LD_PRELOAD is a link in $link_dir" "LD_PRELOAD=[$pre]" ;;
	esac
	check_eq "$name: the link resolves to the library" "$(readlink -f "$pre")" "$lib"
	check_eq "$name: the library is mapped" "$(sed -n 2p "$AC_TMP/s.out")" "$lib"
	LAST_LINK=$pre
}

S="$AC_PUB/my projects/libabortclose"
C="$AC_PUB/a:colon/libabortclose"
space_tree "$S"
space_tree "$C"

link_case "space in the path" "$S"
first=$LAST_LINK
link_case "space in the path, again" "$S"
check_eq "the link is reused" "$LAST_LINK" "$first"
link_case "colon in the path" "$C"
[ "$LAST_LINK" != "$first" ] && pass "another path, another link" ||
	fail "another path, another link" "both $first"
check_eq "link directory: mode 755, ours" "$(stat -c '%A %u' "$link_dir")" "drwxr-xr-x $uid"

# ABORTCLOSE_LIB at such a path: the same.
RC=0
OUT=$(env -u LD_PRELOAD ABORTCLOSE_LIB="$S/build/libabortclose.so" "$W" --dry-run true 2>&1) || RC=$?
check_eq "ABORTCLOSE_LIB with a space: dry-run names the link" "$(printf '%s\n' "$OUT" | sed -n 1p)" \
	"export LD_PRELOAD='$first'"

# A child and a grandchild of the command: inherited LD_PRELOAD, loaded.
RC=0
OUT=$(env -u LD_PRELOAD timeout -k 5 20 "$S/scripts/abortclose" sh -c 'sh -c "grep -c libabortclose.so /proc/\$\$/maps"' 2>&1) || RC=$?
[ "$RC" = 0 ] && [ "${OUT:-0}" -gt 0 ] 2>/dev/null && pass "grandchild: library loaded" ||
	fail "grandchild: library loaded" "exit $RC, output [$OUT]"

# Nested: the wrapper under the wrapper does not add the library twice.
RC=0
OUT=$(env -u LD_PRELOAD timeout -k 5 20 "$S/scripts/abortclose" "$S/scripts/abortclose" sh -c 'printf "%s\n" "$LD_PRELOAD"' 2>&1) || RC=$?
check_eq "nested wrapper: LD_PRELOAD once" "$OUT" "$first"

# A child that dropped to uid 65534 (a daemon's worker): reaches the link.
if [ "$uid" = 0 ] && command -v setpriv >/dev/null 2>&1; then
	RC=0
	OUT=$(env -u LD_PRELOAD timeout -k 5 20 "$S/scripts/abortclose" setpriv --reuid=65534 --regid=65534 --clear-groups \
		sh -c 'id -u; grep -q libabortclose.so /proc/$$/maps && echo loaded' 2>&1) || RC=$?
	check_eq "child as uid 65534: library loaded" "$(printf '%s\n' "$OUT" | tr '\n' ' ')" "65534 loaded "
elif in_ci; then
	fail "child as uid 65534" "needs root and setpriv"
fi

# --- refusals, in a private /tmp (a mount namespace: the real /tmp is shared) ---
# refuse_case NAME SETUP WANT-LINE: SETUP (sh) prepares /tmp/abortclose-lib.UID.
refuse_case() {
	local name=$1 setup=$2 want=$3
	RC=0
	ERR=$(unshare -m sh -c 'mount --bind "$1" /mnt && mount -t tmpfs -o mode=1777 tmpfs /tmp && eval "$2" &&
		exec env -u LD_PRELOAD "/mnt/my projects/libabortclose/scripts/abortclose" true' _ "$AC_PUB" "$setup" 2>&1) || RC=$?
	check_status "$name: exit 2" 2
	want=${want//LIB/\/mnt\/my projects\/libabortclose\/build\/libabortclose.so}
	check_eq "$name: one line" "$ERR" "$want"
}
if [ "$uid" = 0 ] && unshare -m true 2>/dev/null; then
	D=/tmp/abortclose-lib.0
	refuse_case "link directory of another uid" "mkdir -m 755 $D && chown 65534 $D" \
		"abortclose: $D belongs to uid 65534, not to you: not used for the link to 'LIB' (a path with ':' or a space)"
	refuse_case "link directory writable by others" "mkdir $D && chmod 1777 $D" \
		"abortclose: $D is writable by others: not used for the link to 'LIB' (a path with ':' or a space)"
	refuse_case "link directory writable by the group" "mkdir $D && chmod 775 $D" \
		"abortclose: $D is writable by others: not used for the link to 'LIB' (a path with ':' or a space)"
	refuse_case "link directory is a symlink" "mkdir /tmp/elsewhere && ln -s /tmp/elsewhere $D" \
		"abortclose: the library path 'LIB' contains ':' or a space, which LD_PRELOAD cannot carry, and $D (for a link to it) is not a directory"
	refuse_case "link directory is a file" ": >$D" \
		"abortclose: the library path 'LIB' contains ':' or a space, which LD_PRELOAD cannot carry, and $D (for a link to it) is not a directory"
	# And the same private /tmp, nothing there: it works (the dir is made).
	RC=0
	OUT=$(unshare -m sh -c 'mount --bind "$1" /mnt && mount -t tmpfs -o mode=1777 tmpfs /tmp &&
		env -u LD_PRELOAD "/mnt/my projects/libabortclose/scripts/abortclose" sh -c "grep -q libabortclose.so /proc/\$\$/maps && echo loaded" &&
		stat -c "%A %u" /tmp/abortclose-lib.0' _ "$AC_PUB" 2>&1) || RC=$?
	check_eq "fresh /tmp: link directory made, library loaded" "$(printf '%s\n' "$OUT" | tr '\n' ' ')" "loaded drwxr-xr-x 0 "
elif in_ci; then
	fail "refusals" "need root and unshare -m"
fi

# The links made here point into AC_PUB, which goes at exit: remove them.
for l in "$link_dir"/*-libabortclose.so; do
	case $(readlink -- "$l") in "$AC_PUB"/*) rm -f -- "$l" ;; esac
done

ac_finish
