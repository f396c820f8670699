/* mark.c - "this process holds the socket", kept by the kernel: a POSIX
 * read lock on byte 1 of each socket received with SCM_RIGHTS.
 *
 * The problem.  The sender of a socket (Node cluster's primary, any
 * accept-and-dispatch server) asks at its close whether the receiver still
 * holds it.  It does not know the receiver's fd number, so the kernel can
 * only be asked by reading the receiver's whole fd table (/proc/PID/fd,
 * holders.c): O(its fds) per connection.  A Node cluster whose workers kept
 * 1,000 idle keep-alive connections paid 3.1 ms per new connection instead
 * of 0.5 ms (x6; x8 at 4,000).
 *
 * The model.  The receiver takes the read lock when it adopts the socket
 * (arm.c).  The kernel drops a process's POSIX locks on a file when it
 * closes any fd of that file (fs/open.c filp_close -> locks_remove_posix),
 * which covers close, dup2 over it, close_range, the close of a
 * close-on-exec fd at exec, exit and any crash; fork does not pass them on.
 * So a mark of another process, found with F_GETLK, means it still has an
 * fd on the socket: one system call, whatever its number of fds.  No mark
 * proves nothing (a forked child, a program without the library, a
 * receiver that closed one of two fds of it): the search goes on as before.
 * A mark can say "held" only while that is true; a missing one costs the
 * O(fds) look, never data.  A read lock never conflicts with another's
 * read lock, nor with tie.c's turn on another byte (socklock.h).
 *
 * Visible to the program only through F_GETLK on its own sockets or
 * /proc/locks; a program that takes POSIX locks on a socket itself (none
 * known) would meet the mark of the other holder. */
#include "state.h"
#include "socklock.h"

#include <errno.h>

void ac_mark_holding(int fd)
{
	int saved = errno;
	struct flock l;
	ac_socklock(fd, F_SETLK, F_RDLCK, AC_MARK_BYTE, &l);
	AC_ERRNO_RESTORE(saved);
}

long ac_marked_by_other(int fd)
{
	int saved = errno;
	/* Would a write lock of ours conflict?  Only with another process's
	 * lock: our own never conflict with us. */
	struct flock l;
	long r = 0;
	if (ac_socklock(fd, F_GETLK, F_WRLCK, AC_MARK_BYTE, &l) == 0 && l.l_type == F_RDLCK && l.l_pid > 0)
		r = l.l_pid;
	AC_ERRNO_RESTORE(saved);
	return r;
}
