/* The cluster bitmap of a plaintext NTFS image, read with libntfs-3g: the fixture
 * must encrypt every cluster NTFS may read (an all-zero file included) and must
 * know that no cluster in use falls where BitLocker keeps its metadata. */
#include "bitlk-fixture.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ntfs-3g/volume.h>
#include <ntfs-3g/attrib.h>

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

bool bitlk_ntfs_in_use(const struct bitlk_ntfs_bitmap *bm, uint64_t off)
{
	uint64_t cluster = off / bm->cluster_size;

	if (cluster >= bm->clusters)
		return true;
	return bm->bits[cluster / 8] & (1u << (cluster % 8));
}

void bitlk_ntfs_bitmap_free(struct bitlk_ntfs_bitmap *bm)
{
	free(bm->bits);
	bm->bits = NULL;
}
