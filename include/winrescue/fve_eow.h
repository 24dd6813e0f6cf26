/* The conversion map of a BitLocker encrypt-on-write (EOW) volume: which chunks of
 * the volume Windows has converted (encrypted) and which still hold plaintext.
 * The volume header of an EOW volume names two copies of an EOW information block
 * ("FVE-EOW"); each lists bitmap blocks ("FVE-EOWBM"), one per region of the
 * volume, holding two bitmap records ("FVE-EOWBR") of which the valid one with the
 * highest sequence number is current; bit i set = chunk i of the region converted.
 * Every block carries a CRC-32. The blocks and the conversion logs they name are
 * BitLocker's own areas (read as zeros, never written, like the metadata copies).
 * A map that does not check out in every respect is refused, never guessed. */
#ifndef WINRESCUE_FVE_EOW_H
#define WINRESCUE_FVE_EOW_H

#include <stdbool.h>
#include <stdint.h>

#include "winrescue/fve.h"

#define WR_EOW_MAX_REGIONS 16

struct wr_eow;

/* Reads the map through read_at from the two EOW information offsets of the volume
 * header, for a volume of volume_size bytes with sector_size sectors. Returns 0 and
 * *out, or -EINVAL with *errmsg (may be NULL) saying what does not check out. */
int wr_eow_read(wr_fve_read_fn read_at, void *ctx, const uint64_t offset[2],
		unsigned sector_size, uint64_t volume_size, struct wr_eow **out, char **errmsg);
struct wr_eow *wr_eow_dup(const struct wr_eow *e);
void wr_eow_free(struct wr_eow *e);

/* The form of the sector at physical byte offset off: 1 converted (encrypted),
 * 0 plaintext, -1 in no region of the map (cannot be placed). */
int wr_eow_converted(const struct wr_eow *e, uint64_t off);
/* [off, off+len) touches an EOW block or a conversion log. */
bool wr_eow_reserved(const struct wr_eow *e, uint64_t off, uint64_t len);
/* Converted share of the mapped regions, in percent. */
int wr_eow_percent(const struct wr_eow *e);

#endif
