/* hook_dup.c - duplicated descriptors: dup, dup2, dup3, fcntl(F_DUPFD,
 * F_DUPFD_CLOEXEC).
 *
 * Both fds name one socket, so they share its entry and are marked ALIASED:
 * closing one of them is not the end of the connection (the kernel sends
 * nothing), closing the last one is.  dup2/dup3 onto an fd silently close
 * what that fd held: when it was the last reference to an armed socket that
 * is a purposeful close, and it is disarmed first. */
#include "close.h"
#include "state.h"
#include "keepalive.h"
#include "export.h"
#include "real.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>

static int duplicated(int oldfd, int newfd)
{
	if (newfd < 0 || !ac_on() || !ac_fd_in_table(newfd))
		return newfd;
	ac_entry e = ac_get(oldfd);
	if (e & AC_F_TCP) {
		/* Inode first, then the mark (fdtable.h): one fstat per dup. */
		uint32_t ino = ac_alias_get(oldfd);
		if (!(e & AC_F_ALIASED) || !ino)
			ino = ac_alias_note(oldfd);
		ac_alias_set(newfd, ino);
		e |= AC_F_ALIASED;
		ac_set(oldfd, e);
	}
	ac_linger_copy(oldfd, newfd, e);
	ac_set(newfd, e);
	ac_keepalive_copy(oldfd, newfd); /* one socket, one set of options */
	return newfd;
}

AC_EXPORT int dup(int fd)
{
	return duplicated(fd, ac_real_dup(fd));
}

/* The implicit close of newfd by dup2/dup3; returns the entry it had. */
static ac_entry implicit_close(int oldfd, int newfd, struct ac_closing *c)
{
	c->n = 0;
	if (!ac_on() || !ac_fd_in_table(newfd) || oldfd == newfd)
		return 0;
	ac_entry e = ac_get(newfd);
	if (!ac_entry_armed(e))
		return e;
	/* If oldfd is not open, dup2 fails with EBADF and closes nothing. */
	int saved = errno;
	bool valid = ac_real_fcntl(oldfd, F_GETFD, 0) >= 0;
	AC_ERRNO_RESTORE(saved);
	ac_closing_begin(c);
	if (valid)
		ac_closing_add(c, ac_release(newfd, e, newfd, newfd, "dup2"));
	return e;
}

/* dup2/dup3 failed: newfd still holds its socket, armed as before. */
static void undo_implicit_close(int newfd, ac_entry e)
{
	if (ac_entry_armed(e) && !(e & AC_F_GAVE_UP) && ac_get(newfd) == e) {
		ac_tie_undo(newfd); /* a lock of tie.c that the close would have dropped */
		ac_arm(newfd);
	}
}

AC_EXPORT int dup2(int oldfd, int newfd)
{
	struct ac_closing c;
	ac_entry old = implicit_close(oldfd, newfd, &c);
	int r = ac_real_dup2(oldfd, newfd);
	if (r < 0) {
		int saved = errno;
		undo_implicit_close(newfd, old);
		AC_ERRNO_RESTORE(saved);
		return r;
	}
	ac_close_done(&c);
	return oldfd == newfd ? r : duplicated(oldfd, r);
}

AC_EXPORT int dup3(int oldfd, int newfd, int flags)
{
	struct ac_closing c;
	ac_entry old = implicit_close(oldfd, newfd, &c);
	int r = ac_real_dup3(oldfd, newfd, flags);
	if (r < 0) {
		int saved = errno;
		undo_implicit_close(newfd, old);
		AC_ERRNO_RESTORE(saved);
		return r;
	}
	ac_close_done(&c);
	return duplicated(oldfd, r);
}

static int fcntl_common(int fd, int cmd, void *arg, int (*real)(int, int, void *))
{
	int r = real(fd, cmd, arg);
	if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
		return duplicated(fd, r);
	return r;
}

/* fcntl's third argument is an int or a pointer depending on cmd; reading it
 * as a pointer-sized value and passing it on is what glibc itself does. */
AC_EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_common(fd, cmd, arg, ac_real_fcntl);
}

AC_EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_common(fd, cmd, arg, ac_real_fcntl64);
}
