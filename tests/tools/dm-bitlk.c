/* wr-dm-bitlk: a BitLocker volume through libcryptsetup and the kernel's dm-crypt (the
 * independent reader the VM tests compare winrescue's userspace device with):
 *
 *   wr-dm-bitlk key  IMG PASSPHRASE     prints the volume key (hex), from libcryptsetup's
 *                                       own key path (crypt_volume_key_get; no device-mapper)
 *   wr-dm-bitlk open DEV NAME KEYFILE   maps DEV read-only as /dev/mapper/NAME with the
 *                                       volume key (hex) in KEYFILE: no key derivation,
 *                                       which costs seconds under emulation
 *   wr-dm-bitlk close NAME
 *
 * It does not use the winrescue library: the key and the decryption must not come from
 * the code under test. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libcryptsetup.h>

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

static int close_mapping(const char *name)
{
	struct crypt_device *cd;
	int r = crypt_init_by_name(&cd, name);
	if (r == 0) {
		r = crypt_deactivate(cd, name);
		crypt_free(cd);
	}
	return r < 0 ? fail(name, r) : 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "key"))
		return print_key(argv[2], argv[3]);
	if (argc == 5 && !strcmp(argv[1], "open"))
		return open_mapping(argv[2], argv[3], argv[4]);
	if (argc == 3 && !strcmp(argv[1], "close"))
		return close_mapping(argv[2]);
	fprintf(stderr, "usage: wr-dm-bitlk key IMG PASSPHRASE | open DEV NAME KEYFILE | close NAME\n");
	return 2;
}
