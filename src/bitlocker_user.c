#include "winrescue/bitlocker_user.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "winrescue/blockdev.h"
#include "winrescue/util.h"

/* Conversion states of the FVE metadata block header. */
#define STATE_DECRYPTED 1
#define STATE_SWITCHING_LOGGED 2    /* converting, with a conversion log: in flux */
#define STATE_PAUSED 3
#define STATE_ENCRYPTED 4
#define STATE_SWITCHING 5

struct fd_at { int fd; uint64_t offset; };

static int read_at(void *ctx, uint64_t off, void *buf, size_t len)
{
	const struct fd_at *f = ctx;
	if (off > UINT64_MAX - f->offset)
		return -EIO;
	ssize_t n = pread(f->fd, buf, len, (off_t)(f->offset + off));
	return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EIO;
}

/* An EOW volume's map; a map that does not check out leaves the volume refused. */
static void read_eow(struct wr_fve_volume *v, struct fd_at *f)
{
	char *why = NULL;
	if (wr_eow_read(read_at, f, v->info.eow_offset, v->info.sector_size, v->size, &v->eow,
			&why) == 0) {
		v->layout.eow = v->eow;
		return;
	}
	wr_set_message(&v->eow_problem, "BitLocker encrypt-on-write volume (a conversion Windows "
		       "has not finished): %s, so winrescue cannot tell its converted chunks from "
		       "the others and neither reads nor writes it; let Windows finish the "
		       "conversion, or unlock it from Windows (WinPE)", why);
	free(why);
}

int wr_fve_volume_read(const char *path, uint64_t offset, uint64_t size,
		       struct wr_fve_volume *v, char **errmsg)
{
	memset(v, 0, sizeof(*v));
	struct fd_at f = { open(path, O_RDONLY | O_CLOEXEC), offset };
	if (f.fd < 0) {
		int rc = -errno;
		wr_set_message(errmsg, "cannot read %s: %s", path, strerror(-rc));
		return rc;
	}
	uint64_t total = wr_fd_size(f.fd);
	v->size = size ? size : total > offset ? total - offset : 0;
	int rc = wr_fve_read(read_at, &f, &v->info, errmsg);
	if (!rc) {
		v->block = wr_fve_valid_block(read_at, &f, &v->info, &v->block_len);
		rc = v->block ? wr_fve_block_layout(v->block, v->block_len, &v->info, &v->layout)
			: -EINVAL;
		if (rc)
			wr_set_message(errmsg, "BitLocker metadata names no place for the NTFS header");
	}
	if (!rc && v->info.eow)
		read_eow(v, &f);
	close(f.fd);
	if (rc)
		wr_fve_volume_release(v);
	return rc;
}

void wr_fve_volume_release(struct wr_fve_volume *v)
{
	free(v->block);
	v->block = NULL;
	wr_eow_free(v->eow);
	v->eow = NULL;
	free(v->eow_problem);
	v->eow_problem = NULL;
}

bool wr_fve_volume_suspended(const struct wr_fve_volume *v)
{
	for (size_t i = 0; i < v->info.nprotectors; i++)
		if (v->info.protectors[i].protection == WR_FVE_PROT_CLEAR_KEY)
			return true;
	return false;
}

bool wr_fve_volume_decrypted(const struct wr_fve_volume *v)
{
	return v->layout.curr_state == STATE_DECRYPTED && v->layout.next_state == STATE_DECRYPTED;
}

enum wr_conversion wr_fve_volume_conversion(const struct wr_fve_volume *v, int *percent)
{
	const struct wr_fve_layout *l = &v->layout;
	uint64_t done = l->encrypted_size < v->size ? l->encrypted_size : v->size;
	*percent = v->size ? (int)(done * 100 / v->size) : -1;
	if (v->info.eow) {
		*percent = v->eow ? wr_eow_percent(v->eow) : -1;
		return wr_fve_volume_suspended(v) ? WR_CONVERSION_PARTIAL : WR_CONVERSION_ENCRYPTING;
	}
	if (wr_fve_volume_decrypted(v)) {
		*percent = 0;
		return WR_CONVERSION_DECRYPTED;
	}
	if (l->curr_state == STATE_PAUSED)
		return WR_CONVERSION_PAUSED;
	if (l->curr_state == STATE_SWITCHING || l->curr_state == STATE_SWITCHING_LOGGED)
		return l->next_state == STATE_DECRYPTED ? WR_CONVERSION_DECRYPTING
			: WR_CONVERSION_ENCRYPTING;
	if (l->curr_state == STATE_ENCRYPTED && l->next_state == STATE_ENCRYPTED)
		return WR_CONVERSION_COMPLETE;
	return WR_CONVERSION_PARTIAL;
}

const char *wr_fve_volume_refusal(const struct wr_fve_volume *v, bool read_write)
{
	const struct wr_fve_layout *l = &v->layout;
	if (v->info.eow && !v->eow)
		return v->eow_problem;
	if (v->info.togo)
		return "BitLocker To Go volume (a removable drive, FAT inside): not a Windows "
		       "system volume, left alone";
	bool known = l->curr_state == STATE_DECRYPTED || l->curr_state == STATE_PAUSED ||
		     l->curr_state == STATE_ENCRYPTED || l->curr_state == STATE_SWITCHING ||
		     l->curr_state == STATE_SWITCHING_LOGGED;
	if (!known)
		return "BitLocker metadata has a conversion state winrescue does not know";
	if (read_write && l->curr_state == STATE_SWITCHING_LOGGED)
		return "BitLocker was converting this volume when it stopped (a conversion log is "
		       "pending): the sectors near the converted boundary cannot be placed with "
		       "certainty, so it is only read; let Windows finish the conversion first";
	return NULL;
}

int wr_fve_volume_unwrap(const struct wr_fve_volume *v, const struct wr_fve_secret *secret,
			 uint8_t key[WR_FVE_MAX_KEY], size_t *key_len)
{
	return wr_fve_unwrap(v->block, v->block_len, secret, key, key_len);
}

int wr_fve_volume_device(const struct wr_fve_volume *v, const uint8_t *key, size_t key_len,
			 struct wr_bde **out, char **errmsg)
{
	return wr_bde_new(&v->layout, v->size, key, key_len, out, errmsg);
}

/* ------------------------------------------------- the unlock path's side */

char *wr_bitlocker_user_state(struct wr_volume *vol, const char *path, uint64_t offset,
			      uint64_t size)
{
	struct wr_fve_volume v;
	struct wr_bitlocker *bl = &vol->bitlocker;
	bl->encrypted_percent = -1;
	if (wr_fve_volume_read(path, offset, size, &v, NULL))
		return NULL;
	bl->suspended = wr_fve_volume_suspended(&v);
	bl->conversion = wr_fve_volume_conversion(&v, &bl->encrypted_percent);
	char *eow_problem = v.eow_problem;
	v.eow_problem = NULL;
	wr_fve_volume_release(&v);
	return eow_problem;
}

bool wr_bitlocker_opens_without_key(const struct wr_volume *vol)
{
	return vol->bitlocker.suspended || vol->bitlocker.conversion == WR_CONVERSION_DECRYPTED;
}

bool wr_bitlocker_user_dm_kind(const struct wr_fve_volume *v)
{
	return !wr_fve_volume_suspended(v) && !v->info.eow && v->layout.curr_state == 4 && v->layout.next_state == 4 &&
	       v->layout.encrypted_size >= v->size;
}

/* libcryptsetup 2.6.1 cannot check passwords with non-ASCII characters. */
bool wr_bitlocker_user_prefers_own(enum wr_protector_type type, const char *secret, size_t len)
{
	if (type != WR_PROTECTOR_PASSWORD)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)secret[i] >= 0x80)
			return true;
	return false;
}

int wr_bitlocker_user_check(const struct wr_fve_volume *v, enum wr_protector_type type,
			    const char *secret, size_t len, uint8_t *key, size_t *key_len)
{
	struct wr_fve_secret s = { WR_FVE_SECRET_RECOVERY_PASSWORD, secret, len };
	if (type == WR_PROTECTOR_PASSWORD)
		s.kind = WR_FVE_SECRET_PASSWORD;
	else if (type == WR_PROTECTOR_STARTUP_KEY)
		s.kind = WR_FVE_SECRET_STARTUP_KEY;
	else if (type == WR_PROTECTOR_CLEAR_KEY)
		s.kind = WR_FVE_SECRET_CLEAR_KEY;
	int rc = wr_fve_volume_unwrap(v, &s, key, key_len);
	return rc == -ENOENT ? -EPERM : rc;
}

int wr_bitlocker_user_open(struct wr_volume *vol, const struct wr_fve_volume *v,
			   const uint8_t *key, size_t key_len, bool read_write, struct wr_bde **out)
{
	struct wr_bitlocker *bl = &vol->bitlocker;
	const char *why = wr_fve_volume_refusal(v, read_write);
	if (why) {
		wr_set_message(&bl->open_error, "%s", why);
		return -ENOTSUP;
	}
	int rc = wr_fve_volume_device(v, key, key_len, out, &bl->open_error);
	if (!rc)
		bl->unlocked_via = WR_VIA_USERSPACE;
	return rc;
}
