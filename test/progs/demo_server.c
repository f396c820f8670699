/* demo_server.c - the server of `make demo` (scripts/demo.sh).
 *
 *   demo_server PORT BYTES
 *
 * Listens on 127.0.0.1:PORT, prints "READY PORT", accepts one client and
 * starts streaming a response: BYTES bytes of text lines.  Then it stops in
 * the middle, as a server that hangs or crashes would: it waits until the
 * client's kernel has acknowledged every byte (SIOCOUTQ == 0, so the count
 * the client reports is the same with and without the library: an RST
 * discards data still queued on the sender), prints "SENT BYTES" and pauses
 * until the demo kills it with SIGKILL.  alarm() bounds the wait in case the
 * demo itself dies.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "demo_server: %s: %s\n", what, strerror(errno));
	exit(2);
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	char line[64];
	long total, sent = 0;
	int one = 1, lfd, fd, unacked = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: demo_server PORT BYTES\n");
		return 2;
	}
	total = atol(argv[2]);
	addr.sin_port = htons((unsigned short)atoi(argv[1]));
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	alarm(60);

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) != 0)
		die("bind");
	if (listen(lfd, 1) != 0)
		die("listen");
	printf("READY %s\n", argv[1]);
	fflush(stdout);
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		die("accept");

	while (sent < total) {
		int n = snprintf(line, sizeof line, "line %08ld of a long response\n", sent);
		if (n > total - sent)
			n = (int)(total - sent);
		if (write(fd, line, (size_t)n) != n)
			die("write");
		sent += n;
	}
	/* Wait (bounded, 10 s) until the client has everything. */
	for (int i = 0; i < 1000 && unacked > 0; i++) {
		struct timespec ms10 = { 0, 10 * 1000 * 1000 };
		if (ioctl(fd, SIOCOUTQ, &unacked) != 0)
			die("ioctl(SIOCOUTQ)");
		if (unacked > 0)
			nanosleep(&ms10, NULL);
	}
	printf("SENT %ld\n", sent);
	fflush(stdout);
	for (;;)
		pause(); /* the demo's kill -9 ends us here, mid-response */
}
