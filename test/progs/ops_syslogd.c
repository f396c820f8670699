/* ops_syslogd.c - a test syslog socket: the receiving end of
 * ABORTCLOSE_LOG=syslog:/path, so the log test needs neither journald nor
 * rsyslog (and never touches the machine's /dev/log).
 *
 *   ops_syslogd PATH [--timeout S]
 *       binds an AF_UNIX datagram socket at PATH (removing a stale one),
 *       prints "READY PATH", then writes every datagram it receives as one
 *       line on stdout (a datagram is one syslog message; a newline inside
 *       one is shown as "\n" so that line = datagram holds), flushed at
 *       once.  Ends at SIGTERM/SIGINT or after S seconds (default 60),
 *       removes PATH and exits 0.  Exit 2 = setup error.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	unsigned timeout_s = 60;
	char buf[8192];

	if (argc != 2 && !(argc == 4 && strcmp(argv[2], "--timeout") == 0)) {
		fprintf(stderr, "usage: ops_syslogd PATH [--timeout S]\n");
		return 2;
	}
	if (argc == 4)
		timeout_s = (unsigned)strtoul(argv[3], NULL, 10);
	if (strlen(argv[1]) >= sizeof sun.sun_path) {
		fprintf(stderr, "ops_syslogd: path too long\n");
		return 2;
	}
	strcpy(sun.sun_path, argv[1]);
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	unlink(argv[1]);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		fprintf(stderr, "ops_syslogd: bind %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	printf("READY %s\n", argv[1]);
	fflush(stdout);

	time_t end = time(NULL) + (time_t)timeout_s;
	while (!stop && time(NULL) < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 200) <= 0)
			continue;
		ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n <= 0)
			continue;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n')
				fputs("\\n", stdout);
			else
				putchar(buf[i]);
		}
		putchar('\n');
		fflush(stdout);
	}
	unlink(argv[1]);
	return 0;
}
