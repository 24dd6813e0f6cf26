/* Writes an encrypt-on-write (EOW) conversion map into a BitLocker test volume, in
 * the on-disk form dissect.fve and libbde document (fvevol.sys): two copies of the
 * EOW information block at the offsets the volume header names, each listing one
 * bitmap block per region; each bitmap block holds two records, a stale one (all
 * chunks unconverted, sequence 1) and the current one (sequence 2) with the bits
 * given. All CRC-32s are set. The Windows-made EOW images of ../shared/testdata/bitlk
 * have these blocks blanked, so tests put a map back with this before reading them.
 * Knobs left at 0 take the consistent value; tests set them to make hostile maps. */
#ifndef WR_TEST_EOW_MAP_H
#define WR_TEST_EOW_MAP_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "winrescue/fve.h"

struct eow_map_region {
	uint64_t bitmap_off;          /* where its bitmap block goes */
	uint64_t off, len;            /* the region of the volume it maps */
};

struct eow_map {
	uint64_t info_off[2];
	uint32_t sector_size, chunk;
	size_t nregions;
	struct eow_map_region r[2];
	const uint8_t *bits;          /* bit i: chunk i of each region converted */
	uint32_t nbits;               /* bits per record */
	uint64_t convlog_off;         /* one log for the first region (0: none) */
	uint32_t convlog_size;
};

static inline void eow_put(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t eow_record_len(const struct eow_map *m)
{
	return (36 + (m->nbits + 7) / 8 + 3) & ~3u;
}

static inline void eow_record(uint8_t *r, const struct eow_map *m, uint64_t seq)
{
	uint32_t len = eow_record_len(m);
	memcpy(r, "FVE-EOWBR", 10);
	eow_put(r + 10, 36, 2);
	eow_put(r + 12, len, 4);
	eow_put(r + 16, m->nbits, 4);
	eow_put(r + 20, seq, 8);
	if (seq > 1)
		memcpy(r + 36, m->bits, (m->nbits + 7) / 8);
	eow_put(r + 32, wr_crc32(r, len), 4);
}

static inline int eow_bitmap_write(int fd, const struct eow_map *m, size_t i)
{
	uint32_t rlen = eow_record_len(m), len = 64 + 2 * rlen;
	uint8_t *b = calloc(1, len);
	memcpy(b, "FVE-EOWBM", 10);
	eow_put(b + 10, 60, 2);
	eow_put(b + 12, len, 4);
	eow_put(b + 16, i, 4);
	eow_put(b + 20, m->r[i].off, 8);
	eow_put(b + 28, m->r[i].len, 8);
	eow_put(b + 36, i ? 0 : m->convlog_off, 8);
	eow_put(b + 44, 64, 4);
	eow_put(b + 48, 64 + rlen, 4);
	eow_put(b + 52, rlen, 4);
	eow_put(b + 56, wr_crc32(b, 64), 4);
	eow_record(b + 64, m, 1);
	eow_record(b + 64 + rlen, m, 2);
	int rc = pwrite(fd, b, len, (off_t)m->r[i].bitmap_off) == (ssize_t)len ? 0 : -1;
	free(b);
	return rc;
}

static inline int eow_map_write(int fd, const struct eow_map *m)
{
	uint8_t info[56 + 8 * 2] = { 0 };
	size_t len = 56 + 8 * m->nregions;
	memcpy(info, "FVE-EOW", 8);
	eow_put(info + 8, 56, 2);
	eow_put(info + 10, len, 2);
	eow_put(info + 12, m->sector_size, 4);
	eow_put(info + 16, m->sector_size, 4);
	eow_put(info + 20, m->chunk, 4);
	eow_put(info + 24, m->convlog_size, 4);
	eow_put(info + 32, m->nregions, 4);
	eow_put(info + 40, m->info_off[0], 8);
	eow_put(info + 48, m->info_off[1], 8);
	for (size_t i = 0; i < m->nregions; i++)
		eow_put(info + 56 + 8 * i, m->r[i].bitmap_off, 8);
	eow_put(info + 36, wr_crc32(info, len), 4);
	for (int i = 0; i < 2; i++)
		if (pwrite(fd, info, len, (off_t)m->info_off[i]) != (ssize_t)len)
			return -1;
	for (size_t i = 0; i < m->nregions; i++)
		if (eow_bitmap_write(fd, m, i))
			return -1;
	return 0;
}

#endif
