#!/bin/bash
# make install PREFIX=... puts the library, the wrapper, its helpers and the
# man pages in place; the installed wrapper uses the LIBDIR and LIBEXECDIR
# that make install wrote into it (also through a symlink), loads the
# library, validates with the installed validator and warns with the
# installed inspector; make uninstall leaves no file behind.  A staged
# install (DESTDIR, the Debian LIBDIR) writes the final paths, without
# DESTDIR, into the wrapper and the man pages.
. "$(dirname "$0")/lib-wrapper.sh"
need_tool make
need_tool gcc

D=$AC_TMP/dest
P=$D/usr
if ! make -C "$AC_ROOT" --no-print-directory install PREFIX="$P" >"$AC_TMP/install.log" 2>&1; then
	fail "make install" "$(tail -n 5 "$AC_TMP/install.log" | tr '\n' '|')"
	ac_finish
fi
pass "make install"

for f in lib/libabortclose.so bin/abortclose libexec/abortclose/abortclose-inspect \
	libexec/abortclose/abortclose-validate libexec/abortclose/abortclose-status share/man/man1/abortclose.1 share/man/man7/libabortclose.7; do
	[ -f "$P/$f" ] && pass "installed $f" || fail "installed $f" "missing"
done
[ -x "$P/bin/abortclose" ] && pass "wrapper executable" || fail "wrapper executable" "mode $(stat -c %a "$P/bin/abortclose")"

IW=$P/bin/abortclose
lib=$(readlink -f "$P/lib/libabortclose.so")
# Run the installed copy with a PATH and environment that cannot lead back
# to the source tree.
irun() {
	RC=0
	env -u ABORTCLOSE_LIB PATH=/usr/bin:/bin "$@" >"$AC_TMP/i.out" 2>"$AC_TMP/i.err" </dev/null || RC=$?
	OUT=$(cat "$AC_TMP/i.out")
	ERR=$(cat "$AC_TMP/i.err")
}

# --status runs the installed abortclose-status (from ../libexec/abortclose).
irun "$IW" --status $$
check_status "installed --status" 0
check_eq "installed --status: this shell" "$(sed -n 2p "$AC_TMP/i.out")" "  libabortclose: not loaded"
irun "$IW" --version
check_eq "installed --version names PREFIX/lib" "$(sed -n 2p "$AC_TMP/i.out")" "library: $lib"
irun "$IW" sh -c 'printf "%s\n" "$LD_PRELOAD"; grep -m1 -o "/[^ ]*libabortclose.so" /proc/$$/maps'
check_status "installed wrapper runs a command" 0
check_eq "installed: LD_PRELOAD" "$(sed -n 1p "$AC_TMP/i.out")" "$lib"
check_eq "installed: the installed library is mapped" "$(sed -n 2p "$AC_TMP/i.out")" "$lib"

mkdir -p "$AC_TMP/elsewhere"
ln -s "$IW" "$AC_TMP/elsewhere/abortclose"
irun "$AC_TMP/elsewhere/abortclose" --version
check_eq "through a symlink: still the installed library" "$(sed -n 2p "$AC_TMP/i.out")" "library: $lib"

irun env ABORTCLOSE_ROLES=servers "$IW" true
check_status "installed: invalid env is 2" 2
check_one_line "installed: the library's line" "$(lib_line ABORTCLOSE_ROLES=servers)"
# Without the validator helper, the wrapper asks the library itself: same line.
mv "$P/libexec/abortclose/abortclose-validate" "$AC_TMP/validate.away"
irun env ABORTCLOSE_ROLES=servers "$IW" true
check_status "installed, no validator: invalid env is still 2" 2
check_one_line "installed, no validator: the library's own line" "$(lib_line ABORTCLOSE_ROLES=servers)"
irun "$IW" --on-exit=fin sh -c 'exit 4'
check_status "installed, no validator: valid config runs" 4
mv "$AC_TMP/validate.away" "$P/libexec/abortclose/abortclose-validate"

echo 'int main(void) { return 6; }' >"$AC_TMP/s.c"
if gcc -static -o "$AC_TMP/static" "$AC_TMP/s.c"; then
	irun "$IW" "$AC_TMP/static"
	check_status "installed: static program runs" 6
	check_eq "installed: inspector warns" "$ERR" \
		"abortclose: warning: $AC_TMP/static is statically linked (no ELF interpreter): LD_PRELOAD cannot load libabortclose into it"
else
	fail "static test program" "gcc -static failed"
fi

if command -v man >/dev/null 2>&1; then
	for m in share/man/man1/abortclose.1 share/man/man7/libabortclose.7; do
		if MANWIDTH=80 man -l "$P/$m" 2>"$AC_TMP/man.err" | grep -q '^NAME' && [ ! -s "$AC_TMP/man.err" ]; then
			pass "man -l $m"
		else
			fail "man -l $m" "$(head -c 300 "$AC_TMP/man.err")"
		fi
	done
elif in_ci; then
	fail "man" "man not installed (man-db)"
fi

if ! make -C "$AC_ROOT" --no-print-directory uninstall PREFIX="$P" >"$AC_TMP/uninstall.log" 2>&1; then
	fail "make uninstall" "$(tail -n 5 "$AC_TMP/uninstall.log" | tr '\n' '|')"
fi
left=$(find "$D" ! -type d | head -n 5)
check_eq "make uninstall leaves no file" "$left" ""

# --- staged, with the Debian package's paths ---------------------------------------
S=$AC_TMP/stage
DEBPATHS=(PREFIX=/usr LIBDIR=/usr/lib/x86_64-linux-gnu/abortclose LIBEXECDIR=/usr/libexec)
if make -C "$AC_ROOT" --no-print-directory install DESTDIR="$S" "${DEBPATHS[@]}" >"$AC_TMP/stage.log" 2>&1; then
	pass "staged make install"
else
	fail "staged make install" "$(tail -n 5 "$AC_TMP/stage.log" | tr '\n' '|')"
fi
for f in lib/x86_64-linux-gnu/abortclose/libabortclose.so bin/abortclose libexec/abortclose/abortclose-validate \
	share/man/man1/abortclose.1 share/man/man7/libabortclose.7; do
	[ -f "$S/usr/$f" ] && pass "staged /usr/$f" || fail "staged /usr/$f" "missing"
done
check_eq "staged wrapper: its LIBDIR, without DESTDIR" \
	"$(grep -E '^installed_(libdir|helperdir)=' "$S/usr/bin/abortclose")" \
	"installed_libdir='/usr/lib/x86_64-linux-gnu/abortclose'
installed_helperdir='/usr/libexec/abortclose'"
for m in share/man/man1/abortclose.1 share/man/man7/libabortclose.7; do
	text=$(groff -man -Tutf8 -P-cbou "$S/usr/$m" 2>&1)
	grep -qF /usr/lib/x86_64-linux-gnu/abortclose/libabortclose.so <<<"$text" &&
		pass "staged $m names the installed library" || fail "staged $m names the installed library" "not found"
	re='/usr/local/(lib/libabortclose|libexec/abortclose|bin/abortclose)'
	grep -qE "$re" <<<"$text" && fail "staged $m: no default path left" "$(grep -m1 -E "$re" <<<"$text")" ||
		pass "staged $m: no default path left"
	check_eq "staged $m: groff -ww warnings" "$(groff -man -Tutf8 -ww -z "$S/usr/$m" 2>&1)" ""
done
make -C "$AC_ROOT" --no-print-directory uninstall DESTDIR="$S" "${DEBPATHS[@]}" >"$AC_TMP/unstage.log" 2>&1 ||
	fail "staged make uninstall" "$(tail -n 5 "$AC_TMP/unstage.log" | tr '\n' '|')"
check_eq "staged make uninstall leaves no file" "$(find "$S" ! -type d | head -n 5)" ""

# A path the sed of make install cannot carry is refused, nothing installed.
RC=0
make -C "$AC_ROOT" --no-print-directory install DESTDIR="$AC_TMP/bad" PREFIX='/opt/a|b' >"$AC_TMP/bad.log" 2>&1 || RC=$?
[ "$RC" != 0 ] && grep -q 'must not contain' "$AC_TMP/bad.log" && [ ! -e "$AC_TMP/bad" ] &&
	pass "make install refuses a | in a path" || fail "make install refuses a | in a path" "exit $RC: $(tail -n 2 "$AC_TMP/bad.log" | tr '\n' '|')"

ac_finish
