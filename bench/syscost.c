/* syscost.c - what one extra system call costs on this machine.
 *
 *   bench_syscost PORT
 *
 * Builds one established loopback TCP connection (PORT, in the bench range)
 * and times, as the median of 7 runs of 200000 calls each:
 *   getpid  syscall(SYS_getpid): the floor of any system call
 *   set     setsockopt(SO_LINGER {0,0}) on the established socket
 *   get     getsockopt(SO_LINGER)
 *   arm     setsockopt {1,0} then {0,0} (the pair a client pays), per pair
 * Prints "getpid_ns=.. setsockopt_ns=.. getsockopt_ns=.. pair_ns=..".
 * These turn the syscall counts of `make bench` into nanoseconds.
 */
#include "common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#define CALLS 200000
#define RUNS 7

enum op { OP_GETPID, OP_SET, OP_GET, OP_PAIR };

static double time_op(enum op op, int fd)
{
	struct linger off = { 0, 0 }, on = { 1, 0 }, got;
	socklen_t len;
	int64_t t0 = now_ns();
	for (int i = 0; i < CALLS; i++) {
		switch (op) {
		case OP_GETPID:
			syscall(SYS_getpid);
			break;
		case OP_SET:
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &off, sizeof(off));
			break;
		case OP_GET:
			len = sizeof(got);
			getsockopt(fd, SOL_SOCKET, SO_LINGER, &got, &len);
			break;
		case OP_PAIR:
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &on, sizeof(on));
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &off, sizeof(off));
			break;
		}
	}
	return (double)(now_ns() - t0) / CALLS;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median_op(enum op op, int fd)
{
	double v[RUNS];
	for (int r = 0; r < RUNS; r++)
		v[r] = time_op(op, fd);
	qsort(v, RUNS, sizeof(v[0]), cmp_double);
	return v[RUNS / 2];
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s PORT\n", argv[0]);
		return 2;
	}
	int port = (int)parse_long(argv[1], "port");
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	if (lfd < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(lfd, 1) != 0)
		die("bind/listen");
	int cfd = socket(AF_INET, SOCK_STREAM, 0);
	if (cfd < 0 || connect(cfd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		die("connect");
	int afd = accept(lfd, NULL, NULL);
	if (afd < 0)
		die("accept");
	pin_cpu(0);
	printf("getpid_ns=%.1f setsockopt_ns=%.1f getsockopt_ns=%.1f pair_ns=%.1f\n",
	       median_op(OP_GETPID, cfd), median_op(OP_SET, cfd), median_op(OP_GET, cfd),
	       median_op(OP_PAIR, cfd));
	close(afd);
	close(cfd);
	close(lfd);
	return 0;
}
