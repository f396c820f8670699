/* fd_scm.c - a TCP connection handed over with SCM_RIGHTS (issue 3, "Fds
 * received with SCM_RIGHTS").  Two unrelated processes:
 *
 *   fd_scm recv --unix PATH --go FILE --bytes N --when before|after --end END
 *       listens on the UNIX socket PATH (prints "READY-UNIX"), accepts the
 *       sender, and receives the TCP socket with recvmsg(SCM_RIGHTS):
 *         after   only once FILE exists (the sender has closed its copy
 *                 and is gone: the fd waited in flight)
 *         before  at once, then acknowledges with one byte and waits for
 *                 FILE (the sender closes its copy while we hold it)
 *       then sends N payload bytes on it and ENDs: kill (raise SIGKILL),
 *       close (close, then SIGKILL), exit0, exit1.
 *   fd_scm send --unix PATH --port P --go FILE --when before|after
 *       a TCP server on 127.0.0.1:P (prints "READY <port>"): accepts one
 *       connection, reads the request line, passes the socket to PATH with
 *       sendmsg(SCM_RIGHTS) (waiting for the receiver's acknowledgement when
 *       --when before), closes its own copy, creates FILE and exits 0.
 */
#include "testnet.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/un.h>

static void die(const char *what)
{
	fprintf(stderr, "fd_scm: %s: %s\n", what, strerror(errno));
	exit(2);
}

static socklen_t unix_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sa->sun_path)
		die("unix path too long");
	strcpy(sa->sun_path, path);
	return sizeof *sa;
}

static void wait_file(const char *path)
{
	struct stat st;
	for (int i = 0; i < 20000; i++) {
		if (stat(path, &st) == 0)
			return;
		usleep(1000);
	}
	errno = ETIMEDOUT;
	die("waiting for the go file");
}

static int recv_fd(int u)
{
	char byte;
	struct iovec iov = { &byte, 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
	                      .msg_controllen = sizeof ctl.buf };
	if (recvmsg(u, &msg, 0) != 1)
		die("recvmsg");
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
		die("no SCM_RIGHTS");
	int fd;
	memcpy(&fd, CMSG_DATA(c), sizeof fd);
	return fd;
}

static void send_fd(int u, int fd)
{
	char byte = 'F';
	struct iovec iov = { &byte, 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	memset(&ctl, 0, sizeof ctl);
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
	                      .msg_controllen = sizeof ctl.buf };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof fd);
	if (sendmsg(u, &msg, 0) != 1)
		die("sendmsg");
}

static int do_recv(const char *upath, const char *go, uint64_t total, const char *when, const char *end)
{
	struct sockaddr_un sa;
	socklen_t len = unix_addr(upath, &sa);
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	unlink(upath);
	if (l < 0 || bind(l, (struct sockaddr *)&sa, len) != 0 || listen(l, 1) != 0)
		die("unix listen");
	printf("READY-UNIX\n");
	fflush(stdout);
	int u = accept(l, NULL, NULL);
	if (u < 0)
		die("unix accept");
	int fd;
	if (strcmp(when, "after") == 0) {
		wait_file(go);
		fd = recv_fd(u);
	} else {
		fd = recv_fd(u);
		if (send(u, "A", 1, MSG_NOSIGNAL) != 1)
			die("ack");
		wait_file(go);
	}
	unsigned char buf[65536];
	for (uint64_t off = 0; off < total;) {
		size_t n = total - off < sizeof buf ? (size_t)(total - off) : sizeof buf;
		payload_fill(buf, n, off);
		ssize_t w = send(fd, buf, n, MSG_NOSIGNAL);
		if (w <= 0)
			die("send");
		off += (uint64_t)w;
	}
	printf("SENT\n");
	fflush(stdout);
	if (strcmp(end, "exit0") == 0)
		exit(0);
	if (strcmp(end, "exit1") == 0)
		exit(1);
	if (strcmp(end, "close") == 0 && close(fd) != 0)
		die("close");
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	raise(SIGKILL);
	return 3;
}

static int do_send(const char *upath, unsigned port, const char *go, const char *when)
{
	unsigned bound;
	int lfd = listen_loopback(AF_INET, port, &bound);
	printf("READY %u\n", bound);
	fflush(stdout);
	int c = accept(lfd, NULL, NULL);
	if (c < 0)
		die("accept");
	char ch;
	while (read(c, &ch, 1) == 1 && ch != '\n')
		;
	struct sockaddr_un sa;
	socklen_t len = unix_addr(upath, &sa);
	int u = socket(AF_UNIX, SOCK_STREAM, 0);
	if (u < 0 || connect(u, (struct sockaddr *)&sa, len) != 0)
		die("unix connect");
	send_fd(u, c);
	if (strcmp(when, "before") == 0 && read(u, &ch, 1) != 1)
		die("no acknowledgement");
	if (close(c) != 0)
		die("close own copy");
	int g = open(go, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (g < 0)
		die("create go file");
	close(g);
	return 0;
}

int main(int argc, char **argv)
{
	const char *upath = NULL, *go = NULL, *when = "after", *end = "kill";
	unsigned port = 0;
	uint64_t total = 0;
	if (argc < 2)
		return 2;
	for (int i = 2; i + 1 < argc; i += 2) {
		const char *a = argv[i], *v = argv[i + 1];
		if (strcmp(a, "--unix") == 0)
			upath = v;
		else if (strcmp(a, "--go") == 0)
			go = v;
		else if (strcmp(a, "--when") == 0)
			when = v;
		else if (strcmp(a, "--end") == 0)
			end = v;
		else if (strcmp(a, "--port") == 0)
			port = (unsigned)atoi(v);
		else if (strcmp(a, "--bytes") == 0)
			total = strtoull(v, NULL, 10);
		else
			return 2;
	}
	alarm(60);
	if (!upath || !go)
		return 2;
	if (strcmp(argv[1], "recv") == 0)
		return do_recv(upath, go, total, when, end);
	if (strcmp(argv[1], "send") == 0 && port)
		return do_send(upath, port, go, when);
	return 2;
}
