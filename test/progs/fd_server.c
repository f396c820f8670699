/* fd_server.c - the side under test for the dup/fork/exec/close-path tests
 * (issue 3, test/fdpaths/).  A server: it listens on 127.0.0.1:PORT, prints
 * "READY <port>", accepts one connection, reads the peer's request line
 * (so no unread input can make the kernel send its own RFC 2525 RST), sends
 * the payload of testnet.h through one of the descriptor paths below, and
 * ends.  The test watches the wire and the peer (test/progs/peer.c).
 *
 *   fd_server --port P --bytes N --case CASE [--how X] [--end END]
 *             [--cloexec] [--self PATH]
 *   fd_server --case target --then MODE [--fd N]     (an exec target)
 *
 * END (after the case): kill  raise(SIGKILL): a crash (default)
 *                       close close(conn), then raise(SIGKILL): everything
 *                             after the close is a crash, so only the close
 *                             decides between FIN and RST
 *                       exit0 / exit1  exit() with the connection open
 * Children a case forks report "PID <pid>" so that the test can wait for
 * them too.  Any unexpected system call result prints "fd_server: CHECK ..."
 * on stderr and exits 2 (the test then fails on a non-empty stderr).
 */
#include "testnet.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/io_uring.h>
#include <sys/mman.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <grp.h>
#include <pthread.h>
#include <pty.h>
#include <stdbool.h>
#include <time.h>

extern char **environ;

static int conn = -1;         /* the connection under test */
static uint64_t total;        /* payload bytes to send */
static uint64_t sent;         /* payload bytes sent so far */
static const char *how = "";  /* the variant of the case (--how) */
static unsigned case_port;    /* --port */
static const char *self_path = "/proc/self/exe";

#define CHECK(cond, what)                                                          \
	do {                                                                       \
		if (!(cond)) {                                                     \
			fprintf(stderr, "fd_server: CHECK %s failed (line %d): %s\n", \
			        what, __LINE__, strerror(errno));                  \
			exit(2);                                                   \
		}                                                                  \
	} while (0)

/* "WORD <v>" on stdout, flushed at once (READY, PID). */
static void say(const char *word, long v)
{
	printf("%s %ld\n", word, v);
	fflush(stdout);
}

/* A crash: the kernel closes whatever is still open (kill -9 semantics). */
static void crash(void)
{
	fflush(stdout);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	raise(SIGKILL);
	_exit(99); /* not reached */
}

/* Send len more payload bytes on fd (stream offset continues: the peer
 * checks that what it got is exactly a prefix of the stream). */
static void send_more(int fd, uint64_t len)
{
	unsigned char buf[65536];
	uint64_t end = sent + len;
	while (sent < end) {
		size_t n = end - sent < sizeof buf ? (size_t)(end - sent) : sizeof buf;
		payload_fill(buf, n, sent);
		size_t done = 0;
		while (done < n) {
			ssize_t w = send(fd, buf + done, n - done, MSG_NOSIGNAL);
			if (w < 0 && errno == EINTR)
				continue;
			CHECK(w > 0, "send");
			done += (size_t)w;
		}
		sent += n;
	}
}

static void send_all(int fd) { send_more(fd, total - sent); }
static void send_half(int fd) { send_more(fd, total / 2); }

static int devnull(void)
{
	int n = open("/dev/null", O_RDWR);
	CHECK(n >= 0, "open /dev/null");
	return n;
}

/* A copy of fd made the way --how says. */
static int make_copy(int fd)
{
	int d = -1;
	if (strcmp(how, "dup") == 0 || !*how)
		d = dup(fd);
	else if (strcmp(how, "dup2") == 0)
		d = dup2(fd, 40);
	else if (strcmp(how, "dup3") == 0)
		d = dup3(fd, 41, O_CLOEXEC);
	else if (strcmp(how, "fdupfd") == 0)
		d = fcntl(fd, F_DUPFD, 50);
	else if (strcmp(how, "fdupfd-cloexec") == 0)
		d = fcntl(fd, F_DUPFD_CLOEXEC, 60);
	else
		CHECK(0, "unknown --how for a copy");
	CHECK(d >= 0 && d != fd, "make a copy");
	return d;
}

static void wait_child(pid_t pid, int want_status)
{
	int st;
	CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
	if (want_status >= 0)
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == want_status, "child exit status");
}

/* One byte through a pipe: "go on" between parent and child. */
static void signal_fd(int fd) { CHECK(write(fd, "g", 1) == 1, "pipe write"); }
static void wait_fd(int fd)
{
	char c;
	ssize_t r;
	while ((r = read(fd, &c, 1)) < 0 && errno == EINTR)
		;
	CHECK(r == 1, "pipe read");
}

/* The environment without LD_PRELOAD: an exec'd program that does not run
 * under the library. */
static char **env_without_preload(void)
{
	size_t n = 0;
	while (environ[n])
		n++;
	char **env = calloc(n + 1, sizeof *env);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "LD_PRELOAD=", 11) != 0)
			env[k++] = environ[i];
	return env;
}

/* Exec this program as a target: "--case target --then MODE --fd N", with
 * the exec function named by --how.  Returns only if the exec failed. */
static void exec_self(const char *mode, int fd, int nolib)
{
	char fdbuf[16];
	snprintf(fdbuf, sizeof fdbuf, "%d", fd);
	char *argv[] = { "fd_server", "--case", "target", "--then", (char *)mode, "--fd", fdbuf, NULL };
	char **env = nolib ? env_without_preload() : environ;
	const char *p = self_path;
	fflush(stdout);
	if (strcmp(how, "execve") == 0 || !*how) {
		execve(p, argv, env);
	} else if (strcmp(how, "execv") == 0) {
		environ = env;
		execv(p, argv);
	} else if (strcmp(how, "execvp") == 0) {
		/* PATH (set by the test) holds the directory of fd_server. */
		environ = env;
		execvp("fd_server", argv);
	} else if (strcmp(how, "execvpe") == 0) {
		execvpe("fd_server", argv, env);
	} else if (strcmp(how, "execl") == 0) {
		environ = env;
		execl(p, "fd_server", "--case", "target", "--then", mode, "--fd", fdbuf, (char *)NULL);
	} else if (strcmp(how, "execlp") == 0) {
		environ = env;
		execlp("fd_server", "fd_server", "--case", "target", "--then", mode, "--fd", fdbuf, (char *)NULL);
	} else if (strcmp(how, "execle") == 0) {
		execle(p, "fd_server", "--case", "target", "--then", mode, "--fd", fdbuf, (char *)NULL, env);
	} else if (strcmp(how, "fexecve") == 0) {
		int efd = open(p, O_RDONLY | O_CLOEXEC);
		CHECK(efd >= 0, "open self for fexecve");
		fexecve(efd, argv, env);
	} else {
		CHECK(0, "unknown --how for an exec");
	}
}

/* --- exec target --------------------------------------------------------- */
static int ready_fd = -1, go_fd = -1; /* --ready / --go: target handshake */

static int run_target(const char *mode, int fd)
{
	if (ready_fd >= 0) {
		signal_fd(ready_fd); /* loaded (the library, if any, has adopted fd) */
		/* a byte, or EOF: the parent that held the write end is gone */
		char c;
		ssize_t r;
		while ((r = read(go_fd, &c, 1)) < 0 && errno == EINTR)
			;
		CHECK(r >= 0, "go pipe read");
	}
	if (strcmp(mode, "kill") == 0)
		crash();
	if (strcmp(mode, "exit0") == 0)
		exit(0);
	if (strcmp(mode, "exit1") == 0)
		exit(1);
	if (strcmp(mode, "close") == 0) {
		CHECK(close(fd) == 0, "target close");
		crash();
	}
	CHECK(0, "unknown target mode");
	return 2;
}

/* --- the cases ------------------------------------------------------------ */
/* Each runs after the request was read; returning hands over to --end. */

/* Nothing but the payload, then --end. */
static void case_plain(void) { send_all(conn); }

/* dup family: one copy closed, the other still holds the socket. */
static void case_dup_close_copy(void) { int d = make_copy(conn); send_all(conn); CHECK(close(d) == 0, "close copy"); }
static void case_dup_close_orig(void)
{
	int d = make_copy(conn);
	send_all(d);
	CHECK(close(conn) == 0, "close original");
	conn = d;
}
static void case_dup_close_both(void)
{
	int d = make_copy(conn);
	send_all(conn);
	CHECK(close(d) == 0, "close copy");
	CHECK(close(conn) == 0, "close original");
}
static void case_dup_close_both_rev(void)
{
	int d = make_copy(conn);
	send_all(conn);
	CHECK(close(conn) == 0, "close original");
	CHECK(close(d) == 0, "close copy");
}

/* dup2/dup3 onto the last reference: a silent close of the socket. */
static void case_dup2_over_last(void)
{
	int n = devnull();
	send_all(conn);
	if (strcmp(how, "dup3") == 0)
		CHECK(dup3(n, conn, O_CLOEXEC) == conn, "dup3 over");
	else
		CHECK(dup2(n, conn) == conn, "dup2 over");
}
static void case_dup2_over_aliased(void)
{
	int n = devnull(), d = dup(conn);
	CHECK(d >= 0, "dup");
	send_all(conn);
	CHECK(dup2(n, conn) == conn, "dup2 over");
	conn = d; /* --end close closes the survivor */
}
static void case_dup2_self(void)
{
	send_all(conn);
	CHECK(dup2(conn, conn) == conn, "dup2(fd, fd)");
	CHECK(fcntl(conn, F_GETFD) >= 0, "still open after dup2(fd, fd)");
}
static void case_dup2_failed(void)
{
	send_all(conn);
	errno = 0;
	CHECK(dup2(999, conn) == -1 && errno == EBADF, "dup2(closed, conn) fails with EBADF");
}
static void case_dup3_self(void)
{
	send_all(conn);
	errno = 0;
	CHECK(dup3(conn, conn, 0) == -1 && errno == EINVAL, "dup3(fd, fd) fails with EINVAL");
}

/* stdio */
static void fwrite_payload(FILE *f)
{
	unsigned char buf[65536];
	while (sent < total) {
		size_t n = total - sent < sizeof buf ? (size_t)(total - sent) : sizeof buf;
		payload_fill(buf, n, sent);
		CHECK(fwrite(buf, 1, n, f) == n, "fwrite");
		sent += n;
	}
}
static void case_fclose(void)
{
	FILE *f = fdopen(conn, "w");
	CHECK(f != NULL, "fdopen");
	fwrite_payload(f);
	CHECK(fclose(f) == 0, "fclose");
}
static void case_fdopen_crash(void)
{
	FILE *f = fdopen(conn, "w");
	CHECK(f != NULL, "fdopen");
	fwrite_payload(f);
	CHECK(fflush(f) == 0, "fflush");
}
static void case_fclose_aliased(void)
{
	int d = dup(conn);
	FILE *f = fdopen(d, "w");
	CHECK(f != NULL, "fdopen");
	fwrite_payload(f);
	CHECK(fclose(f) == 0, "fclose");
}
static void case_freopen(void)
{
	FILE *f = fdopen(conn, "w");
	CHECK(f != NULL, "fdopen");
	fwrite_payload(f);
	CHECK(fflush(f) == 0, "fflush");
	CHECK(freopen("/dev/null", "w", f) != NULL, "freopen");
}

/* Closes that bypass close() */
static void case_closefrom(void) { send_all(conn); closefrom(3); }
static void case_close_range(void)
{
	unsigned flags = strcmp(how, "unshare") == 0 ? CLOSE_RANGE_UNSHARE : 0;
	send_all(conn);
	if (strcmp(how, "one") == 0)
		CHECK(close_range((unsigned)conn, (unsigned)conn, 0) == 0, "close_range(conn, conn)");
	else
		CHECK(close_range(3, ~0U, (int)flags) == 0, "close_range(3, ~0)");
}
static void case_close_range_dups_inside(void)
{
	int d = dup(conn);
	send_all(conn);
	unsigned lo = (unsigned)(d < conn ? d : conn), hi = (unsigned)(d < conn ? conn : d);
	CHECK(close_range(lo, hi, 0) == 0, "close_range over both fds");
}
static void case_close_range_dup_outside(void)
{
	int d = fcntl(conn, F_DUPFD, 100);
	CHECK(d >= 100, "F_DUPFD 100");
	send_all(conn);
	CHECK(close_range(3, 99, 0) == 0, "close_range(3, 99)");
}
static void case_close_range_cloexec(void)
{
	send_all(conn);
	CHECK(close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0, "close_range CLOEXEC");
	if (strcmp(how, "exec") == 0) {
		how = "execve";
		exec_self("kill", conn, 0);
		CHECK(0, "exec");
	}
}
static void case_sys_close(void) { send_all(conn); CHECK(syscall(SYS_close, conn) == 0, "syscall(SYS_close)"); }
static void case_sys_close_range(void)
{
	send_all(conn);
	CHECK(syscall(SYS_close_range, 3, ~0U, 0) == 0, "syscall(SYS_close_range)");
}
static void case_sys_shutdown(void)
{
	send_all(conn);
	CHECK(syscall(SYS_shutdown, conn, SHUT_WR) == 0, "syscall(SYS_shutdown)");
}
/* The raw system call instruction: no library can see it (documented gap). */
static void case_asm_close(void)
{
	send_all(conn);
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "0"((long)SYS_close), "D"((long)conn) : "rcx", "r11", "memory");
	CHECK(r == 0, "raw close");
}

/* io_uring IORING_OP_CLOSE: the kernel closes the fd for the ring, no libc
 * call at all (documented gap).  Raw io_uring_setup/io_uring_enter, one SQE. */
static void case_uring_close(void)
{
	send_all(conn);
	struct io_uring_params pr;
	memset(&pr, 0, sizeof pr);
	int ring = (int)syscall(SYS_io_uring_setup, 1, &pr);
	CHECK(ring >= 0, "io_uring_setup");
	size_t sq_len = pr.sq_off.array + pr.sq_entries * sizeof(unsigned);
	size_t cq_len = pr.cq_off.cqes + pr.cq_entries * sizeof(struct io_uring_cqe);
	char *sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQ_RING);
	char *cq = mmap(NULL, cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_CQ_RING);
	struct io_uring_sqe *sqes = mmap(NULL, pr.sq_entries * sizeof *sqes, PROT_READ | PROT_WRITE,
	                                 MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQES);
	CHECK(sq != MAP_FAILED && cq != MAP_FAILED && sqes != MAP_FAILED, "mmap rings");
	memset(&sqes[0], 0, sizeof sqes[0]);
	sqes[0].opcode = IORING_OP_CLOSE;
	sqes[0].fd = conn;
	unsigned *tail = (unsigned *)(sq + pr.sq_off.tail);
	unsigned *array = (unsigned *)(sq + pr.sq_off.array);
	array[*tail & *(unsigned *)(sq + pr.sq_off.ring_mask)] = 0;
	__atomic_store_n(tail, *tail + 1, __ATOMIC_RELEASE);
	long r = syscall(SYS_io_uring_enter, ring, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0);
	CHECK(r == 1, "io_uring_enter");
	unsigned head = *(unsigned *)(cq + pr.cq_off.head);
	struct io_uring_cqe *cqe = (struct io_uring_cqe *)(cq + pr.cq_off.cqes) +
	                           (head & *(unsigned *)(cq + pr.cq_off.ring_mask));
	errno = -cqe->res;
	CHECK(cqe->res == 0, "IORING_OP_CLOSE result");
}

/* exec */
static void case_exec_cloexec(void)
{
	CHECK(fcntl(conn, F_SETFD, FD_CLOEXEC) == 0, "set FD_CLOEXEC");
	send_all(conn);
	/* The new program crashes at once: only the exec's own close of the
	 * socket can have delivered the data with a FIN. */
	exec_self("kill", conn, 0);
	CHECK(0, "exec");
}
static void case_exec_cloexec_nolib(void)
{
	CHECK(fcntl(conn, F_SETFD, FD_CLOEXEC) == 0, "set FD_CLOEXEC");
	send_all(conn);
	exec_self("kill", conn, 1);
	CHECK(0, "exec");
}
/* The socket survives the exec into a program under the library (it adopts
 * it) or not (it was disarmed first).  --end names the target's mode. */
static const char *end_mode = "kill";
static void case_exec_keep(void)
{
	send_all(conn);
	exec_self(end_mode, conn, 0);
	CHECK(0, "exec");
}
static void case_exec_keep_nolib(void)
{
	send_all(conn);
	exec_self(end_mode, conn, 1);
	CHECK(0, "exec");
}
/* Exec another program (--self PATH, one argument --how) with the socket
 * surviving the exec: a static binary (the loader ignores LD_PRELOAD) or a
 * #! script. */
static void case_exec_other(void)
{
	send_all(conn);
	fflush(stdout);
	execl(self_path, self_path, how, (char *)NULL);
	CHECK(0, "exec");
}
static void case_exec_failed(void)
{
	CHECK(fcntl(conn, F_SETFD, FD_CLOEXEC) == 0, "set FD_CLOEXEC");
	send_all(conn);
	char *argv[] = { "no-such-program", NULL };
	errno = 0;
	if (strcmp(how, "execvp") == 0)
		execvp("abortclose-no-such-program", argv);
	else
		execv("/nonexistent/abortclose-no-such-program", argv);
	CHECK(errno == ENOENT, "exec fails with ENOENT");
}

/* fork: two processes hold the connection. */
/* How fork-parent-first forks (--how WAY[,close]): fork() (default);
 * _Fork() (no atfork handlers but the library's own); forkpty() (glibc's
 * internal fork: the atfork handlers run, the fork() wrapper does not);
 * concurrent-first / concurrent-second: a second thread forks a child that
 * drops its copy at once, at the same time as the serving child's fork,
 * which takes the library's per-process fork ticket first or second
 * (shim/ledger.c, forks).  The overlap is forced: the ticketed fork waits in
 * an atfork prepare handler (which runs before the library's) until the
 * other thread has entered fork() too. */
static volatile int overlap_armed;
static pthread_t overlap_first; /* the thread that takes the ticket and waits */
static int overlap_go[2];
static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}
static void overlap_prepare(void)
{
	if (overlap_armed && pthread_equal(pthread_self(), overlap_first))
		wait_fd(overlap_go[0]);
}
static void *overlap_opener(void *arg)
{
	(void)arg;
	sleep_ms(300); /* both threads are inside fork() by now */
	signal_fd(overlap_go[1]);
	return NULL;
}
static void *overlap_other(void *arg)
{
	if (arg)
		sleep_ms(50); /* after the serving thread took the ticket */
	pid_t pid = fork();
	CHECK(pid >= 0, "fork (other thread)");
	if (pid == 0) {
		close(conn);
		_exit(0);
	}
	wait_child(pid, 0);
	return NULL;
}
/* fork() on this thread while another thread forks too; glibc runs the
 * prepare handlers without its atfork lock held (register-atfork.c), so
 * the second fork completes while the first waits in overlap_prepare. */
static pid_t fork_overlapped(bool serving_first)
{
	pthread_t other, opener;
	CHECK(pipe(overlap_go) == 0, "pipe");
	CHECK(pthread_atfork(overlap_prepare, NULL, NULL) == 0, "pthread_atfork");
	overlap_first = serving_first ? pthread_self() : (pthread_t)0;
	overlap_armed = 1;
	CHECK(pthread_create(&other, NULL, overlap_other, serving_first ? (void *)1 : NULL) == 0, "pthread_create");
	if (!serving_first) {
		overlap_first = other;
		sleep_ms(50); /* the other thread holds the ticket and waits */
	}
	CHECK(pthread_create(&opener, NULL, overlap_opener, NULL) == 0, "pthread_create");
	pid_t pid = fork();
	if (pid == 0)
		return 0;
	overlap_armed = 0;
	CHECK(pthread_join(other, NULL) == 0 && pthread_join(opener, NULL) == 0, "pthread_join");
	return pid;
}
static pid_t fork_the_way(void)
{
	if (strstr(how, "forkpty")) {
		int master;
		pid_t pid = forkpty(&master, NULL, NULL, NULL);
		return pid;
	}
	if (strstr(how, "_Fork"))
		return _Fork();
	if (strstr(how, "concurrent-first"))
		return fork_overlapped(true);
	if (strstr(how, "concurrent-second"))
		return fork_overlapped(false);
	return fork();
}
static void case_fork_parent_first(void)
{
	int p[2];
	CHECK(pipe(p) == 0, "pipe");
	pid_t pid = fork_the_way();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		wait_fd(p[0]); /* the parent has closed its copy */
		send_all(conn);
		if (strstr(how, "close"))
			CHECK(close(conn) == 0, "child close");
		crash();
	}
	CHECK(close(conn) == 0, "parent close");
	signal_fd(p[1]);
	wait_child(pid, -1);
	exit(0);
}
static void case_fork_child_first(void)
{
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		CHECK(close(conn) == 0, "child close");
		exit(0);
	}
	wait_child(pid, 0);
	send_all(conn); /* then --end */
}
/* The parent forks a helper while it serves; the helper ends in a normal
 * way (--how), the parent goes on and ends with --end. */
static void case_fork_helper(void)
{
	send_half(conn);
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		if (strcmp(how, "exit0") == 0)
			exit(0);
		if (strcmp(how, "_exit0") == 0)
			_exit(0);
		if (strcmp(how, "exit1") == 0)
			exit(1);
		if (strcmp(how, "kill") == 0)
			crash();
		if (strcmp(how, "close-exit0") == 0) {
			CHECK(close(conn) == 0, "helper close");
			exit(0);
		}
		if (strcmp(how, "closefrom-exit0") == 0) {
			closefrom(3);
			exit(0);
		}
		if (strcmp(how, "exec-lib") == 0 || strcmp(how, "exec-nolib") == 0 ||
		    strcmp(how, "exec-cloexec") == 0) {
			/* The helper becomes another program that exits 0; the socket goes
			 * with it (not close-on-exec) or is closed by the exec. */
			if (strcmp(how, "exec-cloexec") == 0)
				CHECK(fcntl(conn, F_SETFD, FD_CLOEXEC) == 0, "set FD_CLOEXEC");
			const char *h = how;
			how = "execve";
			exec_self("exit0", conn, strcmp(h, "exec-nolib") == 0);
			CHECK(0, "exec");
		}
		CHECK(0, "unknown helper --how");
	}
	int st;
	CHECK(waitpid(pid, &st, 0) == pid, "waitpid helper");
	send_all(conn); /* then --end */
}
/* Both processes exit(0) without closing: whoever is last delivers the FIN. */
static void case_fork_both_exit0(void)
{
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		send_all(conn);
		exit(0);
	}
	wait_child(pid, 0);
	exit(0);
}
/* The parent exits 0 first; the child (reparented) sends and ends. */
static void case_fork_parent_exits_first(void)
{
	int p[2];
	CHECK(pipe(p) == 0, "pipe");
	pid_t parent = getpid();
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		close(p[1]);
		char c;
		CHECK(read(p[0], &c, 1) == 0, "parent gone (pipe EOF)");
		for (int i = 0; i < 5000 && getppid() == parent; i++)
			usleep(1000); /* EOF comes at the parent's exit, reparenting right after */
		send_all(conn);
		if (strcmp(end_mode, "exit0") == 0)
			exit(0);
		crash();
	}
	say("PID", (long)pid);
	exit(0);
}
/* daemon(): glibc forks with its internal __fork (atfork handlers run) and
 * the parent leaves with the internal _exit. */
static void case_daemon(void)
{
	if (strncmp(how, "at-once", 7) == 0)
		send_all(conn); /* the child then ends at once, racing its parent's exit */
	else
		send_half(conn);
	if (strcmp(how, "at-once-bigmem") == 0) {
		/* The kernel frees a dying process's memory (exit_mm) before its
		 * files (exit_files): with 256 MiB to free, the daemon() parent
		 * still holds the socket for a while after its _exit. */
		size_t big = 256u << 20;
		char *m = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		CHECK(m != MAP_FAILED, "mmap 256 MiB");
		memset(m, 1, big);
	}
	fflush(stdout);
	pid_t parent = getpid();
	CHECK(daemon(1, 1) == 0, "daemon");
	say("PID", (long)getpid());
	if (strncmp(how, "at-once", 7) != 0) {
		/* The case is "the parent has left, then the child ends": wait
		 * (bounded) until the parent is gone - the kernel closes a dying
		 * process's files before it re-parents its children. */
		for (int i = 0; i < 5000 && getppid() == parent; i++)
			usleep(1000);
		CHECK(getppid() != parent, "daemon parent still alive after 5 s");
	}
	send_all(conn); /* then --end */
}
/* Double fork: the grandchild serves, the child exits at once, the parent
 * closes its copy (a classic daemon / "reap immediately" pattern). */
static void case_double_fork(void)
{
	int p[2];
	CHECK(pipe(p) == 0, "pipe");
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		pid_t g = fork();
		CHECK(g >= 0, "fork grandchild");
		if (g == 0) {
			wait_fd(p[0]); /* the parent has closed its copy */
			send_all(conn);
			if (strcmp(end_mode, "close") == 0)
				CHECK(close(conn) == 0, "grandchild close");
			crash();
		}
		say("PID", (long)g);
		exit(0);
	}
	wait_child(pid, 0);
	CHECK(close(conn) == 0, "parent close");
	signal_fd(p[1]);
	exit(0);
}

/* Siblings: the parent forks A and B and closes its copy; A closes its copy
 * and exits 0; then B serves and ends (a shell pipeline on an inetd
 * connection has the same shape once its shell has exec'd away). */
static void case_siblings(void)
{
	int pa[2], pb[2];
	CHECK(pipe(pa) == 0 && pipe(pb) == 0, "pipe");
	pid_t a = fork();
	CHECK(a >= 0, "fork A");
	if (a == 0) {
		wait_fd(pa[0]);
		CHECK(close(conn) == 0, "A close");
		signal_fd(pb[1]);
		exit(0);
	}
	pid_t b = fork();
	CHECK(b >= 0, "fork B");
	if (b == 0) {
		wait_fd(pb[0]);
		send_all(conn);
		if (strcmp(end_mode, "close") == 0)
			CHECK(close(conn) == 0, "B close");
		crash();
	}
	CHECK(close(conn) == 0, "parent close");
	signal_fd(pa[1]);
	wait_child(a, 0);
	wait_child(b, -1);
	exit(0);
}

/* pid reuse in a fork server: child A exits 0 holding the connection and is
 * reaped; then a new child B gets A's pid back (/proc/sys/kernel/ns_last_pid,
 * as a busy forking server gets it after pid_max forks).  The parent closes
 * its copy while B serves; B crashes.  B's crash must still give RST:
 * nothing that A did may count for B. */
static void case_pid_reuse(void)
{
	pid_t a = fork();
	CHECK(a >= 0, "fork A");
	if (a == 0)
		exit(0);
	wait_child(a, 0);
	int p[2];
	CHECK(pipe(p) == 0, "pipe");
	pid_t b = -1;
	for (int i = 0; i < 1000 && b != a; i++) {
		int f = open("/proc/sys/kernel/ns_last_pid", O_WRONLY);
		CHECK(f >= 0, "open ns_last_pid (needs root)");
		char num[16];
		int n = snprintf(num, sizeof num, "%d", (int)a - 1);
		CHECK(write(f, num, (size_t)n) == n, "write ns_last_pid");
		close(f);
		b = fork();
		CHECK(b >= 0, "fork B");
		if (b == 0) {
			if (getpid() != a) /* another process took the pid: try again */
				syscall(SYS_exit_group, 0);
			wait_fd(p[0]);
			send_all(conn);
			if (strcmp(end_mode, "close") == 0)
				CHECK(close(conn) == 0, "B close");
			crash();
		}
		if (b != a)
			waitpid(b, NULL, 0);
	}
	CHECK(b == a, "a child with the pid of the first one (pid reuse)");
	CHECK(close(conn) == 0, "parent close");
	signal_fd(p[1]);
	wait_child(b, -1);
	exit(0);
}

/* A forked child hands the connection to another program through a program
 * without the library (`env LD_PRELOAD=... prog`, what inetd.conf must say
 * for openbsd-inetd): the child's exec disarms nothing for good (the final
 * program adopts and arms the socket).  Once that program runs, the parent
 * closes its copy; then the program ends with --end (kill or close). */
static void case_fork_exec_relay(void)
{
	int ready[2], go[2];
	CHECK(pipe(ready) == 0 && pipe(go) == 0, "pipe");
	send_all(conn);
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		char fdbuf[16], rbuf[16], gbuf[16], pre[4200];
		snprintf(fdbuf, sizeof fdbuf, "%d", conn);
		snprintf(rbuf, sizeof rbuf, "%d", ready[1]);
		snprintf(gbuf, sizeof gbuf, "%d", go[0]);
		const char *lp = getenv("LD_PRELOAD");
		snprintf(pre, sizeof pre, "LD_PRELOAD=%s", lp ? lp : "");
		char self[4096];
		ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
		CHECK(n > 0, "readlink /proc/self/exe");
		self[n] = 0;
		char *argv[] = { "env", pre, self, "--case", "target", "--then", (char *)end_mode,
			         "--fd", fdbuf, "--ready", rbuf, "--go", gbuf, NULL };
		if (strcmp(how, "nolib") == 0) /* the final program runs without the library */
			execve(self, argv + 2, env_without_preload());
		else
			execve("/usr/bin/env", argv, env_without_preload());
		CHECK(0, "exec env");
	}
	wait_fd(ready[0]);
	CHECK(close(conn) == 0, "parent close");
	signal_fd(go[1]);
	wait_child(pid, -1);
	exit(0);
}

/* Spawning children that share the parent's memory or exec at once. */
/* A server started as root drops its privileges (setuid to 65534, like
 * Apache's and HAProxy's workers): Linux makes it non-dumpable, so neither
 * it nor its children can read each other's /proc/PID/fd (issue 10).
 * --how chroot-*: first chroot into an empty directory (no /proc at all).
 *   setuid-child-closes  the child closes its copy of the live connection
 *                        (the CGI / external-check pattern: before exec,
 *                        --how close-exec, or before exit, close-exit0);
 *                        the parent serves and ends with --end
 *   setuid-parent-first  the parent closes its copy at once; the child
 *                        serves and closes (every byte and FIN) */
static void drop_privileges(void)
{
	if (strncmp(how, "chroot", 6) == 0) {
		/* An empty directory, removed before we go in (Linux lets a
		 * process chroot into a directory it holds open after rmdir):
		 * nothing is left in /tmp, and nothing at all is inside. */
		char dir[] = "/tmp/abortclose-chroot.XXXXXX";
		CHECK(mkdtemp(dir) != NULL, "mkdtemp");
		int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		CHECK(d >= 0 && rmdir(dir) == 0 && fchdir(d) == 0 && chroot(".") == 0, "chroot");
		CHECK(close(d) == 0, "close the chroot's fd");
	}
	CHECK(setgroups(0, NULL) == 0 && setgid(65534) == 0 && setuid(65534) == 0, "setuid 65534");
	CHECK(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0, "non-dumpable after setuid");
}
static void case_setuid_child_closes(void)
{
	int p[2];
	drop_privileges();
	send_half(conn);
	CHECK(pipe(p) == 0, "pipe");
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		CHECK(close(conn) == 0, "child close");
		if (strstr(how, "exec")) {
			execl("/bin/true", "true", (char *)NULL);
			CHECK(0, "exec /bin/true");
		}
		exit(0);
	}
	say("PID", (long)pid);
	wait_child(pid, 0);
	send_all(conn); /* then --end */
}
static void case_setuid_parent_first(void)
{
	int p[2];
	drop_privileges();
	CHECK(pipe(p) == 0, "pipe");
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		wait_fd(p[0]); /* the parent has closed its copy */
		send_all(conn);
		CHECK(close(conn) == 0, "child close");
		crash(); /* after the close: only the close decides */
	}
	say("PID", (long)pid);
	CHECK(close(conn) == 0, "parent close");
	signal_fd(p[1]);
	wait_child(pid, -1);
	exit(0);
}

/* setuid-noted-fd-reused: the note names an fd, not a socket.  The parent
 * makes a loopback connection of its own (x to y, port --port + 30, in the
 * same fork epoch as the peer's connection), drops privileges, forks, and
 * lets go of y: its note to the child names y's fd and entry.  The child
 * dup2()s the peer's connection onto that fd (its own y is closed there:
 * the note's socket) and closes both of its fds.  That last release is of
 * the peer's connection under an entry of the same epoch at the noted fd:
 * it must be recorded as the peer's connection (shim/holders.c,
 * noted_socket: not for a dup'd entry), or the parent - whose children's
 * fd tables it may not read - keeps it armed for the child at its own close:
 * RST.  Then the parent sends the rest; --end close: every byte and FIN. */
static void case_setuid_noted_fd_reused(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)(case_port + 30)) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int one = 1, l = socket(AF_INET, SOCK_STREAM, 0), x = socket(AF_INET, SOCK_STREAM, 0), y, p[2];
	CHECK(l >= 0 && x >= 0 && setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
	      bind(l, (struct sockaddr *)&a, sizeof a) == 0 && listen(l, 1) == 0, "own listener");
	CHECK(connect(x, (struct sockaddr *)&a, sizeof a) == 0 && (y = accept(l, NULL, NULL)) >= 0, "own connection");
	CHECK(close(l) == 0, "close own listener");
	drop_privileges();
	send_half(conn);
	CHECK(pipe(p) == 0, "pipe");
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		wait_fd(p[0]); /* the parent has let go of y */
		CHECK(dup2(conn, y) == y, "child dup2");
		CHECK(close(conn) == 0 && close(y) == 0, "child close");
		exit(0);
	}
	say("PID", (long)pid);
	CHECK(close(y) == 0, "parent close y");
	signal_fd(p[1]);
	wait_child(pid, 0);
	send_all(conn); /* then --end */
}

static void case_spawn(void)
{
	send_half(conn);
	pid_t pid = -1;
	if (strcmp(how, "vfork-close") == 0 || strcmp(how, "vfork-closerange-exec") == 0 ||
	    strcmp(how, "vfork-dup2-exec") == 0 || strcmp(how, "vfork-exit") == 0) {
		char *argv[] = { "true", NULL };
		pid = vfork();
		CHECK(pid >= 0, "vfork");
		if (pid == 0) {
			/* Only async-signal-safe calls; each is one of the library's
			 * wrappers, which must pass straight through here. */
			if (strcmp(how, "vfork-close") == 0) {
				close(conn);
				_exit(0);
			}
			if (strcmp(how, "vfork-closerange-exec") == 0) {
				close_range(3, ~0U, 0);
				execve("/bin/true", argv, environ);
				_exit(127);
			}
			if (strcmp(how, "vfork-dup2-exec") == 0) {
				int n = open("/dev/null", O_RDWR);
				dup2(n, conn);
				execve("/bin/true", argv, environ);
				_exit(127);
			}
			_exit(0);
		}
		wait_child(pid, 0);
	} else if (strcmp(how, "system") == 0) {
		CHECK(system("exit 0") == 0, "system");
	} else if (strcmp(how, "system-child") == 0) {
		/* sh forks and execs a real program, under the library too */
		CHECK(system("/bin/sleep 0; exit 0") == 0, "system");
	} else if (strcmp(how, "popen") == 0) {
		FILE *f = popen("cat >/dev/null", "w");
		CHECK(f != NULL, "popen");
		fputs("x\n", f);
		CHECK(pclose(f) == 0, "pclose");
	} else if (strcmp(how, "posix_spawn") == 0 || strcmp(how, "posix_spawnp") == 0 ||
	           strcmp(how, "posix_spawn-closefrom") == 0) {
		posix_spawn_file_actions_t fa;
		posix_spawn_file_actions_init(&fa);
		if (strcmp(how, "posix_spawn-closefrom") == 0)
			posix_spawn_file_actions_addclosefrom_np(&fa, 3);
		else
			posix_spawn_file_actions_addclose(&fa, conn);
		char *argv[] = { "true", NULL };
		int r = strcmp(how, "posix_spawnp") == 0 ? posix_spawnp(&pid, "true", &fa, NULL, argv, environ)
		                                         : posix_spawn(&pid, "/bin/true", &fa, NULL, argv, environ);
		errno = r;
		CHECK(r == 0, "posix_spawn");
		wait_child(pid, 0);
	} else {
		CHECK(0, "unknown spawn --how");
	}
	send_all(conn); /* then --end */
}

/* A hand-over to a spawned program (issue 10): the connection stays open
 * across the exec of this program as a target (--how vfork, clone,
 * posix_spawn, posix_spawnp; "-nolib": the target runs without the
 * library), which adopts it at load.  Only then does the parent close its
 * copy, and the target ends with --end: kill (a crash: RST, the half sent
 * before is a clean prefix) or close (its close is the last holder's: every
 * byte and FIN, sent by the parent before the spawn).  The parent exits 0
 * once the target is gone.  "-parent-crashes" (after the rest of --how): the
 * parent is killed instead of closing its copy, and the target goes on when
 * it sees the go pipe's EOF: the target is then the last holder, and its
 * close must give every byte and FIN, with or without the library in it. */
static char *handover_argv[12];
static char **handover_env;
static int handover_exec(void *unused)
{
	(void)unused;
	execve(self_path, handover_argv, handover_env);
	_exit(127);
}
static void case_spawn_handover(void)
{
	static char stack[65536] __attribute__((aligned(16)));
	int ready[2], go[2];
	char fdbuf[16], rbuf[16], gbuf[16];
	bool graceful = strcmp(end_mode, "close") == 0;
	if (graceful)
		send_all(conn);
	else
		send_half(conn);
	CHECK(pipe(ready) == 0 && pipe(go) == 0, "pipe");
	/* the target gets only its own ends (go's EOF is the parent's death) */
	CHECK(fcntl(ready[0], F_SETFD, FD_CLOEXEC) == 0 && fcntl(go[1], F_SETFD, FD_CLOEXEC) == 0, "cloexec");
	snprintf(fdbuf, sizeof fdbuf, "%d", conn);
	snprintf(rbuf, sizeof rbuf, "%d", ready[1]);
	snprintf(gbuf, sizeof gbuf, "%d", go[0]);
	char *argv[] = { "fd_server", "--case", "target", "--then", (char *)end_mode, "--fd", fdbuf,
			 "--ready", rbuf, "--go", gbuf, NULL };
	memcpy(handover_argv, argv, sizeof argv);
	handover_env = strstr(how, "-nolib") ? env_without_preload() : environ;
	fflush(stdout);
	pid_t pid = -1;
	if (strncmp(how, "vfork", 5) == 0) {
		pid = vfork();
		if (pid == 0)
			handover_exec(NULL);
	} else if (strncmp(how, "clone", 5) == 0) {
		pid = clone(handover_exec, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
	} else if (strncmp(how, "posix_spawn", 11) == 0) {
		int r = strncmp(how, "posix_spawnp", 12) == 0
			    ? posix_spawnp(&pid, self_path, NULL, NULL, handover_argv, handover_env)
			    : posix_spawn(&pid, self_path, NULL, NULL, handover_argv, handover_env);
		errno = r;
		CHECK(r == 0, "posix_spawn");
	} else {
		CHECK(0, "unknown spawn-handover --how");
	}
	CHECK(pid > 0, "spawn");
	say("PID", (long)pid);
	close(ready[1]);
	close(go[0]);
	wait_fd(ready[0]); /* the target has loaded: it adopted the connection */
	if (strstr(how, "-parent-crashes"))
		crash();
	CHECK(close(conn) == 0, "parent close");
	signal_fd(go[1]);
	wait_child(pid, -1);
	exit(0);
}

static const struct {
	const char *name;
	void (*run)(void);
} cases[] = {
	{ "plain", case_plain },
	{ "dup-close-copy", case_dup_close_copy },
	{ "dup-close-orig", case_dup_close_orig },
	{ "dup-close-both", case_dup_close_both },
	{ "dup-close-both-rev", case_dup_close_both_rev },
	{ "dup2-over-last", case_dup2_over_last },
	{ "dup2-over-aliased", case_dup2_over_aliased },
	{ "dup2-self", case_dup2_self },
	{ "dup2-failed", case_dup2_failed },
	{ "dup3-self", case_dup3_self },
	{ "fclose", case_fclose },
	{ "fdopen-crash", case_fdopen_crash },
	{ "fclose-aliased", case_fclose_aliased },
	{ "freopen", case_freopen },
	{ "closefrom", case_closefrom },
	{ "close-range", case_close_range },
	{ "close-range-dups-inside", case_close_range_dups_inside },
	{ "close-range-dup-outside", case_close_range_dup_outside },
	{ "close-range-cloexec", case_close_range_cloexec },
	{ "sys-close", case_sys_close },
	{ "sys-close-range", case_sys_close_range },
	{ "sys-shutdown", case_sys_shutdown },
	{ "asm-close", case_asm_close },
	{ "uring-close", case_uring_close },
	{ "exec-cloexec", case_exec_cloexec },
	{ "exec-cloexec-nolib", case_exec_cloexec_nolib },
	{ "exec-keep", case_exec_keep },
	{ "exec-keep-nolib", case_exec_keep_nolib },
	{ "exec-other", case_exec_other },
	{ "exec-failed", case_exec_failed },
	{ "fork-parent-first", case_fork_parent_first },
	{ "fork-child-first", case_fork_child_first },
	{ "fork-helper", case_fork_helper },
	{ "fork-both-exit0", case_fork_both_exit0 },
	{ "fork-parent-exits-first", case_fork_parent_exits_first },
	{ "daemon", case_daemon },
	{ "double-fork", case_double_fork },
	{ "siblings", case_siblings },
	{ "pid-reuse", case_pid_reuse },
	{ "fork-exec-relay", case_fork_exec_relay },
	{ "spawn", case_spawn },
	{ "spawn-handover", case_spawn_handover },
	{ "setuid-child-closes", case_setuid_child_closes },
	{ "setuid-parent-first", case_setuid_parent_first },
	{ "setuid-noted-fd-reused", case_setuid_noted_fd_reused },
};

static void usage(void)
{
	fprintf(stderr, "usage: fd_server --port P --bytes N --case CASE [--how X] [--end kill|close|exit0|exit1] "
	                "[--cloexec] [--self PATH]\n       fd_server --case target --then MODE [--fd N]\ncases:");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		fprintf(stderr, " %s", cases[i].name);
	fputc('\n', stderr);
	exit(2);
}

static void read_request(int fd)
{
	char c;
	for (;;) {
		ssize_t n = read(fd, &c, 1);
		if (n == 1 && c == '\n')
			return;
		if (n < 0 && errno == EINTR)
			continue;
		CHECK(n == 1, "read request");
	}
}

int main(int argc, char **argv)
{
	unsigned port = 0;
	const char *cname = NULL, *then = NULL;
	int cloexec = 0, target_fd = -1;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--cloexec") == 0) {
			cloexec = 1;
			continue;
		}
		if (!v)
			usage();
		if (strcmp(a, "--port") == 0)
			port = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(a, "--bytes") == 0)
			total = strtoull(v, NULL, 10);
		else if (strcmp(a, "--case") == 0)
			cname = v;
		else if (strcmp(a, "--how") == 0)
			how = v;
		else if (strcmp(a, "--end") == 0)
			end_mode = v;
		else if (strcmp(a, "--then") == 0)
			then = v;
		else if (strcmp(a, "--fd") == 0)
			target_fd = atoi(v);
		else if (strcmp(a, "--self") == 0)
			self_path = v;
		else if (strcmp(a, "--ready") == 0)
			ready_fd = atoi(v);
		else if (strcmp(a, "--go") == 0)
			go_fd = atoi(v);
		else
			usage();
		i++;
	}
	if (!cname)
		usage();
	if (strcmp(cname, "target") == 0)
		return run_target(then ? then : "kill", target_fd);
	size_t k = 0;
	while (k < sizeof cases / sizeof cases[0] && strcmp(cases[k].name, cname) != 0)
		k++;
	if (k == sizeof cases / sizeof cases[0] || port == 0)
		usage();
	case_port = port;
	alarm(60); /* safety net: never outlive the test */

	unsigned bound;
	int lfd = listen_loopback(AF_INET, port, &bound);
	say("READY", (long)bound);
	conn = accept4(lfd, NULL, NULL, cloexec ? SOCK_CLOEXEC : 0);
	CHECK(conn >= 0, "accept");
	read_request(conn);

	cases[k].run();

	if (strcmp(end_mode, "kill") == 0)
		crash();
	if (strcmp(end_mode, "close") == 0) {
		CHECK(close(conn) == 0, "close");
		crash();
	}
	if (strcmp(end_mode, "exit0") == 0)
		exit(0);
	if (strcmp(end_mode, "exit1") == 0)
		exit(1);
	CHECK(0, "unknown --end");
	return 2;
}
