/* JSON for what Windows needs to start (docs/report.md): windows_info per
 * Windows volume and the top-level boot_stores. */
#include "winrescue/report_boot.h"

#include "winrescue/util.h"

static json_object *string_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static void add(json_object *obj, const char *key, json_object *value)
{
	json_object_object_add(obj, key, value);
}

static json_object *start_or_null(enum wr_start_type t)
{
	return t == WR_START_ABSENT ? NULL : json_object_new_string(wr_start_type_name(t));
}

static json_object *hive_state_to_json(const struct wr_windows_info *wi)
{
	json_object *o = json_object_new_object();
	const char *state = wi->hive_error && !wi->seq1 && !wi->seq2 ? "unreadable" :
		wi->hive_dirty ? "dirty" : "clean";
	add(o, "state", json_object_new_string(state));
	add(o, "sequence", NULL);
	if (wi->seq1 || wi->seq2) {
		json_object *seq = json_object_new_array();
		json_object_array_add(seq, json_object_new_uint64(wi->seq1));
		json_object_array_add(seq, json_object_new_uint64(wi->seq2));
		add(o, "sequence", seq);
	}
	add(o, "pending_logs", json_object_new_boolean(wi->pending_logs));
	add(o, "error", string_or_null(wi->hive_error));
	return o;
}

json_object *wr_windows_info_to_json(const struct wr_windows_info *wi)
{
	if (!wi)
		return NULL;
	json_object *o = json_object_new_object();
	add(o, "computer_name", string_or_null(wi->computer_name));
	add(o, "build", string_or_null(wi->build));
	add(o, "control_set", string_or_null(wi->control_set));
	json_object *sensor = NULL;
	if (wi->sensor_service) {
		sensor = json_object_new_object();
		add(sensor, "service", json_object_new_string(wi->sensor_service));
		add(sensor, "start", start_or_null(wi->sensor_start));
	}
	add(o, "sensor", sensor);
	json_object *drivers = json_object_new_object();
	for (size_t i = 0; i < WR_STORAGE_DRIVERS; i++)
		add(drivers, wr_storage_driver_names[i], start_or_null(wi->storage_start[i]));
	add(o, "storage_drivers", drivers);
	add(o, "controller", string_or_null(wi->controller));
	add(o, "hive", hive_state_to_json(wi));
	add(o, "warning", string_or_null(wi->warning));
	return o;
}

static json_object *entry_to_json(const struct wr_boot_entry *e)
{
	static const char *const modes[] = { "minimal", "network", "dsrepair" };
	json_object *o = json_object_new_object();
	add(o, "id", string_or_null(e->id));
	add(o, "description", string_or_null(e->description));
	add(o, "default", json_object_new_boolean(e->is_default));
	json_object *sb = NULL;
	if (e->safeboot >= 0 && e->safeboot <= 2)
		sb = json_object_new_string(modes[e->safeboot]);
	else if (e->safeboot > 2)
		sb = json_object_new_int64(e->safeboot);
	add(o, "safeboot", sb);
	add(o, "safebootalternateshell", e->alternate_shell < 0 ? NULL :
		json_object_new_boolean(e->alternate_shell));
	return o;
}

static json_object *store_to_json(const struct wr_boot_store *bs)
{
	json_object *entries = json_object_new_array();
	for (size_t i = 0; i < bs->nentries; i++)
		json_object_array_add(entries, entry_to_json(&bs->entries[i]));
	json_object *o = json_object_new_object();
	add(o, "device", string_or_null(bs->device));
	add(o, "partition", bs->partition > 0 ? json_object_new_int(bs->partition) : NULL);
	add(o, "path", string_or_null(bs->path));
	add(o, "entries", entries);
	add(o, "filesystem", string_or_null(bs->filesystem));
	add(o, "offset", json_object_new_uint64(bs->offset));
	add(o, "action", json_object_new_string(wr_boot_action_name(bs->action)));
	add(o, "backup", string_or_null(bs->backup));
	add(o, "error", string_or_null(bs->error));
	return o;
}

json_object *wr_boot_stores_to_json(const struct wr_report *rep)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < rep->nboot_stores; i++)
		json_object_array_add(a, store_to_json(&rep->boot_stores[i]));
	return a;
}
