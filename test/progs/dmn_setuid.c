/* dmn_setuid.c - the privilege-dropped forking server of Apache prefork +
 * mod_cgi and HAProxy's external checks, reduced to its steps
 * (test/daemons/setuid_fork.sh).  Started as root:
 *
 *   listen on 127.0.0.1:P (as root), print "READY <port>", accept one
 *   connection (the library arms it), read the peer's request line up to
 *   '\n' (no unread input: RFC 2525), setgroups/setgid/setuid to 65534
 *   (Linux makes the process non-dumpable: its /proc/PID/fd is then
 *   unreadable to its own children), send N payload bytes, fork a child that
 *   closes its copy of the connection and execs a program, then:
 *
 *   --mode kill          the parent waits until the child has exec'd (a
 *                        close-on-exec pipe reaches EOF), prints
 *                        "CHILD <pid>" and "SENT <n>", and waits to be
 *                        killed: the parent is the last holder (RST wanted)
 *   --mode parent-first  the parent closes its copy first, then lets the
 *                        child close its own (the child is then the last
 *                        holder: its close must give every byte and FIN),
 *                        waits for the child and exits 0 after "SENT <n>"
 *
 *   --drop no            skip the setuid (the control: the same steps as
 *                        root, where /proc answers)
 *   --exec true|sleep    the child execs /bin/true (it is gone when the
 *                        parent dies) or "/bin/sleep 20" (still alive, like
 *                        a CGI process); default true
 *
 * Exit 2: bad usage, not root, or a setup step failed (message on stderr).
 */
#include "testnet.h"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/wait.h>

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static void send_payload(int fd, long bytes)
{
	unsigned char buf[65536];
	long off = 0;
	while (off < bytes) {
		size_t len = bytes - off < (long)sizeof buf ? (size_t)(bytes - off) : sizeof buf;
		payload_fill(buf, len, (uint64_t)off);
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("send");
		off += n;
	}
}

static void read_request_line(int fd)
{
	char c;
	for (;;) {
		ssize_t n = read(fd, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("read request");
		if (c == '\n')
			return;
	}
}

static void drop_privileges(void)
{
	if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
		die("setuid 65534");
}

int main(int argc, char **argv)
{
	unsigned port = 0;
	long bytes = 0;
	const char *mode = NULL, *exec_what = "true", *drop = "yes";
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--port") == 0)
			port = (unsigned)strtoul(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--bytes") == 0)
			bytes = strtol(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--mode") == 0)
			mode = argv[i + 1];
		else if (strcmp(argv[i], "--exec") == 0)
			exec_what = argv[i + 1];
		else if (strcmp(argv[i], "--drop") == 0)
			drop = argv[i + 1];
	}
	int kill_mode = mode && strcmp(mode, "kill") == 0;
	int sleep_child = strcmp(exec_what, "sleep") == 0;
	if (port == 0 || bytes <= 0 || !mode || (!kill_mode && strcmp(mode, "parent-first") != 0) ||
	    (!sleep_child && strcmp(exec_what, "true") != 0) ||
	    (strcmp(drop, "yes") != 0 && strcmp(drop, "no") != 0)) {
		fprintf(stderr, "usage: dmn_setuid --port P --bytes N --mode kill|parent-first "
				"[--exec true|sleep] [--drop yes|no]\n");
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "dmn_setuid: must start as root (it drops to uid 65534)\n");
		return 2;
	}
	alarm(60); /* safety net: never outlive the test */

	unsigned got_port;
	int lfd = listen_loopback(AF_INET, port, &got_port);
	printf("READY %u\n", got_port);
	fflush(stdout);
	int fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		die("accept");
	close(lfd);
	read_request_line(fd);
	if (strcmp(drop, "yes") == 0)
		drop_privileges();
	send_payload(fd, bytes);

	/* exec_pipe: close-on-exec, so EOF at the parent = the child exec'd
	 * (or died).  go_pipe: parent-first mode lets the child go on only
	 * after the parent's own close. */
	int exec_pipe[2], go_pipe[2];
	if (pipe2(exec_pipe, O_CLOEXEC) != 0 || pipe2(go_pipe, O_CLOEXEC) != 0)
		die("pipe2");
	pid_t child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		close(exec_pipe[0]);
		close(go_pipe[1]);
		if (!kill_mode) {
			char c;
			while (read(go_pipe[0], &c, 1) < 0 && errno == EINTR)
				;
		}
		/* What APR's cleanups and HAProxy's check child do: a plain
		 * close() of the inherited client connection, then exec. */
		if (close(fd) != 0)
			_exit(3);
		if (sleep_child)
			execl("/bin/sleep", "sleep", "20", (char *)NULL);
		else
			execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	close(exec_pipe[1]);
	close(go_pipe[0]);
	if (!kill_mode) {
		if (close(fd) != 0)
			die("close");
		close(go_pipe[1]); /* EOF: the child may close now */
	}
	char c;
	while (read(exec_pipe[0], &c, 1) < 0 && errno == EINTR)
		;
	if (!sleep_child) {
		int st;
		while (waitpid(child, &st, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "dmn_setuid: child ended with status 0x%x\n", st);
			return 2;
		}
	}
	printf("CHILD %d\nSENT %ld\n", (int)child, bytes);
	fflush(stdout);
	if (!kill_mode)
		return 0;
	for (;;)
		pause();
}
