#!/usr/bin/env bash
# test/fuzz/run.sh [SECONDS] - build and run the policy fuzzer for a bounded time.
#
# Builds build/fuzz/fuzz_policy with libFuzzer + ASan + UBSan (clang), runs it
# on a copy of test/fuzz/corpus in build/fuzz/corpus (the repository is never
# written), and exits non-zero on any crash, leak, sanitizer report or broken
# invariant.  Crash inputs land in build/fuzz/artifacts/.  Needs clang and
# libclang-rt-14-dev (Debian 12: it ships libclang_rt.fuzzer).
set -euo pipefail

secs=${1:-60}
case "$secs" in
'' | *[!0-9]* | 0)
	echo "usage: $0 [SECONDS>0]" >&2
	exit 2
	;;
esac

root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/build/fuzz"
cc=${CLANG:-}
if [ -z "$cc" ]; then
	for c in clang clang-14; do
		if command -v "$c" >/dev/null 2>&1; then
			cc=$c
			break
		fi
	done
fi
if [ -z "$cc" ]; then
	echo "fuzz: FAIL: clang not found (apt-get install -y clang libclang-rt-14-dev)" >&2
	exit 1
fi

mkdir -p "$out"
rm -rf "$out/corpus" "$out/artifacts"
mkdir -p "$out/artifacts"
cp -R "$root/test/fuzz/corpus" "$out/corpus"

if ! "$cc" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE -I"$root/policy" \
	-o "$out/fuzz_policy" "$root/test/fuzz/fuzz_policy.c" "$root"/policy/*.c \
	2>"$out/build.log"; then
	cat "$out/build.log" >&2
	echo "fuzz: FAIL: build failed (is libclang-rt-14-dev installed?)" >&2
	exit 1
fi

seeds=$(find "$out/corpus" -type f | wc -l)
log="$out/fuzz.log"
rc=0
# -max_len above AC_PATH_MAX reaches the too-long log path; -timeout and
# -rss_limit_mb turn a hang or a blow-up into a reported failure.
(cd "$out" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	./fuzz_policy -max_total_time="$secs" -max_len=10000 -timeout=10 \
	-rss_limit_mb=2048 -print_final_stats=1 -dict="$root/test/fuzz/policy.dict" \
	-artifact_prefix="$out/artifacts/" "$out/corpus") >"$log" 2>&1 || rc=$?

runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
finals=$(find "$out/corpus" -type f | wc -l)
bad=$(find "$out/artifacts" -type f | wc -l)

if [ "$rc" -ne 0 ] || [ "$bad" -ne 0 ] || grep -Eq 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|invariant failed' "$log"; then
	grep -E 'ERROR:|runtime error:|invariant failed|SUMMARY' "$log" | head -n 20 >&2 || true
	echo "fuzz: FAIL: fuzz_policy exit $rc, ${runs:-?} runs, artifacts in $out/artifacts (log $log)" >&2
	exit 1
fi
echo "fuzz: OK: fuzz_policy ${runs:-?} runs in ${took:-$secs} s, corpus $seeds -> $finals inputs, 0 crashes/leaks/sanitizer reports"
