/* init.c - the constructor: read the configuration once, map the state
 * table, adopt the TCP sockets the process inherited, register the exit
 * handler and the fork handlers. */
#include "state.h"
#include "keepalive.h"
#include "ledger.h"
#include "log.h"
#include "real.h"
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

struct ac_policy ac_policy;
_Atomic int ac_active;
__thread int ac_in_vfork __attribute__((tls_model("initial-exec")));
long ac_errno_offset;
_Atomic ac_epoch ac_epoch_private = AC_EPOCH_ORIGIN;
_Atomic ac_epoch ac_epoch_unset = AC_EPOCH_MAX;
/* Until the overlay is mapped (fdtable.c moves it there), and for good
 * without one. */
struct ac_local ac_local_in_data = {.epoch_word = &ac_epoch_private, .birth = AC_EPOCH_ORIGIN};
struct ac_local *ac_here = &ac_local_in_data;

extern char **environ;

static void write_line(const char *msg)
{
	char line[AC_MSG_MAX + 1];
	size_t n = strnlen(msg, AC_MSG_MAX);
	memcpy(line, msg, n);
	line[n++] = '\n';
	ssize_t r = write(2, line, n);
	(void)r;
}

/* Take every TCP socket that is already open (an inetd/systemd Accept=yes
 * connection on fd 0/1, LISTEN_FDS listeners, fds inherited across exec from
 * a process under this library) under management. */
static void adopt_inherited(void)
{
	char buf[1024];
	int dir = (int)ac_sys(SYS_openat, AT_FDCWD, (long)"/proc/self/fd",
			      O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, 0, 0);
	if (dir < 0) {
		/* No /proc: look at the low fds, where inherited sockets live. */
		for (int fd = 0; fd < 1024; fd++)
			ac_adopt(fd, "adopted:inherited");
		return;
	}
	for (;;) {
		long n = ac_sys(SYS_getdents64, dir, (long)buf, sizeof buf, 0, 0, 0);
		if (n <= 0)
			break;
		for (long off = 0; off < n;) {
			struct { unsigned long long ino; long long off; unsigned short reclen;
				 unsigned char type; char name[]; } *d = (void *)(buf + off);
			off += d->reclen;
			if (d->name[0] < '0' || d->name[0] > '9')
				continue;
			int fd = atoi(d->name);
			if (fd != dir)
				ac_adopt(fd, "adopted:inherited");
		}
	}
	ac_sys(SYS_close, dir, 0, 0, 0, 0, 0);
}

void ac_fork_init(void);
void ac_fork_epoch_home(void);
void ac_exit_init(void);

__attribute__((constructor(101))) static void ac_init(void)
{
	ac_errno_offset = (long)((char *)__errno_location() - (char *)__builtin_thread_pointer());
	int saved = errno;
	char msg[AC_MSG_MAX];

	ac_real_resolve_all();
	int invalid = ac_policy_parse(environ, getauxval(AT_SECURE) != 0, &ac_policy, msg) != 0;
	if (msg[0])
		write_line(msg); /* the one error line, or a warning */
	if (invalid || !ac_policy.enabled) {
		AC_ERRNO_RESTORE(saved);
		return; /* pass-through for this process */
	}
	/* Before any other call of ours (mmap, getrlimit, pthread_atfork,
	 * getdents64, getsockopt...): under a seccomp filter we cannot see,
	 * any of them may be answered with SIGSYS (sandbox.c). */
	const char *why;
	if (ac_sandbox_present_at_load(&why)) {
		ac_sandbox_say_at_load(why);
		AC_ERRNO_RESTORE(saved);
		return;
	}
	if (ac_table_init() != 0) {
		AC_ERRNO_RESTORE(saved);
		return;
	}
	ac_log_init();
	ac_ledger_init();
	ac_fork_epoch_home();
	ac_fork_init();
	ac_exit_init();
	ac_keepalive_init();
	atomic_store(&ac_active, 1);
	adopt_inherited();
	AC_ERRNO_RESTORE(saved);
}
