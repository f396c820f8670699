/* close.h - the purposeful ends shared by close(), fclose(), close_range(),
 * closefrom(), dup2() and syscall(). */
#ifndef ABORTCLOSE_CLOSE_H
#define ABORTCLOSE_CLOSE_H

#include <stdbool.h>

/* fd is about to be closed on purpose: forget it and, if it is the last
 * holder of an armed socket, disarm it.  errno is preserved. */
void ac_close_prepare(int fd, const char *why);

/* The same for every fd in [first, last]. */
void ac_close_range_prepare(unsigned first, unsigned last, const char *why);

/* close_range flags that only close a private copy of a shared fd table. */
bool ac_close_range_unshared_only(int flags);

/* shutdown(fd, how), calling real_shutdown for the system call itself. */
int ac_shutdown(int fd, int how, int (*real_shutdown)(int, int));

#endif
