/* The layout and key of a BitLocker image, as libcryptsetup reads them. libcryptsetup
 * has no structured API for the BITLK metadata offsets, so the text crypt_dump()
 * prints is captured and parsed: that keeps one reader of the on-disk format. */
#include "bitlk-fixture.h"

#include <errno.h>
#include <inttypes.h>
#include <libcryptsetup.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

struct dump_text {
	char *text;
	size_t len;
};

void bitlk_set_err(char err[BITLK_ERR_LEN], const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, BITLK_ERR_LEN, fmt, ap);
	va_end(ap);
}

static void collect_dump(int level, const char *msg, void *usrptr)
{
	struct dump_text *d = usrptr;
	size_t n = strlen(msg);
	char *grown;

	if (level != CRYPT_LOG_NORMAL)
		return;
	grown = realloc(d->text, d->len + n + 1);
	if (!grown)
		abort();
	memcpy(grown + d->len, msg, n + 1);
	d->text = grown;
	d->len += n;
}

/* libcryptsetup's own messages would repeat the error this tool reports once. */
static void drop_log(int level, const char *msg, void *usrptr)
{
	(void)level, (void)msg, (void)usrptr;
}

/* Which metadata segment the "Offset:"/"Size:" lines that follow describe. */
enum segment_kind { SEG_NONE, SEG_META, SEG_HEADER };

static void parse_dump_line(const char *line, struct bitlk_layout *l, enum segment_kind *kind)
{
	unsigned idx, sector;
	uint64_t value;

	if (sscanf(line, " Sector size: %u", &sector) == 1)
		l->sector_size = sector;
	else if (strstr(line, "FVE metadata area") && sscanf(line, " %u:", &idx) == 1)
		*kind = l->n_meta < 3 ? SEG_META : SEG_NONE;
	else if (strstr(line, "Volume header") && sscanf(line, " %u:", &idx) == 1)
		*kind = SEG_HEADER;
	else if (sscanf(line, " Offset: %" SCNu64, &value) == 1 && *kind != SEG_NONE)
		(*kind == SEG_META ? &l->meta[l->n_meta] : &l->header)->offset = value;
	else if (sscanf(line, " Size: %" SCNu64, &value) == 1 && *kind != SEG_NONE) {
		if (*kind == SEG_META)
			l->meta[l->n_meta++].size = value;
		else
			l->header.size = value;
		*kind = SEG_NONE;
	}
}

static int parse_dump(char *text, struct bitlk_layout *l, char err[BITLK_ERR_LEN])
{
	enum segment_kind kind = SEG_NONE;
	char *save = NULL;

	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		parse_dump_line(line, l, &kind);
	if ((l->sector_size != 512 && l->sector_size != 4096) || l->n_meta != 3 ||
	    !l->header.size || l->header.size % l->sector_size) {
		bitlk_set_err(err, "unexpected BITLK metadata (sector size %u, %zu metadata areas, "
			"volume header size %" PRIu64 ")", l->sector_size, l->n_meta, l->header.size);
		return -1;
	}
	return 0;
}

static int read_layout(struct crypt_device *cd, struct bitlk_layout *l, char err[BITLK_ERR_LEN])
{
	struct dump_text dump = { NULL, 0 };
	int r;

	crypt_set_log_callback(cd, collect_dump, &dump);
	r = crypt_dump(cd);
	crypt_set_log_callback(cd, drop_log, NULL);
	if (r < 0 || !dump.text) {
		bitlk_set_err(err, "crypt_dump failed: %s", strerror(-r));
		free(dump.text);
		return -1;
	}
	r = parse_dump(dump.text, l, err);
	free(dump.text);
	if (r)
		return r;
	snprintf(l->cipher, sizeof(l->cipher), "%s", crypt_get_cipher(cd));
	snprintf(l->mode, sizeof(l->mode), "%s", crypt_get_cipher_mode(cd));
	return 0;
}

static int read_key(struct crypt_device *cd, const char *rp, struct bitlk_volume *vol,
		    char err[BITLK_ERR_LEN])
{
	int size = crypt_get_volume_key_size(cd);
	size_t len;
	int r;

	if (size <= 0 || size > BITLK_MAX_KEY) {
		bitlk_set_err(err, "unsupported volume key size %d", size);
		return -1;
	}
	len = (size_t)size;
	r = crypt_volume_key_get(cd, CRYPT_ANY_SLOT, (char *)vol->key, &len, rp, strlen(rp));
	if (r < 0) {
		bitlk_set_err(err, "the recovery password does not unlock this volume "
			      "(libcryptsetup: %s)", strerror(-r));
		return -1;
	}
	vol->key_size = len;
	return 0;
}

static int volume_size(const char *path, uint64_t *size, char err[BITLK_ERR_LEN])
{
	FILE *f = fopen(path, "rb");
	long end;

	if (!f || fseek(f, 0, SEEK_END) || (end = ftell(f)) < 0) {
		bitlk_set_err(err, "%s: %s", path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	*size = (uint64_t)end;
	return 0;
}

int bitlk_volume_open(const char *path, const char *recovery_password,
		      struct bitlk_volume *vol, char err[BITLK_ERR_LEN])
{
	struct crypt_device *cd = NULL;
	int r;

	memset(vol, 0, sizeof(*vol));
	if (volume_size(path, &vol->layout.volume_size, err))
		return -1;
	r = crypt_init(&cd, path);
	if (r < 0) {
		bitlk_set_err(err, "%s: %s", path, strerror(-r));
		return -1;
	}
	crypt_set_log_callback(cd, drop_log, NULL);
	r = crypt_load(cd, CRYPT_BITLK, NULL);
	if (r < 0)
		bitlk_set_err(err, "%s: not a BitLocker volume libcryptsetup can read (%s)", path,
			strerror(-r));
	else
		r = read_layout(cd, &vol->layout, err);
	if (r >= 0 && recovery_password)
		r = read_key(cd, recovery_password, vol, err);
	crypt_free(cd);
	return r < 0 ? -1 : 0;
}

void bitlk_volume_close(struct bitlk_volume *vol)
{
	OPENSSL_cleanse(vol->key, sizeof(vol->key));
	vol->key_size = 0;
}

static bool area_contains(const struct bitlk_area *a, uint64_t off)
{
	return off >= a->offset && off - a->offset < a->size;
}

const struct bitlk_area *bitlk_reserved_area_at(const struct bitlk_layout *l, uint64_t off)
{
	for (size_t i = 0; i < l->n_meta; i++)
		if (area_contains(&l->meta[i], off))
			return &l->meta[i];
	return area_contains(&l->header, off) ? &l->header : NULL;
}

bool bitlk_plain_to_physical(const struct bitlk_layout *l, uint64_t plain, uint64_t *physical)
{
	if (plain < l->header.size) {
		*physical = l->header.offset + plain;
		return true;
	}
	if (bitlk_reserved_area_at(l, plain))
		return false;
	*physical = plain;
	return true;
}
