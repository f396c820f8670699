/* exit.c - what a normal end of the process does to the sockets still open.
 *
 * exit(n) and a return of n from main both run the handlers registered with
 * on_exit(), which receive n; an interposed exit() would miss the return from
 * main.  Our handler is registered from the constructor, and glibc runs it
 * after the preloaded libraries' destructors (_dl_fini is registered later):
 * nothing it uses may be torn down in a destructor, and nothing is.
 * _exit()/_Exit() run no handlers, so they are interposed.  Fatal signals,
 * kill -9 and abort() run nothing at all: the sockets stay armed and the
 * kernel sends RST.
 *
 * The decision (ABORTCLOSE_ON_EXIT): status (default) disarms when the status
 * is 0 (or one named in status:LIST), fin always, rst never.  A non-zero
 * status named as success does not count when a child of this process was
 * killed by a signal and not reaped yet (sshd's monitor, see
 * child_killed_by_signal()).  A socket another live process still holds is
 * left armed for that process (holders.c); the ledger records that this
 * process released every socket before any is looked at (the tie rule).
 */
#include "state.h"
#include "export.h"
#include "identity.h"
#include "ledger.h"
#include "procfd.h"
#include "log.h"
#include "real.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Did a child of this process die of a signal, or is it dying of one?  A
 * zombie is seen with waitid(WNOWAIT), which only looks (the program still
 * reaps it).  A child still inside its exit is not a zombie yet, but its
 * sockets are already closed, so its parent may be here already (sshd's
 * monitor reads EOF from the dying session child and exits at once): its
 * wait status is in the last field of /proc/PID/stat (exit_code, set at
 * the start of do_exit, Linux 3.5+); the children come from
 * /proc/self/task/TID/children (procfd.c). */
static int stat_exit_signal(long pid)
{
	char buf[1024];
	long n = ac_id_read_stat(pid, buf, sizeof buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	long start = n;
	while (start > 0 && buf[start - 1] >= '0' && buf[start - 1] <= '9')
		start--;
	unsigned long code = 0;
	for (long i = start; i < n; i++)
		code = code * 10 + (unsigned long)(buf[i] - '0');
	return (int)(code & 0x7f); /* WTERMSIG of the wait status; 0 = exited */
}

static int child_signal(long pid, void *ctx)
{
	(void)ctx;
	return stat_exit_signal(pid);
}

static int child_killed_by_signal(void)
{
	siginfo_t si;
	int saved = errno, sig = 0;
	memset(&si, 0, sizeof si);
	if (ac_sys(SYS_waitid, P_ALL, 0, (long)&si, WEXITED | WNOHANG | WNOWAIT, 0, 0) == 0 &&
	    si.si_pid != 0 && (si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED)) {
		AC_ERRNO_RESTORE(saved);
		return si.si_status;
	}
	sig = ac_procfd_each_child(ac_sys(SYS_getpid, 0, 0, 0, 0, 0, 0), child_signal, NULL);
	if (sig < 0)
		sig = 0; /* the list cannot be read: only waitid's answer */
	AC_ERRNO_RESTORE(saved);
	return sig;
}

/* AC_HOT: a forking server's handlers all end here (export.h). */
AC_HOT void ac_exit_apply(int status)
{
	if (!ac_on())
		return;
	bool disarm = ac_policy_exit_disarms(&ac_policy, status);
	/* Only for ON_EXIT=status[:LIST] (fin means always). */
	int killed = disarm && ac_policy.on_exit == AC_EXIT_STATUS && (status & 0xff) != 0
			     ? child_killed_by_signal() : 0;
	if (killed) {
		/* A non-zero status named as success (status:0,255) is how some
		 * daemons end both ways: sshd's monitor exits 255 after its
		 * session child exits 255 (a normal logout) and after that child
		 * is killed.  A child killed by a signal, not yet reaped, tells
		 * the second case: the end is abnormal, leave the sockets armed. */
		disarm = false;
		if (ac_log_enabled(AC_LEVEL_DEBUG))
			ac_log_text(AC_LEVEL_DEBUG, "exit status counted as success, but a child was killed by a signal: sockets left armed");
	}
	/* Every socket of this process is released from here on: a holder that
	 * closes at the same time must not count on us (holders.c).  Sockets
	 * left armed are not released: a holder keeps counting on us. */
	if (disarm)
		ac_ledger_all_released(ac_epoch_now());
	int max = atomic_load(&ac_max_fd);
	for (int fd = 0; fd <= max; fd++) {
		ac_entry e = ac_get(fd);
		if (!ac_entry_armed(e) || (e & AC_F_LISTENER))
			continue;
		if (!disarm) {
			AC_COUNT(left);
			if (ac_log_enabled(AC_LEVEL_DEBUG))
				ac_log_fd(AC_LEVEL_DEBUG, fd, "left-armed:exit-status-", status);
			continue;
		}
		/* Every fd of this process closes now: no alias counts as a holder. */
		ac_release(fd, e, 0, max, status == 0 ? "exit-status-0" : "exit");
	}
	ac_stats_print();
}

static void on_exit_handler(int status, void *arg)
{
	(void)arg;
	ac_exit_apply(status);
}

void ac_exit_init(void)
{
	on_exit(on_exit_handler, NULL);
}

AC_HOT AC_EXPORT void _exit(int status)
{
	ac_exit_apply(status);
	ac_real__exit(status);
}

/* quick_exit() ends with libc's internal _exit: no on_exit handler, no
 * interposed _exit. */
AC_EXPORT void quick_exit(int status)
{
	ac_exit_apply(status);
	ac_real_quick_exit(status);
}

AC_EXPORT void _Exit(int status)
{
	ac_exit_apply(status);
	ac_real__exit(status);
}
