#!/bin/bash
# c_program.sh - what the unwinding check costs a C program (issue 11):
#   * after thousands of armed closes (each through the release path and its
#     unwinding check) neither libstdc++ nor libgcc_s is mapped in a C
#     program: the C++ runtime is only looked up when a C++ exception is
#     raised, and libgcc_s only found (never loaded) by the _Unwind_* hooks;
#   * INFO (never asserted): the fast path's instruction count, from the
#     library's own disassembly, and the instructions per release counted by
#     callgrind with the check on (ABORTCLOSE_ON_UNWIND=rst) and off (=fin).
# No network beyond loopback; no fixed port (the program binds port 0).
. "$(dirname "$0")/../lib.sh"
PROG=$AC_BIN/unwind_cprog
need_lib "$PROG"

# A sanitizer runtime in front (AC_PRELOAD_PREFIX) maps libstdc++ itself:
# the mappings are then checked with the plain library.
if [ -n "${AC_PRELOAD_PREFIX:-}" ]; then
	out=$(env LD_PRELOAD="$AC_BUILD/libabortclose.so" "$PROG" 5000)
else
	out=$(with_lib "$PROG" 5000)
fi
line=$(grep '^MAPPED' <<<"$out")
[ "$line" = "MAPPED libstdc++=0 libgcc_s=0" ] &&
	pass "C program after 5000 armed closes: $line" ||
	fail "C program mappings" "want 'MAPPED libstdc++=0 libgcc_s=0', got '$line' ($out)"
# The contrast: a Rust binary does link libgcc_s (so its panics reach the hooks).
if [ -x "$AC_BIN/rust_server" ] && ldd "$AC_BIN/rust_server" | grep -q libgcc_s; then
	pass "control: rust_server links libgcc_s dynamically (its panics reach the hooks)"
elif [ -x "$AC_BIN/rust_server" ]; then
	fail "rust_server libgcc_s" "not dynamically linked: the hooks would not see its panics"
fi

if command -v objdump >/dev/null 2>&1; then
	n=$(objdump -d --no-show-raw-insn "$AC_LIB" 2>/dev/null |
		awk '/<ac_thread_unwinding>:/{f=1;next} f&&/ret/{print c+1;exit} f&&/^ +[0-9a-f]+:/{c++}')
	echo "  INFO ac_thread_unwinding: ${n:-?} instructions up to the first ret (the path of a thread with no Rust panic, in a process that never raised a C++ exception)"
fi
# Instructions per release, counted by callgrind (deterministic, unlike a
# timing on a shared machine): the release path's policy test with the
# unwinding check on (ABORTCLOSE_ON_UNWIND=rst) and off (=fin).
per_release() { # ON_UNWIND value -> "Ir calls" of ac_close_keeps_armed
	local out=$AC_TMP/cg.$1 ann
	env LD_PRELOAD="$AC_LIB" ABORTCLOSE_ON_UNWIND="$1" valgrind --tool=callgrind \
		--callgrind-out-file="$out" "$PROG" 1000 >/dev/null 2>&1 || return 1
	ann=$(callgrind_annotate --inclusive=yes "$out" 2>/dev/null)
	printf '%s %s\n' \
		"$(grep -m1 'unwind.c:ac_close_keeps_armed \[' <<<"$ann" | awk '{gsub(",","",$1); print $1}')" \
		"$(grep -m1 '=> .*ac_close_keeps_armed (' <<<"$ann" | sed -E 's/.*\(([0-9,]+)x\).*/\1/' | tr -d ,)"
}
if command -v valgrind >/dev/null 2>&1 && command -v callgrind_annotate >/dev/null 2>&1; then
	read -r ir_on n_on < <(per_release rst)
	read -r ir_off n_off < <(per_release fin)
	if [ -n "${ir_on:-}" ] && [ -n "${n_on:-}" ] && [ "$n_on" -gt 0 ] && [ -n "${n_off:-}" ] && [ "$n_off" -gt 0 ]; then
		echo "  INFO instructions per release of an armed socket in the close-path test (callgrind, $n_on releases): $((ir_on / n_on)) with the unwinding check, $((ir_off / n_off)) without it (not asserted)"
	else
		echo "  INFO callgrind gave no count for ac_close_keeps_armed"
	fi
fi
ac_finish
