// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_args.c - numbers, words and CPU lists from the command line
 */
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>

#include "args.h"
#include "unit.h"

static void test_ulong(void **state)
{
	unsigned long v = 0;

	(void)state;
	assert_true(args_ulong("42", 1, 100, &v));
	assert_int_equal(v, 42);
	assert_false(args_ulong("0", 1, 100, &v));
	assert_false(args_ulong("101", 1, 100, &v));
	assert_false(args_ulong("-1", 0, 100, &v));
	assert_false(args_ulong("+1", 0, 100, &v));
	assert_false(args_ulong(" 1", 0, 100, &v));
	assert_false(args_ulong("1x", 0, 100, &v));
	assert_false(args_ulong("", 0, 100, &v));
	assert_false(args_ulong("99999999999999999999999", 0, ~0UL, &v));
}

static void test_word(void **state)
{
	static const char *const words[] = { "none", "cache", "passthrough", NULL };
	unsigned int i = 7;

	(void)state;
	assert_true(args_word("none", words, &i));
	assert_int_equal(i, 0);
	assert_true(args_word("passthrough", words, &i));
	assert_int_equal(i, 2);
	i = 7;
	assert_false(args_word("pass", words, &i));
	assert_false(args_word("Cache", words, &i));
	assert_false(args_word("cache ", words, &i));
	assert_false(args_word("", words, &i));
	assert_int_equal(i, 7);
}

static void test_cpus(void **state)
{
	/* what is read, written back as args_cpus_format() does */
	static const struct { const char *arg, *want; } good[] = {
		{ "0", "0" },
		{ "3", "3" },
		{ "0-3", "0-3" },
		{ "1,3", "1,3" },
		{ "0-1,5,7-8,9", "0-1,5,7-9" },
		{ "2-2", "2" },
		{ "3,1,3", "1,3" },
		{ "1023", "1023" },
		{ "0-1023", "0-1023" },
	};
	static const char *const bad[] = {
		"", ",", "1,", ",1", "1,,2", "-1", "1-", "3-1", "a", "1a",
		"1 2", " 1", "1-2-3", "0x1", "+1", "1024", "0-1024",
		"99999999999999999999999",
	};
	char buf[64];
	cpu_set_t set;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (!args_cpus(good[i].arg, &set))
			fail_msg("'%s' refused", good[i].arg);
		assert_string_equal(args_cpus_format(&set, buf, sizeof(buf)), good[i].want);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (args_cpus(bad[i], &set))
			fail_msg("'%s' taken as %s", bad[i],
				 args_cpus_format(&set, buf, sizeof(buf)));
	}
	/* every other CPU does not fit in 16 bytes: cut, and said so */
	CPU_ZERO(&set);
	for (int c = 0; c < 64; c += 2)
		CPU_SET(c, &set);
	assert_string_equal(args_cpus_format(&set, buf, 16), "0,2,4,6,8,10...");
	CPU_ZERO(&set);
	assert_string_equal(args_cpus_format(&set, buf, sizeof(buf)), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ulong),
		cmocka_unit_test(test_word),
		cmocka_unit_test(test_cpus),
	};

	return cmocka_run_group_tests_name("args", tests, NULL, NULL);
}
