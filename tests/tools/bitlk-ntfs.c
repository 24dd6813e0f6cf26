/* The NTFS side of the fixture, through libntfs-3g:
 * - the cluster bitmap of the plaintext: every cluster NTFS may read is encrypted (an
 *   all-zero file included), and no data may sit where BitLocker keeps its metadata;
 * - placeholder files that own those areas before a volume is populated, as Windows'
 *   own FVE2.* files in \System Volume Information do, so files never land there. */
#include "bitlk-fixture.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h> /* before libntfs-3g: its ntfstime.h calls time() without it */

#include <ntfs-3g/volume.h>
#include <ntfs-3g/attrib.h>
#include <ntfs-3g/dir.h>
#include <ntfs-3g/inode.h>

#define RESERVE_DIR "/System Volume Information"
#define RESERVED_AREAS 4 /* three metadata areas and the volume header */

static int read_bits(ntfs_volume *vol, struct bitlk_ntfs_bitmap *bm, char err[BITLK_ERR_LEN])
{
	s64 bytes = (s64)((vol->nr_clusters + 7) / 8);

	bm->clusters = (uint64_t)vol->nr_clusters;
	bm->cluster_size = vol->cluster_size;
	bm->bits = calloc(1, (size_t)bytes);
	if (!bm->bits)
		abort();
	if (ntfs_attr_pread(vol->lcnbmp_na, 0, bytes, bm->bits) != bytes) {
		bitlk_set_err(err, "cannot read the NTFS cluster bitmap: %s", strerror(errno));
		free(bm->bits);
		bm->bits = NULL;
		return -1;
	}
	return 0;
}

int bitlk_ntfs_bitmap_read(const char *path, struct bitlk_ntfs_bitmap *bm, char err[BITLK_ERR_LEN])
{
	ntfs_volume *vol = ntfs_mount(path, NTFS_MNT_RDONLY);
	int r;

	memset(bm, 0, sizeof(*bm));
	if (!vol) {
		bitlk_set_err(err, "%s: cannot open as NTFS: %s", path, strerror(errno));
		return -1;
	}
	r = read_bits(vol, bm, err);
	ntfs_umount(vol, FALSE);
	return r;
}

static bool get_bit(const unsigned char *bits, s64 c)
{
	return bits[c / 8] & (1u << (c % 8));
}

bool bitlk_ntfs_in_use(const struct bitlk_ntfs_bitmap *bm, uint64_t off)
{
	uint64_t cluster = off / bm->cluster_size;

	if (cluster >= bm->clusters)
		return true;
	return get_bit(bm->bits, (s64)cluster);
}

void bitlk_ntfs_bitmap_free(struct bitlk_ntfs_bitmap *bm)
{
	free(bm->bits);
	bm->bits = NULL;
}

struct reservation {
	const struct bitlk_area *area;
	const char *path;
	ntfs_inode *ni;
	s64 first, count; /* clusters */
};

static bool clusters_free(const unsigned char *bits, s64 first, s64 count)
{
	for (s64 c = first; c < first + count; c++)
		if (get_bit(bits, c))
			return false;
	return true;
}

/* Sets bit c of dst to value. */
static void put_bit(unsigned char *dst, s64 c, bool value)
{
	if (value)
		dst[c / 8] |= (unsigned char)(1u << (c % 8));
	else
		dst[c / 8] &= (unsigned char)~(1u << (c % 8));
}

/* Makes the allocator's only choice the reserved clusters: every other cluster is
 * marked in use while the placeholder grows, then the other bits are put back. */
static int allocate_exactly(ntfs_volume *vol, struct reservation *r, unsigned char *saved,
			    unsigned char *work, s64 bytes)
{
	ntfs_attr *na;
	int rc = -1;

	if (ntfs_attr_pread(vol->lcnbmp_na, 0, bytes, saved) != bytes ||
	    !clusters_free(saved, r->first, r->count))
		return -1;
	memset(work, 0xff, (size_t)bytes);
	for (s64 c = r->first; c < r->first + r->count; c++)
		put_bit(work, c, false);
	if (ntfs_attr_pwrite(vol->lcnbmp_na, 0, bytes, work) != bytes)
		return -1;
	na = ntfs_attr_open(r->ni, AT_DATA, AT_UNNAMED, 0);
	if (na && !ntfs_attr_truncate_solid(na, r->count * vol->cluster_size) &&
	    !ntfs_attr_map_whole_runlist(na) && na->rl[0].lcn == r->first &&
	    na->rl[0].length == r->count && na->rl[1].length == 0)
		rc = 0;
	if (na)
		ntfs_attr_close(na);
	if (ntfs_attr_pread(vol->lcnbmp_na, 0, bytes, work) != bytes)
		return -1;
	for (s64 c = 0; c < bytes * 8; c++)
		if (c < r->first || c >= r->first + r->count)
			put_bit(work, c, get_bit(saved, c));
	return ntfs_attr_pwrite(vol->lcnbmp_na, 0, bytes, work) == bytes ? rc : -1;
}

static void plan_reservations(const struct bitlk_layout *l, uint32_t cluster_size,
			      struct reservation r[RESERVED_AREAS])
{
	for (size_t i = 0; i < RESERVED_AREAS; i++) {
		r[i].area = i < l->n_meta ? &l->meta[i] : &l->header;
		r[i].path = bitlk_ntfs_placeholder(i);
		r[i].first = (s64)(r[i].area->offset / cluster_size);
		r[i].count = (s64)((r[i].area->offset + r[i].area->size + cluster_size - 1) /
				   cluster_size) - r[i].first;
	}
}

/* Opens every placeholder first: nothing else may need clusters while the bitmap is
 * masked. */
static int reserve_all(ntfs_volume *vol, struct reservation r[RESERVED_AREAS],
		       char err[BITLK_ERR_LEN])
{
	s64 bytes = (s64)((vol->nr_clusters + 7) / 8);
	unsigned char *saved = malloc((size_t)bytes), *work = malloc((size_t)bytes);
	int rc = 0;

	if (!saved || !work)
		abort();
	for (size_t i = 0; i < RESERVED_AREAS && !rc; i++)
		if (!(r[i].ni = ntfs_pathname_to_inode(vol, NULL, r[i].path))) {
			bitlk_set_err(err, "cannot open %s (the spec must create it empty): %s",
				      r[i].path, strerror(errno));
			rc = -1;
		}
	for (size_t i = 0; i < RESERVED_AREAS && !rc; i++)
		if (allocate_exactly(vol, &r[i], saved, work, bytes)) {
			bitlk_set_err(err, "cannot give clusters %lld-%lld (BitLocker area at %llu) "
				      "to %s: in use, or the file is not empty?", (long long)r[i].first,
				      (long long)(r[i].first + r[i].count - 1),
				      (unsigned long long)r[i].area->offset, r[i].path);
			rc = -1;
		}
	for (size_t i = 0; i < RESERVED_AREAS; i++)
		if (r[i].ni && ntfs_inode_close(r[i].ni) && !rc) {
			bitlk_set_err(err, "closing %s: %s", r[i].path, strerror(errno));
			rc = -1;
		}
	free(saved);
	free(work);
	return rc;
}

int bitlk_ntfs_reserve(const char *path, const struct bitlk_layout *l, char err[BITLK_ERR_LEN])
{
	struct reservation r[RESERVED_AREAS] = { 0 };
	ntfs_volume *vol = ntfs_mount(path, 0);
	int rc;

	if (!vol) {
		bitlk_set_err(err, "%s: cannot open as NTFS: %s", path, strerror(errno));
		return -1;
	}
	plan_reservations(l, vol->cluster_size, r);
	rc = reserve_all(vol, r, err);
	if (ntfs_umount(vol, FALSE) && !rc) {
		bitlk_set_err(err, "%s: closing NTFS: %s", path, strerror(errno));
		rc = -1;
	}
	return rc;
}

const char *bitlk_ntfs_placeholder(size_t i)
{
	static const char *const names[RESERVED_AREAS] = {
		RESERVE_DIR "/FVE2.metadata.1", RESERVE_DIR "/FVE2.metadata.2",
		RESERVE_DIR "/FVE2.metadata.3", RESERVE_DIR "/FVE2.volume-header",
	};
	return i < RESERVED_AREAS ? names[i] : NULL;
}
