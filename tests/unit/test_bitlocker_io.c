/* The userspace BitLocker device (bitlocker_io.c) on the Windows-made volumes of
 * ../shared/testdata/bitlk: the whole plaintext it reads, with the key winrescue
 * unwraps itself, hashes to the SHA256SUM of images.conf (the volume as
 * libcryptsetup/dm-crypt maps it) for every cipher, sector size and protector kind;
 * writes read back, land only in their own sectors, and are refused in the
 * reserved areas; hostile layouts are refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "fve_images.h"
#include "winrescue/bitlocker_io.h"
#include "winrescue/util.h"

#define CHUNK (1u << 20)

struct image_case {
	const char *image;
	const char *recovery_password;   /* NULL: the clear key */
	const char *sha256;
};

static const struct image_case IMAGES[] = {
	{ "bitlk-aes-cbc-128", "042647-302313-590458-071500-554323-116567-412181-516978",
	  "04500a8120ba355ed206284e03e26e59b7e1f1832868e1d69bb47023ebd3460f" },
	{ "bitlk-aes-cbc-256", "616319-601744-502117-534017-367994-176748-607299-663201",
	  "35809d6db53c7ad8ff36195277b328370ea5df2c1f7003c20e07b64133d8800b" },
	{ "bitlk-aes-xts-128", "235818-357951-253979-013365-241120-245575-342914-591910",
	  "674e3a976927fd62f3fc26df2c695cac75b8d364e3b45393717efa971f16db0f" },
	{ "bitlk-aes-xts-256", "404558-436711-420860-678557-638220-018909-039941-695321",
	  "5bb6ff5acbded10be990c6fa208ab479934a08bc2e88740a1aa2642af2f42025" },
	{ "bitlk-aes-cbc-elephant-128", "529573-278784-259347-197835-171457-264044-610280-313269",
	  "b18e4f956295bc0f327e551322261fb9c74ac0d3ce58bf3b806e98474e1619ea" },
	{ "bitlk-aes-cbc-elephant-256", "618871-562507-462814-555324-264660-562727-105171-668195",
	  "0af06f010fe21522bdd77f8d2d3cb0ad5fceaf2729295ff0fd50e65adfa0b7b3" },
	{ "bitlk-aes-xts-128-new-entry", "199067-214280-266398-508123-023584-402875-562793-012067",
	  "794163062398ae43b796f85eafde8acf5dc7830a93ec2aa7ef0c6baaa14b2757" },
	{ "bitlk-aes-xts-128-smart-card", "538329-080597-399190-348700-323345-161062-279807-230978",
	  "007de1a342f49a15f97712f634aa1684e1d8c24e220652fc9796b22421413268" },
	{ "bitlk-aes-cbc-128-4k", "482548-408683-386023-032725-083754-344718-228228-361845",
	  "2bf0ee1198cfcc95654636c045f72a91727f7d5b1208db88eafb77ac65b60109" },
	{ "bitlk-aes-xts-128-4k", "486552-140030-675719-163900-264671-413787-580239-152614",
	  "b4c0416ae643537207413ed78d4bcadae697bb86a6262864ac00afda01312277" },
	{ "bitlk-aes-xts-128-startup-key", "363770-230505-096371-652674-567006-579150-291038-408111",
	  "bbb68369d8f7badb2c2330349d9d0cf12e68f54eece25e718d2bb13feba23f7a" },
	{ "bitlk-aes-xts-128-startup-key-win11", "512897-060621-709148-071203-357951-357302-160831-066297",
	  "76539fdf098cb3b9d15e318d34eace9da8645b8087282adac800094c59df6347" },
	{ "bitlk-aes-xts-128-two-recovery", "478401-067859-043868-000935-121330-337425-718509-484979",
	  "15570b2a7a1255e2d0f34a0ff82b6e255d8a7e25c24c7849c91321bcb1858cb3" },
	{ "bitlk-aes-xts-128-unicode", "671979-070675-187088-665060-078518-143605-111408-569305",
	  "8af59ba83928e7920d61696bb3d5392243a1d5c5f4178195cb32b0f21e706af0" },
	{ "bitlk-aes-xts-128-crc", "235818-357951-253979-013365-241120-245575-342914-591910",
	  "674e3a976927fd62f3fc26df2c695cac75b8d364e3b45393717efa971f16db0f" },
	{ "bitlk-aes-xts-128-clearkey-only", NULL,
	  "f574a5254d31e9f27dc4ee440290875886c6c569cf02dc100e91a5c0cddaa4e1" },
	{ "bitlk-aes-xts-128-first-recovery", "097702-694144-563057-330462-534446-240086-680515-664389",
	  "61942bde31a461b5e54e2aa154a8ae6479c514400e29fcaeb9fbd7b9fe0ce862" },
};

struct opened {
	int fd;
	uint64_t size;
	struct wr_fve_layout layout;
	struct wr_bde *bde;
};

static void open_image(const char *path, const char *rp, int flags, struct opened *o)
{
	struct wr_fve_info info;
	struct stat st;
	size_t len = 0, key_len = 0;
	uint8_t key[WR_FVE_MAX_KEY];
	o->fd = open(path, flags);
	assert_true(o->fd >= 0);
	assert_int_equal(fstat(o->fd, &st), 0);
	o->size = (uint64_t)st.st_size;
	uint8_t *block = image_block_fd(o->fd, &info, &len);
	struct wr_fve_secret s = { rp ? WR_FVE_SECRET_RECOVERY_PASSWORD : WR_FVE_SECRET_CLEAR_KEY,
				   rp, rp ? strlen(rp) : 0 };
	assert_int_equal(wr_fve_unwrap(block, len, &s, key, &key_len), 0);
	assert_int_equal(wr_fve_block_layout(block, len, &info, &o->layout), 0);
	assert_int_equal(wr_bde_new(&o->layout, o->size, key, key_len, &o->bde, NULL), 0);
	free(block);
}

static void close_image(struct opened *o)
{
	wr_bde_free(o->bde);
	close(o->fd);
}

static void plaintext_sha256(struct opened *o, char hex[65])
{
	uint8_t *buf = wr_xmalloc(CHUNK), md[32];
	unsigned n = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	assert_true(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL));
	for (uint64_t off = 0; off < o->size; off += CHUNK) {
		size_t len = o->size - off < CHUNK ? (size_t)(o->size - off) : CHUNK;
		assert_int_equal(wr_bde_pread(o->bde, o->fd, 0, buf, len, off), 0);
		assert_true(EVP_DigestUpdate(ctx, buf, len));
	}
	assert_true(EVP_DigestFinal_ex(ctx, md, &n));
	EVP_MD_CTX_free(ctx);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	free(buf);
}

static void test_plaintext_equals_libcryptsetups_mapping(void **state)
{
	NEED_IMAGES(state);
	for (size_t i = 0; i < sizeof(IMAGES) / sizeof(*IMAGES); i++) {
		struct opened o;
		char *path = image_path(IMAGES[i].image), hex[65];
		print_message("%s\n", IMAGES[i].image);
		open_image(path, IMAGES[i].recovery_password, O_RDONLY, &o);
		plaintext_sha256(&o, hex);
		assert_string_equal(hex, IMAGES[i].sha256);
		close_image(&o);
		free(path);
	}
}

static char *copy_image(const char *name)
{
	char *src = image_path(name), *dst = wr_xasprintf("%s/%s.copy", images_dir, name);
	char *cmd = wr_xasprintf("cp --sparse=always '%s' '%s'", src, dst);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(src);
	return dst;
}

static void fill(uint8_t *p, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7 + (i >> 9));
}

/* Writes at unaligned places read back; raw sectors change only where written. */
static void round_trip(const char *name, const char *rp)
{
	char *path = copy_image(name);
	struct opened o;
	open_image(path, rp, O_RDWR, &o);
	static const struct { uint64_t off; size_t len; } W[] = {
		{ 0, 512 }, { 1003, 1000 }, { 8190, 7000 }, { 1 << 20, 65536 }, { 5000001, 12345 },
	};
	uint8_t *buf = wr_xmalloc(CHUNK), *back = wr_xmalloc(CHUNK);
	for (size_t i = 0; i < sizeof(W) / sizeof(*W); i++) {
		fill(buf, W[i].len, (unsigned)i);
		assert_int_equal(wr_bde_pwrite(o.bde, o.fd, 0, buf, W[i].len, W[i].off), 0);
	}
	for (size_t i = 0; i < sizeof(W) / sizeof(*W); i++) {
		fill(buf, W[i].len, (unsigned)i);
		assert_int_equal(wr_bde_pread(o.bde, o.fd, 0, back, W[i].len, W[i].off), 0);
		assert_memory_equal(buf, back, W[i].len);
	}
	/* The boot sector went to the moved header, encrypted: not in place, not plain. */
	assert_int_equal(pread(o.fd, back, 512, (off_t)o.layout.header_offset), 512);
	fill(buf, 512, 0);
	assert_memory_not_equal(buf, back, 512);
	assert_int_equal(pread(o.fd, back, 512, 0), 512);
	assert_memory_not_equal(buf, back, 512);
	/* Reserved areas: zeros, and a write over one is refused whole. */
	uint64_t meta = o.layout.metadata_offset[1];
	assert_int_equal(wr_bde_pread(o.bde, o.fd, 0, back, 4096, meta), 0);
	memset(buf, 0, 4096);
	assert_memory_equal(buf, back, 4096);
	assert_int_equal(wr_bde_pwrite(o.bde, o.fd, 0, buf, 8192, meta - 4096), -EPERM);
	assert_int_equal(wr_bde_pwrite(o.bde, o.fd, 0, buf, 512, o.layout.header_offset), -EPERM);
	assert_int_equal(wr_bde_pread(o.bde, o.fd, 0, buf, 512, o.size), -EIO);
	close_image(&o);
	free(buf);
	free(back);
	unlink(path);
	free(path);
}

static void test_write_round_trips(void **state)
{
	NEED_IMAGES(state);
	round_trip("bitlk-aes-xts-128", "235818-357951-253979-013365-241120-245575-342914-591910");
	round_trip("bitlk-aes-cbc-256", "616319-601744-502117-534017-367994-176748-607299-663201");
	round_trip("bitlk-aes-cbc-elephant-128", "529573-278784-259347-197835-171457-264044-610280-313269");
	round_trip("bitlk-aes-xts-128-4k", "486552-140030-675719-163900-264671-413787-580239-152614");
}

static void test_hostile_layouts_refused(void **state)
{
	(void)state;
	const uint8_t key[32] = { 1 };
	struct wr_fve_layout good = {
		.header_offset = 1 << 20, .header_size = 8192, .encrypted_size = 8 << 20,
		.metadata_offset = { 2 << 20, 3 << 20, 4 << 20 }, .sector_size = 512,
		.method = 0x8004,
	};
	struct wr_bde *b = NULL;
	char *msg = NULL;
	assert_int_equal(wr_bde_new(&good, 8 << 20, key, 32, &b, NULL), 0);
	wr_bde_free(b);
	struct wr_fve_layout bad[6];
	for (int i = 0; i < 6; i++)
		bad[i] = good;
	bad[0].metadata_offset[2] = (8 << 20) - 4096;    /* past the end */
	bad[1].metadata_offset[1] = (2 << 20) + 512;     /* overlapping */
	bad[2].header_offset = 0;                        /* over the NTFS header */
	bad[3].header_size = 1 << 30;
	bad[4].encrypted_size = 1000;                    /* not a sector boundary */
	bad[5].metadata_offset[0] = 12345;
	for (int i = 0; i < 6; i++) {
		assert_int_equal(wr_bde_new(&bad[i], 8 << 20, key, 32, &b, &msg), -EINVAL);
		assert_null(b);
		assert_non_null(msg);
		free(msg);
		msg = NULL;
	}
	good.method = 0x9000;
	assert_int_equal(wr_bde_new(&good, 8 << 20, key, 32, &b, NULL), -ENOTSUP);
}

/* A decrypted volume (BitLocker off, metadata kept): plaintext everywhere, the NTFS
 * header still at its moved place, the reserved areas still zeros. */
static void test_decrypted_volume_is_plaintext(void **state)
{
	(void)state;
	struct wr_fve_layout l = {
		.header_offset = 1 << 20, .header_size = 8192, .encrypted_size = 8 << 20,
		.metadata_offset = { 2 << 20, 3 << 20, 4 << 20 }, .sector_size = 512,
		.method = 0x8004, .curr_state = 1, .next_state = 1,
	};
	FILE *f = tmpfile();
	assert_non_null(f);
	int fd = fileno(f);
	assert_int_equal(ftruncate(fd, 8 << 20), 0);
	struct wr_bde *b = NULL;
	assert_int_equal(wr_bde_new(&l, 8 << 20, NULL, 0, &b, NULL), 0);
	uint8_t buf[1024], raw[1024];
	fill(buf, sizeof(buf), 3);
	assert_int_equal(wr_bde_pwrite(b, fd, 0, buf, sizeof(buf), 0), 0);
	assert_int_equal(pread(fd, raw, sizeof(raw), 1 << 20), (ssize_t)sizeof(raw));
	assert_memory_equal(buf, raw, sizeof(raw));
	assert_int_equal(wr_bde_pwrite(b, fd, 0, buf, sizeof(buf), 5 << 20), 0);
	assert_int_equal(pread(fd, raw, sizeof(raw), 5 << 20), (ssize_t)sizeof(raw));
	assert_memory_equal(buf, raw, sizeof(raw));
	assert_int_equal(wr_bde_pwrite(b, fd, 0, buf, sizeof(buf), 3 << 20), -EPERM);
	wr_bde_free(b);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plaintext_equals_libcryptsetups_mapping),
		cmocka_unit_test(test_write_round_trips),
		cmocka_unit_test(test_hostile_layouts_refused),
		cmocka_unit_test(test_decrypted_volume_is_plaintext),
	};
	return cmocka_run_group_tests(tests, images_setup, images_teardown);
}
