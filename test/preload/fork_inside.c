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
 *                                only after that close. */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* In the child: wait for the parent's end, then close fds[0..n) (at once,
 * telling the parent, when let_go). */
static void fork_holding(const int *fds, size_t n, int let_go)
{
	const char *pidfile = getenv("FORK_INSIDE_PIDFILE");
	int p[2], done[2];
	if (!pidfile || pipe(p) != 0 || pipe(done) != 0)
		return;
	pid_t c = fork();
	if (c == 0) {
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
	fork_holding(fds, n, 0);
	return r;
}

int accept4(int fd, struct sockaddr *a, socklen_t *l, int flags)
{
	static int (*next)(int, struct sockaddr *, socklen_t *, int);
	if (!next)
		next = (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(RTLD_NEXT, "accept4");
	int r = next(fd, a, l, flags);
	if (r >= 0 && (wanted("accept") || wanted("accept-let-go")))
		fork_holding(&r, 1, wanted("accept-let-go"));
	return r;
}

int socket(int domain, int type, int protocol)
{
	static int (*next)(int, int, int);
	if (!next)
		next = (int (*)(int, int, int))dlsym(RTLD_NEXT, "socket");
	int r = next(domain, type, protocol);
	if (r >= 0 && wanted("socket") && (domain == AF_INET || domain == AF_INET6) && (type & 0xf) == SOCK_STREAM)
		fork_holding(&r, 1, 0);
	return r;
}

int accept(int fd, struct sockaddr *a, socklen_t *l)
{
	static int (*next)(int, struct sockaddr *, socklen_t *);
	if (!next)
		next = (int (*)(int, struct sockaddr *, socklen_t *))dlsym(RTLD_NEXT, "accept");
	int r = next(fd, a, l);
	if (r >= 0 && (wanted("accept") || wanted("accept-let-go")))
		fork_holding(&r, 1, wanted("accept-let-go"));
	return r;
}
