/* The recovery-key parser: what people type and what exports hold, good and bad. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "winrescue/recovery_key.h"

/* The recovery key of bitlk-aes-xts-128 in the cryptsetup test set. */
#define GOOD "235818-357951-253979-013365-241120-245575-342914-591910"

struct good_case { const char *input; };

static const struct good_case GOOD_CASES[] = {
	{ GOOD },
	{ "235818 357951 253979 013365 241120 245575 342914 591910" },
	{ "235818357951253979013365241120245575342914591910" },
	{ "  " GOOD "\n" },
	{ "\t235818357951253979013365241120245575342914591910 \r\n" },
};

static void accepts_every_good_form(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(GOOD_CASES) / sizeof(*GOOD_CASES); i++) {
		struct wr_recovery_key key;
		char *msg = NULL;
		int block = -1;
		int rc = wr_recovery_key_parse(GOOD_CASES[i].input, &key, &block, &msg);
		if (rc)
			fail_msg("case %zu rejected: %s", i, msg);
		assert_string_equal(key.text, GOOD);
		assert_int_equal(strlen(key.text), WR_RECOVERY_KEY_LEN);
		assert_int_equal(block, 0);
		assert_null(msg);
	}
}

struct bad_case {
	const char *input;
	int block;            /* the block named, 0 for none */
	const char *message;  /* substring of the message */
};

static const struct bad_case BAD_CASES[] = {
	{ "", 0, "48 digits, 0 found" },
	{ "235818-357951-253979-013365-241120-245575-342914", 0, "48 digits, 42 found" },
	{ "235818-357951-253979-013365-241120-245575-342914-5919101", 0, "48 digits, 49 found" },
	{ "235818-357951-253979-013365-241120-245575-342914-59191", 0, "48 digits, 47 found" },
	{ "23581A-357951-253979-013365-241120-245575-342914-591910", 0, "letters found" },
	{ "64311DEA-4587-4029-924A-BA299647998E", 0, "letters found" },
	{ "235818-357951 253979-013365-241120-245575-342914-591910", 0, "mixed separators" },
	{ "235818-357951-253979-013365-241120-245575-342914_591910", 0, "unexpected character '_'" },
	{ "23581-8357951-253979-013365-241120-245575-342914-591910", 0, "between blocks of 6" },
	{ "235818--357951-253979-013365-241120-245575-342914591910", 0, "between blocks of 6" },
	{ "235818-357951-253979-013365-241120-245575-342914591910", 0, "between blocks of 6" },
	{ "-235818357951253979013365241120245575342914591910", 0, "between blocks of 6" },
	{ "235818-357951-253979-013365-241120-245575-342914-591910-", 0, "between blocks of 6" },
	/* 720896 is 65536 * 11: a multiple of 11 but too big. */
	{ "720896-357951-253979-013365-241120-245575-342914-591910", 1, "block 1 (720896) is not valid: check it" },
};

static void rejects_malformed_input(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(BAD_CASES) / sizeof(*BAD_CASES); i++) {
		struct wr_recovery_key key;
		char *msg = NULL;
		int block = -1;
		int rc = wr_recovery_key_parse(BAD_CASES[i].input, &key, &block, &msg);
		if (rc != -EINVAL)
			fail_msg("case %zu (%s) accepted", i, BAD_CASES[i].input);
		assert_non_null(msg);
		if (!strstr(msg, BAD_CASES[i].message))
			fail_msg("case %zu: message \"%s\" lacks \"%s\"", i, msg, BAD_CASES[i].message);
		assert_int_equal(block, BAD_CASES[i].block);
		free(msg);
	}
}

/* A typo in any one block is caught and that block is named. */
static void names_each_bad_block(void **state)
{
	(void)state;
	for (int b = 1; b <= 8; b++) {
		char input[] = GOOD;
		char *digit = input + (b - 1) * 7 + 5;   /* last digit of block b */
		*digit = *digit == '9' ? '0' : (char)(*digit + 1);
		char expect[64], block_digits[7];
		memcpy(block_digits, input + (b - 1) * 7, 6);
		block_digits[6] = '\0';
		snprintf(expect, sizeof(expect), "block %d (%s) is not valid: check it", b, block_digits);
		struct wr_recovery_key key;
		char *msg = NULL;
		int block = 0;
		assert_int_equal(wr_recovery_key_parse(input, &key, &block, &msg), -EINVAL);
		assert_int_equal(block, b);
		assert_string_equal(msg, expect);
		free(msg);
	}
}

static void checks_blocks_by_rule(void **state)
{
	(void)state;
	assert_true(wr_recovery_key_block_valid("000000"));
	assert_true(wr_recovery_key_block_valid("720885"));   /* 65535 * 11 */
	assert_false(wr_recovery_key_block_valid("720896"));
	assert_false(wr_recovery_key_block_valid("000001"));
	assert_false(wr_recovery_key_block_valid("12a456"));
}

static void wipes(void **state)
{
	(void)state;
	struct wr_recovery_key key;
	assert_int_equal(wr_recovery_key_parse(GOOD, &key, NULL, NULL), 0);
	wr_recovery_key_wipe(&key);
	for (size_t i = 0; i < sizeof(key.text); i++)
		assert_int_equal(key.text[i], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepts_every_good_form),
		cmocka_unit_test(rejects_malformed_input),
		cmocka_unit_test(names_each_bad_block),
		cmocka_unit_test(checks_blocks_by_rule),
		cmocka_unit_test(wipes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
