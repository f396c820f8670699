/* fd_service.c - an inetd-style service for the adoption and inetd tests
 * (issue 3, "Adoption at load"): the connection is on fd 0 and fd 1 (and
 * usually 2), as inetd, xinetd, socat EXEC or systemd Accept=yes pass it.
 *
 *   fd_service BYTES END [PIDFILE]
 *
 * Reads the request line from fd 0 (all of it: unread input would make the
 * kernel reset the connection on its own, RFC 2525), writes BYTES payload
 * bytes (testnet.h) to fd 1 with write(2), never closes anything, then ENDs:
 *   exit0       exit(0)                       return0   return 0 from main
 *   exit1       exit(1)                       kill      raise(SIGKILL)
 *   stdio-exit0 the payload through stdout (fwrite, no fflush), exit(0):
 *               glibc flushes stdio after the exit handlers ran
 *   pause       write the pid to PIDFILE, wait for the test's kill -9
 *   close1-kill close(1) only (fd 0 and 2 still hold the socket), crash
 * Nothing is printed on fd 1 or 2 (they are the connection); errors go to
 * PIDFILE.err if given, and the status is 2.
 * With LISTEN_FDS=1 in the environment (systemd socket activation, as
 * fd_launch --listener sets it up), fd 3 is an inherited listener: the
 * service accepts one connection there and serves it instead of fd 0/1
 * (close1-kill then closes that connection... so use it with fd 0/1 only).
 */
#include "testnet.h"

#include <signal.h>
#include <sys/prctl.h>

static const char *pidfile;

static void die(const char *what)
{
	if (pidfile) {
		char path[4096];
		snprintf(path, sizeof path, "%s.err", pidfile);
		FILE *f = fopen(path, "w");
		if (f) {
			fprintf(f, "fd_service: %s: %s\n", what, strerror(errno));
			fclose(f);
		}
	}
	_exit(2);
}

static void crash(void)
{
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	raise(SIGKILL);
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	uint64_t total = strtoull(argv[1], NULL, 10);
	const char *end = argv[2];
	pidfile = argc > 3 ? argv[3] : NULL;
	int stdio = strcmp(end, "stdio-exit0") == 0;
	int in = 0, out = 1;
	const char *lfds = getenv("LISTEN_FDS");
	if (lfds && strcmp(lfds, "1") == 0) {
		in = out = accept(3, NULL, NULL);
		if (in < 0)
			die("accept on the inherited listener");
	}

	char c;
	for (;;) {
		ssize_t n = read(in, &c, 1);
		if (n == 1 && c == '\n')
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n != 1)
			die("read request");
	}
	unsigned char buf[65536];
	for (uint64_t off = 0; off < total;) {
		size_t len = total - off < sizeof buf ? (size_t)(total - off) : sizeof buf;
		payload_fill(buf, len, off);
		if (stdio) {
			if (fwrite(buf, 1, len, stdout) != len)
				die("fwrite");
		} else {
			for (size_t done = 0; done < len;) {
				ssize_t w = write(out, buf + done, len - done);
				if (w < 0 && errno == EINTR)
					continue;
				if (w <= 0)
					die("write");
				done += (size_t)w;
			}
		}
		off += len;
	}
	if (strcmp(end, "exit0") == 0 || stdio)
		exit(0);
	if (strcmp(end, "return0") == 0)
		return 0;
	if (strcmp(end, "exit1") == 0)
		exit(1);
	if (strcmp(end, "kill") == 0)
		crash();
	if (strcmp(end, "close1-kill") == 0) {
		if (close(1) != 0)
			die("close(1)");
		crash();
	}
	if (strcmp(end, "pause") == 0 && pidfile) {
		char path[4096];
		snprintf(path, sizeof path, "%s.tmp", pidfile);
		FILE *f = fopen(path, "w");
		if (!f)
			die("pidfile");
		fprintf(f, "%ld\n", (long)getpid());
		fclose(f);
		if (rename(path, pidfile) != 0) /* appears complete or not at all */
			die("rename pidfile");
		alarm(60); /* never outlive the test */
		for (;;)
			pause();
	}
	errno = EINVAL;
	die("unknown END");
	return 2;
}
