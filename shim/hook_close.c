/* hook_close.c - the ways a program ends a connection on purpose: close,
 * shutdown, fclose, close_range, closefrom.
 *
 * glibc's fclose() closes with its internal __close_nocancel and
 * closefrom() with the close_range system call: neither reaches an
 * interposed close(), so each is interposed itself. */
#include "close.h"
#include "state.h"
#include "export.h"
#include "log.h"
#include "real.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <unistd.h>

AC_HOT void ac_close_prepare(int fd, const char *why, struct ac_closing *c)
{
	c->n = 0;
	if (!ac_on())
		return;
	ac_log_fd_closing(fd);
	/* Clear the entry before the real close: once the fd number is free, a
	 * concurrent socket()/accept() may get it and must not meet our state. */
	if (!ac_table_word(fd))
		return; /* fast path: not a socket we know (no locked instruction) */
	ac_closing_begin(c);
	ac_entry e = ac_take(fd);
	if (e)
		ac_closing_add(c, ac_release(fd, e, fd, fd, why));
}

void ac_close_range_prepare(unsigned first, unsigned last, const char *why, struct ac_closing *c)
{
	c->n = 0;
	if (!ac_on())
		return;
	ac_closing_begin(c);
	int max = atomic_load(&ac_max_fd);
	if (max < 0 || first > (unsigned)max) {
		ac_log_range_closing(first, last);
		return;
	}
	unsigned range_last = last;
	if (last > (unsigned)max)
		last = (unsigned)max;
	/* Release every fd first with the whole range counted as closing, so
	 * that dup'd fds inside the range do not keep each other armed; then
	 * clear the entries. */
	for (unsigned fd = first; fd <= last; fd++) {
		ac_entry e = ac_get((int)fd);
		if (e)
			ac_closing_add(c, ac_release((int)fd, e, (int)first, (int)last, why));
	}
	for (unsigned fd = first; fd <= last; fd++)
		if (ac_get((int)fd))
			ac_take((int)fd);
	/* After the releases, whose lines still go to the open log fd: the log
	 * is reopened at the next line after the real close (log.c). */
	ac_log_range_closing(first, range_last);
}

AC_HOT AC_EXPORT int close(int fd)
{
	struct ac_closing c;
	ac_close_prepare(fd, "close", &c);
	int r = ac_real_close(fd);
	ac_close_done(&c); /* keeps errno */
	ac_log_after_close(); /* keeps errno */
	return r;
}

int ac_shutdown(int fd, int how, int (*real_shutdown)(int, int))
{
	if (!ac_on() || !ac_policy_shutdown_disarms(&ac_policy, how))
		return real_shutdown(fd, how);
	ac_entry e = ac_get(fd);
	if (!ac_entry_armed(e) || (e & AC_F_LISTENER))
		return real_shutdown(fd, how);
	/* Disarm before the FIN is queued: an armed socket closed later would
	 * discard the queued data and the FIN (tcp_close with linger 0 sends RST
	 * in FIN_WAIT1 too), and a crash right after shutdown must not lose it. */
	/* The peer's address, for the log line: when the peer closed first, the
	 * last ACK of our FIN can arrive within shutdown() (loopback) and the
	 * socket is CLOSED, without a peer, by the time it returns. */
	struct sockaddr_storage peer;
	socklen_t peer_len = 0;
	if (ac_log_enabled(AC_LEVEL_DEBUG)) {
		int saved = errno;
		peer_len = sizeof peer;
		if (getpeername(fd, (struct sockaddr *)&peer, &peer_len) != 0)
			peer_len = 0;
		AC_ERRNO_RESTORE(saved);
	}
	ac_disarm(fd, e);
	int r = real_shutdown(fd, how);
	if (r != 0) {
		if (!(e & AC_F_GAVE_UP))
			ac_arm(fd); /* ENOTCONN...: nothing was shut down, stay armed */
		return r;
	}
	ac_set(fd, e & ~AC_F_ARMED);
	AC_COUNT(graceful);
	ac_log_fd_peer(AC_LEVEL_DEBUG, fd, "disarmed:shutdown", 0,
		       peer_len ? (struct sockaddr *)&peer : NULL, peer_len);
	return r;
}

AC_EXPORT int shutdown(int fd, int how)
{
	return ac_shutdown(fd, how, ac_real_shutdown);
}

/* fileno() sets EBADF for streams without a descriptor (fmemopen...). */
static int stream_fd(FILE *fp)
{
	int saved = errno, fd = fileno(fp);
	AC_ERRNO_RESTORE(saved);
	return fd;
}

AC_EXPORT int fclose(FILE *fp)
{
	struct ac_closing c = {0};
	if (fp)
		ac_close_prepare(stream_fd(fp), "fclose", &c);
	int r = ac_real_fclose(fp);
	ac_close_done(&c);
	return r;
}

/* freopen(path, ...) closes the stream's descriptor with glibc's internal
 * close first; freopen(NULL, ...) only changes the mode of the same file. */
AC_EXPORT FILE *freopen(const char *path, const char *mode, FILE *fp)
{
	struct ac_closing c = {0};
	if (path && fp)
		ac_close_prepare(stream_fd(fp), "fclose", &c);
	FILE *r = ac_real_freopen(path, mode, fp);
	ac_close_done(&c);
	return r;
}

AC_EXPORT FILE *freopen64(const char *path, const char *mode, FILE *fp)
{
	struct ac_closing c = {0};
	if (path && fp)
		ac_close_prepare(stream_fd(fp), "fclose", &c);
	FILE *r = ac_real_freopen64(path, mode, fp);
	ac_close_done(&c);
	return r;
}

/* CLOSE_RANGE_UNSHARE closes a private copy of the fd table: threads that
 * share the table keep every socket, so nothing may be released. */
bool ac_close_range_unshared_only(int flags)
{
	if (!(flags & CLOSE_RANGE_UNSHARE))
		return false;
	char buf[1024];
	int tasks = 0, saved = errno;
	int dir = (int)ac_sys(SYS_openat, AT_FDCWD, (long)"/proc/self/task",
			      O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, 0, 0);
	if (dir >= 0) {
		long n = ac_sys(SYS_getdents64, dir, (long)buf, sizeof buf, 0, 0, 0);
		for (long off = 0; off < n; off += ((struct dirent64 *)(buf + off))->d_reclen)
			tasks += ((struct dirent64 *)(buf + off))->d_name[0] != '.';
		ac_sys(SYS_close, dir, 0, 0, 0, 0, 0);
	}
	AC_ERRNO_RESTORE(saved);
	return tasks > 1; /* unknown: one task, release (invariant 1) */
}

AC_EXPORT int close_range(unsigned first, unsigned last, int flags)
{
	/* CLOSE_RANGE_CLOEXEC only marks the fds: the exec will close them (and
	 * hook_exec.c handles that).  Unknown flags fail with EINVAL. */
	struct ac_closing c = {0};
	if (first <= last && !(flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) &&
	    !(flags & CLOSE_RANGE_CLOEXEC) && !ac_close_range_unshared_only(flags))
		ac_close_range_prepare(first, last, "close_range", &c);
	int r = ac_real_close_range(first, last, flags);
	ac_close_done(&c);
	ac_log_after_close();
	return r;
}

AC_EXPORT void closefrom(int lowfd)
{
	struct ac_closing c;
	ac_close_range_prepare(lowfd < 0 ? 0u : (unsigned)lowfd, ~0u, "closefrom", &c);
	ac_real_closefrom(lowfd);
	ac_close_done(&c);
	ac_log_after_close();
}
