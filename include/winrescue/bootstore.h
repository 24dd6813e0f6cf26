/* Where the boot configuration store lives and how it is read and written:
 * \EFI\Microsoft\Boot\BCD on an EFI system partition (FAT, through mtools on the
 * partition's byte range: no mount, no loop device, the same on a stick, in a
 * rescue shell and on image files) and \Boot\BCD on a BIOS system partition
 * (NTFS, through libntfs-3g like the Windows volume). */
#ifndef WINRESCUE_BOOTSTORE_H
#define WINRESCUE_BOOTSTORE_H

#include <stdbool.h>

#include "winrescue/model.h"

/* Reads every store on the probed volumes into rep->boot_stores, writing nothing.
 * A store with a Safe Mode leftover is marked would_clear (kept_safeboot when
 * keep_safeboot). */
void wr_bootstores_scan(struct wr_report *rep, bool keep_safeboot);
/* Whether a fix has something to do on a store. */
bool wr_bootstores_want_fix(const struct wr_report *rep);
/* fix: removes the leftovers from each store marked would_clear, after a verified
 * backup in backup_root/boot (none when backup_root is NULL), then reads the store
 * back to check. */
void wr_bootstores_fix(struct wr_report *rep, const char *backup_root);
/* safe-mode: sets safeboot minimal on each store's default Windows entry, or
 * (undo) removes it; a verified backup first. Returns the stores' result: fixed
 * when one changed, nothing_to_fix, error when none was found or one failed. */
enum wr_result wr_bootstores_safe_mode(struct wr_report *rep, bool undo,
				       const char *backup_root);

#endif
