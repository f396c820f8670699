/* rel_hazards.c - signals and forks at the worst moments.  Run under the
 * library (test/reliability/hazards.sh); every mode is bounded by alarm().
 *
 *   rel_hazards sig-close     a signal handler closes (and creates) sockets
 *                             while the main thread is inside socket(),
 *                             connect(), accept() and close();
 *   rel_hazards fork-threads  fork() from a multithreaded process while the
 *                             other threads are inside the library;
 *   rel_hazards atfork-signal a pthread_atfork prepare handler raises a
 *                             signal whose handler calls into the library
 *                             (close, socket), and a child handler raises one
 *                             that closes an inherited socket (socket_wrapper's
 *                             fork/signal deadlock, commit 3547fdf).
 *
 * "No lost state" is checked on the kernel's side (raw getsockopt, which
 * the library does not rewrite): sockets the program still holds stay armed
 * {1,0}; sockets closed on purpose (also from a handler) reach their peer as
 * a clean EOF.  Prints "ok ..." / "FAIL ...: why" lines; exit = failures.
 *
 * A worker's socket that a fork copied into a child before the library had
 * its entry (shim/fork_window.c) is given up, with one info line: the
 * worker checks then count the sockets found unarmed against the
 * "gave-up:forked-while-" lines of the log named by $REL_HAZARDS_LOG.
 */
#include "rel_common.h"

#include <pthread.h>
#include <stdatomic.h>

static int failures;
static int lfd;
static unsigned port;

/* verdict(ok, name, printf-format, args...): one "ok"/"FAIL" line. */
#define verdict(ok, name, ...)                          \
	do {                                            \
		if (ok) {                               \
			printf("ok %s\n", name);        \
		} else {                                \
			printf("FAIL %s: ", name);      \
			printf(__VA_ARGS__);            \
			printf("\n");                   \
			failures++;                     \
		}                                       \
		fflush(stdout);                         \
	} while (0)

/* connect + accept on the shared listener; retries EINTR (handlers run
 * without SA_RESTART, to reach the library's EINTR paths too). */
static int pair(int *c, int *s)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback_addr(AF_INET, port, &ss);
	*c = socket(AF_INET, SOCK_STREAM, 0);
	if (*c < 0)
		return -1;
	int r;
	while ((r = connect(*c, (struct sockaddr *)&ss, len)) != 0 && errno == EINTR)
		;
	if (r != 0 && errno != EISCONN) {
		close(*c);
		return -1;
	}
	while ((*s = accept(lfd, NULL, NULL)) < 0 && errno == EINTR)
		;
	if (*s < 0) {
		close(*c);
		return -1;
	}
	return 0;
}

/* What the peer s sees: 0 = clean EOF, else the errno (ECONNRESET...). */
static int peer_end(int s)
{
	char b[64];
	struct pollfd p = {s, POLLIN, 0};
	if (poll(&p, 1, 5000) <= 0)
		return ETIMEDOUT;
	ssize_t r;
	while ((r = recv(s, b, sizeof b, 0)) > 0)
		;
	return r == 0 ? 0 : errno;
}

/* --- sig-close ---------------------------------------------------------------- */

#define POOL 200
static int pool_c[POOL], pool_s[POOL];
static volatile sig_atomic_t pool_next, handler_bad_arm, handler_runs;
static atomic_int stop_sender;

static void close_from_handler(int sig)
{
	(void)sig;
	int saved = errno;
	handler_runs++;
	if (pool_next < POOL)
		close(pool_c[pool_next++]); /* a purposeful close: graceful */
	int t = socket(AF_INET, SOCK_STREAM, 0);
	if (t >= 0) {
		if (!rel_kernel_armed(t))
			handler_bad_arm++;
		close(t);
	}
	errno = saved;
}

static void *sender(void *arg)
{
	pthread_t target = *(pthread_t *)arg;
	while (!atomic_load(&stop_sender)) {
		pthread_kill(target, SIGUSR1);
		usleep(30);
	}
	return NULL;
}

static int sig_close(void)
{
	for (int i = 0; i < POOL; i++)
		if (pair(&pool_c[i], &pool_s[i]) != 0)
			return 2;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = close_from_handler; /* no SA_RESTART: EINTR paths too */
	sigaction(SIGUSR1, &sa, NULL);
	pthread_t me = pthread_self(), t;
	pthread_create(&t, NULL, sender, &me);
	long iters = 0, bad_arm = 0, errors = 0;
	double end = rel_now() + 3;
	while (rel_now() < end || pool_next < POOL) {
		int c, s;
		if (pair(&c, &s) != 0) {
			errors++;
			continue;
		}
		bad_arm += !rel_kernel_armed(c) + !rel_kernel_armed(s);
		while (close(c) != 0 && errno == EINTR)
			;
		close(s);
		iters++;
		if (rel_now() > end + 20)
			break;
	}
	atomic_store(&stop_sender, 1);
	pthread_join(t, NULL);
	signal(SIGUSR1, SIG_IGN);
	printf("info sig-close: %ld main-loop connections, %ld handler runs\n", iters, (long)handler_runs);
	verdict(errors == 0, "sig-close-main-loop-works", "%ld failed socket/connect/accept (of %ld)", errors, iters);
	verdict(bad_arm == 0 && handler_bad_arm == 0, "sig-close-new-sockets-armed",
		"%ld main + %ld handler sockets not armed", bad_arm, (long)handler_bad_arm);
	long eof = 0, other = 0, first_other = 0;
	for (int i = 0; i < pool_next; i++) {
		int e = peer_end(pool_s[i]);
		if (e == 0)
			eof++;
		else if (!other++)
			first_other = e;
	}
	verdict(other == 0, "sig-close-handler-close-graceful", "%ld peers did not see EOF (first errno %ld)",
		other, first_other);
	long unarmed = 0;
	for (int i = pool_next; i < POOL; i++)
		unarmed += !rel_kernel_armed(pool_c[i]);
	verdict(unarmed == 0, "sig-close-open-sockets-still-armed", "%ld of %d", unarmed, (int)(POOL - pool_next));
	return failures;
}

/* --- fork-threads / atfork-signal ---------------------------------------------- */

static atomic_int stop_workers;
static atomic_long worker_bad_arm, worker_iters;

static void *worker(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop_workers)) {
		int c, s;
		if (pair(&c, &s) != 0)
			continue;
		atomic_fetch_add(&worker_bad_arm, !rel_kernel_armed(c) + !rel_kernel_armed(s));
		int d = dup(c);
		struct linger l = {1, 7}, g;
		socklen_t gl = sizeof g;
		setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof l);
		getsockopt(s, SOL_SOCKET, SO_LINGER, &g, &gl);
		close(d);
		shutdown(c, SHUT_WR);
		close(c);
		close(s);
		atomic_fetch_add(&worker_iters, 1);
	}
	return NULL;
}

/* Lines of the library's log that say a fork window gave a socket up. */
static long fork_window_give_ups(void)
{
	const char *path = getenv("REL_HAZARDS_LOG");
	FILE *f = path ? fopen(path, "r") : NULL;
	long n = 0;
	char line[512];
	while (f && fgets(line, sizeof line, f))
		n += strstr(line, "gave-up:forked-while-") != NULL;
	if (f)
		fclose(f);
	return n;
}

static int keep_c, keep_s;     /* the long-lived connection parent and children share */
static volatile sig_atomic_t in_child;

static void child_closes_inherited(int sig)
{
	(void)sig;
	if (in_child)
		close(keep_c); /* the parent still holds it: must stay armed */
}

static void prepare_handler_body(int sig)
{
	(void)sig;
	int saved = errno;
	int t = socket(AF_INET, SOCK_STREAM, 0);
	if (t >= 0)
		close(t);
	if (pool_next < POOL)
		close(pool_c[pool_next++]);
	errno = saved;
}

static void atfork_prepare(void) { pthread_kill(pthread_self(), SIGUSR1); }
static void atfork_child(void)
{
	in_child = 1;
	raise(SIGUSR2);
}

static int forks(int with_atfork)
{
	const int nforks = 150;
	if (pair(&keep_c, &keep_s) != 0)
		return 2;
	if (with_atfork) {
		for (int i = 0; i < POOL; i++)
			if (pair(&pool_c[i], &pool_s[i]) != 0)
				return 2;
		signal(SIGUSR1, prepare_handler_body);
		signal(SIGUSR2, child_closes_inherited);
		pthread_atfork(atfork_prepare, NULL, atfork_child);
	}
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	long hung = 0, child_bad = 0, lost_arm = 0;
	for (int k = 0; k < nforks; k++) {
		pid_t pid = fork();
		if (pid == 0) {
			alarm(10);
			int x = socket(AF_INET, SOCK_STREAM, 0);
			int bad = x < 0 || !rel_kernel_armed(x);
			close(x);
			/* Half the children close the shared socket, half leave it to
			 * exit(0) (ON_EXIT=status disarms at 0 - unless another live
			 * process holds it, as the parent does here). */
			if (k % 2 && !with_atfork)
				close(keep_c);
			exit(bad ? 3 : 0);
		}
		int st = rel_wait(pid, 10);
		if (st == -1)
			hung++;
		else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			child_bad++;
		lost_arm += !rel_kernel_armed(keep_c);
	}
	atomic_store(&stop_workers, 1);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	const char *tag = with_atfork ? "atfork-signal" : "fork-threads";
	char name[64];
	printf("info %s: %d forks while %ld worker connections ran\n", tag, nforks, atomic_load(&worker_iters));
	snprintf(name, sizeof name, "%s-no-deadlock", tag);
	verdict(hung == 0, name, "%ld of %d children hung (killed after 10 s)", hung, nforks);
	snprintf(name, sizeof name, "%s-child-works", tag);
	verdict(child_bad == 0, name, "%ld children failed (new socket not armed or bad exit) of %d", child_bad, nforks);
	snprintf(name, sizeof name, "%s-parent-socket-stays-armed", tag);
	verdict(lost_arm == 0, name, "the parent's socket was disarmed by a child %ld times (of %d)", lost_arm, nforks);
	snprintf(name, sizeof name, "%s-worker-sockets-armed-or-given-up", tag);
	long given_up = fork_window_give_ups();
	printf("info %s: %ld worker sockets given up for a fork window\n", tag, given_up);
	verdict(atomic_load(&worker_bad_arm) <= given_up, name,
		"%ld worker sockets not armed, %ld given up with an info line (of %ld connections)",
		atomic_load(&worker_bad_arm), given_up, atomic_load(&worker_iters));
	/* The parent's own purposeful close of the shared socket: graceful. */
	close(keep_c);
	int e = peer_end(keep_s);
	snprintf(name, sizeof name, "%s-final-close-graceful", tag);
	verdict(e == 0, name, "peer saw errno %d", e);
	if (with_atfork) {
		long other = 0, first = 0;
		for (int i = 0; i < pool_next; i++) {
			int pe = peer_end(pool_s[i]);
			if (pe && !other++)
				first = pe;
		}
		verdict(pool_next > 0 && other == 0, "atfork-signal-handler-close-graceful",
			"%ld handler-closed peers did not see EOF (first errno %ld)", other, first);
	}
	return failures;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	alarm(60); /* a deadlock ends as SIGALRM: the test fails, never hangs */
	if (argc != 2) {
		fprintf(stderr, "usage: rel_hazards sig-close|fork-threads|atfork-signal\n");
		return 2;
	}
	/* Fixed ports of the reliability range (23000-23999), one per mode. */
	unsigned want = !strcmp(argv[1], "sig-close") ? 23501 : !strcmp(argv[1], "fork-threads") ? 23502 : 23503;
	lfd = listen_loopback(AF_INET, want, &port);
	if (listen(lfd, 1024) != 0)
		return 2;
	if (!strcmp(argv[1], "sig-close"))
		return sig_close();
	if (!strcmp(argv[1], "fork-threads"))
		return forks(0);
	if (!strcmp(argv[1], "atfork-signal"))
		return forks(1);
	fprintf(stderr, "rel_hazards: unknown mode %s\n", argv[1]);
	return 2;
}
