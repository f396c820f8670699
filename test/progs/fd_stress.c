/* fd_stress.c - many threads creating, duplicating and closing TCP sockets
 * at once (issue 3, "Threads"), both ends in this one process (under the
 * library): every connection must end gracefully with every byte.
 *
 *   fd_stress --port P [--threads T] [--conns N] [--seconds S] [--seed X]
 *             [--fork-every-us U]
 *
 * T client threads each make up to N connections (stopping after S seconds)
 * to a listener served by T acceptor threads.  Per connection a random
 * direction (the client or the server sends 1 B .. 256 KiB of payload) and,
 * for each end, a random purposeful close path (close, dup+close in either
 * order, dup2/dup3 over the fd, F_DUPFD(_CLOEXEC)+close, fclose(fdopen),
 * shutdown+close, close_range(fd, fd), syscall(SYS_close),
 * syscall(SYS_close_range), ...).  Fd numbers are reused across threads all
 * the time (thread A closes 7 while thread B's accept() returns 7).  The
 * receiving end checks that it got exactly the payload, then EOF.
 * Prints one line:
 *   conns=N ok=N reset=N short=N mismatch=N errors=N paths=<count per path>
 * and exits 0 when ok == conns, 1 otherwise.  No fork anywhere, unless
 * --fork-every-us: one more thread forks every U microseconds while the
 * others run (the child _exits at once: its exit policy releases every
 * socket it inherited, which the parent still holds), so that forks meet
 * sockets being made and closed on other threads (the state table's overlay
 * and its clearing before each fork, shim/fdtable.c).  Prints forks=N too.
 */
#include "testnet.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#define MAX_LEN (256 * 1024)
enum { N_PATHS = 14 };
static const char *path_names[N_PATHS] = {
	"close", "dup-close-orig-first", "dup-close-dup-first", "dup2-over", "dup3-over",
	"F_DUPFD", "F_DUPFD_CLOEXEC", "fclose-fdopen", "shutdown-wr-close", "close_range-one",
	"SYS_close", "SYS_close_range", "dup-close_range-each", "shutdown-rdwr-close",
};

static unsigned port;
static int lfd;
static double deadline;
static atomic_long conns, ok, resets, shorts, mismatches, errors, path_count[N_PATHS];
static atomic_int first_error_reported;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void report(const char *what, int err)
{
	if (atomic_exchange(&first_error_reported, 1) == 0)
		fprintf(stderr, "fd_stress: first problem: %s: %s\n", what, err ? strerror(err) : "-");
}

/* A purposeful end of fd by path p.  Returns 0 or an errno. */
static int graceful_close(int fd, unsigned p)
{
	int d, n, r = 0;
	atomic_fetch_add(&path_count[p], 1);
	switch (p) {
	case 0:
		r = close(fd);
		break;
	case 1:
		d = dup(fd);
		r = close(fd) | close(d);
		break;
	case 2:
		d = dup(fd);
		r = close(d) | close(fd);
		break;
	case 3:
	case 4:
		n = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (n < 0)
			return errno;
		r = (p == 3 ? dup2(n, fd) : dup3(n, fd, O_CLOEXEC)) == fd ? 0 : -1;
		r |= close(fd) | close(n);
		break;
	case 5:
	case 6:
		d = fcntl(fd, p == 5 ? F_DUPFD : F_DUPFD_CLOEXEC, 0);
		r = close(d) | close(fd);
		break;
	case 7: {
		FILE *f = fdopen(fd, "r+");
		if (!f)
			return errno;
		r = fclose(f);
		break;
	}
	case 8:
	case 13:
		r = shutdown(fd, p == 8 ? SHUT_WR : SHUT_RDWR) | close(fd);
		break;
	case 9:
		r = close_range((unsigned)fd, (unsigned)fd, 0);
		break;
	case 10:
		r = (int)syscall(SYS_close, fd);
		break;
	case 11:
		r = (int)syscall(SYS_close_range, fd, fd, 0);
		break;
	case 12:
		d = dup(fd);
		r = close_range((unsigned)fd, (unsigned)fd, 0) | close_range((unsigned)d, (unsigned)d, 0);
		break;
	}
	return r ? errno : 0;
}

static int send_all(int fd, const unsigned char *buf, size_t len)
{
	for (size_t done = 0; done < len;) {
		ssize_t w = send(fd, buf + done, len - done, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return errno;
		done += (size_t)w;
	}
	return 0;
}

/* Read exactly len bytes (the header). */
static int read_exact(int fd, void *buf, size_t len)
{
	for (size_t done = 0; done < len;) {
		ssize_t r = recv(fd, (char *)buf + done, len - done, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return errno;
		if (r == 0)
			return EPIPE;
		done += (size_t)r;
	}
	return 0;
}

/* Receive the payload of len bytes, then EOF; classify the outcome. */
static void receive_and_judge(int fd, uint32_t len, unsigned char *buf)
{
	uint64_t got = 0;
	int match = 1, err = 0;
	for (;;) {
		ssize_t r = recv(fd, buf, MAX_LEN, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = errno;
			break;
		}
		if (r == 0)
			break;
		for (ssize_t k = 0; k < r && match; k++)
			match = buf[k] == payload_byte(got + (uint64_t)k);
		got += (uint64_t)r;
	}
	if (err == ECONNRESET) {
		atomic_fetch_add(&resets, 1);
		report("ECONNRESET on a gracefully closed connection", err);
	} else if (err) {
		atomic_fetch_add(&errors, 1);
		report("recv", err);
	} else if (got != len) {
		atomic_fetch_add(&shorts, 1);
		report("short stream (bytes lost at a graceful close)", 0);
	} else if (!match) {
		atomic_fetch_add(&mismatches, 1);
		report("payload mismatch", 0);
	} else {
		atomic_fetch_add(&ok, 1);
	}
}

static void *acceptor(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg * 7919u + 1;
	unsigned char *buf = malloc(MAX_LEN), *payload = malloc(MAX_LEN);
	payload_fill(payload, MAX_LEN, 0);
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, (rand_r(&seed) & 1) ? SOCK_CLOEXEC : 0);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			break; /* the listener was shut down: done */
		}
		uint32_t hdr[2];
		int e = read_exact(fd, hdr, sizeof hdr);
		if (e) {
			atomic_fetch_add(&errors, 1);
			report("server: header", e);
			close(fd);
			continue;
		}
		if (hdr[0] == 0) {
			receive_and_judge(fd, hdr[1], buf); /* the client sends */
		} else if ((e = send_all(fd, payload, hdr[1])) != 0) {
			atomic_fetch_add(&errors, 1);
			report("server: send", e);
		}
		e = graceful_close(fd, (unsigned)rand_r(&seed) % N_PATHS);
		if (e) {
			atomic_fetch_add(&errors, 1);
			report("server: close path", e);
		}
	}
	free(buf);
	free(payload);
	return NULL;
}

struct client_args {
	unsigned id;
	long conns;
};

static void *client(void *arg)
{
	struct client_args *a = arg;
	unsigned seed = a->id * 104729u + 17;
	unsigned char *buf = malloc(MAX_LEN), *payload = malloc(MAX_LEN);
	payload_fill(payload, MAX_LEN, 0);
	struct sockaddr_storage ss;
	socklen_t sl = loopback_addr(AF_INET, port, &ss);
	for (long i = 0; i < a->conns && now_s() < deadline; i++) {
		uint32_t hdr[2] = { (uint32_t)(rand_r(&seed) & 1), 0 };
		/* mostly small, sometimes large enough to be queued at the close */
		hdr[1] = (rand_r(&seed) % 8 == 0) ? 1 + (uint32_t)rand_r(&seed) % MAX_LEN
		                                  : 1 + (uint32_t)rand_r(&seed) % 8192;
		int fd = socket(AF_INET, SOCK_STREAM | ((rand_r(&seed) & 1) ? SOCK_CLOEXEC : 0), 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&ss, sl) != 0) {
			atomic_fetch_add(&errors, 1);
			report("client: connect", errno);
			if (fd >= 0)
				close(fd);
			continue;
		}
		atomic_fetch_add(&conns, 1);
		int e = send_all(fd, (unsigned char *)hdr, sizeof hdr);
		if (!e && hdr[0] == 0)
			e = send_all(fd, payload, hdr[1]);
		if (e) {
			atomic_fetch_add(&errors, 1);
			report("client: send", e);
		} else if (hdr[0] == 1) {
			receive_and_judge(fd, hdr[1], buf);
		}
		e = graceful_close(fd, (unsigned)rand_r(&seed) % N_PATHS);
		if (e) {
			atomic_fetch_add(&errors, 1);
			report("client: close path", e);
		}
	}
	free(buf);
	free(payload);
	return NULL;
}

static _Atomic long forks;
static long fork_every_us;

static void *forker(void *unused)
{
	(void)unused;
	while (now_s() < deadline) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		if (pid < 0 || waitpid(pid, NULL, 0) != pid) {
			atomic_fetch_add(&errors, 1);
			report("forker: fork/waitpid", errno);
			break;
		}
		atomic_fetch_add(&forks, 1);
		usleep((useconds_t)fork_every_us);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = 8;
	long per_thread = 2000;
	double seconds = 40;
	unsigned seed = 1;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--port") == 0)
			port = (unsigned)atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--threads") == 0)
			threads = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--conns") == 0)
			per_thread = atol(argv[i + 1]);
		else if (strcmp(argv[i], "--seconds") == 0)
			seconds = atof(argv[i + 1]);
		else if (strcmp(argv[i], "--seed") == 0)
			seed = (unsigned)atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--fork-every-us") == 0)
			fork_every_us = atol(argv[i + 1]);
	}
	if (!port || threads < 1 || threads > 64) {
		fprintf(stderr, "usage: fd_stress --port P [--threads T] [--conns N] [--seconds S] [--seed X] "
				"[--fork-every-us U]\n");
		return 2;
	}
	unsigned bound;
	lfd = listen_loopback(AF_INET, port, &bound);
	if (listen(lfd, 1024) != 0)
		return 2;
	deadline = now_s() + seconds;
	pthread_t acc[64], cli[64];
	struct client_args ca[64];
	for (int t = 0; t < threads; t++)
		pthread_create(&acc[t], NULL, acceptor, (void *)(uintptr_t)(t + seed * 100));
	for (int t = 0; t < threads; t++) {
		ca[t].id = (unsigned)t + seed * 100;
		ca[t].conns = per_thread;
		pthread_create(&cli[t], NULL, client, &ca[t]);
	}
	pthread_t fk;
	if (fork_every_us > 0)
		pthread_create(&fk, NULL, forker, NULL);
	for (int t = 0; t < threads; t++)
		pthread_join(cli[t], NULL);
	if (fork_every_us > 0)
		pthread_join(fk, NULL);
	/* Every connection has been accepted (each client waited for its own
	 * exchange or sent and closed; the acceptors drain the rest). */
	for (;;) {
		long done = atomic_load(&ok) + atomic_load(&resets) + atomic_load(&shorts) +
		            atomic_load(&mismatches) + atomic_load(&errors);
		if (done >= atomic_load(&conns) || now_s() > deadline + 30)
			break;
		usleep(10000);
	}
	shutdown(lfd, SHUT_RDWR); /* wakes the acceptors: accept() fails */
	for (int t = 0; t < threads; t++)
		pthread_join(acc[t], NULL);
	printf("conns=%ld ok=%ld reset=%ld short=%ld mismatch=%ld errors=%ld forks=%ld paths=", atomic_load(&conns),
	       atomic_load(&ok), atomic_load(&resets), atomic_load(&shorts), atomic_load(&mismatches),
	       atomic_load(&errors), atomic_load(&forks));
	for (int p = 0; p < N_PATHS; p++)
		printf("%s%s:%ld", p ? "," : "", path_names[p], atomic_load(&path_count[p]));
	putchar('\n');
	return atomic_load(&ok) == atomic_load(&conns) && atomic_load(&errors) == 0 ? 0 : 1;
}
