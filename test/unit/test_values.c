/* test_values.c - the keyword variables: ABORTCLOSE, ABORTCLOSE_ON_EXIT,
 * ABORTCLOSE_ON_SHUTDOWN, ABORTCLOSE_ON_CLOSE, ABORTCLOSE_ON_UNWIND,
 * ABORTCLOSE_LOG_LEVEL, ABORTCLOSE_STATS; defaults.
 * Table-driven: every row is its own check test (tcase_add_loop_test). */
#include <string.h>

#include "unit.h"

static int get_enabled(const struct ac_policy *p) { return p->enabled; }
static int get_on_exit(const struct ac_policy *p) { return (int)p->on_exit; }
static int get_on_shutdown(const struct ac_policy *p) { return (int)p->on_shutdown; }
static int get_on_close(const struct ac_policy *p) { return (int)p->on_close; }
static int get_on_unwind(const struct ac_policy *p) { return (int)p->on_unwind; }
static int get_log_level(const struct ac_policy *p) { return (int)p->log_level; }
static int get_stats(const struct ac_policy *p) { return p->stats; }

struct valid_case {
	const char *entry;
	int (*get)(const struct ac_policy *);
	int want;
};

static const struct valid_case valid_cases[] = {
	{ "ABORTCLOSE=on", get_enabled, 1 },
	{ "ABORTCLOSE=off", get_enabled, 0 },
	{ "ABORTCLOSE=1", get_enabled, 1 },
	{ "ABORTCLOSE=0", get_enabled, 0 },
	{ "ABORTCLOSE=ON", get_enabled, 1 },
	{ "ABORTCLOSE=Off", get_enabled, 0 },
	{ "ABORTCLOSE= off ", get_enabled, 0 },
	{ "ABORTCLOSE=\t\r\n\v\fon\t\n", get_enabled, 1 },
	{ "ABORTCLOSE_ON_EXIT=status", get_on_exit, AC_EXIT_STATUS },
	{ "ABORTCLOSE_ON_EXIT=fin", get_on_exit, AC_EXIT_FIN },
	{ "ABORTCLOSE_ON_EXIT=rst", get_on_exit, AC_EXIT_RST },
	{ "ABORTCLOSE_ON_EXIT=FIN", get_on_exit, AC_EXIT_FIN },
	{ "ABORTCLOSE_ON_EXIT=RsT", get_on_exit, AC_EXIT_RST },
	{ "ABORTCLOSE_ON_EXIT=  Status\t", get_on_exit, AC_EXIT_STATUS },
	{ "ABORTCLOSE_ON_SHUTDOWN=disarm", get_on_shutdown, AC_SHUTDOWN_DISARM },
	{ "ABORTCLOSE_ON_SHUTDOWN=keep", get_on_shutdown, AC_SHUTDOWN_KEEP },
	{ "ABORTCLOSE_ON_SHUTDOWN=KEEP", get_on_shutdown, AC_SHUTDOWN_KEEP },
	{ "ABORTCLOSE_ON_SHUTDOWN= Disarm ", get_on_shutdown, AC_SHUTDOWN_DISARM },
	{ "ABORTCLOSE_ON_CLOSE=fin", get_on_close, AC_CLOSE_FIN },
	{ "ABORTCLOSE_ON_CLOSE=rst", get_on_close, AC_CLOSE_RST },
	{ "ABORTCLOSE_ON_CLOSE=RST", get_on_close, AC_CLOSE_RST },
	{ "ABORTCLOSE_ON_CLOSE= Fin\t", get_on_close, AC_CLOSE_FIN },
	{ "ABORTCLOSE_ON_UNWIND=rst", get_on_unwind, AC_UNWIND_RST },
	{ "ABORTCLOSE_ON_UNWIND=fin", get_on_unwind, AC_UNWIND_FIN },
	{ "ABORTCLOSE_ON_UNWIND=FIN", get_on_unwind, AC_UNWIND_FIN },
	{ "ABORTCLOSE_ON_UNWIND=\n rSt ", get_on_unwind, AC_UNWIND_RST },
	{ "ABORTCLOSE_LOG_LEVEL=error", get_log_level, AC_LEVEL_ERROR },
	{ "ABORTCLOSE_LOG_LEVEL=warn", get_log_level, AC_LEVEL_WARN },
	{ "ABORTCLOSE_LOG_LEVEL=info", get_log_level, AC_LEVEL_INFO },
	{ "ABORTCLOSE_LOG_LEVEL=debug", get_log_level, AC_LEVEL_DEBUG },
	{ "ABORTCLOSE_LOG_LEVEL=DEBUG", get_log_level, AC_LEVEL_DEBUG },
	{ "ABORTCLOSE_LOG_LEVEL= Info\n", get_log_level, AC_LEVEL_INFO },
	{ "ABORTCLOSE_STATS=1", get_stats, 1 },
	{ "ABORTCLOSE_STATS=0", get_stats, 0 },
	{ "ABORTCLOSE_STATS=on", get_stats, 1 },
	{ "ABORTCLOSE_STATS=off", get_stats, 0 },
	{ "ABORTCLOSE_STATS=ON", get_stats, 1 },
	{ "ABORTCLOSE_STATS= 1 ", get_stats, 1 },
};

START_TEST(valid_value)
{
	const struct valid_case *c = &valid_cases[_i];
	struct result *r = parse1(c->entry);

	assert_valid(r);
	ck_assert_msg(c->get(&r->p) == c->want, "%s: got %d, want %d", c->entry,
		      c->get(&r->p), c->want);
}
END_TEST

struct invalid_case {
	const char *entry;
	const char *name;
	const char *expect; /* a substring the message must contain */
};

#define EXP_BOOL "(expected on, off, 1 or 0)"
#define EXP_EXIT "(expected status, status:LIST of exit statuses 0-255 (status:0,255), fin or rst)"
#define EXP_SHUT "(expected disarm or keep)"
#define EXP_CLOSE "(expected fin or rst)"
#define EXP_UNWIND "(expected rst or fin)"
#define EXP_LEVEL "(expected error, warn, info or debug)"
#define EXP_STATS "(expected 0, 1, on or off)"
#define EMPTY "(empty value; "

static const struct invalid_case invalid_cases[] = {
	{ "ABORTCLOSE=", "ABORTCLOSE", EMPTY "expected on, off, 1 or 0)" },
	{ "ABORTCLOSE=   ", "ABORTCLOSE", "ABORTCLOSE='   ' is invalid (empty value;" },
	{ "ABORTCLOSE=\t\n", "ABORTCLOSE", "ABORTCLOSE='\\x09\\x0a' is invalid (empty value;" },
	{ "ABORTCLOSE=yes", "ABORTCLOSE", "ABORTCLOSE='yes' is invalid " EXP_BOOL },
	{ "ABORTCLOSE=true", "ABORTCLOSE", EXP_BOOL },
	{ "ABORTCLOSE=2", "ABORTCLOSE", EXP_BOOL },
	{ "ABORTCLOSE=-1", "ABORTCLOSE", EXP_BOOL },
	{ "ABORTCLOSE=o n", "ABORTCLOSE", EXP_BOOL },
	{ "ABORTCLOSE=onn", "ABORTCLOSE", EXP_BOOL },
	{ "ABORTCLOSE=o", "ABORTCLOSE", EXP_BOOL },
	{ "ABORTCLOSE=01", "ABORTCLOSE", EXP_BOOL },
	{ "ABORTCLOSE=on,off", "ABORTCLOSE", EXP_BOOL },
	{ "ABORTCLOSE_ON_EXIT=", "ABORTCLOSE_ON_EXIT", EMPTY },
	{ "ABORTCLOSE_ON_EXIT= ", "ABORTCLOSE_ON_EXIT", EMPTY },
	{ "ABORTCLOSE_ON_EXIT=sometimes", "ABORTCLOSE_ON_EXIT", EXP_EXIT },
	{ "ABORTCLOSE_ON_EXIT=0", "ABORTCLOSE_ON_EXIT", EXP_EXIT },
	{ "ABORTCLOSE_ON_EXIT=fi", "ABORTCLOSE_ON_EXIT", EXP_EXIT },
	{ "ABORTCLOSE_ON_EXIT=finn", "ABORTCLOSE_ON_EXIT", EXP_EXIT },
	{ "ABORTCLOSE_ON_EXIT=f in", "ABORTCLOSE_ON_EXIT", EXP_EXIT },
	{ "ABORTCLOSE_ON_EXIT=fin,rst", "ABORTCLOSE_ON_EXIT", EXP_EXIT },
	{ "ABORTCLOSE_ON_EXIT=\"fin\"", "ABORTCLOSE_ON_EXIT", EXP_EXIT },
	{ "ABORTCLOSE_ON_SHUTDOWN=", "ABORTCLOSE_ON_SHUTDOWN", EMPTY },
	{ "ABORTCLOSE_ON_SHUTDOWN=\t", "ABORTCLOSE_ON_SHUTDOWN", EMPTY },
	{ "ABORTCLOSE_ON_SHUTDOWN=arm", "ABORTCLOSE_ON_SHUTDOWN", EXP_SHUT },
	{ "ABORTCLOSE_ON_SHUTDOWN=1", "ABORTCLOSE_ON_SHUTDOWN", EXP_SHUT },
	{ "ABORTCLOSE_ON_SHUTDOWN=kept", "ABORTCLOSE_ON_SHUTDOWN", EXP_SHUT },
	{ "ABORTCLOSE_ON_CLOSE=", "ABORTCLOSE_ON_CLOSE", EMPTY },
	{ "ABORTCLOSE_ON_CLOSE=shutdown", "ABORTCLOSE_ON_CLOSE", EXP_CLOSE },
	{ "ABORTCLOSE_ON_CLOSE=status", "ABORTCLOSE_ON_CLOSE", EXP_CLOSE },
	{ "ABORTCLOSE_ON_CLOSE=1", "ABORTCLOSE_ON_CLOSE", EXP_CLOSE },
	{ "ABORTCLOSE_ON_CLOSE=fin,rst", "ABORTCLOSE_ON_CLOSE", EXP_CLOSE },
	{ "ABORTCLOSE_ON_UNWIND=", "ABORTCLOSE_ON_UNWIND", EMPTY },
	{ "ABORTCLOSE_ON_UNWIND=off", "ABORTCLOSE_ON_UNWIND", EXP_UNWIND },
	{ "ABORTCLOSE_ON_UNWIND=abort", "ABORTCLOSE_ON_UNWIND", EXP_UNWIND },
	{ "ABORTCLOSE_ON_UNWIND=rs", "ABORTCLOSE_ON_UNWIND", EXP_UNWIND },
	{ "ABORTCLOSE_LOG_LEVEL=", "ABORTCLOSE_LOG_LEVEL", EMPTY },
	{ "ABORTCLOSE_LOG_LEVEL=  ", "ABORTCLOSE_LOG_LEVEL", EMPTY },
	{ "ABORTCLOSE_LOG_LEVEL=warning", "ABORTCLOSE_LOG_LEVEL", EXP_LEVEL },
	{ "ABORTCLOSE_LOG_LEVEL=3", "ABORTCLOSE_LOG_LEVEL", EXP_LEVEL },
	{ "ABORTCLOSE_LOG_LEVEL=trace", "ABORTCLOSE_LOG_LEVEL", EXP_LEVEL },
	{ "ABORTCLOSE_LOG_LEVEL=-1", "ABORTCLOSE_LOG_LEVEL", EXP_LEVEL },
	{ "ABORTCLOSE_STATS=", "ABORTCLOSE_STATS", EMPTY },
	{ "ABORTCLOSE_STATS= ", "ABORTCLOSE_STATS", EMPTY },
	{ "ABORTCLOSE_STATS=2", "ABORTCLOSE_STATS", EXP_STATS },
	{ "ABORTCLOSE_STATS=-1", "ABORTCLOSE_STATS", EXP_STATS },
	{ "ABORTCLOSE_STATS=99999999999", "ABORTCLOSE_STATS", EXP_STATS },
	{ "ABORTCLOSE_STATS=yes", "ABORTCLOSE_STATS", EXP_STATS },
	{ "ABORTCLOSE_STATS=1x", "ABORTCLOSE_STATS", EXP_STATS },
	{ "ABORTCLOSE_STATS=0x1", "ABORTCLOSE_STATS", EXP_STATS },
};

START_TEST(invalid_value)
{
	const struct invalid_case *c = &invalid_cases[_i];
	struct result *r = parse1(c->entry);

	assert_invalid(r, c->name);
	ck_assert_msg(strstr(r->msg, c->expect) != NULL, "%s: '%s' lacks '%s'", c->entry,
		      r->msg, c->expect);
}
END_TEST

START_TEST(defaults)
{
	struct ac_policy d;

	memset(&d, 0x5a, sizeof(d));
	ac_policy_defaults(&d);
	ck_assert(d.enabled);
	ck_assert_int_eq(d.on_exit, AC_EXIT_STATUS);
	ck_assert_int_eq(d.on_shutdown, AC_SHUTDOWN_DISARM);
	ck_assert_int_eq(d.on_close, AC_CLOSE_FIN);
	ck_assert_int_eq(d.on_unwind, AC_UNWIND_RST);
	ck_assert_int_eq(d.log_dest, AC_LOG_OFF);
	ck_assert_str_eq(d.log_path, "");
	ck_assert_int_eq(d.log_level, AC_LEVEL_WARN);
	ck_assert_uint_eq(d.roles, AC_ROLE_ALL);
	ck_assert(!d.stats);
	ck_assert(!d.ports_filtered);
	ck_assert_uint_eq(managed_count(&d), 65535);
}
END_TEST

START_TEST(empty_environment_gives_defaults)
{
	struct ac_policy d;
	struct result *r;

	ac_policy_defaults(&d);
	r = parse(ENV("PATH=/usr/bin", "HOME=/root"), 0);
	assert_valid(r);
	ck_assert(memcmp(&d, &r->p, sizeof(d)) == 0);
	r = parse((char *[]){ NULL }, 0);
	assert_valid(r);
	ck_assert(memcmp(&d, &r->p, sizeof(d)) == 0);
	r = parse(NULL, 0);
	assert_valid(r);
	ck_assert(memcmp(&d, &r->p, sizeof(d)) == 0);
}
END_TEST

START_TEST(null_msg_is_accepted)
{
	struct ac_policy p;

	ck_assert_int_eq(ac_policy_parse(ENV("ABORTCLOSE_ON_EXIT=fin"), 0, &p, NULL), 0);
	ck_assert_int_eq(p.on_exit, AC_EXIT_FIN);
	ck_assert_int_eq(ac_policy_parse(ENV("ABORTCLOSE_ON_EXIT=x"), 0, &p, NULL), -1);
	ck_assert(!p.enabled);
}
END_TEST

START_TEST(all_variables_at_once)
{
	struct result *r = parse(ENV("ABORTCLOSE=on", "ABORTCLOSE_ON_EXIT=rst",
				     "ABORTCLOSE_ON_SHUTDOWN=keep", "ABORTCLOSE_LOG=file:/tmp/ac.log",
				     "ABORTCLOSE_LOG_LEVEL=debug", "ABORTCLOSE_PORTS=80,443",
				     "ABORTCLOSE_ROLES=connected", "ABORTCLOSE_STATS=1",
				     "ABORTCLOSE_LIB=/x/libabortclose.so", "PATH=/bin"),
				 0);

	assert_valid(r);
	ck_assert(r->p.enabled);
	ck_assert_int_eq(r->p.on_exit, AC_EXIT_RST);
	ck_assert_int_eq(r->p.on_shutdown, AC_SHUTDOWN_KEEP);
	ck_assert_int_eq(r->p.log_dest, AC_LOG_FILE);
	ck_assert_str_eq(r->p.log_path, "/tmp/ac.log");
	ck_assert_int_eq(r->p.log_level, AC_LEVEL_DEBUG);
	ck_assert(r->p.ports_filtered);
	ck_assert_uint_eq(managed_count(&r->p), 2);
	ck_assert_uint_eq(r->p.roles, AC_ROLE_CONNECTED);
	ck_assert(r->p.stats);
}
END_TEST

START_TEST(off_still_parses_and_validates)
{
	/* ABORTCLOSE=off: the rest is still read (abortclose --check) ... */
	struct result *r = parse(ENV("ABORTCLOSE=off", "ABORTCLOSE_ON_EXIT=fin"), 0);

	assert_valid(r);
	ck_assert(!r->p.enabled);
	ck_assert_int_eq(r->p.on_exit, AC_EXIT_FIN);
	/* ... and a typo elsewhere is still an error, whatever the order. */
	assert_invalid(parse(ENV("ABORTCLOSE=off", "ABORTCLOSE_ON_EXIT=sometimes"), 0),
		       "ABORTCLOSE_ON_EXIT");
	assert_invalid(parse(ENV("ABORTCLOSE_PORTS=0", "ABORTCLOSE=off"), 0), "ABORTCLOSE_PORTS");
	assert_invalid(parse(ENV("ABORTCLOSE=off", "ABORTCLOSE_ONEXIT=fin"), 0),
		       "ABORTCLOSE_ONEXIT");
}
END_TEST

Suite *suite_values(void)
{
	Suite *s = suite_create("values");
	TCase *tc = tcase_create("keywords");

	tcase_add_loop_test(tc, valid_value, 0, (int)(sizeof(valid_cases) / sizeof(valid_cases[0])));
	tcase_add_loop_test(tc, invalid_value, 0,
			    (int)(sizeof(invalid_cases) / sizeof(invalid_cases[0])));
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, empty_environment_gives_defaults);
	tcase_add_test(tc, null_msg_is_accepted);
	tcase_add_test(tc, all_variables_at_once);
	tcase_add_test(tc, off_still_parses_and_validates);
	suite_add_tcase(s, tc);
	return s;
}
