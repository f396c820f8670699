/* demo_client.c - the client of `make demo` (scripts/demo.sh).
 *
 *   demo_client PORT
 *
 * Connects to 127.0.0.1:PORT, reads until the connection ends and prints,
 * in words, how it ended:
 *   "EOF after N bytes"                        (the server sent a FIN)
 *   "connection reset by peer after N bytes"   (the server sent an RST)
 * A client has nothing else to go on: an EOF looks like the end of a
 * complete response.  SO_RCVTIMEO bounds every read (20 s).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	struct timeval tmo = { .tv_sec = 20 };
	char buf[65536];
	long got = 0;
	ssize_t n;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: demo_client PORT\n");
		return 2;
	}
	addr.sin_port = htons((unsigned short)atoi(argv[1]));
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
		printf("could not connect: %s\n", strerror(errno));
		return 2;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof tmo);
	while ((n = read(fd, buf, sizeof buf)) > 0)
		got += n;
	if (n == 0)
		printf("EOF after %ld bytes\n", got);
	else if (errno == ECONNRESET)
		printf("connection reset by peer after %ld bytes\n", got);
	else if (errno == EAGAIN || errno == EWOULDBLOCK)
		printf("no end after %ld bytes (gave up waiting)\n", got);
	else
		printf("error after %ld bytes: %s\n", got, strerror(errno));
	return 0;
}
