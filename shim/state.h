/* state.h - process-wide state of the library and the operations on one
 * socket that every wrapper shares (arm, disarm, release at a graceful end). */
#ifndef ABORTCLOSE_STATE_H
#define ABORTCLOSE_STATE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "export.h"
#include "fdtable.h"
#include "policy.h"

/* Immutable after the constructor. */
extern struct ac_policy ac_policy;

/* 1 once the constructor has parsed a valid, enabled configuration and mapped
 * the table.  0 = pure pass-through (before init, ABORTCLOSE=off, invalid
 * configuration, no memory for the table). */
extern _Atomic int ac_active;

/* Non-zero on a thread while it is (or shares memory with) a vfork child: the
 * child runs on the parent's memory, so it must neither change the state
 * table nor disarm anything; the parent still holds every socket.  Set by the
 * vfork trampoline (vfork.S). */
extern __thread int ac_in_vfork __attribute__((tls_model("initial-exec")));

/* Fork epochs (fork.c).  Entries made at an epoch below the current one
 * existed at a fork, so a child may hold them too; below this process's
 * birth epoch (or 0) they came from the parent (or from outside), which may
 * still hold them.  The counter is in this process's ledger slot when it has
 * one (shared memory: the bumps at every fork then write no page of the
 * process's own, which would cost a copy-on-write fault per fork), else
 * ac_epoch_private.
 *
 * Epochs are 64-bit in memory and 44-bit in an fd's entry (fdtable.h): each
 * fork takes two, so a process forking 10,000 times a second reaches
 * AC_EPOCH_MAX after 27 years.  (They were 20-bit: a forking server
 * saturated them after about 500,000 forks, a few hours of a busy server,
 * and each of its closes then listed every child in /proc: 8 ms per
 * connection at 100 children instead of 0.1 ms.)  At AC_EPOCH_MAX they
 * saturate: every release then searches, never less safe.
 *
 * What a forked child must change at once - where its counter is, its birth
 * epoch, its ledger slot - is struct ac_local.  In .data, every child paid a
 * copy-on-write fault for it.  When the overlay is mapped (fdtable.c) it
 * lives in the overlay's first page instead: MADV_WIPEONFORK gives each
 * child that page zeroed, a page the child writes anyway (the closed list
 * and the words of fds 0-511 share it: its first close), and a fork never
 * write-protects the parent's copy.  All zero means "not set up yet": a
 * child between the kernel's fork and our atfork handler (only a signal
 * handler can run there) is in no ledger slot, and its counter reads as
 * saturated (AC_EPOCH_MAX: every release searches - invariant 1). */
struct ac_local {
	_Atomic ac_epoch *epoch_word;   /* the counter; NULL: not set up */
	_Atomic ac_epoch epoch_private; /* a child's, until its ledger slot is known */
	ac_epoch birth;                 /* the epoch this process started at */
	_Atomic uint64_t self;          /* its ledger slot (ledger.c), 0: none */
};
extern struct ac_local *ac_here;     /* set at load, never written after */
extern struct ac_local ac_local_in_data; /* before the overlay, or without one */
extern _Atomic ac_epoch ac_epoch_private; /* a counter outside the overlay */
extern _Atomic ac_epoch ac_epoch_unset;   /* AC_EPOCH_MAX */

static inline _Atomic ac_epoch *ac_epoch_word(void)
{
	_Atomic ac_epoch *w = ac_here->epoch_word;
	return AC_LIKELY(w != NULL) ? w : &ac_epoch_unset;
}

static inline ac_epoch ac_birth_epoch(void)
{
	return ac_here->birth;
}

/* A fork's two epochs (fork.c): returns F, the child's (the parent goes on
 * at F + 1).  Also taken by spawn.c for children made without fork(). */
ac_epoch ac_fork_epochs_take(void);

/* The first epoch of a process that starts a ledger (init.c, ledger.c): 1.
 * A test build starts higher, to cross in a few forks the bounds of the
 * narrower fields epochs are kept in (test/fdpaths/fork-epochs.sh). */
#ifndef AC_EPOCH_ORIGIN
#define AC_EPOCH_ORIGIN 1ull
#endif

/* The word holds the epoch in its low 48 bits (AC_EPOCH_MAX is below) and,
 * above, the number of this process's forks in progress: counted before a
 * fork takes its epochs, uncounted once the kernel has copied the process
 * (fork.c).  An fd made while one is in progress may be copied into its
 * child although that fork took its epochs before the fd's call began
 * (fork_window.c). */
#define AC_EPOCH_BITS ((1ull << 48) - 1)
#define AC_FORKING_ONE (1ull << 48)

/* The whole word: what ac_set_made compares (before, after). */
static inline ac_epoch ac_epoch_raw(void)
{
	return atomic_load_explicit(ac_epoch_word(), memory_order_relaxed);
}

static inline ac_epoch ac_epoch_now(void)
{
	return ac_epoch_raw() & AC_EPOCH_BITS;
}

/* Was an entry of epoch ep (now: cur) made in this process after its last
 * fork, so that no child and no parent can hold it?  A saturated epoch no
 * longer tells old entries from new: no. */
static inline bool ac_made_since_last_fork(ac_epoch ep, ac_epoch cur)
{
	return ep >= cur && ep >= ac_birth_epoch() && cur != AC_EPOCH_MAX;
}

/* Store the entry of an fd the kernel has just made, stamped when it was
 * built.  A fork on another thread between the system call that made the fd
 * and this store gives the child the fd but not the entry, and such a child
 * must not count as a holder of the socket (it could not disarm it at its own
 * end: RST where the last holder's close was graceful).  Every fork takes
 * its epochs before the kernel copies the process (fork.c), so when the
 * epoch moved since the stamp the entry is stamped again, above that fork's:
 * no holder search counts on that child for it.  And a child that did get
 * the fd without its entry could not tell it is armed: fork_window.c.
 * before: ac_epoch_raw() read before the system call that made fd. */
void ac_made_during_fork(int fd, ac_epoch before, ac_epoch now, const char *event);

/* After the entries of fds made since `before` are stored: 0 if no fork can
 * have copied them meanwhile, else the epoch word now.  A read-modify-write
 * reads the latest word, and it orders the stores before a later bump (which
 * then copies them into the child), or after an earlier one (which it then
 * sees).  Not a fence: ThreadSanitizer has none; the word is in the
 * ledger's shared memory (no copy-on-write). */
static inline ac_epoch ac_forked_since(ac_epoch before)
{
	ac_epoch now = atomic_fetch_add_explicit(ac_epoch_word(), 0, memory_order_seq_cst);
	return AC_LIKELY(now == before && before < AC_FORKING_ONE) ? 0 : now;
}

static inline void ac_set_made(int fd, ac_entry e, ac_epoch before, const char *event)
{
	ac_set(fd, e);
	if (!e)
		return;
	ac_epoch word = ac_forked_since(before);
	if (AC_LIKELY(!word))
		return;
	ac_epoch now = word & AC_EPOCH_BITS;
	if (now != ac_entry_epoch(e))
		ac_set(fd, ac_entry_with_epoch(e, now));
	ac_made_during_fork(fd, before, now, event); /* fork_window.c */
}

static inline bool ac_on(void)
{
	return AC_LIKELY(atomic_load_explicit(&ac_active, memory_order_relaxed)) && !ac_in_vfork;
}

/* A fresh entry stamped with the current epoch. */
ac_entry ac_entry_new(ac_entry flags);

/* Take an fd the library did not see made (inherited at load, received
 * with SCM_RIGHTS) under management if it is a TCP socket; event names it in
 * the debug log ("adopted:inherited"). */
void ac_adopt(int fd, const char *event);

/* The port of an AF_INET/AF_INET6 address, 0 for anything else. */
unsigned ac_sockaddr_port(const struct sockaddr *sa, socklen_t len);

/* Set SO_LINGER {1,0} on fd; errno is preserved.  Returns true on success. */
bool ac_arm(int fd);

/* Restore the program's own linger recorded in e; errno is preserved. */
void ac_disarm(int fd, ac_entry e);

/* Give fd's protection up for good: a holder the library cannot reach could
 * not tell the socket is armed, and its graceful close would send RST
 * (invariant 1).  Disarmed in the kernel, marked AC_F_GAVE_UP: nothing arms
 * it again (connect, setsockopt, a failed shutdown, dup2 or exec); one info
 * line (event, num). */
void ac_give_up(int fd, ac_entry e, const char *event, long num);

/* What the library knows of an fd it did not see created: classify it with
 * getsockopt(SO_DOMAIN/SO_TYPE/SO_PROTOCOL/SO_ACCEPTCONN/SO_LINGER).
 * Returns an entry with AC_F_KNOWN set (AC_F_TCP for TCP), or 0 if fd is not
 * a socket or not open.  Does not store it. */
ac_entry ac_classify(int fd, ac_epoch epoch);

/* Apply the filters (ports, roles) to an undecided TCP entry of fd and arm it
 * when it is managed.  role is AC_F_ACCEPTED or AC_F_CONNECTED; port is the
 * server-side port (0 = look it up: local port for the accepted role).
 * Returns the new entry (also stored). */
ac_entry ac_decide(int fd, ac_entry e, ac_entry role, unsigned port);

/* The same without logging: *event is set to the debug event to log ("armed",
 * "skipped:port", "skipped:role") or NULL.  connect() logs it after the real
 * connect(), when the local address exists. */
ac_entry ac_decide_quiet(int fd, ac_entry e, ac_entry role, unsigned port, const char **event);

/* The program ends its use of fd on purpose (close, fclose, close_range, dup2
 * over it, exec of a close-on-exec fd...).  e is the entry already taken out of
 * the table.  Disarms the socket if this is its last holder; fds in
 * [skip_lo, skip_hi] are closing at the same time and do not count as other
 * holders.  why names the event for the log ("close", "fclose"...).
 * Returns the socket's inode when it stays armed because another fd of this
 * process (outside the range) still holds it, else 0 (close.h,
 * ac_close_done, needs it once the kernel has closed fd). */
uint32_t ac_release(int fd, ac_entry e, int skip_lo, int skip_hi, const char *why);
#define AC_INO_UNKNOWN UINT32_MAX /* kept by an alias whose inode is not known */

/* unwind.c: is an exception (C++) or a panic (Rust) propagating through this
 * thread's frames right now?  Cheap: one TLS test, one pointer test for a
 * process that never raised a C++ exception. */
bool ac_thread_unwinding(void);

/* unwind.c: must the purposeful release `why` of fd leave it armed
 * (ABORTCLOSE_ON_CLOSE=rst, or a close while unwinding)?  Logs why at debug
 * level.  The exit policy's releases ("exit...") are never kept. */
bool ac_close_keeps_armed(int fd, const char *why);

/* Calls visit(other, its entry, ctx) for each other ALIASED fd of this
 * process on the same socket as fd (same inode), until visit returns
 * non-zero; returns that value, or 0.  One fstat per aliased fd: only used
 * for fds marked AC_F_ALIASED.  errno is preserved. */
int ac_each_alias(int fd, int (*visit)(int other, ac_entry o, void *ctx), void *ctx);

/* The same by the socket's inode (low 32 bits), for every aliased fd but
 * except (-1: none): a socket whose fd is already closed (fork_window.c). */
int ac_each_alias_of(uint32_t ino, int except, int (*visit)(int other, ac_entry o, void *ctx), void *ctx);

/* Is another fd of this process (outside [skip_lo, skip_hi]) on the same
 * socket?  Only looked for when e is AC_F_ALIASED. */
bool ac_has_alias(int fd, ac_entry e, int skip_lo, int skip_hi);

/* Another live process that holds the socket of fd: its pid, 0 if none was
 * found, -1 if it cannot be told (then the caller disarms: invariant 1, and
 * the reason is logged at info level).  Records in the ledger that this
 * process lets go of the socket (holders.c).  *cross: the holder found
 * writes its release records where we cannot see them (another fork tree:
 * exec'd since, an SCM_RIGHTS peer, from outside the ledger), so a close of
 * its own at this instant is not seen either (tie.c). */
int ac_find_other_holder(int fd, ac_entry e, bool *cross);

/* Does process pid still hold the socket of fd?  1 yes, 0 no, -1 cannot
 * tell (the kernel only; holders.c). */
int ac_still_holds(int fd, ac_entry e, int pid);

/* A release found pid holding the socket, in another fork tree (cross):
 * take turns with that holder's own close and ask again (tie.c).  A
 * holder's pid, 0 or -1 as ac_find_other_holder (-1 is logged). */
int ac_settle_tie(int fd, ac_entry e, int pid);

/* Mark a received socket as held by this process; the pid of another
 * process whose mark is on the socket of fd, or 0 (mark.c). */
void ac_mark_holding(int fd);
long ac_marked_by_other(int fd);

/* A release whose close did not follow after all (a failed dup2 or exec):
 * give the turn back (tie.c). */
void ac_tie_undo(int fd);

/* Adopt fd received with SCM_RIGHTS from process sender (0: unknown). */
void ac_adopt_received(int fd, long sender);

/* May another process hold the socket of entry e on fd (a fork since it was
 * made, inherited, or handed over)?  Then its release asks holders.c. */
bool ac_maybe_shared(int fd, ac_entry e);

/* Exit-time policy (exit.c): disarm or leave armed every socket still open. */
void ac_exit_apply(int status);

#endif
