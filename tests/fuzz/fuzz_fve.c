/* libFuzzer target: the BitLocker metadata reader on a memory image. Each input
 * is parsed as it is, then again with the CRC of its first metadata copy and those
 * of its first encrypt-on-write (EOW) information block, the bitmap block it names
 * first and that block's two records made right, so mutations of the metadata and
 * of the EOW map themselves get past the checksums. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "winrescue/bitlocker_io.h"
#include "winrescue/fve.h"
#include "winrescue/fve_eow.h"
#include "winrescue/fve_keys.h"
#include "winrescue/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The layout the fixer knows: header info at 160 (or 424 for To Go), the first
 * metadata offset 16 bytes into it; block size in 16-byte units at +8; the
 * validation record after the block, its CRC 4 bytes in. */
static void fix_first_crc(uint8_t *img, size_t size)
{
	size_t info = memcmp(img + 3, "MSWIN4.1", 8) ? 160 : 424;
	uint64_t off = get_le(img + info + 16, 8);
	if (off >= size || size - off < 64)
		return;
	uint64_t block = get_le(img + off + 8, 2) << 4;
	if (block > size - off || size - off - block < 8)
		return;
	put_le32(img + off + block + 4, wr_crc32(img + off, (size_t)block));
}

/* Sets the CRC-32 at crc_off of the len bytes at off (computed with it zeroed), when
 * they lie inside the image. */
static void fix_crc(uint8_t *img, size_t size, uint64_t off, uint64_t len, size_t crc_off)
{
	if (off > size || len > size - off || len < crc_off + 4)
		return;
	memset(img + off + crc_off, 0, 4);
	put_le32(img + off + crc_off, wr_crc32(img + off, (size_t)len));
}

/* The EOW layout (fve_eow.h): information size at +10 (CRC at +36, first bitmap
 * offset at +56); bitmap block: first record offset at +44 (CRC over what precedes
 * it at +56), second at +48; records: size at +12, CRC at +32. */
static void fix_eow_crcs(uint8_t *img, size_t size)
{
	if (size < 512 || memcmp(img + 160, "\x3b\x4d\xa8\x92", 4))
		return;
	uint64_t info = get_le(img + 160 + 40, 8);
	if (info >= size || size - info < 64)
		return;
	uint64_t bm = get_le(img + info + 56, 8);
	fix_crc(img, size, info, get_le(img + info + 10, 2), 36);
	if (bm >= size || size - bm < 52)
		return;
	for (int i = 0; i < 2; i++) {
		uint64_t rec = bm + get_le(img + bm + 44 + 4 * i, 4);
		if (rec < size && size - rec >= 16)
			fix_crc(img, size, rec, get_le(img + rec + 12, 4), 32);
	}
	fix_crc(img, size, bm, get_le(img + bm + 44, 4), 56);
}

struct mem { const uint8_t *p; size_t len; };

static int read_mem(void *ctx, uint64_t off, void *buf, size_t len)
{
	const struct mem *m = ctx;
	if (off > m->len || len > m->len - off)
		return -1;
	memcpy(buf, m->p + off, len);
	return 0;
}

/* The own key path and the userspace device on what the reader accepted: the
 * checked copy, its layout (hostile boundaries, overlapping areas), the clear-key
 * and .BEK unwrapping (no key stretch: cheap), the device's checks and a read. */
static void unlock_paths(const uint8_t *img, size_t size, const struct wr_fve_info *info,
			 const struct wr_eow *eow)
{
	struct mem m = { img, size };
	size_t len = 0, key_len = 0;
	uint8_t *block = wr_fve_valid_block(read_mem, &m, info, &len);
	struct wr_fve_layout layout;
	if (!block || wr_fve_block_layout(block, len, info, &layout)) {
		free(block);
		return;
	}
	layout.eow = eow;
	uint8_t key[WR_FVE_MAX_KEY];
	struct wr_fve_secret clear = { WR_FVE_SECRET_CLEAR_KEY, NULL, 0 };
	struct wr_fve_secret bek = { WR_FVE_SECRET_STARTUP_KEY, img, size };
	int rc = wr_fve_unwrap(block, len, &clear, key, &key_len);
	if (rc)
		rc = wr_fve_unwrap(block, len, &bek, key, &key_len);
	if (!rc && key_len > WR_FVE_MAX_KEY)
		abort();
	struct wr_bde *bde = NULL;
	char *msg = NULL;
	FILE *f = tmpfile();
	if (f && fwrite(img, 1, size, f) == size && fflush(f) == 0 &&
	    wr_bde_new(&layout, size, rc ? NULL : key, rc ? 0 : key_len, &bde, &msg) == 0) {
		uint8_t buf[8192];
		size_t n = size < sizeof(buf) ? size : sizeof(buf);
		(void)wr_bde_pread(bde, fileno(f), 0, buf, n, 0);
		wr_bde_free(bde);
	}
	if (f)
		fclose(f);
	free(msg);
	free(block);
}

static void parse(const uint8_t *img, size_t size)
{
	struct wr_fve_info info;
	char *err = NULL;
	int rc = wr_fve_parse(img, size, &info, &err);
	if (rc == 0 && info.nprotectors > WR_FVE_MAX_PROTECTORS)
		abort();
	for (size_t i = 0; rc == 0 && i < info.nprotectors; i++) {
		if (strlen(info.protectors[i].guid) != 36)
			abort();
	}
	(void)wr_fve_method_cipher(info.method);
	(void)wr_fve_method_bits(info.method);
	free(err);
	struct wr_eow *eow = NULL;
	struct mem m = { img, size };
	if (rc == 0 && info.eow &&
	    wr_eow_read(read_mem, &m, info.eow_offset, info.sector_size, size, &eow, NULL) == 0) {
		int percent = wr_eow_percent(eow);
		if (percent < 0 || percent > 100)
			abort();
		for (uint64_t off = 0; off < size; off += 512)
			(void)(wr_eow_converted(eow, off) + wr_eow_reserved(eow, off, 512));
	}
	if (rc == 0)
		unlock_paths(img, size, &info, eow);
	wr_eow_free(eow);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	parse(data, size);
	if (size < 512)
		return 0;
	uint8_t *copy = wr_xmalloc(size);
	memcpy(copy, data, size);
	fix_first_crc(copy, size);
	fix_eow_crcs(copy, size);
	parse(copy, size);
	free(copy);
	return 0;
}
