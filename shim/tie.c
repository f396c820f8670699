/* tie.c - two holders of one socket in different fork trees, closing it at
 * the same instant.
 *
 * The problem.  holders.c asks "does another process still hold this
 * socket?" before a close disarms it.  Within one fork tree the ledger
 * settles a tie: each holder writes its release record before it looks, so
 * of two closing at once at least one sees the other's record and disarms.
 * A holder in another tree - a process that exec'd since (its records go to
 * the ledger of its new program), an SCM_RIGHTS peer, the parent of a
 * process that came from outside - writes where we cannot read.  Both may
 * then see the other still holding the socket in the kernel, both keep it
 * armed, and the last close sends RST after a graceful end: data lost
 * (test/fdpaths/tie.sh, before this module and with the debug log widening
 * the window: 68-131 of 200 simultaneous closes, 27-59 of 60 against an
 * exec).
 *
 * The model: let the kernel make them take turns.  A release that found
 * such a holder takes a POSIX record lock on the socket (fcntl F_SETLK, a
 * write lock on byte 0, socklock.h), asks the kernel again
 * about that holder, and decides.  A POSIX lock belongs to the process, so
 * the two holders exclude each other although they share one open file
 * description (flock and OFD locks belong to the description: both would
 * "own" them).  The kernel drops the lock in the close itself
 * (fs/open.c filp_close -> locks_remove_posix), after it has taken the fd
 * out of the table (fs/file.c file_close_fd): so the second holder, once it
 * has the lock, sees the first one gone and disarms: FIN, every byte.
 *
 * Waiting: the other holder's turn is its own holder question and close, a
 * few microseconds.  At most WAIT_TRIES x WAIT_NS of retries (nanosleep,
 * raw, no cancellation point); after that, or when the lock cannot be taken
 * at all (ENOLCK...), the socket is disarmed (invariant 1: never RST after
 * a graceful end) with one info line: gave-up:tie-...  A process that takes
 * the lock at exit keeps it until the kernel closes its fds, so a holder
 * closing then may wait its time out and disarm: protection lost, never
 * data; the same for a release before an exec, whose lock the kernel drops
 * when the exec closes the fd (a failed exec or dup2 gives it back,
 * ac_tie_undo).  A holder without the library takes no lock: nothing
 * changes for it.
 *
 * Only this rare path takes the lock.  It is the kernel's, an arbiter
 * between two processes, not a lock of the library's memory: taken with
 * F_SETLK, which never blocks, and waited for only as above, so it cannot
 * deadlock a signal handler, another thread or a forked child (POSIX locks
 * are not inherited by fork; two threads of one process share the owner).
 * Async-signal-safe (fcntl, nanosleep); errno kept. */
#include "state.h"
#include "log.h"
#include "socklock.h"

#include <errno.h>
#include <time.h>

#define WAIT_TRIES 100
#define WAIT_NS 20000L /* 20 us: with the default timer slack, about 2-7 ms in all */

/* 1: ours; 0: another process kept it for the whole wait; -1: no lock. */
static int take_turn(int fd)
{
	struct flock l;
	for (int i = 0;; i++) {
		if (ac_socklock(fd, F_SETLK, F_WRLCK, AC_TURN_BYTE, &l) == 0)
			return 1;
		/* Linux answers a conflict with EAGAIN (fs/locks.c
		 * posix_lock_inode); EACCES would be a security module's no. */
		if (errno != EAGAIN)
			return -1;
		if (i == WAIT_TRIES)
			return 0;
		struct timespec ts = {0, WAIT_NS};
		ac_sys(SYS_nanosleep, (long)&ts, 0, 0, 0, 0, 0);
	}
}

int ac_settle_tie(int fd, ac_entry e, int pid)
{
	int saved = errno;
	int turn = take_turn(fd);
	int r = -1;
	if (turn <= 0) {
		if (ac_log_enabled(AC_LEVEL_INFO))
			ac_log_fd(AC_LEVEL_INFO, fd, turn == 0 ? "gave-up:tie-wait-too-long-pid-" : "gave-up:tie-lock-failed-pid-",
				  pid);
		goto out;
	}
	/* Ours until our close: the kernel's answer now is the answer (a
	 * receiver's mark first: mark.c). */
	long marked = ac_marked_by_other(fd);
	if (marked > 0) {
		r = (int)marked;
		goto out;
	}
	switch (ac_still_holds(fd, e, pid)) {
	case 1:
		r = pid;
		break;
	case 0: {
		/* That one let go meanwhile: anyone else?  (Under the lock too.) */
		bool cross;
		r = ac_find_other_holder(fd, e, &cross);
		break;
	}
	default:
		if (ac_log_enabled(AC_LEVEL_INFO))
			ac_log_fd(AC_LEVEL_INFO, fd, "gave-up:tie-holder-unreadable-pid-", pid);
		break;
	}
out:
	AC_ERRNO_RESTORE(saved);
	return r;
}

void ac_tie_undo(int fd)
{
	int saved = errno;
	struct flock l;
	ac_socklock(fd, F_SETLK, F_UNLCK, AC_TURN_BYTE, &l);
	AC_ERRNO_RESTORE(saved);
}
