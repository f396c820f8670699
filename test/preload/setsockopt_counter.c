/* setsockopt_counter.c - another preloaded library that interposes
 * setsockopt (as cwrap's socket_wrapper does), for test/fdpaths/interposer.sh:
 * each SO_LINGER call that reaches it is logged as "linger ONOFF SECONDS" to
 * $SETSOCKOPT_COUNTER_LOG, then passed on (RTLD_NEXT). */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	static int (*next)(int, int, int, const void *, socklen_t);
	if (!next)
		next = (int (*)(int, int, int, const void *, socklen_t))dlsym(RTLD_NEXT, "setsockopt");
	const char *log = getenv("SETSOCKOPT_COUNTER_LOG");
	if (log && level == SOL_SOCKET && name == SO_LINGER && len >= sizeof(struct linger)) {
		const struct linger *l = val;
		char line[64];
		int n = snprintf(line, sizeof line, "linger %d %d\n", l->l_onoff, l->l_linger);
		int out = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (out >= 0) {
			if (write(out, line, (size_t)n) != n) {
				/* a test helper: the test then sees the line missing */
			}
			close(out);
		}
	}
	return next(fd, level, name, val, len);
}
