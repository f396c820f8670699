/* seccomp_exec.c - run a command under a seccomp filter that is already in
 * force when the command (and the library in it) is loaded, the way
 * systemd's SystemCallFilter= or a container runtime starts a program.
 *
 *   seccomp_exec CMD [ARGS...]
 *
 * The filter allows every system call (the command behaves as without it),
 * but /proc/self/status says "Seccomp: 2": the library must step back at
 * load.  Exit 2: setup error. */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sock_filter allow[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
	struct sock_fprog prog = { .len = 1, .filter = allow };
	if (argc < 2) {
		fprintf(stderr, "usage: seccomp_exec CMD [ARGS...]\n");
		return 2;
	}
	/* The raw system call: this launcher may run under the library too. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
		perror("seccomp_exec: seccomp");
		return 2;
	}
	execvp(argv[1], argv + 1);
	perror("seccomp_exec: exec");
	return 127;
}
