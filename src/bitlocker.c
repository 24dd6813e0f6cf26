#include "winrescue/bitlocker.h"

#include <errno.h>
#include <fcntl.h>
#include <libcryptsetup.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "winrescue/bitlocker_user.h"
#include "winrescue/blockdev.h"
#include "winrescue/log.h"
#include "winrescue/loopdev.h"
#include "winrescue/mapping.h"
#include "winrescue/util.h"

#define MAX_VOLUME_KEY 256

struct wr_unlocked {
	struct crypt_device *cd;
	int loop_fd;           /* our loop device, -1 when none */
	int slot;              /* mapping slot (mapping.h), -1 when not active */
	char *path;            /* /dev/mapper/<name> */
	struct wr_bde *bde;    /* the userspace device instead of a mapping, or NULL */
};

static unsigned long derivations;

unsigned long wr_bitlocker_derivations(void) { return derivations; }

/* ------------------------------------------------------------ sessions */

static void crypt_log_to_wr_log(int level, const char *msg, void *usrptr)
{
	(void)usrptr;
	size_t n = strlen(msg);
	wr_log(level == CRYPT_LOG_ERROR ? WR_LOG_INFO : WR_LOG_DEBUG, "libcryptsetup: %.*s",
	       (int)(n && msg[n - 1] == '\n' ? n - 1 : n), msg);
}

static void session_free(struct wr_unlocked *u)
{
	wr_mapping_remove(u->slot, u->cd);
	if (u->cd)
		crypt_free(u->cd);
	if (u->loop_fd >= 0)
		close(u->loop_fd);
	wr_bde_free(u->bde);
	free(u->path);
	free(u);
}

/* A volume inside an image file at an offset needs a loop device, since libcryptsetup
 * wants the volume to start at 0. Any image file gets ours, not libcryptsetup's own,
 * so that a scan's loop device is read-only too. */
static bool needs_own_loop(const struct wr_volume *vol)
{
	struct stat st;
	if (vol->partition_dev)
		return false;
	return vol->offset || (stat(vol->device, &st) == 0 && S_ISREG(st.st_mode));
}

/* Opens the volume with libcryptsetup (through a loop device where needed). */
static int session_open(struct wr_volume *vol, bool rw, struct wr_unlocked **out)
{
	struct wr_unlocked *u = wr_xcalloc(1, sizeof(*u));
	u->loop_fd = -1;
	u->slot = -1;
	char *loop_path = NULL;
	const char *dev = wr_volume_source(vol, NULL, NULL);
	int rc = 0;
	crypt_set_log_callback(NULL, crypt_log_to_wr_log, NULL);
	if (needs_own_loop(vol)) {
		rc = wr_loop_attach(vol->device, vol->offset, vol->size, rw, &loop_path);
		if (rc < 0) {
			wr_set_message(&vol->bitlocker.open_error,
				       "cannot set up a loop device for %s at offset %llu: %s",
				       vol->device, (unsigned long long)vol->offset, strerror(-rc));
			free(u);
			return rc;
		}
		u->loop_fd = rc;
		dev = loop_path;
		wr_log(WR_LOG_DEBUG, "%s at offset %llu is %s", vol->device,
		       (unsigned long long)vol->offset, loop_path);
	}
	rc = crypt_init(&u->cd, dev);
	if (!rc)
		rc = crypt_load(u->cd, CRYPT_BITLK, NULL);
	if (rc < 0)
		wr_set_message(&vol->bitlocker.open_error,
			       "libcryptsetup cannot read the BitLocker metadata of %s: %s",
			       dev, strerror(-rc));
	free(loop_path);
	if (rc < 0) {
		session_free(u);
		return rc;
	}
	*out = u;
	return 0;
}

/* ------------------------------------------------------------ key check */

struct unlock {
	struct wr_volume *vol;
	struct wr_unlocked *u;
	uint8_t vk[MAX_VOLUME_KEY];
	size_t vk_len;
	enum wr_protector_type opened_with;
	const char *opened_key_id;   /* its protector's Key ID, NULL when not known */
	struct wr_fve_volume fv;     /* winrescue's own reading of the metadata */
	bool own_keys;               /* check keys with it (libcryptsetup refused the volume) */
};

/* One key derivation: asks libcryptsetup for the volume key with this secret.
 * No name, no device-mapper: this is the key check (a wr_key_check_fn). */
static int check_secret(void *ctx, const char *secret, size_t len, enum wr_protector_type type,
			const char *key_id)
{
	struct unlock *s = ctx;
	derivations++;
	s->vk_len = sizeof(s->vk);
	int r = s->own_keys || wr_bitlocker_user_prefers_own(type, secret, len)
		? wr_bitlocker_user_check(&s->fv, type, secret, len, s->vk, &s->vk_len)
		: crypt_volume_key_get(s->u->cd, CRYPT_ANY_SLOT, (char *)s->vk, &s->vk_len, secret, len);
	if (r >= 0) {
		s->opened_with = type;
		s->opened_key_id = key_id;
		s->vol->bitlocker.key_check = WR_KEY_ACCEPTED;
		return 0;
	}
	wr_wipe(s->vk, sizeof(s->vk));
	s->vol->bitlocker.key_check = WR_KEY_REJECTED;
	wr_log(WR_LOG_DEBUG, "a %s was not accepted (%s)", wr_protector_type_name(type),
	       strerror(-r));
	return r == -ENOTSUP || r == -ENOMEM ? r : -EPERM;
}

static int find_key(struct unlock *s, const struct wr_keysource *ks)
{
	int rc = wr_keysource_search(ks, s->vol, check_secret, s);
	/* Set once the key is accepted, opened or not: a key that was used is one to rotate. */
	if (!rc && s->opened_key_id && s->opened_key_id[0])
		wr_set_message(&s->vol->bitlocker.unlocked_key_id, "%s", s->opened_key_id);
	if (rc == -EINTR)
		wr_set_message(&s->vol->bitlocker.open_error, "interrupted by a signal");
	else if (rc && rc != -EPERM)
		wr_set_message(&s->vol->bitlocker.open_error, "libcryptsetup cannot check keys "
			       "for this volume: %s", strerror(-rc));
	return rc;
}

/* ---------------------------------------------------------- activation */

static bool file_has_line(const char *path, const char *needle)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	char line[512];
	bool found = false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

static bool module_present(const char *name, const char *builtin_name)
{
	char *sys = wr_xasprintf("/sys/module/%s", name);
	bool present = access(sys, F_OK) == 0;
	free(sys);
	struct utsname un;
	if (!present && uname(&un) == 0) {
		char *builtin = wr_xasprintf("/lib/modules/%s/modules.builtin", un.release);
		present = file_has_line(builtin, builtin_name);
		free(builtin);
	}
	return present;
}

/* The kernel decides, not the node: a /dev/mapper/control left without its driver (a
 * copied /dev, a container) fails to open (ENODEV), and opening it loads dm-mod where
 * that is a module not yet loaded. */
static bool device_mapper_present(void)
{
	if (file_has_line("/proc/misc", "device-mapper"))
		return true;
	int fd = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* Why this system cannot create device-mapper devices at all, NULL if it can. */
static char *device_mapper_missing(void)
{
	if (device_mapper_present())
		return NULL;
	return wr_xstrdup("the key is right, but this system cannot open the volume: the kernel "
			  "has no device-mapper (not in /proc/misc, /dev/mapper/control cannot be "
			  "opened); load it with 'modprobe dm_crypt dm_zero'");
}

/* After a failed activation: the module or cipher the kernel lacks. */
static char *activation_failure(int r, const char *cipher)
{
	bool crypt_ok = module_present("dm_crypt", "/dm-crypt.ko");
	bool zero_ok = module_present("dm_zero", "/dm-zero.ko");
	if (!crypt_ok || !zero_ok)
		return wr_xasprintf("the key is right, but the volume could not be opened (%s): "
				    "kernel module %s is not loaded; load it with 'modprobe %s'",
				    strerror(-r), !crypt_ok && !zero_ok ? "dm_crypt and dm_zero"
				    : !crypt_ok ? "dm_crypt" : "dm_zero",
				    !crypt_ok && !zero_ok ? "dm_crypt dm_zero"
				    : !crypt_ok ? "dm_crypt" : "dm_zero");
	return wr_xasprintf("the key is right, but the volume could not be opened (%s): the "
			    "kernel's dm-crypt may lack the cipher %s (see /proc/crypto)",
			    strerror(-r), cipher ? cipher : "of this volume");
}

static int activate(struct unlock *s, bool rw)
{
	struct wr_bitlocker *bl = &s->vol->bitlocker;
	char *why = device_mapper_missing();
	if (why) {
		free(bl->open_error);
		bl->open_error = why;
		return -ENODEV;
	}
	const char *name = NULL;
	int slot = wr_mapping_reserve(&name);
	if (slot < 0) {
		wr_set_message(&bl->open_error, "too many BitLocker volumes open at once");
		return -EMFILE;
	}
	/* Reserved before the call: the mapping is removed at exit whatever happens. */
	s->u->slot = slot;
	int r = crypt_activate_by_volume_key(s->u->cd, name, (const char *)s->vk,
					     s->vk_len, rw ? 0 : CRYPT_ACTIVATE_READONLY);
	if (r < 0) {
		wr_mapping_release(slot);
		s->u->slot = -1;
		free(bl->open_error);
		bl->open_error = activation_failure(r, bl->cipher);
		return -ENODEV;
	}
	s->u->path = wr_xasprintf("%s/%s", crypt_get_dir(), name);
	bl->unlocked_with = s->opened_with;
	wr_log(WR_LOG_INFO, "%s opened %s as %s", s->vol->device, rw ? "read-write" : "read-only",
	       s->u->path);
	return 0;
}

/* ------------------------------------------------------------- the path */

/* libcryptsetup's session for the key check (and dm-crypt); without one (it refuses
 * the volume, or no loop device) winrescue's own key path checks the keys. */
static int key_session(struct unlock *s, bool rw, bool *dm, bool dm_forced)
{
	int rc = session_open(s->vol, rw && *dm, &s->u);
	if (!rc || dm_forced)
		return rc;
	*dm = false;
	wr_log(WR_LOG_INFO, "%s: %s; winrescue checks the keys itself", s->vol->device,
	       s->vol->bitlocker.open_error);
	free(s->vol->bitlocker.open_error);
	s->vol->bitlocker.open_error = NULL;
	s->u = wr_xcalloc(1, sizeof(*s->u));
	s->u->loop_fd = -1;
	s->u->slot = -1;
	s->own_keys = true;
	return 0;
}

/* A suspended volume's clear key, a decrypted volume's none, or the key search. */
static int volume_key(struct unlock *s, const struct wr_keysource *ks)
{
	struct wr_bitlocker *bl = &s->vol->bitlocker;
	if (bl->conversion == WR_CONVERSION_DECRYPTED) {
		s->vk_len = 0;
		return 0;
	}
	if (bl->suspended) {
		s->vk_len = sizeof(s->vk);
		s->opened_with = WR_PROTECTOR_CLEAR_KEY;
		if (!wr_bitlocker_user_check(&s->fv, WR_PROTECTOR_CLEAR_KEY, NULL, 0, s->vk, &s->vk_len))
			return 0;
		wr_set_message(&bl->open_error, "BitLocker is suspended, but its clear key does "
			       "not open the volume (damaged metadata?)");
		return -EINVAL;
	}
	if (!ks) {
		wr_set_message(&bl->open_error, "no key for this volume");
		return -EPERM;
	}
	return find_key(s, ks);
}

/* dm-crypt when asked, or (auto) when device-mapper is here and libcryptsetup maps
 * this kind; the userspace device otherwise. */
static bool use_dm(const struct unlock *s, enum wr_bitlocker_io io)
{
	if (io != WR_BITLOCKER_IO_AUTO)
		return io == WR_BITLOCKER_IO_DM;
	char *why = device_mapper_missing();
	free(why);
	return !why && wr_bitlocker_user_dm_kind(&s->fv);
}

static int open_userspace(struct unlock *s, bool rw)
{
	int rc = wr_bitlocker_user_open(s->vol, &s->fv, s->vk, s->vk_len, rw, &s->u->bde);
	if (!rc) {
		s->vol->bitlocker.unlocked_with = s->opened_with;
		wr_log(WR_LOG_INFO, "%s opened %s through the userspace device", s->vol->device,
		       rw ? "read-write" : "read-only");
	}
	return rc;
}

static int open_volume(struct unlock *s, const struct wr_keysource *ks, bool rw,
		       enum wr_bitlocker_io io)
{
	struct wr_volume *vol = s->vol;
	uint64_t offset, size;
	const char *path = wr_volume_source(vol, &offset, &size);
	int rc = wr_fve_volume_read(path, offset, size, &s->fv, &vol->bitlocker.open_error);
	bool dm = !rc && use_dm(s, io);
	if (!rc && dm && !wr_bitlocker_user_dm_kind(&s->fv)) {
		wr_set_message(&vol->bitlocker.open_error, "libcryptsetup %s cannot map this "
			       "kind of volume (suspended or not fully encrypted) with dm-crypt: use "
			       "--bitlocker-io auto or userspace", WR_CRYPTSETUP_VERSION);
		return -ENOTSUP;
	}
	if (!rc)
		rc = key_session(s, rw, &dm, io == WR_BITLOCKER_IO_DM);
	if (!rc)
		rc = volume_key(s, ks);
	if (!rc)
		rc = dm ? activate(s, rw) : open_userspace(s, rw);
	if (!rc)
		vol->bitlocker.unlocked_via = dm ? WR_VIA_DM_CRYPT : WR_VIA_USERSPACE;
	return rc;
}

int wr_bitlocker_unlock(struct wr_volume *vol, struct wr_keysource *ks, bool read_write,
			enum wr_bitlocker_io io, struct wr_unlocked **out)
{
	*out = NULL;
	int rc = wr_bitlocker_inspect(vol);
	if (rc)
		return rc;
	struct unlock *s = wr_xcalloc(1, sizeof(*s));
	s->vol = vol;
	rc = open_volume(s, ks, read_write, io);
	if (!rc) {
		free(vol->bitlocker.open_error);
		vol->bitlocker.open_error = NULL;
		*out = s->u;
	} else if (s->u) {
		session_free(s->u);
	}
	wr_fve_volume_release(&s->fv);
	wr_wipe(s, sizeof(*s));
	free(s);
	return rc;
}

void wr_unlocked_range(const struct wr_unlocked *u, struct wr_range *range)
{
	if (u->bde) {
		range->bde = u->bde;
		return;
	}
	range->path = u->path;
	range->offset = 0;
	range->size = 0;
}

const char *wr_unlocked_path(const struct wr_unlocked *u) { return u ? u->path : NULL; }

void wr_bitlocker_close(struct wr_unlocked *u)
{
	if (u)
		session_free(u);
}
