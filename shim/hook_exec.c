/* hook_exec.c - the exec family.
 *
 * An exec closes every close-on-exec fd without any close() call: for an
 * armed socket whose last reference that is, the kernel sends RST.  Before
 * the exec, such sockets are disarmed, and so are the sockets that survive
 * the exec when the new program will not run under this library
 * (exec_target.c), or when the program set its own linger (the new program
 * adopts the socket and re-arms it, keeping that value as the program's).
 * If the exec fails, they are armed again.
 *
 * glibc's execvp/execl... call its internal __execve, not an interposed
 * execve, so each public function is interposed.  In a vfork child
 * (ac_in_vfork) nothing is touched: the parent still holds every socket; the
 * parent only learns whether the program runs under the library (spawn.c). */
#include "exec_target.h"
#include "ledger.h"
#include "state.h"
#include "export.h"
#include "fmt.h"
#include "log.h"
#include "real.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <unistd.h>

extern char **environ;

static bool is_cloexec(int fd)
{
	int saved = errno;
	int fl = ac_real_fcntl(fd, F_GETFD, 0);
	AC_ERRNO_RESTORE(saved);
	return fl >= 0 && (fl & FD_CLOEXEC);
}

/* Does fd lose its socket at the exec? */
static bool leaves(int fd, ac_entry e, bool keeps)
{
	bool own_linger = (e & AC_F_USER_ON) || ac_entry_has_linger(e);
	return !keeps || own_linger || is_cloexec(fd);
}

static int survives(int other, ac_entry o, void *keeps)
{
	return !leaves(other, o, *(bool *)keeps);
}

/* Another fd of ours on the same socket that survives the exec? */
static bool survivor_alias(int fd, ac_entry e, bool keeps)
{
	return (e & AC_F_ALIASED) && keeps && ac_each_alias(fd, survives, &keeps);
}

/* fd goes on into a program without the library: its protection ends here. */
static void gave_up(int fd, const char *refusal)
{
	if (!ac_log_enabled(AC_LEVEL_INFO))
		return;
	char ev[112];
	char *p = ac_fmt_str(ev, ev + sizeof ev - 1, "gave-up:exec-");
	p = ac_fmt_str(p, ev + sizeof ev - 1, refusal);
	*p = 0;
	ac_log_fd(AC_LEVEL_INFO, fd, ev, 0);
}

/* Will before_exec look at the program?  Only then is execvp's PATH search
 * made here: a process where the library is off or stepped back (under a
 * seccomp filter that may kill faccessat) makes none of its calls. */
static bool exec_watched(void)
{
	return ac_on() || (ac_in_vfork && atomic_load_explicit(&ac_active, memory_order_relaxed));
}

/* execvp's program: the file the PATH search finds, when it is needed. */
static const char *searched(const char *file, char buf[4096])
{
	return exec_watched() ? ac_exec_search(file, buf) : NULL;
}

static void before_exec(int dirfd, const char *path, int at_flags, char *const envp[])
{
	if (!ac_on()) {
		/* A vfork child: its parent keeps it in the ledger if what it
		 * execs runs under the library (spawn.c). */
		if (exec_watched())
			ac_spawn_note_exec(dirfd, path, at_flags, envp);
		return;
	}
	const char *refusal = ac_exec_refusal(dirfd, path, at_flags, envp);
	bool keeps = !refusal;
	int max = atomic_load(&ac_max_fd);
	for (int fd = 0; fd <= max; fd++) {
		ac_entry e = ac_get(fd);
		if (!ac_entry_armed(e) || !leaves(fd, e, keeps))
			continue;
		if (e & AC_F_LISTENER)
			continue; /* never armed (hook_socket.c): nothing to pass on */
		if (survivor_alias(fd, e, keeps))
			continue;
		if (is_cloexec(fd))
			ac_release(fd, e & ~AC_F_ALIASED, 0, -1, "exec");
		else { /* survives the exec: the new program's close must not abort */
			ac_disarm(fd, e);
			if (!keeps && path && !(e & AC_F_GAVE_UP)) /* no path: the exec fails, re-arms */
				gave_up(fd, refusal);
		}
		ac_set(fd, e | AC_F_EXEC_TMP);
	}
	/* The decisions are taken: from here on this process no longer reports
	 * to the ledger (the new program starts its own), so the others must not
	 * take "no release record" for "still holds" (ledger.h). */
	ac_ledger_exec(true);
}

/* The exec failed: the process goes on with its sockets, armed again. */
static void after_failed_exec(void)
{
	if (!ac_on())
		return;
	int saved = errno;
	int max = atomic_load(&ac_max_fd);
	ac_ledger_exec(false);
	for (int fd = 0; fd <= max; fd++) {
		ac_entry e = ac_get(fd);
		if (e & AC_F_EXEC_TMP) {
			ac_tie_undo(fd); /* a turn of tie.c the exec's close would have ended */
			if (!(e & AC_F_GAVE_UP))
				ac_arm(fd);
			ac_set(fd, e & ~AC_F_EXEC_TMP);
		}
	}
	AC_ERRNO_RESTORE(saved);
}

AC_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	before_exec(AT_FDCWD, path, 0, envp);
	int r = ac_real_execve(path, argv, envp);
	after_failed_exec();
	return r;
}

AC_EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags)
{
	before_exec(dirfd, path, (flags & AT_EMPTY_PATH) | (flags & AT_SYMLINK_NOFOLLOW), envp);
	int r = ac_real_execveat(dirfd, path, argv, envp, flags);
	after_failed_exec();
	return r;
}

AC_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	before_exec(fd, "", AT_EMPTY_PATH, envp);
	int r = ac_real_fexecve(fd, argv, envp);
	after_failed_exec();
	return r;
}

AC_EXPORT int execv(const char *path, char *const argv[])
{
	before_exec(AT_FDCWD, path, 0, environ);
	int r = ac_real_execve(path, argv, environ);
	after_failed_exec();
	return r;
}

AC_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	char buf[4096];
	before_exec(AT_FDCWD, searched(file, buf), 0, envp);
	int r = ac_real_execvpe(file, argv, envp);
	after_failed_exec();
	return r;
}

AC_EXPORT int execvp(const char *file, char *const argv[])
{
	char buf[4096];
	before_exec(AT_FDCWD, searched(file, buf), 0, environ);
	int r = ac_real_execvp(file, argv);
	after_failed_exec();
	return r;
}

/* The list forms: collect the arguments into an argv on the stack. */
#define COLLECT_ARGV(first, argv, ap)                                   \
	size_t argc_ = 1;                                               \
	va_start(ap, first);                                            \
	while (va_arg(ap, char *))                                      \
		argc_++;                                                \
	va_end(ap);                                                     \
	char *argv[argc_ + 1];                                          \
	argv[0] = (char *)(first);                                      \
	va_start(ap, first);                                            \
	for (size_t i_ = 1; i_ <= argc_; i_++)                          \
		argv[i_] = va_arg(ap, char *);

AC_EXPORT int execl(const char *path, const char *arg, ...)
{
	va_list ap;
	COLLECT_ARGV(arg, argv, ap)
	va_end(ap);
	return execv(path, argv);
}

AC_EXPORT int execlp(const char *file, const char *arg, ...)
{
	va_list ap;
	COLLECT_ARGV(arg, argv, ap)
	va_end(ap);
	return execvp(file, argv);
}

AC_EXPORT int execle(const char *path, const char *arg, ...)
{
	va_list ap;
	COLLECT_ARGV(arg, argv, ap)
	char *const *envp = va_arg(ap, char *const *);
	va_end(ap);
	return execve(path, argv, envp);
}
