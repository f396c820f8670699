/* real.c - finding the real implementations (see real.h). */
#include "real.h"
#include "export.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Set on this thread while dlsym runs: nested calls use raw system calls. */
static __thread int ac_resolving;

AC_HOT static void *resolve(void *_Atomic *slot, const char *name)
{
	void *p = atomic_load_explicit(slot, memory_order_acquire);
	if (AC_LIKELY(p != NULL) || ac_resolving)
		return p;
	int saved = errno;
	ac_resolving = 1;
	p = dlsym(RTLD_NEXT, name);
	ac_resolving = 0;
	AC_ERRNO_RESTORE(saved);
	atomic_store_explicit(slot, p, memory_order_release);
	return p;
}

AC_HOT long ac_sys(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
#if defined(__x86_64__)
	long ret;
	register long r10 __asm__("r10") = a4;
	register long r8 __asm__("r8") = a5;
	register long r9 __asm__("r9") = a6;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
#else
	return ac_real_syscall(nr, a1, a2, a3, a4, a5, a6);
#endif
}

AC_HOT int ac_fstat(int fd, struct stat *st)
{
	char empty[1] = {0};
	return (int)ac_sys(SYS_newfstatat, fd, (long)empty, (long)st, AT_EMPTY_PATH, 0, 0);
}

#define SLOT(name) static void *_Atomic slot_##name
SLOT(socket); SLOT(listen); SLOT(accept); SLOT(accept4); SLOT(connect);
SLOT(close); SLOT(shutdown); SLOT(setsockopt); SLOT(getsockopt);
SLOT(dup); SLOT(dup2); SLOT(dup3); SLOT(fcntl); SLOT(fcntl64); SLOT(fclose); SLOT(freopen); SLOT(freopen64);
SLOT(close_range); SLOT(closefrom); SLOT(syscall); SLOT(recvmsg); SLOT(recvmmsg);
SLOT(execve); SLOT(execvp); SLOT(execvpe); SLOT(fexecve); SLOT(execveat);
SLOT(_Fork); SLOT(fork); SLOT(sendmsg); SLOT(sendmmsg); SLOT(_exit); SLOT(quick_exit); SLOT(clone);
SLOT(posix_spawn); SLOT(posix_spawnp);
SLOT(wait); SLOT(waitpid); SLOT(wait3); SLOT(wait4); SLOT(waitid);
#undef SLOT
#define REAL(name, type) ((type)resolve(&slot_##name, #name))

typedef int (*socket_fn)(int, int, int);
typedef int (*int_int_fn)(int, int);
typedef int (*int_fn)(int);
typedef int (*accept_fn)(int, struct sockaddr *, socklen_t *);
typedef int (*accept4_fn)(int, struct sockaddr *, socklen_t *, int);
typedef int (*connect_fn)(int, const struct sockaddr *, socklen_t);
typedef int (*setsockopt_fn)(int, int, int, const void *, socklen_t);
typedef int (*getsockopt_fn)(int, int, int, void *, socklen_t *);
typedef int (*dup3_fn)(int, int, int);
typedef int (*fcntl_fn)(int, int, ...);
typedef int (*fclose_fn)(FILE *);
typedef FILE *(*freopen_fn)(const char *, const char *, FILE *);
typedef int (*close_range_fn)(unsigned, unsigned, int);
typedef void (*closefrom_fn)(int);
typedef long (*syscall_fn)(long, ...);
typedef ssize_t (*recvmsg_fn)(int, struct msghdr *, int);
typedef int (*recvmmsg_fn)(int, struct mmsghdr *, unsigned, int, struct timespec *);
typedef int (*execve_fn)(const char *, char *const[], char *const[]);
typedef int (*execvp_fn)(const char *, char *const[]);
typedef int (*fexecve_fn)(int, char *const[], char *const[]);
typedef int (*execveat_fn)(int, const char *, char *const[], char *const[], int);
typedef pid_t (*fork_fn)(void);
typedef void (*exit_fn)(int);

/* Syscall-like functions: fall back to the raw system call while resolving. */
#define CALL_OR_SYS(name, type, nr, ...)                                   \
	do {                                                               \
		type f_ = REAL(name, type);                                \
		return f_ ? f_(__VA_ARGS__) : (int)ac_sys(nr, ARGS6(__VA_ARGS__)); \
	} while (0)
#define ARGS6(...) ARGS6_(__VA_ARGS__, 0, 0, 0, 0, 0, 0)
#define ARGS6_(a, b, c, d, e, f, ...) (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f)

int ac_real_socket(int d, int t, int p) { CALL_OR_SYS(socket, socket_fn, SYS_socket, d, t, p); }
int ac_real_listen(int fd, int b) { CALL_OR_SYS(listen, int_int_fn, SYS_listen, fd, b); }
AC_HOT int ac_real_accept(int fd, struct sockaddr *a, socklen_t *l) { CALL_OR_SYS(accept, accept_fn, SYS_accept, fd, a, l); }
AC_HOT int ac_real_accept4(int fd, struct sockaddr *a, socklen_t *l, int f) { CALL_OR_SYS(accept4, accept4_fn, SYS_accept4, fd, a, l, f); }
int ac_real_connect(int fd, const struct sockaddr *a, socklen_t l) { CALL_OR_SYS(connect, connect_fn, SYS_connect, fd, a, l); }
AC_HOT int ac_real_close(int fd) { CALL_OR_SYS(close, int_fn, SYS_close, fd); }
int ac_real_shutdown(int fd, int how) { CALL_OR_SYS(shutdown, int_int_fn, SYS_shutdown, fd, how); }
/* When the next setsockopt is libc's own (no other preloaded library in
 * between, such as cwrap's socket_wrapper), the system call itself: glibc's
 * setsockopt is nothing more (sysdeps/unix/sysv/linux/setsockopt.c), and its
 * text page is one a freshly forked child has not mapped yet - a page fault
 * in the child's first disarm. */
static bool setsockopt_is_libc;

AC_HOT int ac_real_setsockopt(int fd, int lv, int n, const void *v, socklen_t l)
{
	if (AC_LIKELY(setsockopt_is_libc))
		return (int)ac_sys(SYS_setsockopt, fd, lv, n, (long)v, l, 0);
	CALL_OR_SYS(setsockopt, setsockopt_fn, SYS_setsockopt, fd, lv, n, v, l);
}
int ac_real_getsockopt(int fd, int lv, int n, void *v, socklen_t *l) { CALL_OR_SYS(getsockopt, getsockopt_fn, SYS_getsockopt, fd, lv, n, v, l); }
int ac_real_dup(int fd) { CALL_OR_SYS(dup, int_fn, SYS_dup, fd); }
int ac_real_dup2(int fd, int fd2)
{
	int_int_fn f = REAL(dup2, int_int_fn);
	if (f)
		return f(fd, fd2);
	if (fd == fd2) /* dup3 rejects equal fds; dup2 checks validity instead */
		return (int)ac_sys(SYS_fcntl, fd, F_GETFD, 0, 0, 0, 0) < 0 ? -1 : fd2;
	return (int)ac_sys(SYS_dup3, fd, fd2, 0, 0, 0, 0);
}
int ac_real_dup3(int fd, int fd2, int fl) { CALL_OR_SYS(dup3, dup3_fn, SYS_dup3, fd, fd2, fl); }
int ac_real_fcntl(int fd, int cmd, void *arg) { CALL_OR_SYS(fcntl, fcntl_fn, SYS_fcntl, fd, cmd, arg); }
int ac_real_fcntl64(int fd, int cmd, void *arg) { CALL_OR_SYS(fcntl64, fcntl_fn, SYS_fcntl, fd, cmd, arg); }
int ac_real_close_range(unsigned a, unsigned b, int f) { CALL_OR_SYS(close_range, close_range_fn, SYS_close_range, a, b, f); }
ssize_t ac_real_recvmsg(int fd, struct msghdr *m, int f) { CALL_OR_SYS(recvmsg, recvmsg_fn, SYS_recvmsg, fd, m, f); }
int ac_real_recvmmsg(int fd, struct mmsghdr *v, unsigned n, int f, struct timespec *t) { CALL_OR_SYS(recvmmsg, recvmmsg_fn, SYS_recvmmsg, fd, v, n, f, t); }
int ac_real_execve(const char *p, char *const a[], char *const e[]) { CALL_OR_SYS(execve, execve_fn, SYS_execve, p, a, e); }
int ac_real_execveat(int d, const char *p, char *const a[], char *const e[], int f) { CALL_OR_SYS(execveat, execveat_fn, SYS_execveat, d, p, a, e, f); }

/* Library functions with no single system call behind them. */
int ac_real_fclose(FILE *fp) { return REAL(fclose, fclose_fn)(fp); }
FILE *ac_real_freopen(const char *p, const char *m, FILE *fp) { return REAL(freopen, freopen_fn)(p, m, fp); }
FILE *ac_real_freopen64(const char *p, const char *m, FILE *fp) { return REAL(freopen64, freopen_fn)(p, m, fp); }
void ac_real_closefrom(int lowfd) { REAL(closefrom, closefrom_fn)(lowfd); }
int ac_real_execvp(const char *f, char *const a[]) { return REAL(execvp, execvp_fn)(f, a); }
int ac_real_execvpe(const char *f, char *const a[], char *const e[]) { return REAL(execvpe, execve_fn)(f, a, e); }
int ac_real_fexecve(int fd, char *const a[], char *const e[]) { return REAL(fexecve, fexecve_fn)(fd, a, e); }
pid_t ac_real__Fork(void) { return REAL(_Fork, fork_fn)(); }
AC_HOT pid_t ac_real_fork(void) { return REAL(fork, fork_fn)(); }
/* The wait family: the raw wait4/waitid while dlsym runs (all of them are
 * system calls in glibc; waitid's fifth argument, the rusage, may be 0). */
typedef pid_t (*wait_fn)(int *);
typedef pid_t (*waitpid_fn)(pid_t, int *, int);
typedef pid_t (*wait3_fn)(int *, int, struct rusage *);
typedef pid_t (*wait4_fn)(pid_t, int *, int, struct rusage *);
typedef int (*waitid_fn)(idtype_t, id_t, siginfo_t *, int);
pid_t ac_real_wait(int *st)
{
	wait_fn f = REAL(wait, wait_fn);
	return f ? f(st) : (pid_t)ac_sys(SYS_wait4, -1, (long)st, 0, 0, 0, 0);
}
pid_t ac_real_waitpid(pid_t p, int *st, int o)
{
	waitpid_fn f = REAL(waitpid, waitpid_fn);
	return f ? f(p, st, o) : (pid_t)ac_sys(SYS_wait4, p, (long)st, o, 0, 0, 0);
}
pid_t ac_real_wait3(int *st, int o, struct rusage *ru)
{
	wait3_fn f = REAL(wait3, wait3_fn);
	return f ? f(st, o, ru) : (pid_t)ac_sys(SYS_wait4, -1, (long)st, o, (long)ru, 0, 0);
}
pid_t ac_real_wait4(pid_t p, int *st, int o, struct rusage *ru) { CALL_OR_SYS(wait4, wait4_fn, SYS_wait4, p, st, o, ru); }
int ac_real_waitid(idtype_t t, id_t id, siginfo_t *si, int o) { CALL_OR_SYS(waitid, waitid_fn, SYS_waitid, t, id, si, o); }

typedef ssize_t (*sendmsg_fn)(int, const struct msghdr *, int);
typedef int (*sendmmsg_fn)(int, struct mmsghdr *, unsigned, int);
ssize_t ac_real_sendmsg(int fd, const struct msghdr *m, int f) { CALL_OR_SYS(sendmsg, sendmsg_fn, SYS_sendmsg, fd, m, f); }
int ac_real_sendmmsg(int fd, struct mmsghdr *v, unsigned n, int f) { CALL_OR_SYS(sendmmsg, sendmmsg_fn, SYS_sendmmsg, fd, v, n, f); }
long ac_real_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	return REAL(syscall, syscall_fn)(nr, a1, a2, a3, a4, a5, a6);
}
AC_HOT void ac_real__exit(int status)
{
	exit_fn f = REAL(_exit, exit_fn);
	if (f)
		f(status);
	for (;;)
		ac_sys(SYS_exit_group, status, 0, 0, 0, 0, 0);
}

typedef int (*spawn_fn)(pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *,
			char *const[], char *const[]);
int ac_real_posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
			const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	return REAL(posix_spawn, spawn_fn)(pid, path, fa, attr, argv, envp);
}
int ac_real_posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
			 const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	return REAL(posix_spawnp, spawn_fn)(pid, file, fa, attr, argv, envp);
}

typedef int (*clone_fn)(int (*)(void *), void *, int, void *, ...);
int ac_real_clone(int (*fn)(void *), void *stack, int flags, void *arg, pid_t *ptid, void *tls, pid_t *ctid)
{
	return REAL(clone, clone_fn)(fn, stack, flags, arg, ptid, tls, ctid);
}

void ac_real_quick_exit(int status)
{
	REAL(quick_exit, exit_fn)(status);
	ac_real__exit(status);
}

void ac_real_resolve_all(void)
{
	static const struct { void *_Atomic *slot; const char *name; } all[] = {
		{&slot_socket, "socket"}, {&slot_listen, "listen"}, {&slot_accept, "accept"},
		{&slot_accept4, "accept4"}, {&slot_connect, "connect"}, {&slot_close, "close"},
		{&slot_shutdown, "shutdown"}, {&slot_setsockopt, "setsockopt"},
		{&slot_getsockopt, "getsockopt"}, {&slot_dup, "dup"}, {&slot_dup2, "dup2"},
		{&slot_dup3, "dup3"}, {&slot_fcntl, "fcntl"}, {&slot_fcntl64, "fcntl64"},
		{&slot_fclose, "fclose"}, {&slot_freopen, "freopen"}, {&slot_freopen64, "freopen64"}, {&slot_close_range, "close_range"},
		{&slot_closefrom, "closefrom"}, {&slot_syscall, "syscall"},
		{&slot_recvmsg, "recvmsg"}, {&slot_recvmmsg, "recvmmsg"}, {&slot_execve, "execve"},
		{&slot_execvp, "execvp"}, {&slot_execvpe, "execvpe"}, {&slot_fexecve, "fexecve"},
		{&slot_execveat, "execveat"}, {&slot__Fork, "_Fork"}, {&slot_fork, "fork"},
		{&slot_sendmsg, "sendmsg"}, {&slot_sendmmsg, "sendmmsg"},
		{&slot__exit, "_exit"}, {&slot_quick_exit, "quick_exit"}, {&slot_clone, "clone"},
		{&slot_wait, "wait"}, {&slot_waitpid, "waitpid"}, {&slot_wait3, "wait3"}, {&slot_wait4, "wait4"},
		{&slot_waitid, "waitid"},
	};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		resolve(all[i].slot, all[i].name);
	/* libc's: the same object as getpid, which nothing of ours wraps. */
	Dl_info a, b;
	void *next = atomic_load(&slot_setsockopt);
	setsockopt_is_libc = next && dladdr(next, &a) && dladdr((void *)&getpid, &b) && a.dli_fbase == b.dli_fbase;
}
