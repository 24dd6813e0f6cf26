/* Software RAID (Intel RST/IMSM, DDF, Linux md): sets are assembled with mdadm,
 * read-only unless a fix will write, and the Windows volume is examined on the md
 * device. A member disk is never opened for writing: it is reported instead. */
#ifndef WINRESCUE_MDRAID_H
#define WINRESCUE_MDRAID_H

#include <stdbool.h>

struct wr_storage;

/* What a member signature of libblkid's TYPE (isw_raid_member, ...) belongs to, in
 * the report's words: "an Intel RST (IMSM) RAID set", "a DDF RAID set", ... */
const char *wr_mdraid_kind(const char *blkid_type);

/* True when some disk of st carries a RAID member signature. */
bool wr_mdraid_members_present(const struct wr_storage *st);

/* Runs `mdadm --assemble --scan --run` (with --readonly unless read_write): sets
 * with a member missing are started degraded. Returns
 * mdadm's exit status (0: assembled), or -errno when it could not be run; *output
 * (may be NULL) gets what mdadm printed. */
int wr_mdraid_assemble(bool read_write, char **output);

/* The md device (e.g. "md126") that makes the member disk `name` usable, following
 * holders below sysfs_root (an IMSM member is held by its container, which holds
 * the volume); NULL when no started set holds it. */
char *wr_mdraid_holder(const char *sysfs_root, const char *name);

#endif
