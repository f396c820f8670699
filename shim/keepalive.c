/* keepalive.c - hear about a vanished peer: SO_KEEPALIVE + TCP_KEEPIDLE /
 * TCP_KEEPINTVL / TCP_KEEPCNT (ABORTCLOSE_KEEPALIVE) and TCP_USER_TIMEOUT
 * (ABORTCLOSE_USER_TIMEOUT) on every managed connection, invisible to the
 * program.
 *
 * Where they are set.  A listener's options are set before listen(), and
 * the kernel passes them to every accepted connection: sk_clone_lock()
 * copies the whole listener socket (sock_copy(), sk_flags with
 * SOCK_KEEPOPEN, tcp_sock keepalive_time/intvl/probes, icsk_user_timeout),
 * and tcp_create_openreq_child() starts the child's keepalive timer
 * ("if (sock_flag(newsk, SOCK_KEEPOPEN)) tcp_reset_keepalive_timer(newsk,
 * keepalive_time_when(newtp))", net/ipv4/tcp_minisocks.c).  Measured on
 * 6.18 (probe in docs/readme-keepalive.md): all five options set on a
 * listener before listen(), or after listen() but before the handshake,
 * arrive in the accepted socket with its keepalive timer running; a
 * connection whose handshake completed before the setsockopt gets none.
 * So accept() costs no system call for them.  A client socket gets them
 * just before connect() (tcp_finish_connect() starts the timer when
 * SOCK_KEEPOPEN is set).  The ports/roles filters decide as for the
 * arming: a connection they skip gets nothing.
 *
 * What the program sees.  The kernel answers getsockopt(TCP_KEEPIDLE) of a
 * socket that never set it with the netns sysctl (keepalive_time_when():
 * tp->keepalive_time ?: net.ipv4.tcp_keepalive_time), SO_KEEPALIVE 0,
 * TCP_USER_TIMEOUT 0.  Per fd, one 16-bit word beside the fd table (mapped only
 * when the policy sets an option, written only for fds the library set
 * options on) records which options the library set and the program has not
 * set since; getsockopt of those answers what the kernel would say without
 * the library: 0, or the sysctl value read once at load from a probe
 * socket's getsockopt (no /proc needed).  A sysctl changed while the
 * program runs is not seen (documented corner case).  The program's own
 * setsockopt of an option wins: the kernel holds its value, the library's
 * bit is cleared and getsockopt passes through; and an option the program
 * set before the library's turn (before listen() or connect()) is marked as
 * the program's, and the library leaves it alone.  The close path does nothing
 * here: a stale word is cleared where a new socket gets the fd number.
 */
#include "keepalive.h"
#include "state.h"
#include "log.h"
#include "real.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

/* Bits of the view word: bits 0-4, the library set this option and the
 * program has not set it since; the same bits << KA_PROG, the program set it
 * itself (the library must not touch it). */
#define KA_ON    1u /* SO_KEEPALIVE */
#define KA_IDLE  2u /* TCP_KEEPIDLE */
#define KA_INTVL 4u /* TCP_KEEPINTVL */
#define KA_CNT   8u /* TCP_KEEPCNT */
#define KA_UTO  16u /* TCP_USER_TIMEOUT */
#define KA_ALL  31u
#define KA_PROG 5

static _Atomic uint16_t *view;
static int view_size;
/* What the kernel says for a socket that set nothing (its netns sysctls),
 * read once at load; the kernel's compiled-in defaults if that fails. */
static int default_idle = 7200, default_intvl = 75, default_cnt = 9;

static bool in_view(int fd) { return view && fd >= 0 && fd < view_size; }

static unsigned get_bits(int fd)
{
	return in_view(fd) ? atomic_load_explicit(&view[fd], memory_order_acquire) : 0;
}

static void set_bits(int fd, unsigned bits)
{
	if (in_view(fd) && get_bits(fd) != bits) /* never-touched pages stay untouched */
		atomic_store_explicit(&view[fd], (uint16_t)bits, memory_order_release);
}

static int get_int(int fd, int level, int name, int *v)
{
	socklen_t len = sizeof *v;
	return ac_real_getsockopt(fd, level, name, v, &len);
}

void ac_keepalive_init(void)
{
	if (!ac_policy_keepalive_on(&ac_policy) && !ac_policy_user_timeout_on(&ac_policy))
		return;
	void *p = mmap(NULL, (size_t)ac_table_size * sizeof *view, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		ac_log_text(AC_LEVEL_INFO, "keepalive/user timeout not applied: no memory for the view table");
		return;
	}
	if (ac_policy_keepalive_on(&ac_policy)) {
		int s = ac_real_socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (s < 0)
			s = ac_real_socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (s >= 0) {
			int v;
			if (get_int(s, IPPROTO_TCP, TCP_KEEPIDLE, &v) == 0)
				default_idle = v;
			if (get_int(s, IPPROTO_TCP, TCP_KEEPINTVL, &v) == 0)
				default_intvl = v;
			if (get_int(s, IPPROTO_TCP, TCP_KEEPCNT, &v) == 0)
				default_cnt = v;
			ac_real_close(s);
		}
	}
	view = p;
	view_size = ac_table_size;
}

static bool set_int(int fd, int level, int name, unsigned v)
{
	int i = (int)v;
	return ac_real_setsockopt(fd, level, name, &i, sizeof i) == 0;
}

/* Set the options whose bits are in want; returns the bits set. */
static unsigned set_options(int fd, unsigned want)
{
	const struct ac_policy *p = &ac_policy;
	unsigned got = 0;
	/* The times first: SO_KEEPALIVE on an established socket starts the
	 * timer with the idle time it finds (tcp_set_keepalive()). */
	if ((want & KA_IDLE) && set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, p->keepalive_idle))
		got |= KA_IDLE;
	if ((want & KA_INTVL) && set_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, p->keepalive_intvl))
		got |= KA_INTVL;
	if ((want & KA_CNT) && set_int(fd, IPPROTO_TCP, TCP_KEEPCNT, p->keepalive_cnt))
		got |= KA_CNT;
	if ((want & KA_ON) && set_int(fd, SOL_SOCKET, SO_KEEPALIVE, 1))
		got |= KA_ON;
	if ((want & KA_UTO) && set_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, p->user_timeout_ms))
		got |= KA_UTO;
	return got;
}

static void apply(int fd, unsigned want)
{
	int saved = errno;
	unsigned prog = get_bits(fd) & (KA_ALL << KA_PROG);
	want &= ~(prog >> KA_PROG); /* the program's own choice wins */
	unsigned got = want ? set_options(fd, want) : 0;
	if (got != want)
		/* Protection given up (invariant 2): say so. */
		ac_log_fd(AC_LEVEL_INFO, fd, "keepalive-not-set:errno-", errno);
	else if (want)
		ac_log_fd(AC_LEVEL_DEBUG, fd, "keepalive-set", 0);
	set_bits(fd, got | prog);
	AC_ERRNO_RESTORE(saved);
}

static unsigned policy_bits(void)
{
	return (ac_policy_keepalive_on(&ac_policy) ? KA_ON | KA_IDLE | KA_INTVL | KA_CNT : 0) |
	       (ac_policy_user_timeout_on(&ac_policy) ? KA_UTO : 0);
}

void ac_keepalive_apply(int fd)
{
	if (in_view(fd))
		apply(fd, policy_bits());
}

void ac_keepalive_adopt(int fd)
{
	if (!in_view(fd))
		return;
	const struct ac_policy *p = &ac_policy;
	int saved = errno, v = 0;
	unsigned want = 0, ours = 0;
	/* An option already on was set by the program (or by this library in
	 * the process that handed the socket over: then it has exactly the
	 * policy's values, and is shown as not set, like an inherited arming). */
	if (ac_policy_keepalive_on(p) && get_int(fd, SOL_SOCKET, SO_KEEPALIVE, &v) == 0) {
		int idle = 0, intvl = 0, cnt = 0;
		if (!v)
			want |= KA_ON | KA_IDLE | KA_INTVL | KA_CNT;
		else if (get_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle) == 0 &&
			 get_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl) == 0 &&
			 get_int(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt) == 0 &&
			 (unsigned)idle == p->keepalive_idle && (unsigned)intvl == p->keepalive_intvl &&
			 (unsigned)cnt == p->keepalive_cnt)
			ours |= KA_ON | KA_IDLE | KA_INTVL | KA_CNT;
	}
	if (ac_policy_user_timeout_on(p) && get_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &v) == 0) {
		if (v == 0)
			want |= KA_UTO;
		else if ((unsigned)v == p->user_timeout_ms)
			ours |= KA_UTO;
	}
	AC_ERRNO_RESTORE(saved);
	apply(fd, want);
	set_bits(fd, get_bits(fd) | ours);
}

void ac_keepalive_forget(int fd)
{
	set_bits(fd, 0);
}

void ac_keepalive_copy(int lfd, int fd)
{
	set_bits(fd, get_bits(lfd));
}

static unsigned option_bit(int level, int name)
{
	if (level == SOL_SOCKET)
		return name == SO_KEEPALIVE ? KA_ON : 0;
	if (level != IPPROTO_TCP)
		return 0;
	switch (name) {
	case TCP_KEEPIDLE: return KA_IDLE;
	case TCP_KEEPINTVL: return KA_INTVL;
	case TCP_KEEPCNT: return KA_CNT;
	case TCP_USER_TIMEOUT: return KA_UTO;
	default: return 0;
	}
}

static unsigned owned_by_program(unsigned bits, unsigned bit)
{
	return (bits & ~bit) | (bit << KA_PROG);
}

static int take_program_bit(int other, ac_entry o, void *bit)
{
	(void)o;
	set_bits(other, owned_by_program(get_bits(other), *(unsigned *)bit));
	return 0; /* visit them all */
}

void ac_keepalive_program_set(int fd, int level, int name)
{
	unsigned bit = option_bit(level, name);
	if (!bit || !in_view(fd) || !(ac_get(fd) & AC_F_TCP))
		return;
	set_bits(fd, owned_by_program(get_bits(fd), bit));
	/* dup'd fds name the same socket: they see the program's value too. */
	if (ac_get(fd) & AC_F_ALIASED)
		ac_each_alias(fd, take_program_bit, &bit);
}

void ac_keepalive_program_get(int fd, int level, int name, void *val, const socklen_t *len)
{
	unsigned bit = option_bit(level, name);
	if (!bit || !val || !len || !(get_bits(fd) & bit) || !(ac_get(fd) & AC_F_TCP))
		return;
	int v = bit == KA_IDLE ? default_idle : bit == KA_INTVL ? default_intvl
					      : bit == KA_CNT ? default_cnt : 0;
	/* The kernel wrote min(len, sizeof(int)) bytes and stored that in *len
	 * (sock_getsockopt(), do_tcp_getsockopt()): overwrite just those. */
	memcpy(val, &v, *len < sizeof v ? *len : sizeof v);
}
