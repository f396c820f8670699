/* fork.c - a fork-per-connection server with N live sessions (issue 10).
 *
 *   bench_fork server PORT N M [AGE] (the side measured; run under the library or not)
 *   bench_fork client PORT N M     (never under the library)
 *
 * The server accepts N connections and forks a handler for each that keeps
 * its connection open (a live session: it blocks in read).  Then it accepts
 * M more, and for each times what a forking server does per new connection:
 * accept + fork + close of its own copy.  Each of these M handlers, with N
 * live siblings, reads one byte and times its own close of the connection
 * (the handler child's close, after the parent closed its copy: the
 * handler holds the last reference, its close sends the FIN).  Every process has a few more fds: four
 * /dev/null fds inherited from the server, two opened by each handler.
 * The client connects N + M times (the M send one byte at once, so the
 * server's accept never waits for the network), reads the M to EOF, then
 * closes the N.  AGE (0): forks the server makes first, each child exiting
 * at once - a server that has been forking for a while (bench/fork-age.sh);
 * cpu_ns then counts from after them.  The server prints
 *   n=N parent_ns=MEDIAN child_close_ns=MEDIAN cpu_ns=PER-CONNECTION
 * (medians over the M connections; cpu_ns: the CPU time of the server and
 * of all its handlers, user + system, over the N + M connections: what the
 * machine pays per connection, whichever CPU ran it).  Without the library a close is one
 * system call; the holder search must not grow with N. */
#include "common.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static int64_t median(int64_t *v, long n)
{
	qsort(v, (size_t)n, sizeof *v, cmp64);
	return n ? v[n / 2] : 0;
}

static void raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static struct sockaddr_in addr(long port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sa;
}

/* CPU time of this process and of all its reaped children (every handler). */
static int64_t tree_cpu_ns(void)
{
	struct rusage self, kids;
	if (getrusage(RUSAGE_SELF, &self) != 0 || getrusage(RUSAGE_CHILDREN, &kids) != 0)
		return 0;
	int64_t us = 0;
	const struct rusage *r[2] = {&self, &kids};
	for (int i = 0; i < 2; i++)
		us += (int64_t)(r[i]->ru_utime.tv_sec + r[i]->ru_stime.tv_sec) * 1000000 + r[i]->ru_utime.tv_usec +
		      r[i]->ru_stime.tv_usec;
	return us * 1000;
}

static int server(long port, long n, long m, long age)
{
	struct sockaddr_in sa = addr(port);
	int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1, times[2];
	if (lfd < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(lfd, 4096) != 0)
		die("bind/listen");
	for (int i = 0; i < 4; i++)
		if (open("/dev/null", O_RDONLY) < 0)
			die("open /dev/null");
	if (pipe(times) != 0)
		die("pipe");
	for (long k = 0; k < age; k++) {
		pid_t p = fork();
		if (p == 0)
			_exit(0);
		if (p < 0 || waitpid(p, NULL, 0) != p)
			die("fork (age)");
	}
	int64_t cpu0 = age ? tree_cpu_ns() : 0;
	printf("READY\n");
	fflush(stdout);
	int64_t *parent = calloc((size_t)m, sizeof *parent), *child = calloc((size_t)m, sizeof *child);
	if (!parent || !child)
		die("calloc");
	for (long i = 0; i < n + m; i++) {
		if (i == n) {
			/* Every measured connection waits in the accept queue (for a
			 * listener, tcpi_unacked is its length): accept never waits. */
			struct tcp_info ti;
			for (int w = 0; w < 20000; w++) {
				socklen_t len = sizeof ti;
				if (getsockopt(lfd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 && ti.tcpi_unacked >= (unsigned)m)
					break;
				usleep(500);
			}
		}
		int gate[2] = {-1, -1}; /* the handler times its close after the parent's */
		if (i >= n && pipe(gate) != 0)
			die("pipe");
		int64_t t0 = now_ns();
		int c = accept(lfd, NULL, NULL);
		if (c < 0)
			die("accept");
		pid_t pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			close(lfd);
			close(times[0]);
			int a = open("/dev/null", O_RDONLY), b = open("/dev/null", O_WRONLY);
			char x;
			if (gate[0] >= 0 && (close(gate[1]) != 0 || read(gate[0], &x, 1) != 1))
				_exit(1);
			ssize_t r = read(c, &x, 1); /* a live session: until the client closes */
			int64_t t = now_ns();
			close(c);
			int64_t dt = now_ns() - t;
			if (i >= n && r == 1 && write(times[1], &dt, sizeof dt) != (ssize_t)sizeof dt)
				_exit(1);
			close(a);
			close(b);
			_exit(0);
		}
		close(c);
		if (i >= n) {
			parent[i - n] = now_ns() - t0;
			if (write(gate[1], "g", 1) != 1)
				die("gate");
			close(gate[0]);
			close(gate[1]);
		}
		while (waitpid(-1, NULL, WNOHANG) > 0)
			; /* reap the handlers that are done (not timed: after t1) */
	}
	for (long i = 0; i < m; i++)
		if (read_full(times[0], &child[i], sizeof child[i]) != 0)
			die("read child time");
	while (wait(NULL) > 0)
		;
	printf("n=%ld parent_ns=%lld child_close_ns=%lld cpu_ns=%lld\n", n, (long long)median(parent, m),
	       (long long)median(child, m), (long long)((tree_cpu_ns() - cpu0) / (n + m)));
	return 0;
}

/* Read connections fds[from..to) to EOF, one after the other, and close them. */
static void drain(const int *fds, long from, long to)
{
	for (long i = from; i < to; i++) {
		char buf[64];
		while (read(fds[i], buf, sizeof buf) > 0)
			;
		close(fds[i]);
	}
}

static int client(long port, long n, long m)
{
	struct sockaddr_in sa = addr(port);
	int *fds = calloc((size_t)(n + m), sizeof *fds);
	if (!fds)
		die("calloc");
	raise_nofile();
	for (long i = 0; i < n + m; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (fds[i] < 0)
			die("client socket");
		int tries = 0;
		while (connect(fds[i], (struct sockaddr *)&sa, sizeof(sa)) != 0) {
			if (i > 0 || ++tries > 500)
				die("connect");
			close(fds[i]);
			usleep(10000); /* the server is not listening yet */
			fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		}
		if (i >= n && write(fds[i], "x", 1) != 1)
			die("client write");
	}
	drain(fds, n, n + m);
	for (long i = 0; i < n; i++)
		close(fds[i]);
	return 0;
}

/* client-timed: the client of a real server (bench/forking_server.py).  N
 * live sessions (connected, silent; each handler says one byte when it runs:
 * the client waits for all N), then M connections connected at once,
 * each sending one byte, read to EOF one after the other: the time from the
 * first of the M to the last EOF, per connection, is the server's cost of a
 * new connection.  Prints "n=N real_ns=..." and closes the N. */
static int client_timed(long port, long n, long m)
{
	struct sockaddr_in sa = addr(port);
	int *fds = calloc((size_t)(n + m), sizeof *fds);
	if (!fds)
		die("calloc");
	raise_nofile();
	int64_t t0 = 0;
	for (long i = 0; i < n + m; i++) {
		if (i == n) {
			/* every live session's handler runs: the server is idle */
			for (long k = 0; k < n; k++) {
				char r;
				if (read(fds[k], &r, 1) != 1)
					die("client-timed: session not started");
			}
			t0 = now_ns();
		}
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)&sa, sizeof(sa)) != 0)
			die("client-timed connect");
		if (i >= n && write(fds[i], "x", 1) != 1)
			die("client-timed write");
	}
	drain(fds, n, n + m);
	int64_t t = now_ns() - t0;
	for (long i = 0; i < n; i++)
		close(fds[i]);
	printf("n=%ld real_ns=%lld\n", n, (long long)(t / (m ? m : 1)));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 5 && !(argc == 6 && strcmp(argv[1], "server") == 0)) {
		fprintf(stderr, "usage: %s server|client|client-timed PORT N M  (server: [AGE])\n", argv[0]);
		return 2;
	}
	long port = parse_long(argv[2], "port"), n = parse_long(argv[3], "N"), m = parse_long(argv[4], "M");
	signal(SIGPIPE, SIG_IGN);
	if (strcmp(argv[1], "server") == 0)
		return server(port, n, m, argc == 6 ? parse_long(argv[5], "AGE") : 0);
	if (strcmp(argv[1], "client") == 0)
		return client(port, n, m);
	if (strcmp(argv[1], "client-timed") == 0)
		return client_timed(port, n, m);
	fprintf(stderr, "usage: %s server|client|client-timed PORT N M\n", argv[0]);
	return 2;
}
