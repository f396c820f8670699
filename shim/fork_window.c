/* fork_window.c - an fd the kernel made while another thread forked.
 *
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
 * have saturated (about 10^6 forks, fork.c; README, limits). */
#include "state.h"
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

static int child_has_it(ac_slot c, unsigned born_at, void *ctx)
{
	struct window *w = ctx;
	struct ac_lview v;
	(void)born_at;
	if (!ac_ledger_read(c, &v) || v.pid <= 0)
		return 1; /* reused, or a fork still in progress: cannot tell */
	return ac_procfd_holds_at(w->my_pid, v.pid, w->fd, w->ino) != AC_PROC_NO;
}

void ac_made_during_fork(int fd, unsigned before, unsigned now, const char *event)
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
		unsigned ep = before & AC_EPOCH_BITS, busy = before / AC_FORKING_ONE;
		unsigned lo = ep + 1 > 2 * busy ? ep + 1 - 2 * busy : 1;
		w.ino = st.st_ino;
		give_up = ac_ledger_each_child(me, lo, now, child_has_it, &w) != 0;
	}
	if (give_up)
		ac_give_up(fd, e, event, 0);
	AC_ERRNO_RESTORE(saved);
}
