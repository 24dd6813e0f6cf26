/* winrescue's own key path on the Windows-made volumes of ../shared/testdata/bitlk:
 * the volume key it unwraps from each protector kind equals the one libcryptsetup
 * gives (crypt_volume_key_get) for the same secret; wrong secrets are refused; the
 * kinds libcryptsetup 2.6.1 refuses (clear key, unknown entries, a damaged first
 * metadata copy) open. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <libcryptsetup.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fve_images.h"
#include "winrescue/fve_keys.h"
#include "winrescue/util.h"

struct case_ {
	const char *image;
	enum wr_fve_secret_kind kind;
	const char *secret;          /* text, or the .BEK file name */
	bool compare;                /* against libcryptsetup (it opens this kind) */
};
static const struct case_ CASES[] = {
	{ "bitlk-aes-xts-128", WR_FVE_SECRET_RECOVERY_PASSWORD,
	  "235818-357951-253979-013365-241120-245575-342914-591910", true },
	{ "bitlk-aes-xts-256", WR_FVE_SECRET_PASSWORD, "anaconda", true },
	{ "bitlk-aes-cbc-128", WR_FVE_SECRET_RECOVERY_PASSWORD,
	  "042647-302313-590458-071500-554323-116567-412181-516978", true },
	{ "bitlk-aes-cbc-256", WR_FVE_SECRET_PASSWORD, "anaconda", true },
	{ "bitlk-aes-cbc-elephant-128", WR_FVE_SECRET_PASSWORD, "anaconda", true },
	{ "bitlk-aes-cbc-elephant-256", WR_FVE_SECRET_RECOVERY_PASSWORD,
	  "618871-562507-462814-555324-264660-562727-105171-668195", true },
	{ "bitlk-aes-xts-128-startup-key", WR_FVE_SECRET_STARTUP_KEY,
	  "4381F759-C4F8-4DE0-BB61-FC33A831BDA5.BEK", true },
	{ "bitlk-aes-xts-128-new-entry", WR_FVE_SECRET_RECOVERY_PASSWORD,
	  "199067-214280-266398-508123-023584-402875-562793-012067", false },
	{ "bitlk-aes-xts-128-unicode", WR_FVE_SECRET_PASSWORD, "anaconda\xc2\xa3", false },
	{ "bitlk-aes-xts-128-clearkey-only", WR_FVE_SECRET_CLEAR_KEY, NULL, false },
};

static uint8_t *image_block(const char *image, struct wr_fve_info *info, size_t *len)
{
	char *path = image_path(image);
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	uint8_t *block = image_block_fd(fd, info, len);
	close(fd);
	free(path);
	return block;
}

static void *slurp(const char *name, size_t *len)
{
	char *path = wr_xasprintf("%s/bitlk-images/%s", images_dir, name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	void *buf = wr_xmalloc(65536);
	*len = fread(buf, 1, 65536, f);
	fclose(f);
	free(path);
	return buf;
}

static void libcryptsetup_key(const char *image, const void *secret, size_t len, char *vk, size_t *vk_len)
{
	char *path = image_path(image);
	struct crypt_device *cd = NULL;
	assert_int_equal(crypt_init(&cd, path), 0);
	assert_int_equal(crypt_load(cd, CRYPT_BITLK, NULL), 0);
	assert_true(crypt_volume_key_get(cd, CRYPT_ANY_SLOT, vk, vk_len, secret, len) >= 0);
	crypt_free(cd);
	free(path);
}

static void test_own_key_equals_libcryptsetups(void **state)
{
	NEED_IMAGES(state);
	for (size_t i = 0; i < sizeof(CASES) / sizeof(*CASES); i++) {
		const struct case_ *c = &CASES[i];
		struct wr_fve_info info;
		size_t len = 0, key_len = 0, secret_len = c->secret ? strlen(c->secret) : 0;
		uint8_t *block = image_block(c->image, &info, &len);
		const void *secret = c->secret;
		void *bek = NULL;
		if (c->kind == WR_FVE_SECRET_STARTUP_KEY)
			secret = bek = slurp(c->secret, &secret_len);
		struct wr_fve_secret s = { c->kind, secret, secret_len };
		uint8_t key[WR_FVE_MAX_KEY];
		print_message("%s\n", c->image);
		assert_int_equal(wr_fve_unwrap(block, len, &s, key, &key_len), 0);
		assert_int_equal(key_len, wr_fve_method_bits(info.method) / 8);
		if (c->compare) {
			char vk[WR_FVE_MAX_KEY];
			size_t vk_len = sizeof(vk);
			libcryptsetup_key(c->image, secret, secret_len, vk, &vk_len);
			assert_int_equal(vk_len, key_len);
			assert_memory_equal(vk, key, key_len);
		}
		free(bek);
		free(block);
	}
}

static void test_wrong_secret_refused(void **state)
{
	NEED_IMAGES(state);
	struct wr_fve_info info;
	size_t len = 0, key_len = 0;
	uint8_t key[WR_FVE_MAX_KEY];
	uint8_t *block = image_block("bitlk-aes-xts-128", &info, &len);
	const char *rp = "404558-436711-420860-678557-638220-018909-039941-695321";
	struct wr_fve_secret wrong = { WR_FVE_SECRET_RECOVERY_PASSWORD, rp, strlen(rp) };
	assert_int_equal(wr_fve_unwrap(block, len, &wrong, key, &key_len), -EPERM);
	struct wr_fve_secret clear = { WR_FVE_SECRET_CLEAR_KEY, NULL, 0 };
	assert_int_equal(wr_fve_unwrap(block, len, &clear, key, &key_len), -ENOENT);
	free(block);
}

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static uint32_t get32(const uint8_t *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }

/* Inserts a 16-byte entry of value type `value` at the end of the recovery-password
 * VMK entry of the metadata copy at area (a 64 KiB buffer), growing the VMK entry,
 * the metadata and the block (moving the validation record), and fixes its CRC. */
static void insert_unknown_entry(uint8_t *area, uint16_t value)
{
	size_t block = (size_t)get16(area + 8) << 4, msize = get32(area + 64);
	uint8_t *entries = area + 64 + 48;
	size_t pos = 0;
	while (!(get16(entries + pos + 2) == 2 && get16(entries + pos + 8 + 26) == 0x0800))
		pos += get16(entries + pos);
	size_t vmk_end = 64 + 48 + pos + get16(entries + pos);
	memmove(area + vmk_end + 16, area + vmk_end, block + 512 - vmk_end);
	uint8_t *e = area + vmk_end;
	memset(e, 0, 16);
	put16(e, 16);
	put16(e + 4, value);
	put16(e + 6, 1);
	put16(entries + pos, (uint16_t)(get16(entries + pos) + 16));
	put32(area + 64, (uint32_t)msize + 16);
	put32(area + 64 + 12, (uint32_t)msize + 16);
	put16(area + 8, (uint16_t)((block + 16) >> 4));
	put32(area + block + 16 + 4, wr_crc32(area, block + 16));
}

static char *patched_copy(const char *image, void (*patch)(uint8_t *area, uint16_t), uint16_t arg,
			  bool all_copies)
{
	char *src = image_path(image), *dst = wr_xasprintf("%s/patched.img", images_dir);
	char *cmd = wr_xasprintf("cp --sparse=always '%s' '%s'", src, dst);
	assert_int_equal(system(cmd), 0);
	int fd = open(dst, O_RDWR);
	struct wr_fve_info info;
	assert_int_equal(wr_fve_read_fd(fd, 0, &info, NULL), 0);
	uint8_t *area = wr_xmalloc(WR_FVE_METADATA_AREA);
	for (int i = 0; i < (all_copies ? 3 : 1); i++) {
		off_t off = (off_t)info.metadata_offset[i];
		assert_int_equal(pread(fd, area, WR_FVE_METADATA_AREA, off), WR_FVE_METADATA_AREA);
		patch(area, arg);
		assert_int_equal(pwrite(fd, area, WR_FVE_METADATA_AREA, off), WR_FVE_METADATA_AREA);
	}
	close(fd);
	free(area);
	free(cmd);
	free(src);
	return dst;
}

static void unlock_patched(const char *path, const char *rp)
{
	int fd = open(path, O_RDONLY);
	struct wr_fve_info info;
	size_t len = 0, key_len = 0;
	uint8_t key[WR_FVE_MAX_KEY];
	uint8_t *block = image_block_fd(fd, &info, &len);
	struct wr_fve_secret s = { WR_FVE_SECRET_RECOVERY_PASSWORD, rp, strlen(rp) };
	assert_int_equal(wr_fve_unwrap(block, len, &s, key, &key_len), 0);
	assert_int_equal(key_len, 32);
	free(block);
	close(fd);
}

/* Unknown entries (0x18 as Windows writes them, and values nobody knows) patched into
 * every copy of a real image's recovery protector, checksums fixed: still unlocks. */
static void test_unknown_entries_skipped(void **state)
{
	NEED_IMAGES(state);
	const char *rp = "235818-357951-253979-013365-241120-245575-342914-591910";
	static const uint16_t VALUES[] = { 0x0018, 0x001f, 0x7fff };
	for (size_t i = 0; i < sizeof(VALUES) / sizeof(*VALUES); i++) {
		char *path = patched_copy("bitlk-aes-xts-128", insert_unknown_entry, VALUES[i], true);
		unlock_patched(path, rp);
		unlink(path);
		free(path);
	}
}

static void damage(uint8_t *area, uint16_t at)
{
	area[64 + 48 + at] ^= 0x55;   /* an entry byte: the CRC no longer matches */
}

/* The first metadata copy damaged (its CRC fails): the second one is used. */
static void test_first_copy_damaged(void **state)
{
	NEED_IMAGES(state);
	char *path = patched_copy("bitlk-aes-xts-128", damage, 100, false);
	int fd = open(path, O_RDONLY);
	struct wr_fve_info info;
	assert_int_equal(wr_fve_read_fd(fd, 0, &info, NULL), 0);
	assert_int_equal(info.metadata_copy, 1);
	close(fd);
	unlock_patched(path, "235818-357951-253979-013365-241120-245575-342914-591910");
	unlink(path);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_own_key_equals_libcryptsetups),
		cmocka_unit_test(test_wrong_secret_refused),
		cmocka_unit_test(test_unknown_entries_skipped),
		cmocka_unit_test(test_first_copy_damaged),
	};
	return cmocka_run_group_tests(tests, images_setup, images_teardown);
}
