/* ledger.h - what the library's processes of one fork tree tell each other.
 *
 * One anonymous MAP_SHARED mapping, created by the constructor of the first
 * process of the tree that loads the library, inherited by every fork (and
 * kept across setuid: it is memory, not a file), lost at exec (the new
 * program starts its own).  No file, no name: only the processes of the tree
 * can reach it (and what can ptrace them), and each process writes only its
 * own slot, its own release records, the ring entry and slot reservation
 * of each child it forks, and one note to its newest child (below).
 *
 * Per process (a slot, named by a handle = generation << 32 | index + 1):
 *   pid, start time (identity.h), parent handle, born_at (the parent's fork
 *   epoch at the fork that made it), birth (its own first epoch), state
 *   (live / released everything at exit at epoch all_at / exec'd: no longer
 *   reports), and release records "I let go of socket INODE at my epoch X",
 *   written by the library before it looks for other holders (so the record
 *   also breaks the tie of two holders closing at once) and never removed
 *   but by a new adoption of the same inode.  Also the process's fork epoch
 *   counter (state.h) and its fork ticket (ledger.c, forks): what changes at
 *   every fork is here, in shared memory, so that a fork costs the parent no
 *   copy-on-write fault of the library's own pages.
 * Per forking process (a "big table" claimed at its first fork): a ring of its
 * children indexed by fork epoch (each fork has its own epoch: O(1) to find
 * the children born in an epoch window), and room for many release records.
 *
 * Fixed capacity, MAP_NORESERVE (pages never touched cost nothing), lock-free
 * C11 atomics.  When something does not fit (slots, tables, records), the
 * information is marked lost, never guessed: the readers then ask the kernel
 * or give up (holders.c). */
#ifndef ABORTCLOSE_LEDGER_H
#define ABORTCLOSE_LEDGER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

typedef uint64_t ac_slot; /* 0 = none */
typedef uint64_t ac_epoch; /* state.h */

enum ac_lstate { AC_LS_LIVE = 1, AC_LS_ALL_RELEASED = 2, AC_LS_EXECED = 3 };

struct ac_lview {
	long pid;                 /* 0: reserved, the child has not run yet */
	unsigned long long start, start_hi; /* start time within [start, start_hi]; 0: unknown */
	ac_slot parent;
	ac_epoch born_at, birth, all_at;
	unsigned state;
	bool forked;              /* has forked children */
	ac_epoch last_fork;       /* epoch of its latest fork */
	long ext_ppid;            /* first process of the ledger: its parent */
};

void ac_ledger_init(void);
ac_slot ac_ledger_self(void);

/* Fork (fork.c).  The fork() wrapper takes a ticket (the child's slot,
 * reserved before the fork and kept on the wrapper's stack); prepare
 * (atfork) names the child at fork epoch F, from the ticket or, for a fork
 * without one, a reservation of its own; parent() is the atfork parent
 * handler; end() in the wrapper with fork's result; child() the atfork child
 * handler and child_end() the wrapper in the child (ticketed forks). */
struct ac_fork_ticket {
	ac_slot kid;
	bool ours;
};
void ac_ledger_fork_begin(struct ac_fork_ticket *t);
void ac_ledger_fork_prepare(ac_epoch fork_epoch);
void ac_ledger_fork_parent(void);
void ac_ledger_fork_end(struct ac_fork_ticket *t, long pid);
void ac_ledger_fork_child(ac_epoch birth_epoch);
void ac_ledger_fork_child_end(struct ac_fork_ticket *t, ac_epoch birth_epoch);

/* A child that runs on our memory and execs at once (spawn.c): reserved at
 * fork epoch F before it is made (0: no room); then its pid (<= 0: it was not
 * made) and whether the program it exec'd runs under this library.  Only such
 * a child is kept, as an exec'd one: the others never hold a socket of ours
 * in the ledger's eyes. */
ac_slot ac_ledger_spawn_begin(ac_epoch fork_epoch);
void ac_ledger_spawn_end(ac_slot c, ac_epoch fork_epoch, long pid, bool runs_us);

/* This process's pid as its slot records it (no system call), else getpid(). */
long ac_ledger_pid(void);

/* This process's fork epoch counter in its slot (state.h), NULL if none. */
_Atomic ac_epoch *ac_ledger_epoch_home(void);

/* This process let go of socket ino at epoch (release record); adopts it
 * again (record removed); released every socket at epoch (exit); goes
 * through exec (going) or comes back from a failed one. */
void ac_ledger_released(uint32_t ino, ac_epoch epoch);
void ac_ledger_unreleased(uint32_t ino);
void ac_ledger_all_released(ac_epoch epoch);
void ac_ledger_exec(bool going);

/* The parent's note to its child c: "I let go of ino, which I held at fd
 * under an entry of epoch ep, and you are the only child I forked while I
 * held it" - so the child's own close needs neither the parent's records nor
 * its ring (no page of the parent's to touch), nor an fstat for the inode
 * (ac_ledger_noted_ino).  note_from_parent: is there such a note to this
 * process about ino? */
void ac_ledger_note_to_child(ac_slot c, uint32_t ino, int fd, ac_epoch ep);
bool ac_ledger_note_from_parent(uint32_t ino);

/* The inode the parent's note names for fd, when this process's own entry
 * for fd (epoch ep) is the one the note is about, else 0.  The caller makes
 * sure that entry came from the parent at the fork, unchanged (epoch below
 * this process's birth, not dup'd): the parent held that entry's socket at
 * fd when it forked us (the note is only written to a child born after the
 * entry), and our copy of fd is that same socket. */
uint32_t ac_ledger_noted_ino(int fd, ac_epoch ep);

/* This process has reaped its child pid (wait*: it is gone for good): its
 * slot may be taken again without a kill(pid, 0).  No system call;
 * async-signal-safe. */
void ac_ledger_reaped(long pid);

/* Read a slot; false if the handle is stale (slot reused) or invalid. */
bool ac_ledger_read(ac_slot s, struct ac_lview *v);

/* Only its birth epoch (a small frame for the holder search's walk). */
bool ac_ledger_birth(ac_slot s, ac_epoch *birth);

/* The epoch at which process s let go of ino, 0 if it did not (yet).  When 0
 * and *complete is false, a record may have been dropped for lack of room:
 * "no record" does not prove the process still holds it.  A record keeps
 * 32 bits of its epoch, counted from the process's birth: after 2^31 forks
 * of that process an old record reads earlier than it was made (a narrower
 * window of children to ask: protection, never data). */
ac_epoch ac_ledger_release_epoch(ac_slot s, uint32_t ino, ac_epoch since, bool *complete);

/* Calls visit(child, born_at, ctx) for each child of s born in [lo, hi],
 * newest first, until visit returns non-zero (returned).  Returns 0 at the
 * end, -1 if the list may be incomplete (ring overwritten, no table, window
 * too large): the caller then asks the kernel. */
int ac_ledger_each_child(ac_slot s, ac_epoch lo, ac_epoch hi, int (*visit)(ac_slot c, ac_epoch born_at, void *ctx),
			 void *ctx);

#endif
