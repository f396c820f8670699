#!/bin/bash
# The wrapper's warnings about targets LD_PRELOAD cannot reach, one stderr
# line each, never changing the exit status (the command still runs):
#   statically linked (gcc -static, -static-pie, a crafted big-endian ELF),
#   Go (crafted .go.buildinfo section; crafted "Go" build-ID note; the
#   buildinfo magic in a binary without a section table), setuid / setgid
#   to another user, file capabilities for a non-root caller, a 32-bit
#   program (crafted), a #! script whose interpreter is static (directly and
#   through /usr/bin/env).  And no warning where LD_PRELOAD does work:
#   ordinary dynamic programs, setuid-root run by root (no AT_SECURE), file
#   capabilities for root, a setuid script, a nosuid mount, C programs that
#   merely contain Go's magic string.
. "$(dirname "$0")/lib-wrapper.sh"
need_tool gcc
need_tool objcopy
need_tool python3

lib=$(readlink -f "$LIB")
# The setuid and non-root cases run as uid 65534: the programs, like the
# wrapper and its tools (lib-wrapper.sh), are in the public dir.
T=$AC_PUB/bin
mkdir -p "$T"
chmod 0755 "$T"
PFX="abortclose: warning:"
STATIC_MSG="is statically linked (no ELF interpreter): LD_PRELOAD cannot load libabortclose into it"
GO_MSG="is a Go program: Go makes its socket system calls itself, libabortclose does not see them"

# expect_warnings NAME WANT-STATUS WANT-STDERR -- WRAPPER-ARGS...
expect_warnings() {
	local name=$1 st=$2 want=$3
	shift 4
	wrun -- "$@"
	check_status "$name: exit status unchanged" "$st"
	check_eq "$name: stderr" "$ERR" "$want"
}

# --- programs to look at -------------------------------------------------------------
cat >"$T/prog.c" <<'C'
#include <stdio.h>
/* Go's buildinfo magic, 16-byte aligned in writable data, as Go places it. */
__attribute__((aligned(16))) char blob[32] = "\xff Go buildinf:\x08\x02";
int main(int argc, char **argv) { (void)argc; (void)argv; return blob[0] == 0 ? 4 : 3; }
C
gcc -O0 -o "$T/dynamic" "$T/prog.c" &&
	gcc -O0 -static -o "$T/static" "$T/prog.c" &&
	gcc -O0 -static-pie -fPIE -o "$T/static-pie" "$T/prog.c" || {
	fail "build test programs" "gcc failed (static libc: libc6-dev)"
	ac_finish
}

expect_warnings "dynamic program" 3 "" -- "$T/dynamic"
expect_warnings "gcc -static" 3 "$PFX $T/static $STATIC_MSG" -- "$T/static"
expect_warnings "gcc -static-pie" 3 "$PFX $T/static-pie $STATIC_MSG" -- "$T/static-pie"
# Found on PATH: the message names the resolved file.
wrun PATH="$T:/usr/bin:/bin" -- static
check_eq "static, found on PATH" "$ERR" "$PFX $T/static $STATIC_MSG"

# --- Go --------------------------------------------------------------------------------
printf '\xff Go buildinf:\x08\x02' >"$T/buildinfo.bin"
objcopy --add-section .go.buildinfo="$T/buildinfo.bin" "$T/dynamic" "$T/go-section" 2>/dev/null
expect_warnings "crafted .go.buildinfo section" 3 "$PFX $T/go-section $GO_MSG" -- "$T/go-section"
# The note Go's linker writes: name "Go", type 4 (NT_GO_BUILDID), in .note.go.buildid.
python3 -c '
import struct, sys
name, desc = b"Go\0", b"abcdefgh/ijklmnop"
pad = lambda b: b + b"\0" * (-len(b) % 4)
sys.stdout.buffer.write(struct.pack("<III", len(name), len(desc), 4) + pad(name) + pad(desc))
' >"$T/gonote.bin"
objcopy --add-section .note.go.buildid="$T/gonote.bin" --set-section-flags .note.go.buildid=readonly \
	"$T/dynamic" "$T/go-note" 2>/dev/null
expect_warnings "crafted Go build-ID note" 3 "$PFX $T/go-note $GO_MSG" -- "$T/go-note"
# Without a section table, the magic in writable data is what tells (the C
# program above carries it: with its sections it is not taken for Go).
cp "$T/dynamic" "$T/go-nosections"
python3 - "$T/go-nosections" <<'PY'
import struct, sys
with open(sys.argv[1], "r+b") as f:
    f.seek(0x28); f.write(struct.pack("<Q", 0))      # e_shoff
    f.seek(0x3c); f.write(struct.pack("<HH", 0, 0))  # e_shnum, e_shstrndx
PY
expect_warnings "buildinfo magic, no section table" 3 "$PFX $T/go-nosections $GO_MSG" -- "$T/go-nosections"
# A static Go program gets both lines.
objcopy --add-section .go.buildinfo="$T/buildinfo.bin" "$T/static" "$T/go-static" 2>/dev/null
expect_warnings "static Go program" 3 "$PFX $T/go-static $STATIC_MSG
$PFX $T/go-static $GO_MSG" -- "$T/go-static"

# --- crafted headers: another byte order, another class -------------------------------
python3 - "$T" <<'PY'
import struct, sys, os
d = sys.argv[1]
# ELF64 big-endian (s390x) executable, one PT_LOAD, no PT_INTERP: static.
eh = b"\x7fELF" + bytes([2, 2, 1]) + b"\0" * 9
eh += struct.pack(">HHIQQQIHHHHHH", 2, 22, 1, 0x400078, 64, 0, 0, 64, 56, 1, 64, 0, 0)
ph = struct.pack(">IIQQQQQQ", 1, 5, 0, 0x400000, 0x400000, 120, 120, 0x1000)
open(os.path.join(d, "be64-static"), "wb").write(eh + ph)
# ELF32 little-endian i386 executable with PT_INTERP: dynamic, 32-bit.
interp = b"/lib/ld-linux.so.2\0"
eh = b"\x7fELF" + bytes([1, 1, 1]) + b"\0" * 9
eh += struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, 0x8048000, 52, 0, 0, 52, 32, 1, 40, 0, 0)
ph = struct.pack("<IIIIIIII", 3, 84, 0, 0, len(interp), len(interp), 4, 1)
open(os.path.join(d, "i386-dynamic"), "wb").write(eh + ph + interp)
# Not an ELF file at all, nor a script: nothing to say.
open(os.path.join(d, "garbage"), "wb").write(os.urandom(4096))
PY
chmod 0755 "$T/be64-static" "$T/i386-dynamic" "$T/garbage"
expect_warnings "crafted big-endian ELF64 without interpreter" 0 "$PFX $T/be64-static $STATIC_MSG" -- --check "$T/be64-static"
expect_warnings "crafted 32-bit i386 program" 0 \
	"$PFX $T/i386-dynamic is a 32-bit i386 program but the library is 64-bit x86-64: the loader will skip libabortclose" \
	-- --check "$T/i386-dynamic"
expect_warnings "random bytes" 0 "" -- --check "$T/garbage"

# --- setuid / setgid / capabilities ------------------------------------------------------
# The loader ignores LD_PRELOAD only under AT_SECURE: when the exec changes
# the effective uid/gid, or gives a non-root caller file capabilities.
cp "$(type -P cat)" "$T/cat-suid"
chown 65534 "$T/cat-suid"
chmod 4755 "$T/cat-suid"
wrun -- "$T/cat-suid" /proc/self/maps
check_eq "setuid to another user: warning" "$ERR" \
	"$PFX $T/cat-suid is setuid (owner uid 65534): the loader ignores LD_PRELOAD for it, libabortclose will not load"
check_status "setuid to another user: runs" 0
case $OUT in
*libabortclose*) fail "setuid to another user: the warning is true" "the library was loaded after all" ;;
*) pass "setuid to another user: the warning is true (not in its maps)" ;;
esac

cp "$(type -P cat)" "$T/cat-sgid"
chgrp 65534 "$T/cat-sgid"
chmod 2755 "$T/cat-sgid"
wrun -- "$T/cat-sgid" /proc/self/maps
check_eq "setgid to another group: warning" "$ERR" \
	"$PFX $T/cat-sgid is setgid (group gid 65534): the loader ignores LD_PRELOAD for it, libabortclose will not load"
case $OUT in
*libabortclose*) fail "setgid: the warning is true" "the library was loaded after all" ;;
*) pass "setgid: the warning is true (not in its maps)" ;;
esac

if [ "$(id -u)" = 0 ]; then
	cp "$(type -P cat)" "$T/cat-suid-root"
	chmod 4755 "$T/cat-suid-root"
	wrun -- "$T/cat-suid-root" /proc/self/maps
	check_eq "setuid root, run by root: no warning" "$ERR" ""
	case $OUT in
	*libabortclose*) pass "setuid root, run by root: the library does load" ;;
	*) fail "setuid root, run by root: the library does load" "not in its maps" ;;
	esac
fi

if command -v setcap >/dev/null 2>&1 && command -v setpriv >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	cp "$T/dynamic" "$T/with-caps"
	setcap cap_net_bind_service+ep "$T/with-caps"
	wrun -- --check "$T/with-caps"
	check_eq "file capabilities, caller root: no warning" "$ERR" ""
	RC=0
	ERR=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$W" --check "$T/with-caps" 2>&1) || RC=$?
	check_eq "file capabilities, caller not root: warning" "$ERR" \
		"$PFX $T/with-caps has file capabilities: the loader ignores LD_PRELOAD for it, libabortclose will not load"
	check_status "file capabilities, caller not root: --check still 0" 0
elif in_ci; then
	fail "file capabilities" "setcap (libcap2-bin) or setpriv missing, or not root"
else
	echo "  (file capability cases not run: need root, setcap, setpriv)"
fi

# A nosuid mount: the bits do not count, so neither does the warning.
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
	wrun -- --version # (sets nothing; keeps RC/ERR fresh)
	RC=0
	ERR=$(unshare -m sh -c 'mkdir -p "$1/mnt" && mount -t tmpfs -o nosuid tmpfs "$1/mnt" &&
		cp -p "$1/bin/cat-suid" "$1/mnt/cat-suid" && "$2" --check "$1/mnt/cat-suid"' _ "$AC_PUB" "$W" 2>&1) || RC=$?
	check_status "setuid on a nosuid mount: check" 0
	check_eq "setuid on a nosuid mount: no warning" "$ERR" ""
fi

# --- scripts -----------------------------------------------------------------------------
printf '#!%s -x\necho not reached\n' "$T/static" >"$T/script-static"
chmod 0755 "$T/script-static"
expect_warnings "#! static interpreter" 3 \
	"$PFX $T/static (the #! interpreter of $T/script-static) $STATIC_MSG" -- "$T/script-static"
printf '#!/usr/bin/env static\n' >"$T/script-env"
chmod 0755 "$T/script-env"
wrun PATH="$T:/usr/bin:/bin" -- script-env
check_eq "#!/usr/bin/env static: followed on PATH" "$ERR" \
	"$PFX $T/static (the #! interpreter of $T/script-env) $STATIC_MSG"
check_status "#!/usr/bin/env static: status unchanged" 3
printf '#!/bin/sh\nexit 5\n' >"$T/script-sh"
chmod 0755 "$T/script-sh"
expect_warnings "#!/bin/sh: nothing to say" 5 "" -- "$T/script-sh"
cp "$T/script-sh" "$T/script-suid"
chown 65534 "$T/script-suid"
chmod 4755 "$T/script-suid"
expect_warnings "setuid script: the kernel ignores the bit, no warning" 5 "" -- "$T/script-suid"
printf '#!%s\n' "$T/go-section" >"$T/script-go"
chmod 0755 "$T/script-go"
expect_warnings "#! Go interpreter" 0 "$PFX $T/go-section (the #! interpreter of $T/script-go) $GO_MSG" \
	-- --check "$T/script-go"

ac_finish
