/* wr-bitlk-fixture: builds BitLocker test volumes with real NTFS contents from a
 * Windows-made BitLocker image (header and FVE metadata kept) and a plaintext image.
 * A test tool only: it trusts its inputs as far as the checks below go. */
#ifndef WR_BITLK_FIXTURE_H
#define WR_BITLK_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BITLK_MAX_KEY 64
#define BITLK_ERR_LEN 512

struct bitlk_area {
	uint64_t offset;
	uint64_t size;
};

/* Where the plaintext view that libcryptsetup maps comes from (see
 * shared/notes/bitlocker.md): plaintext [0, header.size) is stored at
 * header.offset; the header and metadata areas read as zeros; every other
 * sector is stored in place. */
struct bitlk_layout {
	uint64_t volume_size;
	unsigned sector_size;
	char cipher[32];      /* "aes" */
	char mode[32];        /* "xts-plain64", "cbc-eboiv", ... */
	struct bitlk_area header;
	struct bitlk_area meta[3];
	size_t n_meta;
};

struct bitlk_volume {
	struct bitlk_layout layout;
	unsigned char key[BITLK_MAX_KEY];
	size_t key_size; /* 0 when no key was asked for */
};

/* Formats an error message into err. */
void bitlk_set_err(char err[BITLK_ERR_LEN], const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* bitlk-volume.c: reads the layout with libcryptsetup and, when recovery_password
 * is not NULL, the volume key. Returns 0, or -1 with err filled. */
int bitlk_volume_open(const char *path, const char *recovery_password,
		      struct bitlk_volume *vol, char err[BITLK_ERR_LEN]);
/* Forgets the key. */
void bitlk_volume_close(struct bitlk_volume *vol);
/* The physical offset holding plaintext offset plain (sector aligned), or
 * false when that plaintext sector reads as zeros (header/metadata areas). */
bool bitlk_plain_to_physical(const struct bitlk_layout *l, uint64_t plain, uint64_t *physical);
/* The reserved area (metadata or header) containing byte offset off, or NULL. */
const struct bitlk_area *bitlk_reserved_area_at(const struct bitlk_layout *l, uint64_t off);

/* bitlk-sector.c: one volume's sector cipher (AES-XTS plain64 or AES-CBC with
 * the BitLocker IV, both from libcrypto). */
struct bitlk_cipher;
struct bitlk_cipher *bitlk_cipher_new(const struct bitlk_volume *vol, bool encrypt,
				      char err[BITLK_ERR_LEN]);
/* Encrypts or decrypts (as set up) one sector that lives at physical byte offset
 * physical; in and out may be the same buffer. Returns 0 or -1. */
int bitlk_cipher_sector(struct bitlk_cipher *c, uint64_t physical, const unsigned char *in,
			unsigned char *out);
void bitlk_cipher_free(struct bitlk_cipher *c);

/* bitlk-ntfs.c: the clusters in use in a plaintext NTFS image. */
struct bitlk_ntfs_bitmap {
	unsigned char *bits;
	uint64_t clusters;
	uint32_t cluster_size;
};
int bitlk_ntfs_bitmap_read(const char *path, struct bitlk_ntfs_bitmap *bm, char err[BITLK_ERR_LEN]);
/* True when byte offset off lies in a cluster in use, or past the last cluster
 * (where the backup boot sector lives). */
bool bitlk_ntfs_in_use(const struct bitlk_ntfs_bitmap *bm, uint64_t off);
void bitlk_ntfs_bitmap_free(struct bitlk_ntfs_bitmap *bm);
/* Gives each BitLocker area of l to its placeholder file, which must exist and be
 * empty (made by the spec, so its times are reproducible), so that files added
 * later never land there. */
int bitlk_ntfs_reserve(const char *path, const struct bitlk_layout *l, char err[BITLK_ERR_LEN]);
/* The NTFS path of placeholder i (0-2: metadata areas, 3: volume header), or NULL. */
const char *bitlk_ntfs_placeholder(size_t i);

#endif
