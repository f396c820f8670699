/* test_log.c - ABORTCLOSE_LOG: destinations, paths, secure (setuid) mode. */
#include <stdlib.h>
#include <string.h>

#include "unit.h"

struct log_case {
	const char *entry;
	enum ac_log_dest dest;
	const char *path;
};

static const struct log_case valid_cases[] = {
	{ "ABORTCLOSE_LOG=off", AC_LOG_OFF, "" },
	{ "ABORTCLOSE_LOG=OFF", AC_LOG_OFF, "" },
	{ "ABORTCLOSE_LOG=stderr", AC_LOG_STDERR, "" },
	{ "ABORTCLOSE_LOG=StdErr", AC_LOG_STDERR, "" },
	{ "ABORTCLOSE_LOG= stderr\n", AC_LOG_STDERR, "" },
	{ "ABORTCLOSE_LOG=syslog", AC_LOG_SYSLOG, "" },
	{ "ABORTCLOSE_LOG=SYSLOG", AC_LOG_SYSLOG, "" },
	{ "ABORTCLOSE_LOG=syslog:/run/test-syslog.sock", AC_LOG_SYSLOG, "/run/test-syslog.sock" },
	{ "ABORTCLOSE_LOG=Syslog:/dev/log", AC_LOG_SYSLOG, "/dev/log" },
	{ "ABORTCLOSE_LOG=file:/tmp/ac.log", AC_LOG_FILE, "/tmp/ac.log" },
	{ "ABORTCLOSE_LOG=FILE:/tmp/Case/Kept.LOG", AC_LOG_FILE, "/tmp/Case/Kept.LOG" },
	{ "ABORTCLOSE_LOG= file:/tmp/a b.log \t", AC_LOG_FILE, "/tmp/a b.log" },
	{ "ABORTCLOSE_LOG=file:/", AC_LOG_FILE, "/" },
	{ "ABORTCLOSE_LOG=file:/tmp/x=y", AC_LOG_FILE, "/tmp/x=y" },
};

START_TEST(valid_log)
{
	const struct log_case *c = &valid_cases[_i];
	struct result *r = parse1(c->entry);

	assert_valid(r);
	ck_assert_int_eq(r->p.log_dest, c->dest);
	ck_assert_str_eq(r->p.log_path, c->path);
}
END_TEST

struct bad_case {
	const char *entry;
	const char *expect;
};

#define EXP_LOG "expected off, stderr, syslog, syslog:/path/to/socket or file:/absolute/path)"

static const struct bad_case invalid_cases[] = {
	{ "ABORTCLOSE_LOG=", "(empty value; " EXP_LOG },
	{ "ABORTCLOSE_LOG=  ", "(empty value; " EXP_LOG },
	{ "ABORTCLOSE_LOG=stdout", "='stdout' is invalid (" EXP_LOG },
	{ "ABORTCLOSE_LOG=file", "(" EXP_LOG },
	{ "ABORTCLOSE_LOG=journal", "(" EXP_LOG },
	{ "ABORTCLOSE_LOG=1", "(" EXP_LOG },
	{ "ABORTCLOSE_LOG=stderr:/x", "(" EXP_LOG },
	{ "ABORTCLOSE_LOG=file:", "(missing path; " EXP_LOG },
	{ "ABORTCLOSE_LOG=syslog:", "(missing path; " EXP_LOG },
	{ "ABORTCLOSE_LOG=file:ac.log", "(path must be absolute; " EXP_LOG },
	{ "ABORTCLOSE_LOG=file:./ac.log", "(path must be absolute; " EXP_LOG },
	{ "ABORTCLOSE_LOG=file: /tmp/ac.log", "(path must be absolute; " EXP_LOG },
	{ "ABORTCLOSE_LOG=file:~/ac.log", "(path must be absolute; " EXP_LOG },
	{ "ABORTCLOSE_LOG=syslog:dev/log", "(path must be absolute; " EXP_LOG },
	{ "ABORTCLOSE_LOG=file/tmp/x", "(" EXP_LOG },
	{ "ABORTCLOSE_LOG=file::/tmp/x", "(path must be absolute; " EXP_LOG },
};

START_TEST(invalid_log)
{
	const struct bad_case *c = &invalid_cases[_i];
	struct result *r = parse1(c->entry);

	assert_invalid(r, "ABORTCLOSE_LOG");
	ck_assert_msg(strstr(r->msg, c->expect) != NULL, "'%s' lacks '%s'", r->msg, c->expect);
}
END_TEST

/* file:/ + path: the path must fit log_path with its NUL (< AC_PATH_MAX). */
static char *path_entry(size_t path_len)
{
	char *e = huge_entry("ABORTCLOSE_LOG", 5 + path_len, 'a');

	memcpy(e + strlen("ABORTCLOSE_LOG="), "file:/", 6);
	return e;
}

START_TEST(longest_path_fits)
{
	char *e = path_entry(AC_PATH_MAX - 1);
	struct result *r = parse1(e);

	assert_valid(r);
	ck_assert_int_eq(r->p.log_dest, AC_LOG_FILE);
	ck_assert_uint_eq(strlen(r->p.log_path), AC_PATH_MAX - 1);
	ck_assert_int_eq(r->p.log_path[0], '/');
	free(e);
}
END_TEST

START_TEST(too_long_path_is_invalid)
{
	char *e = path_entry(AC_PATH_MAX);
	struct result *r = parse1(e);

	assert_invalid(r, "ABORTCLOSE_LOG");
	ck_assert_ptr_nonnull(strstr(r->msg, "(path longer than 4095 bytes; "));
	ck_assert_ptr_nonnull(strstr(r->msg, "file:/aaaa"));
	ck_assert_ptr_nonnull(strstr(r->msg, "...' is invalid"));
	free(e);
}
END_TEST

START_TEST(secure_file_is_off_with_warning)
{
	struct result *r = parse(ENV("ABORTCLOSE_LOG=file:/tmp/ac.log"), 1);

	ck_assert_int_eq(r->rc, 0);
	ck_assert(r->p.enabled);
	ck_assert_int_eq(r->p.log_dest, AC_LOG_OFF);
	ck_assert_str_eq(r->p.log_path, "");
	ck_assert_str_eq(r->msg, MSG_SECURE_LOG);
}
END_TEST

START_TEST(secure_syslog_path_is_default_with_warning)
{
	struct result *r = parse(ENV("ABORTCLOSE_LOG=syslog:/tmp/fake.sock"), 1);

	ck_assert_int_eq(r->rc, 0);
	ck_assert_int_eq(r->p.log_dest, AC_LOG_SYSLOG);
	ck_assert_str_eq(r->p.log_path, ""); /* "" = /dev/log */
	ck_assert_str_eq(r->msg, MSG_SECURE_LOG);
}
END_TEST

START_TEST(secure_without_path_has_no_warning)
{
	const char *entries[] = { "ABORTCLOSE_LOG=syslog", "ABORTCLOSE_LOG=stderr",
				  "ABORTCLOSE_LOG=off", "ABORTCLOSE_ON_EXIT=fin" };

	for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
		struct result *r = parse(ENV((char *)entries[i]), 1);

		assert_valid(r);
	}
	ck_assert_int_eq(parse(ENV("ABORTCLOSE_LOG=syslog"), 1)->p.log_dest, AC_LOG_SYSLOG);
	ck_assert_int_eq(parse(ENV("ABORTCLOSE_LOG=stderr"), 1)->p.log_dest, AC_LOG_STDERR);
}
END_TEST

START_TEST(secure_still_validates_path)
{
	assert_invalid(parse(ENV("ABORTCLOSE_LOG=file:relative.log"), 1), "ABORTCLOSE_LOG");
	assert_invalid(parse(ENV("ABORTCLOSE_LOG=syslog:"), 1), "ABORTCLOSE_LOG");
}
END_TEST

START_TEST(secure_warning_then_error_reports_the_error)
{
	struct result *r = parse(ENV("ABORTCLOSE_LOG=file:/tmp/ac.log", "ABORTCLOSE_STATS=2"), 1);

	assert_invalid(r, "ABORTCLOSE_STATS");
	ck_assert_ptr_null(strstr(r->msg, "setuid"));
}
END_TEST

START_TEST(secure_other_variables_unaffected)
{
	struct result *r = parse(ENV("ABORTCLOSE_LOG=file:/tmp/ac.log", "ABORTCLOSE_ON_EXIT=rst",
				     "ABORTCLOSE_PORTS=80"),
				 1);

	ck_assert_int_eq(r->rc, 0);
	ck_assert_str_eq(r->msg, MSG_SECURE_LOG);
	assert_one_line(r->msg);
	ck_assert_int_eq(r->p.on_exit, AC_EXIT_RST);
	ck_assert_uint_eq(managed_count(&r->p), 1);
}
END_TEST

Suite *suite_log(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("log");

	tcase_add_loop_test(tc, valid_log, 0, (int)(sizeof(valid_cases) / sizeof(valid_cases[0])));
	tcase_add_loop_test(tc, invalid_log, 0,
			    (int)(sizeof(invalid_cases) / sizeof(invalid_cases[0])));
	tcase_add_test(tc, longest_path_fits);
	tcase_add_test(tc, too_long_path_is_invalid);
	tcase_add_test(tc, secure_file_is_off_with_warning);
	tcase_add_test(tc, secure_syslog_path_is_default_with_warning);
	tcase_add_test(tc, secure_without_path_has_no_warning);
	tcase_add_test(tc, secure_still_validates_path);
	tcase_add_test(tc, secure_warning_then_error_reports_the_error);
	tcase_add_test(tc, secure_other_variables_unaffected);
	suite_add_tcase(s, tc);
	return s;
}
