/* Encrypt-on-write (EOW) volumes through the userspace device, on the two
 * Windows-made EOW images of ../shared/testdata/bitlk (XTS-128 "eow", CBC-128
 * "partially encrypted"). Their EOW blocks were blanked in the archive, so as they
 * are they must be refused; with a conversion map put back (tests/tools/eow_map.h)
 * the device must place every sector by it: Windows left the moved NTFS boot sector
 * of the eow image in plaintext and that of the other encrypted, and each reads as
 * NTFS only when the map puts its chunk in the matching form. Writes land in the
 * form of their chunk; sectors the map does not cover, and hostile maps, are refused. */
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

#include "fve_images.h"
#include "../tools/eow_map.h"
#include "winrescue/bitlocker_io.h"
#include "winrescue/bitlocker_user.h"
#include "winrescue/fve_eow.h"
#include "winrescue/util.h"

#define MIB (1u << 20)
#define VOLUME (100 * MIB)
#define MAPPED (96 * MIB)          /* the last 4 MiB lie in no region */
#define HEADER_CHUNK 33            /* the moved NTFS header (0x21a5000) */

static const char *const EOW = "bitlk-aes-xts-128-eow";
static const char *const EOW_RP = "685839-373538-494868-036223-326590-515064-328416-685102";
static const char *const PART = "bitlk-partially-encrypted-aes-cbc-128";
static const char *const PART_RP = "528561-251702-140283-271590-717365-674234-182611-409563";

static uint8_t bits[(MAPPED / MIB + 7) / 8];

static void set_converted(unsigned first, unsigned last, int on)
{
	for (unsigned c = first; c <= last; c++)
		bits[c / 8] = (uint8_t)(on ? bits[c / 8] | 1u << (c % 8) : bits[c / 8] & ~(1u << (c % 8)));
}

/* Both images' headers name their EOW information blocks at 0x21b7000 and 0x31ab000. */
static struct eow_map base_map(void)
{
	struct eow_map m = {
		.info_off = { 0x21b7000, 0x31ab000 }, .sector_size = 512, .chunk = MIB,
		.nregions = 1, .r = { { 0x21b8000, 0, MAPPED } }, .bits = bits,
		.nbits = MAPPED / MIB,
	};
	return m;
}

static char *copy_with_map(const char *name, const struct eow_map *m)
{
	char *src = image_path(name), *dst = wr_xasprintf("%s/%s.eow", images_dir, name);
	char *cmd = wr_xasprintf("cp --sparse=always '%s' '%s'", src, dst);
	assert_int_equal(system(cmd), 0);
	int fd = open(dst, O_RDWR);
	assert_true(fd >= 0);
	if (m)
		assert_int_equal(eow_map_write(fd, m), 0);
	close(fd);
	free(cmd);
	free(src);
	return dst;
}

/* The device over path with the recovery password, through the volume reader the
 * unlock path uses (metadata copy, layout and EOW map). */
static int open_device(const char *path, const char *rp, struct wr_fve_volume *v,
		       struct wr_bde **bde)
{
	uint8_t key[WR_FVE_MAX_KEY];
	size_t key_len = 0;
	struct wr_fve_secret s = { WR_FVE_SECRET_RECOVERY_PASSWORD, rp, strlen(rp) };
	assert_int_equal(wr_fve_volume_read(path, 0, 0, v, NULL), 0);
	assert_true(v->info.eow);
	if (wr_fve_volume_refusal(v, true))
		return -ENOTSUP;
	assert_int_equal(wr_fve_volume_unwrap(v, &s, key, &key_len), 0);
	return wr_fve_volume_device(v, key, key_len, bde, NULL);
}

static bool boot_sector_is_ntfs(const char *path, const char *rp)
{
	struct wr_fve_volume v;
	struct wr_bde *bde = NULL;
	uint8_t bs[512];
	assert_int_equal(open_device(path, rp, &v, &bde), 0);
	int fd = open(path, O_RDONLY);
	assert_int_equal(wr_bde_pread(bde, fd, 0, bs, sizeof(bs), 0), 0);
	close(fd);
	wr_bde_free(bde);
	wr_fve_volume_release(&v);
	return !memcmp(bs + 3, "NTFS    ", 8) && bs[510] == 0x55 && bs[511] == 0xaa;
}

static void test_blanked_windows_maps_refused(void **state)
{
	NEED_IMAGES(state);
	const char *names[] = { EOW, PART };
	for (int i = 0; i < 2; i++) {
		char *path = image_path(names[i]);
		struct wr_fve_volume v;
		assert_int_equal(wr_fve_volume_read(path, 0, 0, &v, NULL), 0);
		assert_null(v.eow);
		const char *why = wr_fve_volume_refusal(&v, false);
		assert_non_null(why);
		assert_non_null(strstr(why, "conversion map cannot be read"));
		wr_fve_volume_release(&v);
		free(path);
	}
}

/* The moved boot sector reads as NTFS exactly when the map gives its chunk the form
 * Windows left it in: plaintext on the eow image, encrypted on the other. */
static void test_map_places_the_windows_boot_sector(void **state)
{
	NEED_IMAGES(state);
	struct eow_map m = base_map();
	const struct { const char *name, *rp; int header_converted; } C[] = {
		{ EOW, EOW_RP, 0 }, { PART, PART_RP, 1 },
	};
	for (int i = 0; i < 2; i++) {
		for (int flip = 0; flip < 2; flip++) {
			memset(bits, 0, sizeof(bits));
			set_converted(0, 9, 1);
			set_converted(HEADER_CHUNK, HEADER_CHUNK, C[i].header_converted ^ flip);
			char *path = copy_with_map(C[i].name, &m);
			print_message("%s, header chunk %s\n", C[i].name,
				      C[i].header_converted ^ flip ? "converted" : "plain");
			assert_int_equal(boot_sector_is_ntfs(path, C[i].rp), !flip);
			unlink(path);
			free(path);
		}
	}
}

static void fill(uint8_t *p, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 13 + (i >> 9));
}

/* Each written sector is in the raw image as written (plain chunk) or not (converted). */
static void assert_forms(int fd, uint64_t off, const uint8_t *plain, size_t len)
{
	uint8_t raw[512];
	for (size_t s = 0; s < len; s += 512) {
		assert_int_equal(pread(fd, raw, 512, (off_t)(off + s)), 512);
		unsigned chunk = (unsigned)((off + s) / MIB);
		bool converted = bits[chunk / 8] >> (chunk % 8) & 1;
		if (converted)
			assert_memory_not_equal(raw, plain + s, 512);
		else
			assert_memory_equal(raw, plain + s, 512);
	}
}

static void round_trip(const char *name, const char *rp)
{
	struct eow_map m = base_map();
	memset(bits, 0, sizeof(bits));
	set_converted(0, 9, 1);
	set_converted(HEADER_CHUNK, HEADER_CHUNK, name == PART);
	set_converted(60, 70, 1);
	char *path = copy_with_map(name, &m);
	struct wr_fve_volume v;
	struct wr_bde *bde = NULL;
	assert_int_equal(open_device(path, rp, &v, &bde), 0);
	int percent = 0;
	wr_fve_volume_conversion(&v, &percent);
	assert_int_equal(percent, (21 + (name == PART)) * 100 / 96);
	int fd = open(path, O_RDWR);
	static const struct { uint64_t off; size_t len; } W[] = {
		{ 5 * MIB + 512, 4096 }, { 10 * MIB - 2048, 4096 }, { 40 * MIB, 8192 },
		{ 70 * MIB - 1024, 3072 }, { 80 * MIB + 512, 1024 },
	};
	uint8_t buf[8192], back[8192];
	for (size_t i = 0; i < sizeof(W) / sizeof(*W); i++) {
		fill(buf, W[i].len, (unsigned)i);
		assert_int_equal(wr_bde_pwrite(bde, fd, 0, buf, W[i].len, W[i].off), 0);
		assert_forms(fd, W[i].off, buf, W[i].len);
		assert_int_equal(wr_bde_pread(bde, fd, 0, back, W[i].len, W[i].off), 0);
		assert_memory_equal(buf, back, W[i].len);
	}
	/* Past the mapped regions: neither read nor written. */
	assert_int_equal(wr_bde_pread(bde, fd, 0, back, 512, MAPPED + MIB), -EIO);
	assert_int_equal(wr_bde_pwrite(bde, fd, 0, buf, 1024, MAPPED - 512), -EPERM);
	/* The EOW blocks: zeros, never written. */
	memset(buf, 0, 512);
	assert_int_equal(wr_bde_pread(bde, fd, 0, back, 512, m.info_off[1]), 0);
	assert_memory_equal(buf, back, 512);
	assert_int_equal(wr_bde_pwrite(bde, fd, 0, buf, 512, m.r[0].bitmap_off), -EPERM);
	close(fd);
	wr_bde_free(bde);
	wr_fve_volume_release(&v);
	unlink(path);
	free(path);
}

static void test_writes_keep_the_form_of_their_chunk(void **state)
{
	NEED_IMAGES(state);
	round_trip(EOW, EOW_RP);
	round_trip(PART, PART_RP);
}

static int map_result(const struct eow_map *m, void (*damage)(int fd))
{
	char *path = copy_with_map(EOW, m);
	int fd = open(path, O_RDWR);
	if (damage)
		damage(fd);
	struct wr_fve_info info;
	struct wr_eow *e = NULL;
	char *msg = NULL;
	assert_int_equal(wr_fve_read_fd(fd, 0, &info, NULL), 0);
	int rc = wr_eow_read(image_read, &fd, info.eow_offset, 512, VOLUME, &e, &msg);
	assert_true(rc ? !e && msg : e && !msg);
	wr_eow_free(e);
	free(msg);
	close(fd);
	unlink(path);
	free(path);
	return rc;
}

static void flip_first_info(int fd) { assert_int_equal(pwrite(fd, "X", 1, 0x21b7000 + 20), 1); }
static void flip_both_infos(int fd)
{
	flip_first_info(fd);
	assert_int_equal(pwrite(fd, "X", 1, 0x31ab000 + 20), 1);
}
static void flip_current_record(int fd)
{
	struct eow_map m = base_map();
	off_t at = 0x21b8000 + 64 + eow_record_len(&m) + 40;   /* in the current record's bits */
	assert_int_equal(pwrite(fd, "\x7f", 1, at), 1);
}
static void flip_bitmap_header(int fd) { assert_int_equal(pwrite(fd, "\x01", 1, 0x21b8000 + 30), 1); }

static void test_hostile_maps_refused(void **state)
{
	NEED_IMAGES(state);
	memset(bits, 0xff, sizeof(bits));
	struct eow_map good = base_map(), m[9];
	assert_int_equal(map_result(&good, NULL), 0);
	assert_int_equal(map_result(&good, flip_first_info), 0);   /* the second copy serves */
	assert_int_equal(map_result(&good, flip_both_infos), -EINVAL);
	assert_int_equal(map_result(&good, flip_bitmap_header), -EINVAL);
	/* A damaged current record: the other one (the last Windows completed, as with
	 * the metadata copies) serves, because it checks out. */
	assert_int_equal(map_result(&good, flip_current_record), 0);
	for (int i = 0; i < 9; i++)
		m[i] = good;
	m[0].nbits = MAPPED / MIB - 1;                  /* bitmap smaller than its region */
	m[1].r[0].len = VOLUME + MIB;                   /* region past the volume */
	m[2].nregions = 2;                              /* overlapping regions */
	m[2].r[1] = (struct eow_map_region){ 0x21c0000, 50 * MIB, 10 * MIB };
	m[3].chunk = 0;
	m[4].chunk = 1000;                              /* not whole sectors */
	m[5].r[0].bitmap_off = VOLUME - 256;            /* bitmap block past the end */
	m[6].r[0].bitmap_off = 0x31ab000;               /* bitmap block over an information copy */
	m[7].convlog_off = VOLUME - 512, m[7].convlog_size = 4096;   /* log past the end */
	m[8].sector_size = 4096;                        /* not the volume's sector size */
	for (int i = 0; i < 9; i++) {
		print_message("hostile map %d\n", i);
		assert_int_equal(map_result(&m[i], NULL), -EINVAL);
	}
}

struct mem { const uint8_t *p; size_t len; };

static int read_mem(void *ctx, uint64_t off, void *buf, size_t len)
{
	const struct mem *m = ctx;
	if (off > m->len || len > m->len - off)
		return -EIO;
	memcpy(buf, m->p + off, len);
	return 0;
}

/* The fuzz target's EOW seed is a whole, valid map (so mutations start from the
 * parser's far end): chunks 1 and 2 of its 8 converted. */
static void test_fuzz_seed_is_a_valid_map(void **state)
{
	(void)state;
	const char *src = getenv("WR_SOURCE");
	if (!src)
		skip();
	char *path = wr_xasprintf("%s/tests/fuzz/corpus/fve/eow-map", src);
	uint8_t img[4096];
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	struct mem m = { img, fread(img, 1, sizeof(img), f) };
	fclose(f);
	struct wr_fve_info info;
	struct wr_eow *e = NULL;
	assert_int_equal(wr_fve_parse(img, m.len, &info, NULL), 0);
	assert_true(info.eow);
	assert_int_equal(wr_eow_read(read_mem, &m, info.eow_offset, 512, m.len, &e, NULL), 0);
	assert_int_equal(wr_eow_percent(e), 25);
	assert_int_equal(wr_eow_converted(e, 512), 1);
	assert_int_equal(wr_eow_converted(e, 0), 0);
	assert_int_equal(wr_eow_converted(e, m.len), -1);
	wr_eow_free(e);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blanked_windows_maps_refused),
		cmocka_unit_test(test_map_places_the_windows_boot_sector),
		cmocka_unit_test(test_writes_keep_the_form_of_their_chunk),
		cmocka_unit_test(test_hostile_maps_refused),
		cmocka_unit_test(test_fuzz_seed_is_a_valid_map),
	};
	return cmocka_run_group_tests(tests, images_setup, images_teardown);
}
