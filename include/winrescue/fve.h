/* A small, bounds-checked reader of BitLocker's on-disk metadata: the volume
 * header (boot sector) and the FVE metadata blocks it points to. It reads only
 * what identifies the volume and its protectors (no key material is decoded),
 * and is robust against any bytes: it is fuzzed through wr_fve_parse(). */
#ifndef WINRESCUE_FVE_H
#define WINRESCUE_FVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WR_FVE_MAX_PROTECTORS 64
#define WR_FVE_METADATA_AREA (64 * 1024)

/* Protection types of a volume master key, as stored on disk. */
enum wr_fve_protection {
	WR_FVE_PROT_CLEAR_KEY = 0x0000,
	WR_FVE_PROT_TPM = 0x0100,
	WR_FVE_PROT_STARTUP_KEY = 0x0200,
	WR_FVE_PROT_TPM_STARTUP_KEY = 0x0300,
	WR_FVE_PROT_TPM_PIN = 0x0500,
	WR_FVE_PROT_TPM_PIN_STARTUP_KEY = 0x0700,
	WR_FVE_PROT_RECOVERY_PASSWORD = 0x0800,
	WR_FVE_PROT_SMART_CARD = 0x1000,
	WR_FVE_PROT_PASSWORD = 0x2000,
};

/* Conversion states (current and next) of the FVE metadata block header. */
#define WR_FVE_STATE_ENCRYPTED 0x0004

struct wr_fve_protector {
	uint16_t protection;          /* enum wr_fve_protection, or an unknown value */
	char guid[37];                /* upper case, no braces */
};

struct wr_fve_info {
	unsigned version;             /* 1: Windows Vista, 2: Windows 7 and later */
	bool togo;                    /* BitLocker To Go (FAT-style header) */
	bool eow;                     /* encrypt-on-write volume */
	uint64_t eow_offset[2];       /* its two EOW information blocks (see fve_eow.h) */
	unsigned sector_size;
	uint16_t curr_state, next_state;
	uint16_t method;              /* encryption method, 0x8000..0x8005 */
	uint64_t volume_size;
	uint64_t metadata_offset[3];
	int metadata_copy;            /* which copy (0..2) passed its checksum */
	char volume_guid[37];
	struct wr_fve_protector protectors[WR_FVE_MAX_PROTECTORS];
	size_t nprotectors;
};

/* Reads `len` bytes at byte offset `off` of the volume into buf; returns 0 or -errno. */
typedef int (*wr_fve_read_fn)(void *ctx, uint64_t off, void *buf, size_t len);

/* Parses a volume through read_at. Returns 0, -ENOENT when it is not BitLocker,
 * -EINVAL when the metadata is damaged, -ENOTSUP for Vista (version 1; only the
 * header fields are filled), other -errno from read_at. *errmsg (may be NULL)
 * says what is wrong, for the user. */
int wr_fve_read(wr_fve_read_fn read_at, void *ctx, struct wr_fve_info *info, char **errmsg);
/* The same on a memory image of the volume's first len bytes (for tests and fuzzing). */
int wr_fve_parse(const uint8_t *buf, size_t len, struct wr_fve_info *info, char **errmsg);
/* The same on an open volume starting at byte `offset` of fd. */
int wr_fve_read_fd(int fd, uint64_t offset, struct wr_fve_info *info, char **errmsg);

/* libcryptsetup's cipher spec for a method ("aes-xts-plain64"), NULL if unknown. */
const char *wr_fve_method_cipher(uint16_t method);
/* Key size in bits of a method (for Elephant: both halves), 0 if unknown. */
unsigned wr_fve_method_bits(uint16_t method);

/* CRC-32 (IEEE 802.3), as BitLocker uses to validate a metadata copy. */
uint32_t wr_crc32(const uint8_t *buf, size_t len);

#endif
