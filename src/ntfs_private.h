/* Private to the ntfsvol module (ntfsvol.c, ntfs_list.c): the open volume and
 * name conversions. */
#ifndef WINRESCUE_NTFS_PRIVATE_H
#define WINRESCUE_NTFS_PRIVATE_H

#include <errno.h>

#include "ntfs3g.h"
#include "winrescue/util.h"

struct wr_ntfs {
	struct ntfs_device *dev;
	ntfs_volume *vol;
	unsigned state;
	bool was_dirty;
	char serial[17];
};

static inline int wr_ntfs_to_utf16(const char *s, ntfschar **out)
{
	*out = NULL;
	int len = ntfs_mbstoucs(s, out);
	return len < 0 ? -EINVAL : len;
}

static inline char *wr_ntfs_to_utf8(const ntfschar *name, int len)
{
	char *s = NULL;
	if (ntfs_ucstombs(name, len, &s, 0) < 0)
		return wr_xstrdup("?");
	return s;
}

static inline void wr_ntfs_upcase(const ntfs_volume *vol, ntfschar *name, int len)
{
	ntfs_name_upcase(name, (u32)len, vol->upcase, vol->upcase_len);
}

#endif
