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
 *     processes, compared with the start time the process wrote into the
 *     ledger itself.
 * pidfd_open is never used (seccomp sandboxes such as sshd's kill on it). */
#ifndef ABORTCLOSE_IDENTITY_H
#define ABORTCLOSE_IDENTITY_H

enum ac_alive { AC_DEAD = 0, AC_ALIVE = 1, AC_ALIVE_UNKNOWN = -1 };

/* Start time of process pid in clock ticks since boot, 0 if unreadable. */
unsigned long long ac_id_start_time(long pid);

/* Is pid, which started at start (0: unknown), alive and the same process? */
enum ac_alive ac_id_alive(long pid, unsigned long long start);

#endif
