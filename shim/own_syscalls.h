/* own_syscalls.h - every system call the library itself issues on the paths
 * where the program did not ask for one: release (close, shutdown, fclose,
 * close_range, dup2 over a socket, exec), exit (exit/_exit/quick_exit and
 * the on_exit handler), fork, and the hand-over hooks.  A seccomp filter that
 * kills or fails any of these changes what the library can do there
 * (issue 9's evaluator reads this list; keep it in step with the code).
 *
 * AC_OWN_SYSCALLS(X) calls X(name, where, why) once per use (a name may
 * appear twice, for two uses).  The constructor's own (mmap, getrlimit, the
 * /proc/self/fd listing...) are not listed: they run before any filter the
 * program installs.
 * Deliberately absent: pidfd_open (sshd's sandbox kills on it), tgkill,
 * gettid (the old release board's, gone with issue 10). */
#ifndef ABORTCLOSE_OWN_SYSCALLS_H
#define ABORTCLOSE_OWN_SYSCALLS_H

#define AC_OWN_SYSCALLS(X)                                                                      \
	/* release and exit paths */                                                            \
	X(setsockopt, "release, exit, exec", "SO_LINGER: disarm (and re-arm after a failed exec)") \
	X(getsockopt, "adopt, exec listener", "SO_DOMAIN/TYPE/PROTOCOL/ACCEPTCONN/LINGER")         \
	X(fstat, "release", "socket inode (holders.c, alias walk, ledger record)")                \
	X(fcntl, "exec", "F_GETFD: which fds the exec closes")                                   \
	X(fcntl, "release (tie.c)", "F_SETLK/F_UNLCK on the socket: holders of two fork trees take turns") \
	X(nanosleep, "release (tie.c)", "20 us between two tries of that lock")                 \
	X(fcntl, "recvmsg, release (mark.c)", "F_SETLK F_RDLCK: a received socket's holder mark; F_GETLK: another's") \
	X(getpid, "release, fork, log", "own pid")                                               \
	X(getppid, "release (identity.c)", "is the ledger's parent alive and the same")          \
	X(waitid, "release (identity.c)", "P_PID WNOHANG|WNOWAIT|WEXITED: is our child alive")    \
	X(kill, "release (identity.c), fork (ledger.c)", "signal 0: does pid exist (ESRCH)")      \
	X(openat, "release", "/proc/PID/fd, /proc/PID/stat, /proc/PID/task, /proc/self/fd") \
	X(kcmp, "release (procfd.c)", "KCMP_FILE: same fd number of a candidate, same socket? (falls back to readlinkat)") \
	X(readlinkat, "release", "/proc/PID/fd/N = socket:[INODE]?")                              \
	X(getdents64, "release", "/proc/PID/fd and /proc/PID/task listings")                      \
	X(read, "release", "/proc/PID/stat start time, /proc/PID/task/TID/children")             \
	X(clock_gettime, "fork (identity.c)", "CLOCK_BOOTTIME, vDSO: the child's start-time interval") \
	X(close, "release", "the /proc fds above")                                                 \
	X(pread64, "exec", "ELF header of the exec target (exec_target.c)")                       \
	X(write, "log", "the log line (stderr/file)")                                            \
	X(sendto, "log", "the log line (syslog: send on a datagram socket)")                      \
	X(getsockname, "log", "local address of the logged fd")                                   \
	X(getpeername, "log", "remote address of the logged fd")                                  \
	/* hand-over hooks (only with SCM_RIGHTS control data) */                               \
	X(getsockopt, "sendmsg, sendmmsg, recvmsg, recvmmsg", "SO_PEERCRED of the UNIX socket")

#endif
