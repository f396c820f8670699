/* fd_linger.c - SO_LINGER as the program sees it (issue 3, "SO_LINGER
 * transparency").
 *
 *   fd_linger view PORT [--kernel]
 *       Builds a connection to itself on 127.0.0.1:PORT and prints one line
 *       per step: what getsockopt/setsockopt(SO_LINGER) returned to the
 *       program (rc, errno, l_onoff, l_linger, optlen).  The output must be
 *       the same with and without the library.  With --kernel each line
 *       also shows what the kernel really holds (read with a raw
 *       getsockopt system call that no library sees): under the library the
 *       managed sockets stay armed {1,0}.
 *   fd_linger serve PORT BYTES ON,SECS
 *       A server whose LISTENER gets SO_LINGER {ON,SECS} before listen();
 *       prints "READY <port>", accepts, reads the request line, sends BYTES
 *       payload bytes and close()s the accepted socket (which inherits the
 *       listener's linger: {1,0} aborts with RST, {1,5} is graceful), then
 *       raises SIGKILL.
 */
#include "testnet.h"

#include <signal.h>
#include <sys/syscall.h>

static int show_kernel;

static void kernel_view(int fd)
{
	struct linger l = { -1, -1 };
	socklen_t len = sizeof l;
	long r = syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_LINGER, &l, &len);
	if (show_kernel)
		printf(" kernel=%s{%d,%d}", r == 0 ? "" : "error", l.l_onoff, l.l_linger);
}

static void get(const char *step, int fd, socklen_t len)
{
	struct linger l = { -7, -7 };
	errno = 0;
	int r = getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len);
	printf("%-34s get rc=%d errno=%s onoff=%d linger=%d len=%u", step, r, r ? errno_name(errno) : "0",
	       l.l_onoff, l.l_linger, (unsigned)len);
	kernel_view(fd);
	putchar('\n');
}

static void set(const char *step, int fd, int on, int secs, socklen_t len, int null)
{
	struct linger l = { on, secs };
	errno = 0;
	int r = setsockopt(fd, SOL_SOCKET, SO_LINGER, null ? NULL : &l, len);
	printf("%-34s set {%d,%d} len=%u rc=%d errno=%s", step, on, secs, (unsigned)len, r,
	       r ? errno_name(errno) : "0");
	kernel_view(fd);
	putchar('\n');
}

static int connect_to(unsigned port)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback_addr(AF_INET, port, &ss);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) != 0) {
		perror("connect");
		exit(2);
	}
	return fd;
}

static int view(unsigned port)
{
	const socklen_t L = sizeof(struct linger);
	unsigned bound;
	int lfd = listen_loopback(AF_INET, port, &bound);
	get("listener fresh", lfd, L);
	int c = connect_to(bound);
	int a = accept(lfd, NULL, NULL);
	get("client fresh", c, L);
	get("accepted fresh", a, L);
	set("accepted", a, 1, 5, L, 0);
	get("accepted after {1,5}", a, L);
	set("accepted", a, 0, 7, L, 0);
	get("accepted after {0,7} (time kept)", a, L);
	set("accepted", a, 1, 0, L, 0);
	get("accepted after {1,0}", a, L);
	set("accepted", a, 0, 0, L, 0);
	get("accepted after {0,0}", a, L);
	/* Linger times beyond the entry's 8 bits (shim/fdtable.h): kept beside. */
	set("accepted", a, 1, 254, L, 0);
	get("accepted after {1,254}", a, L);
	set("accepted", a, 1, 255, L, 0);
	get("accepted after {1,255}", a, L);
	set("accepted", a, 1, 2147483647, L, 0);
	get("accepted after {1,INT_MAX}", a, L);
	set("accepted", a, 0, 3, L, 0);
	get("accepted after {0,3} (big time kept)", a, L);
	set("accepted", a, 1, 1000, L, 0);
	get("accepted after {1,1000}", a, L);
	set("accepted", a, 1, 12, L, 0);
	get("accepted after {1,12}", a, L);
	/* A negative time: the kernel shows its longest over HZ. */
	set("accepted", a, 1, -1, L, 0);
	get("accepted after {1,-1}", a, L);
	set("accepted", a, 0, 4, L, 0);
	get("accepted after {0,4} (kept)", a, L);
	set("accepted", a, 0, 0, L, 0);
	/* A dup'd fd names the same socket: it shows the same value. */
	set("client", c, 1, 9, L, 0);
	int d = dup(c);
	get("dup of client after {1,9}", d, L);
	set("dup of client", d, 1, 3, L, 0);
	get("client after {1,3} via its dup", c, L);
	set("dup of client", d, 1, 86400, L, 0);
	get("client after {1,86400} via its dup", c, L);
	int d2 = dup(d);
	get("second dup after {1,86400}", d2, L);
	close(d2);
	set("client", c, 1, 3, L, 0);
	close(d);
	get("client after closing its dup", c, L);
	/* Short and odd lengths, bad pointers: the kernel's answers. */
	get("client optlen 4", c, 4);
	get("client optlen 0", c, 0);
	get("client optlen 100", c, 100);
	set("client short optlen", c, 1, 1, 4, 0);
	get("client after failed set", c, L);
	set("client NULL optval", c, 1, 1, L, 1);
	set("client long optlen", c, 1, 2, 16, 0);
	get("client after long optlen", c, L);
	close(a);
	/* Accepted sockets inherit the program's view from their listener. */
	int lfd2 = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(lfd2, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_storage ss;
	socklen_t sl = loopback_addr(AF_INET, bound + 1, &ss);
	if (bind(lfd2, (struct sockaddr *)&ss, sl) != 0) {
		perror("bind");
		return 2;
	}
	set("listener2 before listen", lfd2, 1, 5, L, 0);
	listen(lfd2, 4);
	int c2 = connect_to(bound + 1);
	int a2 = accept(lfd2, NULL, NULL);
	get("listener2", lfd2, L);
	get("accepted from listener2 {1,5}", a2, L);
	set("listener2 after listen", lfd2, 0, 0, L, 0);
	int c3 = connect_to(bound + 1);
	int a3 = accept(lfd2, NULL, NULL);
	get("accepted from listener2 now {0,0}", a3, L);
	get("earlier accepted still", a2, L);
	set("listener2", lfd2, 1, 0, L, 0);
	int c4 = connect_to(bound + 1);
	int a4 = accept(lfd2, NULL, NULL);
	get("accepted from listener2 {1,0}", a4, L);
	set("listener2", lfd2, 1, 600, L, 0);
	int c5 = connect_to(bound + 1);
	int a5 = accept(lfd2, NULL, NULL);
	get("accepted from listener2 {1,600}", a5, L);
	set("accepted5 before close", a5, 0, 0, L, 0);
	close(c5);
	close(a5);
	close(c);
	close(c2);
	close(c3);
	close(c4);
	/* Close the accepted ones with RST-free settings: they have unread
	 * nothing, but a4 inherited {1,0} - reset it first (the peers are ours). */
	set("accepted4 before close", a4, 0, 0, L, 0);
	close(a2);
	close(a3);
	close(a4);
	close(lfd);
	close(lfd2);
	return 0;
}

static int serve(unsigned port, uint64_t total, const char *lingerspec)
{
	struct linger l;
	if (sscanf(lingerspec, "%d,%d", &l.l_onoff, &l.l_linger) != 2)
		return 2;
	struct sockaddr_storage ss;
	socklen_t sl = loopback_addr(AF_INET, port, &ss);
	int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (setsockopt(lfd, SOL_SOCKET, SO_LINGER, &l, sizeof l) != 0 ||
	    bind(lfd, (struct sockaddr *)&ss, sl) != 0 || listen(lfd, 4) != 0) {
		perror("listener");
		return 2;
	}
	printf("READY %u\n", port);
	fflush(stdout);
	int c = accept(lfd, NULL, NULL);
	char ch;
	while (read(c, &ch, 1) == 1 && ch != '\n')
		;
	unsigned char buf[65536];
	for (uint64_t off = 0; off < total;) {
		size_t n = total - off < sizeof buf ? (size_t)(total - off) : sizeof buf;
		payload_fill(buf, n, off);
		ssize_t w = send(c, buf, n, MSG_NOSIGNAL);
		if (w <= 0) {
			perror("send");
			return 2;
		}
		off += (uint64_t)w;
		if ((size_t)w < n) /* resend the rest from the new offset */
			continue;
	}
	close(c);
	raise(SIGKILL);
	return 3;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "view") == 0) {
		show_kernel = argc > 3 && strcmp(argv[3], "--kernel") == 0;
		return view((unsigned)atoi(argv[2]));
	}
	if (argc == 5 && strcmp(argv[1], "serve") == 0)
		return serve((unsigned)atoi(argv[2]), strtoull(argv[3], NULL, 10), argv[4]);
	fprintf(stderr, "usage: fd_linger view PORT [--kernel] | serve PORT BYTES ON,SECS\n");
	return 2;
}
