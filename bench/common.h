/* common.h - small helpers shared by the bench programs (no library code).
 *
 * The bench programs are deliberately plain blocking-socket programs: they
 * stand for "a typical daemon" and "a typical client" so the cost of the
 * shim shows up exactly where a real program would pay it.
 */
#ifndef AC_BENCH_COMMON_H
#define AC_BENCH_COMMON_H

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BENCH_MSG 64 /* request and response size of one churn connection */

static inline void die(const char *what)
{
	fprintf(stderr, "bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static inline int64_t clock_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline int64_t now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/* CPU time (user + system) this process has used.  On a 2-vCPU VM the
 * wall-clock rate drifts by several percent from round to round; the CPU
 * time per connection of one side is a much steadier measure of what the
 * shim adds to that side (it is what a busy server would pay). */
static inline int64_t cpu_ns(void)
{
	return clock_ns(CLOCK_PROCESS_CPUTIME_ID);
}

/* Pin to one CPU so server and client do not migrate between rounds
 * (cross-CPU wakeups are part of the cost we want to hold constant).
 * cpu < 0 or a failure leaves the process unpinned: the bench still runs. */
static inline void pin_cpu(int cpu)
{
	if (cpu < 0)
		return;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		fprintf(stderr, "bench: cannot pin to cpu %d (%s), running unpinned\n",
			cpu, strerror(errno));
}

/* Read exactly len bytes; returns 0, or -1 on EOF/error before that. */
static inline int read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len > 0) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static inline int write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static inline long parse_long(const char *s, const char *what)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < 0) {
		fprintf(stderr, "bench: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
}

#endif
