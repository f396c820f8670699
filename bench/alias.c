/* alias.c - closing dup()'d sockets while many connections are open.
 *
 *   bench_alias K
 *
 * Opens K loopback connections on 127.0.0.1:26960 (in the bench range); the
 * server side of each is dup()'d, as servers do that give a socket separate
 * read and write stdio streams (fdopen(fd, "r") + fdopen(dup(fd), "w")).
 * Then times closing every accepted socket and its dup, and prints
 *   k=K close_ns_per_connection=X
 * Without the library a close is one system call; a library that must find
 * out whether another fd still refers to the same socket may pay more, and
 * if that search grows with the number of open fds the total grows as K^2.
 */
#include "common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s K\n", argv[0]);
		return 2;
	}
	long k = parse_long(argv[1], "connection count");
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(26960) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	if (lfd < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(lfd, 4096) != 0)
		die("bind/listen");
	int *cli = calloc((size_t)k, sizeof(int)), *acc = calloc((size_t)k, sizeof(int)),
	    *dups = calloc((size_t)k, sizeof(int));
	if (!cli || !acc || !dups)
		die("calloc");
	for (long i = 0; i < k; i++) {
		cli[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (cli[i] < 0 || connect(cli[i], (struct sockaddr *)&sa, sizeof(sa)) != 0)
			die("connect");
		acc[i] = accept(lfd, NULL, NULL);
		if (acc[i] < 0)
			die("accept");
		dups[i] = dup(acc[i]);
		if (dups[i] < 0)
			die("dup");
	}
	int64_t t0 = now_ns();
	for (long i = 0; i < k; i++) {
		close(dups[i]);
		close(acc[i]);
	}
	int64_t dt = now_ns() - t0;
	printf("k=%ld close_ns_per_connection=%.0f\n", k, k > 0 ? (double)dt / (double)k : 0.0);
	for (long i = 0; i < k; i++)
		close(cli[i]);
	close(lfd);
	return 0;
}
