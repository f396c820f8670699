#!/bin/bash
# c_program.sh - what the unwinding check costs a C program (issue 11):
#   * after thousands of armed closes (each through the release path and its
#     unwinding check) neither libstdc++ nor libgcc_s is mapped in a C
#     program: the C++ runtime is only looked up when a C++ exception is
#     raised, and libgcc_s only found (never loaded) by the _Unwind_* hooks;
#   * INFO (never asserted): the fast path's instruction count, from the
#     library's own disassembly, and ns per connection with the check on
#     (ABORTCLOSE_ON_UNWIND=rst) and off (=fin), interleaved rounds, medians.
# No network beyond loopback; no fixed port (the program binds port 0).
. "$(dirname "$0")/../lib.sh"
PROG=$AC_BIN/unwind_cprog
need_lib "$PROG"

out=$(with_lib "$PROG" 5000)
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
on=() off=()
for round in 1 2 3 4 5; do
	on+=("$(with_lib ABORTCLOSE_ON_UNWIND=rst "$PROG" 3000 | sed -n 's/^NS_PER_CONN //p')")
	off+=("$(with_lib ABORTCLOSE_ON_UNWIND=fin "$PROG" 3000 | sed -n 's/^NS_PER_CONN //p')")
done
median() { printf '%s\n' "$@" | sort -n | sed -n 3p; }
echo "  INFO ns per connection (connect+accept+2 closes, 5 rounds x 3000): check on $(median "${on[@]}"), check off $(median "${off[@]}") (not asserted)"
ac_finish
