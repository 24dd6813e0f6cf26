/* Unlocking a BitLocker volume: key check, activation (read-only or read-write) and
 * deactivation. Keys come from keysource.h, metadata from bitlocker_inspect.h, the
 * mappings' lifetime and the signal policy from mapping.h. */
#ifndef WINRESCUE_BITLOCKER_H
#define WINRESCUE_BITLOCKER_H

#include <stdbool.h>

#include "winrescue/bitlocker_inspect.h"
#include "winrescue/keysource.h"
#include "winrescue/model.h"

struct wr_unlocked;    /* an activated mapping (and loop device), to be closed */
struct wr_range;       /* blockdev.h */

/* How an unlocked volume is read (--bitlocker-io): dm-crypt where device-mapper exists
 * and libcryptsetup maps the kind, else winrescue's userspace device (auto); or forced. */
enum wr_bitlocker_io { WR_BITLOCKER_IO_AUTO, WR_BITLOCKER_IO_DM, WR_BITLOCKER_IO_USERSPACE };
/* Inspects vol, finds a key (wr_keysource_search; none for a suspended or decrypted
 * volume: ks may then be NULL), checks it (libcryptsetup, or winrescue's own key path
 * where libcryptsetup refuses the volume or the secret), opens it read-only or
 * read-write through dm-crypt or the userspace device (io). On success *out is the
 * session and wr_unlocked_range() the plaintext NTFS. Fills key_check, unlocked_with,
 * unlocked_via / open_error. Returns 0, -EPERM wrong/no key (status LOCKED), -ENOTSUP
 * refused kind,
 * -ENODEV activation impossible here (key may still be accepted), -EINTR a signal
 * arrived (nothing left active). (Also, as wr_bitlocker_inspect: -ENOENT not
 * BitLocker, -EINVAL damaged metadata.) A volume libcryptsetup refuses costs no
 * key derivation. */
int wr_bitlocker_unlock(struct wr_volume *vol, struct wr_keysource *ks, bool read_write,
			enum wr_bitlocker_io io, struct wr_unlocked **out);
/* The plaintext NTFS of an unlocked volume as a byte range: the mapping, or (userspace
 * device) range as it was, the volume's own bytes, with range->bde set. */
void wr_unlocked_range(const struct wr_unlocked *u, struct wr_range *range);
const char *wr_unlocked_path(const struct wr_unlocked *u);
void wr_bitlocker_close(struct wr_unlocked *u);   /* deactivate + free; safe on NULL */
/* Key derivations run so far in this process (each costs about a second). */
unsigned long wr_bitlocker_derivations(void);

#endif
