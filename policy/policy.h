/* policy.h - libabortclose configuration and the pure decisions taken from it.
 *
 * Everything here is free of system calls and global state, so it can be
 * unit-tested (test/unit) and fuzzed (test/fuzz) in isolation.  The shim
 * parses the environment once, in its constructor, into one immutable
 * struct ac_policy that lives in static storage (no malloc anywhere).
 */
#ifndef ABORTCLOSE_POLICY_H
#define ABORTCLOSE_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ABORTCLOSE_ON_EXIT: what a normal exit does to sockets still open. */
enum ac_on_exit {
	AC_EXIT_STATUS = 0, /* default: status 0 (or one named in status:LIST) disarms (FIN), others keep armed (RST) */
	AC_EXIT_FIN,        /* always disarm */
	AC_EXIT_RST,        /* never disarm */
};

/* ABORTCLOSE_ON_SHUTDOWN: does shutdown(SHUT_WR|SHUT_RDWR) disarm? */
enum ac_on_shutdown {
	AC_SHUTDOWN_DISARM = 0, /* default */
	AC_SHUTDOWN_KEEP,
};

/* ABORTCLOSE_ON_CLOSE: does a purposeful close (not shutdown) disarm? */
enum ac_on_close {
	AC_CLOSE_FIN = 0, /* default: the last holder's close disarms (FIN) */
	AC_CLOSE_RST,     /* only shutdown(SHUT_WR|SHUT_RDWR) or the exit policy disarm */
};

/* ABORTCLOSE_ON_UNWIND: a close while the thread unwinds (C++ exception,
 * Rust panic) stays armed? */
enum ac_on_unwind {
	AC_UNWIND_RST = 0, /* default: stays armed (RST) */
	AC_UNWIND_FIN,     /* an ordinary purposeful close */
};

/* ABORTCLOSE_LOG: where log lines go. */
enum ac_log_dest {
	AC_LOG_OFF = 0, /* default */
	AC_LOG_STDERR,
	AC_LOG_SYSLOG, /* "syslog" (/dev/log) or "syslog:/path/to/socket" */
	AC_LOG_FILE,   /* "file:/path" */
};

/* ABORTCLOSE_LOG_LEVEL: the most verbose level written. */
enum ac_log_level {
	AC_LEVEL_ERROR = 0,
	AC_LEVEL_WARN, /* default */
	AC_LEVEL_INFO,
	AC_LEVEL_DEBUG,
};

/* ABORTCLOSE_ROLES: bit set of the connection roles that are managed. */
#define AC_ROLE_ACCEPTED 1u  /* server side: listeners and accepted sockets */
#define AC_ROLE_CONNECTED 2u /* client side: sockets that connect() */
#define AC_ROLE_ALL (AC_ROLE_ACCEPTED | AC_ROLE_CONNECTED)

#define AC_PATH_MAX 4096
#define AC_MSG_MAX 512 /* one diagnostic line, without the newline */

struct ac_policy {
	bool enabled;                    /* ABORTCLOSE=on|off (default on) */
	enum ac_on_exit on_exit;         /* ABORTCLOSE_ON_EXIT */
	enum ac_on_shutdown on_shutdown; /* ABORTCLOSE_ON_SHUTDOWN */
	enum ac_on_close on_close;       /* ABORTCLOSE_ON_CLOSE */
	enum ac_on_unwind on_unwind;     /* ABORTCLOSE_ON_UNWIND */
	enum ac_log_dest log_dest;       /* ABORTCLOSE_LOG */
	char log_path[AC_PATH_MAX];      /* file: or syslog: path, "" if none */
	enum ac_log_level log_level;     /* ABORTCLOSE_LOG_LEVEL */
	unsigned roles;                  /* ABORTCLOSE_ROLES, AC_ROLE_* bits */
	bool stats;                      /* ABORTCLOSE_STATS=1 */
	bool ports_filtered;             /* ABORTCLOSE_PORTS set: only listed ports */
	uint64_t ports[65536 / 64];      /* bit p set: port p is managed */
	/* ABORTCLOSE_KEEPALIVE=IDLE,INTVL,COUNT: all three 0 = off (default). */
	unsigned keepalive_idle;         /* TCP_KEEPIDLE, seconds, 1..AC_KEEPIDLE_MAX */
	unsigned keepalive_intvl;        /* TCP_KEEPINTVL, seconds, 1..AC_KEEPINTVL_MAX */
	unsigned keepalive_cnt;          /* TCP_KEEPCNT, probes, 1..AC_KEEPCNT_MAX */
	/* ABORTCLOSE_USER_TIMEOUT=MILLISECONDS: 0 = off (default). */
	unsigned user_timeout_ms;        /* TCP_USER_TIMEOUT, 1..INT_MAX */
	uint64_t exit_ok[256 / 64];      /* ON_EXIT=status[:LIST]: bit s set =
					    exit status s counts as success */
};

/* The kernel's own limits (include/net/tcp.h MAX_TCP_KEEPIDLE,
 * MAX_TCP_KEEPINTVL, MAX_TCP_KEEPCNT; tcp_sock_set_user_timeout() refuses
 * only negative values): a value the kernel would refuse is refused when the
 * configuration is read, not later on every socket. */
#define AC_KEEPIDLE_MAX 32767u
#define AC_KEEPINTVL_MAX 32767u
#define AC_KEEPCNT_MAX 127u
#define AC_USER_TIMEOUT_MAX 2147483647u

/* Fill *out with the defaults (everything managed, on_exit=status, ...). */
void ac_policy_defaults(struct ac_policy *out);

/* Parse the ABORTCLOSE_* entries of envp (a NULL-terminated "NAME=value"
 * array, e.g. environ; other names are ignored).  secure is non-zero when
 * the process runs with AT_SECURE (setuid...): values that name a file are
 * then ignored.
 *
 * Returns 0 when the configuration is valid.  msg may then hold a warning
 * line (e.g. a log path ignored in secure mode), or be "".
 * Returns -1 when it is invalid: msg holds exactly one line, starting with
 * "libabortclose: ", naming the variable, and ending with
 * "; libabortclose is disabled for this process".  *out is then the
 * defaults with enabled = false.
 * msg is always NUL-terminated, at most AC_MSG_MAX - 1 characters, one line.
 */
int ac_policy_parse(char *const *envp, int secure, struct ac_policy *out,
		    char msg[AC_MSG_MAX]);

/* --- pure decisions ------------------------------------------------------ */

/* Is a connection whose server-side port is `port` managed? */
bool ac_policy_port_managed(const struct ac_policy *p, unsigned port);

/* Is a connection of this role (AC_ROLE_ACCEPTED or _CONNECTED) managed? */
bool ac_policy_role_managed(const struct ac_policy *p, unsigned role);

/* At a normal exit (or _exit) with this status: disarm the sockets still open? */
bool ac_policy_exit_disarms(const struct ac_policy *p, int status);

/* Does shutdown(how) disarm?  (SHUT_WR and SHUT_RDWR do, by default.) */
bool ac_policy_shutdown_disarms(const struct ac_policy *p, int how);

/* Does the policy set keepalive / TCP_USER_TIMEOUT on managed connections? */
bool ac_policy_keepalive_on(const struct ac_policy *p);
bool ac_policy_user_timeout_on(const struct ac_policy *p);

/* Is an AF_* / SOCK_* / protocol triple a TCP socket the library manages?
 * type may carry SOCK_NONBLOCK|SOCK_CLOEXEC. */
bool ac_policy_is_tcp(int domain, int type, int protocol);

#endif
