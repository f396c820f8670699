/* real.h - the functions we interpose, as libc (or the next preloaded library)
 * implements them.
 *
 * Each is found once with dlsym(RTLD_NEXT, ...), lazily on first use, so the
 * wrappers also work when another library's constructor calls them before
 * ours has run.  While dlsym itself is running on this thread (it may call
 * malloc, and a malloc may call close) the syscall-like ones fall back to the
 * raw system call. */
#ifndef ABORTCLOSE_REAL_H
#define ABORTCLOSE_REAL_H

#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>

int ac_real_socket(int domain, int type, int protocol);
int ac_real_listen(int fd, int backlog);
int ac_real_accept(int fd, struct sockaddr *addr, socklen_t *len);
int ac_real_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);
int ac_real_connect(int fd, const struct sockaddr *addr, socklen_t len);
int ac_real_close(int fd);
int ac_real_shutdown(int fd, int how);
int ac_real_setsockopt(int fd, int level, int name, const void *val, socklen_t len);
int ac_real_getsockopt(int fd, int level, int name, void *val, socklen_t *len);
int ac_real_dup(int fd);
int ac_real_dup2(int fd, int fd2);
int ac_real_dup3(int fd, int fd2, int flags);
int ac_real_fcntl(int fd, int cmd, void *arg);
int ac_real_fcntl64(int fd, int cmd, void *arg);
int ac_real_fclose(FILE *fp);
FILE *ac_real_freopen(const char *path, const char *mode, FILE *fp);
FILE *ac_real_freopen64(const char *path, const char *mode, FILE *fp);
int ac_real_close_range(unsigned first, unsigned last, int flags);
void ac_real_closefrom(int lowfd);
long ac_real_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6);
ssize_t ac_real_recvmsg(int fd, struct msghdr *msg, int flags);
int ac_real_recvmmsg(int fd, struct mmsghdr *vec, unsigned vlen, int flags, struct timespec *tmo);
int ac_real_execve(const char *path, char *const argv[], char *const envp[]);
int ac_real_execvp(const char *file, char *const argv[]);
int ac_real_execvpe(const char *file, char *const argv[], char *const envp[]);
int ac_real_fexecve(int fd, char *const argv[], char *const envp[]);
int ac_real_execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags);
int ac_real_clone(int (*fn)(void *), void *stack, int flags, void *arg, pid_t *ptid, void *tls, pid_t *ctid);
pid_t ac_real__Fork(void);
#include <spawn.h>
int ac_real_posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
			const posix_spawnattr_t *attr, char *const argv[], char *const envp[]);
int ac_real_posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
			 const posix_spawnattr_t *attr, char *const argv[], char *const envp[]);
pid_t ac_real_fork(void);
ssize_t ac_real_sendmsg(int fd, const struct msghdr *msg, int flags);
int ac_real_sendmmsg(int fd, struct mmsghdr *vec, unsigned vlen, int flags);
__attribute__((noreturn)) void ac_real__exit(int status);
#include <sys/wait.h>
pid_t ac_real_wait(int *status);
pid_t ac_real_waitpid(pid_t pid, int *status, int options);
pid_t ac_real_wait3(int *status, int options, struct rusage *ru);
pid_t ac_real_wait4(pid_t pid, int *status, int options, struct rusage *ru);
int ac_real_waitid(idtype_t type, id_t id, siginfo_t *info, int options);
__attribute__((noreturn)) void ac_real_quick_exit(int status);

/* A system call that never goes through libc's wrappers or ours; returns the
 * result or -1 with errno set. */
long ac_sys(long nr, long a1, long a2, long a3, long a4, long a5, long a6);

/* fstat(fd), as glibc makes it (newfstatat(fd, "", st, AT_EMPTY_PATH)), but
 * with the empty path on our stack: glibc's "" is in a page of its rodata
 * that a freshly forked child has not mapped yet, and the kernel's read of
 * it costs that child a page fault in its first close. */
struct stat;
int ac_fstat(int fd, struct stat *st);

/* Resolve every symbol now (called from the constructor). */
void ac_real_resolve_all(void);

#endif
