/* sandbox.h - the library under seccomp (sandbox.c). */
#ifndef ABORTCLOSE_SANDBOX_H
#define ABORTCLOSE_SANDBOX_H

#include <stdbool.h>

/* Constructor, before anything else issues a system call of the library's
 * own: is a seccomp filter (or strict mode) already in force, or cannot it
 * be told?  Then the library must pass everything through; *why names the
 * reason for the info line. */
bool ac_sandbox_present_at_load(const char **why);

/* One info line saying the library stepped back at load, and why (written
 * with the calls the loader itself just made: openat, write to stderr). */
void ac_sandbox_say_at_load(const char *why);

/* A filter is about to go in: op/flags/prog as given to seccomp(2) (prctl's
 * PR_SET_SECCOMP is mapped to the same).  Steps the library back for good
 * when the filter would refuse any of its own calls. */
void ac_sandbox_before(unsigned long op, unsigned long flags, const void *prog, const char *via);

#endif
