/* BitLocker's sector ciphers as dm-crypt applies them for libcryptsetup:
 * - aes-xts-plain64: tweak = physical sector number (in volume sectors), LE64;
 * - aes-cbc-eboiv: IV = AES-ECB(key, LE64 physical byte offset), then AES-CBC.
 * The Elephant diffuser (Windows 7) is not implemented: Windows 10/11 never use it. */
#include "bitlk-fixture.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

struct bitlk_cipher {
	EVP_CIPHER_CTX *sector_ctx;
	EVP_CIPHER_CTX *iv_ctx; /* ECB for the eboiv IV; NULL for XTS */
	const EVP_CIPHER *sector_cipher;
	unsigned char key[BITLK_MAX_KEY];
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

static int init_eboiv(struct bitlk_cipher *c, size_t key_size)
{
	c->iv_ctx = EVP_CIPHER_CTX_new();
	return c->iv_ctx && EVP_EncryptInit_ex(c->iv_ctx, ecb_cipher(key_size), NULL, c->key, NULL) &&
	       EVP_CIPHER_CTX_set_padding(c->iv_ctx, 0) ? 0 : -1;
}

struct bitlk_cipher *bitlk_cipher_new(const struct bitlk_volume *vol, char err[BITLK_ERR_LEN])
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
	c->sector_cipher = xts ? xts_cipher(vol->key_size) : cbc_cipher(vol->key_size);
	memcpy(c->key, vol->key, vol->key_size);
	c->sector_ctx = EVP_CIPHER_CTX_new();
	if (!c->sector_cipher || !c->sector_ctx || (cbc && init_eboiv(c, vol->key_size))) {
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

int bitlk_cipher_sector(struct bitlk_cipher *c, bool encrypt, uint64_t physical,
			const unsigned char *in, unsigned char *out)
{
	unsigned char iv[16];
	int len = 0;

	if (sector_iv(c, physical, iv) ||
	    !EVP_CipherInit_ex(c->sector_ctx, c->sector_cipher, NULL, c->key, iv, encrypt) ||
	    !EVP_CIPHER_CTX_set_padding(c->sector_ctx, 0) ||
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
	OPENSSL_cleanse(c->key, sizeof(c->key));
	free(c);
}
