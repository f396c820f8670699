/* keepalive.h - ABORTCLOSE_KEEPALIVE / ABORTCLOSE_USER_TIMEOUT on managed
 * connections, and the program's own view of those options (keepalive.c). */
#ifndef ABORTCLOSE_KEEPALIVE_H
#define ABORTCLOSE_KEEPALIVE_H

#include <stdbool.h>
#include <sys/socket.h>

/* Constructor: when the policy sets either option, map the per-fd view
 * table and read the kernel's defaults once.  Otherwise nothing at all. */
void ac_keepalive_init(void);

/* A managed socket before listen() or connect(): set the policy's options.
 * On a listener they are copied into every connection whose handshake
 * completes afterwards, so accept() costs nothing (see keepalive.c). */
void ac_keepalive_apply(int fd);

/* A managed socket the library did not see made (inherited, received): the
 * same, except that an option already on is left as it is. */
void ac_keepalive_adopt(int fd);

/* fd holds a new socket (socket(), never-seen fd, skipped adoption): forget
 * any view left from an earlier socket with this number.  Memory only. */
void ac_keepalive_forget(int fd);

/* fd is a connection accepted from lfd (the kernel copied lfd's options
 * into it), or a dup of lfd: it shares lfd's view.  Memory only. */
void ac_keepalive_copy(int lfd, int fd);

/* The program's own setsockopt() succeeded: if it set one of our options,
 * its value is now the kernel's (on fd and the fds dup'd from it). */
void ac_keepalive_program_set(int fd, int level, int name);

/* The program's own getsockopt() succeeded: an option the library set and
 * the program did not is shown as the kernel would without the library. */
void ac_keepalive_program_get(int fd, int level, int name, void *val, const socklen_t *len);

#endif
