/* hook_wait.c - reaping children: wait, waitpid, wait3, wait4, waitid.
 *
 * A child its parent has reaped is gone for good: its pid may be given to
 * another process, and its ledger slot may be taken by the next fork without
 * asking the kernel whether it still exists.  Without this, every fork of a
 * server that has used all of the ledger's 8,192 slots once paid a
 * kill(pid, 0) for the slot's previous owner (ledger.c, claim_slot).  The
 * wrappers pass the call through unchanged (the same result, errno and
 * status) and, when it reaped a child (exited or killed: not a stopped or
 * continued one, not a waitid(WNOWAIT) look), mark that child's slot: one
 * compare-and-swap in shared memory, no system call, async-signal-safe.
 * Children reaped some other way (SIGCHLD ignored, SA_NOCLDWAIT, the waits
 * inside libc's system() and pclose(), raw system calls) are found gone
 * with kill(pid, 0) as before. */
#include "state.h"
#include "export.h"
#include "ledger.h"
#include "real.h"

#include <sys/wait.h>

/* The program's own status pointer goes to the real call (an invalid one
 * fails with EFAULT as without the library; a call that reports nothing
 * leaves it untouched), ours only when it passed NULL.  *st is read only
 * for a pid: then the call wrote it. */
AC_HOT static pid_t reaped(pid_t pid, const int *st)
{
	if (pid > 0 && (WIFEXITED(*st) || WIFSIGNALED(*st)) && ac_on())
		ac_ledger_reaped(pid);
	return pid;
}

AC_EXPORT pid_t wait(int *status)
{
	int own, *st = status ? status : &own;
	return reaped(ac_real_wait(st), st);
}

AC_EXPORT pid_t waitpid(pid_t pid, int *status, int options)
{
	int own, *st = status ? status : &own;
	return reaped(ac_real_waitpid(pid, st, options), st);
}

AC_EXPORT pid_t wait3(int *status, int options, struct rusage *ru)
{
	int own, *st = status ? status : &own;
	return reaped(ac_real_wait3(st, options, ru), st);
}

AC_EXPORT pid_t wait4(pid_t pid, int *status, int options, struct rusage *ru)
{
	int own, *st = status ? status : &own;
	return reaped(ac_real_wait4(pid, st, options, ru), st);
}

AC_EXPORT int waitid(idtype_t type, id_t id, siginfo_t *info, int options)
{
	int r = ac_real_waitid(type, id, info, options);
	/* WNOHANG with nothing to report leaves si_pid 0 (glibc and the kernel
	 * zero it); WNOWAIT only looks. */
	if (r == 0 && info && !(options & WNOWAIT) && info->si_pid > 0 &&
	    (info->si_code == CLD_EXITED || info->si_code == CLD_KILLED || info->si_code == CLD_DUMPED) && ac_on())
		ac_ledger_reaped(info->si_pid);
	return r;
}
