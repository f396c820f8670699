/* fdtable.c - mapping the per-fd state table and its overlay (see
 * fdtable.h). */
#include "export.h"
#include "fdtable.h"
#include "real.h"
#include "state.h"

#include <fcntl.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <errno.h>
#include <sys/resource.h>
#include <sys/stat.h>

_Atomic ac_entry *ac_table;
_Atomic uint32_t *ac_over;
_Atomic uint32_t *ac_alias_ino;
_Atomic int32_t *ac_peer_pid;
_Atomic int32_t *ac_big_linger;
int ac_table_size;
_Atomic int ac_max_fd = -1;

/* 2^22 fds x 20 bytes (the entry, three 4-byte arrays) = 80 MiB of address
 * space at most, reserved but never committed until touched. */
#define AC_TABLE_CAP (1 << 22)
#define AC_TABLE_MIN 1024

static void overlay_init(size_t n);

int ac_table_init(void)
{
	struct rlimit rl;
	rlim_t n = AC_TABLE_CAP;

	/* The hard limit bounds every fd the process can get unless a privileged
	 * process raises it later; fds beyond the table are passed through. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY && rl.rlim_max < n)
		n = rl.rlim_max;
	if (n < AC_TABLE_MIN)
		n = AC_TABLE_MIN;

	/* One mapping for the four arrays: one VMA to copy at each fork
	 * instead of three (a forking server pays dup_mmap per VMA).  Not
	 * MAP_NORESERVE: with the same flags as the anonymous mapping the
	 * loader made just before (the static TLS block, right above where
	 * mmap puts this one), the kernel merges the two into one VMA, one less
	 * for every fork to copy.  (Strict overcommit ignores MAP_NORESERVE
	 * anyway; the default heuristic mode only counts the size.) */
	size_t te = (size_t)n * sizeof(ac_entry), ta = (size_t)n * sizeof(uint32_t), tp = (size_t)n * sizeof(int32_t),
	       tl = (size_t)n * sizeof(int32_t);
	char *p = mmap(NULL, te + ta + tp + tl, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	ac_table = (void *)p;
	ac_alias_ino = (void *)(p + te);
	ac_peer_pid = (void *)(p + te + ta);
	ac_big_linger = (void *)(p + te + ta + tp);
	ac_table_size = (int)n;
	overlay_init((size_t)n);
	return 0;
}

/* --- the overlay (fdtable.h) --------------------------------------------
 *
 * Its mapping starts with this process's struct ac_local (state.h: what a
 * forked child must write at once, so it writes this page and not the
 * library's .data) and the list of fds marked closed whose entry is still
 * in the table (wiped in a child too: the child inherits a table already
 * cleared of them), then one word per fd.  The list takes half a
 * page, so that the words of fds 0-511 share its page: a process that closes
 * a low fd touches one page of the overlay (a child's first close: one fault
 * on a fresh page, not two).  Without the mapping or the madvise, the table
 * is used alone. */
#define OV_HEAD 2048
#define CLOSED_CAP ((OV_HEAD - sizeof(struct ac_local) - sizeof(unsigned)) / sizeof(int))
struct overlay_head {
	struct ac_local local;        /* ac_here (state.h): wiped at a fork too */
	_Atomic unsigned n;           /* fds closed since the last fork; past
				       * CLOSED_CAP the list is full: scan */
	_Atomic int fd[CLOSED_CAP];
};
_Static_assert(sizeof(struct overlay_head) <= OV_HEAD, "the list fits in half a page");
static struct overlay_head *ov_head;

static void overlay_init(size_t n)
{
	size_t head = OV_HEAD;
	char *p = mmap(NULL, head + n * sizeof(uint32_t), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return;
	if (madvise(p, head + n * sizeof(uint32_t), MADV_WIPEONFORK) != 0) {
		munmap(p, head + n * sizeof(uint32_t));
		return;
	}
	ov_head = (void *)p;
	ac_over = (void *)(p + head);
	/* At load, before any other thread and before the ledger's slot. */
	struct ac_local *l = &ov_head->local;
	l->epoch_word = ac_here->epoch_word;
	atomic_store(&l->epoch_private, atomic_load(&ac_here->epoch_private));
	l->birth = ac_here->birth;
	atomic_store(&l->self, atomic_load(&ac_here->self));
	ac_here = l;
}

/* Remember that fd's table word is stale (the next fork clears it). */
AC_HOT static void list_closed(int fd)
{
	unsigned i = atomic_fetch_add_explicit(&ov_head->n, 1, memory_order_relaxed);
	if (i < CLOSED_CAP)
		atomic_store_explicit(&ov_head->fd[i], fd, memory_order_release);
}

#define AC_ENTRY_NOT_EPOCH (~(~0ull << AC_EPOCH_SHIFT)) /* flags and linger */
#define AC_OV_MAX_AGE 32u /* epochs: two per fork */

AC_HOT bool ac_set_overlaid(int fd, ac_entry e)
{
	ac_entry t = atomic_load_explicit(&ac_table[fd], memory_order_acquire);
	if (e == 0) {
		if (t == 0) { /* nothing in the table: no write to it */
			if (atomic_load_explicit(&ac_over[fd], memory_order_relaxed))
				atomic_store_explicit(&ac_over[fd], 0, memory_order_release);
			return true;
		}
		atomic_store_explicit(&ac_over[fd], AC_OV_CLOSED, memory_order_release);
		list_closed(fd);
		return true;
	}
	/* The same entry but its epoch, left in the table by this process
	 * (epochs at or above its birth: not one a child inherits from us),
	 * and not much older: a child sees the table's epoch, and the holder
	 * search of its close (without its parent's note, holders.c) looks at
	 * every sibling born since - at most AC_OV_MAX_AGE / 2 forks more than
	 * with the true epoch.  (So in a fork-per-connection server the table
	 * page takes its copy-on-write fault once every 16 connections.) */
	ac_epoch te = ac_entry_epoch(t), ee = ac_entry_epoch(e);
	if (t == 0 || ((t ^ e) & AC_ENTRY_NOT_EPOCH) || te < ac_birth_epoch() || te > ee || ee - te > AC_OV_MAX_AGE)
		return false;
	atomic_store(&ac_over[fd], AC_OV_EPOCH | (uint32_t)(ee - te));
	/* A fork's prepare handler (another thread) may have cleared that
	 * stale word meanwhile (ac_table_before_fork): then it is written. */
	return atomic_load(&ac_table[fd]) == t;
}

AC_HOT ac_entry ac_take_overlaid(int fd)
{
	/* The word's first access is the write: a child's overlay starts
	 * empty (MADV_WIPEONFORK), and a read first would map the zero page
	 * there, the write then faulting a second time (perf: two faults at
	 * every forked handler's close of its connection). */
	uint32_t o = 0;
	for (;;) {
		ac_entry t = atomic_load_explicit(&ac_table[fd], memory_order_acquire);
		if (t == 0)
			return 0;
		if (atomic_compare_exchange_weak_explicit(&ac_over[fd], &o, AC_OV_CLOSED, memory_order_acq_rel,
							  memory_order_acquire)) {
			/* The table word stays until the fd is closed in the
			 * kernel (ac_table_before_fork): a fork before the real
			 * close gives the child the fd, and the child must get
			 * its entry with it, or it could not disarm the socket at
			 * its own end - while this release may be leaving it
			 * armed for that very child. */
			list_closed(fd);
			return ac_overlaid_entry(t, o);
		}
		if (o == AC_OV_CLOSED)
			return 0; /* closed already (another thread's close won) */
	}
}

/* Clear the stale table word of fd if the overlay marks it closed and the
 * kernel no longer has a socket there.  Still a socket: a release in
 * progress on another thread (its real close comes next; the word stays for
 * the child, listed again).  Something else (a pipe, a file: calls the
 * library does not see) got the number: the socket is gone, and a child
 * must not inherit its entry (it once did, and every handler of a forking
 * server then asked the kernel about every fd of its parent and siblings at
 * its exit, for a pipe).  A socket made by a call the library does not see
 * (a raw system call) keeps the word: that child's release of it asks
 * for other holders, as for any socket of ours. */
static void clear_if_closed(int fd)
{
	if (!ac_fd_in_table(fd) || atomic_load(&ac_over[fd]) != AC_OV_CLOSED)
		return; /* a socket got the fd again */
	ac_entry t = atomic_load(&ac_table[fd]), zero = 0;
	uint32_t closed = AC_OV_CLOSED;
	struct stat st;
	if (t && ac_fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode)) {
		list_closed(fd);
		return;
	}
	if (t && !atomic_compare_exchange_strong(&ac_table[fd], &t, 0))
		return; /* written by a set meanwhile: it is live */
	if (atomic_load(&ac_over[fd]) != AC_OV_CLOSED) {
		/* Another thread's socket got the fd meanwhile, in the overlay
		 * over that very word: give the word back (that set also checks
		 * the word, ac_set_overlaid). */
		if (t)
			atomic_compare_exchange_strong(&ac_table[fd], &zero, t);
		return;
	}
	atomic_compare_exchange_strong(&ac_over[fd], &closed, 0);
}

/* Before a fork: what the overlay marks closed is cleared in the table (a
 * write: the page fault the overlay saved comes back only for fds closed and
 * not reused since the last fork; one fcntl for each).  When more were
 * closed than the list holds, all fds are looked at (once per fork, after
 * that many closes).  A socket another thread makes while this runs gets
 * an epoch above the fork's: its parent never counts on this child for it
 * (fork.c). */
AC_HOT void ac_table_before_fork(void)
{
	if (!ov_head)
		return;
	int saved = errno;
	unsigned n = atomic_exchange_explicit(&ov_head->n, 0, memory_order_acq_rel);
	bool scan = n > CLOSED_CAP;
	if (scan)
		n = CLOSED_CAP;
	for (unsigned i = 0; i < n; i++)
		clear_if_closed(atomic_load_explicit(&ov_head->fd[i], memory_order_acquire));
	if (scan) {
		int max = atomic_load(&ac_max_fd);
		for (int fd = 0; fd <= max; fd++)
			if (atomic_load_explicit(&ac_over[fd], memory_order_relaxed) == AC_OV_CLOSED)
				clear_if_closed(fd);
	}
	AC_ERRNO_RESTORE(saved);
}

uint32_t ac_alias_note(int fd)
{
	struct stat st;
	int saved = errno;
	uint32_t ino = ac_fstat(fd, &st) == 0 ? (uint32_t)st.st_ino : 0;
	AC_ERRNO_RESTORE(saved);
	ac_alias_set(fd, ino);
	return ino;
}
