/* fork.c - fork epochs and the ledger's record of each fork.
 *
 * After a fork, every socket open at that moment is referenced by both
 * processes.  Rather than walk the table (which would copy it page by page
 * into the child), the process-wide epoch is bumped: entries stamped with an
 * older epoch "may be shared" and get the holder search of holders.c when
 * they are released.  Each fork takes its own epoch F (bumped before the
 * fork, in the prepare handler, and again after it in the parent), so "the
 * children born while I held socket S" is the epoch window [S's epoch, the
 * epoch I let go of S] of the ledger's ring of children (ledger.h): the child
 * is reserved in the ledger before the fork, its pid written by the parent
 * as fork() returns (and by the child itself), so the parent's close right
 * after the fork already sees it.
 *
 * pthread_atfork handlers run for fork() and daemon() (glibc's internal
 * fork); _Fork() runs none, so it is interposed.  Children that share the
 * parent's memory until they exec (vfork, posix_spawn) are spawn.c's. */
#include "state.h"
#include "export.h"
#include "ledger.h"
#include "real.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <pthread.h>
#include <unistd.h>

/* The new epoch (saturates at AC_EPOCH_MAX: holders.c then searches). */
AC_HOT static ac_epoch bump(void)
{
	_Atomic ac_epoch *w = ac_epoch_word();
	ac_epoch e = atomic_load(w);
	while ((e & AC_EPOCH_BITS) < AC_EPOCH_MAX && !atomic_compare_exchange_weak(w, &e, e + 1))
		;
	e &= AC_EPOCH_BITS;
	return e < AC_EPOCH_MAX ? e + 1 : AC_EPOCH_MAX;
}

/* Move the epoch counter into this process's ledger slot (state.h). */
AC_HOT void ac_fork_epoch_home(void)
{
	_Atomic ac_epoch *home = ac_ledger_epoch_home(), *w = ac_epoch_word();
	if (home && home != w && w != &ac_epoch_unset) {
		atomic_store(home, atomic_load(w));
		ac_here->epoch_word = home;
	}
}

/* Where a child reads the counter it starts above: ours, kept here by each
 * fork's prepare handler because a child gets our ac_local zeroed (state.h).
 * Written only when it moved: a forking server writes it once, not at every
 * fork (each write of .data after a fork is a copy-on-write fault). */
static _Atomic ac_epoch *_Atomic counter_for_children = &ac_epoch_private;

AC_HOT static void keep_counter_for_children(void)
{
	_Atomic ac_epoch *w = ac_epoch_word();
	if (atomic_load_explicit(&counter_for_children, memory_order_relaxed) != w)
		atomic_store_explicit(&counter_for_children, w, memory_order_relaxed);
}

/* The counter a child inherited: the parent's, in its ledger slot (shared)
 * or in .data (copied); a counter that was in the parent's ac_local (a
 * process in no ledger slot) is gone with the wiped page: AC_EPOCH_MAX, the
 * saturated epoch, under which every release searches (never less safe). */
AC_HOT static ac_epoch inherited_epoch(void)
{
	_Atomic ac_epoch *from = atomic_load_explicit(&counter_for_children, memory_order_relaxed);
	if (from == &ac_epoch_unset || (from == &ac_here->epoch_private && ac_here != &ac_local_in_data))
		return AC_EPOCH_MAX;
	return atomic_load(from) & AC_EPOCH_BITS; /* not the parent's forks */
}

/* Both of the parent's bumps happen before the fork: F for the fork, F + 1
 * for what the parent makes from now on.  (An entry another thread makes
 * between this and the fork gets F + 1: the child holds it too but is not in
 * its window - that socket is disarmed by the parent's close: protection
 * lost, never data.) */
AC_HOT ac_epoch ac_fork_epochs_take(void)
{
	ac_epoch f = bump();
	bump();
	return f;
}

AC_HOT static void before_fork(void)
{
	if (!ac_on())
		return;
	ac_table_before_fork();
	keep_counter_for_children();
	/* Counted in progress before its epochs (state.h).  Paired with the
	 * parent handler by ac_on() rather than by a flag of this thread's: a
	 * write to the process's own memory after the fork costs the parent a
	 * copy-on-write fault at every fork.  (ac_on() changing in between -
	 * a step-back on another thread - leaves one fork counted for good:
	 * every later call then asks its window's children, never less.) */
	atomic_fetch_add(ac_epoch_word(), AC_FORKING_ONE);
	ac_ledger_fork_prepare(ac_fork_epochs_take());
}

AC_HOT static void after_fork_parent(void)
{
	if (ac_on()) {
		ac_ledger_fork_parent();
		atomic_fetch_sub(ac_epoch_word(), AC_FORKING_ONE); /* the kernel has copied us */
	}
}

/* Everything the child writes of its own memory here is its ac_local
 * (state.h): in the overlay's first page, wiped at the fork, which its first
 * close writes anyway (without an overlay: the library's .data page, one
 * copy-on-write fault).  Its counter starts above the one it inherited
 * (above every entry it inherited), in ac_local until it is in its own
 * ledger slot. */
AC_HOT static void after_fork_child(void)
{
	struct ac_local *l = ac_here;
	ac_epoch inherited = inherited_epoch();
	ac_epoch birth = inherited < AC_EPOCH_MAX ? inherited + 1 : AC_EPOCH_MAX;
	atomic_store(&l->epoch_private, birth);
	l->epoch_word = &l->epoch_private;
	l->birth = birth;
	if (atomic_load_explicit(&ac_active, memory_order_relaxed)) {
		ac_ledger_fork_child(birth);
		ac_fork_epoch_home();
	}
	/* The stats are this process's own: the parent reports what it counted
	 * before the fork, so the child starts from zero (sums over processes
	 * stay right; a child that only closes its copies prints nothing). */
	if (ac_policy.stats) { /* no write otherwise: no copy-on-write fault */
		atomic_store(&ac_stats.armed, 0);
		atomic_store(&ac_stats.graceful, 0);
		atomic_store(&ac_stats.left, 0);
		atomic_store(&ac_stats.skipped, 0);
	}
}

void ac_fork_init(void)
{
	pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}

/* The ticket (ledger.c, forks): the child's slot, on this stack. */
AC_HOT static void fork_begin(struct ac_fork_ticket *t)
{
	t->kid = 0;
	t->ours = false;
	if (ac_on())
		ac_ledger_fork_begin(t);
}

AC_HOT static void fork_end(struct ac_fork_ticket *t, pid_t pid)
{
	if (pid == 0) {
		if (atomic_load_explicit(&ac_active, memory_order_relaxed)) {
			ac_ledger_fork_child_end(t, ac_birth_epoch());
			ac_fork_epoch_home();
		}
	} else if (t->ours || ac_on())
		ac_ledger_fork_end(t, pid);
}

AC_HOT AC_EXPORT pid_t fork(void)
{
	struct ac_fork_ticket t;
	fork_begin(&t);
	pid_t pid = ac_real_fork();
	int saved = errno;
	fork_end(&t, pid);
	AC_ERRNO_RESTORE(saved);
	return pid;
}

AC_HOT AC_EXPORT pid_t _Fork(void)
{
	struct ac_fork_ticket t;
	fork_begin(&t);
	before_fork();
	pid_t pid = ac_real__Fork();
	int saved = errno;
	if (pid == 0)
		after_fork_child();
	else
		after_fork_parent();
	fork_end(&t, pid);
	AC_ERRNO_RESTORE(saved);
	return pid;
}

/* daemon() forks with glibc's internal fork and its parent leaves with the
 * internal _exit: that parent never runs the exit policy, so a socket it
 * shares with the daemon child was closed armed by the parent's exit while
 * the child's graceful close could count on the parent still holding it (RST).
 * The same steps, through the interposed fork() and _exit(). */
AC_EXPORT int daemon(int nochdir, int noclose)
{
	switch (fork()) {
	case -1:
		return -1;
	case 0:
		break;
	default:
		_exit(0);
	}
	if (setsid() == -1)
		return -1;
	if (!nochdir && chdir("/") != 0) {
		/* ignored, as glibc does */
	}
	if (!noclose) {
		struct stat st;
		int fd = open("/dev/null", O_RDWR);
		if (fd < 0)
			return -1;
		if (fstat(fd, &st) != 0 || !S_ISCHR(st.st_mode)) {
			close(fd);
			errno = ENODEV; /* glibc: /dev/null is not the null device */
			return -1;
		}
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > 2)
			close(fd);
	}
	return 0;
}
