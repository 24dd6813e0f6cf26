/* BitLocker volumes: protectors and Key IDs, where keys come from, key check,
 * activation (read-only or read-write) and guaranteed deactivation. */
#ifndef WINRESCUE_BITLOCKER_H
#define WINRESCUE_BITLOCKER_H

#include <stdbool.h>

#include "winrescue/model.h"

struct wr_keysource;    /* opaque: all the places keys come from */
struct wr_recovery_key; /* from recovery_key.h */

/* Asks for the recovery key of vol whose protector has key_id.
 * Returns 0 when *out holds a key, 1 to skip this volume, <0 on error. */
typedef int (*wr_key_prompt_fn)(void *ctx, const struct wr_volume *vol, const char *key_id,
				struct wr_recovery_key *out);

struct wr_keysource *wr_keysource_new(void);
/* Validates text (see recovery_key.h); -EINVAL with *errmsg naming the bad block. */
int  wr_keysource_add_recovery_key(struct wr_keysource *ks, const char *text, char **errmsg);
int  wr_keysource_load_keys_file(struct wr_keysource *ks, const char *path, char **errmsg);
/* A keys file loaded by the caller (e.g. unsealed, sealed.h); ks takes it over. */
struct wr_keys_file;
void wr_keysource_add_keys_file(struct wr_keysource *ks, struct wr_keys_file *kf, const char *path);
int  wr_keysource_set_bek(struct wr_keysource *ks, const char *path, char **errmsg);
int  wr_keysource_set_password(struct wr_keysource *ks, const char *pw);  /* copied, wiped on free */
void wr_keysource_set_prompt(struct wr_keysource *ks, wr_key_prompt_fn fn, void *ctx);
void wr_keysource_free(struct wr_keysource *ks);   /* wipes */

/* Reads the BitLocker metadata of vol (vol->partition_dev if set, else vol->device at vol->offset)
 * and fills vol->encryption, vol->bitlocker (protectors, key ids, cipher; open_error for kinds
 * libcryptsetup cannot open). Returns 0, or -errno with vol->bitlocker.open_error set.
 * (Also: -ENOENT when the volume is not BitLocker at all: then vol is left untouched;
 * -ENOTSUP for the kinds libcryptsetup 2.6.1 refuses; -EINVAL for damaged metadata.) */
int wr_bitlocker_inspect(struct wr_volume *vol);

struct wr_unlocked;    /* an activated mapping (and loop device), to be closed */
/* Finds a key (Key ID lookup first), checks it, activates read-only or read-write. On success
 * *out is the session and wr_unlocked_path(*out) is the plaintext block device holding the NTFS.
 * Fills key_check, unlocked_with / open_error. Returns 0, -EPERM wrong/no key (status LOCKED),
 * -ENOTSUP refused kind, -ENODEV activation impossible here (key may still be accepted).
 * (Also, as wr_bitlocker_inspect: -ENOENT not BitLocker, -EINVAL damaged metadata.)
 * Key derivations: keys-file entries for the volume's Key IDs first, then each
 * --recovery-key, the .BEK (only if its GUID names a startup-key protector), the
 * password (only if there is a password protector), then the prompt. A volume
 * libcryptsetup refuses costs no derivation. */
int wr_bitlocker_unlock(struct wr_volume *vol, struct wr_keysource *ks, bool read_write,
			struct wr_unlocked **out);
const char *wr_unlocked_path(const struct wr_unlocked *u);
void wr_bitlocker_close(struct wr_unlocked *u);   /* deactivate + free; safe on NULL */
/* Removes every mapping still active (called from signal handlers and atexit). */
void wr_bitlocker_close_all(void);
/* Key derivations run so far in this process (each costs about a second). */
unsigned long wr_bitlocker_derivations(void);

#endif
