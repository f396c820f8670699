/* identity.c - see identity.h. */
#include "export.h"
#include "identity.h"
#include "fmt.h"
#include "real.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

long ac_id_read_stat(long pid, char *buf, size_t size)
{
	char path[48], *p = path, *end = path + sizeof path - 1;
	p = ac_fmt_str(p, end, "/proc/");
	p = ac_fmt_ulong(p, end, (unsigned long)pid);
	p = ac_fmt_str(p, end, "/stat");
	*p = 0;
	int fd = (int)ac_sys(SYS_openat, AT_FDCWD, (long)path, O_RDONLY | O_CLOEXEC, 0, 0, 0);
	if (fd < 0)
		return 0;
	long n = ac_sys(SYS_read, fd, (long)buf, (long)size - 1, 0, 0, 0);
	ac_sys(SYS_close, fd, 0, 0, 0, 0, 0);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	return n;
}

unsigned long long ac_id_start_time(long pid)
{
	char buf[512];
	if (ac_id_read_stat(pid, buf, sizeof buf) <= 0)
		return 0;
	char *q = NULL;
	for (char *c = buf; *c; c++) /* the name may hold spaces and ')' */
		if (*c == ')')
			q = c;
	if (!q)
		return 0;
	/* after ") " comes field 3; starttime is field 22 */
	int field = 2;
	unsigned long long v = 0;
	for (q++; *q && field <= 22; q++) {
		if (*q == ' ') {
			field++;
			continue;
		}
		if (field == 22 && *q >= '0' && *q <= '9')
			v = v * 10 + (unsigned long long)(*q - '0');
	}
	return v;
}

unsigned long long ac_id_now_ticks(void)
{
	static long hz;
	struct timespec ts;
	if (!hz)
		hz = sysconf(_SC_CLK_TCK) > 0 ? sysconf(_SC_CLK_TCK) : 100;
	if (clock_gettime(CLOCK_BOOTTIME, &ts) != 0)
		return 0;
	return (unsigned long long)ts.tv_sec * (unsigned long long)hz +
	       (unsigned long long)ts.tv_nsec / (1000000000ull / (unsigned long long)hz);
}

/* The start time confirms a process found alive (when both are known). */
static enum ac_alive same_start(long pid, unsigned long long lo, unsigned long long hi, enum ac_alive if_unknown)
{
	if (lo == 0 || hi < lo)
		return if_unknown;
	unsigned long long now = ac_id_start_time(pid);
	if (now == 0) /* gone in between, or no /proc */
		return ac_sys(SYS_kill, pid, 0, 0, 0, 0, 0) != 0 && errno == ESRCH ? AC_DEAD : if_unknown;
	return now >= lo && now <= hi ? AC_ALIVE : AC_DEAD;
}

enum ac_alive ac_id_alive(long pid, unsigned long long start, unsigned long long start_hi)
{
	int saved = errno;
	enum ac_alive r = AC_ALIVE_UNKNOWN;
	siginfo_t si;
	if (pid <= 0)
		goto out;
	if (ac_sys(SYS_getppid, 0, 0, 0, 0, 0, 0) == pid) {
		/* Our parent is alive; a dead process of the ledger with the same
		 * pid died before it was born (start times differ). */
		r = same_start(pid, start, start_hi, AC_ALIVE);
		goto out;
	}
	si.si_pid = 0;
	if (ac_sys(SYS_waitid, P_PID, pid, (long)&si, WEXITED | WNOHANG | WNOWAIT, 0, 0) == 0) {
		/* Our child: a zombie, or running - the same one unless an
		 * earlier child with this pid was reaped (the start time tells). */
		r = si.si_pid != 0 ? AC_DEAD : same_start(pid, start, start_hi, AC_ALIVE);
		goto out;
	}
	/* Not our child (ECHILD): alive, and the same process? */
	if (ac_sys(SYS_kill, pid, 0, 0, 0, 0, 0) != 0 && errno == ESRCH) {
		r = AC_DEAD;
		goto out;
	}
	r = same_start(pid, start, start_hi, AC_ALIVE_UNKNOWN);
out:
	AC_ERRNO_RESTORE(saved);
	return r;
}
