/* arm.c - arming, disarming and releasing one socket.
 *
 * Arming = SO_LINGER {l_onoff=1, l_linger=0}: when the last reference to the
 * socket is closed, however that happens (close, exit, kill -9), the kernel
 * aborts the connection with RST instead of the orderly FIN (RFC 793 "abort";
 * Linux tcp_close(): "sk->sk_lingertime == 0 -> tcp_disconnect -> send active
 * reset").  Disarming restores what the program itself set (default {0,0})
 * just before a close the program made on purpose, so that close is graceful.
 */
#include "state.h"
#include "keepalive.h"
#include "ledger.h"
#include "log.h"
#include "real.h"

#include <errno.h>
#include <netinet/in.h>
#include <sys/stat.h>

AC_HOT ac_entry ac_entry_new(ac_entry flags)
{
	ac_epoch ep = ac_epoch_now();
	return ac_entry_with_epoch(flags, ep);
}

AC_HOT bool ac_arm(int fd)
{
	static const struct linger abort_on_close = {1, 0};
	int saved = errno;
	bool ok = ac_real_setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close,
				     sizeof abort_on_close) == 0;
	AC_ERRNO_RESTORE(saved);
	return ok;
}

AC_HOT void ac_disarm(int fd, ac_entry e)
{
	struct linger own = {(e & AC_F_USER_ON) ? 1 : 0, ac_entry_linger(fd, e)};
	/* A program that asked for {1,0} itself wants its close to abort. */
	if (own.l_onoff && own.l_linger == 0)
		return;
	int saved = errno;
	ac_real_setsockopt(fd, SOL_SOCKET, SO_LINGER, &own, sizeof own);
	AC_ERRNO_RESTORE(saved);
}

void ac_give_up(int fd, ac_entry e, const char *event, long num)
{
	if (ac_entry_armed(e))
		ac_disarm(fd, e);
	/* AC_F_ARMED stays: it also tells this process's release, and every
	 * child's that inherits the entry, to write its release record and ask
	 * for the other holders, which the other processes' decisions count on
	 * (holders.c).  Without it (tried) a child's graceful close sent RST
	 * in the forking stress test, 4 runs in 5. */
	ac_set(fd, e | AC_F_GAVE_UP);
	ac_log_fd(AC_LEVEL_INFO, fd, event, num);
}

unsigned ac_sockaddr_port(const struct sockaddr *sa, socklen_t len)
{
	if (!sa)
		return 0;
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in))
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6))
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return 0;
}

ac_entry ac_classify(int fd, ac_epoch epoch)
{
	int saved = errno, domain = 0, type = 0, proto = 0, listening = 0;
	socklen_t len = sizeof domain;
	ac_entry e = 0;

	if (ac_real_getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0)
		goto out; /* ENOTSOCK, EBADF: nothing of ours */
	e = ac_entry_with_epoch(AC_F_KNOWN, epoch);
	len = sizeof type;
	if (ac_real_getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0)
		goto out;
	len = sizeof proto;
	if (ac_real_getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) != 0)
		goto out;
	if (!ac_policy_is_tcp(domain, type, proto))
		goto out;
	e |= AC_F_TCP;
	len = sizeof listening;
	if (ac_real_getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 && listening)
		e |= AC_F_LISTENER;
	/* The program's view of linger.  {1,0} on a socket we did not see made is
	 * taken to be an arming by a parent process under this library (exec keeps
	 * SO_LINGER): the program's own value is then the default {0,0}. */
	struct linger l = {0, 0};
	len = sizeof l;
	if (ac_real_getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len) == 0 && l.l_onoff) {
		if (l.l_linger == 0)
			e |= AC_F_ARMED;
		else
			e = ac_entry_with_user_linger(fd, e, 1, l.l_linger);
	}
out:
	AC_ERRNO_RESTORE(saved);
	return e;
}

ac_entry ac_decide(int fd, ac_entry e, ac_entry role, unsigned port)
{
	const char *event = NULL;
	e = ac_decide_quiet(fd, e, role, port, &event);
	if (event)
		ac_log_fd(AC_LEVEL_DEBUG, fd, event, 0);
	return e;
}

ac_entry ac_decide_quiet(int fd, ac_entry e, ac_entry role, unsigned port, const char **event)
{
	unsigned role_bit = role == AC_F_CONNECTED ? AC_ROLE_CONNECTED : AC_ROLE_ACCEPTED;
	e |= AC_F_DECIDED | role;
	if (ac_peer_get(fd)) /* a new socket on this fd: no hand-over yet */
		ac_peer_set(fd, 0); /* (no write otherwise: no copy-on-write fault after a fork) */
	if (ac_policy.ports_filtered && port == 0) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		int saved = errno;
		int r = role == AC_F_CONNECTED ? getpeername(fd, (struct sockaddr *)&ss, &len)
					       : getsockname(fd, (struct sockaddr *)&ss, &len);
		AC_ERRNO_RESTORE(saved);
		if (r == 0)
			port = ac_sockaddr_port((struct sockaddr *)&ss, len);
	}
	bool managed = ac_policy_role_managed(&ac_policy, role_bit) &&
		       (!ac_policy.ports_filtered || ac_policy_port_managed(&ac_policy, port));
	if (!managed) {
		/* Left exactly as the program made it: if an earlier arming (inherited)
		 * is on it, give the program its own value back. */
		if (e & AC_F_ARMED)
			ac_disarm(fd, e);
		e &= ~(AC_F_MANAGED | AC_F_ARMED);
		ac_set(fd, e);
		/* The stats count connections: a listener's are counted as they
		 * are accepted (hook_socket.c accepted()). */
		if (!(e & AC_F_LISTENER))
			AC_COUNT(skipped);
		*event = ac_policy_role_managed(&ac_policy, role_bit) ? "skipped:port" : "skipped:role";
		return e;
	}
	e |= AC_F_MANAGED;
	if (e & AC_F_LISTENER) {
		/* A listener is never armed (hook_socket.c): one inherited armed
		 * (from an older library) gets the program's value back. */
		if (e & AC_F_ARMED)
			ac_disarm(fd, e);
		e &= ~AC_F_ARMED;
	} else if (!(e & (AC_F_ARMED | AC_F_GAVE_UP)) && ac_arm(fd)) {
		e |= AC_F_ARMED;
	}
	ac_set(fd, e);
	*event = NULL;
	if ((e & AC_F_ARMED) && !(e & AC_F_LISTENER)) {
		AC_COUNT(armed);
		*event = "armed";
	}
	return e;
}

static void adopt(int fd, const char *event, ac_epoch epoch, long sender)
{
	if (!ac_fd_in_table(fd))
		return;
	ac_entry e = ac_classify(fd, epoch);
	ac_keepalive_forget(fd);
	if (!(e & AC_F_TCP)) {
		ac_set(fd, e); /* what it is, or 0: no stale entry survives */
		return;
	}
	/* Taken as server side (inetd, systemd, a handed-over connection): the
	 * filter port is the local one.  inetd passes one socket as fds 0, 1 and
	 * 2, and a received fd may be a second fd of a socket we hold: each may
	 * alias another, so the close of one looks for the others. */
	uint32_t ino = ac_alias_note(fd);
	ac_ledger_unreleased(ino); /* held again (a socket we had sent away) */
	e = ac_decide(fd, e | AC_F_ALIASED, AC_F_ACCEPTED, 0);
	if (sender)
		ac_peer_set(fd, (int32_t)sender);
	if (e & AC_F_MANAGED) {
		ac_log_fd(AC_LEVEL_DEBUG, fd, event, 0);
		ac_keepalive_adopt(fd);
	}
}

void ac_adopt(int fd, const char *event)
{
	adopt(fd, event, 0, 0);
}

void ac_adopt_received(int fd, long sender)
{
	/* With the sender known, the socket is this process's from now on
	 * (current epoch) and the sender is the other candidate holder; without
	 * it, epoch 0: treated like an inherited socket, as before. */
	ac_epoch ep = sender > 0 ? ac_epoch_now() : 0;
	adopt(fd, "adopted:received", ep, sender > 0 ? sender : 0);
	/* The sender's close can then see that we hold it without reading our
	 * fd table (mark.c). */
	if (ac_get(fd) & AC_F_MANAGED)
		ac_mark_holding(fd);
}

/* Sockets live on sockfs, which numbers its inodes with a 32-bit counter:
 * the low 32 bits name a socket, and S_ISSOCK rules out the rest. */
int ac_each_alias_of(uint32_t ino, int except, int (*visit)(int other, ac_entry o, void *ctx), void *ctx)
{
	struct stat other;
	int saved = errno, r = 0;
	int max = atomic_load_explicit(&ac_max_fd, memory_order_relaxed);
	for (int i = 0; i <= max && !r; i++) {
		if (i == except || ac_alias_get(i) != ino)
			continue; /* memory only: most fds are ruled out here */
		ac_entry o = ac_get(i);
		if ((o & AC_F_ALIASED) && ac_fstat(i, &other) == 0 && S_ISSOCK(other.st_mode) &&
		    (uint32_t)other.st_ino == ino)
			r = visit(i, o, ctx);
	}
	AC_ERRNO_RESTORE(saved);
	return r;
}

int ac_each_alias(int fd, int (*visit)(int other, ac_entry o, void *ctx), void *ctx)
{
	struct stat me;
	int saved = errno;
	int r = ac_fstat(fd, &me) == 0 ? ac_each_alias_of((uint32_t)me.st_ino, fd, visit, ctx) : 0;
	AC_ERRNO_RESTORE(saved);
	return r;
}

struct skip_range { int lo, hi; };

static int outside_range(int other, ac_entry o, void *ctx)
{
	const struct skip_range *skip = ctx;
	(void)o;
	return other < skip->lo || other > skip->hi;
}

AC_HOT bool ac_has_alias(int fd, ac_entry e, int skip_lo, int skip_hi)
{
	struct skip_range skip = {skip_lo, skip_hi};
	return (e & AC_F_ALIASED) && ac_each_alias(fd, outside_range, &skip);
}

AC_HOT bool ac_maybe_shared(int fd, ac_entry e)
{
	return !ac_made_since_last_fork(ac_entry_epoch(e), ac_epoch_now()) || ac_peer_get(fd) != 0;
}

/* An unarmed TCP socket that may be shared: only the ledger's record that we
 * let go of it (a relative that cannot read our fd table must not take us
 * for a holder). */
AC_HOT static void record_release(int fd)
{
	struct stat st;
	int saved = errno;
	if (ac_fstat(fd, &st) == 0)
		ac_ledger_released((uint32_t)st.st_ino, ac_epoch_now());
	AC_ERRNO_RESTORE(saved);
}

/* Not inlined: its buffer stays off the close path's stack (a parent's stack
 * page written deeper than the program does costs a fault after each fork). */
__attribute__((noinline)) static void log_disarmed(int fd, const char *why)
{
	char ev[40] = "disarmed:";
	size_t n = 9;
	for (const char *w = why; *w && n < sizeof ev - 1; w++)
		ev[n++] = *w;
	ev[n] = 0;
	ac_log_fd(AC_LEVEL_DEBUG, fd, ev, 0);
}

AC_HOT uint32_t ac_release(int fd, ac_entry e, int skip_lo, int skip_hi, const char *why)
{
	/* A listener's linger only matters to the connections it passes on, and
	 * it may be shared with children that still accept: never disarm it. */
	if (e & AC_F_LISTENER)
		return 0;
	if (!ac_entry_armed(e)) {
		if ((e & AC_F_TCP) && ac_maybe_shared(fd, e) && !ac_has_alias(fd, e, skip_lo, skip_hi))
			record_release(fd);
		return 0;
	}
	if (ac_close_keeps_armed(fd, why)) {
		/* ON_CLOSE=rst, or dropped while unwinding (unwind.c): this fd
		 * still goes, so the ledger must not count us as a holder. */
		if ((e & AC_F_TCP) && ac_maybe_shared(fd, e) && !ac_has_alias(fd, e, skip_lo, skip_hi))
			record_release(fd);
		return 0;
	}
	if (ac_has_alias(fd, e, skip_lo, skip_hi)) {
		/* Another fd of ours still holds it: this close sends nothing.
		 * (An aliased entry's inode is in ac_alias_ino, fdtable.h.) */
		uint32_t ino = ac_alias_get(fd);
		return ino ? ino : AC_INO_UNKNOWN;
	}
	if (ac_maybe_shared(fd, e)) {
		bool cross;
		int pid = ac_find_other_holder(fd, e, &cross);
		/* Every release is followed by the fd's close (a failed dup2 or
		 * exec gives the turn back: ac_tie_undo). */
		if (pid > 0 && cross)
			pid = ac_settle_tie(fd, e, pid);
		if (pid > 0) {
			ac_log_fd(AC_LEVEL_DEBUG, fd, "kept-armed:shared-with-pid-", pid);
			return 0;
		}
	}
	ac_disarm(fd, e);
	AC_COUNT(graceful);
	if (ac_log_enabled(AC_LEVEL_DEBUG))
		log_disarmed(fd, why);
	return 0;
}
