/* spawn.c - children that run on the parent's memory until they exec: vfork,
 * clone(CLONE_VM|CLONE_VFORK), posix_spawn and posix_spawnp.
 *
 * Such a child must not change the library's state, which is the parent's
 * (ac_in_vfork: every wrapper passes straight through in it, vfork.S).  But
 * it may take a socket of the parent's with it into the program it execs -
 * a connection dup2'd onto its stdin and stdout, Python's
 * subprocess.Popen(stdin=conn), a CGI started with posix_spawn - and that
 * program, under the library too, adopts and arms the socket at load.  Were
 * the parent then to take itself for the last holder, its close would
 * disarm the socket under the new program, whose crash would send FIN.  So
 * each such child gets the two epochs of a fork and a reserved slot in the
 * ledger, like a forked one, and is kept there as an exec'd child when the
 * program it exec'd runs under this library: the parent's close then asks
 * the kernel whether it holds the socket (holders.c) and leaves it armed if
 * so.  A child whose program does not run under the library is taken back,
 * and every armed socket of ours it holds is disarmed as soon as the spawn
 * returns (give_up_to): that program could never disarm at its own graceful
 * end, which is the last holder's once we are gone (a crash of ours, or our
 * close) - it would send RST (invariant 1).  Its fd table is read once
 * through /proc, after its exec; when that is not possible, every armed
 * socket of ours is disarmed (it may hold any of them: a dup2 in a vfork
 * child or a posix_spawn file action can put a close-on-exec one on its
 * stdout).  Each such socket gets one info line.
 *
 * Which program: posix_spawn's path and envp are known before the call.  A
 * vfork child tells its parent through the forking thread's TLS, which it
 * shares: the exec wrapper (hook_exec.c) writes its verdict on the program
 * it is about to exec there, the last attempt winning (execvp's search).
 * glibc's system() and popen() spawn through an internal posix_spawn that
 * calls nothing interposable: their children are not in the ledger (README,
 * limits). */
#include "state.h"
#include "exec_target.h"
#include "export.h"
#include "ledger.h"
#include "procfd.h"
#include "real.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <stdarg.h>
#include <sys/stat.h>

/* The spawn in progress on this thread (between begin and done): the child
 * slot, its fork epoch, and the vfork child's verdict on what it exec'd. */
enum { EXEC_NONE, EXEC_RUNS_US, EXEC_WITHOUT_US };
static __thread ac_slot spawn_slot;
static __thread ac_epoch spawn_epoch;
static __thread int spawn_exec;

/* Both only in the parent, never in a vfork child (ac_in_vfork), whose
 * spawns would otherwise take the TLS its parent's spawn is using. */
static void spawn_begin(void)
{
	if (!ac_on())
		return;
	spawn_exec = EXEC_NONE;
	spawn_epoch = ac_fork_epochs_take();
	spawn_slot = ac_ledger_spawn_begin(spawn_epoch);
}

/* If fd is an armed socket of ours on inode ino: give it up. */
static bool give_up_if(int fd, unsigned long ino, long pid)
{
	ac_entry e = ac_get(fd);
	struct stat st;
	if (!ac_entry_armed(e) || (e & (AC_F_LISTENER | AC_F_GAVE_UP)) || ac_fstat(fd, &st) != 0 ||
	    st.st_ino != ino)
		return false;
	ac_give_up(fd, e, "gave-up:held-by-program-without-library-pid-", pid);
	return true;
}

/* One socket of the child (fd in its table): ours under the same number
 * first (inherited), else by inode among all of ours (dup2'd elsewhere). */
static int child_socket(int fd, unsigned long ino, void *ctx)
{
	long pid = *(long *)ctx;
	if (give_up_if(fd, ino, pid) && !(ac_get(fd) & AC_F_ALIASED))
		return 0;
	int max = atomic_load(&ac_max_fd);
	for (int other = 0; other <= max; other++)
		if (other != fd)
			give_up_if(other, ino, pid);
	return 0;
}

/* Child pid runs a program without the library (top comment). */
static void give_up_to(long pid)
{
	int saved = errno;
	const char *why = NULL;
	if (ac_procfd_each_socket(pid, child_socket, &pid, &why) == AC_PROC_UNREADABLE) {
		int max = atomic_load(&ac_max_fd);
		for (int fd = 0; fd <= max; fd++) {
			ac_entry e = ac_get(fd);
			if (ac_entry_armed(e) && !(e & (AC_F_LISTENER | AC_F_GAVE_UP)))
				ac_give_up(fd, e, "gave-up:spawned-program-without-library-fd-table-unreadable-pid-", pid);
		}
	}
	AC_ERRNO_RESTORE(saved);
}

static void spawn_done(long pid, bool runs_us)
{
	if (ac_in_vfork)
		return;
	if (spawn_slot) {
		ac_ledger_spawn_end(spawn_slot, spawn_epoch, pid, runs_us);
		spawn_slot = 0;
	}
	if (pid > 0 && !runs_us && ac_on())
		give_up_to(pid);
}

/* hook_exec.c, in a vfork child about to exec path with envp. */
void ac_spawn_note_exec(int dirfd, const char *path, int at_flags, char *const envp[])
{
	if (spawn_slot)
		spawn_exec = ac_exec_keeps_us(dirfd, path, at_flags, envp) ? EXEC_RUNS_US : EXEC_WITHOUT_US;
}

/* vfork.S (and clone below): before the system call (errno untouched), and
 * after it in the parent with its result (the pid, or -errno). */
AC_HIDDEN void ac_vfork_begin(void);
AC_HIDDEN void ac_vfork_begin(void)
{
	int saved = errno;
	spawn_begin();
	AC_ERRNO_RESTORE(saved);
}

AC_HIDDEN long ac_vfork_done(long r);
AC_HIDDEN long ac_vfork_done(long r)
{
	bool failed = (unsigned long)r >= -4095ul;
	int saved = errno; /* what the child left (vfork semantics: shared) */
	spawn_done(failed ? -1 : r, spawn_exec == EXEC_RUNS_US);
	if (failed) {
		errno = (int)-r;
		return -1;
	}
	AC_ERRNO_RESTORE(saved);
	return r;
}

/* clone(CLONE_VM|CLONE_VFORK): the child runs on our memory (and our TLS,
 * without CLONE_SETTLS) until it execs or exits, like vfork, while this
 * thread is suspended.  CLONE_VM without CLONE_VFORK runs both at once on one
 * memory: no per-thread mark can tell them apart, so it is not handled
 * (README, limits).  glibc's pthread_create and spawn paths use an internal
 * clone and never come here. */
AC_EXPORT int clone(int (*fn)(void *), void *stack, int flags, void *arg, ...)
{
	va_list ap;
	va_start(ap, arg);
	pid_t *ptid = va_arg(ap, pid_t *);
	void *tls = va_arg(ap, void *);
	pid_t *ctid = va_arg(ap, pid_t *);
	va_end(ap);
	bool vm = (flags & CLONE_VM) && (flags & CLONE_VFORK) && !(flags & (CLONE_THREAD | CLONE_SETTLS));
	if (vm) {
		ac_vfork_begin();
		ac_in_vfork++;
	}
	int r = ac_real_clone(fn, stack, flags, arg, ptid, tls, ctid);
	if (!vm)
		return r;
	ac_in_vfork--; /* the child has exec'd or exited */
	return (int)ac_vfork_done(r < 0 ? -errno : r);
}

/* posix_spawn(p): the program and its environment are known now (posix_spawnp
 * searches the caller's PATH, as glibc does).  They return an error number,
 * errno is left as it was. */
static int spawn(bool search, pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
		 const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	int saved = errno;
	char buf[4096];
	bool runs_us = false;
	if (ac_on()) {
		const char *path = search ? ac_exec_search(file, buf) : file;
		runs_us = path && ac_exec_keeps_us(AT_FDCWD, path, 0, envp);
	}
	if (runs_us)
		spawn_begin(); /* else nothing to keep: not even the epochs */
	AC_ERRNO_RESTORE(saved);
	pid_t kid = 0;
	int r = search ? ac_real_posix_spawnp(&kid, file, fa, attr, argv, envp)
		       : ac_real_posix_spawn(&kid, file, fa, attr, argv, envp);
	if (r == 0 && pid)
		*pid = kid;
	saved = errno;
	if (runs_us)
		spawn_done(r == 0 ? kid : -1, true);
	else if (r == 0 && ac_on())
		give_up_to(kid);
	AC_ERRNO_RESTORE(saved);
	return r;
}

AC_EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
			  const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	return spawn(false, pid, path, fa, attr, argv, envp);
}

AC_EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
			   const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	return spawn(true, pid, file, fa, attr, argv, envp);
}
