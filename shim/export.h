/* export.h - which symbols leave the library.
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

/* Put errno back, only if it changed: errno is in this thread's TLS page,
 * and after a fork even a store of the same value costs a copy-on-write fault
 * of that page (measured here: about 4 us, as much as the rest of a close). */
#define AC_ERRNO_RESTORE(saved)                        \
	do {                                           \
		if (AC_UNLIKELY(errno != (saved)))     \
			errno = (saved);               \
	} while (0)

#endif
