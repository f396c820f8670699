/* victim.c - the side under test: it sends a payload, then ends the
 * connection (or the whole process) in one chosen way.
 *
 *   victim server --port P [--family 4|6] --bytes N --end MODE [options]
 *       listens on 127.0.0.1 / ::1, prints "READY <port>", accepts one
 *       connection, reads the peer's request line up to '\n' (all of it, so
 *       no unread input can trigger the kernel's own RFC 2525 RST), sends
 *       N payload bytes, prints "SENT <n> hash=<fnv1a64>", then ends.
 *   victim client --port P [--family 4|6] --bytes N --end MODE [options]
 *       connects to the peer server, sends N bytes, prints SENT, then ends.
 *
 *   options: --linger ON,SECS   set the program's own SO_LINGER on the
 *                               connection once it is established
 *            --timeout S        safety net: SIGALRM after S seconds (60)
 *
 * The end modes are the table end_modes[] below.  stdout is flushed after
 * every line: several modes end without running stdio's exit-time flush.
 */
#include "testnet.h"

#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>

static int conn_fd = -1;

/* Crashes must not write core files (slow, clutter).  PR_SET_DUMPABLE=0
 * also stops a piped core_pattern, which RLIMIT_CORE=0 does not. */
static void no_core(void)
{
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/* Each end mode either returns the value main() returns, or never returns. */
static int end_close(void)
{
	if (close(conn_fd) != 0) {
		perror("close");
		return 3;
	}
	return 0;
}

static int end_shutdown_exit1(void)
{
	if (shutdown(conn_fd, SHUT_WR) != 0)
		perror("shutdown");
	exit(1);
}

static int end_exit0(void) { exit(0); }
static int end_exit1(void) { exit(1); }
static int end_return0(void) { return 0; }
static int end_return1(void) { return 1; }
static int end__exit0(void) { _exit(0); }
static int end__exit1(void) { _exit(1); }
static int end_quick_exit0(void) { quick_exit(0); }
static int end_quick_exit1(void) { quick_exit(1); }

static int end_sigkill(void)
{
	raise(SIGKILL);
	return 3;
}

static int end_sigsegv(void)
{
	no_core();
	signal(SIGSEGV, SIG_DFL);
	/* A real invalid access, not a constant NULL dereference that the
	 * compiler may turn into a trap instruction (SIGILL). */
	volatile uintptr_t bad = 8;
	*(volatile int *)bad = 1;
	return 3;
}

static int end_sigabort(void)
{
	no_core();
	abort();
}

static int end_sigterm(void)
{
	raise(SIGTERM);
	return 3;
}

/* The test kills us with kill -9 after it has seen "SENT".  pause() until
 * then; the alarm set in main bounds the wait if the test itself dies. */
static int end_external(void)
{
	for (;;)
		pause();
	return 3; /* not reached */
}

static const struct {
	const char *name;
	int (*end)(void);
	const char *what;
} end_modes[] = {
	{ "close", end_close, "close() the connection, return 0 from main" },
	{ "shutdown-exit1", end_shutdown_exit1, "shutdown(SHUT_WR), then exit(1)" },
	{ "exit0-open", end_exit0, "exit(0) with the connection still open" },
	{ "return0-open", end_return0, "return 0 from main, connection still open" },
	{ "exit1", end_exit1, "exit(1) with the connection open" },
	{ "return1", end_return1, "return 1 from main, connection open" },
	{ "_exit0", end__exit0, "_exit(0) with the connection open" },
	{ "_exit1", end__exit1, "_exit(1) with the connection open" },
	{ "quick_exit0", end_quick_exit0, "quick_exit(0) with the connection open" },
	{ "quick_exit1", end_quick_exit1, "quick_exit(1) with the connection open" },
	{ "sigkill", end_sigkill, "raise(SIGKILL)" },
	{ "sigsegv", end_sigsegv, "a real segmentation fault" },
	{ "sigabort", end_sigabort, "abort()" },
	{ "sigterm", end_sigterm, "raise(SIGTERM), default action" },
	{ "external", end_external, "wait for the test's kill -9 (pause)" },
};
#define N_END_MODES (sizeof end_modes / sizeof end_modes[0])

static void usage(void)
{
	fprintf(stderr, "usage: victim server|client --port P [--family 4|6] --bytes N "
	                "--end MODE [--linger ON,SECS] [--timeout S]\nmodes:\n");
	for (size_t i = 0; i < N_END_MODES; i++)
		fprintf(stderr, "  %-15s %s\n", end_modes[i].name, end_modes[i].what);
	exit(2);
}

static void die(const char *what)
{
	fprintf(stderr, "victim: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* Read the request up to and including '\n', one byte at a time so that not
 * a byte past it is consumed (the peer sends nothing after it anyway). */
static void read_request(int fd)
{
	char c;
	for (;;) {
		ssize_t n = read(fd, &c, 1);
		if (n == 1 && c == '\n')
			return;
		if (n == 0)
			die("request: EOF before newline");
		if (n < 0 && errno != EINTR)
			die("request");
	}
}

static uint64_t send_payload(int fd, uint64_t total)
{
	unsigned char buf[65536];
	uint64_t off = 0, hash = FNV1A_INIT;
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
		hash = fnv1a(hash, buf, len);
		off += len;
	}
	return hash;
}

int main(int argc, char **argv)
{
	int server = 0, family = AF_INET, have_linger = 0;
	unsigned port = 0;
	uint64_t bytes = 0;
	const char *mode = NULL;
	struct linger own = { 0, 0 };
	unsigned timeout_s = 60;

	if (argc < 2)
		usage();
	if (strcmp(argv[1], "server") == 0)
		server = 1;
	else if (strcmp(argv[1], "client") != 0)
		usage();
	for (int i = 2; i + 1 < argc; i += 2) {
		const char *a = argv[i], *v = argv[i + 1];
		if (strcmp(a, "--port") == 0)
			port = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(a, "--family") == 0)
			family = parse_family(v);
		else if (strcmp(a, "--bytes") == 0)
			bytes = strtoull(v, NULL, 10);
		else if (strcmp(a, "--end") == 0)
			mode = v;
		else if (strcmp(a, "--timeout") == 0)
			timeout_s = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(a, "--linger") == 0 &&
		         sscanf(v, "%d,%d", &own.l_onoff, &own.l_linger) == 2)
			have_linger = 1;
		else
			usage();
	}
	if (argc % 2 != 0 || !family || !mode || (!server && port == 0))
		usage();
	size_t m = 0;
	while (m < N_END_MODES && strcmp(end_modes[m].name, mode) != 0)
		m++;
	if (m == N_END_MODES)
		usage();
	alarm(timeout_s);

	if (server) {
		unsigned bound;
		int lfd = listen_loopback(family, port, &bound);
		printf("READY %u\n", bound);
		fflush(stdout);
		if ((conn_fd = accept(lfd, NULL, NULL)) < 0)
			die("accept");
		read_request(conn_fd);
	} else {
		struct sockaddr_storage ss;
		socklen_t len = loopback_addr(family, port, &ss);
		if ((conn_fd = socket(family, SOCK_STREAM, 0)) < 0)
			die("socket");
		if (connect(conn_fd, (struct sockaddr *)&ss, len) != 0)
			die("connect");
	}
	if (have_linger && setsockopt(conn_fd, SOL_SOCKET, SO_LINGER, &own, sizeof own) != 0)
		die("setsockopt SO_LINGER");

	uint64_t hash = send_payload(conn_fd, bytes);
	printf("SENT %llu hash=%016llx\n", (unsigned long long)bytes, (unsigned long long)hash);
	fflush(stdout);
	return end_modes[m].end();
}
