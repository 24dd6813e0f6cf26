/* Rewriting one small file in place on an NTFS volume (the BIOS boot store
 * \Boot\BCD): the data stream is resized and written through libntfs-3g. */
#include "winrescue/ntfsvol.h"

#include <errno.h>

#include "ntfs3g.h"

int wr_ntfs_write_all(struct wr_ntfs *nv, uint64_t mref, const uint8_t *buf, size_t len)
{
	ntfs_volume *vol = wr_ntfs_native(nv);
	if (NVolReadOnly(vol))
		return -EROFS;
	ntfs_inode *ni = ntfs_inode_open(vol, (MFT_REF)mref);
	if (!ni)
		return -(errno ? errno : EIO);
	int rc = 0;
	ntfs_attr *na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
	if (!na || (ni->flags & FILE_ATTR_REPARSE_POINT) || NAttrCompressed(na) ||
	    NAttrEncrypted(na))
		rc = na ? -EOPNOTSUPP : -(errno ? errno : EIO);
	if (!rc && na->data_size != (s64)len && ntfs_attr_truncate(na, (s64)len))
		rc = -(errno ? errno : EIO);
	if (!rc && len && ntfs_attr_pwrite(na, 0, (s64)len, buf) != (s64)len)
		rc = -(errno ? errno : EIO);
	if (na)
		ntfs_attr_close(na);
	if (ntfs_inode_close(ni) && !rc)
		rc = -(errno ? errno : EIO);
	return rc;
}
