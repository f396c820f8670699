/* sandbox_worker.c - a server that sandboxes itself with seccomp after its
 * connection is armed (test/sandbox/seccomp.sh, issue 9).
 *
 *   sandbox_worker PORT BYTES MODE
 *
 * Listens on 127.0.0.1:PORT, prints "READY PORT", accepts one connection,
 * reads the peer's request line, then by MODE:
 *   prctl     installs a KILL_PROCESS-by-default filter that allows only
 *             write, close and exit_group (what the rest of this program and
 *             glibc's exit need) with prctl(PR_SET_SECCOMP), writes BYTES,
 *             closes and exits 0;
 *   syscall   the same through syscall(SYS_seccomp, ...) (libseccomp's way);
 *   allow-all installs a filter that allows everything, writes BYTES,
 *             prints "SENT" on stderr and waits to be killed (SIGKILL: the
 *             library must still have the connection armed: RST);
 *   no-access-then-exec  a filter that kills faccessat and faccessat2 only
 *             (the calls of an execvp's PATH search; the library's exec
 *             wrapper makes them to know whether the program runs under
 *             it), writes BYTES, then execvp("true") with the connection
 *             open: the library must not make those calls (it steps back
 *             when the filter goes in), true's exit 0 is the worker's;
 *   shared    forks: the child sandboxes itself as in prctl, writes BYTES,
 *             closes and exits 0; the parent still holds the connection,
 *             reports the child's status ("CHILD status=N"), then waits to
 *             be killed (the connection must have stayed armed: RST).
 * Exit 2: setup error. */
#include "testnet.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define ALLOW_NR(nr) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), \
		     BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

static struct sock_filter strict_filter[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	ALLOW_NR(__NR_write),
	ALLOW_NR(__NR_close),
	ALLOW_NR(__NR_exit_group),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
};

#ifndef __NR_faccessat2
#define __NR_faccessat2 439
#endif
#define KILL_NR(nr) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), \
		    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS)

static struct sock_filter no_access_filter[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	KILL_NR(__NR_faccessat),
	KILL_NR(__NR_faccessat2),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
};

static struct sock_filter allow_filter[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
};

static void sandbox(struct sock_filter *f, unsigned short n, int via_syscall)
{
	struct sock_fprog prog = { .len = n, .filter = f };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		perror("PR_SET_NO_NEW_PRIVS");
		exit(2);
	}
	long r = via_syscall ? syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)
			     : prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
	if (r != 0) {
		perror("seccomp");
		exit(2);
	}
}

/* Only write(2): the strict filter allows nothing else. */
static void send_all(int fd, long long bytes)
{
	static unsigned char buf[65536];
	for (long long off = 0; off < bytes;) {
		size_t n = bytes - off < (long long)sizeof buf ? (size_t)(bytes - off) : sizeof buf;
		payload_fill(buf, n, (uint64_t)off);
		for (size_t done = 0; done < n;) {
			ssize_t w = write(fd, buf + done, n - done);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				_exit(3);
			}
			done += (size_t)w;
		}
		off += (long long)n;
	}
}

static void say(const char *s)
{
	ssize_t w = write(2, s, strlen(s));
	(void)w;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: sandbox_worker PORT BYTES prctl|syscall|allow-all|no-access-then-exec|shared\n");
		return 2;
	}
	unsigned port;
	long long bytes = atoll(argv[2]);
	const char *mode = argv[3];
	int l = listen_loopback(AF_INET, (unsigned)atoi(argv[1]), &port);
	printf("READY %u\n", port);
	fflush(stdout);
	int c = accept(l, NULL, NULL);
	if (c < 0) {
		perror("accept");
		return 2;
	}
	close(l);
	char req[64];
	for (size_t got = 0; got < sizeof req;) {
		ssize_t n = read(c, req + got, 1);
		if (n <= 0 || req[got] == '\n')
			break;
		got += (size_t)n;
	}
	fflush(NULL);
	if (!strcmp(mode, "prctl") || !strcmp(mode, "syscall")) {
		sandbox(strict_filter, sizeof strict_filter / sizeof strict_filter[0], mode[0] == 's');
		send_all(c, bytes);
		close(c);
		exit(0);
	}
	if (!strcmp(mode, "allow-all")) {
		sandbox(allow_filter, sizeof allow_filter / sizeof allow_filter[0], 0);
		send_all(c, bytes);
		say("SENT\n");
		for (;;)
			pause();
	}
	if (!strcmp(mode, "no-access-then-exec")) {
		sandbox(no_access_filter, sizeof no_access_filter / sizeof no_access_filter[0], 0);
		send_all(c, bytes);
		char *args[] = { "true", NULL };
		execvp("true", args);
		perror("execvp");
		return 2;
	}
	if (!strcmp(mode, "shared")) {
		pid_t pid = fork();
		if (pid < 0)
			return 2;
		if (pid == 0) {
			sandbox(strict_filter, sizeof strict_filter / sizeof strict_filter[0], 0);
			send_all(c, bytes);
			close(c);
			exit(0);
		}
		int st = 0;
		waitpid(pid, &st, 0);
		fprintf(stderr, "CHILD status=%d signal=%d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1,
			WIFSIGNALED(st) ? WTERMSIG(st) : 0);
		for (;;)
			pause();
	}
	fprintf(stderr, "unknown mode %s\n", mode);
	return 2;
}
