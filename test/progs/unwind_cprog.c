/* unwind_cprog.c - a C program (no libstdc++, no libgcc_s) for the cost and
 * isolation checks of the unwinding test (test/unwind/c_program.sh).
 *
 *   unwind_cprog N   makes N loopback connections to its own listener and
 *                    closes both ends of each (the accepted end is armed by
 *                    the library: every close goes through the release path
 *                    and its unwinding check), then prints
 *                      MAPPED libstdc++=<0|1> libgcc_s=<0|1>
 *                      NS_PER_CONN <nanoseconds per connection>
 *                    what /proc/self/maps holds once every close is done.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int mapped(const char *name)
{
	char line[4096];
	int found = 0;
	FILE *f = fopen("/proc/self/maps", "r");
	if (!f)
		return -1;
	while (!found && fgets(line, sizeof line, f))
		found = strstr(line, name) != NULL;
	fclose(f);
	return found;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 64) != 0 ||
	    getsockname(ls, (struct sockaddr *)&a, &len) != 0) {
		perror("listener");
		return 2;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++) {
		int c = socket(AF_INET, SOCK_STREAM, 0);
		if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof a) != 0) {
			perror("connect");
			return 2;
		}
		int s = accept(ls, NULL, NULL);
		if (s < 0) {
			perror("accept");
			return 2;
		}
		close(s);
		close(c);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / (double)n;
	printf("MAPPED libstdc++=%d libgcc_s=%d\n", mapped("libstdc++"), mapped("libgcc_s"));
	printf("NS_PER_CONN %.0f\n", ns);
	return 0;
}
