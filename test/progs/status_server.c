/* status_server.c - the inspected process of the `abortclose --status`
 * tests (test/status/).  Listens on loopback ports, accepts a fixed number of
 * connections and treats each according to the peer's (client's) port, then
 * holds everything open until told what to do by a signal.
 *
 *   status_server --listen FAMILY:PORT [--listen ...] --expect N
 *                 [--shutwr PEERPORT]... [--linger PEERPORT:SECS]...
 *                 [--dup PEERPORT]...       (a second fd for that connection)
 *                 [--reexec 1]              (after SETUP: exec itself, keeping
 *                                            only the connections)
 *   status_server --adopted FD,FD,...       (what --reexec runs)
 *                 [--tag ANYTHING]          (ignored: a command-line payload)
 *
 * Prints "READY" once every listener is up, "CONN fd=F peer=P action=A" per
 * accepted connection and "SETUP" after the N-th.  With --reexec it then
 * closes its listeners and executes itself on the same connections (same
 * pid, same parent: the library in the new image adopts them as inherited
 * sockets), which prints "ADOPTED".  Then:
 *   SIGUSR1  prints "LINGER fd=F ONOFF,SECS" per connection (the program's
 *            own getsockopt(SO_LINGER) view), then "LINGERS"
 *   SIGUSR2  writes "BYE\n" on each connection, closes them (the purposeful
 *            end), prints "CLOSED"; keeps running (the test kills it next)
 *   SIGTERM  exit(0)
 * Any failed system call prints "status_server: CHECK ..." and exits 2.
 */
#include "testnet.h"

#include <poll.h>
#include <signal.h>

#define MAX 32

#define CHECK(cond, what)                                                              \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "status_server: CHECK %s failed: %s\n", what, \
				strerror(errno));                                      \
			exit(2);                                                       \
		}                                                                      \
	} while (0)

static unsigned shutwr_ports[MAX], linger_ports[MAX], linger_secs[MAX];
static unsigned dup_ports[MAX];
static int n_shutwr, n_linger, n_dup;

static const char *treat(int fd, unsigned peer)
{
	for (int i = 0; i < n_shutwr; i++)
		if (shutwr_ports[i] == peer) {
			CHECK(shutdown(fd, SHUT_WR) == 0, "shutdown");
			return "shutwr";
		}
	for (int i = 0; i < n_linger; i++)
		if (linger_ports[i] == peer) {
			struct linger l = { 1, (int)linger_secs[i] };
			CHECK(setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l) == 0, "setsockopt");
			return "linger";
		}
	return "plain";
}

int main(int argc, char **argv)
{
	struct pollfd lis[MAX];
	int n_lis = 0, expect = -1, conns[MAX], n_conns = 0, reexec = 0;
	const char *adopted = NULL;
	sigset_t set;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		CHECK(v != NULL, "option value");
		i++;
		if (strcmp(a, "--listen") == 0 && n_lis < MAX) {
			unsigned port, bound;
			int fam = parse_family((char[]){ v[0], 0 });
			CHECK(fam && v[1] == ':' && sscanf(v + 2, "%u", &port) == 1, "--listen FAMILY:PORT");
			lis[n_lis].fd = listen_loopback(fam, port, &bound);
			lis[n_lis++].events = POLLIN;
		} else if (strcmp(a, "--expect") == 0) {
			expect = atoi(v);
		} else if (strcmp(a, "--shutwr") == 0 && n_shutwr < MAX) {
			shutwr_ports[n_shutwr++] = (unsigned)atoi(v);
		} else if (strcmp(a, "--linger") == 0 && n_linger < MAX) {
			CHECK(sscanf(v, "%u:%u", &linger_ports[n_linger], &linger_secs[n_linger]) == 2,
			      "--linger PORT:SECS");
			n_linger++;
		} else if (strcmp(a, "--dup") == 0 && n_dup < MAX) {
			dup_ports[n_dup++] = (unsigned)atoi(v);
		} else if (strcmp(a, "--reexec") == 0) {
			reexec = atoi(v);
		} else if (strcmp(a, "--adopted") == 0) {
			adopted = v;
		} else if (strcmp(a, "--tag") == 0) {
			/* only there to be seen in /proc/PID/cmdline */
		} else {
			fprintf(stderr, "status_server: unknown option %s\n", a);
			return 2;
		}
	}
	if (adopted) {
		for (const char *p = adopted; *p && n_conns < MAX; p += strcspn(p, ","), p += *p == ',')
			conns[n_conns++] = atoi(p);
		expect = n_conns;
	}
	CHECK(adopted || (n_lis > 0 && expect >= 0 && expect <= MAX), "--listen and --expect");

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGTERM);
	CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0, "sigprocmask");
	if (!adopted)
		printf("READY\n");

	while (!adopted && n_conns < expect) {
		CHECK(poll(lis, (nfds_t)n_lis, -1) > 0, "poll");
		for (int i = 0; i < n_lis && n_conns < expect; i++) {
			struct sockaddr_storage ss;
			socklen_t len = sizeof ss;
			if (!(lis[i].revents & POLLIN))
				continue;
			int c = accept(lis[i].fd, (struct sockaddr *)&ss, &len);
			CHECK(c >= 0, "accept");
			unsigned peer = ntohs(ss.ss_family == AF_INET6
						      ? ((struct sockaddr_in6 *)&ss)->sin6_port
						      : ((struct sockaddr_in *)&ss)->sin_port);
			const char *action = treat(c, peer);
			conns[n_conns++] = c;
			printf("CONN fd=%d peer=%u action=%s\n", c, peer, action);
			for (int k = 0; k < n_dup; k++)
				if (dup_ports[k] == peer) {
					int d = dup(c);
					CHECK(d >= 0, "dup");
					printf("DUP fd=%d of=%d\n", d, c);
				}
		}
	}
	if (adopted) {
		printf("ADOPTED\n");
	} else {
		printf("SETUP\n");
	}
	if (reexec) {
		char list[MAX * 12] = "";
		size_t len = 0;
		for (int i = 0; i < n_lis; i++)
			close(lis[i].fd);
		for (int i = 0; i < n_conns; i++)
			len += (size_t)snprintf(list + len, sizeof list - len, "%s%d", i ? "," : "", conns[i]);
		fflush(stdout);
		execl("/proc/self/exe", argv[0], "--adopted", list, (char *)NULL);
		CHECK(0, "exec");
	}

	for (;;) {
		int sig;
		CHECK(sigwait(&set, &sig) == 0, "sigwait");
		if (sig == SIGUSR1) {
			for (int i = 0; i < n_conns; i++) {
				struct linger l = { -1, -1 };
				socklen_t len = sizeof l;
				if (conns[i] < 0)
					continue;
				CHECK(getsockopt(conns[i], SOL_SOCKET, SO_LINGER, &l, &len) == 0,
				      "getsockopt");
				printf("LINGER fd=%d %d,%d\n", conns[i], l.l_onoff, l.l_linger);
			}
			printf("LINGERS\n");
		} else if (sig == SIGUSR2) {
			for (int i = 0; i < n_conns; i++) {
				if (conns[i] < 0)
					continue;
				/* a shut down connection refuses more data: EPIPE is fine */
				(void)!send(conns[i], "BYE\n", 4, MSG_NOSIGNAL);
				CHECK(close(conns[i]) == 0, "close");
				conns[i] = -1;
			}
			printf("CLOSED\n");
		} else {
			exit(0);
		}
	}
}
