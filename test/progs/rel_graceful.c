/* rel_graceful.c - the graceful soak: a server under the library that
 * closes every connection on purpose must lose nothing and send no RST.
 *
 *   rel_graceful soak --lib PATH --server thread|fork [--port P] [--rounds R]
 *                     [--conns C] [--bytes B] [--no-netns]
 *       R rounds (default 20); in each, C connections (default 200) are
 *       opened at once and each receives B bytes (default 1 MiB) of the
 *       payload (testnet.h), then EOF.  The server is exec'd with
 *       LD_PRELOAD=PATH:
 *         thread  one thread per connection: read the request line, send B
 *                 bytes, close();
 *         fork    one process per connection: the parent close()s its copy
 *                 at once (the socket is then held by the child only: the
 *                 parent's close must NOT disarm it), the child sends B
 *                 bytes, close()s, exit(0)s.
 *       The server checks, through a raw getsockopt that bypasses the
 *       library, that every accepted socket is armed {1,0} in the kernel, and
 *       (fork) still armed just before the child's close.  The client checks
 *       exact byte counts and content, and that each connection ends in EOF.
 *       RSTs are counted by the kernel of a private network namespace
 *       (default; needs root): the RSTs a close or an abort sends
 *       (TCPAbortOnData: linger {1,0}; TCPAbortOnClose: unread data) must
 *       stay 0.  OutRsts is reported too but not asserted: it also counts a
 *       client's RST to the ACK a server TIME_WAIT answers a port-reusing
 *       SYN with.
 *       Exit 0 = pass, 1 = fail, 2 = setup error, 77 = no netns.
 *
 *   rel_graceful serve MODE PORT REPORT_FD BYTES TOTAL    (internal: server)
 */
#include "rel_common.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/epoll.h>

/* --env K=V: extra environment for the server (e.g. ABORTCLOSE_LOG). */
static const char *envs[12];
static int nenv;

static unsigned char *payload; /* the first B bytes of the stream */
static size_t payload_len;

static void make_payload(size_t bytes)
{
	payload = malloc(bytes);
	if (!payload) {
		perror("malloc");
		exit(2);
	}
	payload_fill(payload, bytes, 0);
	payload_len = bytes;
}

/* --- the server (runs under the library) ----------------------------------- */

static atomic_long n_unarmed, n_lost_arm, n_failed, active;

/* Read the request line to its end: unread input at close() would make the
 * kernel send RST whatever the linger (RFC 2525; platform facts section 7). */
static int read_request(int fd)
{
	char c;
	for (int n = 0; n < 256; n++) {
		ssize_t r = recv(fd, &c, 1, 0);
		if (r <= 0)
			return -1;
		if (c == '\n')
			return 0;
	}
	return -1;
}

/* One connection, start to end.  Returns 0 or a failure bit set. */
static int handle(int fd)
{
	int bad = 0;
	if (!rel_kernel_armed(fd))
		bad |= 1;
	if (read_request(fd) != 0)
		bad |= 4;
	for (size_t off = 0; off < payload_len && !(bad & 4);) {
		ssize_t w = send(fd, payload + off, payload_len - off, MSG_NOSIGNAL);
		if (w <= 0)
			bad |= 4;
		else
			off += (size_t)w;
	}
	if (!rel_kernel_armed(fd))
		bad |= 2; /* someone (another holder's close) disarmed it under us */
	if (close(fd) != 0)
		bad |= 4;
	return bad;
}

static void account(int bad)
{
	if (bad & 1)
		atomic_fetch_add(&n_unarmed, 1);
	if (bad & 2)
		atomic_fetch_add(&n_lost_arm, 1);
	if (bad & 4)
		atomic_fetch_add(&n_failed, 1);
}

static void *worker(void *arg)
{
	account(handle((int)(intptr_t)arg));
	atomic_fetch_sub(&active, 1);
	return NULL;
}

static void reap(int block)
{
	int st;
	pid_t p;
	while ((p = waitpid(-1, &st, block ? 0 : WNOHANG)) > 0) {
		if (WIFEXITED(st) && WEXITSTATUS(st) < 8)
			account(WEXITSTATUS(st));
		else
			account(4);
		atomic_fetch_sub(&active, 1);
	}
}

static int serve(const char *mode, unsigned port, int report_fd, size_t bytes, long total)
{
	int fork_mode = !strcmp(mode, "fork");
	unsigned bound;
	alarm(600); /* safety net */
	signal(SIGPIPE, SIG_IGN);
	make_payload(bytes);
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_storage ss;
	socklen_t len = loopback_addr(AF_INET, port, &ss);
	int one = 1;
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(lfd, (struct sockaddr *)&ss, len) != 0 || listen(lfd, 4096) != 0) {
		perror("listen");
		return 2;
	}
	(void)bound;
	dprintf(report_fd, "READY lib=%d\n", rel_lib_loaded("libabortclose"));
	for (long served = 0; served < total; served++) {
		int c = accept(lfd, NULL, NULL);
		if (c < 0) {
			if (errno == EINTR) {
				served--;
				continue;
			}
			perror("accept");
			return 2;
		}
		atomic_fetch_add(&active, 1);
		if (fork_mode) {
			pid_t pid = fork();
			if (pid == 0) {
				close(lfd);
				close(report_fd);
				exit(handle(c));
			}
			if (pid < 0) {
				perror("fork");
				return 2;
			}
			close(c); /* the parent's copy: the child still holds the socket */
			reap(0);
		} else {
			pthread_t t;
			pthread_attr_t a;
			pthread_attr_init(&a);
			pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
			if (pthread_create(&t, &a, worker, (void *)(intptr_t)c) != 0) {
				perror("pthread_create");
				return 2;
			}
			pthread_attr_destroy(&a);
		}
	}
	while (atomic_load(&active) > 0) {
		if (fork_mode)
			reap(1);
		else
			usleep(1000);
	}
	close(lfd);
	dprintf(report_fd, "DONE unarmed=%ld lost_arm=%ld failed=%ld\n", atomic_load(&n_unarmed),
		atomic_load(&n_lost_arm), atomic_load(&n_failed));
	return 0;
}

/* --- the driver (the clients) ------------------------------------------------- */

struct conn {
	int fd;
	size_t got;
	int first; /* -1 still open, 0 EOF, else errno */
	int bad_content;
};

struct totals {
	long conns, eof, other, bad_content;
	unsigned long long want, got;
	int example;
};

static int connect_nb(unsigned port, int id)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback_addr(AF_INET, port, &ss);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) != 0) {
		fprintf(stderr, "rel_graceful: connect: %s\n", strerror(errno));
		exit(2);
	}
	char req[32];
	int n = snprintf(req, sizeof req, "GET %d\n", id);
	if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
		fprintf(stderr, "rel_graceful: send request: %s\n", strerror(errno));
		exit(2);
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

static int round_run(unsigned port, int nconns, struct totals *t)
{
	static unsigned char buf[1 << 17];
	struct conn *cs = calloc((size_t)nconns, sizeof *cs);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	for (int i = 0; i < nconns; i++) {
		cs[i].fd = connect_nb(port, i);
		cs[i].first = -1;
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
		epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
	}
	int open_left = nconns;
	double deadline = rel_now() + 120;
	while (open_left > 0 && rel_now() < deadline) {
		struct epoll_event evs[64];
		int n = epoll_wait(ep, evs, 64, 1000);
		for (int k = 0; k < n; k++) {
			struct conn *c = &cs[evs[k].data.u32];
			ssize_t r = recv(c->fd, buf, sizeof buf, 0);
			if (r > 0) {
				size_t r2 = (size_t)r;
				if (c->got + r2 > payload_len ||
				    memcmp(buf, payload + c->got, r2) != 0)
					c->bad_content = 1;
				c->got += r2;
				continue;
			}
			if (r < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			c->first = r == 0 ? 0 : errno;
			epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
			close(c->fd);
			open_left--;
		}
	}
	for (int i = 0; i < nconns; i++) {
		struct conn *c = &cs[i];
		if (c->first == -1) {
			c->first = ETIMEDOUT;
			close(c->fd);
		}
		t->conns++;
		t->want += payload_len;
		t->got += c->got < payload_len ? c->got : payload_len;
		if (c->first == 0)
			t->eof++;
		else {
			t->other++;
			if (!t->example)
				t->example = c->first;
		}
		t->bad_content += c->bad_content;
	}
	close(ep);
	free(cs);
	return 0;
}

static int soak(int argc, char **argv)
{
	const char *lib = NULL, *mode = "thread";
	unsigned port = 23100;
	int rounds = 20, conns = 200, netns = 1;
	size_t bytes = 1 << 20;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--lib") && i + 1 < argc)
			lib = argv[++i];
		else if (!strcmp(argv[i], "--server") && i + 1 < argc)
			mode = argv[++i];
		else if (!strcmp(argv[i], "--port") && i + 1 < argc)
			port = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--conns") && i + 1 < argc)
			conns = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--bytes") && i + 1 < argc)
			bytes = (size_t)atol(argv[++i]);
		else if (!strcmp(argv[i], "--env") && i + 1 < argc && nenv < 12)
			envs[nenv++] = argv[++i];
		else if (!strcmp(argv[i], "--no-netns"))
			netns = 0;
		else {
			fprintf(stderr, "rel_graceful: bad argument %s\n", argv[i]);
			return 2;
		}
	}
	if (!lib || access(lib, R_OK) != 0 || rounds <= 0 || conns <= 0 || bytes == 0 ||
	    (strcmp(mode, "thread") && strcmp(mode, "fork"))) {
		fprintf(stderr, "usage: rel_graceful soak --lib PATH --server thread|fork [--rounds R] [--conns C] [--bytes B]\n");
		return 2;
	}
	if (netns && rel_private_netns() != 0) {
		fprintf(stderr, "rel_graceful: cannot make a private network namespace: %s\n", strerror(errno));
		return 77;
	}
	signal(SIGPIPE, SIG_IGN);
	make_payload(bytes);

	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) != 0)
		return 2;
	char portbuf[16], fdbuf[16], bytesbuf[32], totalbuf[32], preload[4200];
	snprintf(portbuf, sizeof portbuf, "%u", port);
	snprintf(fdbuf, sizeof fdbuf, "%d", pfd[1]);
	snprintf(bytesbuf, sizeof bytesbuf, "%zu", bytes);
	snprintf(totalbuf, sizeof totalbuf, "%ld", (long)rounds * conns);
	snprintf(preload, sizeof preload, "LD_PRELOAD=%s", lib);
	const char *extra[16] = {preload};
	for (int k = 0; k < nenv; k++)
		extra[1 + k] = envs[k];
	char *sargv[] = {(char *)rel_self_exe(), "serve", (char *)mode, portbuf, fdbuf, bytesbuf,
			 totalbuf, NULL};
	struct rel_counters before = rel_counters_now();
	double t0 = rel_now();
	pid_t pid = rel_spawn(sargv, rel_env(extra), pfd[1]);
	close(pfd[1]);
	char line[256];
	if (rel_read_line(pfd[0], line, sizeof line, 10) <= 0 || strncmp(line, "READY", 5) != 0) {
		fprintf(stderr, "rel_graceful: server did not start\n");
		kill(pid, SIGKILL);
		rel_wait(pid, 10);
		return 2;
	}
	int lib_ok = strstr(line, "lib=1") != NULL;

	struct totals t = {0};
	for (int r = 0; r < rounds; r++)
		round_run(port, conns, &t);

	char done[256] = "";
	if (rel_read_line(pfd[0], done, sizeof done, 60) <= 0)
		snprintf(done, sizeof done, "(no report from the server)");
	int st = rel_wait(pid, 60);
	struct rel_counters d = rel_counters_diff(before, rel_counters_now());
	double secs = rel_now() - t0;

	long unarmed = -1, lost_arm = -1, failed = -1;
	sscanf(done, "DONE unarmed=%ld lost_arm=%ld failed=%ld", &unarmed, &lost_arm, &failed);
	unsigned long long lost = t.want - t.got;
	printf("%-6s server: %d rounds x %d conns x %zu B: received %llu of %llu bytes (lost %llu, "
	       "content errors %ld); ends: EOF %ld, other %ld%s%s\n",
	       mode, rounds, conns, bytes, t.got, t.want, lost, t.bad_content, t.eof, t.other,
	       t.example ? " first other: " : "", t.example ? errno_name(t.example) : "");
	if (netns) {
		char all[1024];
		rel_reset_counters(all, sizeof all); /* the namespace is ours: absolute = this run */
		printf("%-6s kernel (private netns): OutRsts=%ld TCPAbortOnData=%ld TCPAbortOnClose=%ld\n",
		       mode, d.out_rsts, d.abort_on_data, d.abort_on_close);
		/* OutRsts also counts a client's RST answering the ACK that a
		 * server-side TIME_WAIT sends to a SYN reusing its ports (seen:
		 * 0-1 per 4000 connections, no data involved); the RSTs that a
		 * close sends are counted as TCPAbortOnData (linger {1,0}) and
		 * TCPAbortOnClose (unread data), and only those are asserted. */
		if (d.out_rsts)
			printf("%-6s kernel reset/abort counters: %s\n", mode, all);
	}
	printf("%-6s server: %s; exit status %d; library mapped %s; %.1f s\n", mode, done,
	       st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1, lib_ok ? "yes" : "NO", secs);
	int ok = lost == 0 && t.bad_content == 0 && t.other == 0 && t.eof == t.conns && lib_ok &&
		 unarmed == 0 && lost_arm == 0 && failed == 0 && st >= 0 && WIFEXITED(st) &&
		 WEXITSTATUS(st) == 0 && (!netns || d.abort_on_data + d.abort_on_close == 0);
	printf("RESULT %s: %s server, %ld connections, %llu bytes lost, %ld RST from aborts\n",
	       ok ? "PASS" : "FAIL", mode, t.conns, lost, netns ? d.abort_on_data + d.abort_on_close : -1L);
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 7 && !strcmp(argv[1], "serve"))
		return serve(argv[2], (unsigned)atoi(argv[3]), atoi(argv[4]),
			     (size_t)atol(argv[5]), atol(argv[6]));
	if (argc >= 2 && !strcmp(argv[1], "soak"))
		return soak(argc, argv);
	fprintf(stderr, "usage: rel_graceful soak --lib PATH --server thread|fork ...\n");
	return 2;
}
