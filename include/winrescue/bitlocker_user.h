/* A BitLocker volume as winrescue's own code sees it (no libcryptsetup): its checked
 * metadata copy and layout, its state (suspended, conversion), the key check with
 * the own key path, and the userspace device (bitlocker_io.h) that opens it. */
#ifndef WINRESCUE_BITLOCKER_USER_H
#define WINRESCUE_BITLOCKER_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "winrescue/bitlocker_io.h"
#include "winrescue/fve_keys.h"
#include "winrescue/model.h"

struct wr_fve_volume {
	struct wr_fve_info info;
	struct wr_fve_layout layout;
	uint8_t *block;               /* the first metadata copy that passes its checksum */
	size_t block_len;
	uint64_t size;                /* bytes of the volume */
	struct wr_eow *eow;           /* an EOW volume's conversion map, when it checks out */
	char *eow_problem;            /* else why not (an EOW volume only) */
};

/* Reads the metadata of the volume at [offset, offset+size) of path (size 0: to the
 * end). Returns 0, or -errno with *errmsg for the user. */
int wr_fve_volume_read(const char *path, uint64_t offset, uint64_t size,
		       struct wr_fve_volume *v, char **errmsg);
void wr_fve_volume_release(struct wr_fve_volume *v);

/* A clear-key protector: BitLocker is suspended, the volume opens without a key. */
bool wr_fve_volume_suspended(const struct wr_fve_volume *v);
/* BitLocker was turned off: the data is plaintext (no key needed). */
bool wr_fve_volume_decrypted(const struct wr_fve_volume *v);
/* The conversion state, and the converted share in percent (-1 when unknown). */
enum wr_conversion wr_fve_volume_conversion(const struct wr_fve_volume *v, int *percent);
/* Why the userspace device cannot open it (read_write: or cannot write it), in
 * words for the user; NULL when it can. */
const char *wr_fve_volume_refusal(const struct wr_fve_volume *v, bool read_write);

/* Unwraps the volume key with a secret (see fve_keys.h). 0, -EPERM wrong secret,
 * -ENOENT no protector of that kind, -EINVAL damaged entries. */
int wr_fve_volume_unwrap(const struct wr_fve_volume *v, const struct wr_fve_secret *secret,
			 uint8_t key[WR_FVE_MAX_KEY], size_t *key_len);
/* The userspace device with that key (key_len 0 for a decrypted volume). */
int wr_fve_volume_device(const struct wr_fve_volume *v, const uint8_t *key, size_t key_len,
			 struct wr_bde **out, char **errmsg);

/* The unlock path's side (bitlocker.c). Fills vol's suspended, conversion and
 * encrypted_percent from the volume at path (silently nothing when unreadable).
 * Returns why an encrypt-on-write volume cannot be opened (its map does not check
 * out; the caller frees it), else NULL. */
char *wr_bitlocker_user_state(struct wr_volume *vol, const char *path, uint64_t offset,
			     uint64_t size);
/* Suspended or decrypted: opens with no key. */
bool wr_bitlocker_opens_without_key(const struct wr_volume *vol);
/* The kinds libcryptsetup 2.6.1 maps with dm-crypt (fully encrypted, no clear key, not EOW). */
bool wr_bitlocker_user_dm_kind(const struct wr_fve_volume *v);
/* A secret libcryptsetup 2.6.1 would wrongly reject (a non-ASCII password). */
bool wr_bitlocker_user_prefers_own(enum wr_protector_type type, const char *secret, size_t len);
/* Key check by the own key path for a protector type (recovery password, password,
 * startup key, clear key): 0 with the volume key, -EPERM rejected. */
int wr_bitlocker_user_check(const struct wr_fve_volume *v, enum wr_protector_type type,
			    const char *secret, size_t len, uint8_t *key, size_t *key_len);
/* The userspace device for vol, or -ENOTSUP/-EINVAL with vol's open_error set. Sets
 * unlocked_via. */
int wr_bitlocker_user_open(struct wr_volume *vol, const struct wr_fve_volume *v,
			   const uint8_t *key, size_t key_len, bool read_write, struct wr_bde **out);

#endif
