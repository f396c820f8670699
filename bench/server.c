/* server.c - the churn / bulk server of `make bench`.
 *
 *   bench_server PORT CONNS [--warmup W] [--hand] [--bulk BYTES] [--cpu N]
 *
 * Churn (default): accept CONNS connections one after the other; for each,
 * read the 64-byte request fully, write the 64-byte response, close().  The
 * server closes first, so the TIME_WAIT state lands on the server side
 * (local port PORT); the client reads to EOF and closes second, so its
 * ephemeral port is free immediately (no client-side TIME_WAIT, no port
 * exhaustion over 20000+ connections per round).
 *
 * --hand is configuration D, "the best a hand-written program can do":
 * SO_LINGER {1,0} right after accept() and {0,0} right before close()
 * (2 setsockopt per connection, no library).
 *
 * --bulk BYTES: accept one connection and write BYTES to it in 64 KiB
 * write() calls, then close (the data path: the library must add nothing),
 * and print "server_cpu_ns=X" (CPU time from accept to close).
 *
 * Prints "READY PORT" on stdout once listening.  After W + CONNS
 * connections it prints "server_cpu_ns_per_conn=X" (CPU time over the last
 * CONNS, i.e. without start-up and warm-up) and exits 0.
 */
#include "common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define BULK_CHUNK (64 * 1024)

static void set_linger(int fd, int onoff)
{
	struct linger lg = { .l_onoff = onoff, .l_linger = 0 };
	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) != 0)
		die("setsockopt(SO_LINGER)");
}

static int listen_on(int port)
{
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0)
		die("socket");
	int one = 1;
	if (setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0)
		die("setsockopt(SO_REUSEADDR)");
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		die("bind");
	if (listen(lfd, 1024) != 0)
		die("listen");
	return lfd;
}

static void serve_churn(int lfd, long warmup, long conns, int hand)
{
	char buf[BENCH_MSG];
	memset(buf, 'r', sizeof(buf));
	int64_t cpu0 = cpu_ns();
	for (long i = 0; i < warmup + conns; i++) {
		if (i == warmup)
			cpu0 = cpu_ns();
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR) {
				i--;
				continue;
			}
			die("accept");
		}
		if (hand)
			set_linger(fd, 1);
		/* Read the request fully before replying: closing with unread
		 * data would send RST (RFC 2525), which is not the graceful
		 * close being measured. */
		if (read_full(fd, buf, BENCH_MSG) != 0)
			die("read request");
		if (write_full(fd, buf, BENCH_MSG) != 0)
			die("write response");
		if (hand)
			set_linger(fd, 0);
		if (close(fd) != 0)
			die("close");
	}
	if (conns > 0)
		printf("server_cpu_ns_per_conn=%.1f\n", (double)(cpu_ns() - cpu0) / (double)conns);
}

static void serve_bulk(int lfd, long long bytes)
{
	static char buf[BULK_CHUNK];
	memset(buf, 'b', sizeof(buf));
	int64_t cpu0 = cpu_ns();
	int fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		die("accept");
	while (bytes > 0) {
		size_t n = bytes < BULK_CHUNK ? (size_t)bytes : BULK_CHUNK;
		if (write_full(fd, buf, n) != 0)
			die("write bulk");
		bytes -= (long long)n;
	}
	if (close(fd) != 0)
		die("close");
	printf("server_cpu_ns=%lld\n", (long long)(cpu_ns() - cpu0));
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s PORT CONNS [--warmup W] [--hand] [--bulk BYTES] [--cpu N]\n", argv[0]);
		return 2;
	}
	int port = (int)parse_long(argv[1], "port");
	long conns = parse_long(argv[2], "connection count");
	int hand = 0, cpu = -1;
	long warmup = 0;
	long long bulk = -1;
	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--warmup") == 0 && i + 1 < argc)
			warmup = parse_long(argv[++i], "warmup");
		else if (strcmp(argv[i], "--hand") == 0)
			hand = 1;
		else if (strcmp(argv[i], "--bulk") == 0 && i + 1 < argc)
			bulk = parse_long(argv[++i], "bulk bytes");
		else if (strcmp(argv[i], "--cpu") == 0 && i + 1 < argc)
			cpu = (int)parse_long(argv[++i], "cpu");
		else {
			fprintf(stderr, "bench_server: unknown argument '%s'\n", argv[i]);
			return 2;
		}
	}
	pin_cpu(cpu);
	int lfd = listen_on(port);
	printf("READY %d\n", port);
	fflush(stdout);
	if (bulk >= 0)
		serve_bulk(lfd, bulk);
	else
		serve_churn(lfd, warmup, conns, hand);
	close(lfd);
	return 0;
}
