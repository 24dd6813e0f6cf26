/* The keys-file parser: the shapes admins' exports come in, and bad rows. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "winrescue/guid.h"
#include "winrescue/keys_file.h"
#include "winrescue/util.h"

#define ID1 "64311DEA-4587-4029-924A-BA299647998E"
#define KEY1 "235818-357951-253979-013365-241120-245575-342914-591910"
#define ID2 "3FD763F9-74C7-4E90-8FA2-1F6A2E2B4E0C"
#define KEY2 "042647-302313-590458-071500-554323-116567-412181-516978"

struct good_case {
	const char *name;
	const char *text;
	size_t len;               /* 0: strlen(text) */
};

#define BOM "\xef\xbb\xbf"
static const struct good_case GOOD_CASES[] = {
	{ "CrowdStrike CSV", "KeyID,RecoveryKey\n" ID1 "," KEY1 "\n" ID2 "," KEY2 "\n", 0 },
	{ "BOM and CRLF", BOM "KeyID,RecoveryKey\r\n" ID1 "," KEY1 "\r\n" ID2 "," KEY2 "\r\n", 0 },
	{ "quoted, braces, lower case, other columns",
	  "\"Device Name\",\"Key ID\",\"Recovery Key\",\"Note\"\n"
	  "\"PC, \"\"one\"\"\",\"{" "64311dea-4587-4029-924a-ba299647998e" "}\",\"" KEY1 "\",\"a,b\"\n"
	  "PC2,{" ID2 "}," KEY2 ",\n", 0 },
	{ "TSV, Entra-style names", "deviceName\tBitLockerRecoveryKeyId\tRecoveryPassword\n"
	  "pc1\t" ID1 "\t" KEY1 "\npc2\t" ID2 "\t" KEY2 "\n", 0 },
	{ "AD-style names, semicolons", "Computer;msFVE-RecoveryGuid;msFVE-RecoveryPassword\n"
	  "pc1;" ID1 ";" KEY1 "\npc2;" ID2 ";" KEY2 "\n", 0 },
	{ "PowerShell #TYPE line, blank lines, no final newline",
	  "#TYPE System.Management.Automation.PSCustomObject\n\n\"KeyId\",\"RecoveryKey\"\n"
	  "\"" ID1 "\",\"" KEY1 "\"\n\n\"" ID2 "\",\"" KEY2 "\"", 0 },
	{ "keys without dashes, spaces around", "KeyID,RecoveryKey\n " ID1 " , "
	  "235818357951253979013365241120245575342914591910 \n" ID2 "," KEY2 "\n", 0 },
};

static void lookup_both(const struct wr_keys_file *kf, const char *name)
{
	const struct wr_recovery_key *keys[4];
	if (wr_keys_file_lookup(kf, ID1, keys, 4) != 1)
		fail_msg("%s: Key ID 1 not found", name);
	assert_string_equal(keys[0]->text, KEY1);
	assert_int_equal(wr_keys_file_lookup(kf, "{3fd763f9-74c7-4e90-8fa2-1f6a2e2b4e0c}", keys, 4), 1);
	assert_string_equal(keys[0]->text, KEY2);
	assert_int_equal(wr_keys_file_lookup(kf, "83ABDB8F-3218-4BFD-ACED-215E1E189BDF", keys, 4), 0);
	assert_int_equal(wr_keys_file_count(kf), 2);
	if (wr_keys_file_bad_rows(kf))
		fail_msg("%s: bad rows: %s", name, wr_keys_file_problems(kf));
}

static void reads_every_shape(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(GOOD_CASES) / sizeof(*GOOD_CASES); i++) {
		const struct good_case *c = &GOOD_CASES[i];
		struct wr_keys_file *kf = NULL;
		char *msg = NULL;
		if (wr_keys_file_parse(c->text, c->len ? c->len : strlen(c->text), &kf, &msg))
			fail_msg("%s: %s", c->name, msg);
		lookup_both(kf, c->name);
		wr_keys_file_free(kf);
	}
}

static void reads_utf16le(void **state)
{
	(void)state;
	const char *text = "KeyID,RecoveryKey\r\n" ID1 "," KEY1 "\r\n" ID2 "," KEY2 "\r\n";
	size_t n = strlen(text);
	char *buf = wr_xmalloc(2 + 2 * n);
	buf[0] = (char)0xff;
	buf[1] = (char)0xfe;
	for (size_t i = 0; i < n; i++) {
		buf[2 + 2 * i] = text[i];
		buf[3 + 2 * i] = 0;
	}
	struct wr_keys_file *kf = NULL;
	assert_int_equal(wr_keys_file_parse(buf, 2 + 2 * n, &kf, NULL), 0);
	lookup_both(kf, "UTF-16LE");
	wr_keys_file_free(kf);
	free(buf);
}

struct header_case { const char *text; const char *message; };

static const struct header_case BAD_HEADERS[] = {
	{ "", "empty" },
	{ "\n\n", "empty" },
	{ "Device,RecoveryKey\npc," KEY1 "\n", "Key ID" },
	{ "KeyID,Device\n" ID1 ",pc\n", "recovery key" },
	{ ID1 "," KEY1 "\n", "Key ID" },
};

static void refuses_files_without_columns(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(BAD_HEADERS) / sizeof(*BAD_HEADERS); i++) {
		struct wr_keys_file *kf = (void *)1;
		char *msg = NULL;
		assert_int_equal(wr_keys_file_parse(BAD_HEADERS[i].text, strlen(BAD_HEADERS[i].text),
						    &kf, &msg), -EINVAL);
		assert_null(kf);
		if (!strstr(msg, BAD_HEADERS[i].message))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, msg, BAD_HEADERS[i].message);
		assert_null(strstr(msg, "235818"));
		free(msg);
	}
}

static void counts_bad_rows_without_key_text(void **state)
{
	(void)state;
	const char *text =
		"KeyID,RecoveryKey\n"                                                        /* 1 */
		ID1 "," KEY1 "\n"                                                            /* 2 */
		"not-a-guid," KEY2 "\n"                                                      /* 3 */
		ID2 ",235818-357951-253979-013365-241120-245575-342914-591911\n"            /* 4 */
		ID2 "\n"                                                                     /* 5 */
		ID2 ",\n"                                                                    /* 6 */
		ID2 ",235818-357951\n"                                                       /* 7 */
		ID2 "," KEY2 "\n";                                                           /* 8 */
	struct wr_keys_file *kf = NULL;
	assert_int_equal(wr_keys_file_parse(text, strlen(text), &kf, NULL), 0);
	assert_int_equal(wr_keys_file_count(kf), 2);
	assert_int_equal(wr_keys_file_bad_rows(kf), 5);
	const char *p = wr_keys_file_problems(kf);
	assert_non_null(p);
	assert_string_equal(p,
		"line 3: the Key ID is not a GUID\n"
		"line 4: block 8 of the recovery key is not valid\n"
		"line 5: too few columns\n"
		"line 6: no recovery key\n"
		"line 7: the recovery key is not 8 blocks of 6 digits");
	assert_null(strstr(p, "591911"));
	const struct wr_recovery_key *keys[2];
	assert_int_equal(wr_keys_file_lookup(kf, ID2, keys, 2), 1);
	assert_string_equal(keys[0]->text, KEY2);
	wr_keys_file_free(kf);
}

static void counts_lines_across_quoted_line_ends(void **state)
{
	(void)state;
	const char *text = "Note,KeyID,RecoveryKey\n\"two\nlines\"," ID1 "," KEY1 "\nx,bad,\n";
	struct wr_keys_file *kf = NULL;
	assert_int_equal(wr_keys_file_parse(text, strlen(text), &kf, NULL), 0);
	assert_string_equal(wr_keys_file_problems(kf), "line 4: the Key ID is not a GUID");
	wr_keys_file_free(kf);
}

static void keeps_distinct_keys_of_duplicate_ids(void **state)
{
	(void)state;
	const char *text = "KeyID,RecoveryKey\n" ID1 "," KEY1 "\n" ID1 "," KEY1 "\n"
			   "{" ID1 "}," KEY2 "\n";
	struct wr_keys_file *kf = NULL;
	assert_int_equal(wr_keys_file_parse(text, strlen(text), &kf, NULL), 0);
	const struct wr_recovery_key *keys[4];
	assert_int_equal(wr_keys_file_lookup(kf, ID1, keys, 4), 2);
	assert_true((!strcmp(keys[0]->text, KEY1) && !strcmp(keys[1]->text, KEY2)) ||
		    (!strcmp(keys[0]->text, KEY2) && !strcmp(keys[1]->text, KEY1)));
	assert_int_equal(wr_keys_file_count(kf), 2);
	wr_keys_file_free(kf);
}

/* Lists up to 10 bad rows, then says how many more. */
static void caps_the_problem_list(void **state)
{
	(void)state;
	char *text = wr_xstrdup("KeyID,RecoveryKey\n");
	for (int i = 0; i < 25; i++) {
		char *t = wr_xasprintf("%sx,y\n", text);
		free(text);
		text = t;
	}
	struct wr_keys_file *kf = NULL;
	assert_int_equal(wr_keys_file_parse(text, strlen(text), &kf, NULL), 0);
	assert_int_equal(wr_keys_file_bad_rows(kf), 25);
	assert_non_null(strstr(wr_keys_file_problems(kf), "line 11: the Key ID is not a GUID\n"
			       "... and 15 more bad rows"));
	wr_keys_file_free(kf);
	free(text);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* 100,000 rows load and answer a lookup; the time is printed, not asserted. */
static void loads_a_large_export(void **state)
{
	(void)state;
	size_t rows = 100000, cap = 128 * (rows + 2), len = 0;
	char *text = wr_xmalloc(cap);
	len += (size_t)snprintf(text, cap, "KeyID,RecoveryKey,ComputerName\n");
	for (size_t i = 0; i < rows; i++)
		len += (size_t)snprintf(text + len, cap - len,
					"%08zX-4587-4029-924A-%012zX,%06zu-357951-253979-013365-241120-"
					"245575-342914-591910,PC-%zu\n", i * 2654435761u % 0xffffffffu,
					i, (i % 65536) * 11, i);
	len += (size_t)snprintf(text + len, cap - len, ID1 "," KEY1 ",target\n");
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct wr_keys_file *kf = NULL;
	assert_int_equal(wr_keys_file_parse(text, len, &kf, NULL), 0);
	const struct wr_recovery_key *keys[2];
	assert_int_equal(wr_keys_file_lookup(kf, ID1, keys, 2), 1);
	double secs = seconds_since(&t0);
	assert_string_equal(keys[0]->text, KEY1);
	assert_int_equal(wr_keys_file_count(kf), rows + 1);
	print_message("100,001 rows parsed, sorted and looked up in %.1f ms\n", secs * 1000);
	wr_keys_file_free(kf);
	free(text);
}

static void parses_guids(void **state)
{
	(void)state;
	uint8_t g[16];
	char text[WR_GUID_TEXT_LEN];
	assert_int_equal(wr_guid_parse(ID1, strlen(ID1), g), 0);
	/* On-disk order: the first three fields little-endian. */
	assert_int_equal(g[0], 0xea);
	assert_int_equal(g[3], 0x64);
	assert_int_equal(g[15], 0x8e);
	wr_guid_format(g, text);
	assert_string_equal(text, ID1);
	assert_int_equal(wr_guid_parse(" {" ID1 "} ", strlen(ID1) + 4, g), 0);
	assert_int_equal(wr_guid_parse("{" ID1, strlen(ID1) + 1, g), -EINVAL);
	assert_int_equal(wr_guid_parse("64311DEA-4587-4029-924A_BA299647998E", 36, g), -EINVAL);
	assert_int_equal(wr_guid_parse("64311DEG-4587-4029-924A-BA299647998E", 36, g), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reads_every_shape),
		cmocka_unit_test(reads_utf16le),
		cmocka_unit_test(refuses_files_without_columns),
		cmocka_unit_test(counts_bad_rows_without_key_text),
		cmocka_unit_test(counts_lines_across_quoted_line_ends),
		cmocka_unit_test(keeps_distinct_keys_of_duplicate_ids),
		cmocka_unit_test(caps_the_problem_list),
		cmocka_unit_test(loads_a_large_export),
		cmocka_unit_test(parses_guids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
