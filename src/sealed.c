/* Sealed keys files (format in sealed.h): Argon2id from libargon2 (the library
 * libcryptsetup already uses, so the stick carries nothing new) and AES-256-GCM
 * from libcrypto. No hand-written cryptography. */
#include "winrescue/sealed.h"

#include <argon2.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "winrescue/util.h"

#define VERSION 1
#define KDF_ARGON2ID 1
#define SALT_LEN 16
#define NONCE_LEN 12
#define KEY_LEN 32
/* What a file may ask of the machine reading it: a hostile header must not make
 * the rescue machine allocate gigabytes or spin for minutes. */
#define MAX_T_COST 16
#define MAX_M_COST_KIB (512u * 1024)
#define MAX_LANES 8
#define MAX_PLAIN (256u << 20)

enum { OFF_MAGIC = 0, OFF_VERSION = 8, OFF_KDF = 9, OFF_RESERVED = 10, OFF_T = 12,
       OFF_M = 16, OFF_LANES = 20, OFF_SALT = 24, OFF_NONCE = 40 };
_Static_assert(OFF_NONCE + NONCE_LEN == WR_SEALED_HEADER_LEN, "header layout");

const struct wr_seal_params wr_seal_default_params = { 3, 64 * 1024, 1 };

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

bool wr_sealed_detect(const void *buf, size_t len)
{
	return len >= 8 && !memcmp(buf, WR_SEALED_MAGIC, 8);
}

static bool params_ok(const struct wr_seal_params *p)
{
	return p->t_cost >= 1 && p->t_cost <= MAX_T_COST && p->lanes >= 1 &&
	       p->lanes <= MAX_LANES && p->m_cost_kib >= 8 * p->lanes &&
	       p->m_cost_kib <= MAX_M_COST_KIB;
}

static int derive(const char *passphrase, const uint8_t *header, uint8_t key[KEY_LEN])
{
	int r = argon2id_hash_raw(get32(header + OFF_T), get32(header + OFF_M),
				  get32(header + OFF_LANES), passphrase, strlen(passphrase),
				  header + OFF_SALT, SALT_LEN, key, KEY_LEN);
	if (r == ARGON2_MEMORY_ALLOCATION_ERROR)
		return -ENOMEM;
	return r == ARGON2_OK ? 0 : -EINVAL;
}

/* One AES-256-GCM pass; header is the additional data. encrypt: tag is written,
 * else checked. Returns 0, -EACCES (tag mismatch) or -EIO. */
static int gcm(bool encrypt, const uint8_t key[KEY_LEN], const uint8_t *header,
	       const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[WR_SEALED_TAG_LEN])
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, ok = ctx != NULL;
	ok = ok && EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, encrypt);
	ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL);
	ok = ok && EVP_CipherInit_ex(ctx, NULL, NULL, key, header + OFF_NONCE, encrypt);
	ok = ok && EVP_CipherUpdate(ctx, NULL, &n, header, WR_SEALED_HEADER_LEN);
	for (size_t done = 0; ok && done < len;) {
		int chunk = len - done > (1u << 30) ? 1 << 30 : (int)(len - done);
		ok = EVP_CipherUpdate(ctx, out + done, &n, in + done, chunk);
		done += (size_t)chunk;
	}
	if (ok && !encrypt)
		ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, WR_SEALED_TAG_LEN, tag);
	int rc = ok ? 0 : -EIO;
	if (ok && EVP_CipherFinal_ex(ctx, out + len, &n) != 1)
		rc = encrypt ? -EIO : -EACCES;
	if (!rc && encrypt &&
	    !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, WR_SEALED_TAG_LEN, tag))
		rc = -EIO;
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

int wr_seal(const void *plain, size_t len, const char *passphrase,
	    const struct wr_seal_params *params, uint8_t **out, size_t *out_len)
{
	if (!passphrase || !*passphrase || !params_ok(params) || len > MAX_PLAIN)
		return -EINVAL;
	size_t total = WR_SEALED_HEADER_LEN + len + WR_SEALED_TAG_LEN;
	uint8_t *buf = wr_xcalloc(1, total);
	memcpy(buf + OFF_MAGIC, WR_SEALED_MAGIC, 8);
	buf[OFF_VERSION] = VERSION;
	buf[OFF_KDF] = KDF_ARGON2ID;
	put32(buf + OFF_T, params->t_cost);
	put32(buf + OFF_M, params->m_cost_kib);
	put32(buf + OFF_LANES, params->lanes);
	if (getrandom(buf + OFF_SALT, SALT_LEN + NONCE_LEN, 0) != SALT_LEN + NONCE_LEN) {
		free(buf);
		return -EIO;
	}
	uint8_t key[KEY_LEN];
	int rc = derive(passphrase, buf, key);
	if (!rc)
		rc = gcm(true, key, buf, plain, len, buf + WR_SEALED_HEADER_LEN,
			 buf + WR_SEALED_HEADER_LEN + len);
	wr_wipe(key, sizeof(key));
	if (rc) {
		free(buf);
		return rc;
	}
	*out = buf;
	*out_len = total;
	return 0;
}

/* Why the header cannot be opened by this version; NULL when it can. */
static const char *header_problem(const uint8_t *b, size_t len)
{
	if (!wr_sealed_detect(b, len))
		return "not a sealed keys file";
	if (len < WR_SEALED_HEADER_LEN + WR_SEALED_TAG_LEN)
		return "the sealed keys file is cut short";
	if (b[OFF_VERSION] != VERSION || b[OFF_KDF] != KDF_ARGON2ID ||
	    b[OFF_RESERVED] || b[OFF_RESERVED + 1])
		return "the sealed keys file has a version this winrescue does not know: "
		       "seal it again with this version";
	struct wr_seal_params p = { get32(b + OFF_T), get32(b + OFF_M), get32(b + OFF_LANES) };
	if (!params_ok(&p))
		return "the sealed keys file asks for KDF parameters outside the limits "
		       "(damaged, or not made by winrescue keys seal)";
	return NULL;
}

int wr_unseal(const void *buf, size_t len, const char *passphrase, uint8_t **plain,
	      size_t *plain_len, char **errmsg)
{
	const uint8_t *b = buf;
	const char *problem = header_problem(b, len);
	if (problem) {
		wr_set_message(errmsg, "%s", problem);
		return -EINVAL;
	}
	size_t n = len - WR_SEALED_HEADER_LEN - WR_SEALED_TAG_LEN;
	uint8_t key[KEY_LEN], tag[WR_SEALED_TAG_LEN];
	memcpy(tag, b + len - WR_SEALED_TAG_LEN, sizeof(tag));
	int rc = derive(passphrase ? passphrase : "", b, key);
	uint8_t *out = wr_xmalloc(n + 1);
	if (!rc)
		rc = gcm(false, key, b, b + WR_SEALED_HEADER_LEN, n, out, tag);
	wr_wipe(key, sizeof(key));
	if (rc) {
		wr_wipe(out, n + 1);
		free(out);
		wr_set_message(errmsg, "%s", rc == -EACCES
			? "wrong passphrase for the sealed keys file (or the file was changed "
			  "or cut short since it was sealed)"
			: rc == -ENOMEM ? "not enough memory for the sealed keys file's key derivation"
			: "the sealed keys file could not be decrypted");
		return rc;
	}
	out[n] = '\0';
	*plain = out;
	*plain_len = n;
	return 0;
}
