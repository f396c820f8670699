/* identity.h - is process PID still the one the ledger describes?
 *
 * A pid names a process only while it lives: after it is reaped the number
 * may be given to another process.  Before the library trusts what the
 * ledger says of a process whose fd table it cannot read, it makes sure the
 * process is alive AND is the same one:
 *   - our parent: getppid() (a dead parent's children are re-parented, so
 *     getppid() can only equal its pid while it lives);
 *   - our own child: waitid(P_PID, WNOHANG|WNOWAIT|WEXITED) - an unreaped
 *     child keeps its pid, a reaped one gives ECHILD; nothing is consumed;
 *   - anyone else: kill(pid, 0) (ESRCH = gone) and the start time of
 *     /proc/PID/stat (field 22), which is readable even for non-dumpable
 *     processes, compared with the start time in the ledger (the interval
 *     of the fork that made it, noted by its parent; a pid is only given
 *     again after the pid counter wraps, never within one tick in practice).
 * pidfd_open is never used (seccomp sandboxes such as sshd's kill on it). */
#ifndef ABORTCLOSE_IDENTITY_H
#define ABORTCLOSE_IDENTITY_H

#include <stddef.h>

enum ac_alive { AC_DEAD = 0, AC_ALIVE = 1, AC_ALIVE_UNKNOWN = -1 };

/* /proc/PID/stat into buf (NUL-terminated): its length, 0 if unreadable. */
long ac_id_read_stat(long pid, char *buf, size_t size);

/* Start time of process pid in clock ticks since boot, 0 if unreadable. */
unsigned long long ac_id_start_time(long pid);

/* Now, in the unit of that start time (CLOCK_BOOTTIME, which the kernel
 * also uses for a task's start_boottime, in USER_HZ ticks; vDSO, no system
 * call).  A parent notes it before and after fork: the child's start time
 * lies in between, with no /proc read in the child. */
unsigned long long ac_id_now_ticks(void);

/* Is pid, which started within [start, start_hi] (0: unknown), alive and
 * the same process? */
enum ac_alive ac_id_alive(long pid, unsigned long long start, unsigned long long start_hi);

#endif
