/* ka_conn.c - one end of a TCP connection for the keepalive /
 * TCP_USER_TIMEOUT tests (test/keepalive).  The program itself sets nothing
 * unless told to: whatever keepalive it gets comes from the library.
 *
 *   ka_conn server PORT ACTION [N]   listen on 0.0.0.0:PORT, print READY,
 *                                    accept N connections (default 1), print
 *                                    ACCEPTED, then ACTION on the last one
 *   ka_conn client ADDR PORT ACTION  connect, print CONNECTED, then ACTION
 *   ka_conn nontcp                   UDP and UNIX sockets: print their view
 *
 * KA_PRESET_IDLE=N in the environment: the program sets its own
 * TCP_KEEPIDLE=N right after socket(), before listen()/connect().
 *
 * ACTION:
 *   recv   block in recv(); print "RESULT recv=R errno=NAME" when it returns
 *   send   wait for the file $KA_GO, then send until send() fails; print
 *          "RESULT send=-1 errno=NAME"
 *   opts   print "OPTS WHO ka=.. idle=.. intvl=.. cnt=.. uto=.." for the
 *          listener (server), the connection and a dup of it, then recv
 *   own    set the program's own SO_KEEPALIVE=0 and TCP_USER_TIMEOUT=0 on the
 *          connection, print OPTS, then recv (the program's choice must win)
 *   mine   set the program's own TCP_KEEPIDLE=77, SO_KEEPALIVE=1, print OPTS
 *   hold   wait for EOF quietly (a peer)
 *   quit   close at once
 *   exec   make the connection fd 0 and exec "ka_conn stdin", which prints
 *          "OPTS inherited ..." for fd 0 (a socket the library did not see
 *          made: inetd, a re-exec) and waits for EOF
 */
#include "testnet.h"

#include <netinet/tcp.h>
#include <stdbool.h>
#include <sys/un.h>
#include <time.h>

static int get(int fd, int level, int name)
{
	int v = -12345;
	socklen_t len = sizeof v;
	if (getsockopt(fd, level, name, &v, &len) != 0)
		return -1;
	return v;
}

static void set(int fd, int level, int name, int v)
{
	if (setsockopt(fd, level, name, &v, sizeof v) != 0) {
		perror("setsockopt");
		exit(1);
	}
}

static void preset(int fd)
{
	const char *idle = getenv("KA_PRESET_IDLE");
	if (idle)
		set(fd, IPPROTO_TCP, TCP_KEEPIDLE, atoi(idle));
}

static void opts(const char *who, int fd)
{
	printf("OPTS %s ka=%d idle=%d intvl=%d cnt=%d uto=%d\n", who,
	       get(fd, SOL_SOCKET, SO_KEEPALIVE), get(fd, IPPROTO_TCP, TCP_KEEPIDLE),
	       get(fd, IPPROTO_TCP, TCP_KEEPINTVL), get(fd, IPPROTO_TCP, TCP_KEEPCNT),
	       get(fd, IPPROTO_TCP, TCP_USER_TIMEOUT));
	fflush(stdout);
}

/* Wall-clock time of a result, for the test's report (never asserted). */
static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void do_recv(int fd, bool quiet)
{
	char buf[4096];
	ssize_t r;
	do
		r = recv(fd, buf, sizeof buf, 0);
	while (r > 0);
	if (!quiet)
		printf("RESULT recv=%zd at=%.3f errno=%s\n", r, now(), r < 0 ? errno_name(errno) : "none");
	fflush(stdout);
}

static void do_send(int fd)
{
	const char *go = getenv("KA_GO");
	static unsigned char buf[65536];
	for (int i = 0; go && access(go, F_OK) != 0 && i < 3000; i++)
		usleep(10000);
	memset(buf, 'x', sizeof buf);
	for (;;) {
		if (send(fd, buf, sizeof buf, MSG_NOSIGNAL) < 0) {
			printf("RESULT send=-1 at=%.3f errno=%s\n", now(), errno_name(errno));
			fflush(stdout);
			return;
		}
	}
}

static void act(const char *action, int fd)
{
	if (strcmp(action, "recv") == 0) {
		do_recv(fd, false);
	} else if (strcmp(action, "send") == 0) {
		do_send(fd);
	} else if (strcmp(action, "opts") == 0) {
		opts("conn", fd);
		int d = dup(fd);
		opts("dup", d);
		close(d);
		do_recv(fd, true);
	} else if (strcmp(action, "own") == 0) {
		set(fd, SOL_SOCKET, SO_KEEPALIVE, 0);
		set(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, 0);
		opts("own", fd);
		do_recv(fd, false);
	} else if (strcmp(action, "mine") == 0) {
		int d = dup(fd);
		set(fd, IPPROTO_TCP, TCP_KEEPIDLE, 77);
		set(fd, SOL_SOCKET, SO_KEEPALIVE, 1);
		opts("mine", fd);
		opts("minedup", d);
		do_recv(fd, true);
	} else if (strcmp(action, "quit") == 0) {
		close(fd);
	} else if (strcmp(action, "exec") == 0) {
		dup2(fd, 0);
		execl("/proc/self/exe", "ka_conn", "stdin", (char *)NULL);
		perror("exec");
		exit(1);
	} else {
		do_recv(fd, true); /* hold */
	}
}

static int nontcp(void)
{
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	int x = socket(AF_UNIX, SOCK_STREAM, 0);
	int sp[2];
	if (u < 0 || x < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sp) != 0)
		return 1;
	printf("NONTCP udp ka=%d unix ka=%d pair ka=%d\n", get(u, SOL_SOCKET, SO_KEEPALIVE),
	       get(x, SOL_SOCKET, SO_KEEPALIVE), get(sp[0], SOL_SOCKET, SO_KEEPALIVE));
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && strcmp(argv[1], "nontcp") == 0)
		return nontcp();
	if (argc >= 2 && strcmp(argv[1], "stdin") == 0) {
		opts("inherited", 0);
		do_recv(0, true);
		return 0;
	}
	if (argc >= 4 && strcmp(argv[1], "server") == 0) {
		int n = argc >= 5 ? atoi(argv[4]) : 1, one = 1, c = -1;
		int l = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2])) };
		setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		preset(l);
		if (bind(l, (struct sockaddr *)&a, sizeof a) != 0 || listen(l, 16) != 0) {
			perror("bind/listen");
			return 1;
		}
		if (strcmp(argv[3], "opts") == 0)
			opts("listener", l);
		printf("READY\n");
		for (int i = 0; i < n; i++) {
			if (c >= 0)
				close(c);
			c = accept(l, NULL, NULL);
			if (c < 0) {
				perror("accept");
				return 1;
			}
		}
		printf("ACCEPTED\n");
		act(argv[3], c);
		return 0;
	}
	if (argc >= 5 && strcmp(argv[1], "client") == 0) {
		int c = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[3])) };
		inet_pton(AF_INET, argv[2], &a.sin_addr);
		preset(c);
		if (connect(c, (struct sockaddr *)&a, sizeof a) != 0) {
			perror("connect");
			return 1;
		}
		printf("CONNECTED\n");
		act(argv[4], c);
		return 0;
	}
	fprintf(stderr, "usage: see the top of ka_conn.c\n");
	return 2;
}
