/* export.h - which symbols leave the library, and the few compiler-level
 * helpers every file of it uses (branch hints, the per-connection text
 * subsection, errno).
 *
 * The library is built with -fvisibility=hidden: nothing is exported unless it
 * is marked AC_EXPORT, and only the interposed libc functions are.  Internal
 * helpers then cannot be interposed by the host program, and calls between
 * them do not go through the PLT. */
#ifndef ABORTCLOSE_EXPORT_H
#define ABORTCLOSE_EXPORT_H

#define AC_EXPORT __attribute__((visibility("default")))
#define AC_HIDDEN __attribute__((visibility("hidden")))
#define AC_LIKELY(x) __builtin_expect(!!(x), 1)
#define AC_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* The code a fork-per-connection server runs at each connection (accept,
 * fork, both closes), kept together in one subsection (the linker's script
 * gathers .text.hot.*): a freshly forked child faults in each page of text
 * it runs (fork does not copy the page tables of file mappings), and spread
 * over the library these functions cost it several. */
#define AC_HOT __attribute__((section(".text.hot.abortclose")))

/* errno without a call of libc's __errno_location().  errno is an
 * initial-exec TLS variable of libc: its offset from the thread pointer is
 * the same in every thread (the static TLS block, fixed at load), so the
 * constructor reads it once (init.c).  The call it replaces is in a page of
 * libc's text that a freshly forked child has not mapped yet: a page fault
 * in the child's first close (measured: perf record -e page-faults). */
#include <errno.h>
extern long ac_errno_offset; /* 0 until the constructor has run */
static inline int *ac_errno_location(void)
{
	long off = ac_errno_offset;
	return AC_LIKELY(off != 0) ? (int *)((char *)__builtin_thread_pointer() + off) : __errno_location();
}
#undef errno
#define errno (*ac_errno_location())

/* Put errno back, only if it changed: errno is in this thread's TLS page,
 * and after a fork even a store of the same value costs a copy-on-write fault
 * of that page (measured here: about 4 us, as much as the rest of a close). */
#define AC_ERRNO_RESTORE(saved)                        \
	do {                                           \
		if (AC_UNLIKELY(errno != (saved)))     \
			errno = (saved);               \
	} while (0)

#endif
