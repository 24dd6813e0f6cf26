#include "winrescue/keysource.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "winrescue/guid.h"
#include "winrescue/keys_file.h"
#include "winrescue/log.h"
#include "winrescue/mapping.h"
#include "winrescue/recovery_key.h"
#include "winrescue/util.h"

#define MAX_BEK_SIZE 4096
#define BEK_HEADER_LEN 48
#define BEK_SIZE_OFF 0             /* u32: the file's own length */
#define BEK_VERSION_OFF 4          /* u32: 1 */
#define BEK_GUID_OFF 16            /* the startup-key protector it opens */
#define MAX_KEYS_PER_ID 8
#define MAX_TRIED_KEYS 32

struct wr_keysource {
	struct wr_recovery_key *keys;
	size_t nkeys;
	struct wr_keys_file **files;
	size_t nfiles;
	uint8_t *bek;
	size_t bek_len;
	char bek_guid[WR_GUID_TEXT_LEN];
	char *password;
	wr_key_prompt_fn prompt;
	void *prompt_ctx;
};

struct wr_keysource *wr_keysource_new(void)
{
	return wr_xcalloc(1, sizeof(struct wr_keysource));
}

int wr_keysource_add_recovery_key(struct wr_keysource *ks, const char *text, char **errmsg)
{
	struct wr_recovery_key key;
	char *msg = NULL;
	int rc = wr_recovery_key_parse(text, &key, NULL, &msg);
	if (rc) {
		wr_set_message(errmsg, "recovery key: %s", msg);
		free(msg);
		return rc;
	}
	struct wr_recovery_key *old = ks->keys;
	size_t n = ks->nkeys;
	ks->keys = wr_xmalloc((n + 1) * sizeof(*ks->keys));
	if (n)
		memcpy(ks->keys, old, n * sizeof(*old));
	wr_wipe(old, n * sizeof(*old));
	free(old);
	ks->keys[n] = key;
	ks->nkeys = n + 1;
	wr_recovery_key_wipe(&key);
	return 0;
}

int wr_keysource_load_keys_file(struct wr_keysource *ks, const char *path, char **errmsg)
{
	struct wr_keys_file *kf = NULL;
	int rc = wr_keys_file_load(path, &kf, errmsg);
	if (rc)
		return rc;
	wr_keysource_add_keys_file(ks, kf, path);
	return 0;
}

void wr_keysource_add_keys_file(struct wr_keysource *ks, struct wr_keys_file *kf, const char *path)
{
	if (wr_keys_file_bad_rows(kf))
		wr_log(WR_LOG_WARN, "keys file %s: %zu bad rows skipped:\n%s", path,
		       wr_keys_file_bad_rows(kf), wr_keys_file_problems(kf));
	wr_log(WR_LOG_INFO, "keys file %s: %zu keys", path, wr_keys_file_count(kf));
	struct wr_keys_file **slot = wr_array_grow(&ks->files, &ks->nfiles, sizeof(*ks->files));
	*slot = kf;
}

/* ------------------------------------------------------------- .BEK files */

static int read_small_file(const char *path, uint8_t **buf, size_t *len)
{
	int fd = wr_open_regular(path);
	if (fd < 0)
		return fd;
	*buf = wr_xmalloc(MAX_BEK_SIZE + 1);
	size_t got = 0;
	int rc = 0;
	for (;;) {
		ssize_t n = read(fd, *buf + got, MAX_BEK_SIZE + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = -errno;
		if (n <= 0 || (got += (size_t)n) > MAX_BEK_SIZE)
			break;
	}
	close(fd);
	if (!rc && got > MAX_BEK_SIZE)
		rc = -EFBIG;
	*len = got;
	if (rc) {
		wr_wipe(*buf, MAX_BEK_SIZE + 1);
		free(*buf);
		*buf = NULL;
	}
	return rc;
}

static uint32_t le32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* A .BEK file starts with a metadata header holding its own length, version 1,
 * and the GUID of the startup-key protector it opens. */
static bool bek_header_valid(const uint8_t *b, size_t len)
{
	return len > BEK_HEADER_LEN && le32(b + BEK_SIZE_OFF) == len &&
	       le32(b + BEK_VERSION_OFF) == 1;
}

int wr_keysource_set_bek(struct wr_keysource *ks, const char *path, char **errmsg)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = read_small_file(path, &buf, &len);
	if (rc) {
		wr_set_message(errmsg, "cannot read startup key %s: %s", path,
			       rc == -EFBIG ? "too large for a .BEK file" :
			       rc == -EINVAL ? "not a regular file" : strerror(-rc));
		return rc;
	}
	if (!bek_header_valid(buf, len)) {
		wr_set_message(errmsg, "%s is not a BitLocker startup key (.BEK) file", path);
		wr_wipe(buf, len);
		free(buf);
		return -EINVAL;
	}
	if (ks->bek) {
		wr_wipe(ks->bek, ks->bek_len);
		free(ks->bek);
	}
	ks->bek = buf;
	ks->bek_len = len;
	wr_guid_format(buf + BEK_GUID_OFF, ks->bek_guid);
	return 0;
}

int wr_keysource_set_password(struct wr_keysource *ks, const char *pw)
{
	if (ks->password) {
		wr_wipe(ks->password, strlen(ks->password));
		free(ks->password);
	}
	ks->password = pw ? wr_xstrdup(pw) : NULL;
	return 0;
}

void wr_keysource_set_prompt(struct wr_keysource *ks, wr_key_prompt_fn fn, void *ctx)
{
	ks->prompt = fn;
	ks->prompt_ctx = ctx;
}

void wr_keysource_free(struct wr_keysource *ks)
{
	if (!ks)
		return;
	wr_wipe(ks->keys, ks->nkeys * sizeof(*ks->keys));
	free(ks->keys);
	for (size_t i = 0; i < ks->nfiles; i++)
		wr_keys_file_free(ks->files[i]);
	free(ks->files);
	wr_wipe(ks->bek, ks->bek_len);
	free(ks->bek);
	wr_keysource_set_password(ks, NULL);
	free(ks);
}

/* ------------------------------------------------------------- key search */

struct search {
	const struct wr_keysource *ks;
	struct wr_volume *vol;
	wr_key_check_fn check;
	void *ctx;
	bool tried;
	struct wr_recovery_key tried_keys[MAX_TRIED_KEYS];
	size_t ntried_keys;
};

static int offer(struct search *s, const char *secret, size_t len, enum wr_protector_type type,
		 const char *key_id)
{
	s->tried = true;
	int rc = s->check(s->ctx, secret, len, type, key_id);
	return rc == -EPERM && wr_signal_caught() ? -EINTR : rc;
}

static bool already_tried(struct search *s, const struct wr_recovery_key *key)
{
	for (size_t i = 0; i < s->ntried_keys; i++)
		if (!strcmp(s->tried_keys[i].text, key->text))
			return true;
	if (s->ntried_keys < MAX_TRIED_KEYS)
		s->tried_keys[s->ntried_keys++] = *key;
	return false;
}

/* key_id: the recovery-password protector the key is meant for, NULL when the key
 * came without one (typed, --recovery-key) and the volume has several. */
static int offer_recovery_key(struct search *s, const struct wr_recovery_key *key,
			      const char *key_id)
{
	if (already_tried(s, key))
		return -EPERM;
	return offer(s, key->text, WR_RECOVERY_KEY_LEN, WR_PROTECTOR_RECOVERY_PASSWORD, key_id);
}

static bool has_type(const struct wr_volume *vol, enum wr_protector_type type)
{
	for (size_t i = 0; i < vol->bitlocker.nprotectors; i++)
		if (vol->bitlocker.protectors[i].type == type)
			return true;
	return false;
}

/* Keys files first: found by Key ID, so a right key costs one derivation. */
static int try_keys_files(struct search *s)
{
	const struct wr_bitlocker *bl = &s->vol->bitlocker;
	int rc = -EPERM;
	for (size_t p = 0; p < bl->nprotectors && rc == -EPERM; p++) {
		if (bl->protectors[p].type != WR_PROTECTOR_RECOVERY_PASSWORD)
			continue;
		for (size_t f = 0; f < s->ks->nfiles && rc == -EPERM; f++) {
			const struct wr_recovery_key *keys[MAX_KEYS_PER_ID];
			size_t n = wr_keys_file_lookup(s->ks->files[f], bl->protectors[p].key_id,
						       keys, MAX_KEYS_PER_ID);
			for (size_t k = 0; k < n && k < MAX_KEYS_PER_ID && rc == -EPERM; k++)
				rc = offer_recovery_key(s, keys[k], bl->protectors[p].key_id);
		}
	}
	return rc;
}

/* The Key ID a secret given without one opens: known when the volume has exactly
 * one protector of its type. */
static const char *only_key_id(const struct wr_volume *vol, enum wr_protector_type type)
{
	const char *id = NULL;
	for (size_t i = 0; i < vol->bitlocker.nprotectors; i++)
		if (vol->bitlocker.protectors[i].type == type) {
			if (id)
				return NULL;
			id = vol->bitlocker.protectors[i].key_id;
		}
	return id;
}

static int try_given_keys(struct search *s)
{
	int rc = -EPERM;
	for (size_t i = 0; i < s->ks->nkeys && rc == -EPERM; i++)
		rc = offer_recovery_key(s, &s->ks->keys[i],
					only_key_id(s->vol, WR_PROTECTOR_RECOVERY_PASSWORD));
	return rc;
}

static int try_bek(struct search *s)
{
	const struct wr_bitlocker *bl = &s->vol->bitlocker;
	for (size_t i = 0; s->ks->bek && i < bl->nprotectors; i++)
		if (bl->protectors[i].type == WR_PROTECTOR_STARTUP_KEY &&
		    !strcmp(bl->protectors[i].key_id, s->ks->bek_guid))
			return offer(s, (const char *)s->ks->bek, s->ks->bek_len,
				     WR_PROTECTOR_STARTUP_KEY, bl->protectors[i].key_id);
	return -EPERM;
}

static int try_password(struct search *s)
{
	if (!s->ks->password || !has_type(s->vol, WR_PROTECTOR_PASSWORD))
		return -EPERM;
	return offer(s, s->ks->password, strlen(s->ks->password), WR_PROTECTOR_PASSWORD,
		     only_key_id(s->vol, WR_PROTECTOR_PASSWORD));
}

/* The interactive prompt last: asked again after a key that does not open the
 * volume (it sees key_check == rejected), until a key works or the user skips.
 * A signal ends a prompt (its read is not restarted). */
static int try_prompt(struct search *s)
{
	const char *key_id = wr_volume_recovery_key_id(s->vol);
	int rc = -EPERM;
	while (s->ks->prompt && key_id && rc == -EPERM) {   /* until a key works or the user skips */
		struct wr_recovery_key key;
		int p = s->ks->prompt(s->ks->prompt_ctx, s->vol, key_id, &key);
		if (wr_signal_caught())
			rc = -EINTR;
		else if (!p)
			rc = offer_recovery_key(s, &key,
						only_key_id(s->vol, WR_PROTECTOR_RECOVERY_PASSWORD));
		if (!p)
			wr_recovery_key_wipe(&key);
		else
			break;
	}
	return rc;
}

static bool non_ascii(const char *s)
{
	for (; s && *s; s++)
		if ((unsigned char)*s >= 0x80)
			return true;
	return false;
}

static void explain_no_key(const struct search *s)
{
	struct wr_bitlocker *bl = &s->vol->bitlocker;
	const char *key_id = wr_volume_recovery_key_id(s->vol);
	bool ascii_hint = non_ascii(s->ks->password) && has_type(s->vol, WR_PROTECTOR_PASSWORD);
	char hint[128] = "";
	if (ascii_hint) /* the version built against */
		snprintf(hint, sizeof(hint), " (libcryptsetup %s cannot check passwords with "
			 "non-ASCII characters: use the recovery key)", WR_CRYPTSETUP_VERSION);
	if (s->tried && key_id)
		wr_set_message(&bl->open_error, "the key given does not open this volume%s: it needs "
			       "the recovery key with Key ID %s", hint, key_id);
	else if (s->tried)
		wr_set_message(&bl->open_error, "the key given does not open this volume%s", hint);
	else if (key_id)
		wr_set_message(&bl->open_error, "no key for this volume: it needs the recovery key "
			       "with Key ID %s", key_id);
	else
		wr_set_message(&bl->open_error, "no key for this volume, and it has no recovery "
			       "password protector");
}

int wr_keysource_search(const struct wr_keysource *ks, struct wr_volume *vol,
			wr_key_check_fn check, void *ctx)
{
	int (*const sources[])(struct search *) = {
		try_keys_files, try_given_keys, try_bek, try_password, try_prompt,
	};
	struct search *s = wr_xcalloc(1, sizeof(*s));
	*s = (struct search){ .ks = ks, .vol = vol, .check = check, .ctx = ctx };
	int rc = -EPERM;
	for (size_t i = 0; i < sizeof(sources) / sizeof(*sources) && rc == -EPERM; i++)
		rc = sources[i](s);
	if (rc == -EPERM)
		explain_no_key(s);
	wr_wipe(s, sizeof(*s));
	free(s);
	return rc;
}
