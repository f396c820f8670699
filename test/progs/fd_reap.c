/* fd_reap.c - the wait family under the library (shim/hook_wait.c).
 *
 *   fd_reap api          every variant's results, one line each: the same
 *                        with and without the library (the test diffs them)
 *   fd_reap churn N WAY  N children that exit at once, each reaped before
 *                        the next fork: WAY wait | waitpid | wait3 | wait4 |
 *                        waitid | all (round robin) | ignore (SIGCHLD
 *                        ignored: the kernel reaps, no wait call)
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t child(int how)
{
	pid_t p = fork();
	if (p < 0) {
		perror("fork");
		exit(2);
	}
	if (p == 0) {
		if (how == 1)
			raise(SIGTERM);
		if (how == 2)
			for (;;)
				pause();
		_exit(7);
	}
	return p;
}

static void line(const char *what, long r, long want, int st, int err)
{
	printf("%s: %s status=%#x errno=%d\n", what, r == want ? "pid" : r == 0 ? "0" : r < 0 ? "-1" : "other", st, err);
}

static void api(void)
{
	int st;
	struct rusage ru;
	siginfo_t si;
	pid_t p;
	long r;
	int e;
	p = child(0); st = 0x5a5a; errno = 0; r = (long)wait(&st); e = errno; line("wait exit", r, p, st, e);
	p = child(1); st = 0x5a5a; errno = 0; r = (long)waitpid(p, &st, 0); e = errno; line("waitpid signal", r, p, st, e);
	p = child(0); st = 0x5a5a; errno = 0; r = (long)wait3(&st, 0, &ru); e = errno; line("wait3 exit", r, p, st, e);
	p = child(0); st = 0x5a5a; errno = 0; r = (long)wait4(p, &st, 0, &ru); e = errno; line("wait4 exit", r, p, st, e);
	p = child(0); errno = 0; r = (long)waitpid(p, NULL, 0); e = errno; line("waitpid NULL status", r, p, 0, e);
	/* An invalid status pointer: EFAULT (the kernel reaps the child all
	 * the same: the next wait finds none). */
	p = child(0); errno = 0; r = (long)waitpid(p, (int *)8, 0); e = errno; line("waitpid bad status", r, p, 0, e);
	errno = 0; r = (long)waitpid(p, NULL, WNOHANG); e = errno; line("waitpid after EFAULT", r, p, 0, e);
	p = child(2);
	st = 0x5a5a; errno = 0; r = (long)waitpid(p, &st, WNOHANG); e = errno; line("waitpid WNOHANG running", r, p, st, e);
	kill(p, SIGSTOP);
	st = 0x5a5a; errno = 0; r = (long)waitpid(p, &st, WUNTRACED); e = errno; line("waitpid WUNTRACED stopped", r, p, st, e);
	kill(p, SIGCONT);
	st = 0x5a5a; errno = 0; r = (long)waitpid(p, &st, WCONTINUED); e = errno; line("waitpid WCONTINUED", r, p, st, e);
	kill(p, SIGKILL);
	memset(&si, 0, sizeof si); errno = 0;
	r = waitid(P_PID, (id_t)p, &si, WEXITED | WNOWAIT);
	printf("waitid WNOWAIT: r=%ld pid=%s code=%d status=%d errno=%d\n", r, si.si_pid == p ? "pid" : "other", si.si_code, si.si_status, errno);
	memset(&si, 0, sizeof si); errno = 0;
	r = waitid(P_PID, (id_t)p, &si, WEXITED);
	printf("waitid: r=%ld pid=%s code=%d status=%d errno=%d\n", r, si.si_pid == p ? "pid" : "other", si.si_code, si.si_status, errno);
	memset(&si, 0, sizeof si); errno = 0;
	r = waitid(P_ALL, 0, &si, WEXITED | WNOHANG);
	printf("waitid none: r=%ld pid=%d errno=%d\n", r, (int)si.si_pid, errno);
	st = 0x5a5a; errno = 0; r = (long)wait(&st); e = errno; line("wait none", r, 1, st, e);
	st = 0x5a5a; errno = 0; r = (long)waitpid(-1, &st, WNOHANG); e = errno; line("waitpid none", r, 1, st, e);
}

static void churn(long n, const char *way)
{
	if (strcmp(way, "ignore") == 0)
		signal(SIGCHLD, SIG_IGN);
	static const char *ways[] = { "wait", "waitpid", "wait3", "wait4", "waitid" };
	for (long i = 0; i < n; i++) {
		pid_t p = child(0);
		const char *w = strcmp(way, "all") == 0 ? ways[i % 5] : way;
		int st;
		siginfo_t si;
		if (strcmp(w, "wait") == 0)
			wait(&st);
		else if (strcmp(w, "waitpid") == 0)
			waitpid(p, &st, 0);
		else if (strcmp(w, "wait3") == 0)
			wait3(&st, 0, NULL);
		else if (strcmp(w, "wait4") == 0)
			wait4(p, &st, 0, NULL);
		else if (strcmp(w, "waitid") == 0)
			waitid(P_PID, (id_t)p, &si, WEXITED);
		else { /* ignore: the kernel reaps it; wait until it is gone
			* (through /proc: the test counts the kill() calls) */
			char path[32];
			snprintf(path, sizeof path, "/proc/%d", (int)p);
			while (access(path, F_OK) == 0)
				usleep(50);
		}
	}
	printf("done %ld\n", n);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc >= 2 && strcmp(argv[1], "api") == 0)
		api();
	else if (argc >= 4 && strcmp(argv[1], "churn") == 0)
		churn(atol(argv[2]), argv[3]);
	else {
		fprintf(stderr, "usage: fd_reap api | churn N WAY\n");
		return 2;
	}
	return 0;
}
