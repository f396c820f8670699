/* activated_service.c - a socket-activated service for
 * test/daemons/socket_activate.sh (issue 9).
 *
 *   activated_service BYTES CONNS END [PIDFILE]
 *
 * With LISTEN_FDS=1 (systemd-socket-activate without --inetd: the listener
 * is fd 3, the activating connection already queued on it), accepts CONNS
 * connections one after the other; without it (--inetd: the connection is
 * fd 0 and fd 1), serves that one.  Each connection: read the request line
 * (all of it: unread input makes the kernel reset on its own, RFC 2525),
 * write BYTES payload bytes (testnet.h), then by END:
 *   close   close() it (a normal end: every byte and FIN)
 *   half-pause  after BYTES/2, write the pid to PIDFILE and wait for the
 *           test's SIGKILL
 * Exits 0 after the last connection.  Nothing is printed on fd 0-2 (in
 * --inetd mode they are the connection); errors give status 2. */
#include "testnet.h"

static void serve(int in, int out, long long bytes, const char *end, const char *pidfile)
{
	static unsigned char buf[65536];
	char c;
	while (read(in, &c, 1) == 1 && c != '\n')
		;
	long long limit = strcmp(end, "half-pause") == 0 ? bytes / 2 : bytes;
	for (long long off = 0; off < limit;) {
		size_t n = limit - off < (long long)sizeof buf ? (size_t)(limit - off) : sizeof buf;
		payload_fill(buf, n, (uint64_t)off);
		for (size_t done = 0; done < n;) {
			ssize_t w = write(out, buf + done, n - done);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				exit(2);
			}
			done += (size_t)w;
		}
		off += (long long)n;
	}
	if (limit < bytes) {
		FILE *f = pidfile ? fopen(pidfile, "w") : NULL;
		if (!f)
			exit(2);
		fprintf(f, "%ld\n", (long)getpid());
		fclose(f);
		for (;;)
			pause();
	}
	close(in);
	if (out != in)
		close(out);
}

int main(int argc, char **argv)
{
	if (argc < 4)
		return 2;
	long long bytes = atoll(argv[1]);
	int conns = atoi(argv[2]);
	const char *end = argv[3], *pidfile = argc > 4 ? argv[4] : NULL;
	const char *lf = getenv("LISTEN_FDS");
	if (lf && atoi(lf) >= 1) {
		for (int i = 0; i < conns; i++) {
			int c = accept(3, NULL, NULL);
			if (c < 0)
				return 2;
			serve(c, c, bytes, end, pidfile);
		}
		return 0;
	}
	serve(0, 1, bytes, end, pidfile);
	return 0;
}
