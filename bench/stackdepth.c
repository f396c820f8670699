/* stackdepth.c - how far below its caller's frame each call of a forking
 * server's cycle writes the stack: accept, fork, and the parent's close of a
 * socket its newest child holds.  After a fork every stack page the parent
 * writes costs it a copy-on-write fault, so what the library adds below the
 * program's own deepest post-fork write is a fault per fork in the stack
 * layouts (ASLR) where that crosses a page boundary (bench/fork-faults.sh).
 *
 *   stackdepth PORT     (run with and without LD_PRELOAD=libabortclose.so)
 *
 * Method: paint 12 KiB below the stack pointer, make the call, find the
 * lowest byte changed.  Prints "accept=B fork=B close=B" (bytes), the
 * deepest of three rounds after a first one (lazy binding). */
#include "common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define SPAN 12288
static int lfd, conn;
static pid_t kid;

static long op_accept(void) { return conn = accept(lfd, NULL, NULL); }
static long op_close(void) { return close(conn); }
static long op_fork(void)
{
	kid = fork();
	if (kid == 0) {
		pause(); /* holds conn until killed */
		_exit(0);
	}
	return kid;
}

__attribute__((noinline)) static long depth(long (*fn)(void))
{
	unsigned char *sp;
	__asm__ volatile("mov %%rsp, %0" : "=r"(sp));
	unsigned char *lo = sp - SPAN;
	for (volatile unsigned char *p = lo; p < sp - 16; p++)
		*p = 0xa5;
	if (fn() < 0)
		die("call");
	volatile unsigned char *p = lo;
	while (p < sp - 16 && *p == 0xa5)
		p++;
	return (long)(sp - (unsigned char *)p);
}

int main(int argc, char **argv)
{
	if (argc != 2)
		die("usage: stackdepth PORT");
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int one = 1;
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(lfd, 8) != 0)
		die("listen");
	long most[3] = {0, 0, 0};
	for (int round = 0; round < 4; round++) {
		int c = socket(AF_INET, SOCK_STREAM, 0);
		if (c < 0 || connect(c, (struct sockaddr *)&sa, sizeof sa) != 0)
			die("connect");
		long d[3] = {depth(op_accept), depth(op_fork), depth(op_close)};
		kill(kid, SIGKILL);
		waitpid(kid, NULL, 0);
		close(c);
		for (int i = 0; round > 0 && i < 3; i++)
			most[i] = d[i] > most[i] ? d[i] : most[i];
	}
	printf("accept=%ld fork=%ld close=%ld\n", most[0], most[1], most[2]);
	return 0;
}
