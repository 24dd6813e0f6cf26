/* What a link named like a channel file points to, for the report: the fix
 * removes the link itself and says where it pointed (its target stays). */
#include "winrescue/ntfsvol.h"

#include <stdlib.h>
#include <string.h>

#include "ntfs_private.h"

static unsigned le16_at(const u8 *p)
{
	return (unsigned)(p[0] | p[1] << 8);
}

/* A name inside data[0..size) as UTF-16LE, or NULL when it does not fit. */
static char *utf16_in(const u8 *data, s64 size, size_t at, size_t bytes)
{
	if (!bytes || bytes % 2 || (s64)(at + bytes) > size)
		return NULL;
	ntfschar *name = wr_xmalloc(bytes);
	memcpy(name, data + at, bytes);     /* aligned copy for libntfs-3g */
	char *s = wr_ntfs_to_utf8(name, (int)(bytes / 2));
	free(name);
	return s;
}

/* REPARSE_DATA: tag, length, reserved (8 bytes), then substitute name offset
 * and length, print name offset and length (relative to the path buffer),
 * then 4 bytes of flags for a symlink (not for a mount point). */
static char *reparse_target(const u8 *data, s64 size)
{
	if (size < 16)
		return NULL;
	bool symlink = data[3] == 0xA0 && data[0] == 0x0C;
	size_t buffer = symlink ? 20 : 16;
	char *print = utf16_in(data, size, buffer + le16_at(data + 12), le16_at(data + 14));
	return print ? print : utf16_in(data, size, buffer + le16_at(data + 8), le16_at(data + 10));
}

/* An Interix link's data: "IntxLNK\1" then the target in UTF-16LE. */
static char *interix_target(const u8 *data, s64 size)
{
	static const u8 magic[8] = { 'I', 'n', 't', 'x', 'L', 'N', 'K', 1 };
	if (size < 8 || memcmp(data, magic, sizeof(magic)))
		return NULL;
	return utf16_in(data, size, 8, (size_t)(size - 8));
}

char *wr_ntfs_link_target(struct wr_ntfs *nv, uint64_t mref)
{
	ntfs_inode *ni = ntfs_inode_open(nv->vol, mref);
	if (!ni)
		return NULL;
	bool reparse = ni->flags & FILE_ATTR_REPARSE_POINT;
	s64 size = 0;
	u8 *data = ntfs_attr_readall(ni, reparse ? AT_REPARSE_POINT : AT_DATA, AT_UNNAMED, 0,
				     &size);
	char *target = !data ? NULL : reparse ? reparse_target(data, size) :
		       interix_target(data, size);
	free(data);
	ntfs_inode_close(ni);
	return target;
}
