/* The machine-readable report: the contract of docs/report.md. Fields are only
 * ever added, so scripts that collect reports from a fleet keep working. */
#include "winrescue/report.h"

#include <json-c/json.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "winrescue/report_boot.h"
#include "report_internal.h"
#include "winrescue/outfile.h"
#include "winrescue/util.h"

/* Absent strings are JSON null, not "", so a script can tell "none" from "empty". */
static json_object *string_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static void add(json_object *obj, const char *key, json_object *value)
{
	json_object_object_add(obj, key, value);
}

/* NTFS time 0 means the time was never read; anything else is rendered as UTC. */
static json_object *ntfs_time_or_null(int64_t ntfs_time)
{
	if (ntfs_time == 0)
		return NULL;
	char buf[32];
	wr_format_utc(wr_ntfs_time_to_unix(ntfs_time), buf);
	return json_object_new_string(buf);
}

static json_object *machine_to_json(const struct wr_machine *m)
{
	json_object *o = json_object_new_object();
	add(o, "vendor", string_or_null(m->vendor));
	add(o, "product", string_or_null(m->product));
	add(o, "serial", string_or_null(m->serial));
	add(o, "uuid", string_or_null(m->uuid));
	add(o, "asset_tag", string_or_null(m->asset_tag));
	add(o, "chassis_serial", string_or_null(m->chassis_serial));
	return o;
}

static json_object *state_flags_to_json(unsigned state)
{
	static const struct { unsigned bit; const char *name; } flags[] = {
		{ WR_STATE_UNCLEAN_JOURNAL, "unclean_journal" },
		{ WR_STATE_HIBERNATED, "hibernated" },
		{ WR_STATE_FAST_STARTUP, "fast_startup" },
		{ WR_STATE_DIRTY, "dirty" },
	};
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (state & flags[i].bit)
			json_object_array_add(a, json_object_new_string(flags[i].name));
	return a;
}

static json_object *file_to_json(const struct wr_file *f)
{
	json_object *o = json_object_new_object();
	add(o, "path", string_or_null(f->path));
	add(o, "size", json_object_new_uint64(f->size));
	add(o, "created", ntfs_time_or_null(f->created));
	add(o, "modified", ntfs_time_or_null(f->modified));
	add(o, "time_class", json_object_new_string(wr_time_class_name(f->time_class)));
	add(o, "content_class", json_object_new_string(wr_content_class_name(f->content_class)));
	add(o, "action", json_object_new_string(wr_action_name(f->action)));
	add(o, "backup", string_or_null(f->backup));
	add(o, "error", string_or_null(f->error));
	add(o, "link", string_or_null(f->link));
	return o;
}

static json_object *files_to_json(const struct wr_volume *v)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < v->nfiles; i++)
		json_object_array_add(a, file_to_json(&v->files[i]));
	return a;
}

static json_object *protectors_to_json(const struct wr_bitlocker *bl)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < bl->nprotectors; i++) {
		json_object *p = json_object_new_object();
		char name[WR_PROTECTOR_NAME_MAX];
		add(p, "type", json_object_new_string(wr_protector_name(&bl->protectors[i], name)));
		add(p, "key_id", bl->protectors[i].key_id[0] ?
			json_object_new_string(bl->protectors[i].key_id) : NULL);
		json_object_array_add(a, p);
	}
	return a;
}

/* The Key IDs an admin looks up in a key export. */
static json_object *recovery_key_ids_to_json(const struct wr_bitlocker *bl)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < bl->nprotectors; i++) {
		if (wr_protector_has_recovery_key_id(&bl->protectors[i]))
			json_object_array_add(a, json_object_new_string(bl->protectors[i].key_id));
	}
	return a;
}

static void add_bitlocker(json_object *o, const struct wr_bitlocker *bl)
{
	add(o, "protectors", protectors_to_json(bl));
	add(o, "key_ids", recovery_key_ids_to_json(bl));
	add(o, "key_check", json_object_new_string(wr_key_check_name(bl->key_check)));
	add(o, "unlocked_with", string_or_null(wr_protector_type_name(bl->unlocked_with)));
	add(o, "unlocked_key_id", string_or_null(bl->unlocked_key_id));
	add(o, "open_error", string_or_null(bl->open_error));
	add(o, "cipher", string_or_null(bl->cipher));
	add(o, "unlocked_via", string_or_null(wr_unlock_path_name(bl->unlocked_via)));
	add(o, "suspended", json_object_new_boolean(bl->suspended));
	add(o, "conversion", json_object_new_string(wr_conversion_name(bl->conversion)));
	add(o, "encrypted_percent", bl->encrypted_percent >= 0
		? json_object_new_int(bl->encrypted_percent) : NULL);
}

static json_object *volume_to_json(const struct wr_volume *v)
{
	json_object *o = json_object_new_object();
	add(o, "device", string_or_null(v->device));
	add(o, "partition", v->partition > 0 ? json_object_new_int(v->partition) : NULL);
	add(o, "partition_device", string_or_null(v->partition_dev));
	add(o, "partition_type", string_or_null(v->part_type));
	add(o, "offset", json_object_new_uint64(v->offset));
	add(o, "size", json_object_new_uint64(v->size));
	add(o, "filesystem", string_or_null(v->fs_type));
	add(o, "label", string_or_null(v->label));
	add(o, "serial", string_or_null(v->serial));
	add(o, "encryption", json_object_new_string(wr_encryption_name(v->encryption)));
	add(o, "state", json_object_new_string(wr_state_name(v->state)));
	add(o, "state_flags", state_flags_to_json(v->state));
	add(o, "in_use", string_or_null(v->in_use));
	add(o, "windows", json_object_new_boolean(v->windows));
	if (v->windows)
		add(o, "windows_info", wr_windows_info_to_json(v->windows_info));
	add(o, "status", json_object_new_string(wr_volume_status_name(v->status)));
	add(o, "message", string_or_null(v->message));
	if (v->encryption == WR_ENC_BITLOCKER)
		add_bitlocker(o, &v->bitlocker);
	add(o, "files", files_to_json(v));
	return o;
}

static json_object *summary_to_json(const struct wr_report *rep)
{
	size_t windows = 0, found = 0, deleted = 0, failed = 0;
	for (size_t i = 0; i < rep->nvolumes; i++) {
		const struct wr_volume *v = &rep->volumes[i];
		windows += v->windows;
		found += v->nfiles;
		for (size_t j = 0; j < v->nfiles; j++) {
			deleted += v->files[j].action == WR_ACTION_DELETED;
			failed += v->files[j].action == WR_ACTION_FAILED;
		}
	}
	json_object *o = json_object_new_object();
	add(o, "volumes", json_object_new_uint64(rep->nvolumes));
	add(o, "windows_volumes", json_object_new_uint64(windows));
	add(o, "files_found", json_object_new_uint64(found));
	add(o, "files_deleted", json_object_new_uint64(deleted));
	add(o, "files_failed", json_object_new_uint64(failed));
	return o;
}

static const char *signal_name(int sig)
{
	switch (sig) {
	case SIGINT: return "SIGINT";
	case SIGTERM: return "SIGTERM";
	case SIGHUP: return "SIGHUP";
	case SIGQUIT: return "SIGQUIT";
	default: return "signal";
	}
}

static json_object *report_to_json_object(const struct wr_report *rep)
{
	char when[32];
	wr_format_utc(rep->time, when);
	json_object *o = json_object_new_object();
	add(o, "tool", json_object_new_string("winrescue"));
	add(o, "version", string_or_null(rep->version));
	add(o, "command", json_object_new_string(wr_command_name(rep->command, rep->dry_run)));
	add(o, "dry_run", json_object_new_boolean(rep->dry_run));
	add(o, "time", json_object_new_string(when));
	add(o, "machine", machine_to_json(&rep->machine));
	json_object *vols = json_object_new_array();
	for (size_t i = 0; i < rep->nvolumes; i++)
		json_object_array_add(vols, volume_to_json(&rep->volumes[i]));
	add(o, "volumes", vols);
	add(o, "boot_stores", wr_boot_stores_to_json(rep));
	add(o, "summary", summary_to_json(rep));
	add(o, "storage", wr_storage_to_json(rep->storage));
	json_object *warnings = json_object_new_array();
	for (size_t i = 0; i < rep->nwarnings; i++)
		json_object_array_add(warnings, json_object_new_string(rep->warnings[i]));
	add(o, "warnings", warnings);
	add(o, "result", json_object_new_string(wr_result_name(rep->result)));
	/* A run ended by a signal exits 128 + signal (the shell's convention). */
	add(o, "exit_code", json_object_new_int(rep->interrupted ? 128 + rep->interrupted
								 : (int)rep->result));
	add(o, "interrupted", rep->interrupted ?
		json_object_new_string(signal_name(rep->interrupted)) : NULL);
	return o;
}

char *wr_report_to_json(const struct wr_report *rep)
{
	json_object *o = report_to_json_object(rep);
	const char *text = json_object_to_json_string_ext(o,
		JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
	char *copy = wr_xasprintf("%s\n", text);
	json_object_put(o);
	return copy;
}

int wr_report_write_file(const struct wr_report *rep, const char *path)
{
	char *text = wr_report_to_json(rep);
	int rc = wr_output_write(path, text, strlen(text));
	free(text);
	return rc;
}
