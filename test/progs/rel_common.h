/* rel_common.h - shared by the reliability programs (test/progs/rel_*.c).
 *
 * The soak drivers run many short-lived servers back to back.  Forking and
 * exec'ing them from one C program is two orders of magnitude faster than a
 * shell loop, and exec'ing (rather than only forking) matters: the library
 * must really be loaded by the dynamic linker from LD_PRELOAD, run its
 * constructor and parse its environment, exactly as in production.
 */
#ifndef ABORTCLOSE_REL_COMMON_H
#define ABORTCLOSE_REL_COMMON_H

#include "testnet.h"

#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static inline double rel_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* xorshift64*: reproducible from --seed, no global state of libc. */
static inline uint64_t rel_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1Dull;
}

/* The path of this very program, to exec it again in another role. */
static inline const char *rel_self_exe(void)
{
	static char path[4096];
	ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
	if (n <= 0) {
		perror("readlink /proc/self/exe");
		exit(2);
	}
	path[n] = 0;
	return path;
}

/* A copy of environ without LD_PRELOAD and ABORTCLOSE*, plus extra (NULL-
 * terminated list of "K=V"), in a static array. */
static inline char **rel_env(const char *const *extra)
{
	static char *env[512];
	size_t n = 0;
	for (char **e = environ; *e && n < 480; e++)
		if (strncmp(*e, "LD_PRELOAD=", 11) != 0 && strncmp(*e, "ABORTCLOSE", 10) != 0)
			env[n++] = *e;
	for (; extra && *extra && n < 510; extra++)
		env[n++] = (char *)*extra;
	env[n] = NULL;
	return env;
}

/* fork + execve(argv[0]=self) with env; the child's stdin is /dev/null.
 * keep_fd stays open in the child (not close-on-exec); -1 for none. */
static inline pid_t rel_spawn(char *const argv[], char *const env[], int keep_fd)
{
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(2);
	}
	if (pid == 0) {
		if (keep_fd >= 0)
			fcntl(keep_fd, F_SETFD, 0);
		execve(argv[0], argv, env);
		_exit(127);
	}
	return pid;
}

/* Read one line (up to '\n', at most size-1 bytes) from fd within secs.
 * Returns its length, or -1 on timeout / EOF before a line. */
static inline int rel_read_line(int fd, char *buf, size_t size, double secs)
{
	size_t n = 0;
	double end = rel_now() + secs;
	while (n < size - 1) {
		int left = (int)((end - rel_now()) * 1000);
		struct pollfd p = {fd, POLLIN, 0};
		if (left <= 0 || poll(&p, 1, left) <= 0)
			return -1;
		ssize_t r = read(fd, buf + n, 1);
		if (r <= 0)
			return -1;
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = 0;
	return (int)n;
}

/* waitpid with a bound; SIGKILLs the child after secs.  Returns the wait
 * status, or -1 if it had to be killed. */
static inline int rel_wait(pid_t pid, double secs)
{
	int st;
	double end = rel_now() + secs;
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return st;
		if (r < 0)
			return -1;
		if (rel_now() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -1;
		}
		usleep(200);
	}
}

/* Is a library whose path contains name mapped into this process? */
static inline int rel_lib_loaded(const char *name)
{
	char buf[8192];
	int found = 0, fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t r;
	size_t keep = 0;
	while (!found && (r = read(fd, buf + keep, sizeof buf - 1 - keep)) > 0) {
		size_t len = keep + (size_t)r;
		buf[len] = 0;
		found = strstr(buf, name) != NULL;
		/* keep the tail: the name may straddle two reads */
		keep = len > 256 ? 256 : len;
		memmove(buf, buf + len - keep, keep);
	}
	close(fd);
	return found;
}

/* A private network namespace with lo up: the TCP counters of
 * /proc/net/{snmp,netstat} then count this test's packets only (they are
 * per namespace), and no other test can take our ports.  0 or -1. */
static inline int rel_private_netns(void)
{
	if (unshare(CLONE_NEWNET) != 0)
		return -1;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	strcpy(ifr.ifr_name, "lo");
	int ok = s >= 0 && ioctl(s, SIOCGIFFLAGS, &ifr) == 0;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	ok = ok && ioctl(s, SIOCSIFFLAGS, &ifr) == 0;
	if (s >= 0)
		close(s);
	return ok ? 0 : -1;
}

/* The kernel's TCP counters of this namespace that tell RSTs apart
 * (platform facts section 7/9): OutRsts = every RST sent; AbortOnData = a
 * linger-{1,0} abort (and data after close); AbortOnClose = close with
 * unread received data (RFC 2525). */
struct rel_counters {
	long out_rsts, abort_on_data, abort_on_close;
};

/* Find value of column name in the "Prefix:" header/value line pair. */
static inline long rel_counter(const char *file, const char *prefix, const char *name)
{
	char buf[16384];
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	size_t plen = strlen(prefix);
	for (char *line = buf; line && *line;) {
		char *next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		if (strncmp(line, prefix, plen) == 0 && next && strncmp(next, prefix, plen) == 0) {
			char *vals = next, *vnext = strchr(vals, '\n');
			if (vnext)
				*vnext = 0;
			char *hs, *vs;
			char *h = strtok_r(line + plen, " ", &hs);
			char *v = strtok_r(vals + plen, " ", &vs);
			while (h && v) {
				if (strcmp(h, name) == 0)
					return atol(v);
				h = strtok_r(NULL, " ", &hs);
				v = strtok_r(NULL, " ", &vs);
			}
			return -1;
		}
		line = next;
	}
	return -1;
}

static inline struct rel_counters rel_counters_now(void)
{
	struct rel_counters c;
	c.out_rsts = rel_counter("/proc/net/snmp", "Tcp:", "OutRsts");
	c.abort_on_data = rel_counter("/proc/net/netstat", "TcpExt:", "TCPAbortOnData");
	c.abort_on_close = rel_counter("/proc/net/netstat", "TcpExt:", "TCPAbortOnClose");
	return c;
}

static inline struct rel_counters rel_counters_diff(struct rel_counters a, struct rel_counters b)
{
	struct rel_counters d = {b.out_rsts - a.out_rsts, b.abort_on_data - a.abort_on_data,
				 b.abort_on_close - a.abort_on_close};
	return d;
}

/* Every Tcp/TcpExt counter of this namespace whose name mentions an abort or
 * a reset, as "Name=value " pairs into out (for failure reports: which kind
 * of RST it was). */
static inline void rel_reset_counters(char *out, size_t size)
{
	static const char *const files[] = {"/proc/net/snmp", "/proc/net/netstat"};
	static const char *const prefixes[] = {"Tcp:", "TcpExt:"};
	size_t used = 0;
	out[0] = 0;
	for (int f = 0; f < 2; f++) {
		char buf[16384];
		int fd = open(files[f], O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t n = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = 0;
		char *hdr = strstr(buf, prefixes[f]);
		char *vals = hdr ? strstr(hdr + 1, prefixes[f]) : NULL;
		if (!vals)
			continue;
		char *he = strchr(hdr, '\n'), *ve = strchr(vals, '\n');
		if (he)
			*he = 0;
		if (ve)
			*ve = 0;
		char *hs, *vs;
		char *h = strtok_r(hdr + strlen(prefixes[f]), " ", &hs);
		char *v = strtok_r(vals + strlen(prefixes[f]), " ", &vs);
		for (; h && v; h = strtok_r(NULL, " ", &hs), v = strtok_r(NULL, " ", &vs))
			if ((strstr(h, "Abort") || strstr(h, "Rst") || strstr(h, "Reset") ||
			     strstr(h, "Challenge")) && strcmp(v, "0") != 0 && used < size)
				used += (size_t)snprintf(out + used, size - used, "%s=%s ", h, v);
	}
}

/* The kernel's own SO_LINGER of fd, bypassing every interposer (the
 * library's getsockopt shows the program's view, not the kernel's). */
static inline int rel_kernel_linger(int fd, struct linger *l)
{
	socklen_t len = sizeof *l;
	return (int)syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_LINGER, l, &len);
}

/* 1 when the kernel holds the abort-on-close arming {1,0} on fd. */
static inline int rel_kernel_armed(int fd)
{
	struct linger l = {0, 0};
	return rel_kernel_linger(fd, &l) == 0 && l.l_onoff && l.l_linger == 0;
}

#endif
