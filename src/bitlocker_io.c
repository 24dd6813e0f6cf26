#include "winrescue/bitlocker_io.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "winrescue/util.h"

#define RUN_MAX (1u << 20)          /* bytes moved per system call at most */

enum mode { MODE_PLAIN, MODE_XTS, MODE_CBC, MODE_ELEPHANT };
enum region { REGION_CRYPT, REGION_PLAIN, REGION_ZERO, REGION_UNKNOWN };

struct wr_bde {
	struct wr_fve_layout l;
	struct wr_eow *eow;           /* own copy of the EOW map (l.eow points to it) */
	uint64_t size;
	unsigned ss;                  /* sector size */
	enum mode mode;
	EVP_CIPHER_CTX *enc, *dec;    /* the sector cipher */
	EVP_CIPHER_CTX *iv;           /* AES-ECB, CBC key: the sector IV */
	EVP_CIPHER_CTX *tweak;        /* AES-ECB, tweak key: the Elephant sector key */
	uint8_t *run;                 /* RUN_MAX bytes of scratch */
};

/* ----------------------------------------------------------------- layout */

static bool inside(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

static bool overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* The reserved areas: three metadata copies and the moved header. */
static void reserved(const struct wr_fve_layout *l, uint64_t off[4], uint64_t len[4])
{
	for (int i = 0; i < 3; i++) {
		off[i] = l->metadata_offset[i];
		len[i] = WR_FVE_METADATA_AREA;
	}
	off[3] = l->header_offset;
	len[3] = l->header_size;
}

static const char *layout_problem(const struct wr_fve_layout *l, uint64_t size)
{
	uint64_t off[4], len[4], ss = l->sector_size;
	if (ss != 512 && ss != 4096)
		return "an unknown sector size";
	if (!l->header_size || l->header_size % ss || l->header_size > WR_FVE_METADATA_AREA)
		return "an impossible size for the moved NTFS header";
	reserved(l, off, len);
	for (int i = 0; i < 4; i++) {
		if (off[i] % ss || !inside(off[i], len[i], size))
			return "a reserved area outside the volume or not on a sector boundary";
		if (overlap(off[i], len[i], 0, l->header_size))
			return "a reserved area over the NTFS header";
		for (int j = 0; j < i; j++)
			if (overlap(off[i], len[i], off[j], len[j]))
				return "overlapping reserved areas";
		if (l->eow && wr_eow_reserved(l->eow, off[i], len[i]))
			return "encrypt-on-write blocks over other reserved areas";
	}
	if (l->eow && wr_eow_reserved(l->eow, 0, l->header_size))
		return "encrypt-on-write blocks over the NTFS header";
	if (l->encrypted_size < size && l->encrypted_size % ss)
		return "a converted boundary not on a sector boundary";
	return NULL;
}

/* The form of the sector at phys on an EOW volume: its chunk's, by the map. */
static enum region eow_form(const struct wr_bde *b, uint64_t phys)
{
	if (wr_eow_reserved(b->eow, phys, b->ss))
		return REGION_ZERO;
	int c = wr_eow_converted(b->eow, phys);
	return c < 0 ? REGION_UNKNOWN : c ? REGION_CRYPT : REGION_PLAIN;
}

/* Where plaintext sector p is stored and in which form. */
static enum region locate(const struct wr_bde *b, uint64_t p, uint64_t *phys)
{
	uint64_t off[4], len[4];
	if (p < b->l.header_size) {
		*phys = b->l.header_offset + p;
		return b->mode == MODE_PLAIN ? REGION_PLAIN : b->eow ? eow_form(b, *phys) : REGION_CRYPT;
	}
	reserved(&b->l, off, len);
	for (int i = 0; i < 4; i++)
		if (p >= off[i] && p - off[i] < len[i])
			return REGION_ZERO;
	*phys = p;
	if (b->eow)
		return eow_form(b, p);
	return p < b->l.encrypted_size ? REGION_CRYPT : REGION_PLAIN;
}

/* A run of sectors from p with one form and consecutive physical places; returns its
 * length in bytes (at most max, a multiple of the sector size). */
static size_t run_at(const struct wr_bde *b, uint64_t p, size_t max, enum region *r, uint64_t *phys)
{
	*r = locate(b, p, phys);
	size_t n = b->ss;
	uint64_t next_phys;
	while (n < max && p + n < b->size && locate(b, p + n, &next_phys) == *r &&
	       (*r == REGION_ZERO || next_phys == *phys + n))
		n += b->ss;
	return n;
}

/* ---------------------------------------------------------------- ciphers */

static EVP_CIPHER_CTX *cipher_ctx(const EVP_CIPHER *c, const uint8_t *key, int enc)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	if (ctx && EVP_CipherInit_ex(ctx, c, NULL, key, NULL, enc) &&
	    EVP_CIPHER_CTX_set_padding(ctx, 0))
		return ctx;
	EVP_CIPHER_CTX_free(ctx);
	return NULL;
}

static int setup_ciphers(struct wr_bde *b, const uint8_t *key, size_t key_len)
{
	bool wide = key_len == (b->mode == MODE_CBC ? 32u : 64u);
	const EVP_CIPHER *ecb = EVP_aes_128_ecb(), *sector = NULL;
	if (b->mode == MODE_XTS)
		sector = wide ? EVP_aes_256_xts() : EVP_aes_128_xts();
	else
		sector = wide ? EVP_aes_256_cbc() : EVP_aes_128_cbc();
	if (wide)
		ecb = EVP_aes_256_ecb();
	size_t half = b->mode == MODE_ELEPHANT ? key_len / 2 : key_len;
	b->enc = cipher_ctx(sector, key, 1);
	b->dec = cipher_ctx(sector, key, 0);
	if (b->mode != MODE_XTS)
		b->iv = cipher_ctx(ecb, key, 1);
	if (b->mode == MODE_ELEPHANT)
		b->tweak = cipher_ctx(ecb, key + half, 1);
	bool ok = b->enc && b->dec && (b->mode == MODE_XTS || b->iv) &&
		  (b->mode != MODE_ELEPHANT || b->tweak);
	return ok ? 0 : -ENOMEM;
}

static void le64_block(uint64_t v, uint8_t block[16])
{
	memset(block, 0, 16);
	for (int i = 0; i < 8; i++)
		block[i] = (uint8_t)(v >> (8 * i));
}

static int ecb_block(EVP_CIPHER_CTX *c, const uint8_t in[16], uint8_t out[16])
{
	int n = 0;
	return EVP_EncryptUpdate(c, out, &n, in, 16) && n == 16 ? 0 : -EIO;
}

/* XTS: the physical sector number; CBC: AES-ECB of the physical byte offset. */
static int sector_iv(struct wr_bde *b, uint64_t phys, uint8_t iv[16])
{
	if (b->mode == MODE_XTS) {
		le64_block(phys / b->ss, iv);
		return 0;
	}
	uint8_t in[16];
	le64_block(phys, in);
	return ecb_block(b->iv, in, iv);
}

/* Elephant's sector key: AES-ECB with the tweak key of the byte offset, and of the
 * same with its last byte 0x80. */
static int elephant_key(struct wr_bde *b, uint64_t phys, uint8_t ks[32])
{
	uint8_t e[16];
	le64_block(phys, e);
	int rc = ecb_block(b->tweak, e, ks);
	e[15] = 0x80;
	return rc ? rc : ecb_block(b->tweak, e, ks + 16);
}

static uint32_t rotl(uint32_t v, unsigned r) { return r ? v << r | v >> (32 - r) : v; }

static void load_words(const uint8_t *p, uint32_t *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		d[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 |
		       (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24;
}

static void store_words(const uint32_t *d, uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < 4; k++)
			p[4 * i + k] = (uint8_t)(d[i] >> (8 * k));
}

/* The Elephant diffusers (BitLocker's "A" and "B"): rounds of d[i] += d[i+a] ^
 * rotl(d[i+b], rot[i % 4]) over the sector's 32-bit words, indices mod n. The
 * decrypting direction adds forwards, the encrypting one subtracts backwards. */
struct diffuser { int rounds, a, b; unsigned rot[4]; };
static const struct diffuser DIFFUSER_A = { 5, -2, -5, { 9, 0, 13, 0 } };
static const struct diffuser DIFFUSER_B = { 3, 2, 5, { 0, 10, 0, 25 } };

static void diffuse(const struct diffuser *f, uint32_t *d, size_t n, bool decrypting)
{
	for (int round = 0; round < f->rounds; round++)
		for (size_t k = 0; k < n; k++) {
			size_t i = decrypting ? k : n - 1 - k;
			uint32_t v = d[(i + n + (size_t)(ptrdiff_t)f->a) % n] ^
				     rotl(d[(i + n + (size_t)(ptrdiff_t)f->b) % n], f->rot[i % 4]);
			d[i] = decrypting ? d[i] + v : d[i] - v;
		}
}

static int elephant(struct wr_bde *b, uint64_t phys, uint8_t *s, bool decrypting)
{
	uint32_t d[4096 / 4];
	uint8_t ks[32];
	size_t n = b->ss / 4;
	int rc = elephant_key(b, phys, ks);
	if (rc)
		return rc;
	if (decrypting) {
		load_words(s, d, n);
		diffuse(&DIFFUSER_B, d, n, true);
		diffuse(&DIFFUSER_A, d, n, true);
		store_words(d, s, n);
	}
	for (size_t i = 0; i < b->ss; i++)
		s[i] ^= ks[i % 32];
	if (!decrypting) {
		load_words(s, d, n);
		diffuse(&DIFFUSER_A, d, n, false);
		diffuse(&DIFFUSER_B, d, n, false);
		store_words(d, s, n);
	}
	wr_wipe(ks, sizeof(ks));
	wr_wipe(d, sizeof(d));
	return 0;
}

/* En- or decrypts one sector in place; phys is where it is stored. */
static int crypt_sector(struct wr_bde *b, uint64_t phys, uint8_t *s, bool encrypt)
{
	uint8_t iv[16];
	int n = 0, rc = sector_iv(b, phys, iv);
	if (!rc && encrypt && b->mode == MODE_ELEPHANT)
		rc = elephant(b, phys, s, false);
	EVP_CIPHER_CTX *c = encrypt ? b->enc : b->dec;
	if (!rc && (!EVP_CipherInit_ex(c, NULL, NULL, NULL, iv, -1) ||
		    !EVP_CipherUpdate(c, s, &n, s, (int)b->ss) || n != (int)b->ss))
		rc = -EIO;
	if (!rc && !encrypt && b->mode == MODE_ELEPHANT)
		rc = elephant(b, phys, s, true);
	return rc;
}

/* -------------------------------------------------------------- lifecycle */

static enum mode mode_of(uint16_t method, size_t key_len)
{
	if (!key_len)
		return MODE_PLAIN;
	const char *c = wr_fve_method_cipher(method);
	if (!c || key_len != wr_fve_method_bits(method) / 8)
		return (enum mode)-1;
	return !strcmp(c, "aes-xts-plain64") ? MODE_XTS
		: !strcmp(c, "aes-cbc-eboiv") ? MODE_CBC : MODE_ELEPHANT;
}

int wr_bde_new(const struct wr_fve_layout *layout, uint64_t volume_size, const uint8_t *key,
	       size_t key_len, struct wr_bde **out, char **errmsg)
{
	*out = NULL;
	const char *why = layout_problem(layout, volume_size);
	if (why) {
		if (errmsg)
			wr_set_message(errmsg, "BitLocker metadata describes %s", why);
		return -EINVAL;
	}
	enum mode mode = mode_of(layout->method, key_len);
	if (mode == (enum mode)-1) {
		if (errmsg)
			wr_set_message(errmsg, "unknown BitLocker encryption method 0x%04x",
				       layout->method);
		return -ENOTSUP;
	}
	struct wr_bde *b = wr_xcalloc(1, sizeof(*b));
	b->l = *layout;
	b->ss = layout->sector_size;
	b->size = volume_size - volume_size % b->ss;
	b->mode = mode;
	if (mode == MODE_PLAIN)
		b->l.encrypted_size = 0;
	else
		b->l.eow = b->eow = wr_eow_dup(layout->eow);
	b->run = wr_xmalloc(RUN_MAX);
	if (mode != MODE_PLAIN && setup_ciphers(b, key, key_len)) {
		wr_bde_free(b);
		if (errmsg)
			wr_set_message(errmsg, "libcrypto cannot set up the BitLocker cipher");
		return -ENOTSUP;
	}
	*out = b;
	return 0;
}

void wr_bde_free(struct wr_bde *b)
{
	if (!b)
		return;
	EVP_CIPHER_CTX_free(b->enc);
	EVP_CIPHER_CTX_free(b->dec);
	EVP_CIPHER_CTX_free(b->iv);
	EVP_CIPHER_CTX_free(b->tweak);
	wr_eow_free(b->eow);
	wr_wipe(b->run, RUN_MAX);
	free(b->run);
	free(b);
}

uint64_t wr_bde_size(const struct wr_bde *b) { return b->size; }

/* --------------------------------------------------------------------- I/O */

static int io_full(int fd, bool write, uint8_t *buf, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = write ? pwrite(fd, buf, len, (off_t)off) : pread(fd, buf, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf += n, off += (uint64_t)n, len -= (size_t)n;
	}
	return 0;
}

/* Reads whole sectors [p, p+len) of plaintext into out (len a multiple of the sector). */
static int read_sectors(struct wr_bde *b, int fd, uint64_t base, uint8_t *out, uint64_t p, size_t len)
{
	while (len) {
		enum region r;
		uint64_t phys = 0;
		size_t n = run_at(b, p, len < RUN_MAX ? len : RUN_MAX, &r, &phys);
		int rc = r == REGION_UNKNOWN ? -EIO : 0;   /* a sector no map places */
		if (r == REGION_ZERO)
			memset(out, 0, n);
		else if (!rc)
			rc = io_full(fd, false, out, n, base + phys);
		for (size_t s = 0; !rc && r == REGION_CRYPT && s < n; s += b->ss)
			rc = crypt_sector(b, phys + s, out + s, false);
		if (rc)
			return rc;
		out += n, p += n, len -= n;
	}
	return 0;
}

int wr_bde_pread(struct wr_bde *b, int fd, uint64_t base, void *buf, size_t len, uint64_t off)
{
	if (!inside(off, len, b->size))
		return -EIO;
	uint8_t *out = buf;
	while (len) {
		uint64_t start = off - off % b->ss;
		size_t head = (size_t)(off - start);
		size_t span = head + len > RUN_MAX ? RUN_MAX : head + len;
		span += (b->ss - span % b->ss) % b->ss;
		int rc = read_sectors(b, fd, base, b->run, start, span);
		size_t n = span - head < len ? span - head : len;
		if (rc)
			return rc;
		memcpy(out, b->run + head, n);
		out += n, off += n, len -= n;
	}
	return 0;
}

/* Every sector of [p, p+len) can be placed (none reserved, none outside the map). */
static bool placeable(const struct wr_bde *b, uint64_t p, uint64_t len)
{
	for (uint64_t s = 0; s < len; s += b->ss) {
		uint64_t phys;
		enum region r = locate(b, p + s, &phys);
		if (r == REGION_ZERO || r == REGION_UNKNOWN)
			return false;
	}
	return true;
}

/* Writes whole sectors from b->run (encrypting where their region is). */
static int write_sectors(struct wr_bde *b, int fd, uint64_t base, uint64_t p, size_t len)
{
	uint8_t *in = b->run;
	while (len) {
		enum region r;
		uint64_t phys = 0;
		size_t n = run_at(b, p, len, &r, &phys);
		int rc = 0;
		for (size_t s = 0; r == REGION_CRYPT && !rc && s < n; s += b->ss)
			rc = crypt_sector(b, phys + s, in + s, true);
		if (!rc)
			rc = io_full(fd, true, in, n, base + phys);
		if (rc)
			return rc;
		in += n, p += n, len -= n;
	}
	return 0;
}

int wr_bde_pwrite(struct wr_bde *b, int fd, uint64_t base, const void *buf, size_t len,
		  uint64_t off)
{
	if (!inside(off, len, b->size))
		return -EIO;
	uint64_t first = off - off % b->ss;
	uint64_t end = off + len + (b->ss - (off + len) % b->ss) % b->ss;
	if (!placeable(b, first, end - first))
		return -EPERM;
	const uint8_t *in = buf;
	while (len) {
		uint64_t start = off - off % b->ss;
		size_t head = (size_t)(off - start);
		size_t span = head + len > RUN_MAX ? RUN_MAX : head + len;
		span += (b->ss - span % b->ss) % b->ss;
		size_t n = span - head < len ? span - head : len;
		int rc = 0;
		if (head || n < span - head)   /* a partial sector: keep the rest of it */
			rc = read_sectors(b, fd, base, b->run, start, span);
		if (rc)
			return rc;
		memcpy(b->run + head, in, n);
		rc = write_sectors(b, fd, base, start, span);
		if (rc)
			return rc;
		in += n, off += n, len -= n;
	}
	return 0;
}
