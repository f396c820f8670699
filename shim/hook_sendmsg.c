/* hook_sendmsg.c - sockets handed to another process (SCM_RIGHTS).
 *
 * A TCP socket sent over a UNIX socket is held by the receiver too (once it
 * takes it out of the queue; while in flight the queue itself holds it).  The
 * sender's later close must not disarm it under the receiver: the receiver's
 * pid (SO_PEERCRED of the UNIX socket: the peer of a connected socket, fixed
 * at connect/socketpair time) becomes a candidate holder of that fd
 * (fdtable.h ac_peer_pid, holders.c).  Only messages with control data are
 * looked at: a send without it costs one branch, the data path is unchanged.
 * A peer that cannot be named (unconnected datagram socket) is recorded as
 * -1: the release then cannot be sure and disarms (invariant 1). */
#include "state.h"
#include "export.h"
#include "real.h"

#include <errno.h>
#include <string.h>

static void note_rights(int unix_fd, const struct msghdr *msg)
{
	int32_t peer = 0;
	int saved = errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len < CMSG_LEN(0))
			continue;
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof fd, sizeof fd);
			if (!(ac_get(fd) & AC_F_TCP))
				continue;
			if (peer == 0) { /* once per message */
				struct ucred cred;
				socklen_t len = sizeof cred;
				peer = ac_real_getsockopt(unix_fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
						       cred.pid > 0 ? cred.pid : -1;
			}
			ac_peer_set(fd, peer);
		}
	}
	AC_ERRNO_RESTORE(saved);
}

AC_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	if (AC_UNLIKELY(msg && msg->msg_controllen > 0) && msg->msg_control && ac_on())
		note_rights(fd, msg);
	return ac_real_sendmsg(fd, msg, flags);
}

AC_EXPORT int sendmmsg(int fd, struct mmsghdr *vec, unsigned vlen, int flags)
{
	if (vec && ac_on())
		for (unsigned i = 0; i < vlen; i++)
			if (AC_UNLIKELY(vec[i].msg_hdr.msg_controllen > 0) && vec[i].msg_hdr.msg_control)
				note_rights(fd, &vec[i].msg_hdr);
	return ac_real_sendmmsg(fd, vec, vlen, flags);
}
