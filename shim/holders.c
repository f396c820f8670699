/* holders.c - does another live process still hold this socket?
 *
 * SO_LINGER belongs to the socket, not to the fd: after a fork both processes
 * reference one socket, and a disarm by one of them changes what the other's
 * crash sends.  So before disarming a socket that may be shared, ask the
 * kernel who holds it: look for "socket:[INODE]" among the fds of the related
 * processes this one knows of - its parent (for sockets that came from it or
 * from outside) and its live children (for sockets open when it forked).
 * Counters kept by the library could not be trusted: a process killed with -9
 * never decrements anything.
 *
 * Everything here is raw system calls on stack buffers: no malloc, no lock,
 * no stdio (it runs on the close path and in exit handlers).
 *
 * Two holders closing at the same instant would each see the other still
 * holding the socket, both keep it armed, and the last close would send RST
 * and drop queued data.  To break that tie, a process publishes "I am
 * releasing socket INO" on a small board shared by every process of its fork
 * tree (MAP_SHARED, created by the first process that loaded the library,
 * inherited by fork) *before* it looks for holders; a holder found on the
 * board releasing the same socket does not count.  Both sides store first and
 * read second (sequentially consistent atomics; the /proc reads in between
 * are system calls), so at least one of two simultaneous closers sees the
 * other and disarms: the connection ends with FIN (invariant 1 wins).
 * A process that exec'd starts a new board, so the tie is only broken within
 * a fork tree; grandchildren are not searched (a double fork's
 * grandchild is re-parented to init).  Both gaps are in
 * the README ("Sharing between processes").
 */
#include "state.h"
#include "log.h"
#include "real.h"
#include "export.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

struct linux_dirent64 {
	unsigned long long d_ino;
	long long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

enum { HOLDS_NO = 0, HOLDS_YES = 1, HOLDS_UNKNOWN = -1 };

/* --- the board of releases in progress ------------------------------------ */

struct release {
	_Atomic int tgid; /* 0 = free */
	_Atomic int tid;
	_Atomic unsigned long long ino;   /* AC_INO_ALL: every socket (exit); 0: none */
	_Atomic unsigned long long start; /* the process's start time: a pid can be reused */
	_Atomic unsigned long long pidino; /* its pidfd inode: unique on kernels >= 6.9 */
};
#define BOARD_SLOTS 1024 /* 24 KiB, one mapping for the whole fork tree */
#define AC_INO_ALL (~0ull)
static struct release *board;

/* This thread's slot holds a release that is not over yet (ac_board_withdraw). */
static __thread struct release *pending;

/* Start time of a process (field 22 of /proc/PID/stat, clock ticks since
 * boot): with the pid, it names one process for good.  0 if unreadable. */
static unsigned long long start_time(long pid)
{
	char path[48], buf[512], *p = path, *end = path + sizeof path - 1;
	p = ac_fmt_str(p, end, "/proc/");
	p = ac_fmt_ulong(p, end, (unsigned long)pid);
	p = ac_fmt_str(p, end, "/stat");
	*p = 0;
	int fd = (int)ac_sys(SYS_openat, AT_FDCWD, (long)path, O_RDONLY | O_CLOEXEC, 0, 0, 0);
	if (fd < 0)
		return 0;
	long n = ac_sys(SYS_read, fd, (long)buf, sizeof buf - 1, 0, 0, 0);
	ac_sys(SYS_close, fd, 0, 0, 0, 0, 0);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	char *q = NULL;
	for (char *c = buf; *c; c++) /* the name may hold spaces and ')' */
		if (*c == ')')
			q = c;
	if (!q)
		return 0;
	/* after ") " comes field 3; starttime is field 22 */
	int field = 2;
	unsigned long long v = 0;
	for (q++; *q && field <= 22; q++) {
		if (*q == ' ') {
			field++;
			continue;
		}
		if (field == 22 && *q >= '0' && *q <= '9')
			v = v * 10 + (unsigned long long)(*q - '0');
	}
	return v;
}

/* The inode of a pidfd: on kernels with pidfs (6.9+) unique for the life of
 * the system, so it tells a process from a later one with the same pid even
 * when both started within one clock tick; on older kernels every pidfd has
 * the same anonymous inode and only the start time tells them apart. */
static unsigned long long pidfd_ino(long pid)
{
#ifdef SYS_pidfd_open
	struct stat st;
	int fd = (int)ac_sys(SYS_pidfd_open, pid, 0, 0, 0, 0, 0);
	if (fd < 0)
		return 0;
	unsigned long long ino = fstat(fd, &st) == 0 ? (unsigned long long)st.st_ino : 0;
	ac_sys(SYS_close, fd, 0, 0, 0, 0, 0);
	return ino;
#else
	(void)pid;
	return 0;
#endif
}

static _Atomic long my_pid;
static _Atomic unsigned long long my_start, my_pidino;

static void own_identity(long pid, unsigned long long *start, unsigned long long *pidino)
{
	if (atomic_load(&my_pid) != pid) { /* first use, or a forked child */
		atomic_store(&my_start, start_time(pid));
		atomic_store(&my_pidino, pidfd_ino(pid));
		atomic_store(&my_pid, pid);
	}
	*start = atomic_load(&my_start);
	*pidino = atomic_load(&my_pidino);
}

void ac_board_init(void)
{
	void *p = mmap(NULL, BOARD_SLOTS * sizeof(struct release), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	board = p == MAP_FAILED ? NULL : p;
}

static bool thread_alive(int tgid, int tid)
{
	return ac_sys(SYS_tgkill, tgid, tid, 0, 0, 0, 0) == 0 || errno != ESRCH;
}

/* Publish that this thread releases socket ino.  A thread owns at most one
 * slot and reuses it: its previous release is over.  Returns false when the
 * board is missing or full (the caller then disarms). */
static bool board_publish(unsigned long long ino)
{
	if (!board)
		return false;
	int tgid = (int)ac_sys(SYS_getpid, 0, 0, 0, 0, 0, 0);
	int tid = (int)ac_sys(SYS_gettid, 0, 0, 0, 0, 0, 0);
	unsigned long long start, pidino;
	own_identity(tgid, &start, &pidino);
	struct release *mine = NULL;
	bool claimed = false;
	for (int pass = 0; pass < 2 && !mine; pass++)
		for (int i = 0; i < BOARD_SLOTS && !mine; i++) {
			struct release *r = &board[i];
			int owner = atomic_load(&r->tgid);
			bool same_thread = owner == tgid && atomic_load(&r->tid) == tid;
			bool same_process = same_thread && atomic_load(&r->start) == start &&
					    atomic_load(&r->pidino) == pidino;
			if (same_process) {
				mine = r;
			} else if (pass == 1 && (owner == 0 || same_thread || /* an earlier process with our pid */
						 !thread_alive(owner, atomic_load(&r->tid)))) {
				/* second pass: free slots, then slots of dead threads */
				/* Claim through -1 (matches no pid): readers never see
				 * the new owner with the previous owner's ino - an
				 * exited process's AC_INO_ALL would otherwise make
				 * this process look as if it released every socket. */
				if (atomic_compare_exchange_strong(&r->tgid, &owner, -1)) {
					atomic_store(&r->tid, tid);
					atomic_store(&r->start, start);
					atomic_store(&r->pidino, pidino);
					atomic_store(&r->ino, ino);
					atomic_store(&r->tgid, tgid);
					mine = r;
					claimed = true;
				}
			}
		}
	if (!mine)
		return false;
	/* An exiting process has announced every socket: keep it that way. */
	if (!claimed && atomic_load(&mine->ino) != AC_INO_ALL)
		atomic_store(&mine->ino, ino);
	if (ino != AC_INO_ALL)
		pending = mine;
	return true;
}

void ac_board_withdraw(void)
{
	struct release *r = pending;
	if (AC_LIKELY(!r))
		return;
	pending = NULL;
	unsigned long long ino = atomic_load(&r->ino);
	if (ino != AC_INO_ALL)
		atomic_compare_exchange_strong(&r->ino, &ino, 0);
}

/* Is process pid releasing socket ino right now? */
static bool board_releasing(long pid, unsigned long long ino)
{
	if (!board)
		return false;
	for (int i = 0; i < BOARD_SLOTS; i++) {
		if (atomic_load(&board[i].tgid) != pid)
			continue;
		unsigned long long b = atomic_load(&board[i].ino);
		if ((b == ino || b == AC_INO_ALL) && atomic_load(&board[i].start) == start_time(pid) &&
		    atomic_load(&board[i].pidino) == pidfd_ino(pid))
			return true; /* the same process, not a later one with its pid */
	}
	return false;
}

void ac_board_exiting(void)
{
	int saved = errno;
	board_publish(AC_INO_ALL);
	errno = saved;
}


static char *proc_path(char *buf, size_t size, long pid, const char *rest, long fd)
{
	char *p = buf, *end = buf + size - 1;
	p = ac_fmt_str(p, end, "/proc/");
	p = ac_fmt_ulong(p, end, (unsigned long)pid);
	p = ac_fmt_str(p, end, rest);
	if (fd >= 0)
		p = ac_fmt_ulong(p, end, (unsigned long)fd);
	*p = 0;
	return buf;
}

static bool link_is(int dirfd, const char *path, const char *want, size_t wantlen)
{
	char got[64];
	long n = ac_sys(SYS_readlinkat, dirfd, (long)path, (long)got, sizeof got, 0, 0);
	return n == (long)wantlen && memcmp(got, want, wantlen) == 0;
}

/* Does process pid have an fd on the socket named want ("socket:[ino]")?
 * Try the same fd number first (a forked child usually keeps it). */
static int pid_holds_raw(long pid, int fd, const char *want, size_t wantlen);

/* A holder that is itself releasing the socket right now does not count. */
static int pid_holds(long pid, int fd, const char *want, size_t wantlen, unsigned long long ino)
{
	int h = pid_holds_raw(pid, fd, want, wantlen);
	return h == HOLDS_YES && board_releasing(pid, ino) ? HOLDS_NO : h;
}

static int pid_holds_raw(long pid, int fd, const char *want, size_t wantlen)
{
	char path[64], buf[2048];
	if (link_is(AT_FDCWD, proc_path(path, sizeof path, pid, "/fd/", fd), want, wantlen))
		return HOLDS_YES;
	int dir = (int)ac_sys(SYS_openat, AT_FDCWD, (long)proc_path(path, sizeof path, pid, "/fd", -1),
			      O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, 0, 0);
	if (dir < 0)
		return errno == ENOENT || errno == ESRCH ? HOLDS_NO : HOLDS_UNKNOWN;
	int result = HOLDS_NO;
	for (;;) {
		long n = ac_sys(SYS_getdents64, dir, (long)buf, sizeof buf, 0, 0, 0);
		if (n < 0) {
			result = HOLDS_UNKNOWN;
			break;
		}
		if (n == 0)
			break;
		for (long off = 0; off < n && result == HOLDS_NO;) {
			struct linux_dirent64 *d = (void *)(buf + off);
			off += d->d_reclen;
			if (d->d_name[0] != '.' && link_is(dir, d->d_name, want, wantlen))
				result = HOLDS_YES;
		}
		if (result != HOLDS_NO)
			break;
	}
	ac_sys(SYS_close, dir, 0, 0, 0, 0, 0);
	return result;
}

/* Looks for the socket in each live child of process `parent` (all its
 * threads), as listed in /proc/PARENT/task/TID/children (CONFIG_PROC_CHILDREN),
 * this process excepted.  Returns the first holder's pid, 0 if none, -1 if a
 * list or a child could not be read. */
static long search_children(long parent, int fd, const char *want, size_t wantlen,
			    unsigned long long ino)
{
	char buf[2048], path[96];
	long self = ac_sys(SYS_getpid, 0, 0, 0, 0, 0, 0);
	int tasks = (int)ac_sys(SYS_openat, AT_FDCWD,
				(long)proc_path(path, sizeof path, parent, "/task", -1),
				O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, 0, 0);
	if (tasks < 0)
		return -1;
	long found = 0;
	bool unknown = false;
	for (;;) {
		long n = ac_sys(SYS_getdents64, tasks, (long)buf, sizeof buf, 0, 0, 0);
		if (n <= 0) {
			unknown |= n < 0;
			break;
		}
		for (long off = 0; off < n && !found; off += ((struct linux_dirent64 *)(buf + off))->d_reclen) {
			struct linux_dirent64 *d = (void *)(buf + off);
			if (d->d_name[0] == '.')
				continue;
			char *p = path, *end = path + sizeof path - 1;
			p = ac_fmt_str(p, end, d->d_name);
			p = ac_fmt_str(p, end, "/children");
			*p = 0;
			int cf = (int)ac_sys(SYS_openat, tasks, (long)path, O_RDONLY | O_CLOEXEC, 0, 0, 0);
			if (cf < 0) {
				unknown = true;
				continue;
			}
			/* "pid pid pid " - parsed across read boundaries. */
			char cbuf[512];
			long pid = 0, r;
			while (!found && (r = ac_sys(SYS_read, cf, (long)cbuf, sizeof cbuf, 0, 0, 0)) > 0) {
				for (long i = 0; i < r && !found; i++) {
					if (cbuf[i] >= '0' && cbuf[i] <= '9') {
						pid = pid * 10 + (cbuf[i] - '0');
						continue;
					}
					if (pid > 0 && pid != self) {
						int h = pid_holds(pid, fd, want, wantlen, ino);
						if (h == HOLDS_YES)
							found = pid;
						else if (h == HOLDS_UNKNOWN)
							unknown = true;
					}
					pid = 0;
				}
			}
			ac_sys(SYS_close, cf, 0, 0, 0, 0, 0);
		}
		if (found)
			break;
	}
	ac_sys(SYS_close, tasks, 0, 0, 0, 0, 0);
	return found ? found : unknown ? -1 : 0;
}

int ac_find_other_holder(int fd, ac_entry e)
{
	int saved = errno;
	struct stat st;
	long result = -1;
	if (fstat(fd, &st) != 0)
		goto out;

	char want[48], *p = want, *end = want + sizeof want - 1;
	p = ac_fmt_str(p, end, "socket:[");
	p = ac_fmt_ulong(p, end, (unsigned long)st.st_ino);
	p = ac_fmt_str(p, end, "]");
	size_t wantlen = (size_t)(p - want);
	/* Announce the release before looking: see the top of this file. */
	if (!board_publish(st.st_ino))
		goto out; /* no board, or full: cannot be sure -> -1 (disarm) */

	bool unknown = false;
	unsigned ep = ac_entry_epoch(e);
	unsigned cur = atomic_load_explicit(&ac_epoch, memory_order_relaxed);
	if (ep < cur || cur == AC_EPOCH_MAX) {
		long c = search_children(ac_sys(SYS_getpid, 0, 0, 0, 0, 0, 0), fd, want, wantlen, st.st_ino);
		if (c > 0) {
			result = c;
			goto out;
		}
		unknown |= c < 0;
	}
	if (ep < ac_birth_epoch || ac_birth_epoch == AC_EPOCH_MAX) {
		long ppid = ac_sys(SYS_getppid, 0, 0, 0, 0, 0, 0);
		int h = pid_holds(ppid, fd, want, wantlen, st.st_ino);
		if (h == HOLDS_YES) {
			result = ppid;
			goto out;
		}
		unknown |= h == HOLDS_UNKNOWN;
		/* Its other children (our siblings) got the socket at the same fork
		 * or a later one. */
		long c = search_children(ppid, fd, want, wantlen, st.st_ino);
		if (c > 0) {
			result = c;
			goto out;
		}
		unknown |= c < 0;
	}
	result = unknown ? -1 : 0;
out:
	errno = saved;
	return (int)result;
}
