/* rel_crash.c - the crash soak: does a peer of a dying server see
 * ECONNRESET (library on) rather than a clean, misleading EOF (library off)?
 *
 *   rel_crash soak --lib PATH [--port P] [--trials N] [--seed S] [--no-netns]
 *       Runs N trials with ABORTCLOSE=on, then the same N trials (same seed,
 *       same faults at the same moments) with ABORTCLOSE=off, and prints a
 *       table.  In each trial a fresh server process is exec'd with
 *       LD_PRELOAD=PATH, accepts one connection and streams the payload
 *       (testnet.h) without end; this driver is the client: it reads as fast
 *       as it can and records the FIRST error of any call.  The server dies at
 *       a random moment while streaming:
 *         sigkill-bytes  60% of kills: SIGKILL once the client has read R
 *                        bytes (R random, 1 .. 2 MiB)
 *         sigkill-time   SIGKILL a random 0..3 ms after the first byte
 *         sigsegv        (20%) the server itself dereferences NULL after
 *                        sending S bytes (S random)
 *         exit1          (20%) the server calls exit(1) after S bytes
 *                        (ABORTCLOSE_ON_EXIT=status, the default: a failure
 *                        status leaves the sockets armed)
 *       Each trial also checks that the server died the expected way, that
 *       the library was mapped in it, and that the bytes received are exactly
 *       a prefix of the payload.  In a private network namespace (default,
 *       needs root) the kernel's RST counters are reported too.
 *       Exit 0 when: on = 100% ECONNRESET, off = 100% EOF, nothing else.
 *       Exit 1 otherwise, 2 on setup errors, 77 if the netns is unavailable.
 *
 *   rel_crash serve PORT READY_FD FAULT AFTER_BYTES   (internal: the server)
 */
#include "rel_common.h"

#define CHUNK 16384

/* --env K=V: extra environment for the servers (e.g. ABORTCLOSE_LOG). */
static const char *envs[12];
static int nenv;
#define MAX_AFTER (2u << 20)

enum fault { F_KILL_BYTES, F_KILL_TIME, F_SEGV, F_EXIT1, F_COUNT };
static const char *const fault_name[F_COUNT] = {"sigkill-bytes", "sigkill-time", "sigsegv", "exit1"};

/* --- the server (runs under the library) ----------------------------------- */

static int serve(unsigned port, int ready_fd, enum fault fault, uint64_t after)
{
	unsigned bound;
	/* Crashes must not write core files (slow, clutter). */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	alarm(20); /* safety net: never outlive a lost driver */
	int lfd = listen_loopback(AF_INET, port, &bound);
	char msg[32];
	int n = snprintf(msg, sizeof msg, "READY lib=%d\n", rel_lib_loaded("libabortclose"));
	if (write(ready_fd, msg, (size_t)n) != n)
		return 2;
	close(ready_fd);
	int c = accept(lfd, NULL, NULL);
	if (c < 0)
		return 2;
	unsigned char buf[CHUNK];
	uint64_t off = 0;
	for (;;) {
		size_t len = CHUNK;
		if ((fault == F_SEGV || fault == F_EXIT1) && after - off < len)
			len = (size_t)(after - off);
		if (len) {
			payload_fill(buf, len, off);
			ssize_t w = send(c, buf, len, MSG_NOSIGNAL);
			if (w <= 0)
				return 3; /* the driver went away: not a trial result */
			off += (uint64_t)w;
		}
		if (off >= after) {
			if (fault == F_SEGV) {
				volatile int *volatile nowhere = NULL;
				*nowhere = 1; /* a real segmentation fault */
			} else if (fault == F_EXIT1) {
				exit(1);
			}
		}
	}
}

/* --- the driver (the client) -------------------------------------------------- */

enum seen { S_RESET, S_EOF, S_OTHER, S_COUNT };

struct tally {
	long n[F_COUNT][S_COUNT];
	long prefix_bad, status_bad, nolib;
	uint64_t bytes;
	char example[256]; /* first "other" outcome, for the report */
};

struct trial {
	enum fault fault;
	uint64_t after;   /* bytes (kill-bytes: client-read; segv/exit1: server-sent) */
	unsigned delay_us; /* kill-time */
};

static struct trial make_trial(uint64_t *rng)
{
	struct trial t;
	unsigned r = (unsigned)(rel_rand(rng) % 100);
	t.fault = r < 30 ? F_KILL_BYTES : r < 60 ? F_KILL_TIME : r < 80 ? F_SEGV : F_EXIT1;
	t.after = 1 + rel_rand(rng) % MAX_AFTER;
	t.delay_us = (unsigned)(rel_rand(rng) % 3000);
	return t;
}

static void note(struct tally *ta, const char *fault, const char *what, long value)
{
	if (!ta->example[0])
		snprintf(ta->example, sizeof ta->example, "%s: %s %ld", fault, what, value);
}

static int connect_to(unsigned port)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback_addr(AF_INET, port, &ss);
	for (int i = 0; i < 200; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -1;
		if (connect(fd, (struct sockaddr *)&ss, len) == 0)
			return fd;
		close(fd);
		usleep(1000);
	}
	return -1;
}

static void run_trial(const char *self, const char *lib, unsigned port, int on,
		      const struct trial *t, struct tally *ta)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) != 0) {
		perror("pipe");
		exit(2);
	}
	char portbuf[16], fdbuf[16], afterbuf[32], faultbuf[4], preload[4200];
	snprintf(portbuf, sizeof portbuf, "%u", port);
	snprintf(fdbuf, sizeof fdbuf, "%d", pfd[1]);
	snprintf(faultbuf, sizeof faultbuf, "%d", (int)t->fault);
	snprintf(afterbuf, sizeof afterbuf, "%llu", (unsigned long long)t->after);
	snprintf(preload, sizeof preload, "LD_PRELOAD=%s", lib);
	const char *extra[16] = {preload, on ? "ABORTCLOSE=on" : "ABORTCLOSE=off"};
	for (int k = 0; k < nenv; k++)
		extra[2 + k] = envs[k];
	char *argv[] = {(char *)self, "serve", portbuf, fdbuf, faultbuf, afterbuf, NULL};
	pid_t pid = rel_spawn(argv, rel_env(extra), pfd[1]);
	close(pfd[1]);

	char line[64];
	int ok = rel_read_line(pfd[0], line, sizeof line, 10) > 0 && strncmp(line, "READY", 5) == 0;
	close(pfd[0]);
	if (!ok) {
		kill(pid, SIGKILL);
		rel_wait(pid, 10);
		fprintf(stderr, "rel_crash: server did not start\n");
		exit(2);
	}
	if (!strstr(line, "lib=1"))
		ta->nolib++;

	int fd = connect_to(port);
	if (fd < 0) {
		kill(pid, SIGKILL);
		rel_wait(pid, 10);
		fprintf(stderr, "rel_crash: cannot connect to port %u: %s\n", port, strerror(errno));
		exit(2);
	}
	/* Read until the first error or EOF.  A reset is reported once, to the
	 * first call that meets it (platform facts section 1). */
	unsigned char buf[65536], want[65536];
	uint64_t got = 0;
	int killed = 0, prefix_ok = 1, first_err = -1;
	double t_first = 0, deadline = rel_now() + 15;
	for (;;) {
		if (!killed && t->fault == F_KILL_BYTES && got >= t->after) {
			kill(pid, SIGKILL);
			killed = 1;
		}
		if (!killed && t->fault == F_KILL_TIME && got > 0 &&
		    rel_now() - t_first >= t->delay_us / 1e6) {
			kill(pid, SIGKILL);
			killed = 1;
		}
		struct pollfd p = {fd, POLLIN, 0};
		int left = (int)((deadline - rel_now()) * 1000);
		if (left <= 0) {
			first_err = ETIMEDOUT;
			break;
		}
		/* While a time-triggered kill is pending, wake up often. */
		int pr = poll(&p, 1, (t->fault == F_KILL_TIME && !killed) ? 0 : left);
		if (pr < 0 && errno != EINTR) {
			first_err = errno;
			break;
		}
		if (pr <= 0)
			continue;
		size_t cap = sizeof buf;
		if (!killed && t->fault == F_KILL_BYTES && t->after - got < cap)
			cap = (size_t)(t->after - got); /* stop exactly at R */
		ssize_t r = recv(fd, buf, cap, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			first_err = errno;
			break;
		}
		if (r == 0) {
			first_err = 0;
			break;
		}
		if (got == 0)
			t_first = rel_now();
		payload_fill(want, (size_t)r, got);
		if (memcmp(want, buf, (size_t)r) != 0)
			prefix_ok = 0;
		got += (uint64_t)r;
	}
	close(fd);
	if (!killed && (t->fault == F_KILL_BYTES || t->fault == F_KILL_TIME))
		kill(pid, SIGKILL); /* the connection ended before the planned moment */
	int st = rel_wait(pid, 10);

	ta->bytes += got;
	if (!prefix_ok)
		ta->prefix_bad++;
	int want_sig = t->fault == F_SEGV ? SIGSEGV : SIGKILL;
	int status_ok = t->fault == F_EXIT1 ? (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 1)
					    : (st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == want_sig);
	if (!status_ok) {
		ta->status_bad++;
		note(ta, fault_name[t->fault], "server wait status", st);
	}
	enum seen s = first_err == ECONNRESET ? S_RESET : first_err == 0 ? S_EOF : S_OTHER;
	if (s == S_OTHER)
		note(ta, fault_name[t->fault], "client first errno", first_err);
	ta->n[t->fault][s]++;
}

static void print_table(const struct tally *on, const struct tally *off, long trials,
			const struct rel_counters *c_on, const struct rel_counters *c_off)
{
	printf("%-14s | %-28s | %-28s\n", "", "ABORTCLOSE=on (library)", "ABORTCLOSE=off (control)");
	printf("%-14s | %6s %10s %4s %5s | %6s %10s %4s %5s\n", "fault", "trials", "ECONNRESET",
	       "EOF", "other", "trials", "ECONNRESET", "EOF", "other");
	long tot[2][S_COUNT + 1] = {{0}};
	for (int f = 0; f < F_COUNT; f++) {
		long a = on->n[f][0] + on->n[f][1] + on->n[f][2];
		long b = off->n[f][0] + off->n[f][1] + off->n[f][2];
		printf("%-14s | %6ld %10ld %4ld %5ld | %6ld %10ld %4ld %5ld\n", fault_name[f], a,
		       on->n[f][S_RESET], on->n[f][S_EOF], on->n[f][S_OTHER], b, off->n[f][S_RESET],
		       off->n[f][S_EOF], off->n[f][S_OTHER]);
		for (int s = 0; s < S_COUNT; s++) {
			tot[0][s] += on->n[f][s];
			tot[1][s] += off->n[f][s];
		}
	}
	printf("%-14s | %6ld %10ld %4ld %5ld | %6ld %10ld %4ld %5ld\n", "total", trials, tot[0][0],
	       tot[0][1], tot[0][2], trials, tot[1][0], tot[1][1], tot[1][2]);
	printf("reset rate: on %.1f%%, off %.1f%%\n", 100.0 * (double)tot[0][0] / (double)trials,
	       100.0 * (double)tot[1][0] / (double)trials);
	printf("bytes received by the client: on %llu, off %llu\n", (unsigned long long)on->bytes,
	       (unsigned long long)off->bytes);
	if (c_on)
		printf("kernel (private netns): on OutRsts=%ld TCPAbortOnData=%ld TCPAbortOnClose=%ld; "
		       "off OutRsts=%ld TCPAbortOnData=%ld TCPAbortOnClose=%ld\n",
		       c_on->out_rsts, c_on->abort_on_data, c_on->abort_on_close, c_off->out_rsts,
		       c_off->abort_on_data, c_off->abort_on_close);
	printf("checks: payload prefix errors on=%ld off=%ld; unexpected server ends on=%ld off=%ld; "
	       "library not mapped on=%ld off=%ld\n",
	       on->prefix_bad, off->prefix_bad, on->status_bad, off->status_bad, on->nolib, off->nolib);
	if (on->example[0])
		printf("first odd outcome (on): %s\n", on->example);
	if (off->example[0])
		printf("first odd outcome (off): %s\n", off->example);
}

static int soak(int argc, char **argv)
{
	const char *lib = NULL;
	unsigned port = 23000;
	long trials = 1000;
	uint64_t seed = 0;
	int netns = 1;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--lib") && i + 1 < argc)
			lib = argv[++i];
		else if (!strcmp(argv[i], "--port") && i + 1 < argc)
			port = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--trials") && i + 1 < argc)
			trials = atol(argv[++i]);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--env") && i + 1 < argc && nenv < 12)
			envs[nenv++] = argv[++i];
		else if (!strcmp(argv[i], "--no-netns"))
			netns = 0;
		else {
			fprintf(stderr, "rel_crash: bad argument %s\n", argv[i]);
			return 2;
		}
	}
	if (!lib || access(lib, R_OK) != 0 || trials <= 0) {
		fprintf(stderr, "usage: rel_crash soak --lib PATH [--port P] [--trials N] [--seed S] [--no-netns]\n");
		return 2;
	}
	if (!seed)
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20);
	if (netns && rel_private_netns() != 0) {
		fprintf(stderr, "rel_crash: cannot make a private network namespace: %s\n", strerror(errno));
		return 77;
	}
	signal(SIGPIPE, SIG_IGN);
	const char *self = rel_self_exe();
	printf("crash soak: %ld trials per configuration, seed 0x%llx, port %u%s\n", trials,
	       (unsigned long long)seed, port, netns ? ", private netns" : "");
	fflush(stdout);

	static struct tally ta[2];
	struct rel_counters c[2];
	double t0 = rel_now();
	for (int on = 1; on >= 0; on--) {
		uint64_t rng = seed;
		struct rel_counters before = rel_counters_now();
		for (long i = 0; i < trials; i++) {
			struct trial t = make_trial(&rng);
			run_trial(self, lib, port, on, &t, &ta[on]);
		}
		c[on] = rel_counters_diff(before, rel_counters_now());
	}
	print_table(&ta[1], &ta[0], trials, netns ? &c[1] : NULL, netns ? &c[0] : NULL);
	printf("elapsed %.1f s\n", rel_now() - t0);

	long on_reset = 0, off_eof = 0;
	for (int f = 0; f < F_COUNT; f++) {
		on_reset += ta[1].n[f][S_RESET];
		off_eof += ta[0].n[f][S_EOF];
	}
	int ok = on_reset == trials && off_eof == trials;
	for (int k = 0; k < 2; k++)
		ok = ok && !ta[k].prefix_bad && !ta[k].status_bad && !ta[k].nolib;
	printf("RESULT %s: on %ld/%ld ECONNRESET, off %ld/%ld EOF\n", ok ? "PASS" : "FAIL", on_reset,
	       trials, off_eof, trials);
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "serve"))
		return serve((unsigned)atoi(argv[2]), atoi(argv[3]), (enum fault)atoi(argv[4]),
			     strtoull(argv[5], NULL, 10));
	if (argc >= 2 && !strcmp(argv[1], "soak"))
		return soak(argc, argv);
	fprintf(stderr, "usage: rel_crash soak --lib PATH [--trials N] ...\n");
	return 2;
}
