/* holders.c - does another live process still hold this socket?
 *
 * The question.  SO_LINGER belongs to the socket, not to the fd: after a
 * fork, or a hand-over with SCM_RIGHTS, several processes reference one
 * socket, and a disarm by one of them changes what the crash of another
 * sends.  So before this process disarms a socket it is letting go of
 * (ac_release), it asks: is there another process that holds it?  Yes: leave
 * it armed for that process.  No: disarm, the close is graceful.
 *
 * Candidates come from events the library saw, never from a scan of every
 * process:
 *   1. the fork tree (ledger.c): the socket was got by the origin process O
 *      at epoch G (this process, or the ancestor it came down from); the
 *      other holders can only be O and, recursively, the children a holder
 *      forked while it held the socket - those born in the epoch window
 *      [got, let go] of their parent.  Newest child first.  In a
 *      fork-per-connection server that window holds one child: the parent's
 *      close looks at its newest child (one kcmp), the handler child's close
 *      finds the parent's note in its own slot - "I let go of it, and you
 *      are the only child I forked meanwhile" - and looks no further (no
 *      system call, no page of the parent's).  A double fork's
 *      grandchild is found through the dead middle child's slot.
 *   2. SCM_RIGHTS peers (hook_sendmsg.c, hook_recvmsg.c): the process this
 *      one sent the socket to, the process it received it from
 *      (SO_PEERCRED of the UNIX socket).  A receiver's mark on the socket
 *      first (mark.c: one F_GETLK), else O(fds of that process).
 *   3. a socket that came from outside the ledger (inherited at exec or at
 *      load, e.g. inetd): the ledger's first process's parent and that
 *      parent's children, through /proc (O(siblings x fds)); the same, plus
 *      our own children, for a process that found no room in the ledger.
 *
 * Evidence for one candidate, in order:
 *   a. its own release record in the ledger ("let go of INODE at epoch X",
 *      or "released everything at exit"): not a holder.  Written before the
 *      looking (seq_cst), so of two holders closing at the same instant at
 *      least one sees the other's record and disarms (the tie of today's
 *      "board", now kept for good).  A holder found in another fork tree
 *      (exec'd since, an SCM_RIGHTS peer, outside the ledger) writes its
 *      records where we cannot see them: the answer says so (cross) and a
 *      closing release takes turns with it in tie.c;
 *   b. the kernel: /proc/PID/fd (procfd.c), same fd number first;
 *   c. when the kernel cannot be asked (non-dumpable process: EACCES; no
 *      /proc: ENOENT) and the candidate is a library process of this ledger
 *      that has not exec'd: it is a holder if it is alive and the same
 *      process (identity.c) and has no release record (and none was dropped
 *      for room).  The ledger is written only by the processes it describes,
 *      which could abort their own copy of the socket anyway.
 * When none can answer, the socket is disarmed (invariant 1: a graceful
 * close never loses data), and one info line names the reason
 * ("gave-up:..."): crash protection is lost for that connection.
 *
 * Everything here is raw system calls on stack buffers: no malloc, no lock,
 * no stdio (the close path, exit handlers). */
#include "state.h"
#include "identity.h"
#include "ledger.h"
#include "log.h"
#include "procfd.h"
#include "real.h"

#include <errno.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#define MAX_DEPTH 8       /* fork generations looked through */
#define MAX_VISITS 4096   /* processes looked at for one release */

struct question {
	int fd;
	uint32_t ino;
	ac_slot me;
	long my_pid;
	int visits;
	long found;       /* pid of a holder */
	ac_slot found_slot; /* its ledger slot, when found in the fork tree */
	ac_epoch found_born; /* and the fork epoch it was born at */
	ac_slot parent;   /* our parent's slot */
	ac_epoch my_birth;
	bool note;        /* the parent's note about this socket (ledger.h) */
	bool cross;       /* the holder found writes no release record we see (tie.c) */
	const char *why;  /* first reason an answer was unknown */
	long why_pid;
};

AC_HOT static void unknown(struct question *q, const char *why, long pid)
{
	if (!q->why) {
		q->why = why;
		q->why_pid = pid;
	}
}

/* The kernel's answer for pid; unknown when it cannot be asked. */
static enum ac_proc_answer ask_kernel(struct question *q, long pid)
{
	const char *why = NULL;
	enum ac_proc_answer a = ac_procfd_holds(q->my_pid, pid, q->fd, q->ino, &why);
	return a;
}

static int kernel_child(long pid, void *ctx);

/* Does process s (another one) hold the socket, got at its epoch got_at?
 * Returns its pid, 0 (no), -1 (unknown).  *let_go: its last epoch of holding
 * (the release record's, the exit's, or AC_EPOCH_MAX: maybe still now). */
AC_HOT static long holds(struct question *q, ac_slot s, const struct ac_lview *v, ac_epoch got_at, ac_epoch *let_go)
{
	bool complete;
	ac_epoch rel = ac_ledger_release_epoch(s, q->ino, got_at, &complete);
	*let_go = AC_EPOCH_MAX;
	if (rel) {
		*let_go = rel;
		return 0;
	}
	if (v->state == AC_LS_ALL_RELEASED) {
		*let_go = v->all_at;
		return 0;
	}
	if (v->pid <= 0) {
		/* Reserved, its pid not written yet: a fork that did not come
		 * through the fork() wrapper (glibc's own, e.g. forkpty), whose
		 * child has not run yet.  If it is ours, the kernel knows it:
		 * ask our children (O(children), for this rare case only). */
		if (q->me && v->parent == q->me) {
			int r = ac_procfd_each_child(q->my_pid, kernel_child, q);
			if (q->found)
				return q->found;
			if (r >= 0)
				return 0;
		}
		unknown(q, "child-not-started-", 0);
		return -1;
	}
	const char *why = "fd-table-unreadable-pid-";
	switch (ac_procfd_holds(q->my_pid, v->pid, q->fd, q->ino, &why)) {
	case AC_PROC_YES:
		/* Since its exec it records its releases in a ledger of its own. */
		if (v->state == AC_LS_EXECED)
			q->cross = true;
		return v->pid;
	case AC_PROC_NO:
		return 0; /* the kernel wins */
	case AC_PROC_UNREADABLE:
		break;
	}
	if (v->state == AC_LS_EXECED) {
		unknown(q, why[0] == 'n' ? "no-proc-and-exec-pid-" : "fd-table-unreadable-and-exec-pid-", v->pid);
		return -1;
	}
	switch (ac_id_alive(v->pid, v->start, v->start_hi)) {
	case AC_DEAD:
		return 0;
	case AC_ALIVE:
		if (complete)
			return v->pid; /* trusted: it has not let go */
		unknown(q, "fd-table-unreadable-ledger-records-dropped-pid-", v->pid);
		return -1;
	case AC_ALIVE_UNKNOWN:
		break;
	}
	unknown(q, why[0] == 'n' ? "no-proc-identity-unknown-pid-" : "fd-table-unreadable-identity-unknown-pid-", v->pid);
	return -1;
}

/* Children through the kernel when the ledger cannot list them all. */
static int kernel_child(long pid, void *ctx)
{
	struct question *q = ctx;
	if (pid == q->my_pid)
		return 0;
	switch (ask_kernel(q, pid)) {
	case AC_PROC_YES:
		q->found = pid;
		q->cross = true;
		return 1;
	case AC_PROC_UNREADABLE:
		unknown(q, "child-fd-table-unreadable-pid-", pid);
		return 0;
	case AC_PROC_NO:
		break;
	}
	return 0;
}

struct walk {
	struct question *q;
	int depth;
};

static int visit_tree(struct question *q, ac_slot s, ac_epoch got_at, int depth);

AC_HOT static int visit_child(ac_slot c, ac_epoch born_at, void *ctx)
{
	struct walk *w = ctx;
	ac_epoch birth;
	if (!ac_ledger_birth(c, &birth)) {
		unknown(w->q, "ledger-slot-reused-", 0);
		return 0;
	}
	/* The child got the socket at its birth (its own epoch numbering). */
	int r = visit_tree(w->q, c, birth, w->depth + 1);
	if (r && w->q->found && !w->q->found_slot) {
		w->q->found_slot = c;
		w->q->found_born = born_at;
	}
	return r;
}

/* Look at process s, which got the socket at epoch got_at, and at the
 * children it forked while it held it.  Returns 1 when a holder was found. */
AC_HOT static int visit_tree(struct question *q, ac_slot s, ac_epoch got_at, int depth)
{
	struct ac_lview v;
	if (++q->visits > MAX_VISITS) {
		unknown(q, "too-many-processes-", 0);
		return 1; /* stop looking: q->found stays 0 */
	}
	if (!ac_ledger_read(s, &v)) {
		unknown(q, "ledger-slot-reused-", 0);
		return 0;
	}
	ac_epoch let_go = AC_EPOCH_MAX;
	if (s != q->me) {
		long h = holds(q, s, &v, got_at, &let_go);
		if (h > 0) {
			q->found = h;
			return 1;
		}
	}
	if (!v.forked)
		return 0;
	if (depth >= MAX_DEPTH) {
		unknown(q, "fork-tree-too-deep-", v.pid);
		return 0;
	}
	struct walk w = {q, depth};
	int r = ac_ledger_each_child(s, got_at, let_go, visit_child, &w);
	if (r > 0 || q->found)
		return 1;
	if (r < 0) {
		/* Some children are not in the ledger's ring: ask the kernel for the
		 * live children of s (their own children stay unseen). */
		if (v.pid <= 0 || ac_id_alive(v.pid, v.start, v.start_hi) == AC_DEAD ||
		    ac_procfd_each_child(v.pid, kernel_child, q) < 0)
			unknown(q, "children-not-in-ledger-pid-", v.pid);
		if (q->found)
			return 1;
	}
	return 0;
}

struct first {
	ac_slot c;
	ac_epoch born;
};

AC_HOT static int first_child(ac_slot c, ac_epoch born_at, void *ctx)
{
	struct first *f = ctx;
	f->c = c;
	f->born = born_at;
	return 1;
}

/* The common case, asked first and on small frames: a forking server's
 * close right after its fork, whose newest child holds the socket at the
 * same fd number - no release record of it, and kcmp says the same file.
 * The answer visit_tree's first visit gives (holds(): record, state, then
 * the kernel at the same number), without the search's frames: after each
 * fork the parent pays a copy-on-write fault for every stack page it
 * writes, and those frames reached about 400 bytes below anything else the
 * parent writes per connection (bench/fork-faults.sh: one fault at nearly
 * every fork in runs whose stack layout put that below a page boundary).
 * Returns the holder's pid; 0: the search answers (it asks again). */
AC_HOT __attribute__((noinline)) static long newest_child_quick(int fd, uint32_t ino, ac_epoch ep, long my_pid, ac_slot me, struct first *f)
{
	struct ac_lview v;
	bool complete;
	if (ac_ledger_each_child(me, ep, AC_EPOCH_MAX, first_child, f) <= 0 || !ac_ledger_read(f->c, &v) ||
	    v.parent != me || v.pid <= 0 || v.state == AC_LS_ALL_RELEASED || v.state == AC_LS_EXECED ||
	    ac_ledger_release_epoch(f->c, ino, v.birth, &complete) != 0)
		return 0;
	return ac_procfd_same_fd(my_pid, v.pid, fd) == 1 ? v.pid : 0;
}

/* The socket of fd: its inode, or 0 when fd is not a socket (a stale entry
 * on a number a pipe or a file got), -1 when fd is not open.  Not inlined:
 * struct stat stays off the stack of the search. */
AC_HOT __attribute__((noinline)) static long socket_ino(int fd)
{
	struct stat st;
	if (ac_fstat(fd, &st) != 0)
		return -1;
	return S_ISSOCK(st.st_mode) ? (long)(uint32_t)st.st_ino : 0;
}

__attribute__((noinline)) static void log_gave_up(int fd, const char *why, long pid)
{
	char ev[96] = "gave-up:";
	size_t n = 8;
	for (const char *w = why; *w && n < sizeof ev - 1; w++)
		ev[n++] = *w;
	ev[n] = 0;
	ac_log_fd(AC_LEVEL_INFO, fd, ev, pid);
}

AC_HOT static int any_child(ac_slot c, ac_epoch born_at, void *ctx)
{
	(void)c;
	(void)born_at;
	(void)ctx;
	return 1;
}

/* We let go of socket ino (at fd, entry epoch ep) and our child c (born at
 * born) holds it: if no other child of ours was born while we held it, tell
 * it so, naming fd and the epoch c sees in its entry for it (an older one
 * than ep when the overlay made ours younger: fdtable.h). */
AC_HOT __attribute__((noinline)) static void note_to_child(ac_slot me, uint32_t ino, int fd, ac_slot c, ac_epoch born,
							   ac_epoch ep)
{
	if (!c || born <= ep || ac_ledger_each_child(me, ep, born - 1, any_child, NULL) != 0)
		return;
	struct ac_lview v;
	if (ac_ledger_read(c, &v) && v.parent == me)
		ac_ledger_note_to_child(c, ino, fd, ac_inherited_epoch(fd));
}

/* A socket that came into the ledger from outside (exec, inherited at load):
 * the parent of the ledger's first process, and its children. */
static void outside(struct question *q, long ppid)
{
	if (ppid <= 1)
		return; /* init, or none: it does not pass sockets on */
	switch (ask_kernel(q, ppid)) {
	case AC_PROC_YES:
		q->found = ppid;
		q->cross = true;
		return;
	case AC_PROC_UNREADABLE:
		unknown(q, "parent-fd-table-unreadable-not-in-ledger-pid-", ppid);
		break;
	case AC_PROC_NO:
		break;
	}
	if (ac_procfd_each_child(ppid, kernel_child, q) < 0)
		unknown(q, "parent-children-unreadable-pid-", ppid);
}

/* The SCM_RIGHTS peer (receiver of what we sent, sender of what we got). */
AC_HOT static void peer(struct question *q, long pid)
{
	if (q->found || pid == 0)
		return;
	/* A receiver that still holds it has its mark on it (mark.c): one
	 * system call, instead of reading the fd table of the receiver, or of
	 * each of our children. */
	long marked = ac_marked_by_other(q->fd);
	if (marked > 0) {
		q->found = marked;
		q->cross = true;
		return;
	}
	if (pid < 0) {
		/* Sent where SO_PEERCRED could not name the receiver. */
		unknown(q, "peer-unknown-pid-", q->my_pid);
		return;
	}
	if (pid == q->my_pid) {
		/* SO_PEERCRED of a socketpair() end names the process that made
		 * the pair, on both ends (net/unix/af_unix.c unix_socketpair ->
		 * init_peercred), so a pair we made and then passed one end of to
		 * a child names us: Node's cluster primary and its workers (the
		 * IPC channel is a socketpair, the worker fork+exec'd).  The
		 * receiver is then one of our children: ask the kernel about each
		 * (O(their fds); our own fds are not a hand-over). */
		if (ac_procfd_each_child(q->my_pid, kernel_child, q) < 0)
			unknown(q, "children-unreadable-pid-", q->my_pid);
		return;
	}
	switch (ask_kernel(q, pid)) {
	case AC_PROC_YES:
		q->found = pid;
		q->cross = true;
		break;
	case AC_PROC_UNREADABLE:
		unknown(q, "peer-fd-table-unreadable-pid-", pid);
		break;
	case AC_PROC_NO:
		break;
	}
}

/* A fork on another thread began before our release record (its child is
 * in our window: others will count on it) and has not copied us yet: it
 * may copy our fd table before our real close and our memory after another
 * thread reused the fd number (fork_window.c, "Closed"), so that child
 * could hold the socket without its entry.  Kept armed for the holder we
 * found, the socket could then end with RST at that child's graceful close.
 * (A fork that completed meanwhile copied the entry with the fd; one that
 * begins after the record is outside the window.) */
AC_HOT static bool forking_now(void)
{
	return ac_epoch_raw() >= AC_FORKING_ONE;
}

/* Everything but the common case (newest_child_quick). */
__attribute__((noinline)) static int search(int fd, uint32_t ino, long my_pid, ac_slot me, ac_epoch ep, ac_epoch cur,
					    long sent_to, bool *cross)
{
	struct question q = {.fd = fd, .ino = ino, .my_pid = my_pid, .me = me};
	if (ac_made_since_last_fork(ep, cur)) {
		peer(&q, sent_to); /* only a peer */
	} else if (!q.me) {
		/* Not in a ledger (no room at our fork, no mapping): the kernel
		 * only - our children, our parent and its children (the previous
		 * model's search, O(processes x fds)). */
		if (ep < cur && ac_procfd_each_child(q.my_pid, kernel_child, &q) < 0)
			unknown(&q, "children-unreadable-not-in-ledger-pid-", q.my_pid);
		if (!q.found && ep < ac_birth_epoch())
			outside(&q, ac_sys(SYS_getppid, 0, 0, 0, 0, 0, 0));
		peer(&q, sent_to);
	} else {
		/* Up to the process that got the socket. */
		ac_slot origin = q.me;
		struct ac_lview v;
		if (ac_ledger_read(q.me, &v)) {
			q.parent = v.parent;
			q.my_birth = v.birth;
			if (ep < v.birth)
				q.note = ac_ledger_note_from_parent(q.ino);
		}
		if (q.note) {
			/* The parent's note (ledger.h): it got the socket itself
			 * (it notes only as the origin), let go of it, and we are
			 * the only child it forked meanwhile: only our own subtree
			 * is left.  The parent's slot is not read: in a server
			 * with hundreds of children it is on a page of the ledger
			 * the handler touches nowhere else (a fault per handler). */
			visit_tree(&q, q.me, q.my_birth, 1);
		} else {
			bool from_outside = false;
			long ext = 0;
			for (int up = 0; ac_ledger_read(origin, &v) && ep < v.birth; up++) {
				if (!v.parent || up > 64) {
					from_outside = true;
					ext = v.ext_ppid;
					break;
				}
				origin = v.parent;
			}
			if (from_outside)
				outside(&q, ext);
			if (!q.found)
				visit_tree(&q, origin, ep, 0);
			if (q.found && origin == q.me)
				note_to_child(q.me, q.ino, q.fd, q.found_slot, q.found_born, ep);
		}
		peer(&q, sent_to);
	}
	*cross = q.cross;
	if (q.found)
		return (int)q.found;
	if (q.why) {
		if (ac_log_enabled(AC_LEVEL_INFO))
			log_gave_up(fd, q.why, q.why_pid);
		return -1;
	}
	return 0;
}

/* The socket of fd as the parent's note names it (ledger.h): a forked
 * handler's close of the connection its parent already let go of needs no
 * fstat.  Only for the entry the fork gave us, unchanged: made before our
 * birth and never dup'd (a dup2 of another inherited socket onto fd would
 * bring an entry of the same epoch that the note is not about).  0: ask
 * the kernel. */
AC_HOT static long noted_socket(int fd, ac_entry e)
{
	ac_epoch ep = ac_entry_epoch(e);
	if ((e & AC_F_ALIASED) || ep >= ac_birth_epoch())
		return 0;
	return ac_ledger_noted_ino(fd, ep);
}

/* The inode of fd's socket: from the parent's note, else fstat (socket_ino). */
AC_HOT static long socket_of(int fd, ac_entry e)
{
	long ino = noted_socket(fd, e);
	return ino ? ino : socket_ino(fd);
}

/* Does process pid still hold the socket of fd (entry e)?  1 yes, 0 no, -1
 * cannot tell.  The kernel only: tie.c asks it under its lock. */
int ac_still_holds(int fd, ac_entry e, int pid)
{
	int saved = errno;
	long ino = socket_of(fd, e);
	int r = -1;
	if (ino > 0) {
		const char *why = NULL;
		switch (ac_procfd_holds(ac_ledger_pid(), pid, fd, (uint32_t)ino, &why)) {
		case AC_PROC_YES:
			r = 1;
			break;
		case AC_PROC_NO:
			r = 0;
			break;
		case AC_PROC_UNREADABLE:
			break;
		}
	}
	AC_ERRNO_RESTORE(saved);
	return r;
}

AC_HOT int ac_find_other_holder(int fd, ac_entry e, bool *cross)
{
	int saved = errno;
	*cross = false;
	long ino = socket_of(fd, e);
	int result = ino < 0 ? -1 : 0; /* not open; not a socket */
	if (ino <= 0)
		goto out;
	long my_pid = ac_ledger_pid();
	ac_slot me = ac_ledger_self();
	ac_epoch ep = ac_entry_epoch(e), cur = ac_epoch_now(), birth;
	/* The record first, then the looking: see the top of this file. */
	ac_ledger_released((uint32_t)ino, cur);
	long sent_to = ac_peer_get(fd);
	struct first f = {0, 0};
	long pid;
	if (me && !ac_made_since_last_fork(ep, cur) && ac_ledger_birth(me, &birth) &&
	    ep >= birth && (pid = newest_child_quick(fd, (uint32_t)ino, ep, my_pid, me, &f)) > 0) {
		/* Got here (not from a parent): the search's origin is us. */
		note_to_child(me, (uint32_t)ino, fd, f.c, f.born, ep);
		result = (int)pid;
	} else
		result = search(fd, (uint32_t)ino, my_pid, me, ep, cur, sent_to, cross);
	if (result > 0 && forking_now()) {
		result = -1;
		if (ac_log_enabled(AC_LEVEL_INFO))
			log_gave_up(fd, "forked-while-closing-it", 0);
	}
out:
	AC_ERRNO_RESTORE(saved);
	return result;
}
