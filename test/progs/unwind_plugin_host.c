/* unwind_plugin_host.c - a C server that serves each connection through a
 * C++ plugin it dlopen()s with RTLD_LOCAL (test/unwind/plugin/cxx_plugin.cc):
 * libstdc++ and libgcc_s arrive after the library was loaded, outside the
 * global scope (the shape of a C++ extension module of Python).
 *
 *   unwind_plugin_host PLUGIN.so PORT
 *     prints "READY PORT", then per connection reads one request line,
 *     hands the fd to plugin_serve(fd, request) and prints
 *     "DONE <request> <ok|threw>".
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: unwind_plugin_host PLUGIN.so PORT\n");
		return 2;
	}
	void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	int (*serve)(int, const char *) = h ? (int (*)(int, const char *))dlsym(h, "plugin_serve") : NULL;
	if (!serve) {
		fprintf(stderr, "unwind_plugin_host: %s\n", dlerror());
		return 2;
	}
	int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[2])),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 16) != 0) {
		perror("bind/listen");
		return 2;
	}
	printf("READY %s\n", argv[2]);
	fflush(stdout);
	for (;;) {
		int fd = accept(ls, NULL, NULL);
		if (fd < 0)
			continue;
		char req[64];
		size_t n = 0;
		char c;
		while (n < sizeof req - 1 && read(fd, &c, 1) == 1 && c != '\n')
			req[n++] = c;
		req[n] = 0;
		int threw = serve(fd, req);
		printf("DONE %s %s\n", req, threw ? "threw" : "ok");
		fflush(stdout);
	}
}
