/* wr-dm-bitlk: a BitLocker volume through libcryptsetup and the kernel's dm-crypt (the
 * independent reader the VM tests compare winrescue's userspace device with):
 *
 *   wr-dm-bitlk key  IMG PASSPHRASE     prints the volume key (hex), from libcryptsetup's
 *                                       own key path (crypt_volume_key_get; no device-mapper)
 *   wr-dm-bitlk open DEV NAME KEYFILE   maps DEV read-only as /dev/mapper/NAME with the
 *                                       volume key (hex) in KEYFILE: no key derivation,
 *                                       which costs seconds under emulation
 *   wr-dm-bitlk table NAME TABLEFILE [rw]
 *                                       maps a device-mapper table ("START LEN TARGET ARGS"
 *                                       per line) as /dev/mapper/NAME, read-only unless rw: for the
 *                                       volumes libcryptsetup 2.6.1 refuses to activate
 *                                       (suspended: clear key), the table is built from
 *                                       its bitlkDump and dislocker's FVEK
 *   wr-dm-bitlk close NAME
 *
 * It does not use the winrescue library: the key and the decryption must not come from
 * the code under test. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <libcryptsetup.h>
#include <libdevmapper.h>

#define MAX_KEY 128

static int fail(const char *what, int r)
{
	fprintf(stderr, "wr-dm-bitlk: %s: %s\n", what, strerror(r < 0 ? -r : r));
	return 1;
}

static int load(struct crypt_device **cd, const char *dev)
{
	int r = crypt_init(cd, dev);
	if (r == 0 && (r = crypt_load(*cd, CRYPT_BITLK, NULL)) < 0)
		crypt_free(*cd);
	return r;
}

static int print_key(const char *img, const char *pass)
{
	struct crypt_device *cd;
	char vk[MAX_KEY];
	size_t len = sizeof(vk);
	int r = load(&cd, img);
	if (r < 0)
		return fail(img, r);
	r = crypt_volume_key_get(cd, CRYPT_ANY_SLOT, vk, &len, pass, strlen(pass));
	crypt_free(cd);
	if (r < 0)
		return fail("crypt_volume_key_get", r);
	for (size_t i = 0; i < len; i++)
		printf("%02x", (unsigned char)vk[i]);
	printf("\n");
	return 0;
}

static int read_key(const char *path, char vk[MAX_KEY], size_t *len)
{
	FILE *f = fopen(path, "r");
	unsigned byte;
	*len = 0;
	if (!f)
		return -errno;
	while (*len < MAX_KEY && fscanf(f, "%2x", &byte) == 1)
		vk[(*len)++] = (char)byte;
	fclose(f);
	return *len ? 0 : -EINVAL;
}

static int open_mapping(const char *dev, const char *name, const char *keyfile)
{
	struct crypt_device *cd;
	char vk[MAX_KEY];
	size_t len;
	int r = read_key(keyfile, vk, &len);
	if (r < 0)
		return fail(keyfile, r);
	if ((r = load(&cd, dev)) < 0)
		return fail(dev, r);
	r = crypt_activate_by_volume_key(cd, name, vk, len, CRYPT_ACTIVATE_READONLY);
	crypt_free(cd);
	return r < 0 ? fail("crypt_activate_by_volume_key", r) : 0;
}

/* One target per line; a target may have no arguments ("zero"). */
static int add_targets(struct dm_task *dmt, FILE *f)
{
	uint64_t start, len;
	char line[1200], target[32];
	int n = 0, at;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "%" SCNu64 " %" SCNu64 " %31s %n", &start, &len, target, &at) != 3 ||
		    !dm_task_add_target(dmt, start, len, target, line + at))
			return -EINVAL;
		n++;
	}
	return n ? 0 : -EINVAL;
}

/* Without udev (the rescue media has none) libdevmapper makes the /dev/mapper node
 * itself when the cookie is waited on, as libcryptsetup's own activation does. */
static int run_task(struct dm_task *dmt)
{
	uint32_t cookie = 0;
	int ok = dm_task_set_cookie(dmt, &cookie, 0) && dm_task_run(dmt);
	if (cookie)
		dm_udev_wait(cookie);
	return ok ? 0 : -EIO;
}

static int table_mapping(const char *name, const char *path, int rw)
{
	FILE *f = fopen(path, "r");
	struct dm_task *dmt;
	int r;
	if (!f)
		return fail(path, errno);
	if (!(dmt = dm_task_create(DM_DEVICE_CREATE))) {
		fclose(f);
		return fail("dm_task_create", ENOMEM);
	}
	r = dm_task_set_name(dmt, name) && (rw || dm_task_set_ro(dmt)) ? add_targets(dmt, f) : -EINVAL;
	fclose(f);
	if (r == 0)
		r = run_task(dmt);
	dm_task_destroy(dmt);
	return r < 0 ? fail(path, r) : 0;
}

/* Through libdevmapper, not crypt_deactivate: a table mapping is no libcryptsetup device. */
static int close_mapping(const char *name)
{
	struct dm_task *dmt = dm_task_create(DM_DEVICE_REMOVE);
	int r = dmt && dm_task_set_name(dmt, name) ? run_task(dmt) : -ENOMEM;
	if (dmt)
		dm_task_destroy(dmt);
	return r < 0 ? fail(name, r) : 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "key"))
		return print_key(argv[2], argv[3]);
	if (argc == 5 && !strcmp(argv[1], "open"))
		return open_mapping(argv[2], argv[3], argv[4]);
	if (argc == 4 && !strcmp(argv[1], "table"))
		return table_mapping(argv[2], argv[3], 0);
	if (argc == 5 && !strcmp(argv[1], "table") && !strcmp(argv[4], "rw"))
		return table_mapping(argv[2], argv[3], 1);
	if (argc == 3 && !strcmp(argv[1], "close"))
		return close_mapping(argv[2]);
	fprintf(stderr, "usage: wr-dm-bitlk key IMG PASSPHRASE | open DEV NAME KEYFILE\n"
			"       | table NAME TABLEFILE [rw] | close NAME\n");
	return 2;
}
