/* log_closefrom.c - a program that closes every high fd at start, as sshd
 * and systemd-socket-activate do, then makes a connection and closes it on
 * purpose (test/sandbox/log_closefrom.sh).
 *
 *   log_closefrom PORT closefrom|close_range|proc-loop
 *
 * closefrom: glibc closefrom(3); close_range: close_range(3, ~0U, 0);
 * proc-loop: close() each fd >= 3 listed in /proc/self/fd (what programs
 * without closefrom do).  Then connects to 127.0.0.1:PORT, writes "HELLO\n",
 * closes and prints "DONE fd=N" (the connection's fd number: the library's
 * reopened log must not have taken it, so it is 3).  Exit 2: setup error. */
#include "testnet.h"

#include <dirent.h>
#include <linux/close_range.h>
#include <sys/syscall.h>

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	const char *how = argv[2];
	if (!strcmp(how, "closefrom")) {
		closefrom(3);
	} else if (!strcmp(how, "close_range")) {
		if (close_range(3, ~0U, 0) != 0)
			return 2;
	} else {
		int fds[4096], n = 0;
		DIR *d = opendir("/proc/self/fd");
		if (!d)
			return 2;
		for (struct dirent *e; (e = readdir(d)) && n < 4096;)
			if (e->d_name[0] >= '0' && e->d_name[0] <= '9' && atoi(e->d_name) != dirfd(d))
				fds[n++] = atoi(e->d_name);
		closedir(d);
		for (int i = 0; i < n; i++)
			if (fds[i] >= 3)
				close(fds[i]);
	}
	struct sockaddr_storage ss;
	socklen_t len = loopback_addr(AF_INET, (unsigned)atoi(argv[1]), &ss);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) != 0) {
		perror("connect");
		return 2;
	}
	if (write(fd, "HELLO\n", 6) != 6)
		return 2;
	close(fd);
	printf("DONE fd=%d\n", fd);
	return 0;
}
