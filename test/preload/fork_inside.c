/* fork_inside.c - preloaded after the library, for test/fdpaths/scm.sh and
 * fork-window.sh: forks inside accept()/accept4() or recvmsg(), after the
 * kernel has made the new fd and before the library stores its entry (the
 * window of shim/fork_window.c), as another thread's fork may.  fork() here
 * resolves to the library's, first in LD_PRELOAD.
 *   FORK_INSIDE=accept|socket|recvmsg   which call (socket: TCP only)
 *   FORK_INSIDE_PIDFILE=PATH     the child writes its pid there
 * The child holds the new fd until its parent is gone (a pipe's EOF), then
 * closes it on purpose and exits 0: its close is the last holder's.
 *   FORK_INSIDE=accept-let-go    the child closes the new fd at once (a child
 *                                that did not keep it), and the call returns
 *                                only after that close.
 *   FORK_INSIDE=close            forks inside the library's real close() of
 *                                the first TCP connection closed, before the
 *                                kernel's; the child moves the socket to fd
 *                                700 and closes every other fd of it, with
 *                                raw system calls the library does not see:
 *                                it holds the socket with no entry for it, as
 *                                a child of a fork on another thread can
 *                                (shim/fork_window.c, "Closed"). */
#include <dlfcn.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define HIDDEN_FD 700

/* libc's syscall(), past the library's. */
static long raw(long nr, long a, long b, long c)
{
	static long (*next)(long, ...);
	if (!next)
		next = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	return next(nr, a, b, c);
}

/* In the child: the socket of fd only at HIDDEN_FD, unseen by the library. */
static int hide(int fd)
{
	struct stat me, st;
	if (fstat(fd, &me) != 0 || raw(SYS_dup3, fd, HIDDEN_FD, 0) != HIDDEN_FD)
		_exit(4);
	for (int i = 0; i < HIDDEN_FD; i++)
		if (fstat(i, &st) == 0 && st.st_ino == me.st_ino && st.st_dev == me.st_dev)
			raw(SYS_close, i, 0, 0);
	return HIDDEN_FD;
}

/* In the child: wait for the parent's end, then close fds[0..n) (at once,
 * telling the parent, when let_go). */
static void fork_holding(const int *fds, size_t n, int let_go, int hidden)
{
	const char *pidfile = getenv("FORK_INSIDE_PIDFILE");
	int p[2], done[2];
	if (!pidfile || pipe(p) != 0 || pipe(done) != 0)
		return;
	pid_t c = fork();
	if (c == 0) {
		int moved;
		if (hidden) {
			moved = hide(fds[0]);
			fds = &moved;
			n = 1;
		}
		close(p[1]);
		close(done[0]);
		if (let_go) {
			for (size_t i = 0; i < n; i++)
				close(fds[i]);
			n = 0;
		}
		if (write(done[1], "x", 1) != 1)
			_exit(3);
		close(done[1]);
		FILE *f = fopen(pidfile, "w");
		if (f) {
			fprintf(f, "%d\n", (int)getpid());
			fclose(f);
		}
		char ch;
		while (read(p[0], &ch, 1) > 0)
			;
		for (size_t i = 0; i < n; i++)
			close(fds[i]);
		_exit(0);
	}
	close(p[0]);
	fcntl(p[1], F_SETFD, FD_CLOEXEC); /* held by this process only */
	close(done[1]);
	char ch;
	if (read(done[0], &ch, 1) != 1) {
		/* the child is gone: the test sees no pid file */
	}
	close(done[0]);
}

static int wanted(const char *call)
{
	const char *w = getenv("FORK_INSIDE");
	return w && strcmp(w, call) == 0;
}

ssize_t recvmsg(int fd, struct msghdr *m, int flags)
{
	static ssize_t (*next)(int, struct msghdr *, int);
	if (!next)
		next = (ssize_t (*)(int, struct msghdr *, int))dlsym(RTLD_NEXT, "recvmsg");
	ssize_t r = next(fd, m, flags);
	if (r < 0 || !m || m->msg_controllen == 0 || !wanted("recvmsg"))
		return r;
	int fds[16];
	size_t n = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int) && n < 16; i++)
			memcpy(&fds[n++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
	}
	fork_holding(fds, n, 0, 0);
	return r;
}

int accept4(int fd, struct sockaddr *a, socklen_t *l, int flags)
{
	static int (*next)(int, struct sockaddr *, socklen_t *, int);
	if (!next)
		next = (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(RTLD_NEXT, "accept4");
	int r = next(fd, a, l, flags);
	if (r >= 0 && (wanted("accept") || wanted("accept-let-go")))
		fork_holding(&r, 1, wanted("accept-let-go"), 0);
	return r;
}

int socket(int domain, int type, int protocol)
{
	static int (*next)(int, int, int);
	if (!next)
		next = (int (*)(int, int, int))dlsym(RTLD_NEXT, "socket");
	int r = next(domain, type, protocol);
	if (r >= 0 && wanted("socket") && (domain == AF_INET || domain == AF_INET6) && (type & 0xf) == SOCK_STREAM)
		fork_holding(&r, 1, 0, 0);
	return r;
}

int accept(int fd, struct sockaddr *a, socklen_t *l)
{
	static int (*next)(int, struct sockaddr *, socklen_t *);
	if (!next)
		next = (int (*)(int, struct sockaddr *, socklen_t *))dlsym(RTLD_NEXT, "accept");
	int r = next(fd, a, l);
	if (r >= 0 && (wanted("accept") || wanted("accept-let-go")))
		fork_holding(&r, 1, wanted("accept-let-go"), 0);
	return r;
}

/* A connection: a TCP socket with a peer (not the listener, not a pipe). */
static int tcp_connection(int fd)
{
	int proto = 0;
	socklen_t l = sizeof proto;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	return getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &l) == 0 && proto == IPPROTO_TCP &&
	       getpeername(fd, (struct sockaddr *)&ss, &sl) == 0;
}

int close(int fd)
{
	static int (*next)(int);
	static int done;
	if (!next)
		next = (int (*)(int))dlsym(RTLD_NEXT, "close");
	if (!done && wanted("close") && tcp_connection(fd)) {
		done = 1;
		fork_holding(&fd, 1, 0, 1);
	}
	return next(fd);
}
