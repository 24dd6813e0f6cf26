/* Sealed keys files: a key export encrypted with a passphrase, so a stick that is
 * lost does not hand out the fleet's recovery keys.
 *
 * Format (version 1), all integers little-endian:
 *   0  8  magic "WRSEALED"
 *   8  1  version (1)
 *   9  1  KDF (1: Argon2id, libargon2)
 *  10  2  reserved, 0
 *  12  4  Argon2 time cost (passes)
 *  16  4  Argon2 memory cost (KiB)
 *  20  4  Argon2 parallelism (lanes)
 *  24 16  salt (random)
 *  40 12  nonce (random)
 *  52  …  the keys file, AES-256-GCM (libcrypto) with the Argon2id output as key
 *  end 16 GCM tag
 * The 52-byte header is the GCM additional data: changing a KDF parameter, the salt
 * or the nonce fails the tag like changing the ciphertext does. */
#ifndef WINRESCUE_SEALED_H
#define WINRESCUE_SEALED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WR_SEALED_MAGIC "WRSEALED"
#define WR_SEALED_HEADER_LEN 52
#define WR_SEALED_TAG_LEN 16

struct wr_seal_params {
	uint32_t t_cost, m_cost_kib, lanes;
};
/* Argon2id, 3 passes over 64 MiB, 1 lane: about 0.3 s on a laptop, 64 MiB of RAM
 * on the rescue machine (which has far more). */
extern const struct wr_seal_params wr_seal_default_params;

/* True when buf starts like a sealed file (magic). */
bool wr_sealed_detect(const void *buf, size_t len);

/* Encrypts plain with passphrase; *out (malloc'd) is the whole sealed file.
 * Returns 0, -EINVAL (empty passphrase, bad parameters) or -EIO (crypto failure). */
int wr_seal(const void *plain, size_t len, const char *passphrase,
	    const struct wr_seal_params *params, uint8_t **out, size_t *out_len);

/* Decrypts a sealed file. On success *plain (malloc'd, NUL-terminated, to be wiped
 * by the caller) holds the keys file. Errors, each with *errmsg for the user:
 * -EACCES wrong passphrase or the file was changed (GCM cannot tell them apart),
 * -EINVAL not a sealed file, cut short, unknown version, KDF or parameters,
 * -ENOMEM the KDF's memory could not be had. */
int wr_unseal(const void *buf, size_t len, const char *passphrase, uint8_t **plain,
	      size_t *plain_len, char **errmsg);

struct wr_keys_file;
/* True when path starts like a sealed file (reads 8 bytes). */
bool wr_keys_file_is_sealed(const char *path);
/* Loads a keys file, sealed or plain (keys_file.h); a sealed one needs passphrase
 * (NULL: -ENOKEY, "sealed: give its passphrase"). *sealed tells which it was. The
 * decrypted text is wiped once parsed. Errors as wr_keys_file_load and wr_unseal,
 * each with *errmsg naming the file. */
int wr_keys_file_load_any(const char *path, const char *passphrase, struct wr_keys_file **out,
			  bool *sealed, char **errmsg);

#endif
