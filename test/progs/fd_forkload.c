/* fd_forkload.c - a fork-per-connection server under load (issue 10).
 *
 *   fd_forkload server --port P --conns N       (the side under test)
 *   fd_forkload client --port P --conns N --parallel K
 *
 * The server accepts N connections; for each it forks a handler and closes
 * its own copy at once (inetd / busybox httpd / postmaster).  The handler
 * reads the request line (the client's number I of the connection), sends a payload of a size that depends on the
 * connection's number (1 B - 64 KiB, stream bytes of testnet.h), and ends
 * on purpose in one of three ways: close, shutdown(SHUT_WR) + close, or
 * exit(0) with the socket open.  Every 5th handler first forks a helper
 * that closes its copy and exits (a grandchild in the fork tree).  K client
 * processes keep up to K connections live at a time, so each handler's close
 * has live siblings.  The client checks that every connection got exactly its
 * payload, then EOF, and prints "conns=N ok=M reset=R short=S"; it exits 0
 * when ok == N.  The server exits 0 after the last handler (its status is not checked:
 * one reaped early by WNOHANG is not seen again; the client checks the wire).
 */
#include "testnet.h"

#include <signal.h>
#include <sys/wait.h>

#define CHECK(cond, what)                                                              \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "fd_forkload: CHECK %s failed (line %d): %s\n", \
			        what, __LINE__, strerror(errno));                      \
			exit(2);                                                       \
		}                                                                      \
	} while (0)

static size_t size_of(long i) { return (size_t)1 + (size_t)((i * 7919) % 65536); }

static void handler(int c)
{
	char buf[4096], x;
	long i = 0;
	for (;;) { /* the request line: the client's number of the connection */
		ssize_t r = read(c, &x, 1);
		if (r == 1 && x == '\n')
			break;
		if (r <= 0 || x < '0' || x > '9')
			_exit(3);
		i = i * 10 + (x - '0');
	}
	if (i % 5 == 0) {
		pid_t h = fork();
		if (h == 0) {
			close(c);
			_exit(0);
		}
		waitpid(h, NULL, 0);
	}
	size_t len = size_of(i), off = 0;
	while (off < len) {
		size_t n = len - off < sizeof buf ? len - off : sizeof buf;
		payload_fill((unsigned char *)buf, n, off);
		ssize_t w = write(c, buf, n);
		if (w <= 0)
			_exit(4);
		off += (size_t)w;
	}
	switch (i % 3) {
	case 0:
		close(c);
		break;
	case 1:
		shutdown(c, SHUT_WR);
		close(c);
		break;
	default:
		exit(0); /* with the socket open: the exit disarms it (status 0) */
	}
	exit(0);
}

static int server(unsigned port, long conns)
{
	unsigned bound;
	int lfd = listen_loopback(AF_INET, port, &bound);
	printf("READY %u\n", bound);
	fflush(stdout);
	for (long i = 0; i < conns; i++) {
		int c = accept(lfd, NULL, NULL);
		CHECK(c >= 0, "accept");
		pid_t pid = fork();
		CHECK(pid >= 0, "fork");
		if (pid == 0) {
			close(lfd);
			handler(c);
		}
		CHECK(close(c) == 0, "parent close");
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
	while (wait(NULL) > 0)
		; /* the client checks every connection */
	return 0;
}

static int one(unsigned port, long i)
{
	struct sockaddr_storage ss;
	socklen_t sl = loopback_addr(AF_INET, port, &ss);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(s >= 0 && connect(s, (struct sockaddr *)&ss, sl) == 0, "connect");
	char req[32];
	int rl = snprintf(req, sizeof req, "%ld\n", i);
	CHECK(write(s, req, (size_t)rl) == rl, "request");
	size_t want = size_of(i), got = 0;
	unsigned char buf[4096], exp[4096];
	int result = 0; /* 0 ok, 1 reset, 2 short/wrong */
	for (;;) {
		ssize_t r = read(s, buf, sizeof buf);
		if (r < 0) {
			result = errno == ECONNRESET ? 1 : 2;
			break;
		}
		if (r == 0) {
			result = got == want ? 0 : 2;
			break;
		}
		payload_fill(exp, (size_t)r, got);
		if (got + (size_t)r > want || memcmp(buf, exp, (size_t)r) != 0) {
			result = 2;
			break;
		}
		got += (size_t)r;
	}
	close(s);
	return result;
}

static int client(unsigned port, long conns, long k)
{
	int p[2];
	CHECK(pipe(p) == 0, "pipe");
	for (long w = 0; w < k; w++) {
		if (fork() == 0) {
			close(p[0]);
			for (long i = w; i < conns; i += k) {
				char r = (char)('0' + one(port, i));
				CHECK(write(p[1], &r, 1) == 1, "result");
			}
			_exit(0);
		}
	}
	close(p[1]);
	long ok = 0, reset = 0, shortc = 0;
	char r;
	while (read(p[0], &r, 1) == 1)
		r == '0' ? ok++ : r == '1' ? reset++ : shortc++;
	while (wait(NULL) > 0)
		;
	printf("conns=%ld ok=%ld reset=%ld short=%ld\n", conns, ok, reset, shortc);
	return ok == conns ? 0 : 1;
}

int main(int argc, char **argv)
{
	unsigned port = 0;
	long conns = 0, k = 8;
	if (argc < 2)
		return 2;
	for (int i = 2; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--port") == 0)
			port = (unsigned)strtoul(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--conns") == 0)
			conns = strtol(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--parallel") == 0)
			k = strtol(argv[i + 1], NULL, 10);
	}
	alarm(120);
	signal(SIGPIPE, SIG_IGN);
	if (strcmp(argv[1], "server") == 0)
		return server(port, conns);
	if (strcmp(argv[1], "client") == 0)
		return client(port, conns, k);
	return 2;
}
