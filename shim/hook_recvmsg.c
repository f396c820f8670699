/* hook_recvmsg.c - sockets received over a UNIX socket (SCM_RIGHTS).
 *
 * A received TCP socket is adopted and armed; the sender (SO_PEERCRED of the
 * UNIX socket, read once per message with rights) is recorded as the other
 * candidate holder (holders.c).  When the sender cannot be named, the socket
 * is treated like an inherited one (epoch 0).  The control data is only
 * looked at when the kernel returned some (msg_controllen > 0): the data path
 * costs one relaxed load (the fork epoch word, read before the call).
 *
 * The kernel installs a received fd during recvmsg (scm_detach_fds), before
 * the library has its entry: a fork on another thread in between gives the
 * child the fd, armed by the sender's library, without it (fork_window.c;
 * one epoch read before the call and one after the adoption). */
#include "state.h"
#include "export.h"
#include "log.h"
#include "real.h"

#include <errno.h>
#include <string.h>

static long sender_of(int unix_fd)
{
	struct ucred cred;
	socklen_t len = sizeof cred;
	int saved = errno;
	long pid = ac_real_getsockopt(unix_fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.pid > 0 ? cred.pid : 0;
	AC_ERRNO_RESTORE(saved);
	return pid;
}

/* The fds of msg's SCM_RIGHTS messages, one by one: *i from 0, -1 at the end. */
static int next_right(struct msghdr *msg, struct cmsghdr **c, size_t *i)
{
	for (; *c; *c = CMSG_NXTHDR(msg, *c), *i = 0) {
		if ((*c)->cmsg_level != SOL_SOCKET || (*c)->cmsg_type != SCM_RIGHTS)
			continue;
		if (*i < ((*c)->cmsg_len - CMSG_LEN(0)) / sizeof(int)) {
			int fd;
			memcpy(&fd, CMSG_DATA(*c) + (*i)++ * sizeof fd, sizeof fd);
			return fd;
		}
	}
	return -1;
}

static void adopt_rights(int unix_fd, struct msghdr *msg, ac_epoch before)
{
	if (!msg || !msg->msg_control || msg->msg_controllen == 0)
		return;
	long sender = -1;
	struct cmsghdr *c = CMSG_FIRSTHDR(msg);
	size_t i = 0;
	for (int fd; (fd = next_right(msg, &c, &i)) >= 0;) {
		if (sender < 0)
			sender = sender_of(unix_fd);
		ac_adopt_received(fd, sender);
	}
	ac_epoch word = ac_forked_since(before);
	if (AC_LIKELY(!word))
		return;
	c = CMSG_FIRSTHDR(msg);
	i = 0;
	for (int fd; (fd = next_right(msg, &c, &i)) >= 0;)
		ac_made_during_fork(fd, before, word & AC_EPOCH_BITS, "gave-up:forked-while-receiving-it");
}

AC_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	ac_epoch before = ac_epoch_raw();
	ssize_t r = ac_real_recvmsg(fd, msg, flags);
	if (r >= 0 && ac_on() && msg && msg->msg_controllen > 0)
		adopt_rights(fd, msg, before);
	return r;
}

AC_EXPORT int recvmmsg(int fd, struct mmsghdr *vec, unsigned vlen, int flags, struct timespec *tmo)
{
	ac_epoch before = ac_epoch_raw();
	int r = ac_real_recvmmsg(fd, vec, vlen, flags, tmo);
	if (r > 0 && ac_on())
		for (int i = 0; i < r; i++)
			if (vec[i].msg_hdr.msg_controllen > 0)
				adopt_rights(fd, &vec[i].msg_hdr, before);
	return r;
}
