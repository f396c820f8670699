/* rel_stress.c - 8 threads creating, dup'ing and closing sockets at once,
 * for ThreadSanitizer (test/reliability/tsan.sh builds this and the library
 * with -fsanitize=thread) and as a plain stress test.
 *
 *   rel_stress [ITERATIONS per thread, default 2000]
 *
 * Threads (all on one listener, so fd numbers are reused constantly):
 *   2 connectors  socket, connect, close           (free low fd numbers)
 *   2 acceptors   accept, check, dup, close        (the fd-reuse race: an
 *                 accept() returns the number another thread just closed;
 *                 the library clears an entry before the real close, so the
 *                 new socket must never meet the old socket's state)
 *   2 dupers      socket, dup, F_DUPFD_CLOEXEC, dup2 onto the dup,
 *                 setsockopt/getsockopt SO_LINGER {1,5}, close all
 *   2 mixers      socket + shutdown (ENOTCONN), fdopen + fclose,
 *                 syscall(SYS_close), socketpair(AF_UNIX)
 * Checked on every fresh TCP socket: the kernel holds {1,0} (raw getsockopt)
 * while the program's own getsockopt sees {0,0} (or its {1,5}).
 * Prints one summary line; exit 0 = no violation, 1 = violations.
 */
#include "rel_common.h"

#include <pthread.h>
#include <stdatomic.h>

static int lfd;
static unsigned port;
static long iters = 2000;
static atomic_long violations, accepted_total, ops;
static long connect_total;

/* TSan models every fd number as a memory cell, created by socket()/dup()
 * and reset by its close() interceptor.  syscall(SYS_close) bypasses the
 * interceptors (TSan has none for syscall()), so the next socket() or dup()
 * of that number in another thread would be reported as racing with this
 * thread's socket().  The sanitizer's syscall hook is how a program that
 * makes raw system calls tells TSan about them (sanitizer/
 * linux_syscall_hooks.h; exported by libtsan, the header ships with clang). */
#ifdef __SANITIZE_THREAD__
void __sanitizer_syscall_pre_impl_close(long fd);
#define raw_close_seen_by_tsan(fd) __sanitizer_syscall_pre_impl_close(fd)
#else
#define raw_close_seen_by_tsan(fd) ((void)(fd))
#endif

static void check_fresh(int fd, int want_user_onoff, int want_user_linger)
{
	struct linger l = {-1, -1};
	socklen_t len = sizeof l;
	if (!rel_kernel_armed(fd))
		atomic_fetch_add(&violations, 1);
	if (getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len) != 0 || l.l_onoff != want_user_onoff ||
	    (want_user_onoff && l.l_linger != want_user_linger))
		atomic_fetch_add(&violations, 1);
	atomic_fetch_add(&ops, 1);
}

static void *connector(void *arg)
{
	(void)arg;
	struct sockaddr_storage ss;
	socklen_t len = loopback_addr(AF_INET, port, &ss);
	for (long i = 0; i < iters; i++) {
		int c = socket(AF_INET, SOCK_STREAM, 0);
		if (c < 0)
			continue;
		check_fresh(c, 0, 0);
		if (connect(c, (struct sockaddr *)&ss, len) != 0)
			atomic_fetch_add(&violations, 1);
		close(c);
	}
	return NULL;
}

static void *acceptor(void *arg)
{
	(void)arg;
	while (atomic_fetch_add(&accepted_total, 1) < connect_total) {
		int a = accept(lfd, NULL, NULL);
		if (a < 0) {
			atomic_fetch_add(&violations, 1);
			continue;
		}
		check_fresh(a, 0, 0);
		int d = dup(a);
		close(a);
		close(d);
	}
	return NULL;
}

static void *duper(void *arg)
{
	(void)arg;
	for (long i = 0; i < iters; i++) {
		int s = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (s < 0)
			s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (s < 0)
			continue;
		check_fresh(s, 0, 0);
		int d = dup(s);
		int e = fcntl(s, F_DUPFD_CLOEXEC, 0);
		if (d >= 0 && dup2(s, d) != d)
			atomic_fetch_add(&violations, 1);
		struct linger own = {1, 5};
		setsockopt(d, SOL_SOCKET, SO_LINGER, &own, sizeof own);
		check_fresh(e, 1, 5); /* the program's {1,5} over the kernel's {1,0} */
		close(e);
		close(d);
		close(s);
	}
	return NULL;
}

static void *mixer(void *arg)
{
	long which = (long)(intptr_t)arg;
	for (long i = 0; i < iters; i++) {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		if (s < 0)
			continue;
		check_fresh(s, 0, 0);
		switch ((i + which) % 3) {
		case 0:
			if (shutdown(s, SHUT_RDWR) == 0 || errno != ENOTCONN)
				atomic_fetch_add(&violations, 1);
			close(s);
			break;
		case 1: {
			FILE *f = fdopen(s, "r+");
			if (f)
				fclose(f);
			else
				close(s);
			break;
		}
		default:
			raw_close_seen_by_tsan(s);
			syscall(SYS_close, s);
			break;
		}
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0) {
			close(sv[0]);
			close(sv[1]);
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		iters = atol(argv[1]);
	alarm(120);
	signal(SIGPIPE, SIG_IGN);
	lfd = listen_loopback(AF_INET, 23600, &port);
	if (listen(lfd, 4096) != 0)
		return 2;
	connect_total = 2 * iters;
	void *(*role[8])(void *) = {connector, connector, acceptor, acceptor, duper, duper, mixer, mixer};
	pthread_t t[8];
	for (long i = 0; i < 8; i++)
		if (pthread_create(&t[i], NULL, role[i], (void *)(intptr_t)i) != 0)
			return 2;
	for (int i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
	close(lfd);
	long v = atomic_load(&violations);
	printf("rel_stress: 8 threads, %ld checks of fresh sockets, %ld violations\n", atomic_load(&ops), v);
	return v ? 1 : 0;
}
