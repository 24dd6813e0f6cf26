/* Finding volumes: partition tables and filesystem types through libblkid. */
#ifndef WINRESCUE_PROBE_H
#define WINRESCUE_PROBE_H

#include "winrescue/model.h"

/* Adds to rep one volume per partition of target (a disk, a partition, or an
 * image file of either), or one for target itself when it has no partition
 * table. Returns 0, or -errno with *err for a target that cannot be read. */
int wr_probe_target(struct wr_report *rep, const char *target, char **err);
/* Probes every disk of the machine (from /sys/class/block); disks that cannot
 * be read are skipped with a log line. Returns the number of disks probed. */
int wr_probe_all(struct wr_report *rep);
/* Whether the volume could hold Windows or BitLocker and is worth opening. */
bool wr_probe_is_candidate(const struct wr_volume *vol);

#endif
