#include "winrescue/ntfsvol.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ntfs_private.h"
#include <ntfs-3g/index.h>
#include <ntfs-3g/reparse.h>
#include "winrescue/model.h"
#include "winrescue/util.h"

/* ---- opening ------------------------------------------------------------ */

static bool journal_is_v2(const RESTART_PAGE_HEADER *rp)
{
	return rp && rp->major_ver == const_cpu_to_le16(2) &&
	       rp->minor_ver == const_cpu_to_le16(0);
}

/* The same reading of $LogFile that libntfs-3g makes before a read-write
 * mount, done on a read-only mount so that scan can report it. */
static unsigned journal_state(ntfs_volume *vol)
{
	unsigned state = 0;
	ntfs_inode *ni = ntfs_inode_open(vol, FILE_LogFile);
	if (!ni)
		return WR_STATE_UNCLEAN_JOURNAL;
	ntfs_attr *na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
	RESTART_PAGE_HEADER *rp = NULL;
	if (!na || !ntfs_check_logfile(na, &rp) || !ntfs_is_logfile_clean(na, rp))
		state = WR_STATE_UNCLEAN_JOURNAL;
	if (journal_is_v2(rp))
		state = WR_STATE_FAST_STARTUP;
	free(rp);
	if (na)
		ntfs_attr_close(na);
	ntfs_inode_close(ni);
	return state;
}

static unsigned read_state(ntfs_volume *vol)
{
	unsigned state = journal_state(vol);
	if (vol->flags & VOLUME_IS_DIRTY)
		state |= WR_STATE_DIRTY;
	if (ntfs_volume_check_hiberfile(vol, 0) < 0 && errno == EPERM)
		state |= WR_STATE_HIBERNATED;
	return state;
}

static void read_serial(struct wr_ntfs *nv)
{
	uint8_t raw[8] = { 0 };
	uint64_t serial = 0;
	if (ntfs_pread(nv->dev, 0x48, sizeof(raw), raw) == (s64)sizeof(raw))
		for (int i = 7; i >= 0; i--)
			serial = serial << 8 | raw[i];
	snprintf(nv->serial, sizeof(nv->serial), "%016llX", (unsigned long long)serial);
}

static unsigned long mount_flags(unsigned flags)
{
	if (!(flags & WR_NTFS_WRITE))
		return NTFS_MNT_RDONLY;
	/* The fast-startup and hibernation overrides skip libntfs-3g's refusal;
	 * the journal is then reset by us, so nothing is left half-replayed. */
	if (flags & (WR_NTFS_DISCARD_FAST_STARTUP | WR_NTFS_DISCARD_HIBERNATION))
		return NTFS_MNT_FORENSIC;
	if (flags & WR_NTFS_RESET_JOURNAL)
		return NTFS_MNT_RECOVER;
	return 0;
}

static char *open_error_text(int err, const struct wr_range *range)
{
	switch (err) {
	case EBUSY:
		return wr_xasprintf("%s is in use by another program (another winrescue, "
			"or an ntfs-3g mount): close it first", range->path);
	case EPERM:
		return wr_xstrdup("Windows did not shut down fully (hibernated or Fast Startup): "
			"its cached state would be lost by writing");
	case EOPNOTSUPP:
		return wr_xstrdup("the NTFS journal is unclean (Windows did not shut down cleanly)");
	case EROFS:
		return wr_xasprintf("%s is read-only (a read-only mount, a write-protected image "
			"file or device): it cannot be fixed there; nothing was changed", range->path);
	case EINVAL:
	case EIO:
		return wr_xasprintf("not a readable NTFS volume (damaged or not NTFS): %s",
			strerror(err));
	default:
		return wr_xasprintf("cannot open the NTFS volume: %s", strerror(err));
	}
}

/* A reset journal drops what Windows had not yet written: Windows' own check
 * must run at its next boot, so the flag stays set after the fix too. */
static int keep_dirty(struct wr_ntfs *nv)
{
	nv->was_dirty = true;
	return wr_ntfs_set_dirty(nv, true);
}

static int reset_journal(struct wr_ntfs *nv)
{
	if (ntfs_logfile_reset(nv->vol) < 0)
		return -errno;
	return keep_dirty(nv);
}

/* A device shorter than its volume (a truncated image, a damaged partition
 * table) reads as errors wherever the end is missing: a missing $LogFile would
 * pass for an unclean journal. Such a volume is not opened at all. */
static bool cut_short(const struct wr_ntfs *nv)
{
	s64 bytes = ntfs_device_size_get(nv->dev, 1);
	return bytes > 0 && (u64)nv->vol->nr_clusters * nv->vol->cluster_size > (u64)bytes;
}

int wr_ntfs_open(const struct wr_range *range, unsigned flags, struct wr_ntfs **out, char **err)
{
	struct wr_ntfs *nv = wr_xcalloc(1, sizeof(*nv));
	nv->dev = wr_blockdev_new(range);
	errno = ENOMEM;
	if (nv->dev)
		nv->vol = ntfs_device_mount(nv->dev, mount_flags(flags));
	if (!nv->vol) {
		int e = errno ? errno : EIO;
		*err = open_error_text(e, range);
		wr_blockdev_free(nv->dev);
		free(nv);
		return -e;
	}
	/* libntfs-3g falls back to reading when the device cannot be written: a
	 * fix would then change nothing and find every file still there. */
	if ((flags & WR_NTFS_WRITE) && NVolReadOnly(nv->vol)) {
		*err = open_error_text(EROFS, range);
		wr_ntfs_close(nv);
		return -EROFS;
	}
	if (cut_short(nv)) {
		*err = wr_xasprintf("%s is shorter than the NTFS volume on it (a truncated image "
			"or a damaged partition table)", range->path);
		wr_ntfs_close(nv);
		return -EIO;
	}
	ntfs_create_lru_caches(nv->vol);
	/* Windows compares names case-insensitively; lookups through the index
	 * then use the volume's own $UpCase table. */
	NVolClearCaseSensitive(nv->vol);
	read_serial(nv);
	nv->was_dirty = nv->vol->flags & VOLUME_IS_DIRTY;
	nv->state = (flags & WR_NTFS_WRITE) ? 0 : read_state(nv->vol);
	int rc = 0;
	if (flags & WR_NTFS_RESET_JOURNAL)
		rc = keep_dirty(nv);
	if (!rc && (flags & (WR_NTFS_DISCARD_FAST_STARTUP | WR_NTFS_DISCARD_HIBERNATION)))
		rc = reset_journal(nv);
	if (rc) {
		*err = wr_xasprintf("cannot reset the NTFS journal: %s", strerror(-rc));
		wr_ntfs_close(nv);
		return rc;
	}
	*out = nv;
	return 0;
}

int wr_ntfs_close(struct wr_ntfs *nv)
{
	if (!nv)
		return 0;
	int rc = wr_blockdev_umount(nv->vol);
	free(nv);
	return rc;
}

unsigned wr_ntfs_state(const struct wr_ntfs *nv) { return nv->state; }
const char *wr_ntfs_serial(const struct wr_ntfs *nv) { return nv->serial; }
ntfs_volume *wr_ntfs_native(struct wr_ntfs *nv) { return nv->vol; }

int wr_ntfs_set_dirty(struct wr_ntfs *nv, bool dirty)
{
	le16 flags = nv->vol->flags;
	if (dirty || nv->was_dirty)
		flags |= VOLUME_IS_DIRTY;
	else
		flags &= ~VOLUME_IS_DIRTY;
	if (flags == nv->vol->flags)
		return 0;
	return ntfs_volume_write_flags(nv->vol, flags) < 0 ? -errno : 0;
}

int wr_ntfs_flush(struct wr_ntfs *nv)
{
	return ntfs_device_sync(nv->dev) < 0 ? -errno : 0;
}

/* ---- lookups ------------------------------------------------------------ */

#define WR_REPARSE_TAG_WOF 0x80000017u
#define WR_REPARSE_TAG_MOUNT_POINT 0xA0000003u
#define WR_REPARSE_TAG_SYMLINK 0xA000000Cu

/* The tag of ni's reparse point, 0 when it has none that can be read. */
static u32 reparse_tag(ntfs_inode *ni)
{
	s64 size = 0;
	u8 *data = ntfs_attr_readall(ni, AT_REPARSE_POINT, AT_UNNAMED, 0, &size);
	u32 tag = data && size >= 4 ?
		  (u32)(data[0] | data[1] << 8 | data[2] << 16 | (u32)data[3] << 24) : 0;
	free(data);
	return tag;
}

/* A link on a file record is Windows' (symlink or mount point reparse tag) or
 * Interix's (ntfs-3g's `ln -s`: a system file starting "IntxLNK", which Windows
 * reads as an ordinary file). A link on a folder record stays a reparse point. */
static enum wr_entry_kind inode_kind(ntfs_inode *ni)
{
	bool dir = ni->mrec->flags & MFT_RECORD_IS_DIRECTORY;
	if (ni->flags & FILE_ATTR_REPARSE_POINT) {
		u32 tag = dir ? 0 : reparse_tag(ni);
		return tag == WR_REPARSE_TAG_WOF ? WR_ENTRY_WOF :
		       tag == WR_REPARSE_TAG_SYMLINK || tag == WR_REPARSE_TAG_MOUNT_POINT ?
		       WR_ENTRY_LINK : WR_ENTRY_REPARSE;
	}
	if (dir)
		return WR_ENTRY_DIR;
	if ((ni->flags & FILE_ATTR_SYSTEM) && ntfs_interix_types(ni) == NTFS_DT_LNK)
		return WR_ENTRY_LINK;
	return WR_ENTRY_FILE;
}

int wr_ntfs_kind(struct wr_ntfs *nv, uint64_t mref, enum wr_entry_kind *kind)
{
	ntfs_inode *ni = ntfs_inode_open(nv->vol, mref);
	if (!ni)
		return -errno;
	*kind = inode_kind(ni);
	ntfs_inode_close(ni);
	return 0;
}

/* 0 when inode child has a name in directory dir, -EUCLEAN when it has none:
 * a damaged index entry can point anywhere, even back up the path, and the
 * fix must never act on a folder it reached that way. */
static int check_parent(ntfs_volume *vol, uint64_t child, uint64_t dir)
{
	ntfs_inode *ni = ntfs_inode_open(vol, child);
	if (!ni)
		return -errno;
	ntfs_attr_search_ctx *ctx = ntfs_attr_get_search_ctx(ni, NULL);
	int rc = ctx ? -EUCLEAN : -errno;
	while (rc == -EUCLEAN &&
	       !ntfs_attr_lookup(AT_FILE_NAME, AT_UNNAMED, 0, CASE_SENSITIVE, 0, NULL, 0, ctx)) {
		const ATTR_RECORD *a = ctx->attr;
		const FILE_NAME_ATTR *fn = (const FILE_NAME_ATTR *)((const u8 *)a +
			le16_to_cpu(a->value_offset));
		if (!a->non_resident && MREF_LE(fn->parent_directory) == dir)
			rc = 0;
	}
	if (rc == -EUCLEAN && errno != ENOENT)
		rc = -errno;
	if (ctx)
		ntfs_attr_put_search_ctx(ctx);
	ntfs_inode_close(ni);
	return rc;
}

static int lookup_child(ntfs_volume *vol, uint64_t dir, const char *name, uint64_t *child)
{
	ntfschar *uname;
	int len = wr_ntfs_to_utf16(name, &uname);
	if (len < 0)
		return len;
	ntfs_inode *dir_ni = ntfs_inode_open(vol, dir);
	int rc = 0;
	if (!dir_ni) {
		rc = -errno;
	} else {
		/* Only "no such name" means absent: a read error must not make a
		 * folder that is there look missing (the fix would be skipped). */
		errno = 0;
		u64 mref = ntfs_inode_lookup_by_name(dir_ni, uname, len);
		rc = mref != (u64)-1 ? 0 : errno ? -errno : -ENOENT;
		*child = MREF(mref);
		ntfs_inode_close(dir_ni);
	}
	free(uname);
	return rc ? rc : check_parent(vol, *child, dir);
}

int wr_ntfs_lookup(struct wr_ntfs *nv, const char *windows_path, uint64_t *mref)
{
	char *path = wr_xstrdup(windows_path);
	uint64_t cur = FILE_root;
	int rc = 0;
	char *save = NULL;
	for (char *part = strtok_r(path, "\\/", &save); part && !rc;
	     part = strtok_r(NULL, "\\/", &save)) {
		enum wr_entry_kind kind = WR_ENTRY_OTHER;
		rc = lookup_child(nv->vol, cur, part, &cur);
		if (!rc)
			rc = wr_ntfs_kind(nv, cur, &kind);
		if (!rc && (kind == WR_ENTRY_REPARSE || kind == WR_ENTRY_LINK))
			rc = -ELOOP;
	}
	free(path);
	if (!rc)
		*mref = cur;
	return rc;
}

/* ---- files -------------------------------------------------------------- */

int wr_ntfs_file_info(struct wr_ntfs *nv, uint64_t mref, struct wr_file_info *info)
{
	ntfs_inode *ni = ntfs_inode_open(nv->vol, mref);
	if (!ni)
		return -errno;
	info->size = ni->data_size > 0 ? (uint64_t)ni->data_size : 0;
	info->created = sle64_to_cpu(ni->creation_time);
	info->modified = sle64_to_cpu(ni->last_data_change_time);
	ntfs_attr *na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
	if (na) {
		info->size = (uint64_t)na->data_size;
		ntfs_attr_close(na);
	}
	ntfs_inode_close(ni);
	return 0;
}

static int read_attr(ntfs_attr *na, size_t max, uint8_t **buf, size_t *len)
{
	if (na->data_size < 0 || (uint64_t)na->data_size > max)
		return -EFBIG;
	size_t size = (size_t)na->data_size;
	uint8_t *data = wr_xmalloc(size);
	s64 n = size ? ntfs_attr_pread(na, 0, (s64)size, data) : 0;
	if (n != (s64)size) {
		free(data);
		return n < 0 ? -errno : -EIO;
	}
	*buf = data;
	*len = size;
	return 0;
}

int wr_ntfs_read_all(struct wr_ntfs *nv, uint64_t mref, size_t max, uint8_t **buf, size_t *len)
{
	ntfs_inode *ni = ntfs_inode_open(nv->vol, mref);
	if (!ni)
		return -errno;
	ntfs_attr *na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
	int rc = na ? read_attr(na, max, buf, len) : -errno;
	if (na)
		ntfs_attr_close(na);
	ntfs_inode_close(ni);
	return rc;
}

static FILE_NAME_ATTR *name_attr(ntfs_attr_search_ctx *ctx)
{
	return (FILE_NAME_ATTR *)((u8 *)ctx->attr + le16_to_cpu(ctx->attr->value_offset));
}

/* The FILE_NAME of ni in dir equal to name, and whether ni has a DOS name there. */
static FILE_NAME_ATTR *find_link(ntfs_attr_search_ctx *ctx, u64 dir, const ntfschar *name,
				 u8 len, bool *has_dos, u32 *fn_len)
{
	FILE_NAME_ATTR *found = NULL;
	*has_dos = false;
	while (!ntfs_attr_lookup(AT_FILE_NAME, AT_UNNAMED, 0, CASE_SENSITIVE, 0, NULL, 0, ctx)) {
		FILE_NAME_ATTR *fn = name_attr(ctx);
		if (MREF_LE(fn->parent_directory) != dir)
			continue;
		if (fn->file_name_type == FILE_NAME_DOS)
			*has_dos = true;
		else if (fn->file_name_length == len &&
			 !memcmp(fn->file_name, name, len * sizeof(ntfschar))) {
			found = fn;
			*fn_len = le32_to_cpu(ctx->attr->value_length);
		}
	}
	return found;
}

static int retype_index_entry(ntfs_inode *dir_ni, FILE_NAME_ATTR *fn, u32 fn_len)
{
	ntfs_index_context *ictx = ntfs_index_ctx_get(dir_ni, NTFS_INDEX_I30, 4);
	int rc = -EIO;
	if (ictx && !ntfs_index_lookup(fn, (int)fn_len, ictx)) {
		((FILE_NAME_ATTR *)ictx->data)->file_name_type = FILE_NAME_POSIX;
		ntfs_index_entry_mark_dirty(ictx);
		rc = 0;
	}
	if (ictx)
		ntfs_index_ctx_put(ictx);
	return rc;
}

/* libntfs-3g removes a Win32 name only together with its DOS twin, but Windows
 * with 8.3 names disabled writes Win32 names alone. Such a lone name is what
 * libntfs-3g calls POSIX: retype it in the record and the index so it can go. */
static int prepare_lone_win32_name(ntfs_inode *ni, ntfs_inode *dir_ni,
				   const struct wr_entry *entry)
{
	ntfs_attr_search_ctx *ctx = ntfs_attr_get_search_ctx(ni, NULL);
	if (!ctx)
		return -errno;
	bool has_dos;
	u32 fn_len = 0;
	FILE_NAME_ATTR *fn = find_link(ctx, dir_ni->mft_no, (const ntfschar *)entry->uname,
				       (u8)entry->uname_len, &has_dos, &fn_len);
	int rc = 0;
	if (fn && fn->file_name_type == FILE_NAME_WIN32 && !has_dos) {
		fn->file_name_type = FILE_NAME_POSIX;
		ntfs_inode_mark_dirty(ni);
		rc = retype_index_entry(dir_ni, fn, fn_len);
	}
	ntfs_attr_put_search_ctx(ctx);
	return rc;
}

/* libntfs-3g keeps (leaks) an inode whose record it cannot write back: its close
 * fails, inside ntfs_delete too, and the inode stays allocated. Writing the record
 * back unchanged first proves it can be written before anything changes; when it
 * cannot, the inode is made clean again so that it can be closed. */
static int check_record_writable(ntfs_inode *ni)
{
	ntfs_inode_mark_dirty(ni);
	if (!ntfs_inode_sync(ni))
		return 0;
	int rc = -(errno ? errno : EIO);
	NInoClearDirty(ni);
	NInoAttrListClearDirty(ni);
	return rc;
}

int wr_ntfs_unlink(struct wr_ntfs *nv, uint64_t dir, const struct wr_entry *entry)
{
	ntfs_inode *dir_ni = ntfs_inode_open(nv->vol, dir);
	if (!dir_ni)
		return -errno;
	ntfs_inode *ni = ntfs_inode_open(nv->vol, entry->mref);
	if (!ni) {
		int e = errno;
		ntfs_inode_close(dir_ni);
		return -e;
	}
	int rc = check_record_writable(dir_ni);
	if (!rc)
		rc = check_record_writable(ni);
	if (!rc)
		rc = prepare_lone_win32_name(ni, dir_ni, entry);
	if (rc) {
		ntfs_inode_close(ni);
		ntfs_inode_close(dir_ni);
		return rc;
	}
	/* ntfs_delete closes both inodes, whatever it returns. */
	if (ntfs_delete(nv->vol, NULL, ni, dir_ni, (ntfschar *)entry->uname,
			(u8)entry->uname_len) < 0)
		return -(errno ? errno : EIO);
	return 0;
}

int wr_ntfs_invalidate_hibernation(struct wr_ntfs *nv)
{
	uint64_t mref;
	int rc = wr_ntfs_lookup(nv, "\\hiberfil.sys", &mref);
	if (rc)
		return rc == -ENOENT ? 0 : rc;
	ntfs_inode *ni = ntfs_inode_open(nv->vol, mref);
	if (!ni)
		return -errno;
	ntfs_attr *na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
	static const uint8_t zeros[4096];
	s64 want = na ? (na->data_size < 4096 ? na->data_size : 4096) : 0;
	rc = !na ? -errno : ntfs_attr_pwrite(na, 0, want, zeros) == want ? 0 : -EIO;
	if (na)
		ntfs_attr_close(na);
	if (ntfs_inode_close(ni) < 0 && !rc)
		rc = -errno;
	return rc;
}
