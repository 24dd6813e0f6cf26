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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_own_key_equals_libcryptsetups),
		cmocka_unit_test(test_wrong_secret_refused),
	};
	return cmocka_run_group_tests(tests, images_setup, images_teardown);
}
