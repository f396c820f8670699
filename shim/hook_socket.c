/* hook_socket.c - where sockets begin: socket, listen, accept, accept4,
 * connect.
 *
 * Without filters a TCP socket is armed at socket() (it may become a client).
 * A listener is never armed: listen() gives it the program's own linger back
 * before the real listen(), so no connection can be queued on it with {1,0}.
 * The kernel copies SO_LINGER from a listener into each connection when its
 * handshake completes (inet_csk_clone_lock copies the socket): an armed
 * listener would hand {1,0} to every connection queued on it, and a program
 * that receives the listener without the library (socket activation, exec,
 * SCM_RIGHTS) would then abort each of its normal closes.  So every accepted
 * connection is armed explicitly: one setsockopt per accept().  With
 * ABORTCLOSE_PORTS/ROLES the decision waits until the port and role are
 * known: listen() for servers, connect() for clients.
 */
#include "state.h"
#include "keepalive.h"
#include "export.h"
#include "log.h"
#include "real.h"

#include <errno.h>

static bool filtered(void)
{
	return ac_policy.ports_filtered || ac_policy.roles != AC_ROLE_ALL;
}

#define MADE_BY_SOCKET "gave-up:forked-while-creating-it"
#define MADE_BY_ACCEPT "gave-up:forked-while-accepting-it"

AC_EXPORT int socket(int domain, int type, int protocol)
{
	ac_epoch before = ac_epoch_raw();
	int fd = ac_real_socket(domain, type, protocol);
	if (fd < 0 || !ac_on() || !ac_fd_in_table(fd))
		return fd;
	ac_keepalive_forget(fd); /* options of an earlier socket with this number */
	if (!ac_policy_is_tcp(domain, type, protocol)) {
		ac_set_made(fd, ac_entry_new(AC_F_KNOWN), before, MADE_BY_SOCKET); /* replaces any stale entry */
		return fd;
	}
	ac_entry e = ac_entry_new(AC_F_KNOWN | AC_F_TCP);
	if (filtered()) {
		ac_set_made(fd, e, before, MADE_BY_SOCKET);
		return fd;
	}
	e |= AC_F_DECIDED | AC_F_MANAGED;
	if (ac_arm(fd))
		e |= AC_F_ARMED;
	ac_set_made(fd, e, before, MADE_BY_SOCKET);
	/* Not counted or logged yet: the socket may become a listener (not a
	 * connection) and has no addresses.  connect() counts and logs it. */
	return fd;
}

/* The entry of fd, classifying it first if the library never saw it. */
static ac_entry entry_of(int fd)
{
	ac_entry e = ac_get(fd);
	if (!e) {
		e = ac_classify(fd, 0);
		if (e)
			ac_set(fd, e);
		ac_keepalive_forget(fd);
	}
	return e;
}

AC_EXPORT int listen(int fd, int backlog)
{
	if (!ac_on() || !ac_fd_in_table(fd))
		return ac_real_listen(fd, backlog);
	ac_entry e = entry_of(fd);
	if (!(e & AC_F_TCP) || (e & AC_F_LISTENER))
		return ac_real_listen(fd, backlog);
	e |= AC_F_LISTENER;
	if (!(e & AC_F_DECIDED)) {
		/* The port may only be chosen by listen() itself (no bind). */
		int r = ac_real_listen(fd, backlog);
		if (r == 0) {
			int saved = errno;
			/* Options set just after listen() still reach every
			 * connection whose handshake completes afterwards. */
			if (ac_decide(fd, e, AC_F_ACCEPTED, 0) & AC_F_MANAGED)
				ac_keepalive_apply(fd);
			AC_ERRNO_RESTORE(saved);
		}
		return r;
	}
	/* Never a listener armed (see the top): the program's own value back
	 * before the real listen(), when nothing can be queued on it yet. */
	if (e & AC_F_ARMED) {
		ac_disarm(fd, e);
		e &= ~AC_F_ARMED;
	}
	ac_set(fd, e);
	if (e & AC_F_MANAGED)
		ac_keepalive_apply(fd); /* copied into each accepted connection */
	return ac_real_listen(fd, backlog);
}

static int accepted(int lfd, int fd, ac_epoch before)
{
	if (fd < 0 || !ac_on())
		return fd;
	if (!ac_fd_in_table(fd))
		return fd; /* beyond the table (limit raised after load): untouched */
	ac_entry l = ac_get(lfd);
	if (!l) {
		l = ac_classify(lfd, 0);
		ac_keepalive_forget(lfd);
		if (l & AC_F_TCP)
			l = ac_decide(lfd, l | AC_F_LISTENER, AC_F_ACCEPTED, 0);
		else if (l)
			ac_set(lfd, l);
		/* A listener never seen before: from now on its connections
		 * get the options (the ones already queued do not). */
		if (l & AC_F_MANAGED)
			ac_keepalive_adopt(lfd);
	}
	/* The kernel copied the listener's options into the connection: it
	 * shares the listener's view, no system call. */
	ac_keepalive_copy(lfd, fd);
	if (!(l & AC_F_TCP)) {
		ac_set_made(fd, l ? ac_entry_new(AC_F_KNOWN) : 0, before, MADE_BY_ACCEPT);
		return fd;
	}
	/* The connection inherits the listener's linger, so also the program's view. */
	ac_entry e = ac_entry_new(AC_F_KNOWN | AC_F_TCP | AC_F_DECIDED | AC_F_ACCEPTED) |
		     (l & (AC_F_USER_ON | AC_LINGER_MASK));
	ac_linger_copy(lfd, fd, l);
	if (l & AC_F_MANAGED) {
		e |= AC_F_MANAGED;
		/* The one extra system call of the accept path. */
		if (ac_arm(fd))
			e |= AC_F_ARMED;
	}
	ac_set_made(fd, e, before, MADE_BY_ACCEPT);
	if (e & AC_F_ARMED) {
		AC_COUNT(armed);
		ac_log_fd(AC_LEVEL_DEBUG, fd, "armed", 0);
	} else if (!(e & AC_F_MANAGED)) {
		AC_COUNT(skipped);
	}
	return fd;
}

AC_EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	ac_epoch before = ac_epoch_raw();
	return accepted(fd, ac_real_accept(fd, addr, len), before);
}

AC_EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	ac_epoch before = ac_epoch_raw();
	return accepted(fd, ac_real_accept4(fd, addr, len, flags), before);
}

AC_EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	const char *event = NULL;
	if (ac_on() && ac_fd_in_table(fd)) {
		ac_entry e = entry_of(fd);
		if ((e & AC_F_TCP) && !(e & AC_F_LISTENER) && !(e & AC_F_CONNECTED)) {
			if (!(e & AC_F_DECIDED)) {
				unsigned port = ac_sockaddr_port(addr, len);
				if (port && (ac_decide_quiet(fd, e, AC_F_CONNECTED, port, &event) & AC_F_MANAGED))
					ac_keepalive_apply(fd);
			} else {
				if ((e & AC_F_MANAGED) && !(e & (AC_F_ARMED | AC_F_GAVE_UP)) && ac_arm(fd))
					e |= AC_F_ARMED; /* e.g. made before the library loaded */
				/* Armed at socket(): it becomes a connection now
				 * (given up: disarmed, whatever the flag says). */
				if (ac_entry_armed(e) && !(e & AC_F_GAVE_UP)) {
					AC_COUNT(armed);
					event = "armed";
				}
				ac_set(fd, e | AC_F_CONNECTED);
				if (e & AC_F_MANAGED)
					ac_keepalive_apply(fd); /* before the handshake */
			}
		}
	}
	int r = ac_real_connect(fd, addr, len);
	if (event) {
		/* After the real connect() the local address exists; the remote
		 * one is the argument (a non-blocking connect has no peer yet). */
		int saved = errno;
		ac_log_fd_peer(AC_LEVEL_DEBUG, fd, event, 0, addr, len);
		AC_ERRNO_RESTORE(saved);
	}
	return r;
}
