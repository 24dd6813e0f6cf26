#include "winrescue/fve_eow.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "winrescue/util.h"

/* EOW information block ("FVE-EOW\0"): header, then one u64 offset per bitmap block. */
#define INFO_HEADER_LEN 56
#define INFO_SIZE_OFF 10            /* u16, header + bitmap offsets */
#define INFO_SECTOR_OFF 12          /* u32 */
#define INFO_CHUNK_OFF 20           /* u32, bytes per bitmap bit */
#define INFO_CONVLOG_SIZE_OFF 24    /* u32 */
#define INFO_CRC_OFF 36             /* u32 over the block, itself zeroed */
/* Bitmap block ("FVE-EOWBM\0"). */
#define BM_HEADER_LEN 60
#define BM_SIZE_OFF 12              /* u32, the whole block */
#define BM_REGION_OFF 20            /* u64 */
#define BM_REGION_SIZE_OFF 28       /* u64 */
#define BM_CONVLOG_OFF 36           /* u64 */
#define BM_RECORD_OFF 44            /* 2 x u32, from the block's start */
#define BM_CRC_OFF 56               /* u32 over [0, first record) */
#define BM_MAX (16u << 20)
/* Bitmap record ("FVE-EOWBR\0"), followed by the bits. */
#define REC_HEADER_LEN 36
#define REC_SIZE_OFF 12             /* u32, header + bits */
#define REC_BITS_OFF 16             /* u32, number of bits */
#define REC_SEQ_OFF 20              /* u64 */
#define REC_CRC_OFF 32

struct area { uint64_t off, len; };
struct region { uint64_t off, len; size_t bits_at; uint64_t nbits; };

struct wr_eow {
	size_t total;                 /* bytes of this allocation (for dup) */
	uint64_t chunk;
	size_t nregions, nareas, nbytes;
	struct region r[WR_EOW_MAX_REGIONS];
	struct area a[2 + 2 * WR_EOW_MAX_REGIONS];
	uint8_t bits[];
};

struct ctx {
	wr_fve_read_fn read_at;
	void *rctx;
	unsigned ss;
	uint64_t size;
	char **errmsg;
};

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const uint8_t *p) { return (uint32_t)le16(p) | (uint32_t)le16(p + 2) << 16; }
static uint64_t le64(const uint8_t *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }

static int bad(const struct ctx *c, const char *what)
{
	if (c->errmsg)
		wr_set_message(c->errmsg, "its conversion map %s", what);
	return -EINVAL;
}

static bool inside(const struct ctx *c, uint64_t off, uint64_t len)
{
	return off % c->ss == 0 && off <= c->size && len <= c->size - off;
}

/* CRC-32 of buf[0, len) with its own CRC field (at crc_off) counted as zero. */
static bool crc_ok(uint8_t *buf, size_t len, size_t crc_off)
{
	uint32_t want = le32(buf + crc_off);
	memset(buf + crc_off, 0, 4);
	bool ok = wr_crc32(buf, len) == want;
	for (int i = 0; i < 4; i++)
		buf[crc_off + i] = (uint8_t)(want >> (8 * i));
	return ok;
}

/* Reads a block of size given by a header field: NULL when it is not there whole. */
static uint8_t *read_block(const struct ctx *c, uint64_t off, size_t head, size_t size_off,
			   bool size32, const char *sig, size_t sig_len, size_t *len)
{
	uint8_t h[BM_HEADER_LEN];
	if (!inside(c, off, head) || c->read_at(c->rctx, off, h, head) || memcmp(h, sig, sig_len) ||
	    le16(h + sig_len) != head)
		return NULL;
	*len = size32 ? le32(h + size_off) : le16(h + size_off);
	if (*len < head || *len > BM_MAX || !inside(c, off, *len))
		return NULL;
	uint8_t *b = wr_xmalloc(*len);
	if (c->read_at(c->rctx, off, b, *len)) {
		free(b);
		return NULL;
	}
	return b;
}

static void add_area(struct wr_eow *e, uint64_t off, uint64_t len, unsigned ss)
{
	e->a[e->nareas].off = off;
	e->a[e->nareas++].len = (len + ss - 1) / ss * ss;
}

/* The valid record with the highest sequence number, or NULL. */
static const uint8_t *current_record(uint8_t *bm, size_t len)
{
	const uint8_t *best = NULL;
	for (int i = 0; i < 2; i++) {
		uint32_t at = le32(bm + BM_RECORD_OFF + 4 * i);
		if (at < BM_HEADER_LEN || at > len || len - at < REC_HEADER_LEN)
			continue;
		uint8_t *r = bm + at;
		uint32_t rlen = le32(r + REC_SIZE_OFF);
		if (memcmp(r, "FVE-EOWBR", 10) || le16(r + 10) != REC_HEADER_LEN ||
		    rlen < REC_HEADER_LEN || rlen > len - at || !crc_ok(r, rlen, REC_CRC_OFF) ||
		    (uint64_t)(rlen - REC_HEADER_LEN) * 8 < le32(r + REC_BITS_OFF))
			continue;
		if (!best || le64(r + REC_SEQ_OFF) > le64(best + REC_SEQ_OFF))
			best = r;
	}
	return best;
}

/* One bitmap block: its region, current bits and conversion log join the map. */
static int add_bitmap(const struct ctx *c, struct wr_eow **ep, uint64_t off, uint32_t log_len)
{
	size_t len;
	uint8_t *bm = read_block(c, off, BM_HEADER_LEN, BM_SIZE_OFF, true, "FVE-EOWBM", 10, &len);
	uint32_t first = bm ? le32(bm + BM_RECORD_OFF) : 0;
	if (!bm || first < BM_HEADER_LEN || first > len || !crc_ok(bm, first, BM_CRC_OFF)) {
		free(bm);
		return bad(c, "has a bitmap block that is missing or damaged");
	}
	const uint8_t *rec = current_record(bm, len);
	struct wr_eow *e = *ep;
	struct region *r = &e->r[e->nregions];
	r->off = le64(bm + BM_REGION_OFF);
	r->len = le64(bm + BM_REGION_SIZE_OFF);
	r->nbits = rec ? le32(rec + REC_BITS_OFF) : 0;
	uint64_t log_off = le64(bm + BM_CONVLOG_OFF);
	int rc = !rec ? bad(c, "has no valid bitmap record")
		: !r->len || !inside(c, r->off, r->len) ? bad(c, "has a region outside the volume")
		: r->nbits < (r->len + e->chunk - 1) / e->chunk ? bad(c, "has a bitmap smaller than its region")
		: log_len && log_off && !inside(c, log_off, log_len) ? bad(c, "has a conversion log outside the volume")
		: 0;
	if (!rc) {
		size_t nb = (size_t)((r->nbits + 7) / 8);
		*ep = e = realloc(e, e->total + nb);
		if (!e)
			abort();
		memcpy(e->bits + e->nbytes, rec + REC_HEADER_LEN, nb);
		e->r[e->nregions++].bits_at = e->nbytes;
		e->nbytes += nb, e->total += nb;
		add_area(e, off, len, c->ss);
		if (log_len && log_off)
			add_area(e, log_off, log_len, c->ss);
	}
	free(bm);
	return rc;
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* Regions and areas pairwise apart: a hostile map cannot make one sector two things. */
static int check_apart(const struct ctx *c, const struct wr_eow *e)
{
	for (size_t i = 0; i < e->nregions; i++)
		for (size_t j = 0; j < i; j++)
			if (overlaps(e->r[i].off, e->r[i].len, e->r[j].off, e->r[j].len))
				return bad(c, "has overlapping regions");
	for (size_t i = 0; i < e->nareas; i++)
		for (size_t j = 0; j < i; j++)
			if (overlaps(e->a[i].off, e->a[i].len, e->a[j].off, e->a[j].len))
				return bad(c, "has overlapping blocks");
	return 0;
}

/* The first information copy that passes its CRC and describes this volume. */
static uint8_t *info_block(const struct ctx *c, const uint64_t offset[2], size_t *len)
{
	for (int i = 0; i < 2; i++) {
		uint8_t *b = read_block(c, offset[i], INFO_HEADER_LEN, INFO_SIZE_OFF, false,
					"FVE-EOW\0", 8, len);
		if (b && (*len - INFO_HEADER_LEN) % 8 == 0 && *len > INFO_HEADER_LEN &&
		    (*len - INFO_HEADER_LEN) / 8 <= WR_EOW_MAX_REGIONS && crc_ok(b, *len, INFO_CRC_OFF) &&
		    le32(b + INFO_SECTOR_OFF) == c->ss)
			return b;
		free(b);
	}
	return NULL;
}

int wr_eow_read(wr_fve_read_fn read_at, void *rctx, const uint64_t offset[2],
		unsigned sector_size, uint64_t volume_size, struct wr_eow **out, char **errmsg)
{
	struct ctx c = { read_at, rctx, sector_size ? sector_size : 512, volume_size, errmsg };
	size_t len = 0;
	*out = NULL;
	uint8_t *info = info_block(&c, offset, &len);
	if (!info)
		return bad(&c, "cannot be read (no information block passes its checks)");
	struct wr_eow *e = wr_xcalloc(1, sizeof(*e));
	e->total = sizeof(*e);
	e->chunk = le32(info + INFO_CHUNK_OFF);
	int rc = !e->chunk || e->chunk % c.ss ? bad(&c, "has an impossible chunk size") : 0;
	for (int i = 0; !rc && i < 2; i++)
		rc = inside(&c, offset[i], len) ? (add_area(e, offset[i], len, c.ss), 0)
			: bad(&c, "has an information block outside the volume");
	for (size_t i = 0; !rc && i < (len - INFO_HEADER_LEN) / 8; i++)
		rc = add_bitmap(&c, &e, le64(info + INFO_HEADER_LEN + 8 * i),
				le32(info + INFO_CONVLOG_SIZE_OFF));
	if (!rc)
		rc = check_apart(&c, e);
	free(info);
	if (rc)
		wr_eow_free(e);
	else
		*out = e;
	return rc;
}

struct wr_eow *wr_eow_dup(const struct wr_eow *e)
{
	if (!e)
		return NULL;
	struct wr_eow *d = wr_xmalloc(e->total);
	memcpy(d, e, e->total);
	return d;
}

void wr_eow_free(struct wr_eow *e)
{
	free(e);
}

int wr_eow_converted(const struct wr_eow *e, uint64_t off)
{
	for (size_t i = 0; i < e->nregions; i++) {
		const struct region *r = &e->r[i];
		if (off < r->off || off - r->off >= r->len)
			continue;
		uint64_t bit = (off - r->off) / e->chunk;
		return e->bits[r->bits_at + bit / 8] >> (bit % 8) & 1;
	}
	return -1;
}

bool wr_eow_reserved(const struct wr_eow *e, uint64_t off, uint64_t len)
{
	for (size_t i = 0; i < e->nareas; i++)
		if (overlaps(off, len, e->a[i].off, e->a[i].len))
			return true;
	return false;
}

int wr_eow_percent(const struct wr_eow *e)
{
	uint64_t all = 0, done = 0;
	for (size_t i = 0; i < e->nregions; i++) {
		const struct region *r = &e->r[i];
		uint64_t n = (r->len + e->chunk - 1) / e->chunk;
		for (uint64_t b = 0; b < n; b++)
			done += e->bits[r->bits_at + b / 8] >> (b % 8) & 1;
		all += n;
	}
	return all ? (int)(done * 100 / all) : 0;
}
