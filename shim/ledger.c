/* ledger.c - see ledger.h for the model.
 *
 * Memory layout: LG_PROCS process slots, then LG_BIG big tables.  Every field
 * is a C11 atomic; the writer of a field is the process it describes (or its
 * parent, for the reservation made before the fork), so no lock is needed.
 * A reader validates a handle by its generation before and after reading a
 * slot (a slot is reused only after its process is dead: kill(pid, 0) ESRCH).
 * Values read from the ledger are bounds-checked: a corrupt ledger can make
 * the library believe a process holds or released a socket, which holders.c
 * only trusts when the kernel cannot be asked (see there). */
#include "export.h"
#include "state.h"
#include "ledger.h"
#include "fdtable.h"
#include "identity.h"
#include "real.h"

#include <errno.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <pthread.h>

#define LG_PROCS 8192
#define LG_RELS 16        /* release records in each slot */
#define LG_BIG 64
#define LG_KIDS 4096      /* children ring of a forking process */
#define LG_BIG_RELS 8192  /* its release records */
#define LG_PROBE 16
#define LG_CLAIM_PROBES 64
#define LG_REAP 4096      /* a forking process's children by pid (mod) */

struct lg_proc {
	_Atomic uint64_t id;      /* gen << 32 | pid (| ID_REAPED); 0 = free; pid 0 = reserved */
	_Atomic uint64_t start;   /* start time (ticks): at or after ... */
	_Atomic uint64_t start_hi; /* ... and at or before this (the fork's interval) */
	_Atomic uint64_t parent;
	_Atomic uint64_t born_at, birth, all_at;
	_Atomic uint32_t big;     /* big table index + 1 */
	_Atomic uint16_t state;
	_Atomic uint16_t forked;
	_Atomic uint64_t lost;    /* highest epoch of a record dropped for room */
	_Atomic uint64_t last_fork; /* epoch of its latest fork */
	_Atomic uint64_t ext_ppid;  /* first slot of a ledger: its parent's pid */
	_Atomic uint64_t pnote;     /* from the parent: note_word() (ledger.h) */
	_Atomic uint64_t epoch;     /* its fork epoch counter (state.h) */
	_Atomic uint64_t ticket_epoch; /* the fork epoch of the ticket's fork */
	_Atomic uint64_t ticket_owner; /* pthread_self() of the thread in fork(), 0 = none */
	_Atomic uint64_t ticket_kid;   /* the child reserved for that fork */
	_Atomic uint64_t rel[LG_RELS]; /* ino << 32 | epoch - birth (mod 2^32); 0 = empty */
};

/* 16 slots a page, none across two: a child's first look at its own slot
 * is one page fault. */
_Static_assert(sizeof(struct lg_proc) == 256, "a slot is 256 bytes");

struct lg_big {
	_Atomic uint64_t owner;   /* handle */
	_Atomic uint64_t kids[LG_KIDS]; /* kid_word() */
	_Atomic uint64_t rel[LG_BIG_RELS];
	_Atomic uint64_t reap[LG_REAP]; /* child handle by pid % LG_REAP (hook_wait.c) */
};

struct lg_map {
	_Atomic uint32_t gen;     /* generation counter for slots */
	_Atomic uint32_t cursor;  /* next slot to try */
	struct lg_proc procs[LG_PROCS];
	struct lg_big big[LG_BIG];
};

static struct lg_map *lg;
/* This process's slot: ac_here->self (state.h, struct ac_local), beside
 * the other variables a forked child writes at once. */
/* The child reserved by a fork that did not come through the fork()
 * wrapper with a ticket (glibc-internal forks, a second thread forking at
 * the same time): in this thread's TLS, a page the parent then writes after
 * every such fork (a copy-on-write fault), so only the exceptions use it. */
static __thread ac_slot pending_kid;
static __thread ac_epoch pending_epoch;

static inline uint32_t h_index(ac_slot s) { return (uint32_t)s; }
static inline uint32_t h_gen(ac_slot s) { return (uint32_t)(s >> 32); }
static inline ac_slot handle(uint32_t index1, uint32_t gen) { return (ac_slot)gen << 32 | index1; }

AC_HOT static struct lg_proc *slot_of(ac_slot s)
{
	uint32_t i = h_index(s);
	if (!lg || i == 0 || i > LG_PROCS)
		return NULL;
	struct lg_proc *p = &lg->procs[i - 1];
	return (uint32_t)(atomic_load(&p->id) >> 32) == h_gen(s) ? p : NULL;
}

AC_HOT static struct lg_big *big_of(struct lg_proc *p)
{
	uint32_t b = atomic_load(&p->big);
	return b >= 1 && b <= LG_BIG ? &lg->big[b - 1] : NULL;
}

AC_HOT static long own_pid(void) { return ac_sys(SYS_getpid, 0, 0, 0, 0, 0, 0); }

/* The id word of a child its parent has reaped (wait*, hook_wait.c) carries
 * this bit beside the pid (pids are below 2^22, PID_MAX_LIMIT): that child
 * is gone for good, and its slot may be taken again without asking the
 * kernel. */
#define ID_REAPED (1u << 31)
AC_HOT static long id_pid(uint64_t id) { return (long)((uint32_t)id & ~ID_REAPED); }

/* Two reads of a slot's id word, before and after reading the slot: still
 * the same process?  Its being reaped meanwhile (the bit) does not count as
 * a new owner: a reader walking up through a parent that has just been
 * reaped still sees that parent's children. */
AC_HOT static bool same_holder(uint64_t now, uint64_t before) { return (now | ID_REAPED) == (before | ID_REAPED); }

/* A slot (or table) whose process is gone may be taken again. */
static bool id_dead(uint64_t id)
{
	long pid = id_pid(id);
	int saved = errno;
	bool dead = pid > 0 && ac_sys(SYS_kill, pid, 0, 0, 0, 0, 0) != 0 && errno == ESRCH;
	AC_ERRNO_RESTORE(saved);
	return dead;
}

/* Take a free slot (or one of a dead process) for a new process: pid 0
 * (reserved) until the child writes its pid. */
AC_HOT static ac_slot claim_slot(void)
{
	for (int n = 0; n < LG_CLAIM_PROBES; n++) {
		uint32_t i = atomic_fetch_add(&lg->cursor, 1) % LG_PROCS;
		struct lg_proc *p = &lg->procs[i];
		uint64_t id = atomic_load(&p->id);
		/* Free, reaped, or (one kill(pid, 0)) of a process gone otherwise;
		 * not in use, nor reserved by a fork in progress (pid 0). */
		if (id != 0 && !(id & ID_REAPED) && ((uint32_t)id == 0 || !id_dead(id)))
			continue;
		uint32_t gen = atomic_fetch_add(&lg->gen, 1) + 1;
		if (gen == 0)
			gen = atomic_fetch_add(&lg->gen, 1) + 1;
		if (!atomic_compare_exchange_strong(&p->id, &id, (uint64_t)gen << 32))
			continue;
		atomic_store(&p->start, 0);
		atomic_store(&p->start_hi, 0);
		atomic_store(&p->parent, 0);
		atomic_store(&p->born_at, 0);
		atomic_store(&p->birth, 0);
		atomic_store(&p->all_at, 0);
		atomic_store(&p->big, 0);
		atomic_store(&p->lost, 0);
		atomic_store(&p->forked, 0);
		atomic_store(&p->last_fork, 0);
		atomic_store(&p->ext_ppid, 0);
		atomic_store(&p->pnote, 0);
		atomic_store(&p->epoch, 0);
		atomic_store(&p->ticket_epoch, 0);
		atomic_store(&p->ticket_owner, 0);
		atomic_store(&p->ticket_kid, 0);
		for (int r = 0; r < LG_RELS; r++)
			atomic_store(&p->rel[r], 0);
		atomic_store(&p->state, AC_LS_LIVE);
		return handle(i + 1, gen);
	}
	return 0;
}

void ac_ledger_init(void)
{
	void *m = mmap(NULL, sizeof(struct lg_map), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		return;
	lg = m;
	ac_slot s = claim_slot();
	struct lg_proc *p = slot_of(s);
	if (!p)
		return;
	atomic_store(&p->birth, AC_EPOCH_ORIGIN);
	atomic_store(&p->ext_ppid, (uint64_t)ac_sys(SYS_getppid, 0, 0, 0, 0, 0, 0));
	unsigned long long st = ac_id_start_time(own_pid());
	atomic_store(&p->start, st);
	atomic_store(&p->start_hi, st);
	atomic_store(&p->id, (uint64_t)h_gen(s) << 32 | (uint32_t)own_pid());
	atomic_store(&ac_here->self, s);
}

AC_HOT ac_slot ac_ledger_self(void) { return atomic_load(&ac_here->self); }

/* This process's big table, claimed on first need (a free one or one whose
 * owner is gone); NULL when all are taken. */
AC_HOT static struct lg_big *own_big(struct lg_proc *me, ac_slot s)
{
	struct lg_big *b = big_of(me);
	if (b || !lg)
		return b;
	for (int i = 0; i < LG_BIG; i++) {
		struct lg_big *t = &lg->big[i];
		uint64_t owner = atomic_load(&t->owner);
		if (owner != 0) {
			struct lg_proc *o = slot_of(owner);
			if (o && !id_dead(atomic_load(&o->id)))
				continue;
		}
		if (!atomic_compare_exchange_strong(&t->owner, &owner, s))
			continue;
		for (int k = 0; owner && k < LG_KIDS; k++) /* fresh pages are zero */
			atomic_store(&t->kids[k], 0);
		for (int r = 0; owner && r < LG_BIG_RELS; r++)
			atomic_store(&t->rel[r], 0);
		atomic_store(&me->big, (uint32_t)i + 1);
		return t;
	}
	return NULL;
}

/* A ring entry: the low 26 bits of the fork epoch (a tag: the epoch itself
 * is checked in the child's slot), 24 of the slot's generation, its index
 * + 1 (14 bits: LG_PROCS). */
#define KID_TAG_BITS 26
#define KID_GEN_BITS 24
#define KID_IDX_BITS 14
_Static_assert(LG_PROCS < (1 << KID_IDX_BITS), "slot indexes fit a ring entry");
_Static_assert(KID_TAG_BITS + KID_GEN_BITS + KID_IDX_BITS == 64, "a ring entry is one word");

AC_HOT static uint64_t kid_word(ac_epoch born_at, ac_slot c)
{
	return (born_at & ((1ull << KID_TAG_BITS) - 1)) << (KID_GEN_BITS + KID_IDX_BITS) |
	       (uint64_t)(h_gen(c) & ((1u << KID_GEN_BITS) - 1)) << KID_IDX_BITS | (h_index(c) & ((1u << KID_IDX_BITS) - 1));
}

/* Ring entry w against epoch e: 0 the same tag, > 0 a later epoch's (the
 * entry for e was overwritten), < 0 an earlier one's (no fork took e).
 * Serial arithmetic on the tags: ring entries at e's place are e's, or
 * LG_KIDS epochs apart, and an entry 2^25 epochs old at most reads as
 * "later" (the caller then asks the kernel). */
AC_HOT static int kid_tag_cmp(uint64_t w, ac_epoch e)
{
	uint32_t d = (uint32_t)(w >> (KID_GEN_BITS + KID_IDX_BITS)) - (uint32_t)(e & ((1ull << KID_TAG_BITS) - 1));
	return (int32_t)(d << (32 - KID_TAG_BITS));
}

/* --- forks ---------------------------------------------------------------
 *
 * The parent reserves the child's slot before the fork and writes its pid
 * as fork() returns, so that its own close right after the fork already
 * finds the child.  The child must learn which slot is its own.  That used
 * to go through the forking thread's TLS, written at every fork: after the
 * fork that page is shared copy-on-write with the child, and the next write
 * costs the parent a fault (about 4 us here, 5 % of a whole fork).  So the
 * fork() wrapper holds the reservation on its own stack (a "ticket": the
 * child has its copy of that stack) and tells the atfork prepare handler
 * about it through this process's slot (shared memory, no fault).  Forks
 * that do not come through the wrapper (glibc-internal ones), or that meet
 * another thread's ticket, use the TLS as before. */

/* This thread is in the fork() wrapper without the ticket: another thread
 * holds it, or this thread does, in the fork a signal handler interrupted. */
static __thread bool wrapper_unticketed;

/* The wrapper is done with this fork (parent or child): TLS written only if
 * the fork went the TLS way. */
AC_HOT static void wrapper_done(void)
{
	if (pending_kid)
		pending_kid = 0;
	if (wrapper_unticketed)
		wrapper_unticketed = false;
}

AC_HOT static uint64_t thread_key(void) { return (uint64_t)pthread_self(); }

/* Does this thread's fork in progress hold this process's ticket? */
AC_HOT static bool holds_ticket(struct lg_proc *me)
{
	return me && !wrapper_unticketed && atomic_load(&me->ticket_owner) == thread_key();
}

/* Child c of this process (me, handle s) is born at fork epoch f: in our
 * ring, with its parent, birth epoch and start time (within [now, after the
 * fork]: known without reading /proc in the child, identity.h). */
AC_HOT static void reserve_child(struct lg_proc *me, ac_slot s, ac_slot c, ac_epoch f)
{
	atomic_store(&me->forked, 1);
	atomic_store(&me->last_fork, f);
	struct lg_big *b = own_big(me, s);
	struct lg_proc *kid = slot_of(c);
	if (!kid)
		return;
	atomic_store(&kid->parent, s);
	atomic_store(&kid->born_at, f);
	atomic_store(&kid->start, ac_id_now_ticks());
	if (b)
		atomic_store(&b->kids[f % LG_KIDS], kid_word(f, c));
}

AC_HOT void ac_ledger_fork_begin(struct ac_fork_ticket *t)
{
	t->kid = 0;
	t->ours = false;
	struct lg_proc *me = slot_of(ac_ledger_self());
	if (!me)
		return;
	uint64_t none = 0;
	if (!atomic_compare_exchange_strong(&me->ticket_owner, &none, thread_key())) {
		wrapper_unticketed = true;
		return;
	}
	t->ours = true;
	t->kid = claim_slot();
	atomic_store(&me->ticket_kid, t->kid);
}

AC_HOT void ac_ledger_fork_prepare(ac_epoch fork_epoch)
{
	ac_slot s = ac_ledger_self();
	struct lg_proc *me = slot_of(s);
	if (!me)
		return;
	bool ticket = holds_ticket(me);
	ac_slot c = ticket ? atomic_load(&me->ticket_kid) : claim_slot();
	if (ticket)
		atomic_store(&me->ticket_epoch, fork_epoch);
	else {
		pending_kid = c;
		pending_epoch = fork_epoch;
	}
	reserve_child(me, s, c, fork_epoch);
}

AC_HOT static void set_pid(ac_slot c, long pid)
{
	struct lg_proc *p = slot_of(c);
	if (!p)
		return;
	uint64_t want = (uint64_t)h_gen(c) << 32;
	atomic_compare_exchange_strong(&p->id, &want, (uint64_t)h_gen(c) << 32 | (uint32_t)pid);
}

/* The fork is over: the child started by now. */
AC_HOT static void started_by_now(ac_slot c)
{
	struct lg_proc *kid = slot_of(c);
	if (kid && atomic_load(&kid->start_hi) == 0)
		atomic_store(&kid->start_hi, ac_id_now_ticks());
}

/* The fork failed: the reservation made at fork epoch e is taken back. */
static void unreserve(struct lg_proc *me, ac_slot c, ac_epoch e)
{
	struct lg_proc *kid = slot_of(c);
	if (!kid)
		return;
	struct lg_big *b = me ? big_of(me) : NULL;
	if (b && e) {
		uint64_t w = kid_word(e, c);
		atomic_compare_exchange_strong(&b->kids[e % LG_KIDS], &w, 0);
	}
	uint64_t id = atomic_load(&kid->id);
	if ((uint32_t)id == 0)
		atomic_compare_exchange_strong(&kid->id, &id, 0);
}

AC_HOT void ac_ledger_fork_parent(void)
{
	struct lg_proc *me = slot_of(ac_ledger_self());
	if (holds_ticket(me))
		return; /* the wrapper finishes: ac_ledger_fork_end */
	started_by_now(pending_kid);
	if (!wrapper_unticketed && pending_kid)
		pending_kid = 0; /* a fork outside the wrapper: the child writes its pid */
}

/* The parent's record of child c's pid, for its reaping (ac_ledger_reaped):
 * one word in its big table.  A later child whose pid falls on the same
 * word replaces it: that earlier child is then found gone by kill(pid, 0). */
AC_HOT static void remember_pid(struct lg_proc *me, ac_slot c, long pid)
{
	struct lg_big *b = me ? big_of(me) : NULL;
	if (b && c && pid > 0)
		atomic_store_explicit(&b->reap[(unsigned long)pid % LG_REAP], c, memory_order_relaxed);
}

AC_HOT void ac_ledger_fork_end(struct ac_fork_ticket *t, long pid)
{
	struct lg_proc *me = slot_of(ac_ledger_self());
	if (t->ours) {
		if (pid > 0) {
			set_pid(t->kid, pid);
			remember_pid(me, t->kid, pid);
			started_by_now(t->kid);
		} else if (pid < 0)
			unreserve(me, t->kid, me ? atomic_load(&me->ticket_epoch) : 0);
		if (me)
			atomic_store(&me->ticket_owner, 0);
		return;
	}
	if (pid > 0) {
		set_pid(pending_kid, pid);
		remember_pid(me, pending_kid, pid);
	} else if (pid < 0)
		unreserve(me, pending_kid, pending_epoch);
	wrapper_done();
}

AC_HOT static void child_is(ac_slot c, ac_epoch birth_epoch)
{
	struct lg_proc *p = slot_of(c);
	if (!p) {
		atomic_store(&ac_here->self, 0); /* not in the ledger: others ask the kernel */
		return;
	}
	atomic_store(&p->birth, birth_epoch);
	/* Only when the parent has not written it yet (ac_ledger_fork_end, as
	 * its fork() returns, often before the child gets here): the same
	 * value, without the system call. */
	if ((uint32_t)atomic_load(&p->id) == 0)
		set_pid(c, own_pid());
	atomic_store(&ac_here->self, c);
}

AC_HOT void ac_ledger_fork_child(ac_epoch birth_epoch)
{
	/* This child's copy of the TLS: a reservation there is this fork's
	 * (pending_kid is cleared in the parent after each use). */
	ac_slot c = pending_kid;
	if (c) {
		pending_kid = 0;
		child_is(c, birth_epoch);
		return;
	}
	/* The ticket, if any, is on the wrapper's stack: until the wrapper
	 * returns here (ac_ledger_fork_child_end), this process is not in the
	 * ledger (its own atfork handlers' closes ask the kernel). */
	atomic_store(&ac_here->self, 0);
}

AC_HOT void ac_ledger_fork_child_end(struct ac_fork_ticket *t, ac_epoch birth_epoch)
{
	if (t->ours)
		child_is(t->kid, birth_epoch);
	wrapper_done();
}

/* --- spawns (spawn.c) ----------------------------------------------------
 *
 * A vfork, clone(CLONE_VM|CLONE_VFORK) or posix_spawn child runs none of our
 * code on its own memory: it is reserved like a fork's child and, once it has
 * exec'd a program that runs under this library, recorded as an exec'd child
 * (the readers ask the kernel whether it holds a socket).  Otherwise it is
 * taken back: a program without the library could not disarm at its own
 * graceful end, so it must not keep a socket armed (holders.c then finds no
 * other holder and the close disarms, as for a socket never shared). */
ac_slot ac_ledger_spawn_begin(ac_epoch fork_epoch)
{
	ac_slot s = ac_ledger_self();
	struct lg_proc *me = slot_of(s);
	if (!me)
		return 0;
	ac_slot c = claim_slot();
	if (c)
		reserve_child(me, s, c, fork_epoch);
	return c;
}

void ac_ledger_spawn_end(ac_slot c, ac_epoch fork_epoch, long pid, bool runs_us)
{
	struct lg_proc *kid = slot_of(c);
	if (!kid)
		return;
	if (pid <= 0 || !runs_us) {
		unreserve(slot_of(ac_ledger_self()), c, fork_epoch);
		return;
	}
	atomic_store(&kid->birth, 1);
	atomic_store(&kid->state, AC_LS_EXECED);
	set_pid(c, pid);
	remember_pid(slot_of(ac_ledger_self()), c, pid);
	started_by_now(c);
}

AC_HOT long ac_ledger_pid(void)
{
	struct lg_proc *me = slot_of(ac_ledger_self());
	long pid = me ? id_pid(atomic_load(&me->id)) : 0;
	return pid > 0 ? pid : own_pid();
}

AC_HOT _Atomic ac_epoch *ac_ledger_epoch_home(void)
{
	struct lg_proc *me = slot_of(ac_ledger_self());
	return me ? &me->epoch : NULL;
}

/* --- release records ----------------------------------------------------
 *
 * A record is one word, ino << 32 | the epoch counted from the process's
 * birth, mod 2^32: read back as the earliest epoch at or after the birth
 * with those low bits, never later than the true one (the end of the
 * window of children who may hold the socket: a later end could count
 * children born after the release).  Exact until the process has made 2^31
 * forks since its birth. */

AC_HOT static uint32_t rec_age(uint64_t w) { return (uint32_t)w; }
AC_HOT static uint32_t rec_ino(uint64_t w) { return (uint32_t)(w >> 32); }

/* Put (ino, age) into table t of n entries, probing from start; when the
 * window is full the oldest record is dropped and *lost raised (to its
 * epoch: birth + its age). */
AC_HOT static bool put(_Atomic uint64_t *t, unsigned n, unsigned start, unsigned probe, uint32_t ino, uint32_t age,
		       ac_epoch birth, _Atomic uint64_t *lost)
{
	uint64_t w = (uint64_t)ino << 32 | age;
	for (unsigned k = 0; k < probe; k++) {
		_Atomic uint64_t *e = &t[(start + k) % n];
		uint64_t old = atomic_load(e);
		while (old == 0 || rec_ino(old) == ino)
			if (atomic_compare_exchange_weak(e, &old, w))
				return true;
	}
	if (!lost)
		return false;
	/* Full: replace the oldest. */
	_Atomic uint64_t *victim = &t[start % n];
	for (unsigned k = 1; k < probe; k++)
		if (rec_age(atomic_load(&t[(start + k) % n])) < rec_age(atomic_load(victim)))
			victim = &t[(start + k) % n];
	ac_epoch dropped = birth + rec_age(atomic_exchange(victim, w));
	uint64_t cur = atomic_load(lost);
	while (dropped > cur && !atomic_compare_exchange_weak(lost, &cur, dropped))
		;
	return true;
}

AC_HOT static unsigned hash(uint32_t ino) { return (ino * 2654435761u) >> 8; }

AC_HOT void ac_ledger_released(uint32_t ino, ac_epoch epoch)
{
	ac_slot s = ac_ledger_self();
	struct lg_proc *me = slot_of(s);
	if (!me || ino == 0)
		return;
	ac_epoch birth = atomic_load(&me->birth);
	uint32_t age = epoch > birth ? (uint32_t)(epoch - birth) : 0;
	if (put(me->rel, LG_RELS, 0, LG_RELS, ino, age, birth, NULL))
		return;
	struct lg_big *b = own_big(me, s);
	if (b)
		put(b->rel, LG_BIG_RELS, hash(ino), LG_PROBE, ino, age, birth, &me->lost);
	else
		put(me->rel, LG_RELS, hash(ino), LG_RELS, ino, age, birth, &me->lost);
	atomic_thread_fence(memory_order_seq_cst); /* stored before any look (holders.c) */
}

static void unput(_Atomic uint64_t *t, unsigned n, unsigned start, unsigned probe, uint32_t ino)
{
	for (unsigned k = 0; k < probe; k++) {
		_Atomic uint64_t *e = &t[(start + k) % n];
		uint64_t old = atomic_load(e);
		if (old && rec_ino(old) == ino)
			atomic_compare_exchange_strong(e, &old, 0);
	}
}

void ac_ledger_unreleased(uint32_t ino)
{
	struct lg_proc *me = slot_of(ac_ledger_self());
	if (!me || ino == 0)
		return;
	unput(me->rel, LG_RELS, 0, LG_RELS, ino);
	struct lg_big *b = big_of(me);
	if (b)
		unput(b->rel, LG_BIG_RELS, hash(ino), LG_PROBE, ino);
}

AC_HOT void ac_ledger_all_released(ac_epoch epoch)
{
	struct lg_proc *me = slot_of(ac_ledger_self());
	if (!me)
		return;
	atomic_store(&me->all_at, epoch ? epoch : 1);
	atomic_store(&me->state, AC_LS_ALL_RELEASED);
}

void ac_ledger_exec(bool going)
{
	struct lg_proc *me = slot_of(ac_ledger_self());
	if (!me)
		return;
	if (going)
		atomic_store(&me->state, AC_LS_EXECED);
	else
		atomic_store(&me->state, atomic_load(&me->all_at) ? AC_LS_ALL_RELEASED : AC_LS_LIVE);
}

/* --- reading ------------------------------------------------------------ */

AC_HOT bool ac_ledger_birth(ac_slot s, ac_epoch *birth)
{
	struct lg_proc *p = slot_of(s);
	if (!p)
		return false;
	uint64_t id = atomic_load(&p->id);
	*birth = atomic_load(&p->birth);
	return same_holder(atomic_load(&p->id), id); /* not reused meanwhile */
}

AC_HOT bool ac_ledger_read(ac_slot s, struct ac_lview *v)
{
	struct lg_proc *p = slot_of(s);
	if (!p)
		return false;
	uint64_t id = atomic_load(&p->id);
	v->pid = id_pid(id);
	v->start = atomic_load(&p->start);
	v->start_hi = atomic_load(&p->start_hi);
	v->parent = atomic_load(&p->parent);
	v->born_at = atomic_load(&p->born_at);
	v->birth = atomic_load(&p->birth);
	v->state = atomic_load(&p->state);
	v->all_at = atomic_load(&p->all_at);
	v->forked = atomic_load(&p->forked) != 0;
	v->last_fork = atomic_load(&p->last_fork);
	v->ext_ppid = (long)atomic_load(&p->ext_ppid);
	return same_holder(atomic_load(&p->id), id); /* not reused meanwhile */
}

/* The record of ino in t: its word, 0 if none. */
AC_HOT static uint64_t lookup(_Atomic uint64_t *t, unsigned n, unsigned start, unsigned probe, uint32_t ino)
{
	for (unsigned k = 0; k < probe; k++) {
		uint64_t w = atomic_load(&t[(start + k) % n]);
		if (w && rec_ino(w) == ino)
			return w;
	}
	return 0;
}

AC_HOT ac_epoch ac_ledger_release_epoch(ac_slot s, uint32_t ino, ac_epoch since, bool *complete)
{
	atomic_thread_fence(memory_order_seq_cst);
	struct lg_proc *p = slot_of(s);
	*complete = false;
	if (!p || ino == 0)
		return 0;
	uint64_t w = lookup(p->rel, LG_RELS, 0, LG_RELS, ino);
	struct lg_big *b = big_of(p);
	if (!w && b)
		w = lookup(b->rel, LG_BIG_RELS, hash(ino), LG_PROBE, ino);
	ac_epoch birth = atomic_load(&p->birth);
	ac_epoch ep = w ? birth + rec_age(w) : 0;
	if (w && ep == 0)
		ep = 1; /* released at epoch 0: still a release */
	/* A record older than `since` cannot be this holding's (the socket was
	 * got at `since`), so a dropped one only matters from there on. */
	*complete = atomic_load(&p->lost) < since || atomic_load(&p->lost) == 0;
	return ep;
}

AC_HOT int ac_ledger_each_child(ac_slot s, ac_epoch lo, ac_epoch hi, int (*visit)(ac_slot c, ac_epoch born_at, void *ctx),
			 void *ctx)
{
	struct lg_proc *p = slot_of(s);
	if (!p)
		return -1;
	if (!atomic_load(&p->forked))
		return 0;
	ac_epoch last = atomic_load(&p->last_fork);
	if (hi > last)
		hi = last; /* no child is younger than the latest fork */
	if (hi < lo)
		return 0;
	struct lg_big *b = big_of(p);
	if (!b || hi >= AC_EPOCH_MAX)
		return -1;
	int incomplete = 0;
	ac_epoch stop = lo;
	if (hi - lo >= LG_KIDS) {
		stop = hi - LG_KIDS + 1;
		incomplete = -1;
	}
	for (ac_epoch e = hi;; e--) {
		uint64_t w = atomic_load(&b->kids[e % LG_KIDS]);
		int order = w ? kid_tag_cmp(w, e) : -1;
		if (order == 0) {
			uint32_t gen24 = (uint32_t)(w >> KID_IDX_BITS) & ((1u << KID_GEN_BITS) - 1),
				 idx = (uint32_t)w & ((1u << KID_IDX_BITS) - 1);
			if (idx >= 1 && idx <= LG_PROCS) {
				struct lg_proc *kid = &lg->procs[idx - 1];
				uint64_t id = atomic_load(&kid->id);
				uint32_t gen = (uint32_t)(id >> 32);
				if ((gen & ((1u << KID_GEN_BITS) - 1)) != gen24)
					incomplete = -1; /* that child's slot was reused */
				else if (atomic_load(&kid->born_at) == e) {
					int r = visit(handle(idx, gen), e, ctx);
					if (r)
						return r;
				} /* else the tag of an epoch 2^26 away: not this one's */
			}
		} else if (order > 0) {
			incomplete = -1; /* overwritten by a later fork */
		}
		if (e == stop)
			break;
	}
	return incomplete;
}

/* A note is one word: the inode (32 bits), the fd (22: AC_TABLE_CAP is
 * 2^22), the low 9 bits of the entry's epoch, and 1 (never 0). */
#define NOTE_TAG_BITS 9
#define NOTE_FD_BITS 22
_Static_assert(1 + NOTE_TAG_BITS + NOTE_FD_BITS == 32, "a note is one word");

AC_HOT static uint64_t note_word(uint32_t ino, int fd, ac_epoch ep)
{
	uint32_t low = (uint32_t)fd << (1 + NOTE_TAG_BITS) | (uint32_t)(ep & ((1u << NOTE_TAG_BITS) - 1)) << 1 | 1;
	return (uint64_t)ino << 32 | low;
}

AC_HOT void ac_ledger_note_to_child(ac_slot c, uint32_t ino, int fd, ac_epoch ep)
{
	struct lg_proc *p = slot_of(c);
	if (p && ino)
		atomic_store(&p->pnote, fd >= 0 && fd < (1 << NOTE_FD_BITS) ? note_word(ino, fd, ep) : (uint64_t)ino << 32);
}

AC_HOT uint32_t ac_ledger_noted_ino(int fd, ac_epoch ep)
{
	atomic_thread_fence(memory_order_seq_cst);
	struct lg_proc *p = slot_of(ac_ledger_self());
	uint64_t w = p ? atomic_load(&p->pnote) : 0;
	if (!w || fd < 0 || fd >= (1 << NOTE_FD_BITS) || (uint32_t)w != (uint32_t)note_word(0, fd, ep))
		return 0;
	return rec_ino(w);
}

AC_HOT bool ac_ledger_note_from_parent(uint32_t ino)
{
	atomic_thread_fence(memory_order_seq_cst);
	struct lg_proc *p = slot_of(ac_ledger_self());
	uint64_t w = p ? atomic_load(&p->pnote) : 0;
	return w && rec_ino(w) == ino; /* whichever fd and entry it names */
}

/* --- reaping (hook_wait.c) ----------------------------------------------- */

AC_HOT void ac_ledger_reaped(long pid)
{
	ac_slot s = ac_ledger_self();
	struct lg_proc *me = slot_of(s);
	struct lg_big *b = me ? big_of(me) : NULL;
	if (!b || pid <= 0)
		return;
	ac_slot c = atomic_load_explicit(&b->reap[(unsigned long)pid % LG_REAP], memory_order_relaxed);
	struct lg_proc *kid = slot_of(c);
	if (!kid)
		return;
	uint64_t id = atomic_load(&kid->id);
	/* Ours, with that pid, not reused meanwhile (the exchange fails if the
	 * slot was taken again: another generation). */
	if (id_pid(id) != pid || (id & ID_REAPED) || atomic_load(&kid->parent) != s)
		return;
	atomic_compare_exchange_strong(&kid->id, &id, id | ID_REAPED);
}
