/* test_names.c - the typo guard (unknown ABORTCLOSE* names), duplicates,
 * names that are not ours, and which error is reported first. */
#include <stdlib.h>
#include <string.h>

#include "unit.h"

struct unknown_case {
	const char *entry;
	const char *shown; /* the name as the message shows it */
	const char *hint;  /* the did-you-mean, NULL = the list of known names */
};

static const struct unknown_case unknown_cases[] = {
	{ "ABORTCLOSE_ONEXIT=fin", "ABORTCLOSE_ONEXIT", "ABORTCLOSE_ON_EXIT" },
	{ "ABORTCLOSEX=1", "ABORTCLOSEX", "ABORTCLOSE" },
	{ "ABORTCLOSE_=on", "ABORTCLOSE_", "ABORTCLOSE" },
	{ "ABORTCLOSE_PORT=80", "ABORTCLOSE_PORT", "ABORTCLOSE_PORTS" },
	{ "ABORTCLOSE_ROLE=accepted", "ABORTCLOSE_ROLE", "ABORTCLOSE_ROLES" },
	{ "ABORTCLOSE_STAT=1", "ABORTCLOSE_STAT", "ABORTCLOSE_STATS" },
	{ "ABORTCLOSE_LOGLEVEL=debug", "ABORTCLOSE_LOGLEVEL", "ABORTCLOSE_LOG_LEVEL" },
	{ "ABORTCLOSE_ON_SHUTDWN=keep", "ABORTCLOSE_ON_SHUTDWN", "ABORTCLOSE_ON_SHUTDOWN" },
	{ "ABORTCLOSE_Ports=80", "ABORTCLOSE_Ports", "ABORTCLOSE_PORTS" },
	{ "ABORTCLOSE_log=stderr", "ABORTCLOSE_log", "ABORTCLOSE_LOG" },
	{ "ABORTCLOSE_ON_EXIT_=fin", "ABORTCLOSE_ON_EXIT_", "ABORTCLOSE_ON_EXIT" },
	{ "ABORTCLOSE_EXIT=fin", "ABORTCLOSE_EXIT", "ABORTCLOSE_ON_EXIT" },
	{ "ABORTCLOSE_shutdown=keep", "ABORTCLOSE_shutdown", "ABORTCLOSE_ON_SHUTDOWN" },
	{ "ABORTCLOSE_ON_CLOS=rst", "ABORTCLOSE_ON_CLOS", "ABORTCLOSE_ON_CLOSE" },
	{ "ABORTCLOSE_CLOSE=rst", "ABORTCLOSE_CLOSE", "ABORTCLOSE_ON_CLOSE" },
	{ "ABORTCLOSE_ON_UNWIN=fin", "ABORTCLOSE_ON_UNWIN", "ABORTCLOSE_ON_UNWIND" },
	{ "ABORTCLOSE_UNWIND=fin", "ABORTCLOSE_UNWIND", "ABORTCLOSE_ON_UNWIND" },
	{ "ABORTCLOSE_LEVEL=debug", "ABORTCLOSE_LEVEL", "ABORTCLOSE_LOG_LEVEL" },
	{ "ABORTCLOSE_XIT=fin", "ABORTCLOSE_XIT", NULL },
	{ "ABORTCLOSE_T=1", "ABORTCLOSE_T", NULL },
	{ "ABORTCLOSE_SOMETHING_ELSE=1", "ABORTCLOSE_SOMETHING_ELSE", NULL },
	{ "ABORTCLOSE_DEBUG=1", "ABORTCLOSE_DEBUG", NULL },
	{ "ABORTCLOSE_PORTS_EXCLUDE=22", "ABORTCLOSE_PORTS_EXCLUDE", NULL },
	{ "ABORTCLOSE_\x01\xff=1", "ABORTCLOSE_\\x01\\xff", NULL },
	{ "ABORTCLOSE\n=1", "ABORTCLOSE\\x0a", "ABORTCLOSE" },
	{ "ABORTCLOSE_ON_EXIT\t=fin", "ABORTCLOSE_ON_EXIT\\x09", "ABORTCLOSE_ON_EXIT" },
	{ "ABORTCLOSE =on", "ABORTCLOSE ", "ABORTCLOSE" },
	{ "ABORTCLOSE_PORTS ABORTCLOSE_ROLES=1", "ABORTCLOSE_PORTS ABORTCLOSE_ROLES", NULL },
};

#define KNOWN                                                                                  \
	"(known: ABORTCLOSE, ABORTCLOSE_ON_EXIT, ABORTCLOSE_ON_SHUTDOWN, "                     \
	"ABORTCLOSE_ON_CLOSE, ABORTCLOSE_ON_UNWIND, ABORTCLOSE_LOG, "                           \
	"ABORTCLOSE_LOG_LEVEL, ABORTCLOSE_PORTS, ABORTCLOSE_ROLES, ABORTCLOSE_STATS, "         \
	"ABORTCLOSE_KEEPALIVE, ABORTCLOSE_USER_TIMEOUT, "                                        \
	"ABORTCLOSE_LIB)"

START_TEST(unknown_name)
{
	const struct unknown_case *c = &unknown_cases[_i];
	struct result *r = parse1(c->entry);
	char want[AC_MSG_MAX];

	if (c->hint)
		snprintf(want, sizeof(want),
			 MSG_HEAD "%s is not a known variable (did you mean %s?)" MSG_TAIL, c->shown,
			 c->hint);
	else
		snprintf(want, sizeof(want), MSG_HEAD "%s is not a known variable " KNOWN MSG_TAIL,
			 c->shown);
	assert_invalid(r, NULL);
	ck_assert_str_eq(r->msg, want);
}
END_TEST

/* Names that are not ours: left alone, whatever their value. */
START_TEST(foreign_names_are_ignored)
{
	struct result *r = parse(ENV("abortclose_ports=junk", "Abortclose=maybe", "XABORTCLOSE=1",
				     "ABORT=1", "ABORTCLOS=1", "LD_PRELOAD=/x.so", "=junk", "",
				     "ABORTCLOSE_NO_EQUALS_SIGN", "ABORTCLOSE"),
				 0);

	assert_valid(r);
	ck_assert(r->p.enabled);
}
END_TEST

START_TEST(lib_is_ignored)
{
	/* The wrapper's variable: any value, even repeated, changes nothing. */
	struct ac_policy d;
	struct result *r = parse(ENV("ABORTCLOSE_LIB=", "ABORTCLOSE_LIB=junk \xff",
				     "ABORTCLOSE_LIB=/usr/lib/libabortclose.so"),
				 0);

	ac_policy_defaults(&d);
	assert_valid(r);
	ck_assert(memcmp(&d, &r->p, sizeof(d)) == 0);
}
END_TEST

static const char *const dup_names[] = {
	"ABORTCLOSE",       "ABORTCLOSE_ON_EXIT", "ABORTCLOSE_ON_SHUTDOWN", "ABORTCLOSE_LOG",
	"ABORTCLOSE_LOG_LEVEL", "ABORTCLOSE_PORTS", "ABORTCLOSE_ROLES",      "ABORTCLOSE_STATS",
	"ABORTCLOSE_ON_CLOSE", "ABORTCLOSE_ON_UNWIND",
};
static const char *const dup_values[] = { "on", "fin", "keep", "stderr", "info", "80", "both", "1",
					  "rst", "fin" };

START_TEST(duplicate_name)
{
	char a[64], b[64], want[AC_MSG_MAX];
	struct result *r;

	/* Even the same valid value twice: which copy wins differs between
	 * getenv() (first) and shells (last), so it is refused. */
	snprintf(a, sizeof(a), "%s=%s", dup_names[_i], dup_values[_i]);
	snprintf(b, sizeof(b), "%s= %s", dup_names[_i], dup_values[_i]);
	snprintf(want, sizeof(want), MSG_HEAD "%s is set more than once" MSG_TAIL, dup_names[_i]);
	r = parse(ENV(a, "PATH=/bin", b), 0);
	assert_invalid(r, dup_names[_i]);
	ck_assert_str_eq(r->msg, want);
}
END_TEST

START_TEST(first_error_is_reported)
{
	assert_invalid(parse(ENV("ABORTCLOSE_ON_EXIT=bad", "ABORTCLOSE_LOG=bad"), 0),
		       "ABORTCLOSE_ON_EXIT");
	assert_invalid(parse(ENV("ABORTCLOSE_LOG=bad", "ABORTCLOSE_ON_EXIT=bad"), 0),
		       "ABORTCLOSE_LOG");
	assert_invalid(parse(ENV("ABORTCLOSE_TYPO=1", "ABORTCLOSE_LOG=bad"), 0),
		       "ABORTCLOSE_TYPO");
	assert_invalid(parse(ENV("ABORTCLOSE_LOG=bad", "ABORTCLOSE_TYPO=1"), 0),
		       "ABORTCLOSE_LOG");
	/* A duplicate of an invalid value: the invalid value comes first. */
	assert_invalid(parse(ENV("ABORTCLOSE_STATS=2", "ABORTCLOSE_STATS=1"), 0),
		       "ABORTCLOSE_STATS");
	ck_assert_ptr_nonnull(strstr(parse(ENV("ABORTCLOSE_STATS=2", "ABORTCLOSE_STATS=1"), 0)->msg,
				     "is invalid"));
	/* Valid entries before the error do not leak into the result. */
	assert_invalid(parse(ENV("ABORTCLOSE_ON_EXIT=rst", "ABORTCLOSE_PORTS=80",
				 "ABORTCLOSE_LOG=file:/tmp/x", "ABORTCLOSE_ROLES=nope"),
			     0),
		       "ABORTCLOSE_ROLES");
}
END_TEST

START_TEST(huge_unknown_name_is_a_short_line)
{
	size_t n = 1 << 20;
	char *e = malloc(n + 3);
	struct result *r;

	ck_assert_ptr_nonnull(e);
	memcpy(e, "ABORTCLOSE", 10);
	memset(e + 10, '\xff', n - 10);
	memcpy(e + n, "=1", 3);
	r = parse1(e);
	assert_invalid(r, NULL);
	ck_assert_ptr_nonnull(strstr(r->msg, "ABORTCLOSE\\xff\\xff"));
	ck_assert_ptr_nonnull(strstr(r->msg, "\\xff... is not a known variable (known: "));
	free(e);
}
END_TEST

Suite *suite_names(void)
{
	Suite *s = suite_create("names");
	TCase *tc = tcase_create("names");

	tcase_add_loop_test(tc, unknown_name, 0,
			    (int)(sizeof(unknown_cases) / sizeof(unknown_cases[0])));
	tcase_add_test(tc, foreign_names_are_ignored);
	tcase_add_test(tc, lib_is_ignored);
	tcase_add_loop_test(tc, duplicate_name, 0, (int)(sizeof(dup_names) / sizeof(dup_names[0])));
	tcase_add_test(tc, first_error_is_reported);
	tcase_add_test(tc, huge_unknown_name_is_a_short_line);
	suite_add_tcase(s, tc);
	return s;
}
