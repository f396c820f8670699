/* fork_window.c - an fd the kernel made, or closed, while another thread
 * forked.
 *
 * Made.
 * The kernel makes an fd inside a system call (accept, socket, recvmsg with
 * SCM_RIGHTS), and the library stores its entry after that call.  A fork on
 * another thread in between copies the fd into the child but not the entry.
 * That child would close the socket as one it knows nothing of: if its
 * close is the last holder's (the parent crashed, or the parent's close left
 * the socket armed because the child holds it), it sends RST where the
 * close was graceful (invariant 1).  So after storing the entry, if the
 * epoch moved since before the system call, or a fork was in progress then
 * (every fork is counted in progress before it takes its epochs and until
 * the kernel has copied the process, fork.c), the children born in that
 * window are asked, through the kernel, whether they hold the fd at its
 * number (kcmp: one system call each; a child forked while the call was
 * still waiting holds something else there, or nothing).  If one does, or
 * it cannot be told, the socket's protection is given up: disarmed, one
 * info line.  A single-threaded program never forks inside its own accept:
 * for it this is one relaxed load per call.  Not seen: forks once the epochs
 * have saturated (after 2^43 forks of one process, state.h).
 *
 * Closed.  The kernel copies the fd table (copy_files) before the memory
 * (copy_mm, page by page), and other threads run in between.  A close of fd
 * N there leaves N in the child; its table word stays until the next fork
 * (fdtable.c), but another thread may get the number N back for a new fd and
 * write that fd's entry before the memory is copied (seen in the forking
 * stress test: an accepted socket given up and shut down at N, so an unarmed
 * entry).  The child then holds the old socket at N under another socket's
 * entry, and if it was the last holder its graceful close sent RST.  That
 * matters only when the socket lives on, armed, after the close: here, when
 * another fd of this process holds it (dup) - the parent's close of that fd
 * later finds the child holding it.  So when a close that an alias kept armed
 * meets a fork (close.h, ac_close_done), the socket is given up at every fd
 * of ours that holds it.  When another process is what keeps it armed, the
 * holder search gives up if a fork is in progress at its end (holders.c); a
 * fork that begins after it and before the kernel's close is not covered:
 * no fd is left to disarm with (README, limits). */
#include "state.h"
#include "close.h"
#include "ledger.h"
#include "procfd.h"
#include "real.h"

#include <errno.h>
#include <sys/stat.h>

struct window {
	long my_pid;
	int fd;
	unsigned long ino;
};

static int child_has_it(ac_slot c, ac_epoch born_at, void *ctx)
{
	struct window *w = ctx;
	struct ac_lview v;
	(void)born_at;
	if (!ac_ledger_read(c, &v) || v.pid <= 0)
		return 1; /* reused, or a fork still in progress: cannot tell */
	return ac_procfd_holds_at(w->my_pid, v.pid, w->fd, w->ino) != AC_PROC_NO;
}

void ac_made_during_fork(int fd, ac_epoch before, ac_epoch now, const char *event)
{
	ac_entry e = ac_get(fd);
	/* Armed now, or to be armed by its connect() (ABORTCLOSE_PORTS/ROLES
	 * decide there): either way the child would not know. */
	if (!(e & AC_F_TCP) || (e & (AC_F_LISTENER | AC_F_GAVE_UP)) || ((e & AC_F_DECIDED) && !ac_entry_armed(e)))
		return;
	int saved = errno;
	struct stat st;
	struct window w = { ac_ledger_pid(), fd, 0 };
	ac_slot me = ac_ledger_self();
	bool give_up = !me || ac_fstat(fd, &st) != 0;
	if (!give_up) {
		/* The forks begun since, and those in progress then: each took
		 * two epochs, the child's first (fork.c). */
		ac_epoch ep = before & AC_EPOCH_BITS, busy = before / AC_FORKING_ONE;
		ac_epoch lo = ep + 1 > 2 * busy ? ep + 1 - 2 * busy : 1;
		w.ino = st.st_ino;
		give_up = ac_ledger_each_child(me, lo, now, child_has_it, &w) != 0;
	}
	if (give_up)
		ac_give_up(fd, e, event, 0);
	AC_ERRNO_RESTORE(saved);
}

#define CLOSED_EVENT "gave-up:forked-while-closing-a-dup-of-it"

/* Another thread closing this very fd meanwhile may see its entry written
 * back (ac_give_up's store): a socket made at that number replaces it, and
 * at worst its release disarms what an unseen call put there - protection
 * lost, never data. */
static int give_up_alias(int fd, ac_entry e, void *ctx)
{
	(void)ctx;
	if (ac_entry_armed(e) && !(e & AC_F_GAVE_UP))
		ac_give_up(fd, e, CLOSED_EVENT, 0);
	return 0; /* every fd of it */
}

void ac_closed_during_fork(const struct ac_closing *c)
{
	int saved = errno;
	bool any = c->n > AC_CLOSING_MAX; /* more than were noted */
	for (unsigned i = 0; i < c->n && !any; i++)
		any = c->ino[i] == AC_INO_UNKNOWN;
	if (any) {
		/* Which sockets is not known: every aliased one. */
		int max = atomic_load(&ac_max_fd);
		for (int fd = 0; fd <= max; fd++) {
			ac_entry e = ac_get(fd);
			if (e & AC_F_ALIASED)
				give_up_alias(fd, e, NULL);
		}
	} else {
		for (unsigned i = 0; i < c->n; i++)
			ac_each_alias_of(c->ino[i], -1, give_up_alias, NULL);
	}
	AC_ERRNO_RESTORE(saved);
}
