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
 * is 0, fin always, rst never.  A socket another live process still holds is
 * left armed for that process (holders.c); the ledger records that this
 * process released every socket before any is looked at (the tie rule).
 */
#include "state.h"
#include "export.h"
#include "ledger.h"
#include "log.h"
#include "real.h"

#include <stdlib.h>
#include <unistd.h>

void ac_exit_apply(int status)
{
	if (!ac_on())
		return;
	bool disarm = ac_policy_exit_disarms(&ac_policy, status);
	/* Every socket of this process is released from here on: a holder that
	 * closes at the same time must not count on us (holders.c).  Sockets
	 * left armed are not released: a holder keeps counting on us. */
	if (disarm)
		ac_ledger_all_released(atomic_load(&ac_epoch));
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

AC_EXPORT void _exit(int status)
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
