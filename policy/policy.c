/* policy.c - parse the ABORTCLOSE_* environment into struct ac_policy, and
 * the pure decisions taken from it.
 *
 * Constraints (see policy.h): no system calls, no malloc, no mutable
 * globals.  ac_policy_parse() runs once, from the shim's constructor, on
 * `environ`, before the host program's main(): it must never crash on any
 * input, and every diagnostic is one bounded, printable line.
 *
 * Decisions taken where the brief was silent (also in docs/readme-policy.md):
 *  - booleans (ABORTCLOSE, ABORTCLOSE_STATS) accept on, off, 1, 0;
 *  - an environ entry without '=' is not a variable (getenv() never sees
 *    it) and is skipped;
 *  - the typo guard is case-sensitive on the "ABORTCLOSE" prefix, like the
 *    names themselves; ABORTCLOSE_LIB is ignored entirely (value and
 *    repetition), because only the wrapper reads it;
 *  - in ABORTCLOSE_PORTS exclusions win whatever their position;
 *  - in ABORTCLOSE_ROLES "both" may also appear as a list item;
 *  - besides control and non-ASCII bytes, '\' is shown as \x5c, so that an
 *    escaped line is never ambiguous.
 */
#include "policy.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262 /* Linux 5.6+, multipath TCP: still TCP on the wire */
#endif

#define NAME_PREFIX "ABORTCLOSE"
#define MSG_HEAD "libabortclose: "
#define MSG_TAIL "; libabortclose is disabled for this process"
#define MSG_SECURE_LOG "libabortclose: ABORTCLOSE_LOG path ignored in a setuid/setgid process"

/* How much of user-supplied text a diagnostic shows before "...".  Each
 * shown byte takes up to 4 characters (\xNN), so these bound the line:
 * the worst cases (tested by the unit tests and the fuzzer) stay below
 * AC_MSG_MAX. */
#define VALUE_SHOWN 64
#define NAME_SHOWN 48
#define ITEM_SHOWN 16
/* ON_EXIT's status items: its "expected" text is the longest, and the value
 * is quoted too; with 16 bytes the worst line was 527 characters (found by
 * the fuzzer; test_messages.c worst_case_lines_fit). */
#define ITEM_SHOWN_EXIT 8

#define PORT_MAX 65535u

/* --- a bounded, always NUL-terminated line -------------------------------- */

struct line {
	char *buf;
	size_t len, cap; /* cap includes the NUL */
};

static void line_init(struct line *l, char *buf, size_t cap)
{
	l->buf = buf;
	l->cap = cap;
	l->len = 0;
	buf[0] = '\0';
}

static void put_char(struct line *l, char c)
{
	if (l->len + 1 < l->cap) {
		l->buf[l->len++] = c;
		l->buf[l->len] = '\0';
	}
}

static void put_str(struct line *l, const char *s)
{
	while (*s)
		put_char(l, *s++);
}

static void put_uint(struct line *l, unsigned long v)
{
	char digits[24];
	size_t n = 0;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < sizeof(digits));
	while (n)
		put_char(l, digits[--n]);
}

/* User text goes into a terminal or a log: show only printable ASCII, and
 * at most `shown` bytes of it, so that a 1 MB value or an embedded newline
 * still gives one short line. */
static void put_escaped(struct line *l, const char *s, size_t n, size_t shown)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n && i < shown; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f || c == '\\') {
			put_str(l, "\\x");
			put_char(l, hex[c >> 4]);
			put_char(l, hex[c & 0xf]);
		} else {
			put_char(l, (char)c);
		}
	}
	if (n > shown)
		put_str(l, "...");
}

/* --- slices of the environment strings (never copied, never modified) ---- */

struct slice {
	const char *p;
	size_t n;
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static struct slice trim(struct slice s)
{
	while (s.n && is_space(s.p[0])) {
		s.p++;
		s.n--;
	}
	while (s.n && is_space(s.p[s.n - 1]))
		s.n--;
	return s;
}

static char ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static char ascii_upper(char c)
{
	return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

/* Case-insensitive keyword match (ASCII only: no locale exists yet when the
 * constructor runs, and keywords are ASCII). */
static bool slice_is(struct slice s, const char *word)
{
	size_t i;

	for (i = 0; i < s.n; i++)
		if (word[i] == '\0' || ascii_lower(s.p[i]) != ascii_lower(word[i]))
			return false;
	return word[i] == '\0';
}

static bool slice_has_prefix(struct slice s, const char *prefix, struct slice *rest)
{
	size_t n = strlen(prefix);

	if (s.n < n)
		return false;
	if (!slice_is((struct slice){ s.p, n }, prefix))
		return false;
	rest->p = s.p + n;
	rest->n = s.n - n;
	return true;
}

/* Comma lists: yields each item, trimmed.  "a,,b", ",a" and "a," all yield
 * an empty item, which the callers reject. */
struct items {
	struct slice all;
	size_t pos;
	bool done;
};

static bool next_item(struct items *it, struct slice *item)
{
	size_t start = it->pos;

	if (it->done)
		return false;
	while (it->pos < it->all.n && it->all.p[it->pos] != ',')
		it->pos++;
	*item = trim((struct slice){ it->all.p + start, it->pos - start });
	if (it->pos < it->all.n)
		it->pos++; /* skip the comma: another item follows, maybe empty */
	else
		it->done = true;
	return true;
}

/* --- port bitmap ---------------------------------------------------------- */

static void ports_range(uint64_t *bits, unsigned lo, unsigned hi, bool set)
{
	/* Word at a time: a value can hold thousands of wide ranges. */
	while (lo <= hi) {
		unsigned word = lo / 64, first = lo % 64;
		unsigned last = (hi / 64 == word) ? hi % 64 : 63;
		uint64_t mask = (~0ull >> (63 - last)) & (~0ull << first);

		if (set)
			bits[word] |= mask;
		else
			bits[word] &= ~mask;
		lo = word * 64 + last + 1;
	}
}

/* --- the value parsers ------------------------------------------------------ */

/* Each parser gets the trimmed, non-empty value.  On error it returns false
 * and may explain what is wrong in `detail` (the caller adds what was
 * expected). */
struct parse_ctx {
	struct ac_policy *out;
	int secure;
	bool path_ignored; /* a log path was dropped because of AT_SECURE */
};

static bool parse_bool(struct slice v, bool *out)
{
	if (slice_is(v, "on") || slice_is(v, "1")) {
		*out = true;
		return true;
	}
	if (slice_is(v, "off") || slice_is(v, "0")) {
		*out = false;
		return true;
	}
	return false;
}

static bool parse_enabled(struct slice v, struct parse_ctx *c, struct line *detail)
{
	(void)detail;
	return parse_bool(v, &c->out->enabled);
}

static bool parse_stats(struct slice v, struct parse_ctx *c, struct line *detail)
{
	(void)detail;
	return parse_bool(v, &c->out->stats);
}

/* ABORTCLOSE_ON_EXIT=status:LIST - the exit statuses that count as success.
 * Items are N or N-M, 0..255 (what the parent sees of a status: its low 8
 * bits); an empty item, junk, a reversed range or a status named twice is
 * refused.  Called after the rest of the value (after "status:") is split
 * off; needs the ports helpers above (scan_port saturates, never
 * overflows). */
#define EXIT_STATUS_MAX 255u

static bool scan_port(struct slice s, size_t *i, unsigned long *val, struct slice *text);

static bool exit_status_in_range(unsigned long v, struct slice text, struct line *detail)
{
	if (v <= EXIT_STATUS_MAX)
		return true;
	put_str(detail, "status ");
	put_escaped(detail, text.p, text.n, ITEM_SHOWN);
	put_str(detail, " out of range 0-255");
	return false;
}

static bool parse_exit_statuses(struct slice list, uint64_t ok[4], struct line *detail)
{
	struct items it = { list, 0, false };
	struct slice item;

	memset(ok, 0, 4 * sizeof ok[0]);
	while (next_item(&it, &item)) {
		unsigned long lo, hi;
		struct slice lo_text, hi_text;
		size_t i = 0;

		if (item.n == 0) {
			put_str(detail, "empty item");
			return false;
		}
		if (!scan_port(item, &i, &lo, &lo_text))
			goto junk;
		hi = lo;
		hi_text = lo_text;
		if (i < item.n && item.p[i] == '-') {
			i++;
			if (!scan_port(item, &i, &hi, &hi_text))
				goto junk;
		}
		if (i != item.n)
			goto junk;
		if (!exit_status_in_range(lo, lo_text, detail) ||
		    !exit_status_in_range(hi, hi_text, detail))
			return false;
		if (lo > hi) {
			put_str(detail, "reversed range ");
			put_uint(detail, lo);
			put_char(detail, '-');
			put_uint(detail, hi);
			return false;
		}
		for (unsigned long st = lo; st <= hi; st++) {
			if (ok[st / 64] & (1ull << (st % 64))) {
				put_str(detail, "status ");
				put_uint(detail, st);
				put_str(detail, " named twice");
				return false;
			}
			ok[st / 64] |= 1ull << (st % 64);
		}
		continue;
junk:
		put_str(detail, "not a status or range: '");
		put_escaped(detail, item.p, item.n, ITEM_SHOWN_EXIT);
		put_str(detail, "'");
		return false;
	}
	return true;
}

static bool parse_on_exit(struct slice v, struct parse_ctx *c, struct line *detail)
{
	struct slice list;

	if (slice_is(v, "status")) {
		c->out->on_exit = AC_EXIT_STATUS;
		memset(c->out->exit_ok, 0, sizeof c->out->exit_ok);
		c->out->exit_ok[0] = 1; /* status 0 */
	} else if (slice_has_prefix(v, "status:", &list)) {
		if (!parse_exit_statuses(list, c->out->exit_ok, detail))
			return false;
		c->out->on_exit = AC_EXIT_STATUS;
	} else if (slice_is(v, "fin")) {
		c->out->on_exit = AC_EXIT_FIN;
	} else if (slice_is(v, "rst")) {
		c->out->on_exit = AC_EXIT_RST;
	} else {
		return false;
	}
	return true;
}

/* The index of v among the NULL-terminated words (case-insensitive), or -1.
 * The enum-valued variables list their keywords in enum order, so the index
 * is the value. */
static int word_index(struct slice v, const char *const words[])
{
	for (int i = 0; words[i]; i++)
		if (slice_is(v, words[i]))
			return i;
	return -1;
}

/* The parser of an enum-valued variable: its keywords in enum order. */
#define WORD_PARSER(fn, field, type, ...)                                              \
	static bool fn(struct slice v, struct parse_ctx *c, struct line *detail)      \
	{                                                                               \
		(void)detail;                                                           \
		int k = word_index(v, (const char *const[]){__VA_ARGS__, NULL});        \
		if (k < 0)                                                              \
			return false;                                                   \
		c->out->field = (type)k;                                                \
		return true;                                                            \
	}

WORD_PARSER(parse_on_shutdown, on_shutdown, enum ac_on_shutdown, "disarm", "keep")
WORD_PARSER(parse_on_close, on_close, enum ac_on_close, "fin", "rst")
WORD_PARSER(parse_on_unwind, on_unwind, enum ac_on_unwind, "rst", "fin")
WORD_PARSER(parse_log_level, log_level, enum ac_log_level, "error", "warn", "info", "debug")

static bool check_log_path(struct slice path, struct line *detail)
{
	if (path.n == 0) {
		put_str(detail, "missing path");
		return false;
	}
	if (path.p[0] != '/') {
		put_str(detail, "path must be absolute");
		return false;
	}
	if (path.n >= AC_PATH_MAX) {
		put_str(detail, "path longer than ");
		put_uint(detail, AC_PATH_MAX - 1);
		put_str(detail, " bytes");
		return false;
	}
	return true;
}

static bool parse_log(struct slice v, struct parse_ctx *c, struct line *detail)
{
	struct ac_policy *out = c->out;
	struct slice path;
	bool is_file = false;

	if (slice_is(v, "off")) {
		out->log_dest = AC_LOG_OFF;
	} else if (slice_is(v, "stderr")) {
		out->log_dest = AC_LOG_STDERR;
	} else if (slice_is(v, "syslog")) {
		out->log_dest = AC_LOG_SYSLOG; /* log_path "" = the default /dev/log */
	} else if (slice_has_prefix(v, "syslog:", &path) ||
		   (is_file = slice_has_prefix(v, "file:", &path))) {
		if (!check_log_path(path, detail))
			return false;
		out->log_dest = is_file ? AC_LOG_FILE : AC_LOG_SYSLOG;
		out->log_path[0] = '\0';
		/* AT_SECURE: the loader already refuses untrusted LD_PRELOAD paths
		 * in setuid programs; an environment-chosen file would let any
		 * user append to a file as the program's owner.  The config
		 * itself stays valid: the value was well-formed. */
		if (c->secure) {
			c->path_ignored = true;
			if (is_file)
				out->log_dest = AC_LOG_OFF;
			return true;
		}
		memcpy(out->log_path, path.p, path.n);
		out->log_path[path.n] = '\0';
		return true;
	} else {
		return false;
	}
	out->log_path[0] = '\0';
	return true;
}

static bool parse_roles(struct slice v, struct parse_ctx *c, struct line *detail)
{
	struct items it = { v, 0, false };
	struct slice item;
	unsigned roles = 0;

	while (next_item(&it, &item)) {
		if (slice_is(item, "accepted")) {
			roles |= AC_ROLE_ACCEPTED;
		} else if (slice_is(item, "connected")) {
			roles |= AC_ROLE_CONNECTED;
		} else if (slice_is(item, "both")) {
			roles |= AC_ROLE_ALL;
		} else if (item.n == 0) {
			put_str(detail, "empty item");
			return false;
		} else {
			put_str(detail, "unknown role '");
			put_escaped(detail, item.p, item.n, ITEM_SHOWN);
			put_str(detail, "'");
			return false;
		}
	}
	c->out->roles = roles;
	return true;
}

/* Decimal digits at s.p[*i...]; the value saturates above PORT_MAX, so that
 * 99999999999 (or a megabyte of digits) is "out of range", never an
 * overflow. */
static bool scan_port(struct slice s, size_t *i, unsigned long *val, struct slice *text)
{
	size_t start = *i;
	unsigned long v = 0;

	while (*i < s.n && s.p[*i] >= '0' && s.p[*i] <= '9') {
		v = v * 10 + (unsigned long)(s.p[*i] - '0');
		if (v > PORT_MAX)
			v = PORT_MAX + 1;
		(*i)++;
	}
	*val = v;
	text->p = s.p + start;
	text->n = *i - start;
	return *i > start;
}

struct port_item {
	bool exclude;
	unsigned lo, hi;
};

static bool port_in_range(unsigned long v, struct slice text, struct line *detail)
{
	if (v >= 1 && v <= PORT_MAX)
		return true;
	put_str(detail, "port ");
	put_escaped(detail, text.p, text.n, ITEM_SHOWN);
	put_str(detail, " out of range");
	return false;
}

/* One item: N, N-M, !N or !N-M, nothing else (no sign, no inner space). */
static bool parse_port_item(struct slice item, struct port_item *pi, struct line *detail)
{
	unsigned long lo, hi;
	struct slice lo_text, hi_text;
	size_t i = 0;

	if (item.n == 0) {
		put_str(detail, "empty item");
		return false;
	}
	pi->exclude = (item.p[0] == '!');
	if (pi->exclude)
		i++;
	if (!scan_port(item, &i, &lo, &lo_text))
		goto junk;
	hi = lo;
	hi_text = lo_text;
	if (i < item.n && item.p[i] == '-') {
		i++;
		if (!scan_port(item, &i, &hi, &hi_text))
			goto junk;
	}
	if (i != item.n)
		goto junk;
	if (!port_in_range(lo, lo_text, detail) || !port_in_range(hi, hi_text, detail))
		return false;
	if (lo > hi) {
		put_str(detail, "reversed range ");
		put_uint(detail, lo);
		put_char(detail, '-');
		put_uint(detail, hi);
		return false;
	}
	pi->lo = (unsigned)lo;
	pi->hi = (unsigned)hi;
	return true;
junk:
	put_str(detail, "not a port or range: '");
	put_escaped(detail, item.p, item.n, ITEM_SHOWN);
	put_str(detail, "'");
	return false;
}

static bool parse_ports(struct slice v, struct parse_ctx *c, struct line *detail)
{
	struct ac_policy *out = c->out;
	struct items it = { v, 0, false };
	struct port_item pi;
	struct slice item;
	bool any_positive = false;

	/* Pass 1 validates everything before the bitmap is touched. */
	while (next_item(&it, &item)) {
		if (!parse_port_item(item, &pi, detail))
			return false;
		any_positive |= !pi.exclude;
	}

	/* Only exclusions ("!22") mean "every port but these". */
	memset(out->ports, 0, sizeof(out->ports));
	if (!any_positive)
		ports_range(out->ports, 1, PORT_MAX, true);

	/* Pass 2: the listed ports, pass 3: exclusions win wherever they are. */
	for (int pass = 0; pass < 2; pass++) {
		bool excluding = (pass == 1);

		it = (struct items){ v, 0, false };
		while (next_item(&it, &item)) {
			(void)parse_port_item(item, &pi, detail); /* valid: pass 1 */
			if (pi.exclude == excluding)
				ports_range(out->ports, pi.lo, pi.hi, !excluding);
		}
	}
	out->ports_filtered = true;
	return true;
}

/* --- keepalive and TCP_USER_TIMEOUT ---------------------------------------- */

/* A decimal number, digits only (no sign, no inner space), in 1..max.  The
 * value saturates above max, so a megabyte of digits is "out of range",
 * never an overflow.  0 is refused: to the kernel 0 is invalid (keepalive)
 * or "the default" (TCP_USER_TIMEOUT), and "off" says that plainly. */
static bool parse_count(struct slice s, unsigned long max, const char *what,
			unsigned *out, struct line *detail)
{
	unsigned long v = 0;
	size_t i;

	if (s.n == 0) {
		put_str(detail, "empty item");
		return false;
	}
	for (i = 0; i < s.n && s.p[i] >= '0' && s.p[i] <= '9'; i++) {
		v = v * 10 + (unsigned long)(s.p[i] - '0');
		if (v > max)
			v = max + 1;
	}
	/* The value itself is in the message already: the detail names only
	 * the item, which keeps the worst-case line below AC_MSG_MAX. */
	if (i != s.n) {
		put_str(detail, what);
		put_str(detail, " is not a number");
		return false;
	}
	if (v < 1 || v > max) {
		put_str(detail, what);
		put_str(detail, " out of range 1-");
		put_uint(detail, max);
		return false;
	}
	*out = (unsigned)v;
	return true;
}

static bool parse_keepalive(struct slice v, struct parse_ctx *c, struct line *detail)
{
	static const char *const what[3] = { "idle", "interval", "count" };
	static const unsigned long max[3] = { AC_KEEPIDLE_MAX, AC_KEEPINTVL_MAX, AC_KEEPCNT_MAX };
	struct items it = { v, 0, false };
	struct slice item;
	unsigned val[3];
	int n = 0;

	if (slice_is(v, "off")) {
		c->out->keepalive_idle = c->out->keepalive_intvl = c->out->keepalive_cnt = 0;
		return true;
	}
	while (next_item(&it, &item)) {
		if (n == 3) {
			put_str(detail, "more than 3 items");
			return false;
		}
		if (!parse_count(item, max[n], what[n], &val[n], detail))
			return false;
		n++;
	}
	if (n != 3) {
		put_str(detail, "3 items needed");
		return false;
	}
	c->out->keepalive_idle = val[0];
	c->out->keepalive_intvl = val[1];
	c->out->keepalive_cnt = val[2];
	return true;
}

static bool parse_user_timeout(struct slice v, struct parse_ctx *c, struct line *detail)
{
	if (slice_is(v, "off")) {
		c->out->user_timeout_ms = 0;
		return true;
	}
	return parse_count(v, AC_USER_TIMEOUT_MAX, "timeout", &c->out->user_timeout_ms, detail);
}

/* --- the variables ---------------------------------------------------------- */

struct var {
	const char *name;
	const char *expected; /* for the diagnostic: what a valid value is */
	bool (*parse)(struct slice v, struct parse_ctx *c, struct line *detail);
};

static const struct var vars[] = {
	{ "ABORTCLOSE", "expected on, off, 1 or 0", parse_enabled },
	{ "ABORTCLOSE_ON_EXIT", "expected status, status:LIST of exit statuses 0-255 (status:0,255), fin or rst", parse_on_exit },
	{ "ABORTCLOSE_ON_SHUTDOWN", "expected disarm or keep", parse_on_shutdown },
	{ "ABORTCLOSE_ON_CLOSE", "expected fin or rst", parse_on_close },
	{ "ABORTCLOSE_ON_UNWIND", "expected rst or fin", parse_on_unwind },
	{ "ABORTCLOSE_LOG",
	  "expected off, stderr, syslog, syslog:/path/to/socket or file:/absolute/path", parse_log },
	{ "ABORTCLOSE_LOG_LEVEL", "expected error, warn, info or debug", parse_log_level },
	{ "ABORTCLOSE_PORTS", "expected ports 1-65535 like 80,443,8000-8999,!8080", parse_ports },
	{ "ABORTCLOSE_ROLES", "expected accepted, connected, both or accepted,connected",
	  parse_roles },
	{ "ABORTCLOSE_STATS", "expected 0, 1, on or off", parse_stats },
	{ "ABORTCLOSE_KEEPALIVE",
	  "expected off or IDLE,INTERVAL,COUNT like 60,10,6 (seconds, seconds, probes)",
	  parse_keepalive },
	{ "ABORTCLOSE_USER_TIMEOUT", "expected off or milliseconds 1-2147483647 like 30000",
	  parse_user_timeout },
	{ "ABORTCLOSE_LIB", NULL, NULL }, /* the wrapper's; the library ignores it */
};

#define N_VARS (sizeof(vars) / sizeof(vars[0]))

static int find_var(struct slice name)
{
	for (size_t i = 0; i < N_VARS; i++)
		if (strlen(vars[i].name) == name.n && memcmp(vars[i].name, name.p, name.n) == 0)
			return (int)i;
	return -1;
}

/* Levenshtein distance, ignoring case, for the did-you-mean hint.  Names
 * longer than LEV_MAX get no hint (no known name is near them). */
#define LEV_MAX 40

static unsigned edit_distance(struct slice a, const char *b)
{
	unsigned row[LEV_MAX + 1];
	size_t bn = strlen(b);

	for (size_t j = 0; j <= bn; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= a.n; i++) {
		unsigned diag = row[0];

		row[0] = (unsigned)i;
		for (size_t j = 1; j <= bn; j++) {
			unsigned up = row[j];
			unsigned cost = ascii_upper(a.p[i - 1]) != b[j - 1];
			unsigned best = diag + cost;

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[bn];
}

/* ABORTCLOSE_EXIT, ABORTCLOSE_SHUTDOWN, ABORTCLOSE_LEVEL: a known name
 * minus its first word (ON_EXIT, LOG_LEVEL...), too far for 2 edits. */
static bool is_word_suffix_of(struct slice name, const char *known)
{
	static const char head[] = NAME_PREFIX "_";
	size_t hn = sizeof(head) - 1, kn = strlen(known);
	struct slice tail = { name.p + hn, name.n - hn };

	if (name.n < hn + 3 || memcmp(name.p, head, hn) != 0 || kn <= name.n)
		return false;
	return known[kn - tail.n - 1] == '_' && slice_is(tail, known + kn - tail.n);
}

static const char *nearest_name(struct slice name)
{
	const char *best = NULL;
	unsigned best_d = ~0u;

	if (name.n > LEV_MAX)
		return NULL;
	for (size_t i = 0; i < N_VARS; i++) {
		unsigned d = edit_distance(name, vars[i].name);
		/* 2 edits turn _LOG into _LIB or _XIT into _LIB: on short
		 * names only 1 edit is a credible typo. */
		size_t word = strlen(vars[i].name) - (sizeof(NAME_PREFIX) - 1);
		unsigned max_d = word >= 6 ? 2 : 1;

		if (d <= max_d && d < best_d) {
			best_d = d;
			best = vars[i].name;
		}
	}
	for (size_t i = 0; !best && i < N_VARS; i++)
		if (is_word_suffix_of(name, vars[i].name))
			best = vars[i].name;
	return best;
}

static void msg_unknown(struct line *m, struct slice name)
{
	const char *near = nearest_name(name);

	put_str(m, MSG_HEAD);
	put_escaped(m, name.p, name.n, NAME_SHOWN);
	put_str(m, " is not a known variable (");
	if (near) {
		put_str(m, "did you mean ");
		put_str(m, near);
		put_str(m, "?");
	} else {
		put_str(m, "known: ");
		for (size_t i = 0; i < N_VARS; i++) {
			if (i)
				put_str(m, ", ");
			put_str(m, vars[i].name);
		}
	}
	put_str(m, ")" MSG_TAIL);
}

static void msg_invalid(struct line *m, const struct var *var, struct slice raw,
			const char *detail)
{
	put_str(m, MSG_HEAD);
	put_str(m, var->name);
	put_str(m, "='");
	put_escaped(m, raw.p, raw.n, VALUE_SHOWN);
	put_str(m, "' is invalid (");
	if (detail[0]) {
		put_str(m, detail);
		put_str(m, "; ");
	}
	put_str(m, var->expected);
	put_str(m, ")" MSG_TAIL);
}

/* --- public ---------------------------------------------------------------- */

void ac_policy_defaults(struct ac_policy *out)
{
	memset(out, 0, sizeof(*out));
	out->enabled = true;
	out->on_exit = AC_EXIT_STATUS;
	out->exit_ok[0] = 1; /* status 0 is success */
	out->on_shutdown = AC_SHUTDOWN_DISARM;
	out->on_close = AC_CLOSE_FIN;
	out->on_unwind = AC_UNWIND_RST;
	out->log_dest = AC_LOG_OFF;
	out->log_level = AC_LEVEL_WARN;
	out->roles = AC_ROLE_ALL;
	out->stats = false;
	out->ports_filtered = false;
	/* Unfiltered means every port; keep the bitmap saying so too. */
	ports_range(out->ports, 1, PORT_MAX, true);
}

int ac_policy_parse(char *const *envp, int secure, struct ac_policy *out,
		    char msg[AC_MSG_MAX])
{
	char spare[AC_MSG_MAX];
	struct parse_ctx c = { out, secure, false };
	struct line m;
	unsigned seen = 0;

	line_init(&m, msg ? msg : spare, AC_MSG_MAX);
	ac_policy_defaults(out);

	/* One pass in environ order: the first problem is the one reported. */
	for (char *const *e = envp; e && *e; e++) {
		const char *entry = *e;
		const char *eq;
		struct slice name, raw, value;
		const struct var *var;
		char detail_buf[160];
		struct line detail;
		int idx;

		if (strncmp(entry, NAME_PREFIX, sizeof(NAME_PREFIX) - 1) != 0)
			continue;
		eq = strchr(entry, '=');
		if (!eq)
			continue; /* not a variable: getenv() would not see it either */
		name = (struct slice){ entry, (size_t)(eq - entry) };
		idx = find_var(name);
		if (idx < 0) {
			msg_unknown(&m, name);
			goto invalid;
		}
		var = &vars[idx];
		if (!var->parse)
			continue;
		/* getenv() returns the first copy, a shell the last: refuse to
		 * guess which one the operator meant. */
		if (seen & (1u << idx)) {
			put_str(&m, MSG_HEAD);
			put_str(&m, var->name);
			put_str(&m, " is set more than once" MSG_TAIL);
			goto invalid;
		}
		seen |= 1u << idx;

		raw = (struct slice){ eq + 1, strlen(eq + 1) };
		value = trim(raw);
		line_init(&detail, detail_buf, sizeof(detail_buf));
		if (value.n == 0)
			put_str(&detail, "empty value");
		if (value.n == 0 || !var->parse(value, &c, &detail)) {
			msg_invalid(&m, var, raw, detail_buf);
			goto invalid;
		}
	}
	if (c.path_ignored)
		put_str(&m, MSG_SECURE_LOG);
	return 0;

invalid:
	ac_policy_defaults(out);
	out->enabled = false;
	return -1;
}

bool ac_policy_port_managed(const struct ac_policy *p, unsigned port)
{
	if (!p->ports_filtered)
		return true;
	if (port == 0 || port > PORT_MAX)
		return false;
	return (p->ports[port / 64] >> (port % 64)) & 1u;
}

/* role is one AC_ROLE_* bit; a set of bits is managed when all of them are. */
bool ac_policy_role_managed(const struct ac_policy *p, unsigned role)
{
	return role != 0 && (p->roles & role) == role;
}

/* hot: with the shim's per-connection code (.text.hot, shim/export.h), so
 * that a forked handler's exit faults in no text page of its own for it. */
__attribute__((hot)) bool ac_policy_exit_disarms(const struct ac_policy *p, int status)
{
	switch (p->on_exit) {
	case AC_EXIT_FIN:
		return true;
	case AC_EXIT_RST:
		return false;
	case AC_EXIT_STATUS:
	default:
		/* The kernel keeps only the low 8 bits (exit(256) is status 0 to
		 * the parent, wait(2)); decide on what the parent will see.  The
		 * statuses that count as success: ABORTCLOSE_ON_EXIT=status:LIST,
		 * 0 alone by default. */
		{
			unsigned st = (unsigned)status & 0xff;
			return (p->exit_ok[st / 64] >> (st % 64)) & 1;
		}
	}
}

bool ac_policy_shutdown_disarms(const struct ac_policy *p, int how)
{
	if (p->on_shutdown == AC_SHUTDOWN_KEEP)
		return false;
	/* SHUT_WR/SHUT_RDWR queue our FIN: an armed linger would discard it
	 * and the unsent data.  SHUT_RD sends nothing. */
	return how == SHUT_WR || how == SHUT_RDWR;
}

bool ac_policy_keepalive_on(const struct ac_policy *p)
{
	return p->keepalive_idle != 0;
}

bool ac_policy_user_timeout_on(const struct ac_policy *p)
{
	return p->user_timeout_ms != 0;
}

bool ac_policy_is_tcp(int domain, int type, int protocol)
{
	if (domain != AF_INET && domain != AF_INET6)
		return false;
	if ((type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) != SOCK_STREAM)
		return false;
	/* Not IPPROTO_SCTP: SCTP's SOCK_STREAM has its own abort semantics. */
	return protocol == 0 || protocol == IPPROTO_TCP || protocol == IPPROTO_MPTCP;
}
