#include "winrescue/remedy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "winrescue/backup.h"
#include "winrescue/log.h"
#include "winrescue/util.h"

/* Channel files are tens of kilobytes; anything far larger is not read whole. */
#define WR_MAX_READ (256u << 20)

enum wr_time_class wr_classify_time(int64_t ntfs_modified)
{
	int64_t t = wr_ntfs_time_to_unix(ntfs_modified);
	if (t >= WR_FAULTY_RELEASE_UNIX && t < WR_FAULTY_RELEASE_UNIX + 60)
		return WR_TIME_FAULTY;
	if (t >= WR_REVERTED_RELEASE_UNIX)
		return WR_TIME_GOOD;
	return WR_TIME_OTHER;
}

enum wr_content_class wr_classify_content(const uint8_t *data, size_t len)
{
	static const uint8_t magic[4] = { 0xAA, 0xAA, 0xAA, 0xAA };
	if (len == 0)
		return WR_CONTENT_EMPTY;
	if (len >= sizeof(magic) && !memcmp(data, magic, sizeof(magic)))
		return WR_CONTENT_MAGIC;
	for (size_t i = 0; i < len; i++)
		if (data[i])
			return WR_CONTENT_OTHER;
	return WR_CONTENT_ZERO;
}

/* 0 with *is_dir (absent or behind a link: false), or -errno when the path
 * could not be read: an I/O error must not pass for "no Windows here". */
static int directory_at(struct wr_ntfs *nv, const char *path, bool *is_dir)
{
	uint64_t mref;
	enum wr_entry_kind kind = WR_ENTRY_OTHER;
	int rc = wr_ntfs_lookup(nv, path, &mref);
	if (!rc)
		rc = wr_ntfs_kind(nv, mref, &kind);
	*is_dir = !rc && kind == WR_ENTRY_DIR;
	return rc == -ENOENT || rc == -ELOOP ? 0 : rc;
}

/* A link is described by where it points; its own bytes are no channel file. */
static void describe_link(struct wr_ntfs *nv, const struct wr_entry *e, struct wr_file *f)
{
	enum wr_entry_kind kind = WR_ENTRY_FILE;
	if (wr_ntfs_kind(nv, e->mref, &kind) || kind != WR_ENTRY_LINK)
		return;
	f->link = wr_ntfs_link_target(nv, e->mref);
	if (!f->link)
		f->link = wr_xstrdup("");
}

static void describe_file(struct wr_ntfs *nv, const struct wr_entry *e, struct wr_file *f)
{
	struct wr_file_info info = { 0 };
	f->path = wr_xasprintf("%s\\%s", WR_CS_DIR, e->name);
	f->mft_ref = e->mref;
	if (wr_ntfs_file_info(nv, e->mref, &info) == 0) {
		f->size = info.size;
		f->created = info.created;
		f->modified = info.modified;
		f->time_class = wr_classify_time(info.modified);
	}
	uint8_t *data = NULL;
	size_t len = 0;
	if (wr_ntfs_read_all(nv, e->mref, WR_MAX_READ, &data, &len) == 0)
		f->content_class = wr_classify_content(data, len);
	else
		f->content_class = WR_CONTENT_UNREADABLE;
	free(data);
	describe_link(nv, e, f);
	f->action = WR_ACTION_WOULD_DELETE;
}

static int list_channel_files(struct wr_ntfs *nv, uint64_t *dir, struct wr_entry **entries,
			      size_t *count)
{
	*entries = NULL;
	*count = 0;
	int rc = wr_ntfs_lookup(nv, WR_CS_DIR, dir);
	if (rc)
		return rc;
	enum wr_entry_kind kind;
	rc = wr_ntfs_kind(nv, *dir, &kind);
	if (!rc && kind != WR_ENTRY_DIR)
		return -ENOTDIR;
	return rc ? rc : wr_ntfs_list_matching(nv, *dir, WR_CS_PREFIX, WR_CS_SUFFIX, entries, count);
}

/* Windows loads a regular file, a WOF-compressed one, or what a file link
 * points to, so those go (a link itself, never its target); a folder, or a
 * junction or link on a folder record, cannot be loaded as a driver file and
 * stays. Returns 1 or 0, or -errno when the file's record cannot be read (a
 * match must not vanish from the plan on a read error). */
static int is_channel_file(struct wr_ntfs *nv, const struct wr_entry *e)
{
	enum wr_entry_kind kind = e->kind;
	int rc = kind != WR_ENTRY_DIR ? wr_ntfs_kind(nv, e->mref, &kind) : 0;
	if (rc)
		return rc;
	if (kind == WR_ENTRY_WOF)
		wr_log(WR_LOG_WARN, "%s\\%s is compressed by Windows (WOF, compact /EXE); Windows "
		       "loads it like any file. winrescue cannot decompress it for a backup: it is "
		       "kept unless --no-backup is given", WR_CS_DIR, e->name);
	else if (kind != WR_ENTRY_FILE && kind != WR_ENTRY_LINK)
		wr_log(WR_LOG_INFO, "%s\\%s is not a regular file: left alone", WR_CS_DIR, e->name);
	return kind == WR_ENTRY_FILE || kind == WR_ENTRY_WOF || kind == WR_ENTRY_LINK;
}

#define WR_CS_PARENT "\\Windows\\System32\\drivers"
#define WR_CS_NAME "CrowdStrike"

/* Matches in a folder beside dir whose name differs from CrowdStrike only in
 * case (only POSIX tools make one). Which of the two Windows opens is not ours
 * to guess, so with matches in such a twin the volume is refused (-ENOTUNIQ),
 * both named; an empty twin only gets a log line. */
static int check_case_twins(struct wr_ntfs *nv, uint64_t dir, size_t count,
			    struct wr_volume *vol)
{
	uint64_t parent;
	struct wr_entry *twins = NULL, *files;
	size_t ntwins = 0, nfiles;
	int rc = wr_ntfs_lookup(nv, WR_CS_PARENT, &parent);
	if (!rc)
		rc = wr_ntfs_list_matching(nv, parent, WR_CS_NAME, "", &twins, &ntwins);
	for (size_t i = 0; i < ntwins && !rc; i++) {
		const struct wr_entry *t = &twins[i];
		if (t->mref == dir || t->kind != WR_ENTRY_DIR || t->uname_len != strlen(WR_CS_NAME))
			continue;
		rc = wr_ntfs_list_matching(nv, t->mref, WR_CS_PREFIX, WR_CS_SUFFIX, &files, &nfiles);
		if (rc)
			break;
		wr_entries_free(files, nfiles);
		wr_log(WR_LOG_INFO, "%s\\%s: a second CrowdStrike folder (differs only in case), "
		       "%zu channel file(s)", WR_CS_PARENT, t->name, nfiles);
		if (nfiles) {
			wr_set_message(&vol->message, "%s holds two CrowdStrike folders whose names "
				"differ only in case (made outside Windows): %s holds %zu %s*%s "
				"file(s), the other %zu. Windows may load from either, so winrescue "
				"changes neither: nothing was changed. Rename or remove one of them "
				"and run winrescue again", WR_CS_PARENT, t->name, nfiles, WR_CS_PREFIX,
				WR_CS_SUFFIX, count);
			rc = -ENOTUNIQ;
		}
	}
	wr_entries_free(twins, ntwins);
	if (rc && rc != -ENOTUNIQ)
		wr_set_message(&vol->message, "cannot read %s: %s", WR_CS_PARENT, strerror(-rc));
	return rc;
}

int wr_remedy_plan(struct wr_ntfs *nv, struct wr_volume *vol)
{
	int rc = directory_at(nv, "\\Windows\\System32", &vol->windows);
	if (rc) {
		wr_set_message(&vol->message, "cannot read \\Windows\\System32: %s", strerror(-rc));
		return rc;
	}
	uint64_t dir;
	struct wr_entry *entries;
	size_t count;
	rc = list_channel_files(nv, &dir, &entries, &count);
	if (rc == -ENOENT || rc == -ENOTDIR)
		return 0;
	if (rc == -ELOOP) {
		wr_set_message(&vol->message, "%s (or a folder above it) is a junction or symbolic "
			"link: winrescue does not follow links, nothing was changed", WR_CS_DIR);
		return rc;
	}
	if (rc == -EUCLEAN) {
		wr_set_message(&vol->message, "the folder index on the way to %s is damaged (an "
			"entry points to another folder): nothing was changed; let Windows check the "
			"disk (chkdsk /f) first", WR_CS_DIR);
		return rc;
	}
	if (rc) {
		wr_set_message(&vol->message, "cannot read %s: %s", WR_CS_DIR, strerror(-rc));
		return rc;
	}
	rc = check_case_twins(nv, dir, count, vol);
	for (size_t i = 0; i < count && rc >= 0; i++) {
		rc = is_channel_file(nv, &entries[i]);
		if (rc > 0)
			describe_file(nv, &entries[i], wr_volume_add_file(vol));
		else if (rc < 0)
			wr_set_message(&vol->message, "cannot read %s\\%s: %s", WR_CS_DIR,
				       entries[i].name, strerror(-rc));
	}
	wr_entries_free(entries, count);
	return rc < 0 ? rc : 0;
}

static const struct wr_entry *find_entry(const struct wr_entry *entries, size_t count,
					 const struct wr_file *f)
{
	/* After the folder, not after the last backslash: a name written by POSIX
	 * tools may hold one. */
	const char *name = f->path + strlen(WR_CS_DIR) + 1;
	for (size_t i = 0; i < count; i++)
		if (entries[i].mref == f->mft_ref && !strcmp(entries[i].name, name))
			return &entries[i];
	return NULL;
}

static void fail(struct wr_file *f, const char *what, int rc)
{
	f->action = WR_ACTION_FAILED;
	wr_set_message(&f->error, "%s: %s", what, strerror(-rc));
}

static int back_up(struct wr_ntfs *nv, const struct wr_entry *e, struct wr_file *f,
		   const char *backup_dir)
{
	uint8_t *data = NULL;
	size_t len = 0;
	enum wr_entry_kind kind = WR_ENTRY_FILE;
	int rc = wr_ntfs_kind(nv, e->mref, &kind);
	if (!rc && kind == WR_ENTRY_LINK)
		return 0;       /* nothing of its own to keep: the report says where it points */
	if (!rc && kind == WR_ENTRY_WOF) {
		fail(f, "compressed by Windows (WOF): winrescue cannot decompress it to back it "
		     "up; not deleted (--no-backup deletes it without a backup)", -ENOTSUP);
		return -ENOTSUP;
	}
	if (!rc)
		rc = wr_ntfs_read_all(nv, e->mref, WR_MAX_READ, &data, &len);
	if (rc) {
		fail(f, "cannot read the file to back it up; not deleted", rc);
		return rc;
	}
	rc = wr_backup_save(backup_dir, e->name, data, len, &f->backup);
	free(data);
	if (rc)
		fail(f, "backup failed; not deleted", rc);
	return rc;
}

/* Returns whether the volume was written (a delete was attempted). */
static bool fix_file(struct wr_ntfs *nv, uint64_t dir, const struct wr_entry *entries,
		     size_t count, struct wr_file *f, const char *backup_dir)
{
	const struct wr_entry *e = find_entry(entries, count, f);
	if (!e) {
		fail(f, "the file changed since it was examined; not deleted", -ESTALE);
		return false;
	}
	if (backup_dir && back_up(nv, e, f, backup_dir))
		return false;
	int rc = wr_ntfs_unlink(nv, dir, e);
	if (rc)
		fail(f, "delete failed", rc);
	else
		f->action = WR_ACTION_DELETED;
	return true;
}

static void fail_all_planned(struct wr_volume *vol, const char *what, int rc)
{
	for (size_t i = 0; i < vol->nfiles; i++)
		if (vol->files[i].action == WR_ACTION_WOULD_DELETE)
			fail(&vol->files[i], what, rc);
}

size_t wr_remedy_apply(struct wr_ntfs *nv, struct wr_volume *vol, const char *backup_dir)
{
	uint64_t dir;
	struct wr_entry *entries;
	size_t count;
	int rc = list_channel_files(nv, &dir, &entries, &count);
	/* Dirty while we write, and on disk before the first change: a power cut
	 * mid-way makes Windows check the disk. */
	if (!rc)
		rc = wr_ntfs_set_dirty(nv, true);
	if (!rc)
		rc = wr_ntfs_flush(nv);
	if (rc) {
		fail_all_planned(vol, "cannot prepare the volume for writing", rc);
		wr_entries_free(entries, count);
		return wr_volume_failed_files(vol);
	}
	bool wrote = false;
	for (size_t i = 0; i < vol->nfiles; i++)
		if (vol->files[i].action == WR_ACTION_WOULD_DELETE)
			wrote |= fix_file(nv, dir, entries, count, &vol->files[i], backup_dir);
	wr_entries_free(entries, count);
	/* The deletes are on disk before the flag that covers them goes. It also
	 * goes when nothing was written at all (every backup failed): the volume is
	 * as it was. It stays only over a failed delete. */
	vol->left_dirty = wr_volume_failed_files(vol) && wrote;
	if (!vol->left_dirty &&
	    ((rc = wr_ntfs_flush(nv)) || (rc = wr_ntfs_set_dirty(nv, false))))
		wr_log(WR_LOG_WARN, "could not clear the dirty flag: %s", strerror(-rc));
	return wr_volume_failed_files(vol);
}

size_t wr_remedy_verify(struct wr_ntfs *nv, struct wr_volume *vol)
{
	uint64_t dir;
	struct wr_entry *entries;
	size_t count;
	int rc = list_channel_files(nv, &dir, &entries, &count);
	if (rc && rc != -ENOENT) {
		fail_all_planned(vol, "cannot read the folder back after the fix", rc);
		return wr_volume_failed_files(vol);
	}
	for (size_t i = 0; i < vol->nfiles; i++) {
		struct wr_file *f = &vol->files[i];
		if (f->action == WR_ACTION_DELETED && find_entry(entries, count, f))
			fail(f, "still present after the delete", -EIO);
	}
	wr_entries_free(entries, count);
	return wr_volume_failed_files(vol);
}
