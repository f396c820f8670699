/* faultcost.c - what the fork rows' page faults and system calls cost on
 * this machine (bench/fork-rows.sh prints it): a system call (getpid); the
 * three the library adds to a forking server's connection at the parent,
 * in a hot loop (setsockopt SO_LINGER, fstat, kcmp KCMP_FILE of the same fd
 * in a live child; means over 200,000 calls); a copy-on-write fault after
 * fork, a minor fault on a page of a shared mapping the child inherited
 * (fork does not copy those page tables), a first touch of a new shared
 * page (means over 2,000 pages each). */
#include <linux/kcmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGES 2000L
#define PG 4096L
#define CALLS 200000

static int64_t now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* In a child: ns per page to write every page of p. */
static void child_writes(const char *what, char *p)
{
	pid_t c = fork();
	if (c == 0) {
		int64_t t = now();
		for (long i = 0; i < PAGES; i++)
			p[i * PG] = 2;
		printf("   %-34s %6.0f ns\n", what, (double)(now() - t) / PAGES);
		fflush(stdout);
		_exit(0);
	}
	waitpid(c, NULL, 0);
}

static void say(const char *what, int64_t since)
{
	printf("   %-34s %6.0f ns\n", what, (double)(now() - since) / CALLS);
	fflush(stdout);
}

/* The parent's three system calls, on a TCP socket a live child holds. */
static void library_calls(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0)
		return;
	pid_t me = getpid(), c = fork();
	if (c == 0) {
		pause();
		_exit(0);
	}
	struct linger l = {1, 0};
	struct stat st;
	int64_t t = now();
	for (int i = 0; i < CALLS; i++)
		setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof l);
	say("setsockopt(SO_LINGER)", t);
	t = now();
	for (int i = 0; i < CALLS; i++)
		fstat(s, &st);
	say("fstat", t);
	t = now();
	for (int i = 0; i < CALLS; i++)
		syscall(SYS_kcmp, me, c, KCMP_FILE, s, s);
	say("kcmp(KCMP_FILE) with a child", t);
	kill(c, SIGKILL);
	waitpid(c, NULL, 0);
	close(s);
}

int main(void)
{
	int64_t t = now();
	for (int i = 0; i < CALLS; i++)
		syscall(SYS_getpid);
	say("system call (getpid)", t);
	library_calls();
	char *priv = mmap(NULL, PAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *shared = mmap(NULL, PAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char *fresh = mmap(NULL, PAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (priv == MAP_FAILED || shared == MAP_FAILED || fresh == MAP_FAILED)
		return 1;
	for (long i = 0; i < PAGES; i++)
		priv[i * PG] = shared[i * PG] = 1;
	child_writes("copy-on-write fault after fork", priv);
	child_writes("shared page, first touch in child", shared);
	t = now();
	for (long i = 0; i < PAGES; i++)
		fresh[i * PG] = 1;
	printf("   %-34s %6.0f ns\n", "new shared page", (double)(now() - t) / PAGES);
	return 0;
}
