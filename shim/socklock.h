/* socklock.h - one-byte POSIX record locks on a socket, the library's two
 * uses of them: byte 0 is tie.c's turn (a write lock while a release of a
 * socket shared with another fork tree decides), byte 1 is mark.c's holder
 * mark (a read lock while a process holds a socket it received).  POSIX
 * locks belong to the process and the kernel drops them at its first close
 * of any fd of the socket (fs/open.c filp_close -> locks_remove_posix). */
#ifndef ABORTCLOSE_SOCKLOCK_H
#define ABORTCLOSE_SOCKLOCK_H

#include "real.h"

#include <fcntl.h>
#include <sys/syscall.h>

#define AC_TURN_BYTE 0
#define AC_MARK_BYTE 1

/* fcntl(fd, cmd, l) on byte of the socket, l set to a lock of type: the
 * system call's result (-1 with errno).  F_GETLK leaves the answer in *l. */
static inline long ac_socklock(int fd, int cmd, short type, int byte, struct flock *l)
{
	*l = (struct flock){.l_type = type, .l_whence = SEEK_SET, .l_start = byte, .l_len = 1};
	return ac_sys(SYS_fcntl, fd, cmd, (long)l, 0, 0, 0);
}

#endif
