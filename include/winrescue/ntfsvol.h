/* An NTFS volume opened through libntfs-3g as a library (no FUSE): its state,
 * Windows-style name lookups, listing, reading and deleting files. */
#ifndef WINRESCUE_NTFSVOL_H
#define WINRESCUE_NTFSVOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "winrescue/blockdev.h"

struct wr_ntfs;

/* How to open. Read-only never writes a byte. Write refuses every unsafe
 * state unless one of the explicit overrides for that state is given. */
enum wr_ntfs_open_flags {
	WR_NTFS_WRITE = 1u << 0,
	WR_NTFS_RESET_JOURNAL = 1u << 1,         /* unclean journal: reset it */
	WR_NTFS_DISCARD_FAST_STARTUP = 1u << 2,  /* v2.0 journal: reset it */
	WR_NTFS_DISCARD_HIBERNATION = 1u << 3,   /* invalidate hiberfil.sys, reset journal */
};

/* Returns 0, or -errno with *err saying what is wrong in words for a person. */
int wr_ntfs_open(const struct wr_range *range, unsigned flags, struct wr_ntfs **out, char **err);
/* Writes back and closes; returns 0 or -errno (a failed write-back). NULL is fine. */
int wr_ntfs_close(struct wr_ntfs *nv);

/* wr_state_bits (model.h) read at open time, without writing. */
unsigned wr_ntfs_state(const struct wr_ntfs *nv);
/* The volume serial as 16 upper-case hex digits. */
const char *wr_ntfs_serial(const struct wr_ntfs *nv);

/* Marks the volume dirty (Windows runs its disk check at the next boot) or,
 * with dirty false, restores the flag the volume had when it was opened. */
int wr_ntfs_set_dirty(struct wr_ntfs *nv, bool dirty);
/* Makes everything written so far durable (the ordering point between the dirty
 * flag and the changes it covers). Returns 0 or -errno. */
int wr_ntfs_flush(struct wr_ntfs *nv);

/* WR_ENTRY_LINK: a symbolic link that is not a folder (a reparse point tagged
 * symlink or mount point, or an Interix link as ntfs-3g's `ln -s` makes). */
/* WR_ENTRY_WOF: a file compressed by Windows' WOF (compact /EXE): a reparse
 * point to libntfs-3g, an ordinary file to Windows, which loads it. */
enum wr_entry_kind { WR_ENTRY_FILE, WR_ENTRY_DIR, WR_ENTRY_REPARSE, WR_ENTRY_OTHER, WR_ENTRY_WOF,
		      WR_ENTRY_LINK };

struct wr_entry {
	char *name;            /* UTF-8 long name */
	uint16_t *uname;       /* the name as stored (UTF-16LE units) */
	size_t uname_len;
	uint64_t mref;
	enum wr_entry_kind kind;
};

/* Looks a path up from the root the way Windows does (case-insensitive through
 * the volume's $UpCase table), component by component. No reparse point on the
 * way is followed: meeting one gives -ELOOP. Returns 0 with *mref, -ENOENT. */
int wr_ntfs_lookup(struct wr_ntfs *nv, const char *windows_path, uint64_t *mref);
/* Kind of the inode at mref (reparse points are reported as such first). */
int wr_ntfs_kind(struct wr_ntfs *nv, uint64_t mref, enum wr_entry_kind *kind);

/* The target a link (WR_ENTRY_LINK) names, as stored (UTF-8), or NULL when it
 * cannot be read. */
char *wr_ntfs_link_target(struct wr_ntfs *nv, uint64_t mref);

/* Entries of directory dir whose long name starts with prefix and ends with
 * suffix, compared as Windows compares names. 8.3 aliases are not listed
 * separately: a file with both names is one entry with its long name. */
int wr_ntfs_list_matching(struct wr_ntfs *nv, uint64_t dir, const char *prefix,
			  const char *suffix, struct wr_entry **entries, size_t *count);
void wr_entries_free(struct wr_entry *entries, size_t count);

struct wr_file_info {
	uint64_t size;
	int64_t created;       /* NTFS times */
	int64_t modified;
};
int wr_ntfs_file_info(struct wr_ntfs *nv, uint64_t mref, struct wr_file_info *info);
/* Reads the whole unnamed data stream (at most max bytes) into a new buffer. */
int wr_ntfs_read_all(struct wr_ntfs *nv, uint64_t mref, size_t max, uint8_t **buf, size_t *len);
/* Replaces the unnamed data stream of the file at mref with buf (resized to len).
 * Needs a volume opened with WR_NTFS_WRITE (src/ntfsvol_write.c). */
int wr_ntfs_write_all(struct wr_ntfs *nv, uint64_t mref, const uint8_t *buf, size_t len);
/* Removes the link entry.name of inode entry.mref from directory dir. */
int wr_ntfs_unlink(struct wr_ntfs *nv, uint64_t dir, const struct wr_entry *entry);
/* Zeroes the first page of \hiberfil.sys so Windows cannot resume onto a volume
 * that changed under it. Needs WR_NTFS_DISCARD_HIBERNATION. */
int wr_ntfs_invalidate_hibernation(struct wr_ntfs *nv);

#endif
