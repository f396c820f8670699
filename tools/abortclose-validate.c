/* abortclose-validate - check the ABORTCLOSE_* variables of its own
 * environment exactly as libabortclose does when it loads.
 *
 * The abortclose wrapper runs this before it runs anything, so an invalid
 * configuration is reported once, by the wrapper, with exit status 2,
 * instead of by the library inside the command (which would then run
 * unprotected).  It calls the library's own parser (policy/policy.c, linked
 * in), so the line is the library's line, word for word, and no copy of the
 * rules exists in the wrapper.  Unlike running /bin/true under the library
 * it has no side effects (no log file opened, no syslog connection).
 *
 * Prints the one line on stdout and exits 2 when the configuration is
 * invalid; prints nothing and exits 0 when it is valid.  secure is 0: the
 * wrapper itself is never setuid (a setuid target ignores LD_PRELOAD, which
 * abortclose-inspect warns about).
 */
#include <stdio.h>
#include <unistd.h>

#include "policy.h"

int main(void)
{
	static struct ac_policy policy; /* 12 KB: keep it off the stack */
	char msg[AC_MSG_MAX];

	if (ac_policy_parse(environ, 0, &policy, msg) == 0)
		return 0;
	printf("%s\n", msg);
	return 2;
}
