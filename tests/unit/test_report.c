/* The report as people and scripts see it: the JSON contract of docs/report.md
 * parsed back with json-c, the table as text, the machine identity from sysfs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "winrescue/model.h"
#include "winrescue/machine.h"
#include "winrescue/report.h"
#include "winrescue/util.h"

#define FAULTY_UNIX 1721362140LL   /* 2024-07-19T04:09:00Z */
#define REVERTED_UNIX 1721366820LL /* 2024-07-19T05:27:00Z */
#define CREATED_UNIX 1721361600LL  /* 2024-07-19T04:00:00Z */
#define CS_DIR "\\Windows\\System32\\drivers\\CrowdStrike\\"
#define TPM_ID "0A1B2C3D-0000-4000-8000-000000000001"
#define RECOVERY_ID "6E5D4C3B-1111-4222-8333-444455556666"
#define BACKUP_PATH "/mnt/stick/winrescue-backup/sda3/C-00000291-00000000-00000032.sys"

static int64_t ntfs_time(int64_t unix_time)
{
	return (unix_time + 11644473600LL) * 10000000LL;
}

static void add_file(struct wr_volume *v, const char *name, int64_t modified,
		     enum wr_time_class tc, enum wr_content_class cc, enum wr_action action)
{
	struct wr_file *f = wr_volume_add_file(v);
	f->path = wr_xasprintf(CS_DIR "%s", name);
	f->size = 41000;
	f->created = ntfs_time(CREATED_UNIX);
	f->modified = ntfs_time(modified);
	f->time_class = tc;
	f->content_class = cc;
	f->action = action;
}

static struct wr_volume *add_volume(struct wr_report *rep, const char *part_dev, int part,
				    const char *fs, const char *label)
{
	struct wr_volume *v = wr_report_add_volume(rep);
	v->device = wr_xstrdup(part ? "/dev/sda" : part_dev);
	v->partition_dev = part ? wr_xstrdup(part_dev) : NULL;
	v->partition = part;
	v->part_type = part ? wr_xstrdup("Microsoft basic data") : NULL;
	v->offset = part ? 1048576ULL * (uint64_t)part : 0;
	v->size = 255ULL << 30;
	v->fs_type = wr_xstrdup(fs);
	v->label = wr_xstrdup(label);
	return v;
}

/* A plain NTFS Windows volume with a file in every action. */
static void add_plain_windows(struct wr_report *rep)
{
	struct wr_volume *v = add_volume(rep, "/dev/sda3", 3, "ntfs", "Windows");
	v->serial = wr_xstrdup("01DAD9A1B2C3D4E5");
	v->windows = true;
	v->state = WR_STATE_DIRTY;
	v->status = WR_VOL_FIX_NEEDED;
	add_file(v, "C-00000291-00000000-00000032.sys", FAULTY_UNIX, WR_TIME_FAULTY,
		 WR_CONTENT_ZERO, WR_ACTION_WOULD_DELETE);
	add_file(v, "C-00000291-00000000-00000033.sys", FAULTY_UNIX, WR_TIME_FAULTY,
		 WR_CONTENT_MAGIC, WR_ACTION_DELETED);
	v->files[1].backup = wr_xstrdup(BACKUP_PATH);
	add_file(v, "C-00000291-00000000-00000034.sys", FAULTY_UNIX, WR_TIME_FAULTY,
		 WR_CONTENT_EMPTY, WR_ACTION_FAILED);
	v->files[2].error = wr_xstrdup("could not delete: Input/output error");
	add_file(v, "C-00000291-00000000-00000035.sys", REVERTED_UNIX, WR_TIME_GOOD,
		 WR_CONTENT_MAGIC, WR_ACTION_NONE);
}

static void add_bitlocker_locked(struct wr_report *rep)
{
	struct wr_volume *v = add_volume(rep, "/dev/nvme0n1p3", 3, "BitLocker", NULL);
	v->encryption = WR_ENC_BITLOCKER;
	v->windows = false;
	v->status = WR_VOL_LOCKED;
	v->message = wr_xstrdup("The recovery key does not open this volume: "
		"look up Key ID " RECOVERY_ID " in the key export.");
	struct wr_protector *p = wr_bitlocker_add_protector(&v->bitlocker);
	p->type = WR_PROTECTOR_TPM;
	strcpy(p->key_id, TPM_ID);
	p = wr_bitlocker_add_protector(&v->bitlocker);
	p->type = WR_PROTECTOR_RECOVERY_PASSWORD;
	strcpy(p->key_id, RECOVERY_ID);
	v->bitlocker.key_check = WR_KEY_REJECTED;
	v->bitlocker.open_error = wr_xstrdup("wrong recovery key");
}

/* A BitLocker volume inside a disk image: partition without a kernel node. */
static void add_bitlocker_unlocked(struct wr_report *rep)
{
	struct wr_volume *v = wr_report_add_volume(rep);
	v->device = wr_xstrdup("disk.img");
	v->partition = 2;
	v->offset = 16777216;
	v->size = 64ULL << 20;
	v->fs_type = wr_xstrdup("BitLocker");
	v->encryption = WR_ENC_BITLOCKER;
	v->windows = true;
	v->status = WR_VOL_FIXED;
	struct wr_protector *p = wr_bitlocker_add_protector(&v->bitlocker);
	p->type = WR_PROTECTOR_RECOVERY_PASSWORD;
	strcpy(p->key_id, RECOVERY_ID);
	v->bitlocker.cipher = wr_xstrdup("aes-xts-plain64");
	v->bitlocker.key_check = WR_KEY_ACCEPTED;
	v->bitlocker.unlocked_with = WR_PROTECTOR_RECOVERY_PASSWORD;
	v->bitlocker.unlocked_key_id = wr_xstrdup(RECOVERY_ID);
	v->bitlocker.unlocked_via = WR_VIA_USERSPACE;
	v->bitlocker.encrypted_percent = 100;
	add_file(v, "C-00000291-00000000-00000040.sys", FAULTY_UNIX, WR_TIME_FAULTY,
		 WR_CONTENT_MAGIC, WR_ACTION_DELETED);
}

static void add_refused(struct wr_report *rep)
{
	struct wr_volume *v = add_volume(rep, "/dev/sdb2", 2, "ntfs", "OS");
	v->windows = true;
	v->state = WR_STATE_HIBERNATED | WR_STATE_UNCLEAN_JOURNAL;
	v->status = WR_VOL_REFUSED;
	v->in_use = wr_xstrdup("mounted on /mnt/windows");
	v->message = wr_xstrdup("Windows is hibernated: writing now would lose the hibernated "
		"session and may corrupt the volume. Boot Windows and shut it down fully, or "
		"use --force-hibernated to discard the hibernation file.");
}

static void add_not_windows(struct wr_report *rep)
{
	struct wr_volume *v = add_volume(rep, "/dev/sda1", 1, "vfat", "SYSTEM");
	v->size = 100ULL << 20;
	v->status = WR_VOL_NOT_WINDOWS;
}

static void build_full_report(struct wr_report *rep)
{
	wr_report_init(rep, WR_COMMAND_FIX, false);
	rep->time = FAULTY_UNIX + 3600 * 24;
	rep->machine.vendor = wr_xstrdup("LENOVO");
	rep->machine.product = wr_xstrdup("20XW00ABUS");
	add_not_windows(rep);
	add_plain_windows(rep);
	add_bitlocker_locked(rep);
	add_bitlocker_unlocked(rep);
	add_refused(rep);
	wr_report_finish(rep);
}

/* ---- JSON helpers ---- */

static json_object *member(json_object *o, const char *key, json_type type)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(o, key, &v)) {
		print_error("missing key \"%s\"\n", key);
		fail();
	}
	if (!json_object_is_type(v, type)) {
		print_error("key \"%s\" has type %s, want %s\n", key,
			    json_type_to_name(json_object_get_type(v)), json_type_to_name(type));
		fail();
	}
	return v;
}

static const char *str_member(json_object *o, const char *key)
{
	return json_object_get_string(member(o, key, json_type_string));
}

static int64_t int_member(json_object *o, const char *key)
{
	return json_object_get_int64(member(o, key, json_type_int));
}

static bool bool_member(json_object *o, const char *key)
{
	return json_object_get_boolean(member(o, key, json_type_boolean));
}

static void assert_keys_exactly(json_object *o, const char *const *keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_true(json_object_object_get_ex(o, keys[i], NULL));
	assert_int_equal(json_object_object_length(o), n);
}

static json_object *parse_report(const struct wr_report *rep)
{
	char *text = wr_report_to_json(rep);
	assert_non_null(text);
	json_object *root = json_tokener_parse(text);
	free(text);
	assert_non_null(root);
	return root;
}

static json_object *volume_at(json_object *root, size_t i)
{
	json_object *vols = member(root, "volumes", json_type_array);
	assert_true(i < json_object_array_length(vols));
	return json_object_array_get_idx(vols, i);
}

static json_object *file_at(json_object *vol, size_t i)
{
	json_object *files = member(vol, "files", json_type_array);
	assert_true(i < json_object_array_length(files));
	return json_object_array_get_idx(files, i);
}

static const char *const VOLUME_KEYS[] = {
	"device", "partition", "partition_device", "partition_type", "offset", "size",
	"filesystem", "label", "serial", "encryption", "state", "state_flags", "in_use",
	"windows", "status", "message", "files",
};
static const char *const BITLOCKER_KEYS[] = {
	"protectors", "key_ids", "key_check", "unlocked_with", "unlocked_key_id", "open_error",
	"cipher", "unlocked_via", "suspended", "conversion", "encrypted_percent",
};
static const char *const FILE_KEYS[] = {
	"path", "size", "created", "modified", "time_class", "content_class", "action",
	"backup", "error", "link",
};
#define N(a) (sizeof(a) / sizeof((a)[0]))

static void assert_volume_keys(json_object *vol, bool bitlocker)
{
	const char *keys[N(VOLUME_KEYS) + N(BITLOCKER_KEYS) + 1];
	size_t n = 0;
	for (size_t i = 0; i < N(VOLUME_KEYS); i++)
		keys[n++] = VOLUME_KEYS[i];
	if (bool_member(vol, "windows"))
		keys[n++] = "windows_info";  /* null until the SYSTEM hive was read */
	for (size_t i = 0; bitlocker && i < N(BITLOCKER_KEYS); i++)
		keys[n++] = BITLOCKER_KEYS[i];
	assert_keys_exactly(vol, keys, n);
}

/* ---- JSON tests ---- */

static void json_top_level_fields(void **state)
{
	(void)state;
	struct wr_report rep;
	build_full_report(&rep);
	json_object *root = parse_report(&rep);
	static const char *const keys[] = { "tool", "version", "command", "dry_run", "time",
		"machine", "volumes", "boot_stores", "summary", "storage", "warnings", "result",
		"exit_code", "interrupted" };
	assert_keys_exactly(root, keys, N(keys));
	assert_string_equal(str_member(root, "tool"), "winrescue");
	assert_string_equal(str_member(root, "version"), WR_VERSION);
	assert_string_equal(str_member(root, "command"), "fix");
	assert_false(bool_member(root, "dry_run"));
	assert_string_equal(str_member(root, "time"), "2024-07-20T04:09:00Z");
	json_object *m = member(root, "machine", json_type_object);
	assert_string_equal(str_member(m, "vendor"), "LENOVO");
	assert_string_equal(str_member(m, "product"), "20XW00ABUS");
	member(m, "serial", json_type_null);
	/* Refused outranks fix needed, fixed and nothing to fix. */
	assert_string_equal(str_member(root, "result"), "refused");
	assert_int_equal(int_member(root, "exit_code"), 32);
	json_object *s = member(root, "summary", json_type_object);
	assert_int_equal(int_member(s, "volumes"), 5);
	assert_int_equal(int_member(s, "windows_volumes"), 3);
	assert_int_equal(int_member(s, "files_found"), 5);
	assert_int_equal(int_member(s, "files_deleted"), 2);
	assert_int_equal(int_member(s, "files_failed"), 1);
	json_object_put(root);
	wr_report_free(&rep);
}

static void json_plain_volume_and_files(void **state)
{
	(void)state;
	struct wr_report rep;
	build_full_report(&rep);
	json_object *root = parse_report(&rep);
	json_object *v = volume_at(root, 1);
	assert_volume_keys(v, false);
	assert_string_equal(str_member(v, "device"), "/dev/sda");
	assert_int_equal(int_member(v, "partition"), 3);
	assert_string_equal(str_member(v, "partition_device"), "/dev/sda3");
	assert_string_equal(str_member(v, "partition_type"), "Microsoft basic data");
	assert_int_equal(int_member(v, "offset"), 3 * 1048576);
	assert_int_equal(int_member(v, "size"), 255LL << 30);
	assert_string_equal(str_member(v, "filesystem"), "ntfs");
	assert_string_equal(str_member(v, "label"), "Windows");
	assert_string_equal(str_member(v, "serial"), "01DAD9A1B2C3D4E5");
	assert_string_equal(str_member(v, "encryption"), "none");
	assert_string_equal(str_member(v, "state"), "dirty");
	json_object *flags = member(v, "state_flags", json_type_array);
	assert_int_equal(json_object_array_length(flags), 1);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(flags, 0)), "dirty");
	member(v, "in_use", json_type_null);
	assert_true(bool_member(v, "windows"));
	assert_string_equal(str_member(v, "status"), "fix_needed");
	member(v, "message", json_type_null);

	static const char *const actions[] = { "would_delete", "deleted", "failed", "none" };
	static const char *const contents[] = { "all_zero", "channel_magic", "empty", "channel_magic" };
	assert_int_equal(json_object_array_length(member(v, "files", json_type_array)), 4);
	for (size_t i = 0; i < 4; i++) {
		json_object *f = file_at(v, i);
		assert_keys_exactly(f, FILE_KEYS, N(FILE_KEYS));
		assert_string_equal(str_member(f, "action"), actions[i]);
		assert_string_equal(str_member(f, "content_class"), contents[i]);
		assert_int_equal(int_member(f, "size"), 41000);
		assert_string_equal(str_member(f, "created"), "2024-07-19T04:00:00Z");
	}
	json_object *f0 = file_at(v, 0);
	assert_string_equal(str_member(f0, "path"), CS_DIR "C-00000291-00000000-00000032.sys");
	assert_string_equal(str_member(f0, "modified"), "2024-07-19T04:09:00Z");
	assert_string_equal(str_member(f0, "time_class"), "faulty_0409");
	member(f0, "backup", json_type_null);
	member(f0, "error", json_type_null);
	assert_string_equal(str_member(file_at(v, 1), "backup"), BACKUP_PATH);
	assert_string_equal(str_member(file_at(v, 2), "error"), "could not delete: Input/output error");
	json_object *f3 = file_at(v, 3);
	assert_string_equal(str_member(f3, "modified"), "2024-07-19T05:27:00Z");
	assert_string_equal(str_member(f3, "time_class"), "reverted_0527");
	json_object_put(root);
	wr_report_free(&rep);
}

static void json_bitlocker_volumes(void **state)
{
	(void)state;
	struct wr_report rep;
	build_full_report(&rep);
	json_object *root = parse_report(&rep);

	json_object *locked = volume_at(root, 2);
	assert_volume_keys(locked, true);
	assert_string_equal(str_member(locked, "encryption"), "bitlocker");
	assert_string_equal(str_member(locked, "filesystem"), "BitLocker");
	member(locked, "label", json_type_null);
	assert_string_equal(str_member(locked, "status"), "locked");
	json_object *prot = member(locked, "protectors", json_type_array);
	assert_int_equal(json_object_array_length(prot), 2);
	assert_string_equal(str_member(json_object_array_get_idx(prot, 0), "type"), "tpm");
	assert_string_equal(str_member(json_object_array_get_idx(prot, 0), "key_id"), TPM_ID);
	assert_string_equal(str_member(json_object_array_get_idx(prot, 1), "type"), "recovery_password");
	/* Only a recovery password's Key ID finds a 48-digit key in an export. */
	json_object *ids = member(locked, "key_ids", json_type_array);
	assert_int_equal(json_object_array_length(ids), 1);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(ids, 0)), RECOVERY_ID);
	assert_string_equal(str_member(locked, "key_check"), "rejected");
	member(locked, "unlocked_with", json_type_null);
	member(locked, "unlocked_key_id", json_type_null);
	assert_string_equal(str_member(locked, "open_error"), "wrong recovery key");
	member(locked, "cipher", json_type_null);
	member(locked, "unlocked_via", json_type_null);
	assert_int_equal(json_object_array_length(member(locked, "files", json_type_array)), 0);

	json_object *open = volume_at(root, 3);
	assert_volume_keys(open, true);
	assert_string_equal(str_member(open, "device"), "disk.img");
	assert_int_equal(int_member(open, "partition"), 2);
	member(open, "partition_device", json_type_null);
	member(open, "partition_type", json_type_null);
	assert_string_equal(str_member(open, "key_check"), "accepted");
	assert_string_equal(str_member(open, "unlocked_with"), "recovery_password");
	assert_string_equal(str_member(open, "unlocked_key_id"), RECOVERY_ID);
	member(open, "open_error", json_type_null);
	assert_string_equal(str_member(open, "cipher"), "aes-xts-plain64");
	assert_string_equal(str_member(open, "unlocked_via"), "userspace");
	assert_false(bool_member(open, "suspended"));
	assert_string_equal(str_member(open, "conversion"), "complete");
	assert_int_equal(int_member(open, "encrypted_percent"), 100);
	assert_string_equal(str_member(open, "status"), "fixed");
	assert_string_equal(str_member(file_at(open, 0), "action"), "deleted");
	json_object_put(root);
	wr_report_free(&rep);
}

static void json_refused_and_other_volumes(void **state)
{
	(void)state;
	struct wr_report rep;
	build_full_report(&rep);
	json_object *root = parse_report(&rep);

	json_object *refused = volume_at(root, 4);
	assert_string_equal(str_member(refused, "status"), "refused");
	assert_string_equal(str_member(refused, "state"), "hibernated");
	json_object *flags = member(refused, "state_flags", json_type_array);
	assert_int_equal(json_object_array_length(flags), 2);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(flags, 0)), "unclean_journal");
	assert_string_equal(json_object_get_string(json_object_array_get_idx(flags, 1)), "hibernated");
	assert_string_equal(str_member(refused, "in_use"), "mounted on /mnt/windows");
	assert_non_null(strstr(str_member(refused, "message"), "Windows is hibernated"));

	json_object *other = volume_at(root, 0);
	assert_volume_keys(other, false);
	assert_false(bool_member(other, "windows"));
	assert_string_equal(str_member(other, "status"), "not_windows");
	assert_string_equal(str_member(other, "state"), "clean");
	assert_int_equal(json_object_array_length(member(other, "state_flags", json_type_array)), 0);
	member(other, "serial", json_type_null);
	json_object_put(root);
	wr_report_free(&rep);
}

/* A bare volume image: no partition, no machine identity, nothing to fix. */
static void json_nulls_for_bare_volume(void **state)
{
	(void)state;
	struct wr_report rep;
	wr_report_init(&rep, WR_COMMAND_FIX, true);
	struct wr_volume *v = add_volume(&rep, "volume.img", 0, "ntfs", NULL);
	v->windows = true;
	v->status = WR_VOL_CLEAN;
	wr_report_finish(&rep);
	json_object *root = parse_report(&rep);
	assert_true(bool_member(root, "dry_run"));
	assert_string_equal(str_member(root, "command"), "fix --dry-run");
	json_object *m = member(root, "machine", json_type_object);
	member(m, "vendor", json_type_null);
	member(m, "product", json_type_null);
	json_object *vol = volume_at(root, 0);
	assert_string_equal(str_member(vol, "device"), "volume.img");
	member(vol, "partition", json_type_null);
	member(vol, "partition_device", json_type_null);
	assert_int_equal(int_member(vol, "offset"), 0);
	assert_string_equal(str_member(root, "result"), "nothing_to_fix");
	assert_int_equal(int_member(root, "exit_code"), 0);
	json_object_put(root);
	wr_report_free(&rep);
}

/* No Windows anywhere: no_windows (2), ranked between fixed and fix needed; any
 * Windows volume read makes the usual result. */
static void no_windows_result(void **state)
{
	(void)state;
	struct wr_report rep;
	wr_report_init(&rep, WR_COMMAND_SCAN, false);
	assert_int_equal(wr_report_finish(&rep), WR_RESULT_NO_WINDOWS);
	add_volume(&rep, "blank.img", 0, NULL, NULL)->status = WR_VOL_NOT_WINDOWS;
	assert_int_equal(wr_report_finish(&rep), WR_RESULT_NO_WINDOWS);
	json_object *root = parse_report(&rep);
	assert_string_equal(str_member(root, "result"), "no_windows");
	assert_int_equal(int_member(root, "exit_code"), 2);
	json_object_put(root);
	add_volume(&rep, "locked.img", 0, "BitLocker", NULL)->status = WR_VOL_LOCKED;
	assert_int_equal(wr_report_finish(&rep), WR_RESULT_FIX_NEEDED);
	rep.volumes[1].status = WR_VOL_NOT_WINDOWS;
	struct wr_volume *win = add_volume(&rep, "win.img", 0, "ntfs", NULL);
	win->windows = true;
	win->status = WR_VOL_CLEAN;
	assert_int_equal(wr_report_finish(&rep), WR_RESULT_NOTHING_TO_FIX);
	assert_int_equal(wr_result_worse(WR_RESULT_NO_WINDOWS, WR_RESULT_FIXED), WR_RESULT_NO_WINDOWS);
	assert_int_equal(wr_result_worse(WR_RESULT_NO_WINDOWS, WR_RESULT_FIX_NEEDED),
			 WR_RESULT_FIX_NEEDED);
	wr_report_free(&rep);
}

static void json_written_atomically(void **state)
{
	(void)state;
	char dir[] = "/tmp/wr-report-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *path = wr_xasprintf("%s/report.json", dir);
	struct wr_report rep;
	build_full_report(&rep);
	assert_int_equal(wr_report_write_file(&rep, path), 0);
	json_object *root = json_object_from_file(path);
	assert_non_null(root);
	assert_string_equal(str_member(root, "tool"), "winrescue");
	assert_int_equal(json_object_array_length(member(root, "volumes", json_type_array)), 5);
	json_object_put(root);

	DIR *d = opendir(dir);
	assert_non_null(d);
	size_t entries = 0;
	for (struct dirent *e; (e = readdir(d));)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
			assert_string_equal(e->d_name, "report.json");
			entries++;
		}
	closedir(d);
	assert_int_equal(entries, 1);

	char *missing = wr_xasprintf("%s/no-such-dir/report.json", dir);
	assert_int_equal(wr_report_write_file(&rep, missing), -ENOENT);
	free(missing);
	wr_report_free(&rep);
	unlink(path);
	rmdir(dir);
	free(path);
}

/* ---- table ---- */

static char *render_table(const struct wr_report *rep, bool verbose)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	assert_non_null(out);
	assert_int_equal(wr_report_print_table(rep, out, verbose), 0);
	fclose(out);
	/* To look at the tables while changing them. */
	if (getenv("WR_SHOW_TABLES"))
		fputs(text, stdout);
	return text;
}

static size_t longest_line_columns(const char *text)
{
	size_t longest = 0, cols = 0;
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if (*p == '\n') {
			cols = 0;
			continue;
		}
		cols += (*p & 0xC0) != 0x80;
		if (cols > longest)
			longest = cols;
	}
	return longest;
}

static void assert_contains(const char *text, const char *word)
{
	if (!strstr(text, word)) {
		print_error("table lacks \"%s\":\n%s\n", word, text);
		fail();
	}
}

/* The row that starts on the line holding key, with its continuation lines
 * (a narrow table puts "would" over "delete"), has every word of words. */
static void assert_row_has(const char *text, const char *key, const char *words)
{
	const char *at = strstr(text, key);
	if (!at) {
		print_error("no row for \"%s\":\n%s\n", key, text);
		fail();
	}
	const char *start = at;
	while (start > text && start[-1] != '\n')
		start--;
	const char *end = strchr(at, '\n');
	while (end && end[1] == ' ')
		end = strchr(end + 1, '\n');
	char *row = strndup(start, end ? (size_t)(end - start) : strlen(start));
	char *list = strdup(words), *save = NULL;
	for (char *w = strtok_r(list, " ", &save); w; w = strtok_r(NULL, " ", &save))
		if (!strstr(row, w)) {
			print_error("row \"%s\" lacks \"%s\":\n%s\n", key, w, text);
			fail();
		}
	free(list);
	free(row);
}

static void table_has_what_a_person_needs(void **state)
{
	(void)state;
	struct wr_report rep;
	build_full_report(&rep);
	char *text = render_table(&rep, false);
	static const char *const headers[] = { "DEVICE", "PART", "SIZE", "FS", "LABEL",
		"WINDOWS", "STATE", "STATUS", "FILE", "MODIFIED", "TIME CLASS",
		"CONTENT", "ACTION" };
	for (size_t i = 0; i < N(headers); i++)
		assert_contains(text, headers[i]);
	assert_row_has(text, "/dev/sda1", "not Windows");
	assert_row_has(text, "/dev/sda3", "fix needed");
	assert_row_has(text, "/dev/sda3", "255G");
	assert_row_has(text, "/dev/sda1", "100M");
	assert_row_has(text, "/dev/nvme0n1p3", "locked");
	assert_row_has(text, "/dev/sdb2", "REFUSED");
	assert_row_has(text, "/dev/sdb2", "hibernated");
	assert_row_has(text, "disk.img", "BitLocker");
	/* Names shortened in the middle to keep each file on one line. */
	assert_row_has(text, "0000032.sys", "2024-07-19 04:09 faulty all zeros would delete");
	assert_row_has(text, "0000033.sys", "faulty channel deleted");
	assert_row_has(text, "0000034.sys", "empty FAILED");
	assert_row_has(text, "0000035.sys", "2024-07-19 05:27 reverted");
	assert_contains(text, "could not delete: Input/output error");
	/* Headings name each volume with files, messages sit under them. */
	assert_contains(text, "/dev/sda3 \"Windows\": 4 Channel File 291 files");
	assert_contains(text, "disk.img partition 2: 1 Channel File 291 file\n");
	assert_contains(text, "Windows is hibernated");
	assert_contains(text, "--force-hibernated");
	assert_contains(text, RECOVERY_ID);
	assert_contains(text, "Result: refused for safety");
	/* Only the file name: the folder is always the same. */
	assert_false(strstr(text, "System32"));
	assert_false(strstr(text, BACKUP_PATH));
	assert_true(longest_line_columns(text) <= 80);
	free(text);
	wr_report_free(&rep);
}

static void table_verbose_adds_details(void **state)
{
	(void)state;
	struct wr_report rep;
	build_full_report(&rep);
	char *text = render_table(&rep, true);
	static const char *const headers[] = { "OFFSET", "SERIAL", "ENCRYPTION", "KEY IDS",
		"PARTITION TYPE", "BACKUP" };
	for (size_t i = 0; i < N(headers); i++)
		assert_contains(text, headers[i]);
	assert_contains(text, CS_DIR "C-00000291-00000000-00000032.sys");
	assert_contains(text, BACKUP_PATH);
	assert_contains(text, "01DAD9A1B2C3D4E5");
	assert_contains(text, "3145728");
	assert_row_has(text, "/dev/nvme0n1p3", RECOVERY_ID);
	assert_false(strstr(text, TPM_ID));
	assert_contains(text, "In use: mounted on /mnt/windows");
	free(text);
	wr_report_free(&rep);
}

/* A Windows volume beside an EFI partition, with nfiles files in one action. */
static void build_one_windows(struct wr_report *rep, size_t nfiles, enum wr_action action,
			      enum wr_volume_status status)
{
	wr_report_init(rep, WR_COMMAND_FIX, true);
	add_not_windows(rep);
	struct wr_volume *v = add_volume(rep, "/dev/sda3", 3, "ntfs", "Windows");
	v->windows = true;
	v->status = status;
	for (size_t i = 0; i < nfiles; i++) {
		char *name = wr_xasprintf("C-00000291-00000000-0000003%zu.sys", i);
		add_file(v, name, FAULTY_UNIX, WR_TIME_FAULTY, WR_CONTENT_ZERO, action);
		free(name);
	}
	wr_report_finish(rep);
}

static void assert_result_line(size_t nfiles, enum wr_action action,
			       enum wr_volume_status status, const char *line)
{
	struct wr_report rep;
	build_one_windows(&rep, nfiles, action, status);
	char *text = render_table(&rep, false);
	assert_contains(text, line);
	assert_true(longest_line_columns(text) <= 80);
	free(text);
	wr_report_free(&rep);
}

static void table_result_lines(void **state)
{
	(void)state;
	assert_result_line(4, WR_ACTION_WOULD_DELETE, WR_VOL_FIX_NEEDED,
		"\nResult: fix needed — 4 files would be deleted (run `winrescue fix`)\n");
	assert_result_line(1, WR_ACTION_WOULD_DELETE, WR_VOL_FIX_NEEDED,
		"\nResult: fix needed — 1 file would be deleted (run `winrescue fix`)\n");
	assert_result_line(4, WR_ACTION_DELETED, WR_VOL_FIXED, "\nResult: fixed — 4 files deleted");
	assert_result_line(2, WR_ACTION_FAILED, WR_VOL_ERROR,
		"\nResult: error — 2 files could not be deleted");
	assert_result_line(0, WR_ACTION_NONE, WR_VOL_CLEAN, "\nResult: nothing to fix");
	assert_result_line(0, WR_ACTION_NONE, WR_VOL_LOCKED,
		"\nResult: fix needed — 1 BitLocker volume locked");
}

/* ---- machine identity ---- */

static void write_text(const char *dir, const char *name, const char *text)
{
	char *path = wr_xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(path);
}

static void remove_fake_dmi(const char *dir)
{
	static const char *const names[] = { "sys_vendor", "product_name", "product_serial" };
	for (size_t i = 0; i < N(names); i++) {
		char *path = wr_xasprintf("%s/%s", dir, names[i]);
		unlink(path);
		free(path);
	}
	rmdir(dir);
}

static void machine_reads_trimmed_dmi(void **state)
{
	(void)state;
	char dir[] = "/tmp/wr-dmi-XXXXXX";
	assert_non_null(mkdtemp(dir));
	write_text(dir, "sys_vendor", "LENOVO\n");
	write_text(dir, "product_name", "  20XW00ABUS \t\n");
	write_text(dir, "product_serial", "PF2ABCDE\n");
	struct wr_machine m = { 0 };
	wr_machine_read(&m, dir);
	assert_string_equal(m.vendor, "LENOVO");
	assert_string_equal(m.product, "20XW00ABUS");
	assert_string_equal(m.serial, "PF2ABCDE");
	free(m.vendor);
	free(m.product);
	free(m.serial);
	remove_fake_dmi(dir);
}

static void machine_placeholders_are_absent(void **state)
{
	(void)state;
	static const char *const placeholders[] = { "To be filled by O.E.M.\n",
		"Default string\n", "0\n", "None\n", "System Serial Number\n", "\n", "   \n" };
	char dir[] = "/tmp/wr-dmi-XXXXXX";
	assert_non_null(mkdtemp(dir));
	write_text(dir, "sys_vendor", "Dell Inc.\n");
	for (size_t i = 0; i < N(placeholders); i++) {
		write_text(dir, "product_serial", placeholders[i]);
		struct wr_machine m = { 0 };
		wr_machine_read(&m, dir);
		assert_string_equal(m.vendor, "Dell Inc.");
		assert_null(m.product);     /* no such file */
		assert_null(m.serial);
		free(m.vendor);
	}
	remove_fake_dmi(dir);

	struct wr_machine none = { 0 };
	wr_machine_read(&none, "/nonexistent/dmi");
	assert_null(none.vendor);
	assert_null(none.product);
	assert_null(none.serial);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_top_level_fields),
		cmocka_unit_test(json_plain_volume_and_files),
		cmocka_unit_test(json_bitlocker_volumes),
		cmocka_unit_test(json_refused_and_other_volumes),
		cmocka_unit_test(json_nulls_for_bare_volume),
		cmocka_unit_test(no_windows_result),
		cmocka_unit_test(json_written_atomically),
		cmocka_unit_test(table_has_what_a_person_needs),
		cmocka_unit_test(table_verbose_adds_details),
		cmocka_unit_test(table_result_lines),
		cmocka_unit_test(machine_reads_trimmed_dmi),
		cmocka_unit_test(machine_placeholders_are_absent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
