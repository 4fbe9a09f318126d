// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_file.c - files written whole, and one-line files read
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file.h"
#include "unit.h"

static char dir[] = "/tmp/hk-test-file.XXXXXX";

static const char *path_in(const char *name)
{
	static char path[64];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static void put(const char *name, const char *text)
{
	FILE *f = fopen(path_in(name), "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_read_line(void **state)
{
	/* an 8-byte buffer: lines are cut at 7; an empty line is a line,
	 * an empty file none */
	static const struct {
		const char *text;
		bool ok;
		const char *line;
	} cases[] = {
		{ "abc\ndef\n", true, "abc" },
		{ "haltpoll", true, "haltpol" },	/* no newline, and cut */
		{ "0123456789\n", true, "0123456" },
		{ "\nx\n", true, "" },
		{ "", false, "" },
	};
	char buf[8];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		put("f", cases[i].text);
		strcpy(buf, "old");
		assert_int_equal(file_read_line(path_in("f"), buf, sizeof(buf)), cases[i].ok);
		assert_string_equal(buf, cases[i].line);
	}
	strcpy(buf, "old");
	assert_false(file_read_line(path_in("nosuch"), buf, sizeof(buf)));
	assert_string_equal(buf, "");
}

static void test_write_atomic(void **state)
{
	char buf[8];

	(void)state;
	assert_int_equal(file_write_atomic(path_in("w"), "one"), 0);
	assert_true(file_read_line(path_in("w"), buf, sizeof(buf)));
	assert_string_equal(buf, "one");
	assert_int_equal(file_write_atomic(path_in("w"), "two"), 0);
	assert_true(file_read_line(path_in("w"), buf, sizeof(buf)));
	assert_string_equal(buf, "two");
	assert_int_equal(file_write_atomic(path_in("nodir/w"), "x"), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_line),
		cmocka_unit_test(test_write_atomic),
	};
	char rm[64];
	int ret;

	if (!mkdtemp(dir))
		return 1;
	ret = cmocka_run_group_tests_name("file", tests, NULL, NULL);
	snprintf(rm, sizeof(rm), "rm -rf %s", dir);
	if (system(rm) != 0)
		ret = 1;
	return ret;
}
