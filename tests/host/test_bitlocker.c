/* BitLocker on the real Windows-made volumes of ../shared/testdata/bitlk: Key IDs and
 * protector types against images.conf, key checks with every kind of key, the kinds
 * libcryptsetup 2.6.1 refuses, a large keys file costing one derivation, and the same
 * through a partition of a whole-disk image (the loop-device path). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bitlk_testdata.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "winrescue/bitlocker.h"
#include "winrescue/fve.h"
#include "winrescue/model.h"
#include "winrescue/util.h"

#define MAX_IMAGES 32
#define MAX_FIELDS 16

struct image {
	char name[96];
	char keys[MAX_FIELDS][32];
	char values[MAX_FIELDS][96];
	int nfields;
};

static char *tmp_dir, *img_dir;
static struct image images[MAX_IMAGES];
static int nimages;

static const char *conf(const struct image *im, const char *key)
{
	for (int i = 0; i < im->nfields; i++)
		if (!strcmp(im->keys[i], key))
			return im->values[i][0] ? im->values[i] : NULL;
	return NULL;
}

static const struct image *image_named(const char *name)
{
	for (int i = 0; i < nimages; i++)
		if (!strcmp(images[i].name, name))
			return &images[i];
	fail_msg("no image %s in images.conf", name);
	abort();
}

static void read_conf(const char *path)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char line[256];
	struct image *im = NULL;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '[' && nimages < MAX_IMAGES) {
			im = &images[nimages++];
			snprintf(im->name, sizeof(im->name), "%.*s", (int)strcspn(line + 1, "]"), line + 1);
		} else if (im && strchr(line, '=') && im->nfields < MAX_FIELDS) {
			char *eq = strchr(line, '=');
			*eq = '\0';
			snprintf(im->keys[im->nfields], 32, "%.31s", line);
			snprintf(im->values[im->nfields], 96, "%.95s", eq + 1);
			im->nfields++;
		}
	}
	fclose(f);
}

static int unpack(void **state)
{
	(void)state;
	tmp_dir = bitlk_unpack(NULL);
	assert_non_null(tmp_dir);
	img_dir = wr_xasprintf("%s/bitlk-images", tmp_dir);
	char *path = wr_xasprintf("%s/images.conf", img_dir);
	read_conf(path);
	free(path);
	assert_true(nimages >= 20);
	return 0;
}

static int cleanup(void **state)
{
	(void)state;
	return bitlk_remove(tmp_dir);
}

static char *image_path(const char *name)
{
	return wr_xasprintf("%s/%s.img", img_dir, name);
}

static void upper(char *s)
{
	for (; *s; s++)
		*s = (char)toupper((unsigned char)*s);
}

/* A one-volume report, freed by the caller with wr_report_free. */
static struct wr_volume *volume_for(struct wr_report *rep, const char *name)
{
	wr_report_init(rep, WR_COMMAND_SCAN, false);
	struct wr_volume *vol = wr_report_add_volume(rep);
	vol->device = image_path(name);
	return vol;
}

static bool has_protector(const struct wr_volume *vol, const char *type, const char *guid)
{
	char want[40];
	snprintf(want, sizeof(want), "%s", guid);
	upper(want);
	for (size_t i = 0; i < vol->bitlocker.nprotectors; i++)
		if (!strcmp(wr_protector_type_name(vol->bitlocker.protectors[i].type), type) &&
		    !strcmp(vol->bitlocker.protectors[i].key_id, want))
			return true;
	return false;
}

static const char *const REFUSED[][2] = {
	{ "bitlk-aes-xts-128-eow", "BitLocker encrypt-on-write volume (a conversion Windows has not finished)" },
	{ "bitlk-partially-encrypted-aes-cbc-128", "BitLocker encrypt-on-write volume (a conversion Windows has not finished)" },
	{ "bitlk-togo-aes-cbc-128", "BitLocker To Go volume (a removable drive, FAT inside)" },
	{ "bitlk-togo-aes-xts-128", "BitLocker To Go volume (a removable drive, FAT inside)" },
};

static const char *refusal_of(const char *name)
{
	for (size_t i = 0; i < sizeof(REFUSED) / sizeof(*REFUSED); i++)
		if (!strcmp(REFUSED[i][0], name))
			return REFUSED[i][1];
	return NULL;
}

/* Every protector GUID in images.conf is found, with its type, in upper case. */
static void key_ids_match_images_conf(void **state)
{
	(void)state;
	static const char *const TYPES[][2] = {
		{ "RP_VMK_GUID", "recovery_password" }, { "RP2_VMK_GUID", "recovery_password" },
		{ "PW_VMK_GUID", "password" }, { "SK_VMK_GUID", "startup_key" },
		{ "SC_VMK_GUID", "smart_card" }, { "CLEARKEY_VMK_GUID", "clear_key" },
	};
	int checked = 0;
	for (int i = 0; i < nimages; i++) {
		struct wr_report rep;
		struct wr_volume *vol = volume_for(&rep, images[i].name);
		int rc = wr_bitlocker_inspect(vol);
		const char *refused = refusal_of(images[i].name);
		if (refused) {
			assert_int_equal(rc, -ENOTSUP);
			if (!vol->bitlocker.open_error || !strstr(vol->bitlocker.open_error, refused))
				fail_msg("%s: open_error \"%s\", expected \"%s\"", images[i].name,
					 vol->bitlocker.open_error, refused);
		} else if (rc) {
			fail_msg("%s: inspect %d: %s", images[i].name, rc, vol->bitlocker.open_error);
		}
		assert_int_equal(vol->encryption, WR_ENC_BITLOCKER);
		assert_string_equal(vol->bitlocker.cipher, conf(&images[i], "CIPHER"));
		for (size_t t = 0; t < sizeof(TYPES) / sizeof(*TYPES); t++) {
			const char *guid = conf(&images[i], TYPES[t][0]);
			if (!guid)
				continue;
			if (!has_protector(vol, TYPES[t][1], guid))
				fail_msg("%s: no %s protector %s", images[i].name, TYPES[t][1], guid);
			checked++;
		}
		wr_report_free(&rep);
	}
	print_message("%d protector GUIDs matched on %d images\n", checked, nimages);
	assert_true(checked >= 40);
}

/* Unlocks name with what ks holds; checks the key check and that an accepted key
 * opens the volume (dm-crypt, or the userspace device where device-mapper is
 * missing). Returns the number of key derivations it took. */
static unsigned long unlock_expect(const char *name, const char *device, uint64_t offset,
				   uint64_t size, struct wr_keysource *ks, enum wr_key_check want,
				   const char *secret)
{
	struct wr_report rep;
	struct wr_volume *vol = volume_for(&rep, name);
	if (device) {
		free(vol->device);
		vol->device = wr_xstrdup(device);
		vol->offset = offset;
		vol->size = size;
	}
	unsigned long before = wr_bitlocker_derivations();
	struct wr_unlocked *u = NULL;
	int rc = wr_bitlocker_unlock(vol, ks, false, WR_BITLOCKER_IO_AUTO, &u);
	unsigned long used = wr_bitlocker_derivations() - before;
	if (vol->bitlocker.key_check != want)
		fail_msg("%s: key_check %s, expected %s (rc %d: %s)", name,
			 wr_key_check_name(vol->bitlocker.key_check), wr_key_check_name(want), rc,
			 vol->bitlocker.open_error);
	if (want == WR_KEY_ACCEPTED) {
		assert_int_equal(rc, 0);
		assert_non_null(u);
		assert_true(vol->bitlocker.unlocked_via != WR_VIA_NONE);
	} else {
		assert_int_equal(rc, -EPERM);
		assert_non_null(strstr(vol->bitlocker.open_error, want == WR_KEY_REJECTED
				       ? "does not open this volume" : "no key for this volume"));
	}
	/* Keys never reach messages; Key IDs do. */
	if (secret && vol->bitlocker.open_error)
		assert_null(strstr(vol->bitlocker.open_error, secret));
	wr_bitlocker_close(u);
	wr_report_free(&rep);
	return used;
}

static void recovery_keys_right_and_wrong(void **state)
{
	(void)state;
	int checked = 0;
	for (int i = 0; i < nimages; i++) {
		const char *rp = conf(&images[i], "RP");
		if (!rp || refusal_of(images[i].name))
			continue;
		struct wr_keysource *ks = wr_keysource_new();
		assert_int_equal(wr_keysource_add_recovery_key(ks, rp, NULL), 0);
		assert_int_equal(unlock_expect(images[i].name, NULL, 0, 0, ks, WR_KEY_ACCEPTED, rp), 1);
		wr_keysource_free(ks);
		checked++;
	}
	assert_true(checked >= 14);
	/* Another volume's key, in the 48-digit form without dashes. */
	struct wr_keysource *ks = wr_keysource_new();
	assert_int_equal(wr_keysource_add_recovery_key(
		ks, "042647302313590458071500554323116567412181516978", NULL), 0);
	unlock_expect("bitlk-aes-xts-128", NULL, 0, 0, ks, WR_KEY_REJECTED, "042647");
	wr_keysource_free(ks);
}

static void second_recovery_key_and_several_given(void **state)
{
	(void)state;
	const struct image *im = image_named("bitlk-aes-xts-128-two-recovery");
	struct wr_keysource *ks = wr_keysource_new();
	/* A wrong key first, then the volume's second recovery password: tried in turn. */
	assert_int_equal(wr_keysource_add_recovery_key(ks, conf(image_named("bitlk-aes-xts-256"), "RP"), NULL), 0);
	assert_int_equal(wr_keysource_add_recovery_key(ks, conf(im, "RP2"), NULL), 0);
	assert_int_equal(unlock_expect(im->name, NULL, 0, 0, ks, WR_KEY_ACCEPTED, NULL), 2);
	wr_keysource_free(ks);
}

static void passwords(void **state)
{
	(void)state;
	static const char *const NAMES[] = { "bitlk-aes-xts-128", "bitlk-aes-cbc-elephant-128",
					     "bitlk-aes-cbc-128-4k" };
	for (size_t i = 0; i < sizeof(NAMES) / sizeof(*NAMES); i++) {
		struct wr_keysource *ks = wr_keysource_new();
		wr_keysource_set_password(ks, conf(image_named(NAMES[i]), "PW"));
		unlock_expect(NAMES[i], NULL, 0, 0, ks, WR_KEY_ACCEPTED, "anaconda");
		wr_keysource_free(ks);
	}
	struct wr_keysource *ks = wr_keysource_new();
	wr_keysource_set_password(ks, "not-the-password");
	unlock_expect("bitlk-aes-xts-128", NULL, 0, 0, ks, WR_KEY_REJECTED, "not-the-password");
	wr_keysource_free(ks);
	/* libcryptsetup 2.6.1 fails non-ASCII passwords: winrescue's own key path opens it. */
	struct wr_report rep;
	struct wr_volume *vol = volume_for(&rep, "bitlk-aes-xts-128-unicode");
	ks = wr_keysource_new();
	wr_keysource_set_password(ks, conf(image_named("bitlk-aes-xts-128-unicode"), "PW"));
	struct wr_unlocked *u = NULL;
	int rc = wr_bitlocker_unlock(vol, ks, false, WR_BITLOCKER_IO_AUTO, &u);
	assert_int_equal(rc, 0);
	assert_int_equal(vol->bitlocker.key_check, WR_KEY_ACCEPTED);
	wr_bitlocker_close(u);
	wr_keysource_free(ks);
	wr_report_free(&rep);
}

static void startup_keys(void **state)
{
	(void)state;
	static const char *const NAMES[] = { "bitlk-aes-xts-128-startup-key",
					     "bitlk-aes-xts-128-startup-key-win11" };
	for (size_t i = 0; i < 2; i++) {
		char guid[40];
		snprintf(guid, sizeof(guid), "%s", conf(image_named(NAMES[i]), "SK_VMK_GUID"));
		upper(guid);
		char *bek = wr_xasprintf("%s/%s.BEK", img_dir, guid);
		struct wr_keysource *ks = wr_keysource_new();
		char *msg = NULL;
		if (wr_keysource_set_bek(ks, bek, &msg))
			fail_msg("%s", msg);
		assert_int_equal(unlock_expect(NAMES[i], NULL, 0, 0, ks, WR_KEY_ACCEPTED, NULL), 1);
		/* The other volume's startup key is not even tried: its GUID differs. */
		assert_int_equal(unlock_expect(NAMES[1 - i], NULL, 0, 0, ks, WR_KEY_NOT_TRIED, NULL), 0);
		wr_keysource_free(ks);
		free(bek);
	}
	struct wr_keysource *ks = wr_keysource_new();
	char *msg = NULL;
	char *conf_path = wr_xasprintf("%s/not-a-key.BEK", tmp_dir);
	FILE *f = fopen(conf_path, "w");
	assert_non_null(f);
	fprintf(f, "KeyID,RecoveryKey\n");
	fclose(f);
	assert_int_equal(wr_keysource_set_bek(ks, conf_path, &msg), -EINVAL);
	assert_non_null(strstr(msg, "is not a BitLocker startup key (.BEK) file"));
	free(msg);
	free(conf_path);
	wr_keysource_free(ks);
}

/* 10,000 rows, the right Key ID among them: one key derivation. */
static void keys_file_costs_one_derivation(void **state)
{
	(void)state;
	const struct image *im = image_named("bitlk-aes-cbc-256");
	char *path = wr_xasprintf("%s/BitLockerKeys.csv", tmp_dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "\xef\xbb\xbf\"KeyID\",\"RecoveryKey\",\"Hostname\"\r\n");
	for (int i = 0; i < 10000; i++) {
		if (i == 7777)
			fprintf(f, "{%s},%s,target\r\n", conf(im, "RP_VMK_GUID"), conf(im, "RP"));
		fprintf(f, "%08X-1111-4222-8333-%012X,%06d-000011-000022-000033-000044-000055-"
			"000066-000077,host%d\r\n", (unsigned)i * 2654435761u, (unsigned)i,
			(i % 60000) * 11, i);
	}
	fclose(f);
	struct wr_keysource *ks = wr_keysource_new();
	char *msg = NULL;
	if (wr_keysource_load_keys_file(ks, path, &msg))
		fail_msg("%s", msg);
	assert_int_equal(unlock_expect(im->name, NULL, 0, 0, ks, WR_KEY_ACCEPTED, conf(im, "RP")), 1);
	/* A volume whose Key ID the file lacks: no derivation, and the message names the ID. */
	struct wr_report rep;
	struct wr_volume *vol = volume_for(&rep, "bitlk-aes-xts-256");
	struct wr_unlocked *u = NULL;
	unsigned long before = wr_bitlocker_derivations();
	assert_int_equal(wr_bitlocker_unlock(vol, ks, false, WR_BITLOCKER_IO_AUTO, &u), -EPERM);
	assert_int_equal(wr_bitlocker_derivations(), before);
	assert_int_equal(vol->bitlocker.key_check, WR_KEY_NOT_TRIED);
	assert_string_equal(vol->bitlocker.open_error, "no key for this volume: it needs the "
			    "recovery key with Key ID 83ABDB8F-3218-4BFD-ACED-215E1E189BDF");
	wr_report_free(&rep);
	wr_keysource_free(ks);
	free(path);
}

static void refused_kinds_cost_no_derivation(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(REFUSED) / sizeof(*REFUSED); i++) {
		const struct image *im = image_named(REFUSED[i][0]);
		struct wr_keysource *ks = wr_keysource_new();
		if (conf(im, "RP"))
			assert_int_equal(wr_keysource_add_recovery_key(ks, conf(im, "RP"), NULL), 0);
		struct wr_report rep;
		struct wr_volume *vol = volume_for(&rep, im->name);
		struct wr_unlocked *u = NULL;
		unsigned long before = wr_bitlocker_derivations();
		assert_int_equal(wr_bitlocker_unlock(vol, ks, false, WR_BITLOCKER_IO_AUTO, &u), -ENOTSUP);
		assert_null(u);
		assert_int_equal(wr_bitlocker_derivations(), before);
		assert_non_null(strstr(vol->bitlocker.open_error, REFUSED[i][1]));
		wr_report_free(&rep);
		wr_keysource_free(ks);
	}
}

static bool loop_attached_to(const char *file)
{
	char *cmd = wr_xasprintf("losetup -j '%s' | grep -q .", file);
	int rc = system(cmd);
	free(cmd);
	return rc == 0;
}

/* The volume inside partition 2 of a whole-disk image file: libcryptsetup gets a loop
 * device with offset and size limit, and it is gone afterwards. */
static void partition_of_a_disk_image(void **state)
{
	(void)state;
	const struct image *im = image_named("bitlk-aes-xts-128");
	char *img = image_path(im->name);
	char *disk = wr_xasprintf("%s/disk.img", tmp_dir);
	struct stat st;
	assert_int_equal(stat(img, &st), 0);
	uint64_t start = 4096 * 512ULL, size = (uint64_t)st.st_size;
	char *cmd = wr_xasprintf(
		"set -e; truncate -s %llu '%s';"
		"printf 'label: gpt\\nstart=2048, size=2048, type=linux\\n"
		"start=4096, size=%llu, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7\\n' | sfdisk -q '%s';"
		"dd if='%s' of='%s' bs=1M seek=%llu oflag=seek_bytes conv=notrunc,sparse status=none",
		(unsigned long long)(start + size + (1 << 20)), disk, (unsigned long long)(size / 512),
		disk, img, disk, (unsigned long long)start);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	struct wr_keysource *ks = wr_keysource_new();
	assert_int_equal(wr_keysource_add_recovery_key(ks, conf(im, "RP"), NULL), 0);
	assert_int_equal(unlock_expect(im->name, disk, start, size, ks, WR_KEY_ACCEPTED, NULL), 1);
	assert_false(loop_attached_to(disk));
	/* Protectors are read at the offset too. */
	struct wr_report rep;
	struct wr_volume *vol = volume_for(&rep, im->name);
	free(vol->device);
	vol->device = wr_xstrdup(disk);
	vol->offset = start;
	assert_int_equal(wr_bitlocker_inspect(vol), 0);
	assert_true(has_protector(vol, "recovery_password", conf(im, "RP_VMK_GUID")));
	wr_report_free(&rep);
	wr_keysource_free(ks);
	free(disk);
	free(img);
}

static void not_bitlocker(void **state)
{
	(void)state;
	struct wr_report rep;
	struct wr_volume *vol = volume_for(&rep, "x");
	free(vol->device);
	vol->device = wr_xasprintf("%s/images.conf", img_dir);
	assert_int_equal(wr_bitlocker_inspect(vol), -ENOENT);
	assert_int_equal(vol->encryption, WR_ENC_NONE);
	assert_null(vol->bitlocker.open_error);
	wr_report_free(&rep);
}

int main(void)
{
	if (!bitlk_testdata_present())
		return 77;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(key_ids_match_images_conf),
		cmocka_unit_test(not_bitlocker),
		cmocka_unit_test(refused_kinds_cost_no_derivation),
		cmocka_unit_test(recovery_keys_right_and_wrong),
		cmocka_unit_test(second_recovery_key_and_several_given),
		cmocka_unit_test(passwords),
		cmocka_unit_test(startup_keys),
		cmocka_unit_test(keys_file_costs_one_derivation),
		cmocka_unit_test(partition_of_a_disk_image),
	};
	return cmocka_run_group_tests(tests, unpack, cleanup);
}
