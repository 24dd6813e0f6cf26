/* libFuzzer target: the BitLocker metadata reader on a memory image. Each input
 * is parsed as it is, then again with the CRC of its first metadata copy made
 * right, so mutations of the metadata itself get past the checksum. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "winrescue/fve.h"
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
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	parse(data, size);
	if (size < 512)
		return 0;
	uint8_t *copy = wr_xmalloc(size);
	memcpy(copy, data, size);
	fix_first_crc(copy, size);
	parse(copy, size);
	free(copy);
	return 0;
}
