#!/usr/bin/env bash
# bench/run.sh - `make bench`: what libabortclose costs, measured, never asserted.
#
# Configurations (issue 5):
#   A  no library
#   B  library on the server only
#   C  library on server and client
#   D  no library, server hand-modified: SO_LINGER {1,0} after accept(),
#      {0,0} before close() - the best a hand-written program can do
#
# Parts: 1 connection churn (A/B/C/D interleaved), 2 bulk throughput (A/B
# interleaved), 3 syscalls per connection and per read/write (strace -c),
# 4 memory per fd (RSS), 4b closing dup()'d sockets as connections pile up,
# 5 nginx + wrk (optional), 6 fork-per-connection server (bench/fork-rows.sh;
# alone: `bash bench/run.sh fork`).  Prints a table and
# writes build/bench.json.  Nothing here compares a time to a threshold:
# the targets are printed next to the numbers for a human to judge.
#
# Every round runs in a fresh network namespace when `unshare -n` works
# (root): no TIME_WAIT or port state leaks from one round into the next.
# Ports: churn 26000-26199, per-connection interleaving 26200-26299, bulk
# 26300-26499, strace and callgrind 26500-26699, nginx 26700-26899, syscall
# cost 26900, memory 26950, dup-close 26960.
#
# Knobs (environment): BENCH_ROUNDS (11), BENCH_CONNS (10000 per churn
# round; many short rounds resist bursts of other load better than few long), BENCH_WARMUP (500), BENCH_BULK_BYTES (2000000000),
# BENCH_BULK_ROUNDS (9), BENCH_CALLGRIND_CONNS (500), BENCH_MULTI_ROUNDS (7),
# BENCH_MULTI_CONNS (5000 per server), BENCH_ALIAS_KS ("100 1000 3000"),
# BENCH_STRACE_CONNS (1000), BENCH_FDS (100000), BENCH_NGINX=0 to skip
# nginx, BENCH_NGINX_ROUNDS (5), BENCH_NGINX_SECS (3),
# ABORTCLOSE_LIB (library to measure, default build/libabortclose.so),
# BENCH_OLD_REV (00e5538: mode O, the armed-listener design; empty = skip).
set -u
export LC_ALL=C # sort/join/awk must agree, and decimals use "."
# `bash bench/run.sh fork` (make bench BENCH=fork): only the fork rows.
if [ "${1:-}" = fork ]; then
	exec bash "$(dirname "$0")/fork-rows.sh"
fi

cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
BIN=$ROOT/build/bench
LIB=${ABORTCLOSE_LIB:-$ROOT/build/libabortclose.so}
JSON=$ROOT/build/bench.json
ROUNDS=${BENCH_ROUNDS:-11}
CONNS=${BENCH_CONNS:-10000}
WARMUP=${BENCH_WARMUP:-500}
BULK=${BENCH_BULK_BYTES:-2000000000}
BROUNDS=${BENCH_BULK_ROUNDS:-9}
SCONNS=${BENCH_STRACE_CONNS:-1000}
NFDS=${BENCH_FDS:-100000}
NG_ROUNDS=${BENCH_NGINX_ROUNDS:-5}
NG_SECS=${BENCH_NGINX_SECS:-3}

mkdir -p "$BIN"
WORK=$(mktemp -d /tmp/acbench-run.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

say() { printf '%s\n' "$*"; }
warn() { printf 'bench: %s\n' "$*" >&2; }

# --- build the bench programs (plain programs: no library code in them) -------
CFLAGS_B="-O2 -g -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wundef -Wstrict-prototypes -std=gnu11 -D_GNU_SOURCE"
for p in server client fdmem syscost alias; do
	if [ ! -x "$BIN/bench_$p" ] || [ "bench/$p.c" -nt "$BIN/bench_$p" ] || [ bench/common.h -nt "$BIN/bench_$p" ]; then
		# shellcheck disable=SC2086
		${CC:-gcc} $CFLAGS_B -o "$BIN/bench_$p" "bench/$p.c" || { warn "cannot build bench/$p.c"; exit 1; }
	fi
done

# O (issue 9): the library as it was before listeners stopped being armed
# (listener armed before listen(), accepted connections inherit {1,0}: no
# system call at accept), built from BENCH_OLD_REV into build/bench-old, on
# the server only: the churn rows and the syscall counts show what the one
# setsockopt per accept() now costs.  BENCH_OLD_REV= (empty) skips it.
OLD_REV=${BENCH_OLD_REV-00e5538}
OLD_LIB=$ROOT/build/bench-old/libabortclose.so
build_old_lib() {
	local src=$ROOT/build/bench-old/src
	[ -n "$OLD_REV" ] || return 1
	[ -f "$OLD_LIB" ] && [ "$(cat "$ROOT/build/bench-old/rev" 2>/dev/null)" = "$OLD_REV" ] && return 0
	rm -rf "$src" && mkdir -p "$src" || return 1
	git -C "$ROOT" archive "$OLD_REV" shim policy Makefile 2>/dev/null | tar -x -C "$src" || return 1
	make -C "$src" -s lib >/dev/null 2>&1 || return 1
	cp "$src/build/libabortclose.so" "$OLD_LIB" && printf '%s\n' "$OLD_REV" >"$ROOT/build/bench-old/rev"
}
if [ -f "$LIB" ]; then
	HAVE_LIB=1
	MODES=(A B C D)
	if build_old_lib; then
		MODES=(A B C D O)
	else
		[ -n "$OLD_REV" ] && warn "cannot build the old library ($OLD_REV): no O rows"
	fi
else
	HAVE_LIB=0
	MODES=(A D)
	warn "$LIB not built: measuring only A (no library) and D (hand-modified server)"
fi

NETNS=0
if unshare -n true 2>/dev/null; then
	NETNS=1
else
	warn "unshare -n not permitted: rounds share the host network namespace (distinct ports per round)"
fi
in_netns() {
	if [ "$NETNS" = 1 ]; then
		R_NETNS=1 N_NETNS=1 M_NETNS=1 unshare -n "$@"
	else
		"$@"
	fi
}

# --- small statistics helpers --------------------------------------------------
# stats: numbers on stdin -> "median min max" (nan when empty)
stats() {
	sort -g | awk '{ a[NR] = $1 }
	END {
		if (NR == 0) { print "nan nan nan"; exit }
		m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
		print m, a[1], a[NR]
	}'
}
# field FILE MODE KEY -> the values of KEY=... on lines "MODE round ..." of FILE
field() {
	awk -v m="$2" -v k="$3" '$1 == m { for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }' "$1"
}
# paired FILE M1 M2 KEY -> per-round ratios M1/M2 of KEY (rounds present in both)
paired() {
	awk -v a="$2" -v b="$3" -v k="$4" '
	{ for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) v[$1, $2] = kv[2] } r[$2] = 1 }
	END { for (x in r) if (((a, x) in v) && ((b, x) in v) && v[b, x] > 0) print v[a, x] / v[b, x] }' "$1"
}
fmt() { awk -v x="$1" -v f="$2" 'BEGIN { if (x == "nan" || x == "") print "n/a"; else printf f, x }'; }
us() { awk -v x="$1" 'BEGIN { if (x == "nan" || x == "") print "n/a"; else printf "%.2f", x / 1000 }'; }
json_num() { awk -v x="$1" 'BEGIN { if (x == "nan" || x == "") print "null"; else printf "%.6g", x }'; }

srv_lib() { case $1 in B | C) printf '%s' "$LIB" ;; O) printf '%s' "$OLD_LIB" ;; esac; }
cli_lib() { case $1 in C) printf '%s' "$LIB" ;; esac; }

# Other work on the machine moves every clock-based number here (2 vCPUs:
# one busy process halves the churn rate).  Say so instead of hiding it.
load_now() { awk '{ print $1 }' /proc/loadavg; }
LOAD0=$(load_now)
busy_note() {
	awk -v a="$LOAD0" -v b="$(load_now)" 'BEGIN { if (a + 0 > 0.5 || b + 0 > 1.5)
		printf "   NOTE: load average %s at start, %s at end: other processes shared the CPUs; clock-based\n   numbers (rates, ratios, CPU times) are noisy; syscall and instruction counts are not.\n", a, b }'
}

START=$(date +%s)
say "libabortclose bench  ($(nproc) CPUs, $(uname -r), $(date -u +%Y-%m-%dT%H:%MZ))"
say "library: $([ "$HAVE_LIB" = 1 ] && echo "$LIB" || echo "not built")   netns per round: $([ "$NETNS" = 1 ] && echo yes || echo no)"
say ""

# --- 1. connection churn -------------------------------------------------------
CHURN=$WORK/churn.txt
: >"$CHURN"
say "1. connection churn: $CONNS connections per round after $WARMUP warm-up, $ROUNDS rounds per mode,"
say "   interleaved (order rotates each round), server pinned to cpu 0, client to cpu 1"
port=26000
for ((r = 0; r < ROUNDS; r++)); do
	n=${#MODES[@]}
	for ((i = 0; i < n; i++)); do
		m=${MODES[$(((i + r) % n))]}
		hand=0
		[ "$m" = D ] && hand=1
		out=$(R_BIN=$BIN R_KIND=churn R_PORT=$port R_N=$CONNS R_WARMUP=$WARMUP \
			R_SRV_LIB=$(srv_lib "$m") R_CLI_LIB=$(cli_lib "$m") R_HAND=$hand \
			in_netns bash bench/round.sh) || { warn "churn round $r mode $m failed"; port=$((port + 1)); continue; }
		port=$((port + 1))
		[ "$port" -gt 26199 ] && port=26000
		printf '%s %s %s\n' "$m" "$r" "$(printf '%s' "$out" | tr '\n' ' ')" >>"$CHURN"
	done
	printf '   round %d/%d done\n' "$((r + 1))" "$ROUNDS"
done

# --- 1b. churn interleaved connection by connection --------------------------------
# Servers A, B and D run at once; one plain client alternates between them,
# connection by connection, and times each one.  The median connection time of
# each server ignores the connections stretched by other processes, so this
# ratio stays steady even on a busy machine (whole-round interleaving cannot).
MULTI=$WORK/multi.txt
: >"$MULTI"
MROUNDS=${BENCH_MULTI_ROUNDS:-7}
MCONNS=${BENCH_MULTI_CONNS:-5000}
say "1b. churn, per-connection interleaving: servers $([ "$HAVE_LIB" = 1 ] && echo "A, B and D" || echo "A and D") at once, $MCONNS connections each, $MROUNDS rounds"
port=26200
for ((r = 0; r < MROUNDS; r++)); do
	out=$(M_BIN=$BIN M_PORT=$port M_N=$MCONNS M_WARMUP=200 M_LIB=$([ "$HAVE_LIB" = 1 ] && printf '%s' "$LIB") \
		in_netns bash bench/multi-round.sh) || warn "per-connection round $r failed"
	port=$((port + 3))
	[ -n "$out" ] && printf '%s\n' "$out" | awk -v r="$r" '{ $1 = $1 " " r; print }' >>"$MULTI"
done

# --- 2. bulk throughput ----------------------------------------------------------
BULKF=$WORK/bulk.txt
: >"$BULKF"
BMODES=(A)
[ "$HAVE_LIB" = 1 ] && BMODES=(A B)
# Both ends on cpu 0: on this 2-vCPU VM a cross-CPU loopback stream varies by
# +-10% from run to run (where the softirq work lands), on one CPU by +-3%.
# The library is not on this path at all (read/write are not interposed).
say "2. bulk: $BULK bytes over one connection per round, server writes 64 KiB, both on cpu 0, $BROUNDS rounds per mode"
port=26300
for ((r = 0; r < BROUNDS; r++)); do
	n=${#BMODES[@]}
	for ((i = 0; i < n; i++)); do
		m=${BMODES[$(((i + r) % n))]}
		out=$(R_BIN=$BIN R_KIND=bulk R_PORT=$port R_N=$BULK R_CPUS=same \
			R_SRV_LIB=$(srv_lib "$m") R_CLI_LIB=$(cli_lib "$m") \
			in_netns bash bench/round.sh) || warn "bulk round $r mode $m failed"
		port=$((port + 1))
		[ -n "$out" ] && printf '%s %s %s\n' "$m" "$r" "$(printf '%s' "$out" | tr '\n' ' ')" >>"$BULKF"
	done
done

# --- 3a. what one syscall costs here (turns the counts below into ns) ---------------
say "3. syscall cost: bench_syscost (median of 7 x 200000 calls, no library)"
SYSCOST=$(in_netns bash -c '[ "${R_NETNS:-0}" = 1 ] && ip link set lo up; exec "$0" 26900' "$BIN/bench_syscost") ||
	warn "bench_syscost failed"

# --- 3. syscalls ---------------------------------------------------------------------
# Each count is the difference of two runs (N and 2N connections, or S and 5S
# bytes), so start-up work (ld.so, the library's constructor) cancels out and
# what remains is exactly the cost per connection / per read or write.
SYSD=$WORK/strace
HAVE_STRACE=0
if command -v strace >/dev/null 2>&1 && strace -f -c -o /dev/null true >/dev/null 2>&1; then
	HAVE_STRACE=1
else
	warn "strace missing or not permitted (ptrace): syscall counts skipped"
fi
# strace_summary FILE -> "name calls" lines
strace_summary() {
	awk '$1 ~ /^[0-9.]+$/ && $NF != "total" && NF >= 5 { print $NF, $4 }' "$1"
}
# per_unit DIR_SMALL DIR_BIG SIDE UNITS -> "name calls-per-unit" (all syscalls, plus "total")
per_unit() {
	join -a1 -a2 -e 0 -o 0,1.2,2.2 <(strace_summary "$1/$3.txt" | sort) <(strace_summary "$2/$3.txt" | sort) |
		awk -v u="$4" '{ d = ($3 - $2) / u; t += d; if (d != 0) printf "%s %.3f\n", $1, d } END { printf "total %.3f\n", t }'
}
# lookup FILE NAME -> value or 0
lookup() { awk -v n="$2" '$1 == n { v = $2 } END { print v + 0 }' "$1"; }
port=26500
if [ "$HAVE_STRACE" = 1 ]; then
	say "   syscalls: strace -f -c over $SCONNS and $((2 * SCONNS)) connections (difference / $SCONNS)"
	for m in "${MODES[@]}"; do
		hand=0
		[ "$m" = D ] && hand=1
		for k in 1 2; do
			d=$SYSD/churn-$m-$k
			mkdir -p "$d"
			R_BIN=$BIN R_KIND=churn R_PORT=$port R_N=$((k * SCONNS)) R_WARMUP=0 R_STRACE=$d \
				R_SRV_LIB=$(srv_lib "$m") R_CLI_LIB=$(cli_lib "$m") R_HAND=$hand \
				in_netns bash bench/round.sh >/dev/null || warn "strace churn $m failed"
			port=$((port + 1))
		done
		per_unit "$SYSD/churn-$m-1" "$SYSD/churn-$m-2" server "$SCONNS" >"$SYSD/churn-$m.server"
		per_unit "$SYSD/churn-$m-1" "$SYSD/churn-$m-2" client "$SCONNS" >"$SYSD/churn-$m.client"
	done
	# Data path: 64 MiB and 320 MiB; server writes 64 KiB chunks, client reads.
	DMODES=(A)
	[ "$HAVE_LIB" = 1 ] && DMODES=(A C)
	for m in "${DMODES[@]}"; do
		for k in 1 5; do
			d=$SYSD/bulk-$m-$k
			mkdir -p "$d"
			R_BIN=$BIN R_KIND=bulk R_PORT=$port R_N=$((k * 64 * 1048576)) R_STRACE=$d \
				R_SRV_LIB=$(srv_lib "$m") R_CLI_LIB=$(cli_lib "$m") \
				in_netns bash bench/round.sh >/dev/null || warn "strace bulk $m failed"
			port=$((port + 1))
		done
		per_unit "$SYSD/bulk-$m-1" "$SYSD/bulk-$m-5" server 1 >"$SYSD/bulk-$m.server"
		per_unit "$SYSD/bulk-$m-1" "$SYSD/bulk-$m-5" client 1 >"$SYSD/bulk-$m.client"
	done
fi

# --- 3k. the accept path with ABORTCLOSE_KEEPALIVE + ABORTCLOSE_USER_TIMEOUT -----------
# Configuration B again with both options set: the listener gets them before
# listen() and the kernel copies them into every accepted connection, so the
# difference per accepted connection against B should be 0.
KA_ENV="ABORTCLOSE_KEEPALIVE=60,10,6 ABORTCLOSE_USER_TIMEOUT=30000"
if [ "$HAVE_STRACE" = 1 ] && [ "$HAVE_LIB" = 1 ]; then
	for k in 1 2; do
		d=$SYSD/churn-K-$k
		mkdir -p "$d"
		R_BIN=$BIN R_KIND=churn R_PORT=$port R_N=$((k * SCONNS)) R_WARMUP=0 R_STRACE=$d \
			R_SRV_LIB=$LIB R_SRV_ENV=$KA_ENV R_CLI_LIB= R_HAND=0 \
			in_netns bash bench/round.sh >/dev/null || warn "strace churn keepalive failed"
		port=$((port + 1))
	done
	per_unit "$SYSD/churn-K-1" "$SYSD/churn-K-2" server "$SCONNS" >"$SYSD/churn-K.server"
fi

# --- 3b. user-space instructions (callgrind) ------------------------------------------
# Deterministic, unlike the clock: instructions executed in user space per
# connection (program + libc + library), again as the difference of a run
# with N and one with 2N connections.  Kernel work is what strace counts.
CGD=$WORK/callgrind
HAVE_CG=0
if command -v valgrind >/dev/null 2>&1 && command -v callgrind_annotate >/dev/null 2>&1; then
	HAVE_CG=1
else
	warn "valgrind/callgrind_annotate missing: instruction counts skipped"
fi
# cg_total DIR SIDE -> the "Collected : N" count
cg_total() { awk '/Collected :/ { print $NF }' "$1/$2.err" 2>/dev/null | tail -1; }
# cg_funcs DIR SIDE -> "file:function Ir" for the library's own source files (self cost)
cg_funcs() {
	[ -f "$1/$2.out" ] || return 0
	# --auto=no: only the function list (the annotated source would add
	# inclusive "=> callee" lines).  Line: "37,014 ( 5.63%)  shim/arm.c:fn [obj]"
	callgrind_annotate --auto=no --threshold=100 "$1/$2.out" 2>/dev/null |
		awk '$1 ~ /^[0-9,]+$/ && $2 == "(" && $4 ~ /(^|\/)(shim|policy)\/[^\/]+\.[chS]:/ {
			ir = $1; gsub(/,/, "", ir); f = $4; sub(/^.*\/(shim|policy)\//, "", f)
			sub(/^(shim|policy)\//, "", f); s[f] += ir
		} END { for (f in s) print f, s[f] }' | sort
}
if [ "$HAVE_CG" = 1 ]; then
	CGN=${BENCH_CALLGRIND_CONNS:-500}
	say "   user-space instructions: valgrind --tool=callgrind over $CGN and $((2 * CGN)) connections"
	for m in "${MODES[@]}"; do
		hand=0
		[ "$m" = D ] && hand=1
		for k in 1 2; do
			d=$CGD/churn-$m-$k
			mkdir -p "$d"
			R_BIN=$BIN R_KIND=churn R_PORT=$port R_N=$((k * CGN)) R_WARMUP=0 R_CALLGRIND=$d \
				R_SRV_LIB=$(srv_lib "$m") R_CLI_LIB=$(cli_lib "$m") R_HAND=$hand \
				in_netns bash bench/round.sh >/dev/null || warn "callgrind churn $m failed"
			port=$((port + 1))
		done
	done
fi

# --- 4. memory ---------------------------------------------------------------------
say "4. memory: $NFDS TCP sockets (socket() only) in one process, without and with the library"
# Raise the limit before exec, where possible: the library sizes its table
# from the hard RLIMIT_NOFILE it finds at start-up, so a limit raised only
# later (by bench_fdmem itself) would leave the high fds unmanaged and make
# the per-fd state look smaller than it is.
fdmem() { # [VAR=value...]
	(
		ulimit -n "$((NFDS + 64))" 2>/dev/null || true
		exec env "$@" "$BIN/bench_fdmem" "$NFDS"
	)
}
MEMA=$(fdmem) || warn "bench_fdmem failed"
MEMB=""
[ "$HAVE_LIB" = 1 ] && { MEMB=$(fdmem "LD_PRELOAD=$LIB") || warn "bench_fdmem under the library failed"; }
kv() { printf '%s\n' "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }'; }

# --- 4b. closing dup()'d sockets with many connections open ---------------------------
# A close of a socket that has another fd (dup) must not disarm it while the
# other fd lives; how the library finds that out decides whether close stays
# O(1) as connections pile up.  bench_alias: K connections, each accepted
# socket dup()'d, then all closed; time per connection (both closes).
ALIASF=$WORK/alias.txt
: >"$ALIASF"
ALIAS_KS=${BENCH_ALIAS_KS:-100 1000 3000}
say "4b. closing dup()'d sockets: K open connections, each accepted socket dup()'d (K = $ALIAS_KS)"
for k in $ALIAS_KS; do
	for m in A B; do
		[ "$m" = B ] && [ "$HAVE_LIB" != 1 ] && continue
		out=$(in_netns bash -c '[ "${R_NETNS:-0}" = 1 ] && ip link set lo up; exec env $2 "$0" "$1"' \
			"$BIN/bench_alias" "$k" "$([ "$m" = B ] && printf 'LD_PRELOAD=%s' "$LIB")") || warn "bench_alias $k $m failed"
		[ -n "$out" ] && printf '%s %s %s\n' "$m" "$k" "$out" >>"$ALIASF"
	done
done

# --- 5. nginx + wrk -------------------------------------------------------------------
NGF=$WORK/nginx.txt
: >"$NGF"
NG_STATUS=skipped
NGINX_BIN=${NGINX:-/usr/sbin/nginx}
WRAP=""
NG_VIA=""
if [ "${BENCH_NGINX:-1}" = 0 ]; then
	NG_REASON="BENCH_NGINX=0"
elif [ ! -x "$NGINX_BIN" ]; then
	NG_REASON="nginx not installed ($NGINX_BIN)"
elif ! command -v wrk >/dev/null 2>&1; then
	NG_REASON="wrk not installed"
elif [ "$HAVE_LIB" != 1 ]; then
	NG_REASON="library not built"
else
	NG_STATUS=run
	NG_REASON=""
	# The wrapper when it is there (what users run), else plain LD_PRELOAD.
	if [ -x scripts/abortclose ] && ABORTCLOSE_LIB=$LIB scripts/abortclose -- true 2>/dev/null; then
		WRAP="env ABORTCLOSE_LIB=$LIB $ROOT/scripts/abortclose --"
		NG_VIA="scripts/abortclose"
	else
		WRAP="env LD_PRELOAD=$LIB"
		NG_VIA="LD_PRELOAD (scripts/abortclose not usable)"
	fi
fi
if [ "$NG_STATUS" = run ]; then
	say "5. nginx: 1 worker, keep-alive off, 16-byte file; wrk -t1 -c16 -d${NG_SECS}s 'Connection: close'; $NG_ROUNDS rounds"
	port=26700
	for ((r = 0; r < NG_ROUNDS; r++)); do
		order=(A B)
		[ $((r % 2)) = 1 ] && order=(B A)
		for m in "${order[@]}"; do
			pre=""
			[ "$m" = B ] && pre=$WRAP
			out=$(N_PORT=$port N_SECS=$NG_SECS N_PRELOAD=$pre NGINX=$NGINX_BIN \
				in_netns bash bench/nginx-round.sh) || warn "nginx round $r mode $m failed"
			port=$((port + 1))
			[ -n "$out" ] && printf '%s %s %s\n' "$m" "$r" "$out" >>"$NGF"
		done
	done
else
	say "5. nginx: skipped ($NG_REASON)"
fi

# ==================================================================================
# Report
# ==================================================================================
say ""
say "=== results (median [min - max] over rounds; targets are printed, never asserted) ==="
busy_note
say ""
declare -A RATE SCPU CCPU
mode_name() {
	case $1 in
	A) echo "A no library" ;; B) echo "B library on server" ;; C) echo "C library on both" ;;
	D) echo "D hand-modified server" ;;
	O) echo "O server, old: armed listener" ;;
	esac
}
printf '%-26s %24s %18s %18s\n' "1. churn" "connections/s" "server CPU/conn" "client CPU/conn"
for m in "${MODES[@]}"; do
	read -r med lo hi < <(field "$CHURN" "$m" rate | stats)
	read -r sc _ _ < <(field "$CHURN" "$m" server_cpu_ns_per_conn | stats)
	read -r cc _ _ < <(field "$CHURN" "$m" client_cpu_ns_per_conn | stats)
	RATE[$m]=$med SCPU[$m]=$sc CCPU[$m]=$cc
	printf '%-26s %7s [%6s - %6s] %15s us %15s us\n' "   $(mode_name "$m")" "$(fmt "$med" %.0f)" \
		"$(fmt "$lo" %.0f)" "$(fmt "$hi" %.0f)" "$(us "$sc")" "$(us "$cc")"
done
declare -A RATIO RPM RLO RHI
ratio_line() { # M1 M2 target
	local a=$1 b=$2
	[ -n "${RATE[$a]:-}" ] && [ -n "${RATE[$b]:-}" ] || return 0
	local q pm lo hi
	q=$(awk -v x="${RATE[$a]}" -v y="${RATE[$b]}" 'BEGIN { if (x == "nan" || y == "nan" || y == 0) print "nan"; else print x / y }')
	read -r pm lo hi < <(paired "$CHURN" "$a" "$b" rate | stats)
	RATIO[$a/$b]=$q RPM[$a/$b]=$pm RLO[$a/$b]=$lo RHI[$a/$b]=$hi
	printf '   ratio %s/%s = %s   (per-round pairs: median %s [%s - %s])   target %s\n' "$a" "$b" "$(fmt "$q" %.3f)" \
		"$(fmt "$pm" %.3f)" "$(fmt "$lo" %.3f)" "$(fmt "$hi" %.3f)" "$3"
}
if [ "$HAVE_LIB" = 1 ]; then
	ratio_line B A ">= 0.98"
	ratio_line C A "(none)"
	ratio_line B D ">= 0.99"
	ratio_line B O "(issue 9: one setsockopt per accept vs armed listener)"
else
	ratio_line D A "(none)"
fi
cpu_delta() { awk -v x="$1" -v y="$2" 'BEGIN { if (x == "" || y == "" || x == "nan" || y == "nan") print "nan"; else print x - y }'; }
if [ "$HAVE_LIB" = 1 ]; then
	printf '   CPU added per connection: server B-A %s ns, B-D %s ns; client C-A %s ns\n' \
		"$(fmt "$(cpu_delta "${SCPU[B]}" "${SCPU[A]}")" %+.0f)" "$(fmt "$(cpu_delta "${SCPU[B]}" "${SCPU[D]}")" %+.0f)" \
		"$(fmt "$(cpu_delta "${CCPU[C]}" "${CCPU[A]}")" %+.0f)"
fi
printf '   CPU of the hand-written linger calls: server D-A %s ns\n' \
	"$(fmt "$(cpu_delta "${SCPU[D]}" "${SCPU[A]}")" %+.0f)"
say ""

declare -A MMED MRAT MRLO MRHI
if [ -s "$MULTI" ]; then
	say "1b. per-connection interleaving (one client alternating between the servers): median time of one connection"
	for m in A B D; do
		read -r med lo hi < <(field "$MULTI" "$m" median_ns | stats)
		[ "$med" = nan ] && continue
		MMED[$m]=$med
		printf '   %-26s %7s us [%s - %s]\n' "$(mode_name "$m")" "$(us "$med")" "$(us "$lo")" "$(us "$hi")"
	done
	for pair in B/A B/D D/A; do
		a=${pair%/*} b=${pair#*/}
		[ -n "${MMED[$a]:-}" ] && [ -n "${MMED[$b]:-}" ] || continue
		# speed ratio = time of b / time of a, per round
		read -r pm lo hi < <(paired "$MULTI" "$b" "$a" median_ns | stats)
		MRAT[$pair]=$pm MRLO[$pair]=$lo MRHI[$pair]=$hi
		printf '   ratio %s = %s [%s - %s] (speed, per-round median times; target %s)\n' "$pair" "$(fmt "$pm" %.4f)" \
			"$(fmt "$lo" %.4f)" "$(fmt "$hi" %.4f)" "$(case $pair in B/A) echo '>= 0.98' ;; B/D) echo '>= 0.99' ;; *) echo none ;; esac)"
	done
	say ""
fi

declare -A BMB BSC
printf '%-26s %24s %18s\n' "2. bulk ($((BULK / 1000000)) MB)" "MB/s" "server CPU/GB"
for m in "${BMODES[@]}"; do
	read -r med lo hi < <(field "$BULKF" "$m" mbps | stats)
	read -r sc _ _ < <(field "$BULKF" "$m" server_cpu_ns | stats)
	BMB[$m]=$med
	BSC[$m]=$(awk -v x="$sc" -v b="$BULK" 'BEGIN { if (x == "nan") print "nan"; else print x / 1e6 / (b / 1e9) }')
	printf '%-26s %7s [%6s - %6s] %15s ms\n' "   $(mode_name "$m")" "$(fmt "$med" %.0f)" "$(fmt "$lo" %.0f)" \
		"$(fmt "$hi" %.0f)" "$(fmt "${BSC[$m]}" %.1f)"
done
BRATIO=nan BRPM=nan BRLO=nan BRHI=nan
if [ "$HAVE_LIB" = 1 ]; then
	BRATIO=$(awk -v x="${BMB[B]}" -v y="${BMB[A]}" 'BEGIN { if (x == "nan" || y == "nan" || y == 0) print "nan"; else print x / y }')
	read -r BRPM BRLO BRHI < <(paired "$BULKF" B A mbps | stats)
	printf '   ratio B/A = %s   (per-round pairs: median %s [%s - %s])   target >= 0.99\n' "$(fmt "$BRATIO" %.3f)" \
		"$(fmt "$BRPM" %.3f)" "$(fmt "$BRLO" %.3f)" "$(fmt "$BRHI" %.3f)"
fi
say ""

declare -A SX
SET_NS=$(kv "$SYSCOST" setsockopt_ns)
GET_NS=$(kv "$SYSCOST" getsockopt_ns)
if [ -n "$SYSCOST" ]; then
	printf '3. one syscall here: getpid %s ns (the floor), setsockopt(SO_LINGER) %s ns, getsockopt(SO_LINGER) %s ns,\n   arm+disarm pair %s ns (median of 7 x 200000 calls)\n' \
		"$(kv "$SYSCOST" getpid_ns)" "$SET_NS" "$GET_NS" "$(kv "$SYSCOST" pair_ns)"
fi
if [ "$HAVE_STRACE" = 1 ]; then
	say "   syscalls per connection (all kinds, strace -c difference of two runs)"
	printf '   %-32s %8s %8s %8s %8s  %s\n' "" total setsock getsock extra "extra vs A, by name"
	for side in server client; do
		for m in "${MODES[@]}"; do
			f=$SYSD/churn-$m.$side
			[ "$side" = client ] && [ "$m" = D ] && continue
			[ "$side" = client ] && [ "$m" = B ] && continue
			tot=$(lookup "$f" total)
			ss=$(lookup "$f" setsockopt)
			gs=$(lookup "$f" getsockopt)
			ex=$(awk -v x="$tot" -v y="$(lookup "$SYSD/churn-A.$side" total)" 'BEGIN { printf "%.3f", x - y }')
			byname=$(join -a1 -a2 -e 0 -o 0,1.2,2.2 <(grep -v '^total ' "$f" | sort) \
				<(grep -v '^total ' "$SYSD/churn-A.$side" | sort) |
				awk '{ d = $2 - $3; if (d > 0.0005 || d < -0.0005) printf "%s %+.3f  ", $1, d }')
			SX[$m.$side.total]=$tot SX[$m.$side.set]=$ss SX[$m.$side.get]=$gs SX[$m.$side.extra]=$ex
			printf '   %-32s %8.3f %8.3f %8.3f %+8.3f  %s\n' "$side, $(mode_name "$m")" "$tot" "$ss" "$gs" "$ex" "${byname:--}"
		done
	done
	if [ "$HAVE_LIB" = 1 ]; then
		printf '   extra per accepted connection (B-A) %s (target <= 2 since issue 9: arm at accept, disarm at the graceful close; O, the armed-listener design, had 1); per client connection (C-A) %s (target <= 2)\n' \
			"${SX[B.server.extra]}" "${SX[C.client.extra]}"
		if [ -f "$SYSD/churn-K.server" ]; then
			printf '   with %s: per accepted connection total %s, setsockopt %s; extra vs B %s (target 0)\n' \
				"$KA_ENV" "$(lookup "$SYSD/churn-K.server" total)" "$(lookup "$SYSD/churn-K.server" setsockopt)" \
				"$(awk -v x="$(lookup "$SYSD/churn-K.server" total)" -v y="$(lookup "$SYSD/churn-B.server" total)" 'BEGIN { printf "%+.3f", x - y }')"
		fi
	fi
	say "   data path (64 KiB writes; difference of 64 MiB and 320 MiB runs):"
	for m in "${DMODES[@]}"; do
		for side in server client; do
			f=$SYSD/bulk-$m.$side
			data=$(awk '$1 == "read" || $1 == "write" { s += $2 } END { print s + 0 }' "$f")
			other=$(awk '$1 != "read" && $1 != "write" && $1 != "total" { s += $2 } END { print s + 0 }' "$f")
			per=$(awk -v o="$other" -v d="$data" 'BEGIN { if (d > 0) printf "%.4f", o / d; else print "nan" }')
			SX[$m.$side.data]=$data SX[$m.$side.perdata]=$per
			printf '   %-32s %8s read+write calls, %s other syscalls per read/write\n' "$side, $(mode_name "$m")" "$data" "$per"
		done
	done
	if [ "$HAVE_LIB" = 1 ]; then
		printf '   extra syscalls per write (server C-A) %s, per read (client C-A) %s (target 0)\n' \
			"$(awk -v x="${SX[C.server.perdata]}" -v y="${SX[A.server.perdata]}" 'BEGIN { printf "%.4f", x - y }')" \
			"$(awk -v x="${SX[C.client.perdata]}" -v y="${SX[A.client.perdata]}" 'BEGIN { printf "%.4f", x - y }')"
	fi
else
	say "3. syscalls: skipped (no strace)"
fi
say ""

declare -A CG
if [ "$HAVE_CG" = 1 ]; then
	say "   user-space instructions per connection (callgrind Ir, difference of two runs / $CGN)"
	for side in server client; do
		for m in "${MODES[@]}"; do
			[ "$side" = client ] && { [ "$m" = B ] || [ "$m" = D ]; } && continue
			t1=$(cg_total "$CGD/churn-$m-1" "$side")
			t2=$(cg_total "$CGD/churn-$m-2" "$side")
			per=$(awk -v a="$t1" -v b="$t2" -v n="$CGN" 'BEGIN { if (a == "" || b == "") print "nan"; else printf "%.0f", (b - a) / n }')
			lib=$(join -a2 -e 0 -o 0,1.2,2.2 <(cg_funcs "$CGD/churn-$m-1" "$side") <(cg_funcs "$CGD/churn-$m-2" "$side") |
				awk -v n="$CGN" '{ s += $3 - $2 } END { printf "%.0f", s / n }')
			CG[$m.$side]=$per CG[$m.$side.lib]=$lib
			printf '   %-32s %8s Ir total, %6s Ir in the library, %+6s vs A\n' "$side, $(mode_name "$m")" "$per" "$lib" \
				"$(awk -v x="$per" -v y="${CG[A.$side]}" 'BEGIN { if (x == "nan" || y == "nan" || y == "") print "n/a"; else printf "%+d", x - y }')"
		done
	done
	if [ "$HAVE_LIB" = 1 ]; then
		say "   library functions, server B, Ir per connection (self cost; file:function):"
		join -a2 -e 0 -o 0,1.2,2.2 <(cg_funcs "$CGD/churn-B-1" server) <(cg_funcs "$CGD/churn-B-2" server) |
			awk -v n="$CGN" '{ d = ($3 - $2) / n; if (d >= 0.5) printf "%.0f %s\n", d, $1 }' | sort -rn | head -12 |
			awk '{ printf "     %5s  %s\n", $1, $2 }'
		say "   library functions, client C, Ir per connection:"
		join -a2 -e 0 -o 0,1.2,2.2 <(cg_funcs "$CGD/churn-C-1" client) <(cg_funcs "$CGD/churn-C-2" client) |
			awk -v n="$CGN" '{ d = ($3 - $2) / n; if (d >= 0.5) printf "%.0f %s\n", d, $1 }' | sort -rn | head -12 |
			awk '{ printf "     %5s  %s\n", $1, $2 }'
	fi
	say ""
fi

# The noise-free prediction: time added per connection = extra syscalls x their
# measured cost + extra user-space instructions at one per cycle (an estimate:
# no hardware counters here), against the measured time of one A connection.
MODEL_BA=nan MODEL_BD=nan MODEL_CA=nan
if [ "$HAVE_LIB" = 1 ] && [ "$HAVE_STRACE" = 1 ] && [ -n "$SET_NS" ]; then
	MHZ=$(awk -F: '/^cpu MHz/ { printf "%.0f", $2; exit }' /proc/cpuinfo)
	[ -n "$MHZ" ] || MHZ=2500
	added() { # mode side -> ns added vs A: syscalls by kind + instructions
		awk -v s="${SX[$1.$2.set]:-0}" -v g="${SX[$1.$2.get]:-0}" -v sa="${SX[A.$2.set]:-0}" -v ga="${SX[A.$2.get]:-0}" \
			-v o="${SX[$1.$2.extra]:-0}" -v sn="$SET_NS" -v gn="$GET_NS" \
			-v ir="${CG[$1.$2]:-nan}" -v ira="${CG[A.$2]:-nan}" -v mhz="$MHZ" 'BEGIN {
			ds = s - sa; dg = g - ga; rest = o - ds - dg
			ns = ds * sn + dg * gn + rest * sn
			if (ir != "nan" && ira != "nan") ns += (ir - ira) * 1000 / mhz
			printf "%.0f", ns }'
	}
	# One A connection: the median connection time of 1b (robust to other
	# load) when there is one, else the inverse of A's median rate.
	TA=$(awk -v m="${MMED[A]:-}" -v r="${RATE[A]}" 'BEGIN {
		if (m != "" && m != "nan") printf "%.0f", m
		else if (r == "nan" || r == 0) print "nan"
		else printf "%.0f", 1e9 / r }')
	NB=$(added B server) NC=$(($(added C server) + $(added C client))) ND=$(added D server)
	MODEL_BA=$(awk -v t="$TA" -v n="$NB" 'BEGIN { if (t == "nan") print "nan"; else printf "%.4f", t / (t + n) }')
	MODEL_CA=$(awk -v t="$TA" -v n="$NC" 'BEGIN { if (t == "nan") print "nan"; else printf "%.4f", t / (t + n) }')
	MODEL_BD=$(awk -v t="$TA" -v nb="$NB" -v nd="$ND" 'BEGIN { if (t == "nan") print "nan"; else printf "%.4f", (t + nd) / (t + nb) }')
	say "   model (noise-free): time added per connection = extra syscalls x cost above + extra instructions at"
	say "   1 per cycle at $MHZ MHz; one A connection takes $TA ns of wall time here:"
	printf '     B adds %s ns (server), C adds %s ns (both sides), D adds %s ns (server)\n' "$NB" "$NC" "$ND"
	printf '     predicted B/A %s   C/A %s   B/D %s\n' "$MODEL_BA" "$MODEL_CA" "$MODEL_BD"
	say ""
fi

say "4. memory ($NFDS sockets requested; RLIMIT_NOFILE raised as far as allowed)"
MEM_N=$(kv "$MEMA" n)
MEM_PERFD=nan
for label in A B; do
	line=$MEMA
	[ "$label" = B ] && line=$MEMB
	[ -n "$line" ] || continue
	printf '   %-26s n=%s  RSS %s -> %s KiB, anonymous +%s KiB, VmSize +%s KiB, highest fd armed by listen(): %s\n' "$(mode_name "$label")" "$(kv "$line" n)" \
		"$(kv "$line" rss_before_kb)" "$(kv "$line" rss_after_kb)" \
		"$(($(kv "$line" anon_after_kb) - $(kv "$line" anon_before_kb)))" \
		"$(($(kv "$line" vm_after_kb) - $(kv "$line" vm_before_kb)))" "$(kv "$line" armed)"
done
if [ -n "$MEMB" ] && [ -n "$MEMA" ]; then
	MEM_PERFD=$(awk -v a0="$(kv "$MEMA" anon_before_kb)" -v a1="$(kv "$MEMA" anon_after_kb)" \
		-v b0="$(kv "$MEMB" anon_before_kb)" -v b1="$(kv "$MEMB" anon_after_kb)" -v n="$MEM_N" \
		'BEGIN { printf "%.2f", ((b1 - b0) - (a1 - a0)) * 1024 / n }')
	MEM_TOTAL_DIFF=$(($(kv "$MEMB" rss_after_kb) - $(kv "$MEMA" rss_after_kb)))
	printf '   per-fd state: %s bytes/fd (anonymous-memory delta with - without, / n; target <= 8); RSS with - without: %s KiB\n' \
		"$MEM_PERFD" "$MEM_TOTAL_DIFF"
	if [ "$MEM_N" -lt "$NFDS" ]; then
		printf '   (only %s sockets: the hard RLIMIT_NOFILE could not be raised here; at %s fds that is %s KiB)\n' \
			"$MEM_N" "$NFDS" "$(awk -v b="$MEM_PERFD" -v n="$NFDS" 'BEGIN { printf "%.0f", b * n / 1024 }')"
	fi
fi
say ""

declare -A AL
if [ -s "$ALIASF" ]; then
	say "4b. closing dup()'d sockets (accepted socket + its dup, per connection)"
	for k in $ALIAS_KS; do
		a=$(awk -v k="$k" '$1 == "A" && $2 == k { split($4, v, "="); print v[2] }' "$ALIASF")
		b=$(awk -v k="$k" '$1 == "B" && $2 == k { split($4, v, "="); print v[2] }' "$ALIASF")
		AL[A.$k]=${a:-nan} AL[B.$k]=${b:-nan}
		printf '   K=%-6s no library %8s ns   library %10s ns   (x%s)\n' "$k" "${a:-n/a}" "${b:-n/a}" \
			"$(awk -v a="${a:-0}" -v b="${b:-0}" 'BEGIN { if (a > 0 && b > 0) printf "%.1f", b / a; else print "n/a" }')"
	done
	say "   (flat = O(1) per close; growing with K = the library searches the open fds at every close)"
	say ""
fi

NRATIO=nan
if [ "$NG_STATUS" = run ]; then
	say "5. nginx + wrk (requests/s)"
	declare -A NG
	for m in A B; do
		read -r med lo hi < <(field "$NGF" "$m" rps | stats)
		NG[$m]=$med
		errs=$(field "$NGF" "$m" errors | awk '{ s += $1 } END { print s + 0 }')
		printf '   %-26s %9s [%s - %s]  errors %s\n' "$(mode_name "$m" | sed 's/library on server/under the wrapper/')" \
			"$(fmt "$med" %.0f)" "$(fmt "$lo" %.0f)" "$(fmt "$hi" %.0f)" "$errs"
	done
	NRATIO=$(awk -v x="${NG[B]}" -v y="${NG[A]}" 'BEGIN { if (x == "nan" || y == "nan" || y == 0) print "nan"; else print x / y }')
	read -r NRPM NRLO NRHI < <(paired "$NGF" B A rps | stats)
	printf '   ratio B/A = %s   (per-round pairs: median %s [%s - %s])   target >= 0.98   (library via: %s)\n' \
		"$(fmt "$NRATIO" %.3f)" "$(fmt "$NRPM" %.3f)" "$(fmt "$NRLO" %.3f)" "$(fmt "$NRHI" %.3f)" "$NG_VIA"
	say ""
fi

# --- build/bench.json -------------------------------------------------------------------
{
	printf '{\n'
	printf '  "machine": {"cpus": %s, "kernel": "%s", "date": "%s", "netns_per_round": %s, "loadavg_start": %s, "loadavg_end": %s},\n' \
		"$(nproc)" "$(uname -r)" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$([ "$NETNS" = 1 ] && echo true || echo false)" \
		"$LOAD0" "$(load_now)"
	printf '  "library": %s,\n' "$([ "$HAVE_LIB" = 1 ] && printf '"%s"' "$LIB" || echo null)"
	printf '  "churn": {"rounds": %s, "connections_per_round": %s, "warmup": %s, "modes": {' "$ROUNDS" "$CONNS" "$WARMUP"
	sep=""
	for m in "${MODES[@]}"; do
		read -r med lo hi < <(field "$CHURN" "$m" rate | stats)
		printf '%s\n    "%s": {"conn_per_s_median": %s, "min": %s, "max": %s, "server_cpu_ns_per_conn": %s, "client_cpu_ns_per_conn": %s}' \
			"$sep" "$m" "$(json_num "$med")" "$(json_num "$lo")" "$(json_num "$hi")" "$(json_num "${SCPU[$m]}")" "$(json_num "${CCPU[$m]}")"
		sep=","
	done
	printf '},\n    "ratios": {'
	sep=""
	for k in "${!RATIO[@]}"; do
		printf '%s"%s": {"ratio_of_medians": %s, "paired_median": %s, "paired_min": %s, "paired_max": %s}' "$sep" "$k" \
			"$(json_num "${RATIO[$k]}")" "$(json_num "${RPM[$k]}")" "$(json_num "${RLO[$k]}")" "$(json_num "${RHI[$k]}")"
		sep=", "
	done
	printf '}},\n'
	printf '  "churn_per_connection": {"rounds": %s, "connections_per_server": %s, "median_conn_ns": {' "$MROUNDS" "$MCONNS"
	sep=""
	for k in "${!MMED[@]}"; do
		printf '%s"%s": %s' "$sep" "$k" "$(json_num "${MMED[$k]}")"
		sep=", "
	done
	printf '}, "ratios": {'
	sep=""
	for k in "${!MRAT[@]}"; do
		printf '%s"%s": {"median": %s, "min": %s, "max": %s}' "$sep" "$k" "$(json_num "${MRAT[$k]}")" \
			"$(json_num "${MRLO[$k]}")" "$(json_num "${MRHI[$k]}")"
		sep=", "
	done
	printf '}},\n'
	printf '  "bulk": {"bytes": %s, "rounds": %s, "modes": {' "$BULK" "$BROUNDS"
	sep=""
	for m in "${BMODES[@]}"; do
		read -r med lo hi < <(field "$BULKF" "$m" mbps | stats)
		printf '%s"%s": {"mb_per_s_median": %s, "min": %s, "max": %s, "server_cpu_ms_per_gb": %s}' "$sep" "$m" \
			"$(json_num "$med")" "$(json_num "$lo")" "$(json_num "$hi")" "$(json_num "${BSC[$m]}")"
		sep=", "
	done
	printf '}, "ratio_B_A": %s, "paired_median": %s, "paired_min": %s, "paired_max": %s},\n' "$(json_num "$BRATIO")" \
		"$(json_num "$BRPM")" "$(json_num "$BRLO")" "$(json_num "$BRHI")"
	if [ "$HAVE_STRACE" = 1 ]; then
		printf '  "syscalls_per_connection": {'
		sep=""
		for k in "${!SX[@]}"; do
			case $k in *.data | *.perdata) continue ;; esac
			printf '%s"%s": %s' "$sep" "$k" "$(json_num "${SX[$k]}")"
			sep=", "
		done
		printf '},\n  "syscalls_data_path": {'
		sep=""
		for k in "${!SX[@]}"; do
			case $k in *.data | *.perdata) ;; *) continue ;; esac
			printf '%s"%s": %s' "$sep" "$k" "$(json_num "${SX[$k]}")"
			sep=", "
		done
		printf '},\n'
	else
		printf '  "syscalls_per_connection": null,\n  "syscalls_data_path": null,\n'
	fi
	if [ "$HAVE_CG" = 1 ]; then
		printf '  "user_instructions_per_connection": {'
		sep=""
		for k in "${!CG[@]}"; do
			printf '%s"%s": %s' "$sep" "$k" "$(json_num "${CG[$k]}")"
			sep=", "
		done
		printf '},\n'
	else
		printf '  "user_instructions_per_connection": null,\n'
	fi
	printf '  "syscall_cost_ns": {"getpid": %s, "setsockopt_so_linger": %s, "getsockopt_so_linger": %s, "arm_disarm_pair": %s},\n' \
		"$(json_num "$(kv "$SYSCOST" getpid_ns)")" "$(json_num "$SET_NS")" "$(json_num "$GET_NS")" "$(json_num "$(kv "$SYSCOST" pair_ns)")"
	printf '  "model": {"predicted_B_A": %s, "predicted_C_A": %s, "predicted_B_D": %s},\n' \
		"$(json_num "$MODEL_BA")" "$(json_num "$MODEL_CA")" "$(json_num "$MODEL_BD")"
	printf '  "memory": {"sockets": %s, "rss_kb_without": %s, "rss_kb_with": %s, "bytes_per_fd": %s},\n' \
		"$(json_num "$MEM_N")" "$(json_num "$(kv "$MEMA" rss_after_kb)")" "$(json_num "$(kv "$MEMB" rss_after_kb)")" \
		"$(json_num "$MEM_PERFD")"
	printf '  "dup_close_ns_per_connection": {'
	sep=""
	for key in "${!AL[@]}"; do
		printf '%s"%s": %s' "$sep" "$key" "$(json_num "${AL[$key]}")"
		sep=", "
	done
	printf '},\n'
	if [ "$NG_STATUS" = run ]; then
		printf '  "nginx": {"via": "%s", "rounds": %s, "seconds": %s, "rps_A": %s, "rps_B": %s, "ratio_B_A": %s, "paired_median": %s, "paired_min": %s, "paired_max": %s}\n' \
			"$NG_VIA" "$NG_ROUNDS" "$NG_SECS" "$(json_num "${NG[A]}")" "$(json_num "${NG[B]}")" "$(json_num "$NRATIO")" \
			"$(json_num "$NRPM")" "$(json_num "$NRLO")" "$(json_num "$NRHI")"
	else
		printf '  "nginx": {"skipped": "%s"}\n' "$NG_REASON"
	fi
	printf '}\n'
} >"$JSON"
# --- 6. fork-per-connection rows (bench/fork-rows.sh, build/bench-fork.json) ---
if [ "$HAVE_LIB" = 1 ]; then
	bash "$ROOT/bench/fork-rows.sh" || warn "fork rows failed"
fi
# Keep the raw per-round lines for whoever wants to look closer.
RAW=$ROOT/build/bench-raw
rm -rf "$RAW"
mkdir -p "$RAW"
cp "$CHURN" "$MULTI" "$BULKF" "$ALIASF" "$NGF" "$RAW/" 2>/dev/null
[ -d "$SYSD" ] && cp -r "$SYSD" "$RAW/strace"
[ -d "$CGD" ] && cp -r "$CGD" "$RAW/callgrind"
say "wrote $JSON and the raw rounds in $RAW/  (total $(($(date +%s) - START)) s)"
exit 0
