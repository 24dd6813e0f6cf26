/* Listing a directory by name prefix (part of the ntfsvol module). */
#include "winrescue/ntfsvol.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ntfs_private.h"
#include <ntfs-3g/reparse.h>
#include "winrescue/util.h"

/* ---- listing ------------------------------------------------------------ */

/* An NTFS directory index ($I30) is a B+tree collated by the $UpCase form of
 * the names, so every name starting with a given prefix (compared as Windows
 * compares) sits in one contiguous run: the listing looks the prefix up in the
 * tree and walks forward while it matches, in time logarithmic in the size of
 * the directory instead of reading every entry. */

struct match_ctx {
	const ntfs_volume *vol;
	ntfschar *prefix, *suffix;
	int prefix_len, suffix_len;
	struct wr_entry *entries;
	size_t count;
};

/* Whether name[0..len) upper-cases to ref (already upper case). */
static bool upcases_to(const ntfs_volume *vol, const ntfschar *name, const ntfschar *ref, int len)
{
	for (int i = 0; i < len; i++) {
		u16 c = le16_to_cpu(name[i]);
		if (c < vol->upcase_len)
			c = le16_to_cpu(vol->upcase[c]);
		if (c != le16_to_cpu(ref[i]))
			return false;
	}
	return true;
}

static bool has_prefix(const struct match_ctx *m, const ntfschar *name, int len)
{
	return len >= m->prefix_len && upcases_to(m->vol, name, m->prefix, m->prefix_len);
}

static bool has_affixes(const struct match_ctx *m, const ntfschar *name, int len)
{
	return len >= m->prefix_len + m->suffix_len && has_prefix(m, name, len) &&
	       upcases_to(m->vol, name + len - m->suffix_len, m->suffix, m->suffix_len);
}

static enum wr_entry_kind kind_of_dt(unsigned dt_type)
{
	switch (dt_type) {
	case NTFS_DT_REG: return WR_ENTRY_FILE;
	case NTFS_DT_DIR: return WR_ENTRY_DIR;
	case NTFS_DT_REPARSE: return WR_ENTRY_REPARSE;
	default: return WR_ENTRY_OTHER;
	}
}

/* The name in an index key (a packed structure; index entries keep it
 * 2-byte aligned). */
static const ntfschar *key_name(const INDEX_ENTRY *ie)
{
	return (const ntfschar *)((const u8 *)ie + offsetof(INDEX_ENTRY, key) +
				  offsetof(FILE_NAME_ATTR, file_name));
}

/* The type ntfs_readdir() would report for an entry whose attributes say the
 * inode itself must be read (reparse points, Interix special files). */
static unsigned inode_dt_type(ntfs_volume *vol, MFT_REF mref, FILE_ATTR_FLAGS attrs)
{
	ntfs_inode *ni = ntfs_inode_open(vol, MREF(mref));
	if (!ni)
		return NTFS_DT_UNKNOWN;
	unsigned dt;
	if (attrs & FILE_ATTR_REPARSE_POINT)
		dt = ntfs_possible_symlink(ni) ? NTFS_DT_LNK : NTFS_DT_REPARSE;
	else if (!(attrs & FILE_ATTR_I30_INDEX_PRESENT))
		dt = ntfs_interix_types(ni);
	else
		dt = NTFS_DT_DIR;
	ntfs_inode_close(ni);
	return dt;
}

/* ntfs_readdir()'s rules for an entry's type, so both ways of listing agree. */
static unsigned entry_dt_type(ntfs_volume *vol, const INDEX_ENTRY *ie)
{
	FILE_ATTR_FLAGS attrs = ie->key.file_name.file_attributes;
	MFT_REF mref = le64_to_cpu(ie->indexed_file);
	bool metadata = MREF(mref) != FILE_root && MREF(mref) < FILE_first_user;
	if ((attrs & (FILE_ATTR_REPARSE_POINT | FILE_ATTR_SYSTEM)) && !metadata)
		return inode_dt_type(vol, mref, attrs);
	return (attrs & FILE_ATTR_I30_INDEX_PRESENT) ? NTFS_DT_DIR : NTFS_DT_REG;
}

static void collect_entry(struct match_ctx *m, ntfs_volume *vol, const INDEX_ENTRY *ie)
{
	const FILE_NAME_ATTR *fn = &ie->key.file_name;
	const ntfschar *name = key_name(ie);
	int len = fn->file_name_length;
	MFT_REF mref = le64_to_cpu(ie->indexed_file);
	/* The 8.3 alias of a file with a long name is listed apart: skip it; the
	 * root's entry for itself is not a child. */
	if (fn->file_name_type == FILE_NAME_DOS || MREF(mref) == FILE_root ||
	    !has_affixes(m, name, len))
		return;
	struct wr_entry *e = wr_array_grow(&m->entries, &m->count, sizeof(*e));
	e->name = wr_ntfs_to_utf8(name, len);
	e->uname = wr_xmalloc((size_t)len * sizeof(ntfschar));
	memcpy(e->uname, name, (size_t)len * sizeof(ntfschar));
	e->uname_len = (size_t)len;
	e->mref = MREF(mref);
	e->kind = kind_of_dt(entry_dt_type(vol, ie));
}

static int prepare_affix(const ntfs_volume *vol, const char *text, ntfschar **out, int *len)
{
	*len = wr_ntfs_to_utf16(text, out);
	if (*len < 0)
		return *len;
	wr_ntfs_upcase(vol, *out, *len);
	return 0;
}

/* Names equal but for case are ordered by their raw code units, so the search
 * key takes, for each upper-case character, the lowest code unit that
 * upper-cases to it: no spelling of the prefix collates before the key. */
static void lowest_spelling(const ntfs_volume *vol, ntfschar *name, int len)
{
	for (int i = 0; i < len; i++) {
		u16 up = le16_to_cpu(name[i]);
		for (u32 c = 0; c < up && c < vol->upcase_len; c++) {
			if (le16_to_cpu(vol->upcase[c]) == up) {
				name[i] = cpu_to_le16((u16)c);
				break;
			}
		}
	}
}

/* A FILE_NAME_ATTR holding the prefix: the key type of directory indexes. */
static FILE_NAME_ATTR *prefix_key(const struct match_ctx *m, int *key_len)
{
	size_t bytes = (size_t)m->prefix_len * sizeof(ntfschar);
	size_t size = sizeof(FILE_NAME_ATTR) + bytes;
	FILE_NAME_ATTR *key = wr_xcalloc(1, size);
	key->file_name_length = (u8)m->prefix_len;
	key->file_name_type = FILE_NAME_POSIX;
	ntfschar *name = wr_xmalloc(bytes + sizeof(ntfschar));
	memcpy(name, m->prefix, bytes);
	lowest_spelling(m->vol, name, m->prefix_len);
	memcpy((u8 *)key + offsetof(FILE_NAME_ATTR, file_name), name, bytes);
	free(name);
	*key_len = (int)size;
	return key;
}

/* The entry after ie in collation order, NULL past the end. libntfs-3g gives
 * NULL for a failed index-block read too; errno tells the two apart. */
static int next_entry(ntfs_index_context *icx, INDEX_ENTRY *ie, INDEX_ENTRY **next)
{
	errno = 0;
	*next = ntfs_index_next(ie, icx);
	return !*next && errno ? -errno : 0;
}

/* The first index entry collating at or after key, NULL past the end. */
static int seek_index(ntfs_index_context *icx, const FILE_NAME_ATTR *key, int key_len,
		      INDEX_ENTRY **first)
{
	*first = NULL;
	if (ntfs_index_lookup(key, key_len, icx) < 0 && errno != ENOENT)
		return -(errno ? errno : EIO);
	/* A lookup that ends in the index root leaves the index blocks closed,
	 * yet walking on from a root entry descends into them. */
	if (icx->is_in_root && !icx->ia_na &&
	    ntfs_attr_exist(icx->ni, AT_INDEX_ALLOCATION, NTFS_INDEX_I30, 4)) {
		icx->ia_na = ntfs_attr_open(icx->ni, AT_INDEX_ALLOCATION, NTFS_INDEX_I30, 4);
		if (!icx->ia_na)
			return -(errno ? errno : EIO);
	}
	INDEX_ENTRY *ie = icx->entry;
	/* The insertion point may be the end marker of a leaf: the next entry
	 * in collation order is then up the tree. */
	if (ie->ie_flags & INDEX_ENTRY_END)
		return next_entry(icx, ie, first);
	*first = ie;
	return 0;
}

static int walk_prefix_run(ntfs_inode *dir_ni, struct match_ctx *m)
{
	ntfs_index_context *icx = ntfs_index_ctx_get(dir_ni, NTFS_INDEX_I30, 4);
	if (!icx)
		return -errno;
	int key_len;
	FILE_NAME_ATTR *key = prefix_key(m, &key_len);
	INDEX_ENTRY *ie;
	int rc = seek_index(icx, key, key_len, &ie);
	while (!rc && ie && has_prefix(m, key_name(ie), ie->key.file_name.file_name_length)) {
		collect_entry(m, dir_ni->vol, ie);
		rc = next_entry(icx, ie, &ie);
	}
	ntfs_index_ctx_put(icx);
	free(key);
	return rc;
}

int wr_ntfs_list_matching(struct wr_ntfs *nv, uint64_t dir, const char *prefix,
			  const char *suffix, struct wr_entry **entries, size_t *count)
{
	struct match_ctx m = { .vol = nv->vol };
	int rc = prepare_affix(nv->vol, prefix, &m.prefix, &m.prefix_len);
	if (!rc)
		rc = prepare_affix(nv->vol, suffix, &m.suffix, &m.suffix_len);
	/* No NTFS name is longer than 255 units: nothing can match. */
	bool possible = !rc && m.prefix_len <= NTFS_MAX_NAME_LEN;
	ntfs_inode *dir_ni = possible ? ntfs_inode_open(nv->vol, dir) : NULL;
	if (possible && !dir_ni)
		rc = -errno;
	if (dir_ni) {
		rc = walk_prefix_run(dir_ni, &m);
		ntfs_inode_close(dir_ni);
	}
	free(m.prefix);
	free(m.suffix);
	if (rc) {
		wr_entries_free(m.entries, m.count);
		return rc;
	}
	*entries = m.entries;
	*count = m.count;
	return 0;
}

void wr_entries_free(struct wr_entry *entries, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(entries[i].name);
		free(entries[i].uname);
	}
	free(entries);
}
