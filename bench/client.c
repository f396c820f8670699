/* client.c - the churn / bulk client of `make bench`.
 *
 *   bench_client PORT[,PORT...] CONNS [--warmup W] [--bulk] [--cpu N]
 *
 * Churn: W untimed connections, then CONNS timed ones, strictly one after
 * the other: socket, connect, write the 64-byte request, read the 64-byte
 * response, read until EOF (the server closes first), close.  Prints
 *   conns=N ns=T rate=R client_cpu_ns_per_conn=C
 * where R is connections per second and C the client's CPU time per
 * connection, both over the timed part.
 *
 * Several ports (one server per configuration, all running at once): the
 * connections go round-robin to the servers, one by one, the start of each
 * cycle rotating, and each is timed on its own.  A burst of other load on
 * the machine then hits every configuration alike, which interleaving whole
 * rounds cannot guarantee on a busy 2-vCPU VM.  Prints one line per port:
 *   port=P conns=N ns=T rate=R median_ns=M
 * T is the sum of that port's connection times, R = N / T; M is the median
 * time of one connection, which ignores the connections that a preemption
 * by some other process stretched (the rate does not).
 *
 * --bulk: one connection, read until EOF, prints
 *   bytes=B ns=T mbps=M      (M in MB/s, 10^6 bytes)
 */
#include "common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static struct sockaddr_in server_addr(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sa;
}

static int connect_to(const struct sockaddr_in *sa)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	while (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) != 0) {
		if (errno != EINTR)
			die("connect");
	}
	return fd;
}

static void one_connection(const struct sockaddr_in *sa)
{
	char buf[BENCH_MSG];
	memset(buf, 'q', sizeof(buf));
	int fd = connect_to(sa);
	if (write_full(fd, buf, BENCH_MSG) != 0)
		die("write request");
	if (read_full(fd, buf, BENCH_MSG) != 0)
		die("read response");
	/* Wait for the server's FIN: we close second, so this side goes
	 * CLOSE_WAIT -> LAST_ACK -> CLOSED and leaves no TIME_WAIT behind. */
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n == 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("read EOF");
		fprintf(stderr, "bench: unexpected %zd extra bytes\n", n);
		exit(1);
	}
	if (close(fd) != 0)
		die("close");
}

static void run_bulk(const struct sockaddr_in *sa)
{
	static char buf[128 * 1024];
	int64_t t0 = now_ns();
	int fd = connect_to(sa);
	long long total = 0;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n == 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("read bulk");
		total += n;
	}
	close(fd);
	int64_t dt = now_ns() - t0;
	printf("bytes=%lld ns=%lld mbps=%.1f\n", total, (long long)dt,
	       dt > 0 ? (double)total * 1e3 / (double)dt : 0.0);
}

#define MAX_PORTS 8

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* CONNS connections to each of n servers, interleaved connection by connection. */
static void run_multi(const struct sockaddr_in *sa, int n, long conns, long warmup)
{
	int64_t total[MAX_PORTS] = { 0 };
	int64_t *lat = calloc((size_t)n * (size_t)(conns > 0 ? conns : 1), sizeof(*lat));
	if (!lat)
		die("calloc");
	for (long i = 0; i < warmup; i++)
		for (int k = 0; k < n; k++)
			one_connection(&sa[k]);
	for (long i = 0; i < conns; i++) {
		for (int j = 0; j < n; j++) {
			int k = (int)((i + j) % n);
			int64_t t0 = now_ns();
			one_connection(&sa[k]);
			int64_t dt = now_ns() - t0;
			total[k] += dt;
			lat[(size_t)k * (size_t)conns + (size_t)i] = dt;
		}
	}
	for (int k = 0; k < n; k++) {
		int64_t *v = lat + (size_t)k * (size_t)conns, med = 0;
		if (conns > 0) {
			qsort(v, (size_t)conns, sizeof(*v), cmp_i64);
			med = v[conns / 2];
		}
		printf("port=%d conns=%ld ns=%lld rate=%.1f median_ns=%lld\n", ntohs(sa[k].sin_port), conns,
		       (long long)total[k], total[k] > 0 ? (double)conns * 1e9 / (double)total[k] : 0.0,
		       (long long)med);
	}
	free(lat);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s PORT[,PORT...] CONNS [--warmup W] [--bulk] [--cpu N]\n", argv[0]);
		return 2;
	}
	struct sockaddr_in sas[MAX_PORTS];
	int nports = 0;
	char *save = NULL;
	for (char *tok = strtok_r(argv[1], ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (nports == MAX_PORTS) {
			fprintf(stderr, "bench_client: at most %d ports\n", MAX_PORTS);
			return 2;
		}
		sas[nports++] = server_addr((int)parse_long(tok, "port"));
	}
	if (nports == 0) {
		fprintf(stderr, "bench_client: no port\n");
		return 2;
	}
	long conns = parse_long(argv[2], "connection count");
	long warmup = 0;
	int bulk = 0, cpu = -1;
	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--warmup") == 0 && i + 1 < argc)
			warmup = parse_long(argv[++i], "warmup");
		else if (strcmp(argv[i], "--bulk") == 0)
			bulk = 1;
		else if (strcmp(argv[i], "--cpu") == 0 && i + 1 < argc)
			cpu = (int)parse_long(argv[++i], "cpu");
		else {
			fprintf(stderr, "bench_client: unknown argument '%s'\n", argv[i]);
			return 2;
		}
	}
	pin_cpu(cpu);
	if (nports > 1) {
		run_multi(sas, nports, conns, warmup);
		return 0;
	}
	struct sockaddr_in sa = sas[0];
	if (bulk) {
		run_bulk(&sa);
		return 0;
	}
	for (long i = 0; i < warmup; i++)
		one_connection(&sa);
	int64_t c0 = cpu_ns();
	int64_t t0 = now_ns();
	for (long i = 0; i < conns; i++)
		one_connection(&sa);
	int64_t dt = now_ns() - t0;
	int64_t dc = cpu_ns() - c0;
	printf("conns=%ld ns=%lld rate=%.1f client_cpu_ns_per_conn=%.1f\n", conns, (long long)dt,
	       dt > 0 ? (double)conns * 1e9 / (double)dt : 0.0,
	       conns > 0 ? (double)dc / (double)conns : 0.0);
	return 0;
}
