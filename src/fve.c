#include "winrescue/fve.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "winrescue/fve_keys.h"
#include "winrescue/guid.h"
#include "winrescue/util.h"

/* On-disk layout (all little-endian), as documented by libbde and libcryptsetup. */
#define BOOT_SECTOR_LEN 512
#define BOOT_SIGNATURE_OFF 3
#define BOOT_SECTOR_SIZE_OFF 11
#define HEADER_INFO_OFF 160        /* volume-type GUID + 3 metadata offsets (+ 2 EOW) */
#define HEADER_INFO_OFF_TOGO 424
#define HEADER_INFO_LEN (16 + 5 * 8) /* + 2 EOW information offsets */

#define BLOCK_HEADER_LEN 64        /* FVE metadata block header */
#define METADATA_HEADER_LEN 48
#define HEADERS_LEN (BLOCK_HEADER_LEN + METADATA_HEADER_LEN)
#define VALIDATION_MIN_LEN 8
#define ENTRY_HEADER_LEN 8
#define VMK_HEADER_LEN 28          /* GUID, modification time, unknown, protection */
#define ENTRY_TYPE_VMK 0x0002
#define VALUE_TYPE_VMK 0x0008

/* Offsets inside the structures above. */
#define HEADER_INFO_OFFSETS_OFF 16 /* after the volume-type GUID: 3 x u64 */
#define BLOCK_SIZE_OFF 8           /* u16, in units of 16 bytes */
#define BLOCK_VERSION_OFF 10       /* u16, 2 for Windows 7 and later */
#define BLOCK_CURR_STATE_OFF 12    /* u16 */
#define BLOCK_NEXT_STATE_OFF 14    /* u16 */
#define BLOCK_VOLUME_SIZE_OFF 16   /* u64 */
#define BLOCK_OFFSETS_OFF 32       /* 3 x u64: where the metadata copies are */
#define META_SIZE_OFF 0            /* u32 */
#define META_VOLUME_GUID_OFF 16    /* 16 bytes */
#define META_METHOD_OFF 36         /* u16 */
#define VALIDATION_SIZE_OFF 0      /* u16 */
#define VALIDATION_VERSION_OFF 2   /* u16 */
#define VALIDATION_CRC_OFF 4       /* u32 over the block */
#define ENTRY_SIZE_OFF 0           /* u16 */
#define ENTRY_TYPE_OFF 2           /* u16 */
#define ENTRY_VALUE_TYPE_OFF 4     /* u16 */
#define VMK_PROTECTION_OFF 26      /* u16, after the GUID at 0 */

static const char FVE_SIGNATURE[8] = "-FVE-FS-";
static const char TOGO_SIGNATURE[8] = "MSWIN4.1";
static const uint8_t BOOT_CODE_V1[3] = { 0xeb, 0x52, 0x90 };
static const uint8_t BOOT_CODE_V2[3] = { 0xeb, 0x58, 0x90 };
static const uint8_t GUID_NORMAL[16] = { 0x3b, 0xd6, 0x67, 0x49, 0x29, 0x2e, 0xd8, 0x4a,
					 0x83, 0x99, 0xf6, 0xa3, 0x39, 0xe3, 0xd0, 0x01 };
static const uint8_t GUID_EOW[16] = { 0x3b, 0x4d, 0xa8, 0x92, 0x80, 0xdd, 0x0e, 0x4d,
				      0x9e, 0x4e, 0xb1, 0xe3, 0x28, 0x4e, 0xae, 0xd8 };

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const uint8_t *p) { return (uint32_t)le16(p) | (uint32_t)le16(p + 2) << 16; }
static uint64_t le64(const uint8_t *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }

uint32_t wr_crc32(const uint8_t *buf, size_t len)
{
	static uint32_t table[256];
	static bool ready;
	if (!ready) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;
			for (int k = 0; k < 8; k++)
				c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
		ready = true;
	}
	uint32_t crc = 0xffffffffu;
	for (size_t i = 0; i < len; i++)
		crc = table[(crc ^ buf[i]) & 0xff] ^ (crc >> 8);
	return crc ^ 0xffffffffu;
}

static int fail(char **errmsg, int rc, const char *msg)
{
	if (errmsg)
		wr_set_message(errmsg, "%s", msg);
	return rc;
}

/* The boot sector says whether this is BitLocker, which version, and where the
 * metadata offsets are. */
static int parse_boot_sector(const uint8_t *bs, struct wr_fve_info *info, uint64_t *header_off,
			     char **errmsg)
{
	const uint8_t *sig = bs + BOOT_SIGNATURE_OFF;
	if (!memcmp(sig, FVE_SIGNATURE, 8))
		*header_off = HEADER_INFO_OFF;
	else if (!memcmp(sig, TOGO_SIGNATURE, 8))
		*header_off = HEADER_INFO_OFF_TOGO;
	else
		return fail(errmsg, -ENOENT, "not a BitLocker volume");
	info->togo = *header_off == HEADER_INFO_OFF_TOGO;
	info->sector_size = le16(bs + BOOT_SECTOR_SIZE_OFF);
	if (!info->sector_size)
		info->sector_size = 512;
	if (!memcmp(bs, BOOT_CODE_V1, 3) && !info->togo) {
		info->version = 1;
		return fail(errmsg, -ENOTSUP, "BitLocker version 1 (Windows Vista)");
	}
	if (memcmp(bs, BOOT_CODE_V2, 3) && !info->togo)
		return fail(errmsg, -EINVAL, "unknown BitLocker boot code");
	if (info->sector_size != 512 && info->sector_size != 4096)
		return fail(errmsg, -EINVAL, "BitLocker header has an unknown sector size");
	info->version = 2;
	return 0;
}

/* A plain FAT volume also says MSWIN4.1: To Go is recognised by its GUID. */
static int parse_header_info(const uint8_t *hi, struct wr_fve_info *info, bool *known_type,
			     char **errmsg)
{
	info->eow = !memcmp(hi, GUID_EOW, 16);
	*known_type = info->eow || !memcmp(hi, GUID_NORMAL, 16);
	if (info->togo && !*known_type)
		return fail(errmsg, -ENOENT, "not a BitLocker volume");
	for (int i = 0; i < 3; i++)
		info->metadata_offset[i] = le64(hi + HEADER_INFO_OFFSETS_OFF + 8 * i);
	for (int i = 0; info->eow && i < 2; i++)   /* after the metadata offsets */
		info->eow_offset[i] = le64(hi + HEADER_INFO_OFFSETS_OFF + 8 * (3 + i));
	return 0;
}

static bool block_header_sane(const uint8_t *h)
{
	uint32_t size = (uint32_t)le16(h + BLOCK_SIZE_OFF) << 4;
	return !memcmp(h, FVE_SIGNATURE, 8) && le16(h + BLOCK_VERSION_OFF) == 2 &&
	       size >= HEADERS_LEN && size <= WR_FVE_METADATA_AREA - VALIDATION_MIN_LEN;
}

/* Reads one metadata copy and checks its CRC; returns the block (caller frees)
 * and its checked length, or NULL. */
static uint8_t *read_valid_copy(wr_fve_read_fn read_at, void *ctx, uint64_t off, size_t *len)
{
	uint8_t head[HEADERS_LEN], val[VALIDATION_MIN_LEN];
	if (!off || off > UINT64_MAX - WR_FVE_METADATA_AREA ||
	    read_at(ctx, off, head, sizeof(head)) || !block_header_sane(head))
		return NULL;
	size_t size = (size_t)le16(head + BLOCK_SIZE_OFF) << 4;
	if (read_at(ctx, off + size, val, sizeof(val)) ||
	    le16(val + VALIDATION_SIZE_OFF) < VALIDATION_MIN_LEN ||
	    le16(val + VALIDATION_VERSION_OFF) > 2)
		return NULL;
	uint8_t *block = wr_xmalloc(size);
	if (read_at(ctx, off, block, size) || wr_crc32(block, size) != le32(val + VALIDATION_CRC_OFF)) {
		free(block);
		return NULL;
	}
	*len = size;
	return block;
}

static void add_protector(struct wr_fve_info *info, const uint8_t *vmk)
{
	if (info->nprotectors == WR_FVE_MAX_PROTECTORS)
		return;
	struct wr_fve_protector *p = &info->protectors[info->nprotectors++];
	wr_guid_format(vmk, p->guid);
	p->protection = le16(vmk + VMK_PROTECTION_OFF);
}

static int parse_entries(const uint8_t *p, size_t len, struct wr_fve_info *info, char **errmsg)
{
	size_t pos = 0;
	while (len - pos >= ENTRY_HEADER_LEN) {
		const uint8_t *e = p + pos;
		size_t size = le16(e + ENTRY_SIZE_OFF);
		if (!size)
			break;
		if (size < ENTRY_HEADER_LEN || size > len - pos)
			return fail(errmsg, -EINVAL, "BitLocker metadata entry out of bounds");
		if (le16(e + ENTRY_TYPE_OFF) == ENTRY_TYPE_VMK &&
		    le16(e + ENTRY_VALUE_TYPE_OFF) == VALUE_TYPE_VMK &&
		    size >= ENTRY_HEADER_LEN + VMK_HEADER_LEN)
			add_protector(info, e + ENTRY_HEADER_LEN);
		pos += size;
	}
	return 0;
}

static int parse_block(const uint8_t *b, size_t len, int copy, struct wr_fve_info *info,
		       char **errmsg)
{
	if (le64(b + BLOCK_OFFSETS_OFF + 8 * copy) != info->metadata_offset[copy])
		return fail(errmsg, -EINVAL, "BitLocker metadata is not where the header says");
	info->metadata_copy = copy;
	info->curr_state = le16(b + BLOCK_CURR_STATE_OFF);
	info->next_state = le16(b + BLOCK_NEXT_STATE_OFF);
	info->volume_size = le64(b + BLOCK_VOLUME_SIZE_OFF);
	for (int i = 0; i < 3; i++)
		info->metadata_offset[i] = le64(b + BLOCK_OFFSETS_OFF + 8 * i);
	const uint8_t *m = b + BLOCK_HEADER_LEN;
	wr_guid_format(m + META_VOLUME_GUID_OFF, info->volume_guid);
	info->method = le16(m + META_METHOD_OFF);
	size_t msize = le32(m + META_SIZE_OFF);
	if (msize < METADATA_HEADER_LEN || msize > len - BLOCK_HEADER_LEN)
		return fail(errmsg, -EINVAL, "BitLocker metadata has an impossible size");
	return parse_entries(m + METADATA_HEADER_LEN, msize - METADATA_HEADER_LEN, info, errmsg);
}

uint8_t *wr_fve_valid_block(wr_fve_read_fn read_at, void *ctx, const struct wr_fve_info *info,
			    size_t *len)
{
	for (int copy = 0; copy < 3; copy++) {
		uint8_t *block = read_valid_copy(read_at, ctx, info->metadata_offset[copy], len);
		if (block)
			return block;
	}
	return NULL;
}

static int read_metadata(wr_fve_read_fn read_at, void *ctx, struct wr_fve_info *info,
			 char **errmsg)
{
	for (int copy = 0; copy < 3; copy++) {
		size_t len = 0;
		uint8_t *block = read_valid_copy(read_at, ctx, info->metadata_offset[copy], &len);
		if (!block)
			continue;
		int rc = parse_block(block, len, copy, info, errmsg);
		free(block);
		return rc;
	}
	return fail(errmsg, -EINVAL,
		    "BitLocker metadata is damaged: no copy of it passes its checksum");
}

int wr_fve_read(wr_fve_read_fn read_at, void *ctx, struct wr_fve_info *info, char **errmsg)
{
	uint8_t bs[BOOT_SECTOR_LEN], hi[HEADER_INFO_LEN];
	uint64_t header_off = 0;
	bool known_type = false;
	memset(info, 0, sizeof(*info));
	int rc = read_at(ctx, 0, bs, sizeof(bs));
	if (rc)
		return rc == -EIO ? fail(errmsg, -ENOENT, "not a BitLocker volume") : rc;
	rc = parse_boot_sector(bs, info, &header_off, errmsg);
	if (!rc)
		rc = read_at(ctx, header_off, hi, sizeof(hi));
	if (!rc)
		rc = parse_header_info(hi, info, &known_type, errmsg);
	if (!rc)
		rc = read_metadata(read_at, ctx, info, errmsg);
	if (!rc && !known_type)
		rc = fail(errmsg, -ENOTSUP, "unknown BitLocker volume type");
	return rc;
}

struct mem_image { const uint8_t *buf; size_t len; };

static int read_memory(void *ctx, uint64_t off, void *buf, size_t len)
{
	const struct mem_image *m = ctx;
	if (off > m->len || len > m->len - off)
		return -EIO;
	memcpy(buf, m->buf + off, len);
	return 0;
}

int wr_fve_parse(const uint8_t *buf, size_t len, struct wr_fve_info *info, char **errmsg)
{
	struct mem_image m = { buf, len };
	return wr_fve_read(read_memory, &m, info, errmsg);
}

struct fd_image { int fd; uint64_t offset; };

static int read_fd(void *ctx, uint64_t off, void *buf, size_t len)
{
	const struct fd_image *f = ctx;
	uint8_t *p = buf;
	if (off > UINT64_MAX - f->offset)
		return -EIO;
	while (len) {
		ssize_t n = pread(f->fd, p, len, (off_t)(f->offset + off));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

int wr_fve_read_fd(int fd, uint64_t offset, struct wr_fve_info *info, char **errmsg)
{
	struct fd_image f = { fd, offset };
	return wr_fve_read(read_fd, &f, info, errmsg);
}

const char *wr_fve_method_cipher(uint16_t method)
{
	switch (method) {
	case 0x8000: case 0x8001: return "aes-cbc-elephant";
	case 0x8002: case 0x8003: return "aes-cbc-eboiv";
	case 0x8004: case 0x8005: return "aes-xts-plain64";
	default: return NULL;
	}
}

unsigned wr_fve_method_bits(uint16_t method)
{
	static const unsigned bits[] = { 256, 512, 128, 256, 256, 512 };
	return method >= 0x8000 && method <= 0x8005 ? bits[method - 0x8000] : 0;
}
