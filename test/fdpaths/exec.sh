#!/bin/bash
# exec.sh - the exec family (issue 3, "exec").  An exec closes every
# close-on-exec fd without any close() call; for an armed socket whose last
# reference that is, the kernel sends RST (platform-facts.md section 4,
# exec_cloexec).  The library disarms such sockets first (every public exec
# function: glibc's execvp/execl... call its internal __execve), re-arms them
# when the exec fails, and disarms surviving sockets when the new program will
# not run under the library (static binary, LD_PRELOAD dropped).
# In every FIN case the new program crashes or exits right away: only the
# exec's own close (or the new program's adoption) can have made it graceful.
# Ports 24200-24299.
. "$(dirname "$0")/lib-fd.sh"
need_lib "$FD_SERVER"
need_tool tcpdump

B=1048576
# execvp/execlp/execvpe look fd_server up on PATH.
FD_CASE_ENV=("PATH=$AC_BIN:$PATH")
p=24200
for how in execve execv execvp execvpe execl execlp execle fexecve; do
	fd_server_case "cloexec-socket-$how" fin $p $B on --case exec-cloexec --how "$how"
	p=$((p + 1))
done
# p = 24208: the new program does not load the library (LD_PRELOAD dropped).
fd_server_case cloexec-socket-exec-without-lib fin $p $B on --case exec-cloexec-nolib
fd_server_case cloexec-socket-accept4-SOCK_CLOEXEC fin $((p + 1)) $B on --case exec-cloexec --cloexec

p=24220
# The socket survives the exec into a program under the library: it adopts
# the socket at load and keeps it armed (crash: RST; exit 0: FIN).
fd_crash_pair kept-socket-new-program-crashes $p $B --case exec-keep --end kill
fd_crash_pair kept-socket-new-program-exit1 $((p + 2)) $B --case exec-keep --end exit1
fd_server_case kept-socket-new-program-exit0 fin $((p + 4)) $B on --case exec-keep --end exit0
fd_server_case kept-socket-new-program-closes fin $((p + 5)) $B on --case exec-keep --end close
# ... into a program without the library: disarmed before the exec, so its
# own graceful close is graceful (invariant 1), and the protection given up
# is said at info level, with the reason.
log="$AC_TMP/exec-without-lib.log"
FD_CASE_ENV=("PATH=$AC_BIN:$PATH" ABORTCLOSE_LOG_LEVEL=info "ABORTCLOSE_LOG=file:$log")
fd_server_case kept-socket-exec-without-lib-closes fin $((p + 6)) $B on --case exec-keep-nolib --end close
fd_logged kept-socket-exec-without-lib-logs-the-give-up "$log" "gave-up:exec-environment-without-LD_PRELOAD"
FD_CASE_ENV=("PATH=$AC_BIN:$PATH")
# ... into a static binary (ldconfig is static-pie: no PT_INTERP, the loader
# never reads LD_PRELOAD); it exits 0 holding the socket.
if [ -x /usr/sbin/ldconfig ] && ! LC_ALL=C readelf -l /usr/sbin/ldconfig 2>/dev/null | grep -q INTERP; then
	log="$AC_TMP/exec-static.log"
	FD_CASE_ENV=("PATH=$AC_BIN:$PATH" ABORTCLOSE_LOG_LEVEL=info "ABORTCLOSE_LOG=file:$log")
	fd_server_case kept-socket-exec-static-binary fin $((p + 7)) $B on --case exec-other \
		--self /usr/sbin/ldconfig --how --version
	fd_logged kept-socket-exec-static-binary-logs-the-give-up "$log" "gave-up:exec-program-static-setuid-or-unreadable"
	FD_CASE_ENV=("PATH=$AC_BIN:$PATH")
else
	fd_info kept-socket-exec-static-binary "no static /usr/sbin/ldconfig here; case not run"
fi
# ... into a #! script whose interpreter loads the library.
printf '#!/bin/sh\nkill -KILL $$\n' >"$AC_TMP/kill.sh"
printf '#!/bin/sh\nexit 0\n' >"$AC_TMP/exit0.sh"
chmod +x "$AC_TMP/kill.sh" "$AC_TMP/exit0.sh"
fd_crash_pair kept-socket-script-killed $((p + 8)) $B --case exec-other --self "$AC_TMP/kill.sh" --how x
fd_server_case kept-socket-script-exit0 fin $((p + 10)) $B on --case exec-other --self "$AC_TMP/exit0.sh" --how x

p=24240
# A failed exec leaves the process running: its sockets are armed again.
fd_crash_pair failed-execv-then-crash $p $B --case exec-failed
fd_crash_pair failed-execvp-then-crash $((p + 2)) $B --case exec-failed --how execvp
FD_CASE_ENV=()
ac_finish
