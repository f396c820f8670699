/* fd_launch.c - a minimal inetd / systemd-style launcher (no library of its
 * own) for the adoption tests (issue 3, "Adoption at load").
 *
 *   fd_launch --port P [--stderr] -- PROG ARGS...
 *       listens on 127.0.0.1:P, prints "READY <port>", accepts one
 *       connection, puts it on fd 0 and fd 1 (and fd 2 with --stderr, as
 *       inetd does), closes everything else and execs PROG: the program
 *       starts with a TCP connection it never created.
 *   fd_launch --port P --listener -- PROG ARGS...
 *       socket activation (sd_listen_fds): the listener goes to fd 3 with
 *       LISTEN_FDS=1 and LISTEN_PID=<pid>, then exec PROG at once.
 * PROG is looked up on PATH; to run it under the library, make it
 * `env LD_PRELOAD=... prog` (the launcher itself runs without it).
 */
#include "testnet.h"

#include <fcntl.h>

static void die(const char *what)
{
	fprintf(stderr, "fd_launch: %s: %s\n", what, strerror(errno));
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned port = 0;
	int listener = 0, to_stderr = 0, i;
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
			port = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--listener") == 0)
			listener = 1;
		else if (strcmp(argv[i], "--stderr") == 0)
			to_stderr = 1;
		else
			die("usage: fd_launch --port P [--stderr|--listener] -- PROG ARGS");
	}
	if (i + 1 >= argc || port == 0)
		die("usage: fd_launch --port P [--stderr|--listener] -- PROG ARGS");
	char **prog = argv + i + 1;

	unsigned bound;
	int lfd = listen_loopback(AF_INET, port, &bound);
	printf("READY %u\n", bound);
	fflush(stdout);
	if (listener) {
		if (dup2(lfd, 3) != 3)
			die("dup2 listener");
		if (lfd != 3)
			close(lfd);
		char pid[32];
		snprintf(pid, sizeof pid, "%ld", (long)getpid());
		setenv("LISTEN_FDS", "1", 1);
		setenv("LISTEN_PID", pid, 1);
	} else {
		int c = accept(lfd, NULL, NULL);
		if (c < 0)
			die("accept");
		if (dup2(c, 0) != 0 || dup2(c, 1) != 1 || (to_stderr && dup2(c, 2) != 2))
			die("dup2");
		close(c);
		close(lfd);
	}
	execvp(prog[0], prog);
	die("exec");
	return 2;
}
