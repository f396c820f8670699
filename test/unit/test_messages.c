/* test_messages.c - the diagnostic line: the exact documented examples, one
 * line whatever the value holds, escaping, truncation of huge values. */
#include <stdlib.h>
#include <string.h>

#include "unit.h"

START_TEST(documented_examples_exact)
{
	ck_assert_str_eq(parse1("ABORTCLOSE_ON_EXIT=sometimes")->msg,
			 "libabortclose: ABORTCLOSE_ON_EXIT='sometimes' is invalid (expected status, "
			 "status:LIST of exit statuses 0-255 (status:0,255), fin or rst); "
			 "libabortclose is disabled for this process");
	ck_assert_str_eq(parse1("ABORTCLOSE_PORTS=80,9000-8000")->msg,
			 "libabortclose: ABORTCLOSE_PORTS='80,9000-8000' is invalid (reversed range "
			 "9000-8000; expected ports 1-65535 like 80,443,8000-8999,!8080); "
			 "libabortclose is disabled for this process");
	ck_assert_str_eq(parse1("ABORTCLOSE_ONEXIT=fin")->msg,
			 "libabortclose: ABORTCLOSE_ONEXIT is not a known variable (did you mean "
			 "ABORTCLOSE_ON_EXIT?); libabortclose is disabled for this process");
	ck_assert_str_eq(parse(ENV("ABORTCLOSE_LOG=stderr", "ABORTCLOSE_LOG=stderr"), 0)->msg,
			 "libabortclose: ABORTCLOSE_LOG is set more than once; libabortclose is "
			 "disabled for this process");
}
END_TEST

START_TEST(value_shown_raw_untrimmed)
{
	ck_assert_ptr_nonnull(strstr(parse1("ABORTCLOSE_ON_EXIT= sometimes\t")->msg,
				     "ABORTCLOSE_ON_EXIT=' sometimes\\x09' is invalid"));
	/* the value may itself contain '=' */
	ck_assert_ptr_nonnull(strstr(parse1("ABORTCLOSE_ON_EXIT=a=b")->msg,
				     "ABORTCLOSE_ON_EXIT='a=b' is invalid"));
}
END_TEST

struct escape_case {
	const char *entry;
	const char *shown;
};

static const struct escape_case escape_cases[] = {
	{ "ABORTCLOSE_ON_EXIT=fin\nrst", "'fin\\x0arst'" },
	{ "ABORTCLOSE_ON_EXIT=fin\rX", "'fin\\x0dX'" },
	{ "ABORTCLOSE_ON_EXIT=\x1b[31mred", "'\\x1b[31mred'" },
	{ "ABORTCLOSE_ON_EXIT=\x7f", "'\\x7f'" },
	{ "ABORTCLOSE_ON_EXIT=\xc3\x28", "'\\xc3('" },             /* invalid UTF-8 */
	{ "ABORTCLOSE_ON_EXIT=\xff\xfe", "'\\xff\\xfe'" },
	{ "ABORTCLOSE_ON_EXIT=f\xc3\xafn", "'f\\xc3\\xafn'" },     /* valid UTF-8, non-ASCII */
	{ "ABORTCLOSE_ON_EXIT=a\\x0ab", "'a\\x5cx0ab'" },           /* a literal backslash */
	{ "ABORTCLOSE_ROLES=accepted\n,connected\x01", "'accepted\\x0a,connected\\x01'" },
	{ "ABORTCLOSE_PORTS=80,\xe2\x80\x8b" "443", "'80,\\xe2\\x80\\x8b443'" },
	{ "ABORTCLOSE_LOG=file:\xff", "'file:\\xff'" },
	{ "ABORTCLOSE=\t\x01", "'\\x09\\x01'" },
};

START_TEST(control_and_non_ascii_escaped)
{
	const struct escape_case *c = &escape_cases[_i];
	struct result *r = parse1(c->entry);

	assert_invalid(r, NULL);
	ck_assert_msg(strstr(r->msg, c->shown) != NULL, "'%s' lacks %s", r->msg, c->shown);
}
END_TEST

START_TEST(truncated_at_64)
{
	char *e64 = huge_entry("ABORTCLOSE_ON_EXIT", 64, 'x');
	char *e65 = huge_entry("ABORTCLOSE_ON_EXIT", 65, 'x');
	char want[128];

	memset(want, 0, sizeof(want));
	want[0] = '\'';
	memset(want + 1, 'x', 64);
	strcat(want, "' is invalid");
	ck_assert_ptr_nonnull(strstr(parse1(e64)->msg, want));
	want[65] = '\0';
	strcat(want, "...' is invalid");
	ck_assert_ptr_nonnull(strstr(parse1(e65)->msg, want));
	free(e64);
	free(e65);
}
END_TEST

static const char *const all_names[] = {
	"ABORTCLOSE",       "ABORTCLOSE_ON_EXIT", "ABORTCLOSE_ON_SHUTDOWN", "ABORTCLOSE_LOG",
	"ABORTCLOSE_LOG_LEVEL", "ABORTCLOSE_PORTS", "ABORTCLOSE_ROLES",      "ABORTCLOSE_STATS",
	"ABORTCLOSE_ON_CLOSE", "ABORTCLOSE_ON_UNWIND",
};
#define N_NAMES ((int)(sizeof(all_names) / sizeof(all_names[0])))

/* 1 MB of one byte for every variable: still one short, valid line.  The
 * bytes are chosen to hit every shape: junk, the worst escaping (\xff is
 * 4 characters), newlines, digits (ports: out of range), whitespace only. */
static const char huge_bytes[] = { 'x', '\xff', '\n', '9', ' ', ',', '!', '/' };
#define N_BYTES ((int)sizeof(huge_bytes))

START_TEST(huge_value_short_line)
{
	const char *name = all_names[_i / N_BYTES];
	char c = huge_bytes[_i % N_BYTES];
	char *e = huge_entry(name, 1 << 20, c);
	struct result *r = parse1(e);

	assert_invalid(r, name);
	ck_assert_msg(strlen(r->msg) < AC_MSG_MAX, "too long");
	ck_assert_msg(strstr(r->msg, "...' is invalid") != NULL, "%s", r->msg);
	free(e);
}
END_TEST

/* The longest possible lines: maximal escaped values (and port items, and
 * unknown names) must still end with the full tail, never cut. */
START_TEST(worst_case_lines_fit)
{
	char *ports = huge_entry("ABORTCLOSE_PORTS", 4096, '\xff');
	char *ports2 = huge_entry("ABORTCLOSE_PORTS", 4096, '\xff');
	char *log = huge_entry("ABORTCLOSE_LOG", AC_PATH_MAX + 10, '\xff');
	char *name = malloc(200);
	size_t longest = 0;

	memcpy(strchr(ports2, '=') + 1, "80,", 3);
	memcpy(strchr(log, '=') + 1, "file:/", 6);
	memcpy(name, "ABORTCLOSE", 10);
	memset(name + 10, '\x01', 180);
	strcpy(name + 190, "=1");
	/* ON_EXIT=status:LIST with a junk item: the value and the item are both
	 * shown escaped, and its "expected" text is the longest (found by the
	 * fuzzer: 527 characters, cut, before ITEM_SHOWN_EXIT). */
	char *exits = malloc(300);
	char *x = exits + sprintf(exits, "ABORTCLOSE_ON_EXIT=\r");
	x += sprintf(x, "%.*s", 120, "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t"
		     "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t"
		     "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t"
		     "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t");
	sprintf(x, "\r\rstatus:5\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\r\rstatus:525-0\r,\rd\x01");
	char *entries[] = { ports, ports2, log, name, exits };
	for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
		struct result *r = parse1(entries[i]);

		assert_invalid(r, NULL);
		if (strlen(r->msg) > longest)
			longest = strlen(r->msg);
	}
	ck_assert_uint_lt(longest, AC_MSG_MAX - 1); /* never reached the cap */
	free(ports);
	free(ports2);
	free(log);
	free(name);
	free(exits);
}
END_TEST

Suite *suite_messages(void)
{
	Suite *s = suite_create("messages");
	TCase *tc = tcase_create("messages");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, documented_examples_exact);
	tcase_add_test(tc, value_shown_raw_untrimmed);
	tcase_add_loop_test(tc, control_and_non_ascii_escaped, 0,
			    (int)(sizeof(escape_cases) / sizeof(escape_cases[0])));
	tcase_add_test(tc, truncated_at_64);
	tcase_add_loop_test(tc, huge_value_short_line, 0, N_NAMES * N_BYTES);
	tcase_add_test(tc, worst_case_lines_fit);
	suite_add_tcase(s, tc);
	return s;
}
