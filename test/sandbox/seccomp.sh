#!/bin/bash
# seccomp.sh - the library under seccomp sandboxes (issue 9): it never gets
# its host killed by a call of its own, and what it leaves armed or disarmed
# before the sandbox is what the socket's holders need.
#
# test/progs/sandbox_worker accepts one connection (armed by the library),
# then sandboxes itself:
#   kill-filter-prctl / kill-filter-syscall  a KILL_PROCESS-by-default
#       filter allowing only write, close, exit_group (prctl, or
#       syscall(SYS_seccomp) as libseccomp does): the worker must exit 0 and
#       the peer get all 5 MB and FIN (the library disarmed the connection
#       before the filter went in, then stepped back; the info line says so).
#       Without the fix the worker died of SIGSYS at its exit/close and the
#       peer got about 2 MB and RST.  Control: ABORTCLOSE=off, the same.
#   allow-all-sigkill  a filter that allows everything: the library keeps
#       working, so a SIGKILL after the 5 MB gives RST (ABORTCLOSE=off: FIN).
#   shared-parent-killed  a child sandboxes itself with the KILL filter
#       while its parent still holds the connection: the child exits 0, the
#       connection stays armed (another live holder), and the parent's
#       SIGKILL later gives RST (ABORTCLOSE=off: FIN).
#   no-access-then-exec  a filter that kills only faccessat/faccessat2,
#       then execvp("true") with the connection open: the library's exec
#       wrapper asks whether the program runs under it with those calls
#       (the PATH search) - it must have stepped back instead (SIGSYS
#       before b24766a), the worker's status is true's 0, the peer gets
#       every byte and FIN.  Control: ABORTCLOSE=off.
#   filter-at-load  a program started under a filter (test/progs/
#       seccomp_exec): Seccomp: 2 at load, the library passes everything
#       through and says why at info level; a SIGKILL gives what the kernel
#       gives without the library (FIN).
# Ports 22410-22429.
. "$(dirname "$0")/../lib.sh"
need_lib "$AC_BIN/sandbox_worker" "$AC_BIN/seccomp_exec"
need_tool tcpdump

BYTES=5000000

# one_case NAME PORT MODE EXPECT KILLWAIT [VAR=VAL...]: KILLWAIT is the
# worker's stderr line to wait for before its SIGKILL ("" = no kill, the
# worker must exit 0 by itself).
one_case() {
	local name=$1 port=$2 mode=$3 expect=$4 killwait=$5
	shift 5
	local d="$AC_TMP/$name" wpid ppid st why="" launcher=()
	mkdir -p "$d"
	[ "$mode" = at-load ] && { launcher=("$AC_BIN/seccomp_exec"); mode=allow-none; }
	capture_start "$port" || { fail "$name" "no capture"; return; }
	if [ "$mode" = allow-none ]; then
		# A plain victim under a filter from its launcher: the worker's
		# allow-all mode without its own filter is what "victim" is.
		ac_bg wpid "$d/w.out" "$d/w.err" "${launcher[@]}" env LD_PRELOAD="$(ac_preload)" \
			ABORTCLOSE_LOG=stderr ABORTCLOSE_LOG_LEVEL=info "$@" \
			"$AC_BIN/victim" server --port "$port" --bytes "$BYTES" --end sigkill
	else
		ac_bg wpid "$d/w.out" "$d/w.err" env LD_PRELOAD="$(ac_preload)" \
			ABORTCLOSE_LOG=stderr ABORTCLOSE_LOG_LEVEL=info "$@" \
			"$AC_BIN/sandbox_worker" "$port" "$BYTES" "$mode"
	fi
	if ! wait_for_line "$d/w.out" '^READY' 10 "$wpid" >/dev/null; then
		capture_stop
		fail "$name" "worker not ready: $(head -c 300 "$d/w.err")"
		return
	fi
	ac_bg ppid "$d/peer.out" "$d/peer.err" "$AC_BIN/peer" client --port "$port" --timeout 20
	if [ -n "$killwait" ]; then
		if wait_for_line "$d/w.err" "$killwait" 20 "$wpid" >/dev/null; then
			kill -KILL "$wpid" 2>/dev/null
		else
			why="worker never said $killwait"
		fi
	fi
	ac_wait "$wpid" 30
	st=$?
	ac_wait "$ppid" 30
	capture_stop
	local first got rst fin
	first=$(peer_field "$d/peer.out" first)
	got=$(peer_field "$d/peer.out" bytes)
	rst=$(count_rst_from server "$port")
	fin=$(count_fin_from server "$port")
	if [ "$mode" = allow-none ]; then
		[ "$st" = 137 ] || why="${why:+$why; }victim exit status $st, want 137 (its own SIGKILL)"
	elif [ -z "$killwait" ]; then
		[ "$st" = 0 ] || why="${why:+$why; }worker exit status $st (159 = SIGSYS), want 0"
	else
		[ "$st" = 137 ] || why="${why:+$why; }worker exit status $st, want 137 (SIGKILL)"
	fi
	why="${why:+$why; }$(expect_verdict "$expect" server "$first" "$got" "$BYTES" "$rst" "$fin")"
	why=${why%; }
	CASE_DIR=$d
	if [ -n "$why" ]; then
		fail "$name" "$why [peer: first=$first bytes=$got; RST=$rst FIN=$fin; wire: $(wire_summary "$port"); worker: $(head -c 400 "$d/w.err" | tr '\n' '|')]"
		return 1
	fi
	pass "$name ($expect: peer first=$first bytes=$got; RST=$rst FIN=$fin)"
}

# info_line NAME ERE: the worker of the last case logged ERE.
info_line() {
	if grep -qE -- "$2" "$CASE_DIR/w.err"; then
		pass "$1"
	else
		fail "$1" "no line matching '$2' in: $(head -c 400 "$CASE_DIR/w.err" | tr '\n' '|')"
	fi
}

one_case kill-filter-prctl 22410 prctl fin "" &&
	info_line kill-filter-prctl-info-line 'stepped back for good at prctl\(PR_SET_SECCOMP\): a seccomp filter would answer setsockopt\(SO_LINGER\) with SECCOMP_RET_KILL_PROCESS; 1 socket\(s\) disarmed'
one_case kill-filter-prctl-off 22411 prctl fin "" ABORTCLOSE=off
one_case kill-filter-syscall 22412 syscall fin "" &&
	info_line kill-filter-syscall-info-line 'stepped back for good at seccomp\(2\)'
one_case kill-filter-syscall-off 22413 syscall fin "" ABORTCLOSE=off

one_case allow-all-sigkill 22414 allow-all rst '^SENT' &&
	if grep -q "stepped back" "$CASE_DIR/w.err"; then
		fail allow-all-no-step-back "the library stepped back under an allow-all filter"
	else
		pass allow-all-no-step-back
	fi
one_case allow-all-sigkill-off 22415 allow-all fin '^SENT' ABORTCLOSE=off

one_case shared-parent-killed 22416 shared rst '^CHILD' &&
	{ info_line shared-child-not-killed 'CHILD status=0 signal=0'
	  info_line shared-child-kept-armed '0 socket\(s\) disarmed \(FIN at their close\), 1 left armed for another process'; }
one_case shared-parent-killed-off 22417 shared fin '^CHILD' ABORTCLOSE=off &&
	info_line shared-child-not-killed-off 'CHILD status=0 signal=0'

one_case no-access-then-exec 22419 no-access-then-exec fin "" PATH=/usr/bin:/bin &&
	info_line no-access-then-exec-info-line 'stepped back for good at prctl\(PR_SET_SECCOMP\): a seccomp filter would answer faccessat'
one_case no-access-then-exec-off 22420 no-access-then-exec fin "" PATH=/usr/bin:/bin ABORTCLOSE=off

# At load: victim's sigkill end after all bytes; under the library it would
# be RST, passed through it is the kernel's FIN.
one_case filter-at-load 22418 at-load fin '' &&
	info_line filter-at-load-info-line 'stepped back for good .*a seccomp filter was already in force at load \(Seccomp: 2'
ac_finish
