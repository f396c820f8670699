/* exec_target.h - see exec_target.c. */
#ifndef ABORTCLOSE_EXEC_TARGET_H
#define ABORTCLOSE_EXEC_TARGET_H

#include <stdbool.h>

/* Will path (relative to dirfd, fstatat flags) run under this library with
 * environment envp?  false when it cannot be told. */
bool ac_exec_keeps_us(int dirfd, const char *path, int at_flags, char *const envp[]);

/* The same question: NULL for yes, else a word saying why not
 * ("environment-without-LD_PRELOAD", "program-static-setuid-or-unreadable"...). */
const char *ac_exec_refusal(int dirfd, const char *path, int at_flags, char *const envp[]);

/* The file execvp(file) would run, in buf (or file itself if it has a '/');
 * NULL if none is found. */
const char *ac_exec_search(const char *file, char buf[4096]);

/* spawn.c: a vfork child is about to exec path with envp (its verdict, for
 * the parent). */
void ac_spawn_note_exec(int dirfd, const char *path, int at_flags, char *const envp[]);

#endif
