/* exit_monitor.c - the shape of sshd's privilege separation, for
 * test/sandbox/exit_monitor.sh: a monitor process and its session child
 * both hold the connection; the child serves it; the monitor exits 255 as
 * soon as the child is gone, whether the child ended normally or was killed,
 * without reaping it.
 *
 *   exit_monitor PORT BYTES normal|killed
 *
 * Prints "READY PORT", accepts one connection, reads the request line,
 * forks.  The child writes BYTES payload bytes, prints "CHILD pid", then
 * normal: exit(255) (sshd's session child after a logout); killed: waits
 * for the test's SIGKILL.  The parent only waits for the child's end of a
 * pipe to close (as sshd's monitor reads EOF from its socketpair) and
 * exits 255 at once. */
#include "testnet.h"

int main(int argc, char **argv)
{
	if (argc != 4)
		return 2;
	unsigned port;
	long long bytes = atoll(argv[2]);
	int l = listen_loopback(AF_INET, (unsigned)atoi(argv[1]), &port);
	printf("READY %u\n", port);
	fflush(stdout);
	int c = accept(l, NULL, NULL);
	if (c < 0)
		return 2;
	close(l);
	char ch;
	while (read(c, &ch, 1) == 1 && ch != '\n')
		;
	int p[2];
	if (pipe(p) != 0)
		return 2;
	pid_t pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0) {
		static unsigned char buf[65536];
		close(p[0]);
		for (long long off = 0; off < bytes;) {
			size_t n = bytes - off < (long long)sizeof buf ? (size_t)(bytes - off) : sizeof buf;
			payload_fill(buf, n, (uint64_t)off);
			for (size_t done = 0; done < n;) {
				ssize_t w = write(c, buf + done, n - done);
				if (w < 0)
					_exit(3);
				done += (size_t)w;
			}
			off += (long long)n;
		}
		fprintf(stderr, "CHILD %ld\n", (long)getpid());
		if (!strcmp(argv[3], "normal"))
			exit(255);
		for (;;)
			pause();
	}
	close(p[1]);
	while (read(p[0], &ch, 1) > 0)
		;
	exit(255);
}
