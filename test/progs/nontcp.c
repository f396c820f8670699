/* nontcp.c - the library must leave every socket that is not TCP alone, and
 * keep errno exactly as the program would see it without the library.
 *
 *   nontcp [--tcp-armed 0|1]
 *
 * Creates UDP (IPv4, IPv6), UNIX stream (socketpair and listen/connect/
 * accept), UNIX datagram and UNIX seqpacket sockets, uses them (connect,
 * send, shutdown) and checks after every step that the kernel's SO_LINGER
 * is still what the program left ({0,0}, or {1,5} where the program set
 * it) and that every call succeeds.  The kernel value is read with
 * syscall(SYS_getsockopt): the library may present the program's own
 * linger through an interposed getsockopt(), and syscall() passes unknown
 * numbers through unchanged (issue 2), so this is the real state.
 *
 * --tcp-armed 1|0 also checks TCP sockets (AF_INET, AF_INET6 with
 * SOCK_NONBLOCK|SOCK_CLOEXEC as Python and Node pass them, IPPROTO_TCP):
 * their kernel linger must be {1,0} (library active) or {0,0} (no library,
 * or ABORTCLOSE=off).  This proves the library is really loaded in the
 * process, so that "UDP untouched" is not passing by accident.
 *
 * Prints one line per failed check and "nontcp: N checks, M failed";
 * exit 0 if none failed.
 */
#include "testnet.h"

#include <stddef.h>
#include <sys/syscall.h>
#include <sys/un.h>

static int checks, failures;

static void check(int ok, const char *what)
{
	checks++;
	if (!ok) {
		failures++;
		printf("FAIL %s\n", what);
	}
}

static struct linger kernel_linger(int fd)
{
	struct linger l = { -1, -1 };
	socklen_t len = sizeof l;
	if (syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_LINGER, &l, &len) != 0)
		l.l_onoff = l.l_linger = -2;
	return l;
}

static void check_linger(int fd, int onoff, int secs, const char *what)
{
	struct linger l = kernel_linger(fd);
	char msg[160];
	snprintf(msg, sizeof msg, "%s: kernel SO_LINGER {%d,%d}, want {%d,%d}", what,
	         l.l_onoff, l.l_linger, onoff, secs);
	check(l.l_onoff == onoff && (onoff == 0 || l.l_linger == secs), msg);
}

/* A successful close() must leave errno untouched, as glibc's close does. */
static void check_close(int fd, const char *what)
{
	char msg[160];
	errno = 12345;
	int r = close(fd);
	snprintf(msg, sizeof msg, "%s: close() = %d, errno %d (want 0, errno untouched)", what, r,
	         errno);
	check(r == 0 && errno == 12345, msg);
}

static void test_udp(int family, const char *name)
{
	char what[64];
	unsigned port;
	/* A UDP receiver on an ephemeral port: connect() and send() to it. */
	int rfd = socket(family, SOCK_DGRAM, 0);
	struct sockaddr_storage ss;
	socklen_t len = loopback_addr(family, 0, &ss);
	check(rfd >= 0 && bind(rfd, (struct sockaddr *)&ss, len) == 0, "udp receiver bind");
	len = sizeof ss;
	getsockname(rfd, (struct sockaddr *)&ss, &len);
	port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
	                                : ((struct sockaddr_in *)&ss)->sin_port);
	len = loopback_addr(family, port, &ss);

	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	snprintf(what, sizeof what, "%s socket", name);
	check(fd >= 0, what);
	check_linger(fd, 0, 0, what);
	snprintf(what, sizeof what, "%s connect", name);
	check(connect(fd, (struct sockaddr *)&ss, len) == 0, what);
	check_linger(fd, 0, 0, what);
	snprintf(what, sizeof what, "%s send", name);
	check(send(fd, "x", 1, 0) == 1, what);
	/* The program's own linger on a UDP socket is kept as it is. */
	struct linger own = { 1, 5 };
	snprintf(what, sizeof what, "%s own linger {1,5}", name);
	check(setsockopt(fd, SOL_SOCKET, SO_LINGER, &own, sizeof own) == 0, what);
	check_linger(fd, 1, 5, what);
	snprintf(what, sizeof what, "%s shutdown", name);
	check(shutdown(fd, SHUT_RDWR) == 0, what);
	check_linger(fd, 1, 5, what);
	snprintf(what, sizeof what, "%s close", name);
	check_close(fd, what);
	check_close(rfd, "udp receiver");
}

static void test_unix(void)
{
	int sv[2];
	check(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "unix socketpair");
	check_linger(sv[0], 0, 0, "unix socketpair[0]");
	check_linger(sv[1], 0, 0, "unix socketpair[1]");
	check(write(sv[0], "x", 1) == 1, "unix socketpair write");
	check_close(sv[0], "unix socketpair[0]");
	check_close(sv[1], "unix socketpair[1] (with unread data)");

	/* listen/connect/accept in the abstract namespace (no file left). */
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	snprintf(un.sun_path + 1, sizeof un.sun_path - 1, "abortclose-nontcp-%d", (int)getpid());
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
	                            strlen(un.sun_path + 1));
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	check(lfd >= 0 && bind(lfd, (struct sockaddr *)&un, len) == 0 && listen(lfd, 4) == 0,
	      "unix listen");
	check_linger(lfd, 0, 0, "unix listener");
	int cfd = socket(AF_UNIX, SOCK_STREAM, 0);
	check(connect(cfd, (struct sockaddr *)&un, len) == 0, "unix connect");
	check_linger(cfd, 0, 0, "unix connected");
	int afd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	check(afd >= 0, "unix accept4");
	check_linger(afd, 0, 0, "unix accepted");
	check(shutdown(cfd, SHUT_WR) == 0, "unix shutdown");
	check_close(afd, "unix accepted");
	check_close(cfd, "unix connected");
	check_close(lfd, "unix listener");

	int dfd = socket(AF_UNIX, SOCK_DGRAM, 0);
	check(dfd >= 0, "unix dgram socket");
	check_linger(dfd, 0, 0, "unix dgram");
	check_close(dfd, "unix dgram");

	int qfd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	check(qfd >= 0, "unix seqpacket socket");
	check_linger(qfd, 0, 0, "unix seqpacket");
	check_close(qfd, "unix seqpacket");
}

static void test_tcp(int armed)
{
	static const struct {
		int family, type, proto;
		const char *name;
	} kinds[] = {
		{ AF_INET, SOCK_STREAM, 0, "tcp4 SOCK_STREAM,0" },
		{ AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP, "tcp4 python 0x80001,6" },
		{ AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, "tcp6 node 0x80801,0" },
		{ AF_INET6, SOCK_STREAM, IPPROTO_TCP, "tcp6 SOCK_STREAM,IPPROTO_TCP" },
	};
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		int fd = socket(kinds[i].family, kinds[i].type, kinds[i].proto);
		check(fd >= 0, kinds[i].name);
		check_linger(fd, armed, 0, kinds[i].name);
		check_close(fd, kinds[i].name);
	}
	/* Failing calls keep the kernel's errno. */
	errno = 0;
	check(close(-1) == -1 && errno == EBADF, "close(-1) gives EBADF");
	int p[2];
	check(pipe(p) == 0, "pipe");
	check_close(p[0], "pipe read end");
	check_close(p[1], "pipe write end");
}

int main(int argc, char **argv)
{
	int tcp_armed = -1;
	if (argc == 3 && strcmp(argv[1], "--tcp-armed") == 0)
		tcp_armed = atoi(argv[2]);
	else if (argc != 1) {
		fprintf(stderr, "usage: nontcp [--tcp-armed 0|1]\n");
		return 2;
	}
	test_udp(AF_INET, "udp4");
	test_udp(AF_INET6, "udp6");
	test_unix();
	if (tcp_armed >= 0)
		test_tcp(tcp_armed);
	printf("nontcp: %d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
