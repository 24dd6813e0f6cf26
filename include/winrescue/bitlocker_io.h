/* The userspace BitLocker device: the plaintext view of a BitLocker volume, read
 * and written through OpenSSL's libcrypto with the volume key (FVEK), as dm-crypt
 * maps it for libcryptsetup, without device-mapper:
 * - plaintext [0, header size) lives at the volume-header offset (the NTFS boot
 *   sectors BitLocker moved away), encrypted with that physical position's IV;
 * - the three FVE metadata areas and the volume-header area read as zeros and are
 *   never written;
 * - every other sector is in place, encrypted below the converted boundary
 *   (encrypted size) and plaintext past it; on an encrypt-on-write volume the
 *   layout's EOW map decides instead, chunk by chunk (its blocks read as zeros,
 *   sectors outside its regions are neither read nor written);
 * - ciphers: AES-XTS (tweak: physical sector number), AES-CBC with BitLocker's IV
 *   (AES-ECB of the physical byte offset), AES-CBC with the Elephant diffuser;
 *   512- and 4096-byte sectors.
 * A write that touches a sector it cannot place (a reserved area, past the end) is
 * refused as a whole before anything is written. */
#ifndef WINRESCUE_BITLOCKER_IO_H
#define WINRESCUE_BITLOCKER_IO_H

#include <stddef.h>
#include <stdint.h>

#include "winrescue/fve_keys.h"

struct wr_bde;

/* Checks the layout against a volume of volume_size bytes (areas inside it, aligned,
 * not overlapping) and sets up the sector cipher for layout->method with key (the
 * FVEK in libcryptsetup's form; key_len 0: a decrypted volume, all plaintext).
 * Returns 0, or -EINVAL / -ENOTSUP with *errmsg saying why. */
int wr_bde_new(const struct wr_fve_layout *layout, uint64_t volume_size, const uint8_t *key,
	       size_t key_len, struct wr_bde **out, char **errmsg);
void wr_bde_free(struct wr_bde *b);   /* wipes the key schedule */

/* Plaintext size of the volume. */
uint64_t wr_bde_size(const struct wr_bde *b);

/* Reads plaintext [off, off+len) of the volume whose raw bytes start at byte `base`
 * of fd. Returns 0 or -errno (-EIO past the end). */
int wr_bde_pread(struct wr_bde *b, int fd, uint64_t base, void *buf, size_t len, uint64_t off);
/* Writes plaintext; partial sectors are read, patched and rewritten. Returns 0,
 * -EPERM when a sector it covers cannot be placed (nothing written), or -errno. */
int wr_bde_pwrite(struct wr_bde *b, int fd, uint64_t base, const void *buf, size_t len,
		  uint64_t off);

#endif
