/* hook_syscall.c - syscall(2).
 *
 * Node.js (libuv) closes every descriptor with syscall(SYS_close, fd) and
 * never calls close(), so the generic entry point is interposed too.  Every
 * number is passed on with all six arguments (reading six longs from the
 * variadic list is what glibc's own syscall() does); only close, shutdown,
 * close_range and seccomp (libseccomp's seccomp_load: sandbox.c) are looked
 * at.  An unknown number is never rejected. */
#include "close.h"
#include "sandbox.h"
#include "state.h"
#include "export.h"
#include "real.h"
#include "log.h"

#include <linux/close_range.h>
#include <linux/seccomp.h>
#include <stdarg.h>
#include <sys/prctl.h>
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

	struct ac_closing c = {0};
	switch (nr) {
	case SYS_close:
		ac_close_prepare((int)a1, "close", &c);
		break;
	case SYS_shutdown:
		return ac_shutdown((int)a1, (int)a2, raw_shutdown);
#ifdef SYS_close_range
	case SYS_close_range:
		if ((unsigned)a1 <= (unsigned)a2 &&
		    !(a3 & ~(long)(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) &&
		    !(a3 & CLOSE_RANGE_CLOEXEC) && !ac_close_range_unshared_only((int)a3))
			ac_close_range_prepare((unsigned)a1, (unsigned)a2, "close_range", &c);
		break;
#endif
#ifdef SYS_seccomp
	case SYS_seccomp:
		ac_sandbox_before((unsigned long)a1, (unsigned long)a2, (const void *)a3, "seccomp(2)");
		break;
#endif
	case SYS_prctl:
		/* syscall(SYS_prctl, PR_SET_SECCOMP, mode, prog): as prctl(). */
		if (a1 == PR_SET_SECCOMP && (a2 == SECCOMP_MODE_STRICT || a2 == SECCOMP_MODE_FILTER))
			ac_sandbox_before(a2 == SECCOMP_MODE_STRICT ? SECCOMP_SET_MODE_STRICT : SECCOMP_SET_MODE_FILTER,
					  0, a2 == SECCOMP_MODE_FILTER ? (const void *)a3 : NULL, "syscall(SYS_prctl)");
		break;
	default:
		break;
	}
	long r = ac_real_syscall(nr, a1, a2, a3, a4, a5, a6);
	ac_close_done(&c);
	ac_log_after_close(); /* the log fd closed by the call above: reopen */
	return r;
}
