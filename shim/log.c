/* log.c - see log.h. */
#include "log.h"
#include "export.h"
#include "real.h"
#include "state.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

struct ac_stats ac_stats;

/* The log's descriptor, moved above the range programs normally use so that
 * a program's own dup2/open does not collide with it; -1 when off.
 *
 * Daemons close every high fd at start (sshd, systemd-socket-activate:
 * closefrom(3) / close_range), ours included.  The close hooks then mark the
 * log LOG_REOPEN instead of off, and reopen the destination right after the
 * program's close returns (ac_log_after_close: sshd chroots its
 * pre-authentication child soon after, where file:PATH would no longer
 * resolve), or else the next line due does (reopen() below): raw system
 * calls only, so it stays
 * async-signal-safe; one thread reopens (LOG_REOPENING), a line from another
 * thread meanwhile is dropped.  The new fd is moved above LOG_FD_FLOOR at
 * once (F_DUPFD_CLOEXEC), so it never keeps a number the program is about to
 * get from open()/socket()/accept() (lowest free number).  The short moment
 * the low number is ours, between the open and the move, is the one window
 * left: a second thread dup2()ing onto exactly that free number then would
 * lose its fd to our close.
 *
 * What "reopen" means per destination:
 *   file:PATH     the same path, O_APPEND (no O_CREAT dance: as at load);
 *   syslog[:SOCK] a new datagram socket connected to the same path;
 *   stderr        the stderr the program started with, only if fd 2 is
 *                 still that same file (same st_dev/st_ino as at load):
 *                 /proc/self/fd/2 or fd 2 itself may by then be a client's
 *                 socket or /dev/null, and writing our lines into a client's
 *                 connection would corrupt it.  If fd 2 changed, logging
 *                 stops. */
static _Atomic int log_fd = -1;
static bool log_is_syslog;
static unsigned long stderr_dev, stderr_ino; /* fd 2 at load (stderr log) */
#define LOG_FD_FLOOR 900
#define LOG_REOPEN (-2)    /* closed by the program: reopen at the next line */
#define LOG_REOPENING (-3) /* one thread is reopening it */

static char *fmt_addr(char *p, char *end, const struct sockaddr_storage *ss, socklen_t len)
{
	char buf[INET6_ADDRSTRLEN];
	unsigned port = 0;
	if (len == 0)
		return ac_fmt_str(p, end, "?");
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)ss;
		inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
		port = ntohs(in->sin_port);
		p = ac_fmt_str(p, end, buf);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
		port = ntohs(in6->sin6_port);
		p = ac_fmt_str(p, end, "[");
		p = ac_fmt_str(p, end, buf);
		p = ac_fmt_str(p, end, "]");
	} else {
		return ac_fmt_str(p, end, "?");
	}
	p = ac_fmt_str(p, end, ":");
	return ac_fmt_ulong(p, end, port);
}

AC_HOT bool ac_log_enabled(enum ac_log_level level)
{
	int fd = atomic_load_explicit(&log_fd, memory_order_relaxed);
	return ac_policy.log_dest != AC_LOG_OFF && level <= ac_policy.log_level &&
	       (fd >= 0 || fd == LOG_REOPEN);
}

static int open_destination(void);
static int move_high(int fd);

/* The destination again after the program closed our fd (see the top). */
static int reopen(void)
{
	int saved = errno, fd = -1;
	if (ac_policy.log_dest == AC_LOG_STDERR) {
		struct stat st;
		if (ac_sys(SYS_newfstatat, 2, (long)"", (long)&st, AT_EMPTY_PATH, 0, 0) == 0 &&
		    (unsigned long)st.st_dev == stderr_dev && (unsigned long)st.st_ino == stderr_ino)
			fd = (int)ac_sys(SYS_fcntl, 2, F_DUPFD_CLOEXEC, LOG_FD_FLOOR, 0, 0, 0);
	} else {
		fd = move_high(open_destination());
	}
	AC_ERRNO_RESTORE(saved);
	return fd;
}

/* LOG_REOPEN -> a new fd (or -1 if the destination is gone); the fd, or a
 * negative value when there is none to write to now. */
static int reopen_if_due(int fd)
{
	if (fd != LOG_REOPEN)
		return fd;
	int expect = LOG_REOPEN;
	if (!atomic_compare_exchange_strong(&log_fd, &expect, LOG_REOPENING))
		return -1; /* another thread is at it */
	fd = reopen();
	atomic_store(&log_fd, fd >= 0 ? fd : -1);
	return fd;
}

AC_HOT void ac_log_after_close(void)
{
	if (AC_UNLIKELY(atomic_load_explicit(&log_fd, memory_order_relaxed) == LOG_REOPEN))
		reopen_if_due(LOG_REOPEN);
}

static void emit(enum ac_log_level level, char *line, char *p, char *end)
{
	int fd = reopen_if_due(atomic_load_explicit(&log_fd, memory_order_relaxed));
	if (fd < 0)
		return;
	if (p >= end)
		p = end - 1;
	if (!log_is_syslog)
		*p++ = '\n';
	int saved = errno;
	ssize_t r;
	(void)level;
	if (log_is_syslog) {
		do
			r = send(fd, line, (size_t)(p - line), MSG_DONTWAIT | MSG_NOSIGNAL);
		while (r < 0 && errno == EINTR);
	} else {
		ac_log_write(fd, line, (size_t)(p - line));
	}
	AC_ERRNO_RESTORE(saved);
}

bool ac_log_write(int fd, const char *buf, size_t n)
{
	/* A write past RLIMIT_FSIZE raises SIGXFSZ, which kills by default:
	 * sshd's pre-authentication child sets the limit to 0.  Never write
	 * beyond it: the line is dropped instead.  Error ignored: no limit. */
	struct rlimit rl;
	if (ac_sys(SYS_prlimit64, 0, RLIMIT_FSIZE, 0, (long)&rl, 0, 0) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		struct stat st;
		if (ac_sys(SYS_newfstatat, fd, (long)"", (long)&st, AT_EMPTY_PATH, 0, 0) != 0 ||
		    (S_ISREG(st.st_mode) && (unsigned long long)st.st_size + n > rl.rlim_cur))
			return false;
	}
	long r;
	do
		r = ac_sys(SYS_write, fd, (long)buf, (long)n, 0, 0, 0);
	while (r < 0 && errno == EINTR);
	return r >= 0;
}

/* syslog wants "<PRI>TAG[pid]: msg"; facility daemon (3), severity from level. */
static char *prefix(char *p, char *end, enum ac_log_level level)
{
	if (log_is_syslog) {
		static const int sev[] = {3, 4, 6, 7}; /* err, warning, info, debug */
		p = ac_fmt_str(p, end, "<");
		p = ac_fmt_ulong(p, end, 3 * 8 + sev[level]);
		p = ac_fmt_str(p, end, ">");
	}
	p = ac_fmt_str(p, end, "libabortclose[");
	p = ac_fmt_ulong(p, end, (unsigned long)ac_sys(SYS_getpid, 0, 0, 0, 0, 0, 0));
	return ac_fmt_str(p, end, "]: ");
}

void ac_log_text(enum ac_log_level level, const char *text)
{
	if (!ac_log_enabled(level))
		return;
	char line[512], *end = line + sizeof line - 1;
	char *p = prefix(line, end, level);
	p = ac_fmt_str(p, end, text);
	emit(level, line, p, end);
}

void ac_log_fd(enum ac_log_level level, int fd, const char *event, long num)
{
	ac_log_fd_peer(level, fd, event, num, NULL, 0);
}

void ac_log_fd_peer(enum ac_log_level level, int fd, const char *event, long num,
		    const struct sockaddr *peer, socklen_t peer_len)
{
	if (!ac_log_enabled(level))
		return;
	char line[512], *end = line + sizeof line - 1;
	struct sockaddr_storage ss;
	socklen_t len;
	int saved = errno;
	char *p = prefix(line, end, level);
	p = ac_fmt_str(p, end, "fd=");
	p = ac_fmt_long(p, end, fd);
	len = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		len = 0;
	p = ac_fmt_str(p, end, " local=");
	p = fmt_addr(p, end, &ss, len);
	len = sizeof ss;
	if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0) {
		len = 0;
		if (peer && peer_len <= sizeof ss &&
		    ((peer->sa_family == AF_INET && peer_len >= sizeof(struct sockaddr_in)) ||
		     (peer->sa_family == AF_INET6 && peer_len >= sizeof(struct sockaddr_in6)))) {
			memcpy(&ss, peer, peer_len);
			len = peer_len;
		}
	}
	p = ac_fmt_str(p, end, " remote=");
	p = len ? fmt_addr(p, end, &ss, len) : ac_fmt_str(p, end, "-");
	p = ac_fmt_str(p, end, " ");
	p = ac_fmt_str(p, end, event);
	if (num)
		p = ac_fmt_long(p, end, num);
	AC_ERRNO_RESTORE(saved);
	emit(level, line, p, end);
}

static int move_high(int fd)
{
	if (fd < 0)
		return fd;
	int high = (int)ac_sys(SYS_fcntl, fd, F_DUPFD_CLOEXEC, LOG_FD_FLOOR, 0, 0, 0);
	if (high >= 0) {
		ac_sys(SYS_close, fd, 0, 0, 0, 0, 0);
		return high;
	}
	return fd;
}

/* Open the file or syslog destination (not stderr); -1 with errno set. */
static int open_destination(void)
{
	int fd = -1;
	if (ac_policy.log_dest == AC_LOG_FILE) {
		fd = (int)ac_sys(SYS_openat, AT_FDCWD, (long)ac_policy.log_path,
				 O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644, 0, 0);
	} else if (ac_policy.log_dest == AC_LOG_SYSLOG) {
		struct sockaddr_un sun = {.sun_family = AF_UNIX};
		const char *path = ac_policy.log_path[0] ? ac_policy.log_path : "/dev/log";
		for (size_t i = 0; path[i] && i < sizeof sun.sun_path - 1; i++)
			sun.sun_path[i] = path[i];
		fd = (int)ac_sys(SYS_socket, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, 0, 0, 0);
		if (fd >= 0 && ac_sys(SYS_connect, fd, (long)&sun, sizeof sun, 0, 0, 0) != 0) {
			int e = errno;
			ac_sys(SYS_close, fd, 0, 0, 0, 0, 0);
			errno = e;
			fd = -1;
		}
	}
	return fd;
}

void ac_log_init(void)
{
	int saved = errno, fd = -1;
	switch (ac_policy.log_dest) {
	case AC_LOG_OFF:
		break;
	case AC_LOG_STDERR: {
		/* A private copy of the stderr the program started with: once the
		 * program closes fd 2, the number may become a client's socket. */
		struct stat st;
		if (ac_sys(SYS_newfstatat, 2, (long)"", (long)&st, AT_EMPTY_PATH, 0, 0) == 0) {
			stderr_dev = (unsigned long)st.st_dev;
			stderr_ino = (unsigned long)st.st_ino;
		}
		fd = (int)ac_sys(SYS_fcntl, 2, F_DUPFD_CLOEXEC, LOG_FD_FLOOR, 0, 0, 0);
		atomic_store(&log_fd, fd >= 0 ? fd : 2);
		AC_ERRNO_RESTORE(saved);
		return;
	}
	case AC_LOG_FILE:
		fd = open_destination();
		break;
	case AC_LOG_SYSLOG:
		fd = open_destination();
		log_is_syslog = true;
		break;
	}
	if (fd < 0 && ac_policy.log_dest != AC_LOG_OFF) {
		/* Not a configuration error (the value was valid): say once why
		 * there will be no log, and go on. */
		char line[AC_PATH_MAX + 160], *p = line, *end = line + sizeof line - 1;
		p = ac_fmt_str(p, end, "libabortclose: cannot open the ABORTCLOSE_LOG destination ");
		p = ac_fmt_str(p, end, ac_policy.log_path[0] ? ac_policy.log_path : "/dev/log");
		p = ac_fmt_str(p, end, ": ");
		p = ac_fmt_str(p, end, strerrorname_np(errno) ? strerrorname_np(errno) : "error");
		p = ac_fmt_str(p, end, "; logging is off\n");
		ssize_t w = write(2, line, (size_t)(p - line));
		(void)w;
	}
	atomic_store(&log_fd, move_high(fd));
	AC_ERRNO_RESTORE(saved);
}

/* The program is closing our log fd: reopen at the next line (the CAS keeps
 * a stepped-back log, -1, off for good). */
AC_HOT void ac_log_fd_closing(int fd)
{
	int cur = atomic_load_explicit(&log_fd, memory_order_relaxed);
	if (fd == cur && cur != 2)
		atomic_compare_exchange_strong(&log_fd, &cur, LOG_REOPEN);
}

void ac_log_range_closing(unsigned lo, unsigned hi)
{
	int cur = atomic_load_explicit(&log_fd, memory_order_relaxed);
	if (cur > 2 && (unsigned)cur >= lo && (unsigned)cur <= hi)
		atomic_compare_exchange_strong(&log_fd, &cur, LOG_REOPEN);
}

void ac_log_stop(void)
{
	atomic_store(&log_fd, -1);
}

AC_HOT void ac_stats_print(void)
{
	if (!ac_policy.stats)
		return;
	/* Helper processes that never met a TCP socket (shells, pyenv shims...)
	 * stay quiet. */
	if (!atomic_load(&ac_stats.armed) && !atomic_load(&ac_stats.skipped))
		return;
	char line[256], *end = line + sizeof line - 1, *p = line;
	p = ac_fmt_str(p, end, "libabortclose[");
	p = ac_fmt_ulong(p, end, (unsigned long)ac_sys(SYS_getpid, 0, 0, 0, 0, 0, 0));
	p = ac_fmt_str(p, end, "]: stats: armed=");
	p = ac_fmt_ulong(p, end, atomic_load(&ac_stats.armed));
	p = ac_fmt_str(p, end, " graceful=");
	p = ac_fmt_ulong(p, end, atomic_load(&ac_stats.graceful));
	p = ac_fmt_str(p, end, " left-armed=");
	p = ac_fmt_ulong(p, end, atomic_load(&ac_stats.left));
	p = ac_fmt_str(p, end, " skipped=");
	p = ac_fmt_ulong(p, end, atomic_load(&ac_stats.skipped));
	*p++ = '\n';
	int saved = errno;
	/* The summary goes to the log destination when there is one, else stderr. */
	int fd = atomic_load(&log_fd);
	if (fd < 0 || log_is_syslog)
		fd = 2;
	ac_log_write(fd, line, (size_t)(p - line));
	AC_ERRNO_RESTORE(saved);
}
