/* What Windows needs to start, read from its SYSTEM hive without writing:
 * computer name, CrowdStrike's sensor service, the storage boot drivers, the
 * hive's own state, and whether the disk's controller mode will stop Windows. */
#ifndef WINRESCUE_WININFO_H
#define WINRESCUE_WININFO_H

#include <stddef.h>
#include <stdint.h>

#include "winrescue/model.h"

struct wr_ntfs;

#define WR_SYSTEM_HIVE "\\Windows\\System32\\config\\SYSTEM"

/* Fills vol->windows_info (always set afterwards; hive_error says when the
 * hive could not be read). Never fails the volume: it is advice. */
void wr_windows_info_read(struct wr_ntfs *nv, struct wr_volume *vol);
/* The same from hive bytes already in memory (tests, fuzzing). */
void wr_windows_info_from_hive(const uint8_t *data, size_t len, struct wr_windows_info *wi);
/* Sets wi->controller to the Linux driver of the PCI controller the block
 * device (a disk or partition node) hangs off, as st (storage.h) found it, and
 * the INACCESSIBLE_BOOT_DEVICE warning when the disk is on AHCI while Windows'
 * AHCI driver does not start at boot. Image files have no controller. */
struct wr_storage;
void wr_windows_info_check_controller(struct wr_windows_info *wi, const struct wr_storage *st,
				      const char *device);
/* The same for a disk by its kernel name ("sda"). */
void wr_windows_info_set_controller(struct wr_windows_info *wi, const struct wr_storage *st,
				    const char *disk);

#endif
