/* Sealed keys files (src/sealed.c, src/keys_sealed.c): a 10,000-row export sealed
 * and opened gives back the same bytes and keys; a wrong passphrase, any changed
 * byte and any cut are refused; nothing of a key or Key ID stays in clear. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "winrescue/keys_file.h"
#include "winrescue/sealed.h"
#include "winrescue/util.h"

#define ROWS 10000
/* Fast parameters for the byte-by-byte checks; the default ones in the round trip. */
static const struct wr_seal_params quick = { 1, 64, 1 };

/* A CrowdStrike-style export: Key ID i, a valid key made from i (blocks are
 * multiples of 11). */
static char *make_export(size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);
	fputs("\357\273\277KeyID,RecoveryKey\r\n", f);
	for (unsigned i = 0; i < ROWS; i++) {
		fprintf(f, "{%08X-0000-4000-8000-%012X},", i, i);
		for (unsigned b = 0; b < 8; b++)
			fprintf(f, "%06u%s", 11 * ((i * 8 + b) % 65536), b < 7 ? "-" : "\r\n");
	}
	fclose(f);
	return text;
}

static bool contains(const uint8_t *hay, size_t n, const char *needle)
{
	return memmem(hay, n, needle, strlen(needle)) != NULL;
}

static void round_trip_10000_rows(void **state)
{
	(void)state;
	size_t len;
	char *text = make_export(&len);
	uint8_t *sealed, *plain;
	size_t sealed_len, plain_len;
	assert_int_equal(wr_seal(text, len, "correct horse battery", &wr_seal_default_params,
				 &sealed, &sealed_len), 0);
	assert_int_equal(sealed_len, len + WR_SEALED_HEADER_LEN + WR_SEALED_TAG_LEN);
	assert_true(wr_sealed_detect(sealed, sealed_len));
	char *msg = NULL;
	assert_int_equal(wr_unseal(sealed, sealed_len, "correct horse battery", &plain, &plain_len,
				   &msg), 0);
	assert_int_equal(plain_len, len);
	assert_memory_equal(plain, text, len);
	struct wr_keys_file *kf = NULL;
	assert_int_equal(wr_keys_file_parse((char *)plain, plain_len, &kf, &msg), 0);
	assert_int_equal(wr_keys_file_count(kf), ROWS);
	const struct wr_recovery_key *keys[2];
	assert_int_equal(wr_keys_file_lookup(kf, "0000270F-0000-4000-8000-00000000270F", keys, 2), 1);
	wr_keys_file_free(kf);
	/* No Key ID and no key in clear: check every row's, in the forms they have. */
	for (unsigned i = 0; i < ROWS; i++) {
		char id[40];
		snprintf(id, sizeof(id), "%08X-0000-4000-8000-%012X", i, i);
		assert_false(contains(sealed, sealed_len, id));
		snprintf(id, sizeof(id), "%08X", i);
		assert_false(contains(sealed, sealed_len, id));
	}
	assert_false(contains(sealed, sealed_len, "KeyID"));
	assert_false(contains(sealed, sealed_len, "-000011-"));
	free(plain);
	free(sealed);
	free(text);
}

static void wrong_passphrase_is_one_clear_error(void **state)
{
	(void)state;
	const char text[] = "KeyID,RecoveryKey\n";
	uint8_t *sealed, *plain = NULL;
	size_t sealed_len, plain_len;
	assert_int_equal(wr_seal(text, sizeof(text) - 1, "right", &quick, &sealed, &sealed_len), 0);
	char *msg = NULL;
	assert_int_equal(wr_unseal(sealed, sealed_len, "wrong", &plain, &plain_len, &msg), -EACCES);
	assert_null(plain);
	assert_non_null(strstr(msg, "wrong passphrase"));
	free(msg);
	msg = NULL;
	assert_int_equal(wr_unseal(sealed, sealed_len, "", &plain, &plain_len, &msg), -EACCES);
	free(msg);
	/* An empty passphrase is never used to seal. */
	uint8_t *none = NULL;
	assert_int_equal(wr_seal(text, sizeof(text) - 1, "", &quick, &none, &sealed_len), -EINVAL);
	free(sealed);
}

/* Every byte of the file matters: header (authenticated as GCM's additional data),
 * ciphertext and tag. Any one changed, or any cut, is refused and gives nothing. */
static void every_change_and_cut_is_refused(void **state)
{
	(void)state;
	const char text[] = "KeyID,RecoveryKey\n{0B5C2E4F-1111-4222-8333-444455556666},"
			    "000011-000022-000033-000044-000055-000066-000077-000088\n";
	uint8_t *sealed, *plain = NULL;
	size_t n, plain_len;
	assert_int_equal(wr_seal(text, sizeof(text) - 1, "pass", &quick, &sealed, &n), 0);
	for (size_t i = 0; i < n; i++) {
		sealed[i] ^= 0x01;
		char *msg = NULL;
		int rc = wr_unseal(sealed, n, "pass", &plain, &plain_len, &msg);
		assert_true(rc == -EACCES || rc == -EINVAL);
		assert_null(plain);
		assert_non_null(msg);
		free(msg);
		sealed[i] ^= 0x01;
	}
	for (size_t cut = 0; cut < n; cut++) {
		char *msg = NULL;
		int rc = wr_unseal(sealed, cut, "pass", &plain, &plain_len, &msg);
		assert_true(rc == -EACCES || rc == -EINVAL);
		assert_null(plain);
		free(msg);
	}
	char *msg = NULL;
	assert_int_equal(wr_unseal(sealed, n, "pass", &plain, &plain_len, &msg), 0);
	assert_string_equal((char *)plain, text);
	free(plain);
	free(sealed);
}

/* A hostile header asking for 4 GiB of memory is refused before any work. */
static void hostile_parameters_are_refused(void **state)
{
	(void)state;
	uint8_t *sealed, *plain = NULL;
	size_t n, plain_len;
	assert_int_equal(wr_seal("x", 1, "pass", &quick, &sealed, &n), 0);
	sealed[16] = sealed[17] = sealed[18] = sealed[19] = 0xff;  /* memory cost */
	char *msg = NULL;
	assert_int_equal(wr_unseal(sealed, n, "pass", &plain, &plain_len, &msg), -EINVAL);
	assert_non_null(strstr(msg, "limits"));
	free(msg);
	free(sealed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip_10000_rows),
		cmocka_unit_test(wrong_passphrase_is_one_clear_error),
		cmocka_unit_test(every_change_and_cut_is_refused),
		cmocka_unit_test(hostile_parameters_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
