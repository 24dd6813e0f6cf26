#include "winrescue/bitlocker.h"

#include <errno.h>
#include <fcntl.h>
#include <libcryptsetup.h>
#include <linux/loop.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "winrescue/fve.h"
#include "winrescue/keys_file.h"
#include "winrescue/log.h"
#include "winrescue/recovery_key.h"
#include "winrescue/util.h"

#define MAX_BEK_SIZE 4096
#define BEK_HEADER_LEN 48
#define MAX_VOLUME_KEY 256
#define MAX_PROMPTS 10
#define MAX_KEYS_PER_ID 8
#define MAX_MAPPINGS 64

struct wr_keysource {
	struct wr_recovery_key *keys;
	size_t nkeys;
	struct wr_keys_file **files;
	size_t nfiles;
	uint8_t *bek;
	size_t bek_len;
	char bek_guid[37];
	char *password;
	wr_key_prompt_fn prompt;
	void *prompt_ctx;
};

struct wr_unlocked {
	struct crypt_device *cd;
	int loop_fd;           /* our loop device, -1 when none */
	int slot;              /* index in the registry of mappings, -1 when not active */
	char *path;            /* /dev/mapper/<name> */
};

static unsigned long derivations;

unsigned long wr_bitlocker_derivations(void) { return derivations; }

/* ------------------------------------------------------------------ keys */

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

/* A .BEK file starts with a metadata header holding its own length, version 1,
 * and the GUID of the startup-key protector it opens. */
static bool bek_header_valid(const uint8_t *b, size_t len)
{
	uint32_t size = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	return len > BEK_HEADER_LEN && size == len && b[4] == 1 && !b[5] && !b[6] && !b[7];
}

static void format_bek_guid(const uint8_t *g, char out[37])
{
	snprintf(out, 37, "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X",
		 g[3], g[2], g[1], g[0], g[5], g[4], g[7], g[6], g[8], g[9],
		 g[10], g[11], g[12], g[13], g[14], g[15]);
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
	format_bek_guid(buf + 16, ks->bek_guid);
	return 0;
}

int wr_keysource_set_password(struct wr_keysource *ks, const char *pw)
{
	if (ks->password) {
		wr_wipe(ks->password, strlen(ks->password));
		free(ks->password);
	}
	ks->password = wr_xstrdup(pw);
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

/* ------------------------------------------------------------- inspect */

static void fill_model(struct wr_volume *vol, const struct wr_fve_info *info)
{
	wr_bitlocker_clear(&vol->bitlocker);
	vol->encryption = WR_ENC_BITLOCKER;
	for (size_t i = 0; i < info->nprotectors; i++) {
		struct wr_protector *p = wr_bitlocker_add_protector(&vol->bitlocker);
		const char *name = wr_fve_protection_name(info->protectors[i].protection);
		p->type = strcmp(name, "unknown") ? wr_xstrdup(name)
			: wr_xasprintf("unknown_0x%04x", info->protectors[i].protection);
		memcpy(p->key_id, info->protectors[i].guid, sizeof(p->key_id));
	}
	vol->bitlocker.cipher = wr_xstrdup(wr_fve_method_cipher(info->method));
}

static bool has_protection(const struct wr_fve_info *info, uint16_t protection)
{
	for (size_t i = 0; i < info->nprotectors; i++)
		if (info->protectors[i].protection == protection)
			return true;
	return false;
}

/* Why libcryptsetup 2.6.1 cannot open this kind of volume, NULL when it can. */
static char *refusal(const struct wr_fve_info *info)
{
	if (info->version == 1)
		return wr_xstrdup("BitLocker of Windows Vista (version 1): libcryptsetup 2.6.1 "
				  "cannot open it; unlock it from Windows (WinPE) instead");
	/* A conversion in progress shows either in the states or, on the test volumes
	 * Windows made, as an encrypt-on-write volume still holding its clear key. */
	if (info->curr_state != WR_FVE_STATE_ENCRYPTED || info->next_state != WR_FVE_STATE_ENCRYPTED ||
	    (info->eow && has_protection(info, WR_FVE_PROT_CLEAR_KEY)))
		return wr_xasprintf("BitLocker conversion is not finished (partially encrypted or "
				    "paused; state %u, next state %u%s): libcryptsetup 2.6.1 cannot open "
				    "it; let Windows finish it, or unlock it from Windows (WinPE)",
				    info->curr_state, info->next_state,
				    info->eow ? ", encrypt-on-write with a clear key" : "");
	if (info->eow)
		return wr_xstrdup("BitLocker encrypt-on-write volume: libcryptsetup 2.6.1 cannot "
				  "open this kind; unlock it from Windows (WinPE) instead");
	if (has_protection(info, WR_FVE_PROT_CLEAR_KEY))
		return wr_xstrdup("BitLocker is suspended (clear key): the volume needs no key, but "
				  "libcryptsetup 2.6.1 cannot open suspended volumes; use Windows "
				  "recovery (WinRE/WinPE) instead");
	if (info->togo)
		return wr_xstrdup("BitLocker To Go volume (a removable drive, FAT inside): "
				  "not a Windows system volume, left alone");
	if (!wr_fve_method_cipher(info->method))
		return wr_xasprintf("unknown BitLocker encryption method 0x%04x", info->method);
	return NULL;
}

static const char *metadata_path(const struct wr_volume *vol, uint64_t *offset)
{
	*offset = vol->partition_dev ? 0 : vol->offset;
	return vol->partition_dev ? vol->partition_dev : vol->device;
}

/* Reads the metadata into *info and the model. Returns 0, -ENOENT (not BitLocker,
 * model untouched), -ENOTSUP (refused kind) or another -errno, with open_error set. */
static int inspect(struct wr_volume *vol, struct wr_fve_info *info)
{
	uint64_t offset;
	const char *path = metadata_path(vol, &offset);
	char *msg = NULL;
	if (!path)
		return -ENOENT;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc = fd < 0 ? -errno : wr_fve_read_fd(fd, offset, info, &msg);
	if (fd >= 0)
		close(fd);
	if (rc == -ENOENT) {
		free(msg);
		return rc;
	}
	if (rc && !msg) {
		wr_set_message(&vol->bitlocker.open_error, "cannot read %s: %s", path, strerror(-rc));
		return rc;
	}
	fill_model(vol, info);
	if (rc && info->version != 1) {
		vol->bitlocker.open_error = msg;
		return rc;
	}
	free(msg);
	vol->bitlocker.open_error = refusal(info);
	return vol->bitlocker.open_error ? -ENOTSUP : 0;
}

int wr_bitlocker_inspect(struct wr_volume *vol)
{
	struct wr_fve_info info;
	return inspect(vol, &info);
}

/* ------------------------------------------------ registry of mappings */

/* Plain arrays, so the signal handler can walk them without allocating. */
static char mapping_names[MAX_MAPPINGS][64];
static volatile sig_atomic_t mapping_active[MAX_MAPPINGS];
static unsigned mapping_counter;
static struct sigaction old_actions[NSIG];
static const int CLEANUP_SIGNALS[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

static void deactivate_name(struct crypt_device *cd, const char *name)
{
	int r = crypt_deactivate_by_name(cd, name, 0);
	/* Still open (a signal arrived while the NTFS was in use): the kernel removes
	 * it when the last user closes it, at the latest when this process ends. */
	if (r == -EBUSY)
		r = crypt_deactivate_by_name(cd, name, CRYPT_DEACTIVATE_DEFERRED);
	if (r < 0)
		wr_log(WR_LOG_WARN, "cannot remove mapping %s: %s", name, strerror(-r));
}

void wr_bitlocker_close_all(void)
{
	for (int i = 0; i < MAX_MAPPINGS; i++) {
		if (!mapping_active[i])
			continue;
		mapping_active[i] = 0;
		deactivate_name(NULL, mapping_names[i]);
	}
}

static void cleanup_and_reraise(int sig)
{
	wr_bitlocker_close_all();
	sigaction(sig, &old_actions[sig], NULL);
	raise(sig);
}

static void install_cleanup_once(void)
{
	static bool installed;
	if (installed)
		return;
	installed = true;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = cleanup_and_reraise;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(CLEANUP_SIGNALS) / sizeof(*CLEANUP_SIGNALS); i++) {
		int sig = CLEANUP_SIGNALS[i];
		/* A signal ignored when we started (nohup, a shell's background job) stays
		 * ignored: catching it would remove the mapping under a run that goes on. */
		if (sigaction(sig, NULL, &old_actions[sig]) == 0 &&
		    old_actions[sig].sa_handler == SIG_IGN)
			continue;
		sigaction(sig, &sa, &old_actions[sig]);
	}
	atexit(wr_bitlocker_close_all);
}

/* Reserves a slot with a name unique in this run; -1 when all are taken. */
static int registry_reserve(void)
{
	for (int i = 0; i < MAX_MAPPINGS; i++) {
		if (mapping_active[i])
			continue;
		snprintf(mapping_names[i], sizeof(mapping_names[i]), "winrescue-%ld-%u",
			 (long)getpid(), mapping_counter++);
		return i;
	}
	return -1;
}

/* ------------------------------------------------------- loop devices */

static int configure_loop(int lfd, int ffd, uint64_t offset, uint64_t size, bool rw)
{
	struct loop_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.fd = (uint32_t)ffd;
	cfg.info.lo_offset = offset;
	cfg.info.lo_sizelimit = size;
	cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR | (rw ? 0 : LO_FLAGS_READ_ONLY);
	if (ioctl(lfd, LOOP_CONFIGURE, &cfg) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOTTY)
		return -errno;
	/* Kernels before 5.8: the two-step way. */
	if (ioctl(lfd, LOOP_SET_FD, ffd) < 0)
		return -errno;
	if (ioctl(lfd, LOOP_SET_STATUS64, &cfg.info) < 0) {
		int rc = -errno;
		ioctl(lfd, LOOP_CLR_FD, 0);
		return rc;
	}
	return 0;
}

/* Attaches [offset, offset+size) of file to a free loop device that goes away by
 * itself once closed (LO_FLAGS_AUTOCLEAR). Returns the open loop device or -errno. */
static int loop_attach(const char *file, uint64_t offset, uint64_t size, bool rw, char **path)
{
	int mode = (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC;
	int ffd = open(file, mode);
	if (ffd < 0)
		return -errno;
	int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	int rc = ctl < 0 ? -errno : -EBUSY;
	for (int attempt = 0; ctl >= 0 && rc == -EBUSY && attempt < 16; attempt++) {
		int n = ioctl(ctl, LOOP_CTL_GET_FREE);
		if (n < 0) {
			rc = -errno;
			break;
		}
		char *p = wr_xasprintf("/dev/loop%d", n);
		int lfd = open(p, mode);
		rc = lfd < 0 ? -errno : configure_loop(lfd, ffd, offset, size, rw);
		if (!rc) {
			*path = p;
			rc = lfd;
			break;
		}
		if (lfd >= 0)
			close(lfd);
		free(p);
	}
	if (ctl >= 0)
		close(ctl);
	close(ffd);
	return rc;
}

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
	if (u->slot >= 0 && mapping_active[u->slot]) {
		mapping_active[u->slot] = 0;
		deactivate_name(u->cd, mapping_names[u->slot]);
	}
	if (u->cd)
		crypt_free(u->cd);
	if (u->loop_fd >= 0)
		close(u->loop_fd);
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
	const char *dev = vol->partition_dev ? vol->partition_dev : vol->device;
	int rc = 0;
	crypt_set_log_callback(NULL, crypt_log_to_wr_log, NULL);
	if (needs_own_loop(vol)) {
		rc = loop_attach(vol->device, vol->offset, vol->size, rw, &loop_path);
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

/* --------------------------------------------------------- key search */

struct search {
	struct wr_volume *vol;
	struct wr_unlocked *u;
	uint8_t vk[MAX_VOLUME_KEY];
	size_t vk_len;
	const char *opened_with;     /* protector type of the accepted key */
	const char *opened_key_id;   /* its protector's Key ID, NULL when not known */
	bool tried;
	struct wr_recovery_key tried_keys[32];
	size_t ntried_keys;
};

/* One key derivation: asks libcryptsetup for the volume key with this secret.
 * No name, no device-mapper: this is the key check. 0 accepted, -EPERM rejected. */
static int try_secret(struct search *s, const char *secret, size_t len, const char *protector,
		      const char *key_id)
{
	s->tried = true;
	derivations++;
	s->vk_len = sizeof(s->vk);
	int r = crypt_volume_key_get(s->u->cd, CRYPT_ANY_SLOT, (char *)s->vk, &s->vk_len, secret, len);
	if (r >= 0) {
		s->opened_with = protector;
		s->opened_key_id = key_id;
		s->vol->bitlocker.key_check = WR_KEY_ACCEPTED;
		return 0;
	}
	wr_wipe(s->vk, sizeof(s->vk));
	s->vol->bitlocker.key_check = WR_KEY_REJECTED;
	wr_log(WR_LOG_DEBUG, "a %s was not accepted (%s)", protector, strerror(-r));
	return r == -ENOTSUP || r == -ENOMEM ? r : -EPERM;
}

static bool already_tried(struct search *s, const struct wr_recovery_key *key)
{
	for (size_t i = 0; i < s->ntried_keys; i++)
		if (!strcmp(s->tried_keys[i].text, key->text))
			return true;
	if (s->ntried_keys < sizeof(s->tried_keys) / sizeof(*s->tried_keys))
		s->tried_keys[s->ntried_keys++] = *key;
	return false;
}

/* key_id: the recovery-password protector the key is meant for, NULL when the key
 * came without one (typed, --recovery-key) and the volume has several. */
static int try_recovery_key(struct search *s, const struct wr_recovery_key *key,
			    const char *key_id)
{
	if (already_tried(s, key))
		return -EPERM;
	return try_secret(s, key->text, WR_RECOVERY_KEY_LEN, "recovery_password", key_id);
}

static bool has_type(const struct wr_volume *vol, const char *type)
{
	for (size_t i = 0; i < vol->bitlocker.nprotectors; i++)
		if (!strcmp(vol->bitlocker.protectors[i].type, type))
			return true;
	return false;
}

static const char *first_key_id(const struct wr_volume *vol)
{
	for (size_t i = 0; i < vol->bitlocker.nprotectors; i++)
		if (!strcmp(vol->bitlocker.protectors[i].type, "recovery_password"))
			return vol->bitlocker.protectors[i].key_id;
	return NULL;
}

/* Keys files first: found by Key ID, so a right key costs one derivation. */
static int try_keys_files(struct search *s, const struct wr_keysource *ks)
{
	const struct wr_bitlocker *bl = &s->vol->bitlocker;
	int rc = -EPERM;
	for (size_t p = 0; p < bl->nprotectors && rc == -EPERM; p++) {
		if (strcmp(bl->protectors[p].type, "recovery_password"))
			continue;
		for (size_t f = 0; f < ks->nfiles && rc == -EPERM; f++) {
			const struct wr_recovery_key *keys[MAX_KEYS_PER_ID];
			size_t n = wr_keys_file_lookup(ks->files[f], bl->protectors[p].key_id,
						       keys, MAX_KEYS_PER_ID);
			for (size_t k = 0; k < n && k < MAX_KEYS_PER_ID && rc == -EPERM; k++)
				rc = try_recovery_key(s, keys[k], bl->protectors[p].key_id);
		}
	}
	return rc;
}

/* The Key ID a secret given without one opens: known when the volume has exactly
 * one protector of its type. */
static const char *only_key_id(const struct wr_volume *vol, const char *type)
{
	const char *id = NULL;
	for (size_t i = 0; i < vol->bitlocker.nprotectors; i++)
		if (!strcmp(vol->bitlocker.protectors[i].type, type)) {
			if (id)
				return NULL;
			id = vol->bitlocker.protectors[i].key_id;
		}
	return id;
}

static int try_given_keys(struct search *s, const struct wr_keysource *ks)
{
	int rc = -EPERM;
	for (size_t i = 0; i < ks->nkeys && rc == -EPERM; i++)
		rc = try_recovery_key(s, &ks->keys[i], only_key_id(s->vol, "recovery_password"));
	return rc;
}

static int try_bek(struct search *s, const struct wr_keysource *ks)
{
	const struct wr_bitlocker *bl = &s->vol->bitlocker;
	for (size_t i = 0; ks->bek && i < bl->nprotectors; i++)
		if (!strcmp(bl->protectors[i].type, "startup_key") &&
		    !strcmp(bl->protectors[i].key_id, ks->bek_guid))
			return try_secret(s, (const char *)ks->bek, ks->bek_len, "startup_key",
					  bl->protectors[i].key_id);
	return -EPERM;
}

static int try_password(struct search *s, const struct wr_keysource *ks)
{
	if (!ks->password || !has_type(s->vol, "password"))
		return -EPERM;
	return try_secret(s, ks->password, strlen(ks->password), "password",
			  only_key_id(s->vol, "password"));
}

/* The interactive prompt last: asked again after a key that does not open the
 * volume (it sees key_check == rejected), until a key works or the user skips. */
static int try_prompt(struct search *s, const struct wr_keysource *ks)
{
	const char *key_id = first_key_id(s->vol);
	int rc = -EPERM;
	for (int i = 0; ks->prompt && key_id && rc == -EPERM && i < MAX_PROMPTS; i++) {
		struct wr_recovery_key key;
		int p = ks->prompt(ks->prompt_ctx, s->vol, key_id, &key);
		if (p)
			break;
		rc = try_recovery_key(s, &key, only_key_id(s->vol, "recovery_password"));
		wr_recovery_key_wipe(&key);
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

static void explain_no_key(struct search *s, const struct wr_keysource *ks)
{
	struct wr_bitlocker *bl = &s->vol->bitlocker;
	const char *key_id = first_key_id(s->vol);
	const char *hint = non_ascii(ks->password) && has_type(s->vol, "password")
		? " (libcryptsetup 2.6.1 cannot check passwords with non-ASCII characters: "
		  "use the recovery key)" : "";
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

static int find_key(struct search *s, const struct wr_keysource *ks)
{
	int (*const sources[])(struct search *, const struct wr_keysource *) = {
		try_keys_files, try_given_keys, try_bek, try_password, try_prompt,
	};
	int rc = -EPERM;
	for (size_t i = 0; i < sizeof(sources) / sizeof(*sources) && rc == -EPERM; i++)
		rc = sources[i](s, ks);
	wr_wipe(s->tried_keys, sizeof(s->tried_keys));
	/* Set once the key is accepted, opened or not: a key that was used is one to rotate. */
	if (!rc && s->opened_key_id && s->opened_key_id[0])
		wr_set_message(&s->vol->bitlocker.unlocked_key_id, "%s", s->opened_key_id);
	if (rc == -EPERM)
		explain_no_key(s, ks);
	else if (rc)
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

/* Why this system cannot create device-mapper devices at all, NULL if it can. */
static char *device_mapper_missing(void)
{
	if (access("/dev/mapper/control", F_OK) == 0 || file_has_line("/proc/misc", "device-mapper"))
		return NULL;
	return wr_xstrdup("the key is right, but this system cannot open the volume: the kernel "
			  "has no device-mapper (/dev/mapper/control is missing); load it with "
			  "'modprobe dm_crypt dm_zero'");
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

static int activate(struct search *s, bool rw)
{
	struct wr_bitlocker *bl = &s->vol->bitlocker;
	char *why = device_mapper_missing();
	if (why) {
		free(bl->open_error);
		bl->open_error = why;
		return -ENODEV;
	}
	install_cleanup_once();
	int slot = registry_reserve();
	if (slot < 0) {
		wr_set_message(&bl->open_error, "too many BitLocker volumes open at once");
		return -EMFILE;
	}
	/* Registered before the call: a signal during activation still cleans up. */
	s->u->slot = slot;
	mapping_active[slot] = 1;
	int r = crypt_activate_by_volume_key(s->u->cd, mapping_names[slot], (const char *)s->vk,
					     s->vk_len, rw ? 0 : CRYPT_ACTIVATE_READONLY);
	if (r < 0) {
		mapping_active[slot] = 0;
		s->u->slot = -1;
		free(bl->open_error);
		bl->open_error = activation_failure(r, bl->cipher);
		return -ENODEV;
	}
	s->u->path = wr_xasprintf("%s/%s", crypt_get_dir(), mapping_names[slot]);
	wr_set_message(&bl->unlocked_with, "%s", s->opened_with);
	wr_log(WR_LOG_INFO, "%s opened %s as %s", s->vol->device, rw ? "read-write" : "read-only",
	       s->u->path);
	return 0;
}

int wr_bitlocker_unlock(struct wr_volume *vol, struct wr_keysource *ks, bool read_write,
			struct wr_unlocked **out)
{
	struct wr_fve_info info;
	*out = NULL;
	int rc = inspect(vol, &info);
	if (rc)
		return rc;
	struct search *s = wr_xcalloc(1, sizeof(*s));
	s->vol = vol;
	rc = session_open(vol, read_write, &s->u);
	if (!rc)
		rc = find_key(s, ks);
	if (!rc)
		rc = activate(s, read_write);
	if (!rc) {
		free(vol->bitlocker.open_error);
		vol->bitlocker.open_error = NULL;
		*out = s->u;
	} else if (s->u) {
		session_free(s->u);
	}
	wr_wipe(s, sizeof(*s));
	free(s);
	return rc;
}

const char *wr_unlocked_path(const struct wr_unlocked *u) { return u ? u->path : NULL; }

void wr_bitlocker_close(struct wr_unlocked *u)
{
	if (u)
		session_free(u);
}
