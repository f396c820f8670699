/* procfd.h - asking the kernel which process holds a socket, through /proc.
 *
 * /proc/PID/fd/N is a symbolic link whose target names the open file; for a
 * socket it is "socket:[INODE]" (fs/proc/fd.c, net/socket.c sockfs_dname).
 * Reading it needs PTRACE_MODE_READ_FSCREDS on the process: a non-dumpable
 * process (one that changed its credentials, e.g. setuid() from root;
 * kernel/sys.c commit_creds -> set_dumpable(suid_dumpable)) denies it to
 * every process without CAP_SYS_PTRACE, its own children included (EACCES),
 * and a chroot without /proc has no such file at all (ENOENT).  Both come
 * back as AC_PROC_UNREADABLE, told apart by *why. */
#ifndef ABORTCLOSE_PROCFD_H
#define ABORTCLOSE_PROCFD_H

#include <stdbool.h>
#include <stddef.h>

enum ac_proc_answer { AC_PROC_NO = 0, AC_PROC_YES = 1, AC_PROC_UNREADABLE = -1 };

/* Does process pid have an fd on socket inode ino (our fd; my_pid: ours)?  The same fd number first (a forked
 * child keeps it), then every fd of the process: O(1) when the number
 * matches, O(fds of pid) otherwise.  A process that does not exist (any
 * more) holds nothing: AC_PROC_NO.  *why: "fd-table-unreadable" (EACCES,
 * EPERM), "no-proc" (no /proc mounted), set only for AC_PROC_UNREADABLE. */
enum ac_proc_answer ac_procfd_holds(long my_pid, long pid, int fd, unsigned long ino, const char **why);

/* Is fd of process pid the same open file as our fd (kcmp)?  1 yes, 0 no
 * (or no such fd), -1 the kernel cannot tell (no kcmp, seccomp, EPERM).  One
 * system call on a small frame (the parent's close right after a fork). */
int ac_procfd_same_fd(long my_pid, long pid, int fd);

/* Does process pid hold our fd at the same number (kcmp; else the link
 * /proc/PID/fd/N against socket inode ino)?  O(1). */
enum ac_proc_answer ac_procfd_holds_at(long my_pid, long pid, int fd, unsigned long ino);

/* Calls visit(child pid, ctx) for each live child of process parent (all its
 * threads; /proc/PID/task/TID/children, CONFIG_PROC_CHILDREN) until visit
 * returns non-zero; returns that value, 0 at the end, -1 if a list could not
 * be read.  O(threads + children): the fallback when the ledger cannot list
 * the children. */
int ac_procfd_each_child(long parent, int (*visit)(long pid, void *ctx), void *ctx);

/* Calls visit(fd, socket inode, ctx) for each socket among the fds of process
 * pid until visit returns non-zero (then returns that value); 0 at the end
 * (a process that is gone has none), AC_PROC_UNREADABLE with *why as
 * above.  O(fds of pid). */
int ac_procfd_each_socket(long pid, int (*visit)(int fd, unsigned long ino, void *ctx), void *ctx,
			  const char **why);

#endif
