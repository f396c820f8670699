# test/lib.sh - shared helpers for the integration tests (bash; source it).
#
#   . "$(dirname "$0")/../lib.sh"       (from test/<area>/NAME.sh)
#
# What it gives a test:
#   AC_ROOT AC_BUILD AC_BIN      repo root, build/, build/test/ (test programs)
#   AC_LIB                       the library under test (AC_LIB_UNDER_TEST or
#                                build/libabortclose.so)
#   AC_PRELOAD                   what goes into LD_PRELOAD: AC_PRELOAD_PREFIX
#                                (e.g. libasan.so for the sanitizer run) + AC_LIB
#   AC_TMP                       a private temp dir, removed at exit unless a
#                                case failed or AC_KEEP=1
#   with_timeout SECS CMD...     run CMD, killed after SECS (exit 124)
#   with_lib [VAR=VAL...] CMD... run CMD with the library preloaded (+ env)
#   ac_bg PIDVAR OUT ERR CMD...  start CMD in the background; cleaned up at exit
#   ac_wait PID SECS             bounded wait; returns CMD's status (124 = killed)
#   wait_for_line FILE ERE SECS [PID]   poll FILE for a line (READY, SENT...)
#   port_listening PORT          is something listening on PORT?
#   capture_start PORT / capture_stop   tcpdump on lo for 'port PORT'
#   count_rst_from SIDE PORT / count_fin_from SIDE PORT   packets SENT BY the
#                                side under test in the last capture
#                                (server: src port PORT; client: dst port PORT)
#   peer_field FILE KEY          a field of peer's "bytes=... first=..." line
#   run_tcp_case ...             one victim/peer scenario with its verdict
#   pass NAME / fail NAME WHY / skip WHY / need_tool TOOL / need_lib / ac_finish
#
#   ac_public                    make AC_PUB: a world-readable temp dir of the
#                                test's own (see "Another user" below)
#   ac_public_tree               copy the wrapper, library, tools and test
#                                programs there; sets AC_PUB_W AC_PUB_LIB
#                                AC_PUB_BUILD AC_PUB_BIN
#   ac_public_copy SRC...        copy configs, keys, documents there (a+rX)
#   ac_use_public_tree           ac_public_tree, and AC_LIB/AC_PRELOAD/AC_BIN
#                                point into the copy (setuid-then-exec tests)
#
# Another user (setpriv/runuser to 65534, www-data, a daemon that drops
# privileges) must never read the checkout: it may live under a mode-700
# directory (/root, mktemp -d) or belong to another uid.  Whatever such a
# process runs or reads goes into AC_PUB, /tmp/abortclose-pub.XXXXXX, mode
# 755 on every component of the path (not AC_TMP: that is mode 700, under
# $TMPDIR).  AC_PUB is removed at exit (kept with AC_KEEP=1).  E.g.
#     ac_public_tree; ac_public_copy "$AC_TMP/httpd.conf"
#     setpriv --reuid=65534 --regid=65534 --clear-groups \
#         "$AC_PUB_W" -- "$AC_PUB_BIN/victim" ... -c "$AC_PUB/httpd.conf"
# Files the other user writes go into a directory made there and chown'ed.
#
# Checkout path: when it contains a space or a ':' (ld.so splits LD_PRELOAD
# at both, with no escape), AC_BUILD/AC_BIN/AC_LIB point to a copy of build/
# in a space-free public dir (made once per run by run-all.sh, exported as
# AC_STAGED_BUILD, or by lib.sh for a script run on its own).
#
# Output protocol: one "  PASS name" or "  FAIL name: why" line per sub-case;
# ac_finish prints "  SUMMARY: x passed, y failed" and exits 0, or 1 if any
# sub-case failed.  skip exits 77 (in CI, a missing tool is a failure).

set -u

AC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
AC_BUILD="$AC_ROOT/build"
AC_PUB=""
AC_TMP=$(mktemp -d "${TMPDIR:-/tmp}/abortclose-test.XXXXXX")
AC_PASSED=0
AC_FAILED=0
AC_PIDS=()
AC_CAP_PID=""
AC_CAP_FILE=""
AC_CAP_PORT=""
# Crash cases must not leave core files in the work tree.
ulimit -c 0 2>/dev/null || true

# --- another user, another checkout path ------------------------------------------
# ac_public: create AC_PUB (once per script), a temp dir that any user can
# reach and read.  mktemp makes it 700; every parent must be traversable.
ac_public() {
	[ -n "$AC_PUB" ] && return 0
	local d
	AC_PUB=$(mktemp -d /tmp/abortclose-pub.XXXXXX) || { echo "  FAIL: cannot create /tmp/abortclose-pub.*"; exit 1; }
	chmod 0755 "$AC_PUB"
	for d in /tmp /; do
		if [ -n "$(find "$d" -maxdepth 0 ! -perm -0001)" ]; then
			echo "  FAIL: $d is not world-traversable: another user cannot reach $AC_PUB"
			exit 1
		fi
	done
}

# ac_public_copy SRC...: copy files or directories into $AC_PUB (same base
# names), readable by everybody (directories and executables also a+x).
ac_public_copy() {
	local f
	ac_public
	for f in "$@"; do
		cp -R -- "$f" "$AC_PUB/" || { echo "  FAIL: cannot copy $f to $AC_PUB"; exit 1; }
		chmod -R a+rX -- "$AC_PUB/${f##*/}"
	done
}

# ac_public_tree: the runnable part of the checkout, laid out as in the
# checkout (the wrapper finds ../build/libabortclose.so and its tools):
# AC_PUB_W=$AC_PUB/scripts/abortclose, AC_PUB_BUILD=$AC_PUB/build,
# AC_PUB_LIB=$AC_PUB_BUILD/libabortclose.so, AC_PUB_BIN=$AC_PUB_BUILD/test.
# The library under test (AC_LIB, e.g. the ASan build) is copied as well,
# to AC_PUB_LIB when it is the plain one, else next to it.
ac_public_tree() {
	local f
	ac_public
	[ -n "${AC_PUB_BUILD:-}" ] && return 0
	mkdir -p "$AC_PUB/scripts" "$AC_PUB/build/test"
	cp -- "$AC_ROOT/scripts/abortclose" "$AC_PUB/scripts/" || exit 1
	for f in "$AC_BUILD"/libabortclose.so "$AC_BUILD"/abortclose-*; do
		[ -f "$f" ] && cp -- "$f" "$AC_PUB/build/"
	done
	cp -- "$AC_BIN"/* "$AC_PUB/build/test/" 2>/dev/null
	AC_PUB_BUILD=$AC_PUB/build
	AC_PUB_BIN=$AC_PUB_BUILD/test
	AC_PUB_W=$AC_PUB/scripts/abortclose
	AC_PUB_LIB=$AC_PUB_BUILD/libabortclose.so
	if [ "$(readlink -f "$AC_LIB")" != "$(readlink -f "$AC_BUILD/libabortclose.so")" ]; then
		mkdir -p "$AC_PUB/lib-under-test"
		cp -- "$AC_LIB" "$AC_PUB/lib-under-test/" || exit 1
		AC_PUB_LIB=$AC_PUB/lib-under-test/${AC_LIB##*/}
	fi
	chmod -R a+rX "$AC_PUB"
}

# ac_use_public_tree: ac_public_tree, then run everything from the copy: for
# a test whose processes drop privileges (setuid) and then exec a program
# that loads the library again, or read the library as another user.
# AC_LIB, AC_PRELOAD and AC_BIN point into AC_PUB from here on.
ac_use_public_tree() {
	ac_public_tree
	AC_LIB=$AC_PUB_LIB
	AC_PRELOAD="${AC_PRELOAD_PREFIX:+$AC_PRELOAD_PREFIX }$AC_LIB"
	AC_BIN=$AC_PUB_BIN
}

# A checkout at a path with ' ' or ':' cannot be named in LD_PRELOAD (nor in
# an inetd.conf line): use a copy of build/ at a path without them.
ac_path_preloadable() {
	case $1 in *[[:space:]:]*) return 1 ;; esac
}
if ! ac_path_preloadable "$AC_BUILD"; then
	if [ -n "${AC_STAGED_BUILD:-}" ] && [ -f "$AC_STAGED_BUILD/libabortclose.so" ]; then
		AC_BUILD=$AC_STAGED_BUILD
	else
		ac_public
		cp -R -- "$AC_BUILD" "$AC_PUB/build" || { echo "  FAIL: cannot copy $AC_BUILD"; exit 1; }
		AC_BUILD=$AC_PUB/build
	fi
	# The library under test from the checkout (the ASan run) is in the copy too.
	case ${AC_LIB_UNDER_TEST:-} in
	"$AC_ROOT/build/"*) AC_LIB_UNDER_TEST=$AC_BUILD/${AC_LIB_UNDER_TEST#"$AC_ROOT/build/"} ;;
	esac
fi
AC_BIN="$AC_BUILD/test"
AC_LIB="${AC_LIB_UNDER_TEST:-$AC_BUILD/libabortclose.so}"
AC_PRELOAD="${AC_PRELOAD_PREFIX:+$AC_PRELOAD_PREFIX }$AC_LIB"

# --- verdicts -------------------------------------------------------------------
pass() {
	AC_PASSED=$((AC_PASSED + 1))
	echo "  PASS $1"
}

fail() {
	AC_FAILED=$((AC_FAILED + 1))
	echo "  FAIL $1: $2"
}

skip() {
	echo "  SKIP: $1"
	exit 77
}

ac_finish() {
	echo "  SUMMARY: $AC_PASSED passed, $AC_FAILED failed"
	[ "$AC_FAILED" -eq 0 ] || exit 1
	exit 0
}

in_ci() { [ "${CI:-}" = "true" ]; }

# need_tool TOOL: skip without it, but fail in CI (CI must install it).
need_tool() {
	command -v "$1" >/dev/null 2>&1 && return 0
	if in_ci; then
		echo "  FAIL: $1 not found (required in CI; run scripts/install-deps.sh)"
		exit 1
	fi
	skip "$1 not found (sh scripts/install-deps.sh installs it)"
}

# need_lib: the library and the test programs come from `make`; never skip.
need_lib() {
	local f
	for f in "$AC_LIB" "$AC_BIN/peer" "$AC_BIN/victim" "$@"; do
		if [ ! -e "$f" ]; then
			echo "  FAIL: $f missing (run make)"
			exit 1
		fi
	done
}

# --- processes ------------------------------------------------------------------
with_timeout() {
	local secs=$1
	shift
	timeout -k 5 "$secs" "$@"
}

# ac_preload: the LD_PRELOAD value that loads the library under test in
# front of whatever LD_PRELOAD already holds.
ac_preload() {
	echo "$AC_PRELOAD${LD_PRELOAD:+ $LD_PRELOAD}"
}

# with_lib [VAR=VALUE...] CMD ARGS: run CMD with the library preloaded.
# It is a plain `env` command line: started with ac_bg, $! is CMD's own pid
# (env execs CMD), so kill -9 reaches the program itself.
with_lib() {
	env LD_PRELOAD="$(ac_preload)" "$@"
}

# ac_bg PIDVAR OUT ERR CMD ARGS: start in the background, remember the pid.
# CMD must be a program, not a shell function (a function would run in a
# subshell whose pid is not the program's).  Use `env LD_PRELOAD=...`,
# e.g. ac_bg pid out err env LD_PRELOAD="$(ac_preload)" prog args.
ac_bg() {
	local var=$1 out=$2 err=$3
	shift 3
	"$@" >"$out" 2>"$err" </dev/null &
	AC_PIDS+=("$!")
	printf -v "$var" '%s' "$!"
}

# A child that has exited but not been waited for is a zombie: kill -0 still
# succeeds on it, so look at its state instead.
ac_running() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[ "${stat%% *}" != "Z" ]
}

# ac_wait PID SECS: wait at most SECS for PID (a child of this shell) and
# return its exit status; after SECS it is killed with SIGKILL and 124 is
# returned.  Polls; never assumes how long anything takes.
# Its stderr is discarded: bash reports a child killed by a signal
# ("Killed", "Segmentation fault") when it reaps it, and here that is the
# expected outcome, not news.
ac_wait() {
	_ac_wait "$@" 2>/dev/null
}
_ac_wait() {
	local pid=$1 secs=$2 i=0 st=0
	while ac_running "$pid" && [ "$i" -lt $((secs * 50)) ]; do
		sleep 0.02
		i=$((i + 1))
	done
	if ac_running "$pid"; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return 124
	fi
	wait "$pid" 2>/dev/null || st=$?
	return "$st"
}

# wait_for_line FILE ERE SECS [PID]: wait until FILE has a line matching ERE
# and print it; fails after SECS, or as soon as PID (the writer) has died.
wait_for_line() {
	local file=$1 re=$2 secs=$3 pid=${4:-} i=0
	while [ "$i" -lt $((secs * 50)) ]; do
		if grep -qE -- "$re" "$file" 2>/dev/null; then
			grep -m1 -E -- "$re" "$file"
			return 0
		fi
		if [ -n "$pid" ] && ! ac_running "$pid"; then
			grep -qE -- "$re" "$file" 2>/dev/null && { grep -m1 -E -- "$re" "$file"; return 0; }
			return 1
		fi
		sleep 0.02
		i=$((i + 1))
	done
	return 1
}

port_listening() {
	[ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]
}

ac_cleanup() {
	local pid
	[ -n "$AC_CAP_PID" ] && kill -INT "$AC_CAP_PID" 2>/dev/null
	for pid in "${AC_PIDS[@]}"; do
		ac_running "$pid" && kill -KILL "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	if [ "$AC_FAILED" -gt 0 ] || [ "${AC_KEEP:-0}" = 1 ]; then
		echo "  (files kept in $AC_TMP)"
	else
		rm -rf "$AC_TMP"
	fi
	if [ -n "$AC_PUB" ]; then
		if [ "${AC_KEEP:-0}" = 1 ]; then echo "  (public files kept in $AC_PUB)"; else rm -rf "$AC_PUB"; fi
	fi
}
trap ac_cleanup EXIT
trap 'exit 1' INT TERM

# --- the wire -------------------------------------------------------------------
# capture_start PORT...: tcpdump on lo for 'port PORT' (TCP and the UDP marker
# of capture_stop) into $AC_TMP/cap-PORT-N.pcap; returns once tcpdump says
# "listening on" (its filter is installed), at most 10 s.
# -s 128 keeps only the headers and -B 32768 gives a 32 MB ring: loopback
# segments are 64 KB, and with full snaplen a few MB of payload overflowed
# the default ring ("packets dropped by kernel") and lost the FIN.
# More than one PORT: one capture of them all (the marker of capture_stop
# goes to the first).
capture_start() {
	local filter="" p
	need_tool tcpdump
	for p in "$@"; do filter="${filter:+$filter or }port $p"; done
	AC_CAP_PORT=$1
	AC_CAP_FILE="$AC_TMP/cap-$(IFS=-; echo "$*")-$RANDOM.pcap"
	tcpdump -i lo -U --immediate-mode -nn -s 128 -B 32768 -w "$AC_CAP_FILE" "$filter" \
		>/dev/null 2>"$AC_CAP_FILE.err" </dev/null &
	AC_CAP_PID=$!
	if ! wait_for_line "$AC_CAP_FILE.err" "listening on" 10 "$AC_CAP_PID" >/dev/null; then
		echo "  tcpdump did not start: $(head -c 300 "$AC_CAP_FILE.err")"
		kill -INT "$AC_CAP_PID" 2>/dev/null
		wait "$AC_CAP_PID" 2>/dev/null
		AC_CAP_PID=""
		return 1
	fi
}

# capture_stop: make sure every packet of the case is in the file, then stop.
# Packets on lo are captured in order, so once a UDP marker sent now shows up
# in the file, everything before it (the last RST or FIN) is there too.  No
# sleep-and-hope.  Then SIGINT (tcpdump flushes) and wait.
capture_stop() {
	local i=0
	[ -n "$AC_CAP_PID" ] || return 1
	while [ "$i" -lt 50 ]; do
		# bash's /dev/udp: one datagram to the port; nobody listens there.
		{ printf 'abortclose-capture-marker' >"/dev/udp/127.0.0.1/$AC_CAP_PORT"; } 2>/dev/null
		if tcpdump -r "$AC_CAP_FILE" -nn udp 2>/dev/null | grep -q .; then
			break
		fi
		sleep 0.1
		i=$((i + 1))
	done
	kill -INT "$AC_CAP_PID" 2>/dev/null
	wait "$AC_CAP_PID" 2>/dev/null
	AC_CAP_PID=""
	[ "$i" -lt 50 ] || { echo "  capture marker never seen"; return 1; }
	# A capture that dropped packets cannot prove "0 RST" or "0 FIN".
	local dropped
	dropped=$(sed -nE 's/^([0-9]+) packets? dropped by kernel.*/\1/p' "$AC_CAP_FILE.err")
	if [ "${dropped:-0}" != 0 ]; then
		echo "  tcpdump dropped $dropped packets"
		return 1
	fi
}

# side_filter SIDE PORT: the packets sent BY the side under test.  On
# loopback both ends have the same address, so the port tells them apart:
# the server sends from PORT; the client sends to PORT (its own port is
# ephemeral, 32768-60999, never one of the tests' fixed ports).
side_filter() {
	case $1 in
	server) echo "tcp and src port $2" ;;
	client) echo "tcp and dst port $2" ;;
	*) echo "side_filter: bad side $1" >&2; return 1 ;;
	esac
}

# count_flag LETTER SIDE PORT [FILE]: packets from SIDE with TCP flag LETTER
# (R or F) set.  tcpdump's text ("Flags [R.]", "[FP.]") works for IPv4 and
# IPv6 alike, where the tcp[13] BPF syntax does not.
count_flag() {
	local file=${4:-$AC_CAP_FILE}
	tcpdump -r "$file" -nn "$(side_filter "$2" "$3")" 2>/dev/null |
		grep -cE "Flags \[[^]]*$1" || true
}
count_rst_from() { count_flag R "$@"; }
count_fin_from() { count_flag F "$@"; }

# wire_summary PORT [FILE]: SYN/FIN/RST packets as srcport>dstport[flags], for
# failure messages (data packets left out: an 8 MB transfer has thousands).
wire_summary() {
	local file=${2:-$AC_CAP_FILE}
	tcpdump -r "$file" -nn tcp 2>/dev/null | grep -E 'Flags \[[^]]*[SFR]' |
		sed -nE "s/.* ([0-9a-f.:]+)\.([0-9]+) > [0-9a-f.:]+\.([0-9]+): Flags \[([^]]*)\].*/\2>\3[\4]/p" |
		tr '\n' ' '
}

# --- the peer's view ------------------------------------------------------------
# peer_field FILE KEY: KEY's value in peer's result line
# ("bytes=N first=EOF match=1 hash=...").
peer_field() {
	sed -nE "s/^bytes=.*/ &/; s/.* $2=([^ ]*).*/\1/p" "$1" | tail -n1
}

# The exit status a victim end mode gives (as bash's wait reports it).
victim_status_for() {
	case $1 in
	close | exit0-open | return0-open | _exit0 | quick_exit0) echo 0 ;;
	shutdown-exit1 | exit1 | return1 | _exit1 | quick_exit1) echo 1 ;;
	sigkill | external) echo 137 ;;
	sigsegv) echo 139 ;;
	sigabort) echo 134 ;;
	sigterm) echo 143 ;;
	*) echo "?" ;;
	esac
}

# stderr_problem FILE MODE: what is wrong with a victim's stderr, if anything.
# With a valid configuration the library prints nothing; a preload that
# failed ("cannot be preloaded") would silently test the kernel alone;
# sanitizer reports mean a library bug (except the SEGV that the sigsegv
# mode causes on purpose, which ASan reports itself).
stderr_problem() {
	local file=$1 mode=$2
	[ -s "$file" ] || return 0
	if grep -q "cannot be preloaded" "$file"; then
		echo "library not loaded: $(grep -m1 'cannot be preloaded' "$file")"
	elif [ "$mode" = sigsegv ] && grep -q "AddressSanitizer: SEGV" "$file" &&
		! grep -qE "AddressSanitizer: [^S]|runtime error|LeakSanitizer" "$file"; then
		return 0
	else
		echo "unexpected stderr: $(head -c 300 "$file" | tr '\n' '|')"
	fi
}

# expect_verdict EXPECT ROLE FIRST GOT BYTES RST FIN: what is wrong with a
# case's outcome (empty: nothing).  rst: the peer's first error is
# ECONNRESET, >= 1 RST and no FIN from ROLE; fin: a clean EOF after exactly
# BYTES bytes, >= 1 FIN and no RST from ROLE.
expect_verdict() {
	local expect=$1 role=$2 first=$3 got=${4:-} bytes=$5 rst=$6 fin=$7 why=""
	case $expect in
	rst)
		[ "$first" = ECONNRESET ] || why="${why:+$why; }peer first=$first, want ECONNRESET"
		[ "${got:-0}" -le "$bytes" ] || why="${why:+$why; }peer got more than sent"
		[ "$rst" -ge 1 ] || why="${why:+$why; }no RST from the $role"
		[ "$fin" -eq 0 ] || why="${why:+$why; }$fin FIN from the $role"
		;;
	fin)
		[ "$first" = EOF ] || why="${why:+$why; }peer first=$first, want EOF"
		[ "$got" = "$bytes" ] || why="${why:+$why; }peer got ${got:-?} of $bytes bytes"
		[ "$fin" -ge 1 ] || why="${why:+$why; }no FIN from the $role"
		[ "$rst" -eq 0 ] || why="${why:+$why; }$rst RST from the $role"
		;;
	*) why="bad EXPECT $expect" ;;
	esac
	printf '%s' "$why"
}

# run_tcp_case NAME ROLE FAMILY PORT BYTES MODE EXPECT
#   One victim (ROLE server|client, the side under test) sends BYTES payload
#   bytes over IPv FAMILY (4|6) on PORT and ends with MODE (victim's end
#   modes); peer is the other end.  EXPECT:
#     rst  peer's first error ECONNRESET, >=1 RST and 0 FIN from the victim,
#          what arrived is a clean prefix of the payload;
#     fin  peer sees EOF after exactly BYTES correct bytes, >=1 FIN and 0 RST
#          from the victim.
#   Also checked: the victim's exit status matches MODE; its stderr is clean.
#   Arrays read (set them before the call, reset them after):
#     CASE_ENV        VAR=VALUE for the victim (e.g. ABORTCLOSE=off)
#     CASE_PEER_OPTS  e.g. (--slow 1000) for a slow reader
#     CASE_VICTIM_OPTS e.g. (--linger 1,0)
#     CASE_VICTIM_CMD another program as the victim (node, python3...): it
#                     must speak victim's protocol (READY <port> when it is
#                     a server, SENT <n> once the payload is written,
#                     test/progs/testnet.h's payload); MODE is then only
#                     used for "external" (kill -9 after SENT)
#   CASE_NOLIB=1 runs the victim without the library; CASE_WANT_STATUS
#   overrides the exit status expected from MODE.
CASE_ENV=()
CASE_PEER_OPTS=()
CASE_VICTIM_OPTS=()
CASE_VICTIM_CMD=()
CASE_NOLIB=0
CASE_WANT_STATUS=""
run_tcp_case() {
	local name=$1 role=$2 fam=$3 port=$4 bytes=$5 mode=$6 expect=$7
	local d="$AC_TMP/$name" vpid ppid vst=0 pst=0 why="" peer_role
	local -a victim_cmd
	mkdir -p "$d"
	if port_listening "$port"; then
		fail "$name" "port $port already in use by another process"
		return
	fi
	if [ "$CASE_NOLIB" = 1 ]; then
		victim_cmd=(env "${CASE_ENV[@]}")
	else
		victim_cmd=(env LD_PRELOAD="$(ac_preload)" "${CASE_ENV[@]}")
	fi
	if [ "${#CASE_VICTIM_CMD[@]}" -gt 0 ]; then
		victim_cmd+=("${CASE_VICTIM_CMD[@]}")
	else
		victim_cmd+=("$AC_BIN/victim" "$role" --port "$port" --family "$fam" --bytes "$bytes"
			--end "$mode" "${CASE_VICTIM_OPTS[@]}")
	fi
	[ "$role" = server ] && peer_role=client || peer_role=server

	capture_start "$port" || { fail "$name" "tcpdump did not start"; return; }
	if [ "$role" = server ]; then
		ac_bg vpid "$d/victim.out" "$d/victim.err" "${victim_cmd[@]}"
		if ! wait_for_line "$d/victim.out" '^READY ' 10 "$vpid" >/dev/null; then
			why="victim server not ready: $(head -c 200 "$d/victim.err")"
		else
			ac_bg ppid "$d/peer.out" "$d/peer.err" "$AC_BIN/peer" client --port "$port" \
				--family "$fam" --timeout 20 "${CASE_PEER_OPTS[@]}"
		fi
	else
		ac_bg ppid "$d/peer.out" "$d/peer.err" "$AC_BIN/peer" server --port "$port" \
			--family "$fam" --timeout 20 "${CASE_PEER_OPTS[@]}"
		if ! wait_for_line "$d/peer.out" '^READY ' 10 "$ppid" >/dev/null; then
			why="peer server not ready: $(head -c 200 "$d/peer.err")"
		else
			ac_bg vpid "$d/victim.out" "$d/victim.err" "${victim_cmd[@]}"
		fi
	fi
	if [ -z "$why" ] && [ "$mode" = external ]; then
		if wait_for_line "$d/victim.out" '^SENT ' 20 "$vpid" >/dev/null; then
			kill -KILL "$vpid"
		else
			why="victim never reported SENT: $(head -c 200 "$d/victim.err")"
		fi
	fi
	if [ -n "${ppid:-}" ]; then ac_wait "$ppid" 30 || pst=$?; fi
	if [ -n "${vpid:-}" ]; then ac_wait "$vpid" 30 || vst=$?; fi
	capture_stop || why="${why:+$why; }capture incomplete"

	if [ -n "$why" ]; then
		fail "$name" "$why"
		return
	fi
	local first got match rst fin want_st problem
	first=$(peer_field "$d/peer.out" first)
	got=$(peer_field "$d/peer.out" bytes)
	match=$(peer_field "$d/peer.out" match)
	rst=$(count_rst_from "$role" "$port")
	fin=$(count_fin_from "$role" "$port")
	want_st=${CASE_WANT_STATUS:-$(victim_status_for "$mode")}
	local evidence="peer: first=$first bytes=$got/$bytes match=$match; from $role: RST=$rst FIN=$fin; victim status $vst"

	[ "$pst" = 0 ] || why="peer exited $pst ($(head -c 200 "$d/peer.err"))"
	if [ "$vst" != "$want_st" ]; then
		# Under ASan the sanitizer's own SEGV handler ends the process with 1.
		if ! { [ "$mode" = sigsegv ] && [ -n "${AC_PRELOAD_PREFIX:-}" ] && [ "$vst" = 1 ]; }; then
			why="${why:+$why; }victim status $vst, want $want_st"
		fi
	fi
	problem=$(stderr_problem "$d/victim.err" "$mode")
	[ -z "$problem" ] || why="${why:+$why; }victim $problem"
	[ "$match" = 1 ] || why="${why:+$why; }received bytes are not the payload"
	why="${why:+$why; }$(expect_verdict "$expect" "$role" "$first" "$got" "$bytes" "$rst" "$fin")"
	why=${why%; }
	if [ -n "$why" ]; then
		fail "$name" "$why [$evidence; wire: $(wire_summary "$port")]"
	else
		pass "$name ($expect: $evidence)"
	fi
}
