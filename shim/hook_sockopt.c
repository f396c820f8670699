/* hook_sockopt.c - SO_LINGER belongs to the program.
 *
 * The program sets and reads its own linger; the socket stays armed
 * underneath.  Its value is recorded in the fd's entry and restored at a
 * graceful close, so a program that sets {1,0} itself still aborts on its own
 * close, and one that sets {1,30} still lingers.  The program's value is
 * passed to the kernel first, so validation and errno are exactly the
 * kernel's (EINVAL for a short optlen, EFAULT, ENOTSOCK...). */
#include "state.h"
#include "keepalive.h"
#include "export.h"
#include "real.h"

#include <errno.h>
#include <string.h>

struct view {
	int fd;
	ac_entry e;
};

/* dup'd fds name the same socket: they show the same value. */
static int take_view(int other, ac_entry o, void *view)
{
	const struct view *v = view;
	ac_linger_copy(v->fd, other, v->e);
	ac_set(other, (o & ~(AC_F_USER_ON | AC_LINGER_MASK)) | (v->e & (AC_F_USER_ON | AC_LINGER_MASK)));
	return 0; /* visit them all */
}

/* The time the kernel shows for a negative one it was just given: it
 * keeps its longest, MAX_SCHEDULE_TIMEOUT, and getsockopt divides that by
 * HZ (net/core/sock.c, SO_LINGER), which only the kernel knows.  Asked
 * before fd is armed again; errno is preserved. */
static int kernel_linger_time(int fd, int given)
{
	struct linger k;
	socklen_t len = sizeof k;
	int saved = errno;
	if (ac_real_getsockopt(fd, SOL_SOCKET, SO_LINGER, &k, &len) == 0 && len == sizeof k)
		given = k.l_linger;
	AC_ERRNO_RESTORE(saved);
	return given;
}

AC_EXPORT int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	int r = ac_real_setsockopt(fd, level, name, val, len);
	if (r == 0 && ac_on())
		ac_keepalive_program_set(fd, level, name);
	if (r != 0 || level != SOL_SOCKET || name != SO_LINGER || !ac_on())
		return r;
	ac_entry e = ac_get(fd);
	if (!(e & AC_F_TCP))
		return r;
	struct linger l;
	memcpy(&l, val, sizeof l); /* the kernel accepted it: len >= sizeof l */
	if (l.l_onoff && l.l_linger < 0)
		l.l_linger = kernel_linger_time(fd, l.l_linger);
	/* Like the kernel, l_onoff=0 leaves the linger time as it was. */
	e = ac_entry_with_user_linger(fd, e, l.l_onoff != 0, l.l_onoff ? l.l_linger : ac_entry_linger(fd, e));
	if (ac_entry_armed(e) && !(e & AC_F_GAVE_UP))
		ac_arm(fd);
	ac_set(fd, e);
	if (e & AC_F_ALIASED)
		ac_each_alias(fd, take_view, &(struct view){fd, e});
	return r;
}

AC_EXPORT int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	int r = ac_real_getsockopt(fd, level, name, val, len);
	if (r == 0 && ac_on())
		ac_keepalive_program_get(fd, level, name, val, len);
	if (r != 0 || level != SOL_SOCKET || name != SO_LINGER || !ac_on() || !val || !len)
		return r;
	ac_entry e = ac_get(fd);
	if (!ac_entry_armed(e))
		return r; /* the kernel holds the program's own value */
	struct linger own = {(e & AC_F_USER_ON) ? 1 : 0, ac_entry_linger(fd, e)};
	memcpy(val, &own, *len < sizeof own ? *len : sizeof own);
	return r;
}
