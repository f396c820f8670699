/* unwind.c - is this thread unwinding from an exception right now?
 *
 * Model.  A connection object dropped while its thread unwinds from an error
 * (a C++ exception leaving the handler, a Rust panic with panic=unwind) is
 * closed by a destructor / drop glue that runs inside a landing pad.  That
 * close() looks purposeful, but the program did not finish the response: it
 * must stay armed (RST).  ac_thread_unwinding() answers, for the calling
 * thread, "is an exception propagating through this thread's frames now?":
 *
 *  - C++ (libstdc++ and libc++abi alike): __cxa_eh_globals.uncaughtExceptions
 *    of this thread, which is what std::uncaught_exceptions() returns.
 *    __cxa_throw and std::rethrow_exception / __cxa_rethrow increment it
 *    before they call _Unwind_RaiseException; __cxa_begin_catch (the first
 *    thing a catch block does) decrements it.  So a caught exception, a
 *    rethrow that was caught again, a live std::exception_ptr, and a
 *    destructor run inside a catch block all see 0.  The runtime is found
 *    with dlsym only when a C++ exception is first raised (our
 *    _Unwind_RaiseException below sees its class): a C program never loads
 *    or looks up libstdc++, and pays one NULL pointer test per release.
 *
 *  - Rust (panic=unwind, linux-gnu: std calls libgcc_s dynamically): the
 *    panic is an _Unwind_Exception of class "MOZ\0RUST" raised with
 *    _Unwind_RaiseException (library/panic_unwind/src/gcc.rs).  Rust's catch
 *    (catch_unwind, the catch_unwind around every thread's main and around
 *    main) calls no libgcc function: __rust_panic_cleanup just takes the Box
 *    back.  What libgcc does tell us (unwind.inc, unwind-dw2.c): phase 1
 *    finds the handler frame and stores its identity in exc->private_2
 *    (uw_identify_context = the frame's CFA, minus 1 for a signal frame);
 *    phase 2 calls the personality of each frame up to that one, and the
 *    personality installs a landing pad with _Unwind_SetIP(context, lpad)
 *    (library/std/src/personality/gcc.rs, for cleanup and catch alike).
 *    Drop glue runs in the cleanup landing pads, between the raise and the
 *    next _Unwind_Resume.  So the window of this thread is:
 *      opened by _Unwind_RaiseException(Rust exception),
 *      closed by _Unwind_SetIP on the context whose CFA is exc->private_2
 *      (the catch landing pad is being installed), by _Unwind_DeleteException
 *      of it (a foreign runtime caught it), or by _Unwind_RaiseException
 *      returning (no handler: Rust aborts, RST anyway).
 *    Drops after catch_unwind returned, or after a panicked thread was
 *    joined, are outside it.  Drops that shared the catch's own landing pad
 *    would not be seen (FIN, the safe side); with rustc 1.63 and 1.95 the
 *    closure's drops, even inlined, run in frames below the catch
 *    (test/unwind).  _Unwind_Resume needs no hook: it continues the same
 *    exception, in the same window.  Rust aborts on a panic during a panic,
 *    so one slot per thread is enough; a second raise replaces the slot, and
 *    an early clear can only disarm (FIN, invariant 1).
 *    A safety net for a catch that is not seen: drop glue runs in frames
 *    below the handler frame, so a check made from above its CFA means that
 *    frame has returned, and the window is closed there.
 *
 *  - C++ whose runtime exports no __cxa_get_globals (libstdc++ linked in
 *    statically, even when a libstdc++.so is loaded too: the exception's
 *    exception_cleanup tells its runtime) is followed by the same window; a destructor that shares
 *    the catch's landing pad (try block and catch in one function) is then
 *    not seen: FIN.
 *
 * Interposing _Unwind_* from a preload is legal: libgcc_s.so.1 is a shared
 * library, callers (libstdc++, Rust's std, libgcc_s itself for rethrow) bind
 * to the first definition in the global scope, and an unversioned definition
 * satisfies their GCC_3.0 references (glibc dl-lookup.c check_match).  The
 * real functions are found with dlvsym(RTLD_NEXT), or in an already loaded
 * libgcc_s (RTLD_NOLOAD) when it came in with a local dlopen.  An extra C
 * frame between the caller and the real raise is unwound through like any
 * frame with CFI and no personality.  A program with a static libgcc_eh
 * binds its own copies and is not seen (its unwinding closes stay FIN).
 * Other languages (Python, Java, Go) unwind without libgcc: not seen.
 */
#include "state.h"
#include "log.h"

#include <dlfcn.h>
#include <link.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unwind.h>

/* "MOZ\0RUST": Rust up to 1.7x wrote u64::from_be_bytes(*b"MOZ\0RUST")
 * (Debian 12's 1.63 does), later versions u64::from_ne_bytes (the bytes in
 * memory order: on x86-64 the value below, byte-swapped). */
#define RUST_CLASS_BE 0x4d4f5a0052555354ull
#define RUST_CLASS_NE_LE 0x54535552005a4f4dull
#define IS_RUST_CLASS(c) ((c) == RUST_CLASS_BE || (c) == RUST_CLASS_NE_LE)
/* "GNUCC++\0"/"\1" (libstdc++), "CLNGC++\0"/"\1" (libc++abi): bytes 4-6. */
#define IS_CXX_CLASS(c) ((((c) >> 8) & 0xffffffu) == 0x432b2bu)

/* The start of __cxa_eh_globals, the same in libstdc++ and libc++abi. */
struct cxa_eh_globals {
	void *caught_exceptions;
	unsigned int uncaught_exceptions;
};
typedef struct cxa_eh_globals *(*cxa_get_globals_fn)(void);
static _Atomic(cxa_get_globals_fn) cxa_get_globals;

/* The exception propagating on this thread that is tracked by its window
 * (Rust's; C++'s without a visible runtime), NULL if none, and the CFA
 * of its handler frame (from exc->private_2, copied at the first landing pad:
 * the exception itself is freed at the catch), 0 until then. */
static __thread struct _Unwind_Exception *window_exc __attribute__((tls_model("initial-exec")));
static __thread uintptr_t window_cfa __attribute__((tls_model("initial-exec")));

typedef _Unwind_Reason_Code (*raise_fn)(struct _Unwind_Exception *);
typedef void (*set_ip_fn)(struct _Unwind_Context *, _Unwind_Ptr);
typedef _Unwind_Word (*get_cfa_fn)(struct _Unwind_Context *);
typedef void (*delete_fn)(struct _Unwind_Exception *);
static void *_Atomic slot_raise, *_Atomic slot_set_ip, *_Atomic slot_get_cfa, *_Atomic slot_delete;

/* The handle of an object already loaded whose file name starts with
 * prefix ("libgcc_s.so"), or NULL: found in the loader's list
 * (dl_iterate_phdr), then opened by its full name with RTLD_NOLOAD, which
 * matches the loaded object by name: no file is looked up or opened. */
struct find_loaded {
	const char *prefix;
	char path[512];
};

static int match_loaded(struct dl_phdr_info *info, size_t size, void *data)
{
	struct find_loaded *f = data;
	(void)size;
	const char *name = info->dlpi_name, *base = strrchr(name, '/');
	base = base ? base + 1 : name;
	size_t n = strlen(name);
	if (strncmp(base, f->prefix, strlen(f->prefix)) != 0 || n >= sizeof f->path)
		return 0;
	memcpy(f->path, name, n + 1);
	return 1;
}

static void *loaded_handle(const char *prefix)
{
	struct find_loaded f = {prefix, ""};
	if (!dl_iterate_phdr(match_loaded, &f) || !f.path[0])
		return NULL;
	return dlopen(f.path, RTLD_LAZY | RTLD_NOLOAD);
}

static void *next_symbol(const char *name, const char *version)
{
	void *p = dlvsym(RTLD_NEXT, name, version);
	if (!p)
		p = dlsym(RTLD_NEXT, name);
	if (!p) { /* libgcc_s came in with a local dlopen: not in our scope */
		void *h = loaded_handle("libgcc_s.so");
		if (h) {
			p = dlvsym(h, name, version);
			if (!p)
				p = dlsym(h, name);
			dlclose(h); /* NOLOAD took a reference: give it back */
		}
	}
	return p;
}

/* Never on the close path: only the unwinder's own entry points call it. */
static void *real_fn(void *_Atomic *slot, const char *name, const char *version)
{
	void *p = atomic_load_explicit(slot, memory_order_acquire);
	if (AC_LIKELY(p != NULL))
		return p;
	int saved = errno;
	p = next_symbol(name, version);
	AC_ERRNO_RESTORE(saved);
	atomic_store_explicit(slot, p, memory_order_release);
	return p;
}

/* The first C++ raise: its runtime is loaded; find its per-thread globals,
 * once (a libstdc++ linked in statically exports none: then the window). */
static _Atomic int cxx_looked_up;

static void find_cxx_runtime(void)
{
	static const char *const runtimes[] = {"libstdc++.so", "libc++abi.so"};
	if (atomic_exchange_explicit(&cxx_looked_up, 1, memory_order_acq_rel))
		return;
	int saved = errno;
	void *p = dlsym(RTLD_DEFAULT, "__cxa_get_globals");
	for (size_t i = 0; !p && i < sizeof runtimes / sizeof runtimes[0]; i++) {
		void *h = loaded_handle(runtimes[i]); /* a local dlopen */
		if (h) {
			p = dlsym(h, "__cxa_get_globals");
			dlclose(h);
		}
	}
	AC_ERRNO_RESTORE(saved);
	if (p)
		atomic_store_explicit(&cxa_get_globals, (cxa_get_globals_fn)p, memory_order_release);
}

/* uw_identify_context() is the CFA, minus 1 for a signal frame (CFAs are
 * aligned, so CFA - 1 is never another frame's identity). */
static bool is_handler_frame(uintptr_t cfa, uintptr_t handler)
{
	return cfa == handler || cfa - 1 == handler;
}

/* An exception is recorded on this thread: is it still propagating?
 * Drop glue runs in frames below the handler frame.  A check made above it
 * means the handler frame has returned: a catch we did not see (a
 * personality that installs without _Unwind_SetIP).  Forget the exception
 * rather than abort every later close of the thread (invariant 1).
 * Out of line: the frame address would cost the common path a frame. */
static __attribute__((noinline)) bool window_open(void)
{
	uintptr_t here = (uintptr_t)__builtin_frame_address(0);
	if (window_cfa == 0 || here < window_cfa)
		return true;
	window_exc = NULL;
	window_cfa = 0;
	return false;
}

AC_HOT bool ac_thread_unwinding(void)
{
	if (AC_UNLIKELY(window_exc != NULL) && window_open())
		return true;
	cxa_get_globals_fn g = atomic_load_explicit(&cxa_get_globals, memory_order_acquire);
	if (AC_LIKELY(g == NULL))
		return false; /* no C++ exception was ever raised in this process */
	const struct cxa_eh_globals *eh = g(); /* a TLS address, no allocation */
	return eh && eh->uncaught_exceptions > 0;
}

/* Is exc counted by the runtime whose __cxa_get_globals we read?  Two
 * runtimes can live in one process (a program with libstdc++ linked in, and
 * a libstdc++.so brought by a plugin or a sanitizer): an exception belongs
 * to the object that holds its exception_cleanup function.  The answer per
 * cleanup function (a runtime has two: primary and dependent exceptions) is
 * cached, so dladdr runs once per function, not per throw. */
#define CLEANUP_CACHE 4
static void *_Atomic counted_cleanup[CLEANUP_CACHE], *_Atomic windowed_cleanup[CLEANUP_CACHE];

static bool in_cache(void *_Atomic *cache, void *fn)
{
	for (int i = 0; i < CLEANUP_CACHE; i++)
		if (atomic_load_explicit(&cache[i], memory_order_acquire) == fn)
			return true;
	return false;
}

static void remember(void *_Atomic *cache, void *fn)
{
	for (int i = 0; i < CLEANUP_CACHE; i++) {
		void *empty = NULL;
		if (atomic_compare_exchange_strong(&cache[i], &empty, fn) || empty == fn)
			return;
	}
}

static bool counted_by_runtime(struct _Unwind_Exception *exc, cxa_get_globals_fn g)
{
	void *fn = (void *)exc->exception_cleanup;
	if (!fn || in_cache(counted_cleanup, fn))
		return true;
	if (in_cache(windowed_cleanup, fn))
		return false;
	int saved = errno;
	Dl_info a, b;
	bool same = dladdr(fn, &a) && dladdr((void *)g, &b) && a.dli_fbase == b.dli_fbase;
	AC_ERRNO_RESTORE(saved);
	remember(same ? counted_cleanup : windowed_cleanup, fn);
	return same;
}

AC_EXPORT _Unwind_Reason_Code _Unwind_RaiseException(struct _Unwind_Exception *exc)
{
	raise_fn real = (raise_fn)real_fn(&slot_raise, "_Unwind_RaiseException", "GCC_3.0");
	if (!real)
		return _URC_FATAL_PHASE1_ERROR; /* no unwinder: the runtime terminates */
	_Unwind_Exception_Class cls = exc->exception_class;
	bool windowed = IS_RUST_CLASS(cls);
	if (IS_CXX_CLASS(cls)) {
		if (!atomic_load_explicit(&cxa_get_globals, memory_order_acquire))
			find_cxx_runtime();
		cxa_get_globals_fn g = atomic_load_explicit(&cxa_get_globals, memory_order_acquire);
		/* A runtime that does not export its globals (libstdc++ linked
		 * in statically): the window instead of the count. */
		windowed = !g || !counted_by_runtime(exc, g);
	}
	if (windowed) {
		/* Resolve now what the catch will need: not from the personality. */
		real_fn(&slot_set_ip, "_Unwind_SetIP", "GCC_3.0");
		real_fn(&slot_get_cfa, "_Unwind_GetCFA", "GCC_3.3");
		window_exc = exc;
		window_cfa = 0;
	}
	_Unwind_Reason_Code r = real(exc);
	/* Only a raise that could not start returns (no handler: end of stack,
	 * phase 1 error): nothing propagates any more. */
	if (window_exc == exc) {
		window_exc = NULL;
		window_cfa = 0;
	}
	return r;
}

AC_EXPORT void _Unwind_SetIP(struct _Unwind_Context *ctx, _Unwind_Ptr ip)
{
	set_ip_fn real = (set_ip_fn)real_fn(&slot_set_ip, "_Unwind_SetIP", "GCC_3.0");
	struct _Unwind_Exception *exc = window_exc;
	if (AC_UNLIKELY(exc != NULL)) {
		get_cfa_fn cfa = (get_cfa_fn)atomic_load_explicit(&slot_get_cfa, memory_order_acquire);
		/* Phase 1 is over (exc->private_2 is the handler frame) and exc is
		 * alive: this is the place to read it. */
		if (window_cfa == 0)
			window_cfa = (uintptr_t)exc->private_2;
		/* The handler frame of phase 1 gets its landing pad: the catch. */
		if (cfa && is_handler_frame((uintptr_t)cfa(ctx), window_cfa)) {
			window_exc = NULL;
			window_cfa = 0;
		}
	}
	if (real)
		real(ctx, ip);
}

AC_EXPORT void _Unwind_DeleteException(struct _Unwind_Exception *exc)
{
	delete_fn real = (delete_fn)real_fn(&slot_delete, "_Unwind_DeleteException", "GCC_3.0");
	if (window_exc == exc) { /* a foreign runtime caught it and frees it */
		window_exc = NULL;
		window_cfa = 0;
	}
	if (real)
		real(exc);
}

/* why names the release ("close", "dup2", "exec"...); the exit policy's
 * releases ("exit", "exit-status-0") are its own decision. */
AC_HOT static bool is_exit_release(const char *why)
{
	return why[0] == 'e' && why[1] == 'x' && why[2] == 'i' && why[3] == 't';
}

AC_HOT bool ac_close_keeps_armed(int fd, const char *why)
{
	/* The common case first: two policy loads and the unwinding test. */
	bool on_close_rst = ac_policy.on_close == AC_CLOSE_RST;
	if (AC_LIKELY(!on_close_rst) &&
	    (ac_policy.on_unwind != AC_UNWIND_RST || AC_LIKELY(!ac_thread_unwinding())))
		return false;
	if (is_exit_release(why))
		return false;
	ac_log_fd(AC_LEVEL_DEBUG, fd, on_close_rst ? "kept-armed:on-close-rst" : "kept-armed:unwinding", 0);
	return true;
}
