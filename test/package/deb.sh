#!/bin/bash
# test/package/deb.sh - the Debian package, built (make deb), really
# installed (apt-get install ./abortclose_*.deb), used as documented, and
# removed without a trace.
#
#   * make deb builds it (into this test's temp dir; AC_DEB=FILE.deb reuses
#     one built earlier in this run) with no lintian error, every lintian
#     warning listed in README.md, the Makefile's version, and every helper
#     program the Makefile builds (tools/*.c) in /usr/libexec/abortclose/;
#   * apt-get install ./abortclose_*.deb; /usr/bin/abortclose --version names
#     /usr/lib/<triplet>/abortclose/libabortclose.so, the one it maps;
#   * a server killed mid-response under the installed abortclose sends RST
#     (peer: ECONNRESET), with --off or ABORTCLOSE=off FIN (peer: EOF); a
#     graceful close FIN
#     with every byte;
#   * the LD_PRELOAD line of the shipped systemd drop-in
#     (/usr/share/doc/abortclose/examples/abortclose.conf), parsed from the
#     installed file and run in a clean environment as systemd would: a
#     graceful close gives FIN with every byte, kill -9 RST, and with
#     ABORTCLOSE=off FIN;
#   * debian/tests/installed-demo (the autopkgtest) passes;
#   * dpkg -L before, apt-get remove after: every listed file and the
#     package's own directories are gone, no config files are left.
# The package is purged on every exit path (trap).  A /usr/local install
# and the checkout are left as they were (checked).  An abortclose package
# that was installed before the test started is never touched: skip.
# Needs root (apt-get install); CI runs as root on a throwaway machine.
# Ports 27200-27229.
. "$(dirname "$0")/../lib.sh"
need_lib
for t in apt-get dpkg dpkg-deb dpkg-query dpkg-architecture dpkg-buildpackage dh lintian flock python3 tcpdump; do
	need_tool "$t"
done
if [ "$(id -u)" != 0 ]; then
	in_ci && { echo "  FAIL: CI must run as root (apt-get install)"; exit 1; }
	skip "needs root: apt-get install (CI runs it as root)"
fi
pkg_state() { dpkg-query -W -f='${Status} ${Version}' abortclose 2>/dev/null || true; }
state=$(pkg_state)
case $state in
"" | "unknown ok not-installed"*) ;;
*) skip "a package named abortclose is already on this machine ($state): this test installs and removes its own, so it does not touch that one" ;;
esac

# apt-get, as a user would (apt install ./FILE.deb, apt remove), waiting for
# the dpkg lock (other apt runs on the machine: flock /tmp/apt.lock is the
# convention here, DPkg::Lock::Timeout covers those that do not take it).
apt_locked() {
	DEBIAN_FRONTEND=noninteractive flock -w 600 /tmp/apt.lock \
		apt-get -y --no-install-recommends -o DPkg::Lock::Timeout=600 "$@" </dev/null
}
OURS=0 # 1 from the moment the install starts: the package is then ours to purge
pkg_cleanup() {
	local st
	st=$(pkg_state)
	case $st in "" | "unknown ok not-installed"*) OURS=0 ;; esac
	if [ "$OURS" = 1 ]; then
		apt_locked purge abortclose >>"$AC_TMP/purge.log" 2>&1 ||
			echo "  (apt-get purge abortclose failed: $(tail -n 3 "$AC_TMP/purge.log" | tr '\n' '|'))"
		OURS=0
	fi
}
trap 'pkg_cleanup; ac_cleanup' EXIT

# --- what must stay untouched -----------------------------------------------------
untouched() { # /usr/local files of ours, and the checkout's state
	find /usr/local \( -name '*abortclose*' -o -name 'libabortclose*' \) ! -type d -exec sha256sum {} + 2>/dev/null | sort
	git -C "$AC_ROOT" status --porcelain 2>/dev/null
}
before=$(untouched)

# --- build ---------------------------------------------------------------------------
version=$(sed -nE 's/^VERSION[[:space:]]*:?=[[:space:]]*//p' "$AC_ROOT/Makefile")
triplet=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
LIBPATH=/usr/lib/$triplet/abortclose/libabortclose.so
if [ -n "${AC_DEB:-}" ]; then
	deb=$AC_DEB
	lintian_txt=$(dirname "$deb")/lintian.txt
else
	if make -C "$AC_ROOT" --no-print-directory deb DEB_OUT="$AC_TMP/deb" >"$AC_TMP/make-deb.log" 2>&1; then
		pass "make deb"
	else
		fail "make deb" "$(tail -n 8 "$AC_TMP/make-deb.log" | tr '\n' '|')"
		ac_finish
	fi
	deb=$(ls "$AC_TMP"/deb/abortclose_*.deb)
	lintian_txt=$AC_TMP/deb/lintian.txt
fi
[ -f "$deb" ] || { fail "package file" "$deb missing"; ac_finish; }
if [ -f "$lintian_txt" ]; then
	errors=$(grep -c '^E:' "$lintian_txt" || true)
	[ "$errors" = 0 ] && pass "lintian: no error" || fail "lintian: no error" "$(grep -m3 '^E:' "$lintian_txt" | tr '\n' '|')"
	# Every warning is listed in the README, with its reason.
	for tag in $(sed -nE 's/^W: [^ ]+: ([a-z0-9-]+).*/\1/p' "$lintian_txt" | sort -u); do
		grep -qF -- "\`$tag\`" "$AC_ROOT/README.md" && pass "lintian warning $tag is in README.md" ||
			fail "lintian warning $tag is in README.md" "not listed"
	done
else
	fail "lintian report" "$lintian_txt missing"
fi
check() { # NAME GOT WANT
	[ "$2" = "$3" ] && pass "$1" || fail "$1" "got [$2], want [$3]"
}
check "package version is the Makefile's" "$(dpkg-deb -f "$deb" Version)" "$version"
check "package name" "$(dpkg-deb -f "$deb" Package)" abortclose
contents=$(dpkg-deb -c "$deb" | sed -E 's/.* \.(\/[^ ]*).*/\1/')
for f in /usr/bin/abortclose "$LIBPATH" /usr/share/man/man1/abortclose.1.gz /usr/share/man/man7/libabortclose.7.gz \
	/usr/share/doc/abortclose/README.md.gz /usr/share/doc/abortclose/copyright \
	/usr/share/doc/abortclose/examples/abortclose.conf; do
	grep -qxF "$f" <<<"$contents" && pass "package has $f" || fail "package has $f" "missing"
done
ntools=0
for t in "$AC_ROOT"/tools/*.c; do
	name=$(basename "$t" .c)
	ntools=$((ntools + 1))
	grep -qxF "/usr/libexec/abortclose/$name" <<<"$contents" && pass "package has helper $name" ||
		fail "package has helper $name" "missing from /usr/libexec/abortclose/"
done
[ "$ntools" -gt 0 ] || fail "helpers" "no tools/*.c"

# --- install -------------------------------------------------------------------------
OURS=1
# The file is copied to a world-readable directory: apt's download step
# runs as _apt and cannot read this test's private temp dir.
pub=$(mktemp -d "${TMPDIR:-/tmp}/abortclose-deb-install.XXXXXX")
chmod 755 "$pub"
cp "$deb" "$pub/"
chmod 644 "$pub/$(basename "$deb")"
if apt_locked install "$pub/$(basename "$deb")" >"$AC_TMP/install.log" 2>&1; then
	pass "apt-get install ./$(basename "$deb")"
else
	fail "apt-get install ./$(basename "$deb")" "$(tail -n 5 "$AC_TMP/install.log" | tr '\n' '|')"
	rm -rf "$pub"
	ac_finish
fi
rm -rf "$pub"
check "dpkg: installed" "$(pkg_state)" "install ok installed $version"

W=/usr/bin/abortclose
irun() { # CMD...: clean PATH, no ABORTCLOSE_LIB; sets RC OUT ERR
	RC=0
	env -u ABORTCLOSE_LIB -u LD_PRELOAD PATH=/usr/bin:/bin timeout -k 5 20 "$@" \
		>"$AC_TMP/i.out" 2>"$AC_TMP/i.err" </dev/null || RC=$?
	OUT=$(cat "$AC_TMP/i.out")
	ERR=$(cat "$AC_TMP/i.err")
}
irun "$W" --version
check "installed --version" "$RC:$OUT" "0:abortclose $version
library: $LIBPATH"
irun "$W" sh -c 'grep -m1 -o "/[^ ]*libabortclose\.so" /proc/$$/maps'
check "installed wrapper maps the installed library" "$RC:$OUT" "0:$LIBPATH"
irun env ABORTCLOSE_ROLES=servers "$W" true
check "installed wrapper: invalid setting exits 2, the library's one line" "$RC:$(grep -c . <<<"$ERR"):$(grep -c 'ABORTCLOSE_ROLES' <<<"$ERR")" "2:1:1"

# --- a server killed mid-response under the installed wrapper ---------------------------
CASE_NOLIB=1 # the installed wrapper or the drop-in's line does the preloading
under_wrapper() { # PORT BYTES END WRAPPER-OPTS...
	local port=$1 bytes=$2 end=$3
	shift 3
	CASE_VICTIM_CMD=(env -u ABORTCLOSE_LIB "$W" "$@" -- "$AC_BIN/victim" server --port "$port"
		--family 4 --bytes "$bytes" --end "$end")
}
under_wrapper 27200 1000000 external
run_tcp_case "installed abortclose, server kill -9: RST" server 4 27200 1000000 external rst
under_wrapper 27201 1000000 external --off
run_tcp_case "installed abortclose --off, server kill -9: FIN" server 4 27201 1000000 external fin
under_wrapper 27203 1000000 external
CASE_ENV=(ABORTCLOSE=off)
run_tcp_case "installed abortclose, ABORTCLOSE=off, server kill -9: FIN" server 4 27203 1000000 external fin
CASE_ENV=()
under_wrapper 27202 4000000 close
CASE_WANT_STATUS=0
run_tcp_case "installed abortclose, graceful close: FIN, every byte" server 4 27202 4000000 close fin
CASE_WANT_STATUS=""

# --- the systemd drop-in's line, exactly as shipped ---------------------------------------
# systemd: Environment= takes space-separated VAR=VALUE words, no variable
# expansion ($ has no meaning: $LIB reaches the loader as written); a
# service starts with a clean environment.  The shipped example uses no
# quotes; a quote would need systemd's full parser, so it fails here.
EXAMPLE=/usr/share/doc/abortclose/examples/abortclose.conf
DROPIN=()
section=""
while IFS= read -r line; do
	case $line in
	\[*\]) section=$line ;;
	Environment=*)
		[ "$section" = "[Service]" ] || continue
		case $line in *[\"\']*) fail "drop-in parse" "quotes in '$line': not handled here" ;; esac
		read -ra words <<<"${line#Environment=}"
		DROPIN+=("${words[@]}")
		;;
	esac
done <"$EXAMPLE"
preload_line=$(grep -E '^Environment=LD_PRELOAD=' "$EXAMPLE")
check "drop-in: one LD_PRELOAD line" "$(grep -c '^Environment=LD_PRELOAD=' "$EXAMPLE")" 1
check "drop-in: the documented line" "$preload_line" 'Environment=LD_PRELOAD=/usr/$LIB/abortclose/libabortclose.so'
grep -qF -- "$preload_line" "$AC_ROOT/README.md" && pass "drop-in line is the one in README.md" ||
	fail "drop-in line is the one in README.md" "README.md does not show '$preload_line'"
as_service() { env -i PATH=/usr/bin:/bin "${DROPIN[@]}" "$@"; }
RC=0
OUT=$(as_service sh -c 'grep -m1 -o "/[^ ]*libabortclose\.so" /proc/$$/maps' 2>"$AC_TMP/d.err") || RC=$?
check "drop-in: \$LIB expands to lib/$triplet, the installed library is mapped" "$RC:$OUT:$(cat "$AC_TMP/d.err")" "0:$LIBPATH:"
dropin_victim() { # PORT BYTES END [VAR=VALUE...]
	local port=$1 bytes=$2 end=$3
	shift 3
	CASE_VICTIM_CMD=(env -i PATH=/usr/bin:/bin "${DROPIN[@]}" "$@" "$AC_BIN/victim" server --port "$port"
		--family 4 --bytes "$bytes" --end "$end")
}
dropin_victim 27210 4000000 close
CASE_WANT_STATUS=0
run_tcp_case "drop-in line, graceful close: FIN, every byte" server 4 27210 4000000 close fin
CASE_WANT_STATUS=""
dropin_victim 27211 1000000 external
run_tcp_case "drop-in line, server kill -9: RST" server 4 27211 1000000 external rst
dropin_victim 27212 1000000 external ABORTCLOSE=off
run_tcp_case "drop-in line + ABORTCLOSE=off, server kill -9: FIN" server 4 27212 1000000 external fin
CASE_VICTIM_CMD=()

# --- the autopkgtest -----------------------------------------------------------------
RC=0
AC_DEMO_PORT=27220 timeout -k 5 120 sh "$AC_ROOT/debian/tests/installed-demo" >"$AC_TMP/apt.out" 2>&1 </dev/null || RC=$?
npass=$(grep -c '^PASS ' "$AC_TMP/apt.out" || true)
if [ "$RC" = 0 ] && ! grep -q '^FAIL' "$AC_TMP/apt.out" && [ "$npass" -ge 7 ]; then
	pass "autopkgtest debian/tests/installed-demo ($npass checks)"
else
	fail "autopkgtest debian/tests/installed-demo" "exit $RC: $(grep -v '^PASS' "$AC_TMP/apt.out" | head -c 400 | tr '\n' '|')"
fi

# --- remove: nothing left ---------------------------------------------------------------
listed=$(dpkg -L abortclose)
grep -qxF "$LIBPATH" <<<"$listed" && grep -qxF /usr/bin/abortclose <<<"$listed" &&
	pass "dpkg -L lists the library and the wrapper ($(grep -c . <<<"$listed") paths)" ||
	fail "dpkg -L" "does not list $LIBPATH and /usr/bin/abortclose"
# apt remove, not purge: the package has no conffiles and no maintainer
# scripts, so a plain remove must already leave nothing (state
# not-installed, not "config-files").  The trap purges anyway.
if apt_locked remove abortclose >"$AC_TMP/remove.log" 2>&1; then
	pass "apt-get remove abortclose"
else
	fail "apt-get remove abortclose" "$(tail -n 5 "$AC_TMP/remove.log" | tr '\n' '|')"
fi
state=$(pkg_state)
case $state in
"" | "unknown ok not-installed"*) pass "remove: not installed, no config files left" ;;
*) fail "remove: not installed, no config files left" "state: $state" ;;
esac
left=""
while IFS= read -r p; do
	[ -n "$p" ] || continue
	if [ -d "$p" ] && [ ! -L "$p" ]; then
		case $p in *abortclose*) left="$left $p" ;; esac # the package's own directories
	elif [ -e "$p" ] || [ -L "$p" ]; then
		left="$left $p"
	fi
done <<<"$listed"
check "remove: every listed file and the package's directories are gone" "${left# }" ""

check "/usr/local and the checkout untouched" "$(untouched)" "$before"
pkg_cleanup
ac_finish
