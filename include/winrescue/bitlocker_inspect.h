/* BitLocker metadata into the result model: protectors and Key IDs, cipher, and
 * whether libcryptsetup can open this kind of volume at all. */
#ifndef WINRESCUE_BITLOCKER_INSPECT_H
#define WINRESCUE_BITLOCKER_INSPECT_H

#include "winrescue/model.h"

/* Reads the BitLocker metadata of vol (wr_volume_source) and fills vol->encryption,
 * vol->bitlocker (protectors, key ids, cipher; open_error for kinds libcryptsetup
 * cannot open). Returns 0, or -errno with vol->bitlocker.open_error set.
 * (Also: -ENOENT when the volume is not BitLocker at all: then vol is left untouched;
 * -ENOTSUP for the kinds libcryptsetup 2.6.1 refuses; -EINVAL for damaged metadata.) */
int wr_bitlocker_inspect(struct wr_volume *vol);

#endif
