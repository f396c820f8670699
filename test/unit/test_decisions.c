#include <string.h>
/* test_decisions.c - the pure decisions: is_tcp, exit, shutdown, ports. */
#include <limits.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "unit.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

struct tcp_case {
	int domain, type, protocol;
	bool tcp;
};

static const struct tcp_case tcp_cases[] = {
	{ AF_INET, SOCK_STREAM, 0, true },
	{ AF_INET6, SOCK_STREAM, 0, true },
	{ AF_INET, SOCK_STREAM, IPPROTO_TCP, true },
	{ AF_INET6, SOCK_STREAM, IPPROTO_TCP, true },
	{ AF_INET, SOCK_STREAM, IPPROTO_MPTCP, true },
	{ AF_INET6, SOCK_STREAM, IPPROTO_MPTCP, true },
	{ AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0, true },
	{ AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0, true },
	{ AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP, true },
	{ AF_INET, 0x80001, 0, true },  /* Python */
	{ AF_INET, 0x80801, 0, true },  /* Node */
	{ AF_INET, SOCK_STREAM, IPPROTO_SCTP, false },
	{ AF_INET, SOCK_STREAM, IPPROTO_UDP, false },
	{ AF_INET, SOCK_DGRAM, 0, false },
	{ AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, IPPROTO_UDP, false },
	{ AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP, false },
	{ AF_INET, SOCK_RAW, IPPROTO_TCP, false },
	{ AF_INET, SOCK_STREAM | 0x10, 0, false }, /* unknown flag: not ours to guess */
	{ AF_UNIX, SOCK_STREAM, 0, false },
	{ AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, false },
	{ AF_NETLINK, SOCK_RAW, 0, false },
	{ AF_PACKET, SOCK_STREAM, 0, false },
	{ AF_UNSPEC, SOCK_STREAM, 0, false },
	{ -1, SOCK_STREAM, 0, false },
	{ AF_INET, -1, 0, false },
	{ AF_INET, SOCK_STREAM, -1, false },
};

START_TEST(is_tcp)
{
	const struct tcp_case *c = &tcp_cases[_i];

	ck_assert_msg(ac_policy_is_tcp(c->domain, c->type, c->protocol) == c->tcp,
		      "case %d: (%d, %#x, %d)", _i, c->domain, c->type, c->protocol);
}
END_TEST

START_TEST(exit_status_policy)
{
	struct ac_policy p;

	ac_policy_defaults(&p);
	ck_assert(ac_policy_exit_disarms(&p, 0));
	ck_assert(!ac_policy_exit_disarms(&p, 1));
	ck_assert(!ac_policy_exit_disarms(&p, 3));
	ck_assert(!ac_policy_exit_disarms(&p, 255));
	ck_assert(!ac_policy_exit_disarms(&p, -1));  /* the parent sees 255 */
	ck_assert(ac_policy_exit_disarms(&p, 256));  /* the parent sees 0 */
	ck_assert(ac_policy_exit_disarms(&p, 512));
	ck_assert(ac_policy_exit_disarms(&p, -256));
	ck_assert(!ac_policy_exit_disarms(&p, 257));
	ck_assert(!ac_policy_exit_disarms(&p, INT_MAX));
	ck_assert(ac_policy_exit_disarms(&p, INT_MIN));
}
END_TEST

START_TEST(exit_fin_and_rst)
{
	const int statuses[] = { 0, 1, 2, 255, 256, -1, INT_MAX, INT_MIN };
	struct ac_policy fin, rst;

	ac_policy_defaults(&fin);
	ac_policy_defaults(&rst);
	fin.on_exit = AC_EXIT_FIN;
	rst.on_exit = AC_EXIT_RST;
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		ck_assert(ac_policy_exit_disarms(&fin, statuses[i]));
		ck_assert(!ac_policy_exit_disarms(&rst, statuses[i]));
	}
	/* and the same through the parser */
	ck_assert(ac_policy_exit_disarms(&parse1("ABORTCLOSE_ON_EXIT=fin")->p, 1));
	ck_assert(!ac_policy_exit_disarms(&parse1("ABORTCLOSE_ON_EXIT=rst")->p, 0));
	ck_assert(ac_policy_exit_disarms(&parse1("ABORTCLOSE_ON_EXIT=status")->p, 0));
	ck_assert(!ac_policy_exit_disarms(&parse1("ABORTCLOSE_ON_EXIT=status")->p, 1));
}
END_TEST

/* ABORTCLOSE_ON_EXIT=status:LIST: the named statuses (low 8 bits) count as
 * success, nothing else does. */
START_TEST(exit_status_list)
{
	const struct ac_policy *p = &parse1("ABORTCLOSE_ON_EXIT=status:0,255")->p;
	ck_assert(ac_policy_exit_disarms(p, 0));
	ck_assert(ac_policy_exit_disarms(p, 255));
	ck_assert(ac_policy_exit_disarms(p, -1)); /* exit(-1) is status 255 */
	ck_assert(ac_policy_exit_disarms(p, 256)); /* low 8 bits: 0 */
	ck_assert(!ac_policy_exit_disarms(p, 1));
	ck_assert(!ac_policy_exit_disarms(p, 254));
	p = &parse1("ABORTCLOSE_ON_EXIT=status:255")->p;
	ck_assert(!ac_policy_exit_disarms(p, 0)); /* 0 not named: not success */
	ck_assert(ac_policy_exit_disarms(p, 255));
	p = &parse1("ABORTCLOSE_ON_EXIT=STATUS: 0 , 2-4 ,64")->p;
	for (int st = 0; st < 256; st++)
		ck_assert_int_eq(ac_policy_exit_disarms(p, st), st == 0 || (st >= 2 && st <= 4) || st == 64);
	p = &parse1("ABORTCLOSE_ON_EXIT=status:0-255")->p;
	for (int st = 0; st < 256; st++)
		ck_assert(ac_policy_exit_disarms(p, st));
	/* the last setting wins, "status" alone is status:0 again */
	p = &parse(ENV("ABORTCLOSE_ON_EXIT=status"), 0)->p;
	ck_assert(!ac_policy_exit_disarms(p, 255));
}
END_TEST

/* Bad lists: one line naming the variable and what is wrong. */
static const struct { const char *entry, *detail; } bad_exit_lists[] = {
	{ "ABORTCLOSE_ON_EXIT=status:", "empty item" },
	{ "ABORTCLOSE_ON_EXIT=status:0,,255", "empty item" },
	{ "ABORTCLOSE_ON_EXIT=status:0,", "empty item" },
	{ "ABORTCLOSE_ON_EXIT=status:256", "status 256 out of range 0-255" },
	{ "ABORTCLOSE_ON_EXIT=status:99999999999999999999", "out of range 0-255" },
	{ "ABORTCLOSE_ON_EXIT=status:-1", "not a status or range: '-1'" },
	{ "ABORTCLOSE_ON_EXIT=status:0,0", "status 0 named twice" },
	{ "ABORTCLOSE_ON_EXIT=status:1-5,3", "status 3 named twice" },
	{ "ABORTCLOSE_ON_EXIT=status:9-2", "reversed range 9-2" },
	{ "ABORTCLOSE_ON_EXIT=status:abc", "not a status or range: 'abc'" },
	{ "ABORTCLOSE_ON_EXIT=status:1 2", "not a status or range: '1 2'" },
	{ "ABORTCLOSE_ON_EXIT=status=0", NULL },
	{ "ABORTCLOSE_ON_EXIT=fin:0", NULL },
};

START_TEST(exit_status_list_invalid)
{
	struct result *r = parse1(bad_exit_lists[_i].entry);
	assert_invalid(r, "ABORTCLOSE_ON_EXIT");
	if (bad_exit_lists[_i].detail)
		ck_assert_msg(strstr(r->msg, bad_exit_lists[_i].detail), "%s: %s", bad_exit_lists[_i].entry, r->msg);
}
END_TEST

START_TEST(shutdown_policy)
{
	struct ac_policy p;

	ac_policy_defaults(&p);
	ck_assert(!ac_policy_shutdown_disarms(&p, SHUT_RD));
	ck_assert(ac_policy_shutdown_disarms(&p, SHUT_WR));
	ck_assert(ac_policy_shutdown_disarms(&p, SHUT_RDWR));
	ck_assert(!ac_policy_shutdown_disarms(&p, 3));
	ck_assert(!ac_policy_shutdown_disarms(&p, -1));
	p = parse1("ABORTCLOSE_ON_SHUTDOWN=keep")->p;
	ck_assert(!ac_policy_shutdown_disarms(&p, SHUT_RD));
	ck_assert(!ac_policy_shutdown_disarms(&p, SHUT_WR));
	ck_assert(!ac_policy_shutdown_disarms(&p, SHUT_RDWR));
	p = parse1("ABORTCLOSE_ON_SHUTDOWN=disarm")->p;
	ck_assert(ac_policy_shutdown_disarms(&p, SHUT_WR));
}
END_TEST

START_TEST(port_bounds)
{
	struct ac_policy p = parse1("ABORTCLOSE_PORTS=1,65535")->p;

	ck_assert(p.ports_filtered);
	ck_assert(ac_policy_port_managed(&p, 1));
	ck_assert(ac_policy_port_managed(&p, 65535));
	ck_assert(!ac_policy_port_managed(&p, 0));
	ck_assert(!ac_policy_port_managed(&p, 65536));
	ck_assert(!ac_policy_port_managed(&p, 65536 + 1)); /* no wrap to port 1 */
	ck_assert(!ac_policy_port_managed(&p, 65536 + 65535));
	ck_assert(!ac_policy_port_managed(&p, UINT_MAX));
}
END_TEST

Suite *suite_decisions(void)
{
	Suite *s = suite_create("decisions");
	TCase *tc = tcase_create("decisions");

	tcase_add_loop_test(tc, is_tcp, 0, (int)(sizeof(tcp_cases) / sizeof(tcp_cases[0])));
	tcase_add_test(tc, exit_status_policy);
	tcase_add_test(tc, exit_fin_and_rst);
	tcase_add_test(tc, exit_status_list);
	tcase_add_loop_test(tc, exit_status_list_invalid, 0,
			    (int)(sizeof(bad_exit_lists) / sizeof(bad_exit_lists[0])));
	tcase_add_test(tc, shutdown_policy);
	tcase_add_test(tc, port_bounds);
	suite_add_tcase(s, tc);
	return s;
}
