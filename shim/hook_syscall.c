/* hook_syscall.c - syscall(2).
 *
 * Node.js (libuv) closes every descriptor with syscall(SYS_close, fd) and
 * never calls close(), so the generic entry point is interposed too.  Every
 * number is passed on with all six arguments (reading six longs from the
 * variadic list is what glibc's own syscall() does); only close, shutdown
 * and close_range are looked at.  An unknown number is never rejected. */
#include "close.h"
#include "state.h"
#include "export.h"
#include "real.h"

#include <linux/close_range.h>
#include <stdarg.h>
#include <sys/syscall.h>

static int raw_shutdown(int fd, int how)
{
	return (int)ac_real_syscall(SYS_shutdown, fd, how, 0, 0, 0, 0);
}

AC_EXPORT long syscall(long nr, ...)
{
	va_list ap;
	va_start(ap, nr);
	long a1 = va_arg(ap, long), a2 = va_arg(ap, long), a3 = va_arg(ap, long);
	long a4 = va_arg(ap, long), a5 = va_arg(ap, long), a6 = va_arg(ap, long);
	va_end(ap);

	switch (nr) {
	case SYS_close:
		ac_close_prepare((int)a1, "close");
		break;
	case SYS_shutdown:
		return ac_shutdown((int)a1, (int)a2, raw_shutdown);
#ifdef SYS_close_range
	case SYS_close_range:
		if ((unsigned)a1 <= (unsigned)a2 &&
		    !(a3 & ~(long)(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) &&
		    !(a3 & CLOSE_RANGE_CLOEXEC) && !ac_close_range_unshared_only((int)a3))
			ac_close_range_prepare((unsigned)a1, (unsigned)a2, "close_range");
		break;
#endif
	default:
		break;
	}
	long r = ac_real_syscall(nr, a1, a2, a3, a4, a5, a6);
	return r;
}
