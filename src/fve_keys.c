#include "winrescue/fve_keys.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "winrescue/util.h"

/* FVE metadata entries (all little-endian): a header of size, type, value type and
 * version (2 bytes each), then the value. A VMK entry holds the protector's GUID, time,
 * protection type, and nested property entries; an AES-CCM value is a 12-byte nonce,
 * a 16-byte tag and the ciphertext of a key entry (size, ..., method, key). */
#define BLOCK_HEADER_LEN 64
#define METADATA_HEADER_LEN 48
#define ENTRY_HEADER_LEN 8
#define VMK_HEADER_LEN 28
#define VMK_PROTECTION_OFF 26
#define NONCE_LEN 12
#define TAG_LEN 16
#define CCM_HEADER_LEN (NONCE_LEN + TAG_LEN)
#define KEY_HEADER_LEN 12            /* a key entry: entry header + method */
#define STRETCH_SALT_OFF 4
#define SALT_LEN 16
#define STRETCH_ROUNDS (1u << 20)
#define MAX_CCM_DATA 256

#define BLOCK_ENCRYPTED_SIZE_OFF 16
#define BLOCK_HEADER_SECTORS_OFF 28
#define BLOCK_METADATA_OFF 32
#define BLOCK_HEADER_OFF 56

#define ENTRY_VMK 0x0002
#define ENTRY_FVEK 0x0003
#define ENTRY_STARTUP_KEY 0x0006
#define ENTRY_VOLUME_HEADER 0x000f
#define VALUE_KEY 0x0001
#define VALUE_STRETCH_KEY 0x0003
#define VALUE_AES_CCM 0x0005
#define VALUE_VMK 0x0008
#define VALUE_EXTERNAL_KEY 0x0009
#define VALUE_OFFSET_SIZE 0x000f

#define BEK_HEADER_LEN 48
#define BEK_STARTUP_HEADER_LEN 24    /* GUID + time, before the nested entries */

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const uint8_t *p) { return (uint32_t)le16(p) | (uint32_t)le16(p + 2) << 16; }
static uint64_t le64(const uint8_t *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }

/* One entry of a list; the walk stops at a zero size or the end. */
struct entry {
	const uint8_t *p;      /* the entry, header included */
	size_t size;
	uint16_t type, value;
};

struct walk {
	const uint8_t *p;
	size_t len, pos;
};

/* Next entry into *e: 1, 0 at the end, -EINVAL when an entry overruns its list. */
static int next_entry(struct walk *w, struct entry *e)
{
	if (w->len - w->pos < ENTRY_HEADER_LEN)
		return 0;
	const uint8_t *p = w->p + w->pos;
	size_t size = le16(p);
	if (!size)
		return 0;
	if (size < ENTRY_HEADER_LEN || size > w->len - w->pos)
		return -EINVAL;
	e->p = p;
	e->size = size;
	e->type = le16(p + 2);
	e->value = le16(p + 4);
	w->pos += size;
	return 1;
}

static struct walk block_entries(const uint8_t *block, size_t len)
{
	struct walk w = { block + BLOCK_HEADER_LEN + METADATA_HEADER_LEN, 0, 0 };
	size_t msize = len >= BLOCK_HEADER_LEN + METADATA_HEADER_LEN ? le32(block + BLOCK_HEADER_LEN) : 0;
	if (msize >= METADATA_HEADER_LEN && msize <= len - BLOCK_HEADER_LEN)
		w.len = msize - METADATA_HEADER_LEN;
	return w;
}

int wr_fve_block_layout(const uint8_t *block, size_t len, const struct wr_fve_info *info,
			struct wr_fve_layout *l)
{
	memset(l, 0, sizeof(*l));
	if (len < BLOCK_HEADER_LEN + METADATA_HEADER_LEN)
		return -EINVAL;
	l->sector_size = info->sector_size;
	l->method = info->method;
	l->curr_state = le16(block + 12);
	l->next_state = le16(block + 14);
	l->encrypted_size = le64(block + BLOCK_ENCRYPTED_SIZE_OFF);
	for (int i = 0; i < 3; i++)
		l->metadata_offset[i] = le64(block + BLOCK_METADATA_OFF + 8 * i);
	l->header_offset = le64(block + BLOCK_HEADER_OFF);
	l->header_size = (uint64_t)le32(block + BLOCK_HEADER_SECTORS_OFF) * info->sector_size;
	struct walk w = block_entries(block, len);
	struct entry e;
	int rc;
	while ((rc = next_entry(&w, &e)) > 0)
		if (e.type == ENTRY_VOLUME_HEADER && e.value == VALUE_OFFSET_SIZE &&
		    e.size >= ENTRY_HEADER_LEN + 16) {
			l->header_offset = le64(e.p + ENTRY_HEADER_LEN);
			l->header_size = le64(e.p + ENTRY_HEADER_LEN + 8);
		}
	return rc || !l->header_size ? -EINVAL : 0;
}

/* ------------------------------------------------------------ primitives */

int wr_fve_stretch(const uint8_t initial[32], const uint8_t salt[16], uint8_t out[32])
{
	/* last SHA-256, initial SHA-256, salt, little-endian round counter */
	uint8_t state[32 + 32 + SALT_LEN + 8];
	memset(state, 0, sizeof(state));
	memcpy(state + 32, initial, 32);
	memcpy(state + 64, salt, SALT_LEN);
	/* Fetched once: an implicit fetch in every round would double the cost. */
	EVP_MD *sha = EVP_MD_fetch(NULL, "SHA256", NULL);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int rc = md && sha ? 0 : -ENOMEM;
	for (uint32_t i = 0; !rc && i < STRETCH_ROUNDS; i++) {
		unsigned n = 0;
		for (int b = 0; b < 4; b++)
			state[80 + b] = (uint8_t)(i >> (8 * b));
		if (!EVP_DigestInit_ex(md, sha, NULL) ||
		    !EVP_DigestUpdate(md, state, sizeof(state)) || !EVP_DigestFinal_ex(md, state, &n))
			rc = -EIO;
	}
	if (!rc)
		memcpy(out, state, 32);
	wr_wipe(state, sizeof(state));
	EVP_MD_CTX_free(md);
	EVP_MD_free(sha);
	return rc;
}

static int sha256(const void *data, size_t len, uint8_t out[32])
{
	unsigned n = 0;
	return EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) ? 0 : -EIO;
}

/* AES-256-CCM: decrypts the value of an AES-CCM entry (nonce, tag, ciphertext) into
 * out. Returns the plaintext length, -EPERM when the tag does not match. */
static int ccm_open(const uint8_t key[32], const struct entry *e, uint8_t out[MAX_CCM_DATA])
{
	if (e->size < ENTRY_HEADER_LEN + CCM_HEADER_LEN + KEY_HEADER_LEN ||
	    e->size - ENTRY_HEADER_LEN - CCM_HEADER_LEN > MAX_CCM_DATA)
		return -EINVAL;
	const uint8_t *nonce = e->p + ENTRY_HEADER_LEN, *tag = nonce + NONCE_LEN;
	const uint8_t *in = tag + TAG_LEN;
	int inlen = (int)(e->size - ENTRY_HEADER_LEN - CCM_HEADER_LEN), outlen = 0;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	if (!c)
		return -ENOMEM;
	int ok = EVP_DecryptInit_ex(c, EVP_aes_256_ccm(), NULL, NULL, NULL) &&
		 EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_CCM_SET_IVLEN, NONCE_LEN, NULL) &&
		 EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_CCM_SET_TAG, TAG_LEN, (void *)tag) &&
		 EVP_DecryptInit_ex(c, NULL, NULL, key, nonce);
	int rc = ok ? 0 : -EIO;
	if (!rc && EVP_DecryptUpdate(c, out, &outlen, in, inlen) <= 0)
		rc = -EPERM;
	EVP_CIPHER_CTX_free(c);
	if (rc) {
		wr_wipe(out, MAX_CCM_DATA);
		return rc;
	}
	return outlen;
}

/* The key inside a decrypted key entry: its size field must match. */
static int key_of(const uint8_t *plain, int len, const uint8_t **key, size_t *key_len)
{
	if (len < KEY_HEADER_LEN || le16(plain) != (unsigned)len)
		return -EINVAL;
	*key = plain + KEY_HEADER_LEN;
	*key_len = (size_t)len - KEY_HEADER_LEN;
	return 0;
}

/* ------------------------------------------------------------ protectors */

struct vmk {
	uint16_t protection;
	const uint8_t *salt;        /* of the stretch-key entry, NULL if none */
	const uint8_t *clear_key;   /* a key entry's key (clear key protector) */
	size_t clear_key_len;
	struct entry wrapped;       /* the AES-CCM entry holding the VMK */
	bool has_wrapped;
};

/* Reads a VMK entry's nested entries; unknown ones are skipped. */
static int parse_vmk(const struct entry *e, struct vmk *v)
{
	memset(v, 0, sizeof(*v));
	if (e->size < ENTRY_HEADER_LEN + VMK_HEADER_LEN)
		return -EINVAL;
	v->protection = le16(e->p + ENTRY_HEADER_LEN + VMK_PROTECTION_OFF);
	struct walk w = { e->p + ENTRY_HEADER_LEN + VMK_HEADER_LEN, e->size - ENTRY_HEADER_LEN - VMK_HEADER_LEN, 0 };
	struct entry n;
	int rc;
	while ((rc = next_entry(&w, &n)) > 0) {
		if (n.value == VALUE_STRETCH_KEY && n.size >= ENTRY_HEADER_LEN + STRETCH_SALT_OFF + SALT_LEN)
			v->salt = n.p + ENTRY_HEADER_LEN + STRETCH_SALT_OFF;
		else if (n.value == VALUE_AES_CCM && !v->has_wrapped) {
			v->wrapped = n;
			v->has_wrapped = true;
		} else if (n.value == VALUE_KEY && n.size > KEY_HEADER_LEN) {
			v->clear_key = n.p + KEY_HEADER_LEN;
			v->clear_key_len = n.size - KEY_HEADER_LEN;
		}
	}
	return rc;
}

static uint16_t protection_of(enum wr_fve_secret_kind kind)
{
	switch (kind) {
	case WR_FVE_SECRET_RECOVERY_PASSWORD: return WR_FVE_PROT_RECOVERY_PASSWORD;
	case WR_FVE_SECRET_PASSWORD: return WR_FVE_PROT_PASSWORD;
	case WR_FVE_SECRET_STARTUP_KEY: return WR_FVE_PROT_STARTUP_KEY;
	default: return WR_FVE_PROT_CLEAR_KEY;
	}
}

/* 48 digits in 8 dashed blocks: each block / 11 as a little-endian 16-bit word. */
static int recovery_initial(const char *text, size_t len, uint8_t initial[32])
{
	uint8_t words[16];
	if (len != 55)
		return -EPERM;
	for (int b = 0; b < 8; b++) {
		unsigned v = 0;
		for (int d = 0; d < 6; d++) {
			char c = text[b * 7 + d];
			if (c < '0' || c > '9')
				return -EPERM;
			v = v * 10 + (unsigned)(c - '0');
		}
		if ((b < 7 && text[b * 7 + 6] != '-') || v % 11 || v / 11 > 0xffff)
			return -EPERM;
		words[2 * b] = (uint8_t)(v / 11);
		words[2 * b + 1] = (uint8_t)((v / 11) >> 8);
	}
	int rc = sha256(words, sizeof(words), initial);
	wr_wipe(words, sizeof(words));
	return rc;
}

/* UTF-8 to UTF-16LE; -EPERM for text that is not UTF-8. */
static int utf16le(const uint8_t *s, size_t len, uint8_t *out, size_t *out_len)
{
	size_t o = 0;
	for (size_t i = 0; i < len;) {
		uint32_t c = s[i];
		int extra = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : -1;
		if (extra < 0 || len - i <= (size_t)extra)
			return -EPERM;
		if (extra)
			c &= 0x3fu >> extra;
		for (int k = 1; k <= extra; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return -EPERM;
			c = c << 6 | (s[i + k] & 0x3f);
		}
		i += (size_t)extra + 1;
		if (c >= 0x10000) {
			c -= 0x10000;
			uint32_t hi = 0xd800 | (c >> 10), lo = 0xdc00 | (c & 0x3ff);
			out[o++] = (uint8_t)hi, out[o++] = (uint8_t)(hi >> 8);
			c = lo;
		}
		out[o++] = (uint8_t)c, out[o++] = (uint8_t)(c >> 8);
	}
	*out_len = o;
	return 0;
}

static int password_initial(const char *pw, size_t len, uint8_t initial[32])
{
	uint8_t *u = wr_xmalloc(len * 4 + 1);
	size_t ulen = 0;
	int rc = utf16le((const uint8_t *)pw, len, u, &ulen);
	if (!rc)
		rc = sha256(u, ulen, initial);
	if (!rc)
		rc = sha256(initial, 32, initial);
	wr_wipe(u, len * 4 + 1);
	free(u);
	return rc;
}

/* The 32-byte external key of a .BEK file (its startup-key entry's key entry). */
static int bek_key(const uint8_t *bek, size_t len, uint8_t out[32])
{
	if (len < BEK_HEADER_LEN || le32(bek) != len)
		return -EPERM;
	struct walk w = { bek + BEK_HEADER_LEN, len - BEK_HEADER_LEN, 0 };
	struct entry e, n;
	int rc;
	while ((rc = next_entry(&w, &e)) > 0) {
		if (e.type != ENTRY_STARTUP_KEY || e.value != VALUE_EXTERNAL_KEY ||
		    e.size < ENTRY_HEADER_LEN + BEK_STARTUP_HEADER_LEN)
			continue;
		struct walk k = { e.p + ENTRY_HEADER_LEN + BEK_STARTUP_HEADER_LEN,
				  e.size - ENTRY_HEADER_LEN - BEK_STARTUP_HEADER_LEN, 0 };
		while ((rc = next_entry(&k, &n)) > 0)
			if (n.value == VALUE_KEY && n.size == KEY_HEADER_LEN + 32) {
				memcpy(out, n.p + KEY_HEADER_LEN, 32);
				return 0;
			}
	}
	(void)rc;
	return -EPERM;
}

/* The key that unwraps this VMK with this secret (32 bytes). */
static int unwrapping_key(const struct vmk *v, const struct wr_fve_secret *s, uint8_t key[32])
{
	uint8_t initial[32];
	int rc;
	switch (s->kind) {
	case WR_FVE_SECRET_CLEAR_KEY:
		if (v->clear_key_len != 32)
			return -EINVAL;
		memcpy(key, v->clear_key, 32);
		return 0;
	case WR_FVE_SECRET_STARTUP_KEY:
		return bek_key(s->data, s->len, key);
	case WR_FVE_SECRET_RECOVERY_PASSWORD:
		rc = recovery_initial(s->data, s->len, initial);
		break;
	default:
		rc = password_initial(s->data, s->len, initial);
		break;
	}
	if (!rc && !v->salt)
		rc = -EINVAL;
	if (!rc)
		rc = wr_fve_stretch(initial, v->salt, key);
	wr_wipe(initial, sizeof(initial));
	return rc;
}

/* VMK from one protector: 0 with vmk filled, -EPERM when the secret is wrong. */
static int open_vmk(const struct vmk *v, const struct wr_fve_secret *s, uint8_t vmk[32])
{
	uint8_t key[32], plain[MAX_CCM_DATA];
	const uint8_t *k;
	size_t klen = 0;
	if (!v->has_wrapped)
		return -EINVAL;
	int rc = unwrapping_key(v, s, key);
	int n = rc ? rc : ccm_open(key, &v->wrapped, plain);
	rc = n < 0 ? n : key_of(plain, n, &k, &klen);
	if (!rc && klen != 32)
		rc = -EINVAL;
	if (!rc)
		memcpy(vmk, k, 32);
	wr_wipe(key, sizeof(key));
	wr_wipe(plain, sizeof(plain));
	return rc;
}

/* The FVEK in libcryptsetup's form. Elephant-128 stores each 16-byte half in a
 * 32-byte slot. */
static int fvek_form(uint16_t method, const uint8_t *k, size_t klen, uint8_t out[WR_FVE_MAX_KEY],
		     size_t *out_len)
{
	size_t want = wr_fve_method_bits(method) / 8;
	if (!want || klen > WR_FVE_MAX_KEY)
		return -EINVAL;
	if (method == 0x8000 && klen == 64) {
		memcpy(out, k, 16);
		memcpy(out + 16, k + 32, 16);
	} else if (klen >= want) {
		memcpy(out, k, want);
	} else {
		return -EINVAL;
	}
	*out_len = want;
	return 0;
}

static int open_fvek(const uint8_t *block, size_t len, const uint8_t vmk[32],
		     uint8_t out[WR_FVE_MAX_KEY], size_t *out_len)
{
	struct walk w = block_entries(block, len);
	struct entry e;
	int rc;
	uint16_t method = le16(block + BLOCK_HEADER_LEN + 36);
	while ((rc = next_entry(&w, &e)) > 0) {
		if (e.type != ENTRY_FVEK || e.value != VALUE_AES_CCM)
			continue;
		uint8_t plain[MAX_CCM_DATA];
		const uint8_t *k;
		size_t klen = 0;
		int n = ccm_open(vmk, &e, plain);
		rc = n < 0 ? n : key_of(plain, n, &k, &klen);
		if (!rc)
			rc = fvek_form(method, k, klen, out, out_len);
		wr_wipe(plain, sizeof(plain));
		return rc == -EPERM ? -EINVAL : rc;
	}
	return rc < 0 ? rc : -EINVAL;
}

int wr_fve_unwrap(const uint8_t *block, size_t len, const struct wr_fve_secret *secret,
		  uint8_t key[WR_FVE_MAX_KEY], size_t *key_len)
{
	struct walk w = block_entries(block, len);
	struct entry e;
	uint16_t want = protection_of(secret->kind);
	int rc, result = -ENOENT;
	while ((rc = next_entry(&w, &e)) > 0) {
		struct vmk v;
		if (e.type != ENTRY_VMK || e.value != VALUE_VMK || parse_vmk(&e, &v) ||
		    v.protection != want)
			continue;
		uint8_t vmk[32];
		int r = open_vmk(&v, secret, vmk);
		if (!r)
			r = open_fvek(block, len, vmk, key, key_len);
		wr_wipe(vmk, sizeof(vmk));
		if (!r)
			return 0;
		if (result != -EPERM)
			result = r == -EPERM ? -EPERM : result == -ENOENT ? r : result;
	}
	return rc < 0 && result == -ENOENT ? rc : result;
}
