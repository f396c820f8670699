/* fd_errno.c - return values and errno of the interposed calls on their
 * failure paths, and errno left untouched on their success paths (issue 3;
 * the library must be invisible).  test/fdpaths/errno.sh runs it with and
 * without the library and compares the output line by line.
 *
 *   fd_errno PORT     (PORT: a port nobody listens on, for ECONNREFUSED)
 */
#include "testnet.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/syscall.h>

#define SENTINEL 4242

static void show(const char *what, long rc)
{
	printf("%-40s rc=%ld errno=%s\n", what, rc, rc < 0 ? errno_name(errno) : (errno == SENTINEL ? "untouched" : errno_name(errno)));
}

#define T(what, call)                    \
	do {                             \
		errno = SENTINEL;        \
		long rc_ = (long)(call); \
		show(what, rc_);         \
	} while (0)

static int tcp(void) { return socket(AF_INET, SOCK_STREAM, 0); }

int main(int argc, char **argv)
{
	unsigned port = argc > 1 ? (unsigned)atoi(argv[1]) : 24800;
	struct linger l = { 1, 5 };
	socklen_t len = sizeof l;
	int p[2];
	if (pipe(p) != 0)
		return 2;

	T("close(-1)", close(-1));
	T("close(12345)", close(12345));
	int s = tcp();
	T("close(socket)", close(s));
	T("close(socket) again", close(s));

	s = tcp();
	T("shutdown(unconnected, SHUT_WR)", shutdown(s, SHUT_WR));
	T("shutdown(unconnected, SHUT_RDWR)", shutdown(s, SHUT_RDWR));
	T("shutdown(unconnected, SHUT_RD)", shutdown(s, SHUT_RD));
	T("shutdown(socket, 99)", shutdown(s, 99));
	T("shutdown(pipe, SHUT_WR)", shutdown(p[0], SHUT_WR));
	T("shutdown(-1, SHUT_WR)", shutdown(-1, SHUT_WR));
	T("syscall(SYS_shutdown, unconnected)", syscall(SYS_shutdown, s, SHUT_WR));

	T("setsockopt(SO_LINGER, optlen 4)", setsockopt(s, SOL_SOCKET, SO_LINGER, &l, 4));
	T("setsockopt(SO_LINGER, optlen 0)", setsockopt(s, SOL_SOCKET, SO_LINGER, &l, 0));
	T("setsockopt(SO_LINGER, NULL)", setsockopt(s, SOL_SOCKET, SO_LINGER, NULL, sizeof l));
	T("setsockopt(SO_LINGER) on a pipe", setsockopt(p[0], SOL_SOCKET, SO_LINGER, &l, sizeof l));
	T("setsockopt(SO_LINGER) on fd -1", setsockopt(-1, SOL_SOCKET, SO_LINGER, &l, sizeof l));
	T("setsockopt(SO_LINGER) ok", setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof l));
	T("getsockopt(SO_LINGER) ok", getsockopt(s, SOL_SOCKET, SO_LINGER, &l, &len));
	printf("%-40s {%d,%d} len=%u\n", "  value", l.l_onoff, l.l_linger, (unsigned)len);
	T("getsockopt(SO_LINGER) on a pipe", getsockopt(p[0], SOL_SOCKET, SO_LINGER, &l, &len));
	T("getsockopt(SO_LINGER, optlen NULL)", getsockopt(s, SOL_SOCKET, SO_LINGER, &l, NULL));
	T("getsockopt(SO_LINGER, optval NULL)", getsockopt(s, SOL_SOCKET, SO_LINGER, NULL, &len));
	len = (socklen_t)-1;
	T("getsockopt(SO_LINGER, optlen -1)", getsockopt(s, SOL_SOCKET, SO_LINGER, &l, &len));

	T("dup(-1)", dup(-1));
	T("dup2(-1, 50)", dup2(-1, 50));
	T("dup2(socket, -1)", dup2(s, -1));
	T("dup2(socket, socket)", dup2(s, s) == s ? 0 : -1);
	T("dup3(socket, socket, 0)", dup3(s, s, 0));
	T("dup3(socket, 51, 12345)", dup3(s, 51, 12345));
	T("fcntl(-1, F_DUPFD)", fcntl(-1, F_DUPFD, 0));
	T("fcntl(socket, F_DUPFD, -1)", fcntl(s, F_DUPFD, -1));
	T("fcntl(socket, F_DUPFD_CLOEXEC, 1<<30)", fcntl(s, F_DUPFD_CLOEXEC, 1 << 30));
	int d = dup(s);
	T("close(dup of socket)", close(d));

	T("close_range(5, 3, 0)", close_range(5, 3, 0));
	T("close_range(200, 300, 0x100)", close_range(200, 300, 0x100));
	T("close_range(200, 300, 0) (nothing open)", close_range(200, 300, 0));
	T("syscall(SYS_close, -1)", syscall(SYS_close, -1));
	T("syscall(SYS_close_range, 5, 3, 0)", syscall(SYS_close_range, 5, 3, 0));
	T("syscall(SYS_getpid) (passed through)", syscall(SYS_getpid) > 0 ? 0 : -1);
	T("syscall(-1)", syscall(-1));

	T("accept(unconnected)", accept(s, NULL, NULL));
	T("listen(pipe)", listen(p[0], 1));
	struct sockaddr_storage ss;
	socklen_t sl = loopback_addr(AF_INET, port, &ss);
	T("connect(refused port)", connect(s, (struct sockaddr *)&ss, sl));
	T("close(socket) after refused connect", close(s));

	char *argv2[] = { "x", NULL };
	T("execve(/nonexistent)", execve("/nonexistent/x", argv2, NULL));
	T("execve(/) (a directory)", execve("/", argv2, NULL));
	T("execvp(no-such-program)", execvp("abortclose-no-such-program", argv2));
	T("execl(/nonexistent)", execl("/nonexistent/x", "x", (char *)NULL));

	/* Success paths on a connected pair: errno untouched. */
	unsigned bound;
	int lfd = listen_loopback(AF_INET, 0, &bound);
	int c = tcp();
	sl = loopback_addr(AF_INET, bound, &ss);
	T("connect ok", connect(c, (struct sockaddr *)&ss, sl));
	int a;
	T("accept ok", (a = accept(lfd, NULL, NULL)) >= 0 ? 0 : -1);
	T("shutdown(connected, SHUT_WR) ok", shutdown(c, SHUT_WR));
	T("dup ok", (d = dup(a)) >= 0 ? 0 : -1);
	T("close(dup) ok", close(d));
	T("close(accepted) ok", close(a));
	T("close(connected) ok", close(c));
	T("close(listener) ok", close(lfd));
	FILE *f = fdopen(tcp(), "r+");
	T("fclose(fdopen(socket)) ok", fclose(f));
	return 0;
}
