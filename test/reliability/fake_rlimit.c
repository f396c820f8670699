/* fake_rlimit.c - a test-only preload: getrlimit(RLIMIT_NOFILE) reports a
 * hard limit of $REL_FAKE_HARD_NOFILE (when lower than the real one).
 *
 * Why: libabortclose sizes its fd table from the hard RLIMIT_NOFILE when it
 * loads.  A process with CAP_SYS_RESOURCE can raise the hard limit later and
 * then get fds above the table; this container (like many CI runners) has no
 * CAP_SYS_RESOURCE, so limits.sh cannot raise it.  Preloaded in front of the
 * library, this makes the library size its table small while the process can
 * still open fds far above it: the same situation, seen from the library.
 * Built by test/reliability/limits.sh into build/reliability/. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

int getrlimit(__rlimit_resource_t resource, struct rlimit *rl)
{
	int r = prlimit(0, resource, NULL, rl);
	const char *fake = getenv("REL_FAKE_HARD_NOFILE");
	if (r == 0 && resource == RLIMIT_NOFILE && fake) {
		rlim_t max = (rlim_t)strtoul(fake, NULL, 10);
		if (max && max < rl->rlim_max)
			rl->rlim_max = max;
		if (rl->rlim_cur > rl->rlim_max)
			rl->rlim_cur = rl->rlim_max;
	}
	return r;
}
