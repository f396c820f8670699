/* log.h - async-signal-safe logging and the exit statistics.
 *
 * Lines are formatted by hand into a stack buffer and written with one
 * write(2): no stdio, no malloc, no lock, because they are written from the
 * close path, from exit handlers and possibly from signal handlers. */
#ifndef ABORTCLOSE_LOG_H
#define ABORTCLOSE_LOG_H

#include <stdatomic.h>
#include <stdbool.h>

#include <sys/socket.h>

#include "policy.h"
#include "fmt.h"

struct ac_stats {
	_Atomic unsigned long armed;    /* sockets armed */
	_Atomic unsigned long graceful; /* disarmed by a purposeful end (FIN) */
	_Atomic unsigned long left;     /* left armed at exit (RST) */
	_Atomic unsigned long skipped;  /* TCP sockets skipped by the filters */
};
extern struct ac_stats ac_stats;
#define AC_COUNT(field) \
	do { if (ac_policy.stats) atomic_fetch_add_explicit(&ac_stats.field, 1, memory_order_relaxed); } while (0)

/* Open the destination named by the policy (constructor only). */
void ac_log_init(void);

bool ac_log_enabled(enum ac_log_level level);

/* "libabortclose[pid]: fd=N local=A:P remote=A:P EVENT[num]" */
void ac_log_fd(enum ac_log_level level, int fd, const char *event, long num);

/* The same, with the remote address to show when the kernel has none yet: a
 * connect() still in SYN_SENT (non-blocking) has no peer for getpeername(). */
void ac_log_fd_peer(enum ac_log_level level, int fd, const char *event, long num,
		    const struct sockaddr *peer, socklen_t peer_len);

/* "libabortclose[pid]: TEXT" */
void ac_log_text(enum ac_log_level level, const char *text);

/* The program closed fd: if it is the log's own descriptor, stop using it
 * (the number may be reused for the program's own files). */
void ac_log_fd_closing(int fd);
void ac_log_range_closing(unsigned lo, unsigned hi);
/* After the program's close/close_range/closefrom returned: reopen the log
 * now if that closed it (one load when it did not). */
void ac_log_after_close(void);

/* Logging stops for good (the library stepped back under seccomp: no call
 * of its own any more, not even a reopen). */
void ac_log_stop(void);

/* write(2) of a whole line to fd, dropped (false) rather than let it go
 * past RLIMIT_FSIZE (SIGXFSZ would kill the program); errno may change. */
bool ac_log_write(int fd, const char *buf, size_t n);

/* One summary line, when ABORTCLOSE_STATS=1 (exit handler, _exit). */
void ac_stats_print(void);


#endif
