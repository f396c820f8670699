#!/bin/bash
# spawn.sh - spawning children never disarms the parent's connections
# (issue 3).  vfork children share the parent's memory (the library's table
# too); glibc's system()/popen()/posix_spawn() use an internal
# clone(CLONE_VM|CLONE_VFORK) that calls no interposed function at all
# (platform-facts.md section 5); CPython's subprocess vforks and runs
# close_range() in the child.  The child closes or inherits the connection;
# the parent goes on serving: its later crash must give RST (control:
# ABORTCLOSE=off gives FIN), its later close FIN with every byte (the
# child did not clear the parent's entry either).  And hand-overs to a
# spawned program, from C and from Python.
# Ports 24450-24549.
. "$(dirname "$0")/lib-fd.sh"
need_lib "$FD_SERVER"
need_tool tcpdump

B=1048576
FD_CASE_ENV=("PATH=/usr/bin:/bin")
p=24450
for how in vfork-close vfork-closerange-exec vfork-dup2-exec vfork-exit system system-child popen \
	posix_spawn posix_spawnp posix_spawn-closefrom; do
	fd_crash_pair "$how-then-parent-crashes" $p $B --case spawn --how "$how" --end kill
	fd_server_case "$how-then-parent-closes" fin $((p + 2)) $B on --case spawn --how "$how" --end close
	p=$((p + 3))
done

# A hand-over: the spawned program keeps the connection (it adopts it at
# load), then the parent closes its copy.  Its crash must give RST: the
# parent's close must not disarm the socket under it (issue 10: spawned
# children are in the ledger).  Its close gives every byte and FIN; so does
# the close of a program without the library, which could not disarm at its
# own graceful end (the parent's close disarms).
p=24520
for how in vfork clone posix_spawn posix_spawnp; do
	fd_server_case "handover-$how-then-child-crashes-on" rst $p $B on --case spawn-handover --how "$how" --end kill
	# the control: the half the parent sent, then FIN
	fd_case "handover-$how-then-child-crashes-off" fin $((p + 1)) $((B / 2)) off \
		"$FD_SERVER" --port $((p + 1)) --bytes $B --case spawn-handover --how "$how" --end kill
	fd_server_case "handover-$how-then-child-closes" fin $((p + 2)) $B on --case spawn-handover --how "$how" --end close
	p=$((p + 3))
done
fd_server_case "handover-vfork-nolib-then-child-closes" fin 24532 $B on --case spawn-handover --how vfork-nolib --end close
fd_server_case "handover-posix_spawn-nolib-then-child-closes" fin 24533 $B on --case spawn-handover --how posix_spawn-nolib --end close
# The parent crashes instead of closing its copy: the spawned program is now
# the last holder, and its graceful close must give every byte and FIN.  A
# program without the library could not disarm: the parent must have
# disarmed the socket when it learnt what the child exec'd (and said so at
# info level).
p=24537
for how in vfork vfork-nolib posix_spawn-nolib; do
	name="handover-$how-then-parent-crashes-then-child-closes"
	log="$AC_TMP/$name.log"
	FD_CASE_ENV=("PATH=/usr/bin:/bin" ABORTCLOSE_LOG_LEVEL=info "ABORTCLOSE_LOG=file:$log")
	fd_server_case "$name" fin $p $B on --case spawn-handover --how "$how-parent-crashes" --end close
	case $how in
	*-nolib) fd_logged "$name-logs-the-give-up" "$log" 'gave-up:held-by-program-without-library-pid-[0-9]+' ;;
	esac
	p=$((p + 1))
done
FD_CASE_ENV=("PATH=/usr/bin:/bin")

# The same from Python (CPython's own subprocess, os.system).
need_tool python3
PY=$(command -v python3)
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
p=24500
for how in run-close-fds run-pass-fds popen-shell os-system; do
	fd_case "python-$how-then-parent-crashes-on" rst $p $B on "$PY" "$AC_ROOT/test/fdpaths/fd_pyspawn.py" $p $B "$how" kill
	fd_case "python-$how-then-parent-crashes-off" fin $((p + 1)) $B off "$PY" "$AC_ROOT/test/fdpaths/fd_pyspawn.py" $((p + 1)) $B "$how" kill
	fd_case "python-$how-then-parent-closes" fin $((p + 2)) $B on "$PY" "$AC_ROOT/test/fdpaths/fd_pyspawn.py" $((p + 2)) $B "$how" close
	p=$((p + 3))
done
# A hand-over from Python: subprocess.Popen(stdout=conn), the program's
# stdout is the connection (CPython vforks and execs it).
fd_case "python-handover-then-child-crashes-on" rst 24534 $B on "$PY" "$AC_ROOT/test/fdpaths/fd_pyspawn.py" \
	24534 $B handover kill "$FD_SERVER"
fd_case "python-handover-then-child-crashes-off" fin 24535 $((B / 2)) off "$PY" "$AC_ROOT/test/fdpaths/fd_pyspawn.py" \
	24535 $B handover kill "$FD_SERVER"
fd_case "python-handover-then-child-closes" fin 24536 $B on "$PY" "$AC_ROOT/test/fdpaths/fd_pyspawn.py" \
	24536 $B handover close "$FD_SERVER"
FD_CASE_ENV=()
ac_finish
