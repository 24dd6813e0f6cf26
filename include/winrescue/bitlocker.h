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
/* Inspects vol, finds a key (wr_keysource_search), checks it, activates read-only or
 * read-write. On success *out is the session and wr_unlocked_path(*out) is the
 * plaintext block device holding the NTFS. Fills key_check, unlocked_with /
 * open_error. Returns 0, -EPERM wrong/no key (status LOCKED), -ENOTSUP refused kind,
 * -ENODEV activation impossible here (key may still be accepted), -EINTR a signal
 * arrived (nothing left active). (Also, as wr_bitlocker_inspect: -ENOENT not
 * BitLocker, -EINVAL damaged metadata.) A volume libcryptsetup refuses costs no
 * key derivation. */
int wr_bitlocker_unlock(struct wr_volume *vol, struct wr_keysource *ks, bool read_write,
			struct wr_unlocked **out);
const char *wr_unlocked_path(const struct wr_unlocked *u);
void wr_bitlocker_close(struct wr_unlocked *u);   /* deactivate + free; safe on NULL */
/* Key derivations run so far in this process (each costs about a second). */
unsigned long wr_bitlocker_derivations(void);

#endif
