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
/* The Linux driver of the PCI controller a block device hangs off ("ahci",
 * "nvme", "virtio-pci"...), NULL for image files and unknown paths. */
char *wr_disk_controller_driver(const char *devnode);

#endif
