/* ops_conn.c - multi-connection programs for the operator tests (test/ops):
 * port and role filters, log lines and the stats line.  The single-connection
 * crash cases use test/progs/victim.c and peer.c; this program adds what they
 * do not do: several connections per process, a fixed local port for a
 * client, one process that is both server and client, a fork that shares a
 * connection, and a choice of the purposeful close.
 *
 * Sides under test (run with the library):
 *   ops_conn server --port P [--conns N] ...
 *       listens, prints "READY <port>", then for each of N connections (one
 *       after the other): accept, read the request line up to '\n' (nothing
 *       left unread, so no RFC 2525 RST), send --bytes payload bytes.
 *   ops_conn client --port P [--conns N] [--bind-port L] ...
 *       N connections to P (the first one bound to local port L when given),
 *       each sends --bytes payload bytes.
 *   ops_conn proxy --port P --upstream Q ...
 *       accepts one connection on P (reads its request line), connects to Q,
 *       sends --bytes to both: a public port and a "database" connection in
 *       one process.
 *   Common: the first N-K connections (--keep K, default 0) are ended on
 *   purpose right after their data with --how close|fclose|shutdown
 *   (shutdown = shutdown(SHUT_WR), then close); then "SENT conns=N" is
 *   printed and the process ends with --end MODE (see end_process()).
 *   --fork-close (server): after each accept a child closes its copy of the
 *   connection and _exit(0)s while this process still holds it.
 *   --wait-eof: before ending a connection on purpose, read until the peer's
 *   EOF (an HTTP server whose client closes first after the response).
 *
 * The other end (run without the library):
 *   ops_conn reader --port P [--conns N] [--bind-port L] [--half-close B]
 *       opens N connections at once, sends "HELLO\n" on each, reads all of
 *       them until EOF or an error; with --half-close, shutdown(SHUT_WR) a
 *       connection once it has received B bytes (and go on reading).
 *   ops_conn sink --port P [--conns N]
 *       listens ("READY <port>"), accepts N connections and reads all of them
 *       until EOF or an error.
 *   Both print one line per connection, in the order they were opened or
 *   accepted:  conn=I bytes=N first=EOF|ECONNRESET|...|TIMEOUT match=1|0
 *   ("first" is the first error from any call: the kernel reports an RST
 *   once, then read() returns 0), then "DONE", and exit 0.
 *
 * --family 4|6 (default 4), --timeout S (default 30) bounds every wait.
 * Exit 2 = setup error (usage, cannot listen/connect).
 */
#include "testnet.h"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>

#define MAX_CONNS 64

struct opts {
	const char *mode;
	int family;
	unsigned port, upstream, bind_port;
	int conns, keep;
	uint64_t bytes;
	const char *end, *how;
	int fork_close, wait_eof;
	uint64_t half_close;
	unsigned timeout_s;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: ops_conn server|client|proxy|reader|sink --port P [--family 4|6]\n"
		"         [--conns N] [--keep K] [--bytes B] [--how close|fclose|shutdown]\n"
		"         [--end close|exit0|exit1|return0|return1|_exit0|_exit1|external|sigkill]\n"
		"         [--bind-port L] [--upstream Q] [--fork-close] [--wait-eof]\n"
		"         [--half-close B] [--timeout S]\n");
	exit(2);
}

static void die(const char *what)
{
	fprintf(stderr, "ops_conn: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* "WORD <n>" on stdout, flushed at once: several end modes skip stdio's
 * exit-time flush. */
static void say(const char *word, unsigned long v)
{
	printf("%s%lu\n", word, v);
	fflush(stdout);
}

/* --- the side under test ---------------------------------------------------- */

static void read_request(int fd)
{
	char c;
	for (;;) {
		ssize_t n = read(fd, &c, 1);
		if (n == 1 && c == '\n')
			return;
		if (n == 0) {
			errno = EPIPE;
			die("request: EOF before newline");
		}
		if (n < 0 && errno != EINTR)
			die("request");
	}
}

static void send_payload(int fd, uint64_t total)
{
	unsigned char buf[65536];
	uint64_t off = 0;
	while (off < total) {
		size_t len = total - off < sizeof buf ? (size_t)(total - off) : sizeof buf;
		payload_fill(buf, len, off);
		size_t done = 0;
		while (done < len) {
			ssize_t n = send(fd, buf + done, len - done, MSG_NOSIGNAL);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				die("send");
			done += (size_t)n;
		}
		off += len;
	}
}

/* Read (and drop) until the peer's EOF. */
static void wait_eof(int fd)
{
	char buf[4096];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n == 0)
			return;
		if (n < 0 && errno != EINTR)
			die("read until EOF");
	}
}

/* End connection fd on purpose, the way --how says. */
static void end_conn(int fd, const char *how)
{
	if (strcmp(how, "fclose") == 0) {
		FILE *fp = fdopen(fd, "r+");
		if (!fp || fclose(fp) != 0)
			die("fdopen/fclose");
	} else if (strcmp(how, "shutdown") == 0) {
		if (shutdown(fd, SHUT_WR) != 0 || close(fd) != 0)
			die("shutdown/close");
	} else if (close(fd) != 0) {
		die("close");
	}
}

static int connect_to(int family, unsigned port, unsigned bind_port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = socket(family, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	if (bind_port) {
		/* SO_REUSEADDR: the previous case may have left this local port in
		 * TIME_WAIT. */
		int one = 1;
		len = loopback_addr(family, bind_port, &ss);
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
		    bind(fd, (struct sockaddr *)&ss, len) != 0)
			die("bind local port");
	}
	len = loopback_addr(family, port, &ss);
	if (connect(fd, (struct sockaddr *)&ss, len) != 0)
		die("connect");
	return fd;
}

/* A child shares the connection and ends its copy on purpose while this
 * process still holds it (a fork-per-connection server's parent does the
 * same with its copy). */
static void fork_close(int fd)
{
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(fd);
		_exit(0);
	}
	int st;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die("fork-close child");
}

static int end_process(const char *end, const int *open_fds, int n_open)
{
	if (strcmp(end, "close") == 0) {
		for (int i = 0; i < n_open; i++)
			close(open_fds[i]);
		return 0;
	}
	if (strcmp(end, "exit0") == 0)
		exit(0);
	if (strcmp(end, "exit1") == 0)
		exit(1);
	if (strcmp(end, "return0") == 0)
		return 0;
	if (strcmp(end, "return1") == 0)
		return 1;
	if (strcmp(end, "_exit0") == 0)
		_exit(0);
	if (strcmp(end, "_exit1") == 0)
		_exit(1);
	if (strcmp(end, "sigkill") == 0)
		raise(SIGKILL);
	/* external: the test sends kill -9 after SENT; alarm() bounds it. */
	for (;;)
		pause();
}

static int run_victim(const struct opts *o)
{
	int open_fds[MAX_CONNS + 1], n_open = 0, lfd = -1;
	unsigned bound = 0;

	if (strcmp(o->mode, "client") != 0) {
		lfd = listen_loopback(o->family, o->port, &bound);
		say("READY ", bound);
	}
	for (int i = 0; i < o->conns; i++) {
		int fd;
		if (lfd >= 0) {
			if ((fd = accept(lfd, NULL, NULL)) < 0)
				die("accept");
			read_request(fd);
			if (o->fork_close)
				fork_close(fd);
		} else {
			fd = connect_to(o->family, o->port, i == 0 ? o->bind_port : 0);
		}
		send_payload(fd, o->bytes);
		if (strcmp(o->mode, "proxy") == 0) {
			int up = connect_to(o->family, o->upstream, 0);
			send_payload(up, o->bytes);
			open_fds[n_open++] = up;
		}
		if (i < o->conns - o->keep) {
			if (o->wait_eof)
				wait_eof(fd);
			end_conn(fd, o->how);
		}
		else
			open_fds[n_open++] = fd;
	}
	say("SENT conns=", (unsigned long)o->conns);
	return end_process(o->end, open_fds, n_open);
}

/* --- the other end ------------------------------------------------------------ */

struct conn {
	int fd;
	uint64_t bytes;
	const char *first;
	int match, half_closed;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void conn_init(struct conn *c, int fd)
{
	c->fd = fd;
	c->bytes = 0;
	c->first = NULL;
	c->match = 1;
	c->half_closed = 0;
}

/* Read what is there; sets c->first at EOF or the first error. */
static void conn_read(struct conn *c)
{
	unsigned char buf[65536], want[65536];
	ssize_t n = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
	if (n == 0) {
		c->first = "EOF";
	} else if (n < 0) {
		if (errno != EINTR && errno != EAGAIN)
			c->first = strdup(errno_name(errno));
	} else {
		payload_fill(want, (size_t)n, c->bytes);
		if (memcmp(buf, want, (size_t)n) != 0)
			c->match = 0;
		c->bytes += (uint64_t)n;
	}
}

static void send_hello(struct conn *c)
{
	static const char hello[] = "HELLO\n";
	/* A few bytes into an empty send buffer: one non-blocking send is enough. */
	if (send(c->fd, hello, sizeof hello - 1, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)(sizeof hello - 1))
		c->first = strdup(errno_name(errno));
}

static int run_observer(const struct opts *o)
{
	struct conn c[MAX_CONNS];
	struct pollfd p[MAX_CONNS + 1];
	int n = 0, lfd = -1;
	unsigned bound;
	double deadline = now_s() + o->timeout_s;

	if (strcmp(o->mode, "sink") == 0) {
		lfd = listen_loopback(o->family, o->port, &bound);
		say("READY ", bound);
	} else {
		for (; n < o->conns; n++) {
			conn_init(&c[n], connect_to(o->family, o->port, n == 0 ? o->bind_port : 0));
			send_hello(&c[n]);
		}
	}
	for (;;) {
		int np = 0, live = 0;
		for (int i = 0; i < n; i++) {
			p[i] = (struct pollfd){ .fd = c[i].first ? -1 : c[i].fd, .events = POLLIN };
			live += !c[i].first;
		}
		np = n;
		if (lfd >= 0 && n < o->conns)
			p[np++] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		if (!live && np == n)
			break;
		double left = deadline - now_s();
		if (left <= 0)
			break;
		if (poll(p, (nfds_t)np, (int)(left * 1000) + 1) < 0 && errno != EINTR)
			die("poll");
		for (int i = 0; i < n; i++) {
			if (p[i].revents)
				conn_read(&c[i]);
			if (o->half_close && !c[i].first && !c[i].half_closed &&
			    c[i].bytes >= o->half_close) {
				if (shutdown(c[i].fd, SHUT_WR) != 0)
					c[i].first = strdup(errno_name(errno));
				c[i].half_closed = 1;
			}
		}
		if (np > n && p[n].revents) {
			int fd = accept(lfd, NULL, NULL);
			if (fd >= 0)
				conn_init(&c[n++], fd);
		}
	}
	for (int i = 0; i < o->conns; i++)
		printf("conn=%d bytes=%llu first=%s match=%d\n", i,
		       i < n ? (unsigned long long)c[i].bytes : 0ull,
		       i < n && c[i].first ? c[i].first : "TIMEOUT", i < n ? c[i].match : 0);
	printf("DONE\n");
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .family = AF_INET, .conns = 1, .end = "close", .how = "close",
			  .timeout_s = 30 };
	if (argc < 2)
		usage();
	o.mode = argv[1];
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--fork-close") == 0) {
			o.fork_close = 1;
			continue;
		}
		if (strcmp(a, "--wait-eof") == 0) {
			o.wait_eof = 1;
			continue;
		}
		if (i + 1 >= argc)
			usage();
		const char *v = argv[++i];
		if (strcmp(a, "--port") == 0)
			o.port = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(a, "--family") == 0)
			o.family = parse_family(v);
		else if (strcmp(a, "--conns") == 0)
			o.conns = atoi(v);
		else if (strcmp(a, "--keep") == 0)
			o.keep = atoi(v);
		else if (strcmp(a, "--bytes") == 0)
			o.bytes = strtoull(v, NULL, 10);
		else if (strcmp(a, "--end") == 0)
			o.end = v;
		else if (strcmp(a, "--how") == 0)
			o.how = v;
		else if (strcmp(a, "--bind-port") == 0)
			o.bind_port = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(a, "--upstream") == 0)
			o.upstream = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(a, "--half-close") == 0)
			o.half_close = strtoull(v, NULL, 10);
		else if (strcmp(a, "--timeout") == 0)
			o.timeout_s = (unsigned)strtoul(v, NULL, 10);
		else
			usage();
	}
	if (!o.family || o.conns < 1 || o.conns > MAX_CONNS || o.keep < 0 || o.keep > o.conns ||
	    o.timeout_s == 0)
		usage();
	int victim = strcmp(o.mode, "server") == 0 || strcmp(o.mode, "client") == 0 ||
		     strcmp(o.mode, "proxy") == 0;
	int observer = strcmp(o.mode, "reader") == 0 || strcmp(o.mode, "sink") == 0;
	if ((!victim && !observer) || (strcmp(o.mode, "sink") != 0 && o.port == 0) ||
	    (strcmp(o.mode, "proxy") == 0 && (o.upstream == 0 || o.conns != 1)))
		usage();
	if (victim) {
		/* Crashes write no core files; the alarm bounds an "external" wait. */
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
		alarm(o.timeout_s);
		return run_victim(&o);
	}
	return run_observer(&o);
}
