/* procfd.c - see procfd.h.  Raw system calls on stack buffers only: no
 * malloc, no lock, no stdio (the close path, exit handlers). */
#include "export.h"
#include "procfd.h"
#include "fmt.h"
#include "real.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>

struct linux_dirent64 {
	unsigned long long d_ino;
	long long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* want = "socket:[INODE]", as /proc/PID/fd/N reads. */
static size_t link_target(char want[48], unsigned long ino)
{
	char *p = want, *end = want + 47;
	p = ac_fmt_str(p, end, "socket:[");
	p = ac_fmt_ulong(p, end, ino);
	p = ac_fmt_str(p, end, "]");
	*p = 0;
	return (size_t)(p - want);
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

/* Is /proc there at all?  (A chroot without it gives ENOENT for every pid.) */
static bool proc_mounted(void)
{
	int fd = (int)ac_sys(SYS_openat, AT_FDCWD, (long)"/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, 0, 0);
	if (fd < 0)
		return false;
	ac_sys(SYS_close, fd, 0, 0, 0, 0, 0);
	return true;
}

/* kcmp(KCMP_FILE): is fd of pid the same open file as our fd?  One system
 * call, no path walk (kernel/kcmp.c; same PTRACE_MODE_READ check as /proc).
 * A socket has exactly one struct file (sock_alloc_file), shared by fork,
 * dup and SCM_RIGHTS: same file = same socket.  -1 when it cannot tell
 * (no kcmp, a seccomp filter, EPERM): then /proc answers. */
AC_HOT int ac_procfd_same_fd(long my_pid, long pid, int fd)
{
#ifdef SYS_kcmp
	static _Atomic int broken;
	if (atomic_load_explicit(&broken, memory_order_relaxed))
		return -1;
	long r = ac_sys(SYS_kcmp, my_pid, pid, 0 /* KCMP_FILE */, fd, fd, 0);
	if (r == 0)
		return 1;
	if (r > 0 || errno == EBADF)
		return 0; /* not the same file, or no such fd there */
	if (errno == ENOSYS)
		atomic_store_explicit(&broken, 1, memory_order_relaxed);
#else
	(void)my_pid;
	(void)pid;
	(void)fd;
#endif
	return -1;
}

/* The fd table of pid through /proc.  Apart from the common case (kcmp)
 * so that the buffers' stack frame is only made when it is needed: a frame
 * reaching into a page the close path does not otherwise touch costs a
 * copy-on-write fault right after a fork. */
static __attribute__((noinline)) enum ac_proc_answer scan_fd_table(long pid, int fd, unsigned long ino,
								   const char **why)
{
	char path[64], buf[2048], want[48];
	size_t wantlen = link_target(want, ino);
	if (fd >= 0 && link_is(AT_FDCWD, proc_path(path, sizeof path, pid, "/fd/", fd), want, wantlen))
		return AC_PROC_YES;
	int dir = (int)ac_sys(SYS_openat, AT_FDCWD, (long)proc_path(path, sizeof path, pid, "/fd", -1),
			      O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, 0, 0);
	if (dir < 0) {
		if (errno == ESRCH)
			return AC_PROC_NO;
		if (errno == ENOENT) {
			if (proc_mounted())
				return AC_PROC_NO; /* no such process */
			*why = "no-proc";
			return AC_PROC_UNREADABLE;
		}
		*why = "fd-table-unreadable";
		return AC_PROC_UNREADABLE;
	}
	enum ac_proc_answer result = AC_PROC_NO;
	for (;;) {
		long n = ac_sys(SYS_getdents64, dir, (long)buf, sizeof buf, 0, 0, 0);
		if (n < 0) {
			/* A process that exits while we read: ENOENT/ESRCH. */
			if (errno != ENOENT && errno != ESRCH) {
				*why = "fd-table-unreadable";
				result = AC_PROC_UNREADABLE;
			}
			break;
		}
		if (n == 0)
			break;
		for (long off = 0; off < n && result == AC_PROC_NO;) {
			struct linux_dirent64 *d = (void *)(buf + off);
			off += d->d_reclen;
			if (d->d_name[0] != '.' && link_is(dir, d->d_name, want, wantlen))
				result = AC_PROC_YES;
		}
		if (result != AC_PROC_NO)
			break;
	}
	ac_sys(SYS_close, dir, 0, 0, 0, 0, 0);
	return result;
}

/* ino of a "socket:[INODE]" link target of n bytes, 0 if it is not one. */
static unsigned long socket_ino(const char *t, long n)
{
	if (n < 10 || memcmp(t, "socket:[", 8) != 0 || t[n - 1] != ']')
		return 0;
	unsigned long ino = 0;
	for (long i = 8; i < n - 1; i++) {
		if (t[i] < '0' || t[i] > '9')
			return 0;
		ino = ino * 10 + (unsigned long)(t[i] - '0');
	}
	return ino;
}

int ac_procfd_each_socket(long pid, int (*visit)(int fd, unsigned long ino, void *ctx), void *ctx,
			  const char **why)
{
	char path[64], buf[2048];
	int dir = (int)ac_sys(SYS_openat, AT_FDCWD, (long)proc_path(path, sizeof path, pid, "/fd", -1),
			      O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, 0, 0);
	if (dir < 0) {
		if (errno == ESRCH || (errno == ENOENT && proc_mounted()))
			return 0; /* no such process (any more) */
		*why = errno == ENOENT ? "no-proc" : "fd-table-unreadable";
		return AC_PROC_UNREADABLE;
	}
	int r = 0;
	for (;;) {
		long n = ac_sys(SYS_getdents64, dir, (long)buf, sizeof buf, 0, 0, 0);
		if (n < 0 && errno != ENOENT && errno != ESRCH) {
			*why = "fd-table-unreadable";
			r = AC_PROC_UNREADABLE;
		}
		if (n <= 0)
			break;
		for (long off = 0; off < n && !r;) {
			struct linux_dirent64 *d = (void *)(buf + off);
			off += d->d_reclen;
			char got[64];
			long len;
			if (d->d_name[0] == '.' ||
			    (len = ac_sys(SYS_readlinkat, dir, (long)d->d_name, (long)got, sizeof got, 0, 0)) <= 0)
				continue;
			unsigned long ino = socket_ino(got, len);
			int fd = 0;
			for (const char *c = d->d_name; *c >= '0' && *c <= '9'; c++)
				fd = fd * 10 + (*c - '0');
			if (ino)
				r = visit(fd, ino, ctx);
		}
		if (r)
			break;
	}
	ac_sys(SYS_close, dir, 0, 0, 0, 0, 0);
	return r;
}

AC_HOT enum ac_proc_answer ac_procfd_holds(long my_pid, long pid, int fd, unsigned long ino, const char **why)
{
	if (fd >= 0 && ac_procfd_same_fd(my_pid, pid, fd) == 1)
		return AC_PROC_YES;
	return scan_fd_table(pid, fd, ino, why);
}

enum ac_proc_answer ac_procfd_holds_at(long my_pid, long pid, int fd, unsigned long ino)
{
	int same = ac_procfd_same_fd(my_pid, pid, fd);
	if (same >= 0)
		return same ? AC_PROC_YES : AC_PROC_NO;
	char path[64], want[48];
	size_t wantlen = link_target(want, ino);
	char got[64];
	long n = ac_sys(SYS_readlinkat, AT_FDCWD, (long)proc_path(path, sizeof path, pid, "/fd/", fd), (long)got,
			sizeof got, 0, 0);
	if (n < 0)
		return errno == ENOENT || errno == ESRCH ? AC_PROC_NO : AC_PROC_UNREADABLE;
	return n == (long)wantlen && memcmp(got, want, wantlen) == 0 ? AC_PROC_YES : AC_PROC_NO;
}

int ac_procfd_each_child(long parent, int (*visit)(long pid, void *ctx), void *ctx)
{
	char buf[2048], path[96];
	int tasks = (int)ac_sys(SYS_openat, AT_FDCWD, (long)proc_path(path, sizeof path, parent, "/task", -1),
				O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, 0, 0);
	if (tasks < 0)
		return -1;
	int r = 0;
	bool unknown = false;
	for (;;) {
		long n = ac_sys(SYS_getdents64, tasks, (long)buf, sizeof buf, 0, 0, 0);
		if (n <= 0) {
			unknown |= n < 0;
			break;
		}
		for (long off = 0; off < n && !r; off += ((struct linux_dirent64 *)(buf + off))->d_reclen) {
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
			long pid = 0, got;
			while (!r && (got = ac_sys(SYS_read, cf, (long)cbuf, sizeof cbuf, 0, 0, 0)) > 0) {
				for (long i = 0; i < got && !r; i++) {
					if (cbuf[i] >= '0' && cbuf[i] <= '9') {
						pid = pid * 10 + (cbuf[i] - '0');
						continue;
					}
					if (pid > 0)
						r = visit(pid, ctx);
					pid = 0;
				}
			}
			ac_sys(SYS_close, cf, 0, 0, 0, 0, 0);
		}
		if (r)
			break;
	}
	ac_sys(SYS_close, tasks, 0, 0, 0, 0, 0);
	return r ? r : unknown ? -1 : 0;
}
