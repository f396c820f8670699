/* fmt.h - async-signal-safe formatting into a caller's buffer.
 *
 * Each helper writes at p, never at or past end, and returns the new end of
 * the text (no terminating NUL: the caller adds it).  No locale, no stdio,
 * no malloc: they run on the close path, in exit handlers and in signal
 * handlers (log lines, /proc paths, "socket:[INODE]" link targets). */
#ifndef ABORTCLOSE_FMT_H
#define ABORTCLOSE_FMT_H

char *ac_fmt_str(char *p, char *end, const char *s);
char *ac_fmt_ulong(char *p, char *end, unsigned long v);
char *ac_fmt_long(char *p, char *end, long v);

#endif
