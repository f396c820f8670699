/* fdtable.h - the per-fd state: one 64-bit atomic word per descriptor.
 *
 * The table is indexed by fd and mapped once (MAP_NORESERVE, sized from the
 * hard RLIMIT_NOFILE): pages never touched cost nothing.  Every access is a
 * single C11 atomic load, store or exchange, so the close path takes no lock
 * and calls no malloc: it is async-signal-safe and works in a child forked
 * from a multithreaded parent.  An fd at or above the table size is simply not
 * managed (passed through untouched).
 *
 * Word layout (8 bytes per fd):
 *   bits  0..7   the program's own l_linger (what getsockopt must show; for
 *                a negative one, what the kernel shows: hook_sockopt.c), 0
 *                to 254; AC_LINGER_BIG: another value, kept in
 *                ac_big_linger[fd] (over four minutes, or negative: rare,
 *                and beside the table, so that the epoch has the bits)
 *   bits  8..19  flags, below
 *   bits 20..63  fork epoch of the process when the entry was made (see
 *                fork.c): an entry older than the current epoch may be held by
 *                another process too.  Epoch 0 = came from outside (inherited
 *                at load, received with SCM_RIGHTS).  44 bits: at two epochs
 *                per fork, a process forking 10,000 times a second would
 *                saturate them after 27 years (state.h).
 */
#ifndef ABORTCLOSE_FDTABLE_H
#define ABORTCLOSE_FDTABLE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

typedef uint64_t ac_entry;
typedef uint64_t ac_epoch; /* state.h: a process's fork epochs */

#define AC_F_KNOWN     (1ull << 8)  /* we know what this fd is */
#define AC_F_TCP       (1ull << 9)  /* a TCP socket (AF_INET/AF_INET6 stream) */
#define AC_F_DECIDED   (1ull << 10) /* filters applied: MANAGED or skipped */
#define AC_F_MANAGED   (1ull << 11) /* under management (passed ports/roles) */
#define AC_F_ARMED     (1ull << 12) /* the kernel holds our SO_LINGER {1,0} */
#define AC_F_USER_ON   (1ull << 13) /* the program's own l_onoff */
#define AC_F_GAVE_UP   (1ull << 14) /* protection given up: disarmed in the
                                       kernel, never armed again (ac_give_up;
                                       was PASS_ARM, unused) */
#define AC_F_ALIASED   (1ull << 15) /* dup'd: another fd of this process may
                                       reference the same socket */
#define AC_F_LISTENER  (1ull << 16)
#define AC_F_ACCEPTED  (1ull << 17) /* role: server side (accepted/inherited) */
#define AC_F_CONNECTED (1ull << 18) /* role: client side */
#define AC_F_EXEC_TMP  (1ull << 19) /* disarmed for an exec in progress */

#define AC_EPOCH_SHIFT 20
#define AC_EPOCH_MAX ((1ull << 44) - 1)
#define AC_LINGER_MASK 0xffull
#define AC_LINGER_BIG 0xffu /* the program's l_linger is in ac_big_linger */

static inline ac_epoch ac_entry_epoch(ac_entry e) { return e >> AC_EPOCH_SHIFT; }
static inline ac_entry ac_entry_with_epoch(ac_entry e, ac_epoch epoch)
{
	return (e & ~(~0ull << AC_EPOCH_SHIFT)) | (ac_entry)epoch << AC_EPOCH_SHIFT;
}

/* Is the socket managed and currently armed by us? */
static inline bool ac_entry_armed(ac_entry e)
{
	return (e & (AC_F_MANAGED | AC_F_ARMED)) == (AC_F_MANAGED | AC_F_ARMED);
}

extern _Atomic ac_entry *ac_table;

/* The overlay: a second word per fd, in a MADV_WIPEONFORK mapping (Linux
 * 4.14): a fork neither copies it nor write-protects it, so the parent
 * writes it without a copy-on-write fault, and the child starts with zeros.
 * A fork-per-connection server writes one entry twice per connection (accept,
 * close), always the same table page: after each fork that page is shared
 * with the new child, and the first write costs the parent a copy-on-write
 * fault (about 4-6 us here, the largest part of the library's cost per new
 * connection).  So those two writes go to the overlay when they can:
 *   0                 the table's word is the entry;
 *   AC_OV_CLOSED      the fd has no entry, whatever the table says (a close
 *                     left its old entry there: fdtable.c keeps a list of
 *                     such fds and clears them in the table before the next
 *                     fork once the kernel has closed them, so that no
 *                     child inherits them - and a child forked while a
 *                     close is on its way does inherit the entry with the
 *                     fd, which the release may be leaving armed for it);
 *   AC_OV_EPOCH | D   the table's word, but made D epochs later: a new
 *                     socket whose entry differs from the stale one left in
 *                     the table by its epoch only (the same kind of
 *                     connection on the same fd number, made by this
 *                     process, at most 16 forks ago: fdtable.c).
 * A child inherits the table, where such an entry carries its older epoch:
 * older means "may be shared with more processes", a wider holder search,
 * never a narrower one.  Anything else is written to the table as before. */
extern _Atomic uint32_t *ac_over; /* NULL: no overlay (the table alone) */
#define AC_OV_CLOSED 1u
#define AC_OV_EPOCH (1u << 31)

/* Table word t as the overlay word o amends it (AC_OV_EPOCH | D). */
static inline ac_entry ac_overlaid_entry(ac_entry t, uint32_t o)
{
	return t && (o & AC_OV_EPOCH) ? ac_entry_with_epoch(t, ac_entry_epoch(t) + (o & ~AC_OV_EPOCH)) : t;
}

bool ac_set_overlaid(int fd, ac_entry e);
ac_entry ac_take_overlaid(int fd);

/* fork.c, the prepare handler: clear in the table the fds the overlay
 * marks closed, before a child inherits the table. */
void ac_table_before_fork(void);

extern int ac_table_size;      /* number of entries; 0 before the table is mapped */
extern _Atomic int ac_max_fd;  /* highest fd ever given an entry (for scans) */

/* Beside it, for dup'd fds only: the socket inode (low 32 bits; sockfs
 * numbers its inodes with a 32-bit counter) of each fd marked AC_F_ALIASED,
 * written before the mark.  The close of one aliased fd then finds the other
 * fds of the same socket by reading memory, and confirms only a match with
 * fstat, instead of an fstat per aliased fd.  Pages of fds never dup'd are
 * never touched. */
extern _Atomic uint32_t *ac_alias_ino;

/* Record fd's socket inode for the alias walk (one fstat); 0 if unknown. */
uint32_t ac_alias_note(int fd);
static inline void ac_alias_set(int fd, uint32_t ino)
{
	if (fd >= 0 && fd < ac_table_size)
		atomic_store_explicit(&ac_alias_ino[fd], ino, memory_order_release);
}
static inline uint32_t ac_alias_get(int fd)
{
	return fd >= 0 && fd < ac_table_size ? atomic_load_explicit(&ac_alias_ino[fd], memory_order_acquire) : 0;
}

/* Beside it too, for sockets handed over with SCM_RIGHTS only: the pid of
 * the other end of the UNIX socket (SO_PEERCRED) - the receiver of a socket
 * this process sent, the sender of one it received: a candidate holder at
 * release (holders.c).  -1: sent to a process that could not be named.
 * Cleared when a new socket gets the fd (ac_decide). */
extern _Atomic int32_t *ac_peer_pid;
static inline void ac_peer_set(int fd, int32_t pid)
{
	if (fd >= 0 && fd < ac_table_size)
		atomic_store_explicit(&ac_peer_pid[fd], pid, memory_order_release);
}
static inline int32_t ac_peer_get(int fd)
{
	return fd >= 0 && fd < ac_table_size ? atomic_load_explicit(&ac_peer_pid[fd], memory_order_acquire) : 0;
}

/* Map the table; returns 0 or -1 (the library then passes everything through). */
int ac_table_init(void);

static inline bool ac_fd_in_table(int fd) { return fd >= 0 && fd < ac_table_size; }

/* The program's own l_linger values that do not fit the word's 8 bits, one
 * int per fd (beside the table: a page is touched only by a program that
 * sets such a value).  The value belongs to the socket: a copy of the entry
 * to another fd (dup, accept from a listener, a dup'd fd's view) copies it
 * with ac_linger_copy.  An fd beyond the table has no room: its entry,
 * never stored, only passes its linger on to the connections a listener
 * there accepts, without a value above 254 (they show 0). */
extern _Atomic int32_t *ac_big_linger;

/* Does the program have a linger time of its own recorded in e? */
static inline bool ac_entry_has_linger(ac_entry e) { return (e & AC_LINGER_MASK) != 0; }

/* The program's own l_linger recorded in fd's entry e. */
static inline int ac_entry_linger(int fd, ac_entry e)
{
	unsigned code = (unsigned)(e & AC_LINGER_MASK);
	if (code != AC_LINGER_BIG)
		return (int)code;
	return ac_fd_in_table(fd) ? atomic_load_explicit(&ac_big_linger[fd], memory_order_acquire) : 0;
}

/* e with the program's own l_onoff and l_linger (fd's; a value beyond the
 * word goes to ac_big_linger[fd] first). */
static inline ac_entry ac_entry_with_user_linger(int fd, ac_entry e, int onoff, int linger)
{
	e &= ~(AC_LINGER_MASK | AC_F_USER_ON);
	unsigned code = (unsigned)linger;
	if (linger < 0 || linger >= (int)AC_LINGER_BIG) {
		code = 0;
		if (ac_fd_in_table(fd)) {
			atomic_store_explicit(&ac_big_linger[fd], linger, memory_order_release);
			code = AC_LINGER_BIG;
		}
	}
	return e | (onoff ? AC_F_USER_ON : 0) | code;
}

/* Entry e of fd `from` is being copied to fd `to`: its linger goes too. */
static inline void ac_linger_copy(int from, int to, ac_entry e)
{
	if ((e & AC_LINGER_MASK) == AC_LINGER_BIG && from != to && ac_fd_in_table(to))
		atomic_store_explicit(&ac_big_linger[to], ac_entry_linger(from, e), memory_order_release);
}

static inline ac_entry ac_get(int fd)
{
	if (!ac_fd_in_table(fd))
		return 0;
	uint32_t o = ac_over ? atomic_load_explicit(&ac_over[fd], memory_order_acquire) : 0;
	if (o == AC_OV_CLOSED)
		return 0;
	return ac_overlaid_entry(atomic_load_explicit(&ac_table[fd], memory_order_acquire), o);
}

/* The epoch of fd's entry as a child forked since it was made sees it: the
 * table's word (the overlay is not inherited, and its AC_OV_EPOCH words
 * only make an entry younger), also once the entry is taken (a close leaves
 * the word for the overlay to hide).  0 when the table has no word. */
static inline ac_epoch ac_inherited_epoch(int fd)
{
	return ac_fd_in_table(fd) ? ac_entry_epoch(atomic_load_explicit(&ac_table[fd], memory_order_relaxed)) : 0;
}

/* Does the table hold a word for fd (an entry, or a stale one the overlay
 * marks closed)?  The close path's first test: it reads no overlay page
 * (see ac_take_overlaid). */
static inline bool ac_table_word(int fd)
{
	return ac_fd_in_table(fd) && atomic_load_explicit(&ac_table[fd], memory_order_relaxed) != 0;
}

static inline void ac_set(int fd, ac_entry e)
{
	if (!ac_fd_in_table(fd))
		return;
	if (!ac_over || !ac_set_overlaid(fd, e)) {
		atomic_store_explicit(&ac_table[fd], e, memory_order_release);
		if (ac_over && atomic_load_explicit(&ac_over[fd], memory_order_relaxed))
			atomic_store_explicit(&ac_over[fd], 0, memory_order_release);
	}
	if (e) {
		int m = atomic_load_explicit(&ac_max_fd, memory_order_relaxed);
		while (fd > m && !atomic_compare_exchange_weak(&ac_max_fd, &m, fd))
			;
	}
}

/* Take the entry and clear it in one step: when two threads close the same fd
 * at once, exactly one of them sees the socket (with the overlay: the one
 * whose compare-and-swap marks it closed). */
static inline ac_entry ac_take(int fd)
{
	if (!ac_fd_in_table(fd))
		return 0;
	return ac_over ? ac_take_overlaid(fd) : atomic_exchange_explicit(&ac_table[fd], 0, memory_order_acq_rel);
}

#endif
