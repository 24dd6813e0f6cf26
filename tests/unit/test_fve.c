/* The FVE metadata reader on volumes built in memory: what it reads, which copy it
 * trusts, and that no byte pattern (truncations, random damage) makes it misbehave. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "winrescue/fve.h"
#include "winrescue/util.h"

#define AREA 0x10000
#define IMAGE_LEN (4 * AREA)
#define NVMK 3

static const uint8_t GUID_NORMAL[16] = { 0x3b, 0xd6, 0x67, 0x49, 0x29, 0x2e, 0xd8, 0x4a,
					 0x83, 0x99, 0xf6, 0xa3, 0x39, 0xe3, 0xd0, 0x01 };
static const uint8_t GUID_EOW[16] = { 0x3b, 0x4d, 0xa8, 0x92, 0x80, 0xdd, 0x0e, 0x4d,
				      0x9e, 0x4e, 0xb1, 0xe3, 0x28, 0x4e, 0xae, 0xd8 };
/* 64311DEA-4587-4029-924A-BA299647998E as Windows stores it. */
static const uint8_t KEY_ID[16] = { 0xea, 0x1d, 0x31, 0x64, 0x87, 0x45, 0x29, 0x40,
				    0x92, 0x4a, 0xba, 0x29, 0x96, 0x47, 0x99, 0x8e };
static const uint16_t PROTECTIONS[NVMK] = { 0x2000, 0x0800, 0x0100 };

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }

/* Entries: NVMK volume master keys of 8 + 28 + 16 bytes, then a description. */
static size_t write_entries(uint8_t *p)
{
	size_t pos = 0;
	for (int i = 0; i < NVMK; i++) {
		uint8_t *e = p + pos;
		put16(e, 52); put16(e + 2, 2); put16(e + 4, 8); put16(e + 6, 1);
		memcpy(e + 8, KEY_ID, 16);
		e[8] = (uint8_t)(e[8] + i);          /* distinct GUIDs */
		put16(e + 8 + 26, PROTECTIONS[i]);
		put16(e + 36, 16); put16(e + 38, 0); put16(e + 40, 3); put16(e + 42, 1);
		pos += 52;
	}
	put16(p + pos, 12); put16(p + pos + 2, 7); put16(p + pos + 4, 2); put16(p + pos + 6, 1);
	memcpy(p + pos + 8, "P\0C\0", 4);
	return pos + 12;
}

/* Writes the checksum of the copy at off; the metadata block is size bytes. */
static void seal(uint8_t *img, size_t off)
{
	size_t size = (size_t)(img[off + 8] | img[off + 9] << 8) << 4;
	uint8_t *v = img + off + size;
	put16(v, 8); put16(v + 2, 2);
	put32(v + 4, wr_crc32(img + off, size));
}

static void write_copy(uint8_t *img, size_t off, uint16_t method)
{
	uint8_t *b = img + off;
	size_t entries = write_entries(b + 112);
	size_t msize = 48 + entries;
	size_t size = (64 + msize + 15) & ~(size_t)15;
	memcpy(b, "-FVE-FS-", 8);
	put16(b + 8, (uint16_t)(size >> 4)); put16(b + 10, 2);
	put16(b + 12, 4); put16(b + 14, 4);
	put64(b + 16, IMAGE_LEN);
	for (int i = 0; i < 3; i++)
		put64(b + 32 + 8 * i, (uint64_t)AREA * (uint64_t)(i + 1));
	put32(b + 64, (uint32_t)msize); put32(b + 68, 1); put32(b + 72, 48); put32(b + 76, (uint32_t)msize);
	memcpy(b + 80, KEY_ID, 16);
	b[80] = 0x11;
	put16(b + 100, method); put16(b + 102, method);
	seal(img, off);
}

static uint8_t *make_image(const uint8_t type_guid[16], bool togo)
{
	uint8_t *img = wr_xcalloc(1, IMAGE_LEN);
	memcpy(img, togo ? "\xeb\x58\x90MSWIN4.1" : "\xeb\x58\x90-FVE-FS-", 11);
	put16(img + 11, 512);
	uint8_t *hi = img + (togo ? 424 : 160);
	memcpy(hi, type_guid, 16);
	for (int i = 0; i < 3; i++) {
		put64(hi + 16 + 8 * i, (uint64_t)AREA * (uint64_t)(i + 1));
		write_copy(img, AREA * (size_t)(i + 1), 0x8004);
	}
	return img;
}

static void reads_protectors_and_key_ids(void **state)
{
	(void)state;
	uint8_t *img = make_image(GUID_NORMAL, false);
	struct wr_fve_info info;
	char *msg = NULL;
	assert_int_equal(wr_fve_parse(img, IMAGE_LEN, &info, &msg), 0);
	assert_null(msg);
	assert_int_equal(info.version, 2);
	assert_false(info.togo);
	assert_false(info.eow);
	assert_int_equal(info.method, 0x8004);
	assert_string_equal(wr_fve_method_cipher(info.method), "aes-xts-plain64");
	assert_int_equal(wr_fve_method_bits(info.method), 256);
	assert_int_equal(info.metadata_copy, 0);
	assert_int_equal(info.nprotectors, NVMK);
	assert_string_equal(info.protectors[1].guid, "64311DEB-4587-4029-924A-BA299647998E");
	assert_int_equal(info.protectors[0].protection, WR_FVE_PROT_PASSWORD);
	assert_int_equal(info.protectors[1].protection, WR_FVE_PROT_RECOVERY_PASSWORD);
	assert_int_equal(info.protectors[2].protection, WR_FVE_PROT_TPM);
	assert_string_equal(info.volume_guid, "64311D11-4587-4029-924A-BA299647998E");
	free(img);
}

static void falls_back_to_a_good_copy(void **state)
{
	(void)state;
	uint8_t *img = make_image(GUID_NORMAL, false);
	struct wr_fve_info info;
	img[AREA + 200] ^= 0x40;                  /* copy 1 fails its CRC */
	assert_int_equal(wr_fve_parse(img, IMAGE_LEN, &info, NULL), 0);
	assert_int_equal(info.metadata_copy, 1);
	img[2 * AREA + 8] = 0xff;                 /* copy 2: impossible size */
	assert_int_equal(wr_fve_parse(img, IMAGE_LEN, &info, NULL), 0);
	assert_int_equal(info.metadata_copy, 2);
	img[3 * AREA] = 'X';                      /* copy 3: no signature */
	char *msg = NULL;
	assert_int_equal(wr_fve_parse(img, IMAGE_LEN, &info, &msg), -EINVAL);
	assert_string_equal(msg, "BitLocker metadata is damaged: no copy of it passes its checksum");
	free(msg);
	free(img);
}

static void tells_kinds_apart(void **state)
{
	(void)state;
	struct wr_fve_info info;
	uint8_t *img = make_image(GUID_EOW, false);
	assert_int_equal(wr_fve_parse(img, IMAGE_LEN, &info, NULL), 0);
	assert_true(info.eow);
	img[1] = 0x52;                            /* Vista's boot code */
	assert_int_equal(wr_fve_parse(img, IMAGE_LEN, &info, NULL), -ENOTSUP);
	assert_int_equal(info.version, 1);
	free(img);

	img = make_image(GUID_NORMAL, true);
	assert_int_equal(wr_fve_parse(img, IMAGE_LEN, &info, NULL), 0);
	assert_true(info.togo);
	memset(img + 424, 0, 16);                 /* a plain FAT volume says MSWIN4.1 too */
	assert_int_equal(wr_fve_parse(img, IMAGE_LEN, &info, NULL), -ENOENT);
	free(img);

	uint8_t ntfs[512] = { 0xeb, 0x52, 0x90, 'N', 'T', 'F', 'S', ' ', ' ', ' ', ' ' };
	assert_int_equal(wr_fve_parse(ntfs, sizeof(ntfs), &info, NULL), -ENOENT);
	assert_int_equal(wr_fve_parse(ntfs, 0, &info, NULL), -ENOENT);
}

static void rejects_entries_out_of_bounds(void **state)
{
	(void)state;
	uint8_t *img = make_image(GUID_NORMAL, false);
	for (int i = 0; i < 3; i++) {
		size_t off = AREA * (size_t)(i + 1);
		put16(img + off + 112 + 52, 0x7ff0);   /* second entry claims 32 KiB */
		seal(img, off);
	}
	struct wr_fve_info info;
	char *msg = NULL;
	assert_int_equal(wr_fve_parse(img, IMAGE_LEN, &info, &msg), -EINVAL);
	assert_string_equal(msg, "BitLocker metadata entry out of bounds");
	free(msg);
	free(img);
}

static int expected_rc(int rc)
{
	return rc == 0 || rc == -ENOENT || rc == -EINVAL || rc == -ENOTSUP;
}

/* Every prefix length near the structures, so reads cross the end everywhere. */
static void survives_truncation(void **state)
{
	(void)state;
	uint8_t *img = make_image(GUID_NORMAL, false);
	size_t good = 0;
	for (size_t len = 0; len <= IMAGE_LEN; len += (len % AREA < 1024 || len < 1024) ? 1 : 509) {
		uint8_t *copy = wr_xmalloc(len);          /* exact size: ASan sees overreads */
		memcpy(copy, img, len);
		struct wr_fve_info info;
		char *msg = NULL;
		int rc = wr_fve_parse(copy, len, &info, &msg);
		assert_true(expected_rc(rc));
		assert_true(info.nprotectors <= WR_FVE_MAX_PROTECTORS);
		good += rc == 0;
		free(msg);
		free(copy);
	}
	assert_true(good > 0);
	free(img);
}

/* Random damage, with the checksums made right again half of the time so the
 * entry parser sees the damage too. */
static void survives_random_damage(void **state)
{
	(void)state;
	uint8_t *img = make_image(GUID_NORMAL, false);
	uint8_t *work = wr_xmalloc(IMAGE_LEN);
	unsigned seed = 291;
	for (int round = 0; round < 4000; round++) {
		memcpy(work, img, IMAGE_LEN);
		int flips = 1 + rand_r(&seed) % 8;
		for (int f = 0; f < flips; f++) {
			size_t region = (size_t)(rand_r(&seed) % 4);
			size_t pos = region ? region * AREA + (size_t)(rand_r(&seed) % 400)
					    : (size_t)(rand_r(&seed) % 512);
			work[pos] = (uint8_t)rand_r(&seed);
		}
		if (rand_r(&seed) % 2)
			for (int i = 1; i <= 3; i++) {
				size_t size = (size_t)(work[i * AREA + 8] | work[i * AREA + 9] << 8) << 4;
				if (size >= 112 && size + 8 < AREA)
					seal(work, (size_t)i * AREA);
			}
		struct wr_fve_info info;
		char *msg = NULL;
		int rc = wr_fve_parse(work, IMAGE_LEN, &info, &msg);
		assert_true(expected_rc(rc));
		assert_true(!rc || msg);
		free(msg);
	}
	free(work);
	free(img);
}

static void crc32_matches_the_standard(void **state)
{
	(void)state;
	assert_int_equal(wr_crc32((const uint8_t *)"123456789", 9), 0xcbf43926u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reads_protectors_and_key_ids),
		cmocka_unit_test(falls_back_to_a_good_copy),
		cmocka_unit_test(tells_kinds_apart),
		cmocka_unit_test(rejects_entries_out_of_bounds),
		cmocka_unit_test(survives_truncation),
		cmocka_unit_test(survives_random_damage),
		cmocka_unit_test(crc32_matches_the_standard),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
