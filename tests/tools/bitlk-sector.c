/* BitLocker's sector ciphers as dm-crypt applies them for libcryptsetup:
 * - aes-xts-plain64: tweak = physical sector number (in volume sectors), LE64;
 * - aes-cbc-eboiv: IV = AES-ECB(key, LE64 physical byte offset), then AES-CBC.
 * The Elephant diffuser (Windows 7) is not implemented: Windows 10/11 never use it. */
#include "bitlk-fixture.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

struct bitlk_cipher {
	EVP_CIPHER_CTX *sector_ctx;
	EVP_CIPHER_CTX *iv_ctx; /* ECB for the eboiv IV; NULL for XTS */
	unsigned sector_size;
};

static const EVP_CIPHER *xts_cipher(size_t key_size)
{
	return key_size == 32 ? EVP_aes_128_xts() : key_size == 64 ? EVP_aes_256_xts() : NULL;
}

static const EVP_CIPHER *cbc_cipher(size_t key_size)
{
	return key_size == 16 ? EVP_aes_128_cbc() : key_size == 32 ? EVP_aes_256_cbc() : NULL;
}

static const EVP_CIPHER *ecb_cipher(size_t key_size)
{
	return key_size == 16 ? EVP_aes_128_ecb() : EVP_aes_256_ecb();
}

static int init_eboiv(struct bitlk_cipher *c, const struct bitlk_volume *vol)
{
	c->iv_ctx = EVP_CIPHER_CTX_new();
	return c->iv_ctx &&
	       EVP_EncryptInit_ex(c->iv_ctx, ecb_cipher(vol->key_size), NULL, vol->key, NULL) &&
	       EVP_CIPHER_CTX_set_padding(c->iv_ctx, 0) ? 0 : -1;
}

/* The key schedule is set up once; each sector then only sets its IV. */
static int init_sector(struct bitlk_cipher *c, const EVP_CIPHER *cipher,
		       const struct bitlk_volume *vol, bool encrypt)
{
	c->sector_ctx = EVP_CIPHER_CTX_new();
	return cipher && c->sector_ctx &&
	       EVP_CipherInit_ex(c->sector_ctx, cipher, NULL, vol->key, NULL, encrypt) &&
	       EVP_CIPHER_CTX_set_padding(c->sector_ctx, 0) ? 0 : -1;
}

struct bitlk_cipher *bitlk_cipher_new(const struct bitlk_volume *vol, bool encrypt,
				      char err[BITLK_ERR_LEN])
{
	const struct bitlk_layout *l = &vol->layout;
	bool xts = !strcmp(l->mode, "xts-plain64"), cbc = !strcmp(l->mode, "cbc-eboiv");
	struct bitlk_cipher *c;

	if (strcmp(l->cipher, "aes") || (!xts && !cbc)) {
		bitlk_set_err(err, "cipher %s-%s is not supported (only aes-xts-plain64 and "
			      "aes-cbc-eboiv)", l->cipher, l->mode);
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		abort();
	c->sector_size = l->sector_size;
	if (init_sector(c, xts ? xts_cipher(vol->key_size) : cbc_cipher(vol->key_size), vol, encrypt) ||
	    (cbc && init_eboiv(c, vol))) {
		bitlk_set_err(err, "cannot set up %s-%s with a %zu-byte key", l->cipher, l->mode,
			      vol->key_size);
		bitlk_cipher_free(c);
		return NULL;
	}
	return c;
}

static void le64_block(uint64_t v, unsigned char block[16])
{
	memset(block, 0, 16);
	for (int i = 0; i < 8; i++)
		block[i] = (unsigned char)(v >> (8 * i));
}

static int sector_iv(struct bitlk_cipher *c, uint64_t physical, unsigned char iv[16])
{
	int len;

	if (!c->iv_ctx) {
		le64_block(physical / c->sector_size, iv);
		return 0;
	}
	le64_block(physical, iv);
	return EVP_EncryptUpdate(c->iv_ctx, iv, &len, iv, 16) && len == 16 ? 0 : -1;
}

int bitlk_cipher_sector(struct bitlk_cipher *c, uint64_t physical, const unsigned char *in,
			unsigned char *out)
{
	unsigned char iv[16];
	int len = 0;

	if (sector_iv(c, physical, iv) ||
	    !EVP_CipherInit_ex(c->sector_ctx, NULL, NULL, NULL, iv, -1) ||
	    !EVP_CipherUpdate(c->sector_ctx, out, &len, in, (int)c->sector_size))
		return -1;
	return len == (int)c->sector_size ? 0 : -1;
}

void bitlk_cipher_free(struct bitlk_cipher *c)
{
	if (!c)
		return;
	EVP_CIPHER_CTX_free(c->sector_ctx);
	EVP_CIPHER_CTX_free(c->iv_ctx);
	free(c);
}
