/* close.h - the purposeful ends shared by close(), fclose(), close_range(),
 * closefrom(), dup2() and syscall(). */
#ifndef ABORTCLOSE_CLOSE_H
#define ABORTCLOSE_CLOSE_H

#include "state.h"

#include <stdbool.h>
#include <stdint.h>

/* What a close still has to look at once the kernel has closed the fds:
 * the armed sockets it left to another fd of this process (aliases), and
 * the fork epoch word from before it took their entries (fork_window.c). */
#define AC_CLOSING_MAX 4
struct ac_closing {
	ac_epoch before;
	unsigned n;                   /* such sockets; above AC_CLOSING_MAX: */
	uint32_t ino[AC_CLOSING_MAX]; /* their inodes (AC_INO_UNKNOWN: any) */
};

/* fd is about to be closed on purpose: forget it and, if it is the last
 * holder of an armed socket, disarm it.  errno is preserved.  c is filled
 * for ac_close_done. */
void ac_close_prepare(int fd, const char *why, struct ac_closing *c);

/* The same for every fd in [first, last]. */
void ac_close_range_prepare(unsigned first, unsigned last, const char *why, struct ac_closing *c);

/* Stamp an ac_closing (n already 0) before any entry is taken. */
static inline void ac_closing_begin(struct ac_closing *c)
{
	c->before = ac_epoch_raw();
}

/* Remember a socket an alias kept armed (ac_release's result). */
static inline void ac_closing_add(struct ac_closing *c, uint32_t ino)
{
	if (!ino)
		return;
	if (c->n < AC_CLOSING_MAX)
		c->ino[c->n] = ino;
	c->n++;
}

/* After the real close.  A fork that copied the fd table before our close
 * (dup_fd() and close_fd() take the same files->file_lock, fs/file.c, so its
 * in-progress count, raised before it, is seen here) gives its child the
 * fd; its memory is copied later, when another thread may have given the
 * freed number to a new fd and its entry.  That child may then hold the
 * socket with no entry for it, and could not disarm it (fork_window.c).
 * One relaxed load when an alias kept a socket, none otherwise. */
void ac_closed_during_fork(const struct ac_closing *c);
static inline void ac_close_done(const struct ac_closing *c)
{
	if (AC_LIKELY(!c->n))
		return;
	ac_epoch now = ac_epoch_raw();
	if (AC_LIKELY(now == c->before && now < AC_FORKING_ONE))
		return;
	ac_closed_during_fork(c);
}

/* close_range flags that only close a private copy of a shared fd table. */
bool ac_close_range_unshared_only(int flags);

/* shutdown(fd, how), calling real_shutdown for the system call itself. */
int ac_shutdown(int fd, int how, int (*real_shutdown)(int, int));

#endif
