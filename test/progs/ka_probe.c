/* ka_probe.c - what the kernel copies from a listener into an accepted
 * connection (test/keepalive/kernel_copies.sh, docs/readme-keepalive.md).
 * Run WITHOUT the library.
 *
 * For each of three moments - before listen(), after listen() but before
 * the client connects, after the handshake completed (the connection is
 * queued) - it sets SO_KEEPALIVE=1, TCP_KEEPIDLE=11, TCP_KEEPINTVL=3,
 * TCP_KEEPCNT=4, TCP_USER_TIMEOUT=1234 and SO_LINGER {1,0} on a loopback
 * listener, accepts, and prints what the accepted socket holds:
 *   MOMENT ka=.. idle=.. intvl=.. cnt=.. uto=.. linger=ON,SECS
 * then holds the connections open until stdin closes (so that ss can show
 * their keepalive timers).
 *
 *   ka_probe BASEPORT     uses BASEPORT, BASEPORT+1, BASEPORT+2
 */
#include "testnet.h"

#include <netinet/tcp.h>

static int get(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof v;
	getsockopt(fd, level, name, &v, &len);
	return v;
}

static void set_all(int fd)
{
	int on = 1, idle = 11, intvl = 3, cnt = 4, uto = 1234;
	struct linger lg = { 1, 0 };
	if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &uto, sizeof uto) ||
	    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg)) {
		perror("setsockopt");
		exit(1);
	}
}

enum moment { BEFORE_LISTEN, AFTER_LISTEN, AFTER_HANDSHAKE };

static void probe(enum moment m, int port)
{
	static const char *name[] = { "before-listen", "after-listen", "after-handshake" };
	int one = 1, l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(l, (struct sockaddr *)&a, sizeof a) != 0) {
		perror("bind");
		exit(1);
	}
	if (m == BEFORE_LISTEN)
		set_all(l);
	listen(l, 8);
	if (m == AFTER_LISTEN)
		set_all(l);
	if (connect(c, (struct sockaddr *)&a, sizeof a) != 0) {
		perror("connect");
		exit(1);
	}
	/* The handshake completes in the kernel, before accept() runs: a
	 * loopback connect() returns once the connection is queued. */
	if (m == AFTER_HANDSHAKE)
		set_all(l);
	int x = accept(l, NULL, NULL);
	struct linger lg = { -1, -1 };
	socklen_t len = sizeof lg;
	getsockopt(x, SOL_SOCKET, SO_LINGER, &lg, &len);
	printf("%s ka=%d idle=%d intvl=%d cnt=%d uto=%d linger=%d,%d\n", name[m],
	       get(x, SOL_SOCKET, SO_KEEPALIVE), get(x, IPPROTO_TCP, TCP_KEEPIDLE),
	       get(x, IPPROTO_TCP, TCP_KEEPINTVL), get(x, IPPROTO_TCP, TCP_KEEPCNT),
	       get(x, IPPROTO_TCP, TCP_USER_TIMEOUT), lg.l_onoff, lg.l_linger);
}

int main(int argc, char **argv)
{
	char b;
	if (argc != 2)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	int port = atoi(argv[1]);
	probe(BEFORE_LISTEN, port);
	probe(AFTER_LISTEN, port + 1);
	probe(AFTER_HANDSHAKE, port + 2);
	printf("HOLDING\n");
	while (read(0, &b, 1) > 0)
		;
	return 0;
}
