/* The Channel File 291 rule: which files, how they are classified, and the
 * fix (back up, delete, verify). Nothing outside the one directory is touched. */
#ifndef WINRESCUE_REMEDY_H
#define WINRESCUE_REMEDY_H

#include <stdint.h>

#include "winrescue/model.h"
#include "winrescue/ntfsvol.h"

#define WR_CS_DIR "\\Windows\\System32\\drivers\\CrowdStrike"
#define WR_CS_PREFIX "C-00000291"
#define WR_CS_SUFFIX ".sys"

/* 2024-07-19 04:09 UTC (the faulty content) and 05:27 UTC (the reverted one). */
#define WR_FAULTY_RELEASE_UNIX 1721362140LL
#define WR_REVERTED_RELEASE_UNIX 1721366820LL

enum wr_time_class wr_classify_time(int64_t ntfs_modified);
enum wr_content_class wr_classify_content(const uint8_t *data, size_t len);

/* Sets vol->windows and lists every match in vol->files with action
 * would_delete. Returns 0, or -errno with vol->message set (e.g. a junction
 * on the path, which is never followed). */
int wr_remedy_plan(struct wr_ntfs *nv, struct wr_volume *vol);
/* For each planned file: copy it to backup_dir (NULL: no backup) and check the
 * copy, then delete it; a file whose copy failed is not deleted. Marks the
 * volume dirty while it writes. Returns the number of files that failed. */
size_t wr_remedy_apply(struct wr_ntfs *nv, struct wr_volume *vol, const char *backup_dir);
/* On a fresh read-only open after the fix: every deleted file must be gone.
 * Marks failed those still present. Returns their number. */
size_t wr_remedy_verify(struct wr_ntfs *nv, struct wr_volume *vol);

#endif
