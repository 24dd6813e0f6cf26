/* winrescue's own BitLocker key path: from a secret (recovery password, password,
 * .BEK startup key, or the clear key a suspended volume stores) to the volume key
 * (FVEK), read from a checksummed FVE metadata copy. It needs no libcryptsetup and
 * opens what libcryptsetup 2.6.1 refuses: clear-key volumes, protectors carrying
 * metadata entries it does not know, volumes whose first metadata copy is damaged.
 * Primitives are OpenSSL's (SHA-256, AES-CCM); the key stretch is BitLocker's
 * (SHA-256, 16-byte salt, 2^20 rounds). */
#ifndef WINRESCUE_FVE_KEYS_H
#define WINRESCUE_FVE_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "winrescue/fve.h"
#include "winrescue/fve_eow.h"

#define WR_FVE_MAX_KEY 64

enum wr_fve_secret_kind {
	WR_FVE_SECRET_RECOVERY_PASSWORD,  /* 55 characters, 8 blocks of 6 digits with dashes */
	WR_FVE_SECRET_PASSWORD,           /* UTF-8 */
	WR_FVE_SECRET_STARTUP_KEY,        /* the whole .BEK file */
	WR_FVE_SECRET_CLEAR_KEY,          /* none: the key stored in the metadata */
};

struct wr_fve_secret {
	enum wr_fve_secret_kind kind;
	const void *data;
	size_t len;
};

/* What the plaintext view needs besides the key, from the metadata block. */
struct wr_fve_layout {
	uint64_t header_offset;       /* where the first NTFS sectors were moved to */
	uint64_t header_size;         /* bytes */
	uint64_t encrypted_size;      /* bytes from the start that are converted */
	uint64_t metadata_offset[3];
	unsigned sector_size;
	uint16_t method;
	uint16_t curr_state, next_state;
	const struct wr_eow *eow;     /* an EOW volume's conversion map (borrowed), or NULL */
};

/* The first metadata copy (header order) that passes its checksum, read through
 * read_at; the caller frees it. NULL when none does. */
uint8_t *wr_fve_valid_block(wr_fve_read_fn read_at, void *ctx, const struct wr_fve_info *info,
			    size_t *len);

/* Fills *layout from a checked block (and info for the sector size). Returns 0 or
 * -EINVAL when the block names no place for the moved NTFS header. */
int wr_fve_block_layout(const uint8_t *block, size_t len, const struct wr_fve_info *info,
			struct wr_fve_layout *layout);

/* Unwraps the volume key with secret: every protector of the secret's kind is tried
 * (unknown entries are skipped). key gets the key in libcryptsetup's form (for Elephant:
 * the key followed by the tweak key), *key_len its length. Returns 0, -EPERM when no
 * protector opens with it, -ENOENT when the volume has no protector of that kind,
 * -EINVAL on damaged entries. Key material is wiped from every buffer it passed. */
int wr_fve_unwrap(const uint8_t *block, size_t len, const struct wr_fve_secret *secret,
		  uint8_t key[WR_FVE_MAX_KEY], size_t *key_len);

/* BitLocker's key stretch (exposed for the benchmark): SHA-256 2^20 times over
 * (last, initial, salt, count). out is the 32-byte AES-CCM key. */
int wr_fve_stretch(const uint8_t initial[32], const uint8_t salt[16], uint8_t out[32]);

#endif
