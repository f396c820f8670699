/* peer.c - the other end of an integration test: it observes what the side
 * under test (the "victim") did to the connection.
 *
 *   peer client --port P [--family 4|6] [--send STR] [options]
 *       connects to 127.0.0.1 / ::1, sends STR (default "HELLO\n", the
 *       request line the victim server reads in full), then reads until EOF
 *       or an error.
 *   peer server --port P [--family 4|6] [options]
 *       listens, prints "READY <port>" on stdout, accepts one connection and
 *       reads until EOF or an error.  It never sends anything, so the victim
 *       never has unread input (RFC 2525: unread data makes close() send RST
 *       whatever the linger, which would blur the test).
 *
 *   options: --slow USEC  sleep USEC after each read (a slow reader keeps
 *                         unsent data queued on the victim's side)
 *            --chunk N    bytes per read (default 65536)
 *            --delay MS   wait before the first read
 *            --timeout S  overall bound (default 30): the peer never hangs
 *
 * Result: exactly one line on stdout, then exit 0:
 *   bytes=N first=EOF|ECONNRESET|EPIPE|...|TIMEOUT match=1|0 hash=<fnv1a64>
 * "first" is the first error from ANY call on the connection (connect, send
 * or recv), or EOF.  Linux reports an RST once: the next read() returns 0,
 * so a reader that only looked at its last read() would see a clean EOF.
 * "match" is 1 when the bytes received are exactly a prefix of the payload
 * stream (testnet.h).  Exit 2 = setup error (bad usage, cannot listen).
 */
#include "testnet.h"

#include <poll.h>
#include <time.h>

struct opts {
	int server;
	int family;
	unsigned port;
	const char *send;
	long slow_usec;
	size_t chunk;
	long delay_ms;
	double timeout_s;
};

struct result {
	uint64_t bytes;
	const char *first; /* NULL until something ended the connection */
	int match;
	uint64_t hash;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double deadline;

/* Wait for events on fd until the overall deadline; 0 on timeout. */
static int wait_fd(int fd, short events)
{
	for (;;) {
		double left = deadline - now_s();
		if (left <= 0)
			return 0;
		struct pollfd p = { .fd = fd, .events = events };
		int r = poll(&p, 1, (int)(left * 1000) + 1);
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return 1; /* let the following call report the error */
	}
}

static void record_error(struct result *res, int err)
{
	if (!res->first)
		res->first = strdup(errno_name(err));
}

static void do_send(int fd, const char *msg, struct result *res)
{
	size_t len = strlen(msg), off = 0;
	while (off < len && !res->first) {
		if (!wait_fd(fd, POLLOUT)) {
			res->first = "TIMEOUT";
			return;
		}
		/* MSG_NOSIGNAL: a send on a reset connection must give EPIPE or
		 * ECONNRESET, not kill the peer with SIGPIPE. */
		ssize_t n = send(fd, msg + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n >= 0)
			off += (size_t)n;
		else if (errno != EINTR && errno != EAGAIN)
			record_error(res, errno);
	}
}

static void read_all(int fd, const struct opts *o, struct result *res)
{
	unsigned char *buf = malloc(o->chunk), *want = malloc(o->chunk);
	if (!buf || !want) {
		perror("malloc");
		exit(2);
	}
	if (o->delay_ms > 0)
		usleep((useconds_t)o->delay_ms * 1000);
	while (!res->first) {
		if (!wait_fd(fd, POLLIN)) {
			res->first = "TIMEOUT";
			break;
		}
		ssize_t n = recv(fd, buf, o->chunk, MSG_DONTWAIT);
		if (n == 0) {
			res->first = "EOF";
		} else if (n < 0) {
			if (errno != EINTR && errno != EAGAIN)
				record_error(res, errno);
		} else {
			payload_fill(want, (size_t)n, res->bytes);
			if (memcmp(buf, want, (size_t)n) != 0)
				res->match = 0;
			res->hash = fnv1a(res->hash, buf, (size_t)n);
			res->bytes += (uint64_t)n;
			if (o->slow_usec > 0)
				usleep((useconds_t)o->slow_usec);
		}
	}
	free(buf);
	free(want);
}

static void usage(void)
{
	fprintf(stderr, "usage: peer client|server --port P [--family 4|6] [--send STR] "
	                "[--slow USEC] [--chunk N] [--delay MS] [--timeout S]\n");
	exit(2);
}

static void parse(int argc, char **argv, struct opts *o)
{
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "server") == 0)
		o->server = 1;
	else if (strcmp(argv[1], "client") != 0)
		usage();
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			usage();
		if (strcmp(a, "--port") == 0)
			o->port = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(a, "--family") == 0)
			o->family = parse_family(v);
		else if (strcmp(a, "--send") == 0)
			o->send = v;
		else if (strcmp(a, "--slow") == 0)
			o->slow_usec = strtol(v, NULL, 10);
		else if (strcmp(a, "--chunk") == 0)
			o->chunk = strtoul(v, NULL, 10);
		else if (strcmp(a, "--delay") == 0)
			o->delay_ms = strtol(v, NULL, 10);
		else if (strcmp(a, "--timeout") == 0)
			o->timeout_s = strtod(v, NULL);
		else
			usage();
		i++;
	}
	if (!o->family || o->chunk == 0 || o->timeout_s <= 0 || (!o->server && o->port == 0))
		usage();
}

int main(int argc, char **argv)
{
	struct opts o = { .family = AF_INET, .send = "HELLO\n", .chunk = 65536, .timeout_s = 30 };
	struct result res = { .match = 1, .hash = FNV1A_INIT };
	parse(argc, argv, &o);
	deadline = now_s() + o.timeout_s;
	int fd;

	if (o.server) {
		unsigned port;
		int lfd = listen_loopback(o.family, o.port, &port);
		printf("READY %u\n", port);
		fflush(stdout);
		if (!wait_fd(lfd, POLLIN)) {
			res.first = "TIMEOUT";
			fd = -1;
		} else if ((fd = accept(lfd, NULL, NULL)) < 0) {
			record_error(&res, errno);
		}
		close(lfd);
	} else {
		struct sockaddr_storage ss;
		socklen_t len = loopback_addr(o.family, o.port, &ss);
		fd = socket(o.family, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) != 0)
			record_error(&res, errno);
		else if (o.send[0])
			do_send(fd, o.send, &res);
	}
	if (fd >= 0 && !res.first)
		read_all(fd, &o, &res);

	printf("bytes=%llu first=%s match=%d hash=%016llx\n", (unsigned long long)res.bytes,
	       res.first, res.match, (unsigned long long)res.hash);
	fflush(stdout);
	/* The connection is over (EOF or error): nothing unread, a plain close. */
	if (fd >= 0)
		close(fd);
	return 0;
}
