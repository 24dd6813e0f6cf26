#include "winrescue/model.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "winrescue/storage.h"
#include "winrescue/util.h"

void wr_report_init(struct wr_report *rep, enum wr_command command, bool dry_run)
{
	memset(rep, 0, sizeof(*rep));
	rep->version = wr_xstrdup(WR_VERSION);
	rep->command = command;
	rep->dry_run = dry_run;
	rep->time = time(NULL);
}

void wr_report_add_warning(struct wr_report *rep, const char *fmt, ...)
{
	char **slot = wr_array_grow(&rep->warnings, &rep->nwarnings, sizeof(*slot));
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(slot, fmt, ap) < 0)
		abort();
	va_end(ap);
}

static void file_free(struct wr_file *f)
{
	free(f->path);
	free(f->backup);
	free(f->error);
	free(f->link);
}

void wr_bitlocker_clear(struct wr_bitlocker *bl)
{
	free(bl->protectors);
	free(bl->cipher);
	free(bl->unlocked_key_id);
	free(bl->open_error);
	memset(bl, 0, sizeof(*bl));
}

static void volume_free(struct wr_volume *v)
{
	free(v->device);
	free(v->partition_dev);
	free(v->part_type);
	free(v->fs_type);
	free(v->label);
	free(v->serial);
	free(v->in_use);
	free(v->message);
	wr_bitlocker_clear(&v->bitlocker);
	wr_windows_info_free(v->windows_info);
	for (size_t i = 0; i < v->nfiles; i++)
		file_free(&v->files[i]);
	free(v->files);
}

void wr_report_free(struct wr_report *rep)
{
	for (size_t i = 0; i < rep->nvolumes; i++)
		volume_free(&rep->volumes[i]);
	free(rep->volumes);
	wr_boot_stores_free(rep->boot_stores, rep->nboot_stores);
	free(rep->version);
	free(rep->machine.vendor);
	free(rep->machine.product);
	free(rep->machine.serial);
	free(rep->machine.uuid);
	free(rep->machine.asset_tag);
	free(rep->machine.chassis_serial);
	for (size_t i = 0; i < rep->nwarnings; i++)
		free(rep->warnings[i]);
	free(rep->warnings);
	wr_storage_free(rep->storage);
	memset(rep, 0, sizeof(*rep));
}

struct wr_volume *wr_report_add_volume(struct wr_report *rep)
{
	return wr_array_grow(&rep->volumes, &rep->nvolumes, sizeof(struct wr_volume));
}

size_t wr_volume_failed_files(const struct wr_volume *vol)
{
	size_t n = 0;
	for (size_t i = 0; i < vol->nfiles; i++)
		n += vol->files[i].action == WR_ACTION_FAILED;
	return n;
}

struct wr_file *wr_volume_add_file(struct wr_volume *vol)
{
	return wr_array_grow(&vol->files, &vol->nfiles, sizeof(struct wr_file));
}

struct wr_protector *wr_bitlocker_add_protector(struct wr_bitlocker *bl)
{
	return wr_array_grow(&bl->protectors, &bl->nprotectors, sizeof(struct wr_protector));
}

/* Order of seriousness for a script that reads one code for the whole run. */
static int severity(enum wr_result r)
{
	switch (r) {
	case WR_RESULT_NOTHING_TO_FIX: return 0;
	case WR_RESULT_FIXED: return 1;
	case WR_RESULT_NO_WINDOWS: return 2;
	case WR_RESULT_FIX_NEEDED: return 3;
	case WR_RESULT_REFUSED: return 4;
	case WR_RESULT_ERROR: return 5;
	case WR_RESULT_USAGE: return 6;
	}
	return 6;
}

enum wr_result wr_result_worse(enum wr_result a, enum wr_result b)
{
	return severity(a) >= severity(b) ? a : b;
}

static enum wr_result volume_result(const struct wr_volume *v)
{
	switch (v->status) {
	case WR_VOL_NOT_WINDOWS:
	case WR_VOL_CLEAN: return WR_RESULT_NOTHING_TO_FIX;
	case WR_VOL_FIX_NEEDED: return WR_RESULT_FIX_NEEDED;
	case WR_VOL_FIXED: return WR_RESULT_FIXED;
	case WR_VOL_REFUSED: return WR_RESULT_REFUSED;
	/* A locked volume may hold the bad file: nobody can say it is fine. */
	case WR_VOL_LOCKED: return WR_RESULT_FIX_NEEDED;
	case WR_VOL_ERROR: return WR_RESULT_ERROR;
	}
	return WR_RESULT_ERROR;
}

/* "Nothing to fix" may only be said about a Windows volume that was read: a run
 * that saw no Windows anywhere (no disk, no NTFS, a blank or foreign disk) says so. */
static bool windows_found(const struct wr_report *rep)
{
	for (size_t i = 0; i < rep->nvolumes; i++)
		if (rep->volumes[i].windows)
			return true;
	return false;
}

enum wr_result wr_report_finish(struct wr_report *rep)
{
	enum wr_result r = windows_found(rep) ? WR_RESULT_NOTHING_TO_FIX : WR_RESULT_NO_WINDOWS;
	for (size_t i = 0; i < rep->nvolumes; i++)
		r = wr_result_worse(r, volume_result(&rep->volumes[i]));
	for (size_t i = 0; i < rep->nboot_stores; i++)
		r = wr_result_worse(r, wr_boot_store_result(&rep->boot_stores[i]));
	rep->result = r;
	return r;
}

const char *wr_result_name(enum wr_result r)
{
	switch (r) {
	case WR_RESULT_NOTHING_TO_FIX: return "nothing_to_fix";
	case WR_RESULT_FIXED: return "fixed";
	case WR_RESULT_NO_WINDOWS: return "no_windows";
	case WR_RESULT_FIX_NEEDED: return "fix_needed";
	case WR_RESULT_ERROR: return "error";
	case WR_RESULT_USAGE: return "usage_error";
	case WR_RESULT_REFUSED: return "refused";
	}
	return "error";
}

const char *wr_time_class_name(enum wr_time_class c)
{
	static const char *const n[] = { "other", "faulty_0409", "reverted_0527" };
	return n[c];
}

const char *wr_content_class_name(enum wr_content_class c)
{
	static const char *const n[] = { "other", "channel_magic", "all_zero", "empty", "unreadable" };
	return n[c];
}

const char *wr_action_name(enum wr_action a)
{
	static const char *const n[] = { "none", "would_delete", "deleted", "failed" };
	return n[a];
}

const char *wr_volume_status_name(enum wr_volume_status s)
{
	static const char *const n[] = { "not_windows", "clean", "fix_needed", "fixed",
		"refused", "locked", "error" };
	return n[s];
}

const char *wr_key_check_name(enum wr_key_check k)
{
	static const char *const n[] = { "not_tried", "accepted", "rejected" };
	return n[k];
}

const char *wr_encryption_name(enum wr_encryption e)
{
	return e == WR_ENC_BITLOCKER ? "bitlocker" : "none";
}

const char *wr_conversion_name(enum wr_conversion c)
{
	static const char *const n[] = { "complete", "encrypting", "decrypting", "paused",
		"partial", "decrypted" };
	return n[c];
}

const char *wr_unlock_path_name(enum wr_unlock_path p)
{
	static const char *const n[] = { NULL, "dm-crypt", "userspace" };
	return n[p];
}

const char *wr_state_name(unsigned state)
{
	if (state & WR_STATE_HIBERNATED) return "hibernated";
	if (state & WR_STATE_FAST_STARTUP) return "fast_startup";
	if (state & WR_STATE_UNCLEAN_JOURNAL) return "unclean_journal";
	if (state & WR_STATE_DIRTY) return "dirty";
	return "clean";
}

const char *wr_command_name(enum wr_command c, bool dry_run)
{
	switch (c) {
	case WR_COMMAND_SCAN: return "scan";
	case WR_COMMAND_FIX: return dry_run ? "fix --dry-run" : "fix";
	case WR_COMMAND_GUIDED: return "guided";
	case WR_COMMAND_SAFE_MODE: return "safe-mode";
	case WR_COMMAND_SAFE_MODE_UNDO: return "safe-mode --undo";
	}
	return "scan";
}

const char *wr_protector_type_name(enum wr_protector_type t)
{
	static const char *const n[] = {
		[WR_PROTECTOR_NONE] = NULL,
		[WR_PROTECTOR_UNKNOWN] = "unknown",
		[WR_PROTECTOR_CLEAR_KEY] = "clear_key",
		[WR_PROTECTOR_TPM] = "tpm",
		[WR_PROTECTOR_STARTUP_KEY] = "startup_key",
		[WR_PROTECTOR_TPM_STARTUP_KEY] = "tpm_startup_key",
		[WR_PROTECTOR_TPM_PIN] = "tpm_pin",
		[WR_PROTECTOR_TPM_PIN_STARTUP_KEY] = "tpm_pin_startup_key",
		[WR_PROTECTOR_RECOVERY_PASSWORD] = "recovery_password",
		[WR_PROTECTOR_SMART_CARD] = "smart_card",
		[WR_PROTECTOR_PASSWORD] = "password",
	};
	return (size_t)t < sizeof(n) / sizeof(*n) ? n[t] : "unknown";
}

const char *wr_protector_name(const struct wr_protector *p, char buf[WR_PROTECTOR_NAME_MAX])
{
	if (p->type != WR_PROTECTOR_UNKNOWN)
		return wr_protector_type_name(p->type);
	snprintf(buf, WR_PROTECTOR_NAME_MAX, "unknown_0x%04x", p->protection);
	return buf;
}

const char *wr_volume_source(const struct wr_volume *v, uint64_t *offset, uint64_t *size)
{
	if (offset)
		*offset = v->partition_dev ? 0 : v->offset;
	if (size)
		*size = v->partition_dev ? 0 : v->size;
	return v->partition_dev ? v->partition_dev : v->device;
}

bool wr_protector_has_recovery_key_id(const struct wr_protector *p)
{
	return p->type == WR_PROTECTOR_RECOVERY_PASSWORD && p->key_id[0];
}

const char *wr_volume_recovery_key_id(const struct wr_volume *v)
{
	for (size_t i = 0; i < v->bitlocker.nprotectors; i++)
		if (wr_protector_has_recovery_key_id(&v->bitlocker.protectors[i]))
			return v->bitlocker.protectors[i].key_id;
	return NULL;
}
