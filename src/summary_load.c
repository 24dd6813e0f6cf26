/* Reading the reports of a fleet: files and folders of them, each parsed with
 * json-c and kept only when it is a winrescue report; then grouped by machine. */
#include "winrescue/summary.h"

#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "winrescue/util.h"

#define MAX_REPORT_BYTES (64u << 20)  /* a report of thousands of volumes is far smaller */

void wr_fleet_init(struct wr_fleet *f)
{
	memset(f, 0, sizeof(*f));
}

static void report_free(struct wr_fleet_report *r)
{
	char *strings[] = { r->file, r->time, r->command, r->result, r->message, r->serial,
		r->uuid, r->asset_tag, r->chassis_serial, r->vendor, r->product,
		r->computer_name };
	for (size_t i = 0; i < sizeof(strings) / sizeof(*strings); i++)
		free(strings[i]);
	for (size_t i = 0; i < r->nkey_ids; i++)
		free(r->key_ids[i]);
	free(r->key_ids);
	free((char *)r->machine);
}

void wr_fleet_free(struct wr_fleet *f)
{
	for (size_t i = 0; i < f->nreports; i++)
		report_free(&f->reports[i]);
	free(f->reports);
	for (size_t i = 0; i < f->nskipped; i++) {
		free(f->skipped[i].file);
		free(f->skipped[i].reason);
	}
	free(f->skipped);
	for (size_t i = 0; i < f->nmachines; i++)
		free(f->machines[i].reports);
	free(f->machines);
	memset(f, 0, sizeof(*f));
}

static void skip(struct wr_fleet *f, const char *file, const char *reason)
{
	struct wr_fleet_skip *s = wr_array_grow(&f->skipped, &f->nskipped, sizeof(*s));
	s->file = wr_xstrdup(file);
	s->reason = wr_xstrdup(reason);
}

/* A string member, copied; NULL when absent, null or not a string. */
static char *string_at(json_object *o, const char *key)
{
	json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return wr_xstrdup(json_object_get_string(v));
}

static json_object *member(json_object *o, const char *key, json_type type)
{
	json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
		return NULL;
	return v;
}

static unsigned long count_at(json_object *o, const char *key)
{
	json_object *v = member(o, key, json_type_int);
	return v && json_object_get_int64(v) > 0 ? (unsigned long)json_object_get_int64(v) : 0;
}

static void add_key_id(struct wr_fleet_report *r, const char *id)
{
	for (size_t i = 0; i < r->nkey_ids; i++)
		if (!strcmp(r->key_ids[i], id))
			return;
	char **slot = wr_array_grow(&r->key_ids, &r->nkey_ids, sizeof(*slot));
	*slot = wr_xstrdup(id);
}

/* The volume's Windows computer name: windows_info.computer_name (the SYSTEM
 * hive), or computer_name directly on the volume. */
static char *computer_name_of(json_object *vol)
{
	char *name = string_at(member(vol, "windows_info", json_type_object), "computer_name");
	return name ? name : string_at(vol, "computer_name");
}

/* What the person reading the summary needs to know: the first message of a
 * volume that is neither clean nor left alone. */
static bool telling_status(json_object *vol)
{
	json_object *s = member(vol, "status", json_type_string);
	const char *status = s ? json_object_get_string(s) : "";
	return strcmp(status, "not_windows") && strcmp(status, "clean");
}

static void read_volumes(struct wr_fleet_report *r, json_object *vols)
{
	size_t n = vols ? json_object_array_length(vols) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(vols, i);
		if (!json_object_is_type(v, json_type_object))
			continue;
		if (!r->computer_name)
			r->computer_name = computer_name_of(v);
		if (!r->message && telling_status(v))
			r->message = string_at(v, "message");
		json_object *id = member(v, "unlocked_key_id", json_type_string);
		if (id)
			add_key_id(r, json_object_get_string(id));
	}
}

/* The report's strings, where they sit: top level or under "machine". */
static const struct { const char *name; size_t offset; bool machine; } string_fields[] = {
	{ "time", offsetof(struct wr_fleet_report, time), false },
	{ "command", offsetof(struct wr_fleet_report, command), false },
	{ "result", offsetof(struct wr_fleet_report, result), false },
	{ "serial", offsetof(struct wr_fleet_report, serial), true },
	{ "uuid", offsetof(struct wr_fleet_report, uuid), true },
	{ "asset_tag", offsetof(struct wr_fleet_report, asset_tag), true },
	{ "chassis_serial", offsetof(struct wr_fleet_report, chassis_serial), true },
	{ "vendor", offsetof(struct wr_fleet_report, vendor), true },
	{ "product", offsetof(struct wr_fleet_report, product), true },
};

static void read_report(struct wr_fleet_report *r, json_object *root)
{
	json_object *m = member(root, "machine", json_type_object);
	for (size_t i = 0; i < sizeof(string_fields) / sizeof(*string_fields); i++)
		*(char **)((char *)r + string_fields[i].offset) =
			string_at(string_fields[i].machine ? m : root, string_fields[i].name);
	json_object *s = member(root, "summary", json_type_object);
	r->files_found = count_at(s, "files_found");
	r->files_deleted = count_at(s, "files_deleted");
	read_volumes(r, member(root, "volumes", json_type_array));
}

/* Why root is not a winrescue report, NULL when it is one. */
static const char *foreign(json_object *root)
{
	json_object *tool = member(root, "tool", json_type_string);
	if (!tool || strcmp(json_object_get_string(tool), "winrescue"))
		return "not a winrescue report (no \"tool\": \"winrescue\")";
	if (!member(root, "result", json_type_string) || !member(root, "time", json_type_string))
		return "a winrescue report without its result or time";
	return NULL;
}

void wr_fleet_add_buffer(struct wr_fleet *f, const char *file, const char *buf, size_t len)
{
	json_tokener *tok = json_tokener_new();
	json_object *root = json_tokener_parse_ex(tok, buf, (int)len);
	enum json_tokener_error err = json_tokener_get_error(tok);
	size_t used = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	while (root && used < len && strchr(" \t\r\n", buf[used]))
		used++;
	char *why_not_json = NULL;
	const char *why = NULL;
	if (!root)
		why = why_not_json = err == json_tokener_continue ? wr_xstrdup("not JSON (cut short)")
			: wr_xasprintf("not JSON: %s", json_tokener_error_desc(err));
	else if (used < len)
		why = "not JSON (text after the document)";
	else if (!json_object_is_type(root, json_type_object))
		why = "not a winrescue report (not a JSON object)";
	else
		why = foreign(root);
	if (why) {
		skip(f, file, why);
	} else {
		struct wr_fleet_report *r = wr_array_grow(&f->reports, &f->nreports, sizeof(*r));
		r->file = wr_xstrdup(file);
		read_report(r, root);
	}
	json_object_put(root);
	free(why_not_json);
}

static void add_file(struct wr_fleet *f, const char *path)
{
	FILE *in = fopen(path, "re");
	if (!in) {
		skip(f, path, strerror(errno));
		return;
	}
	char *buf = NULL;
	size_t len = 0, cap = 0;
	while (len <= MAX_REPORT_BYTES) {
		if (len == cap)
			buf = wr_xrealloc(buf, cap = cap ? cap * 2 : 16384);
		size_t n = fread(buf + len, 1, cap - len, in);
		if (!n)
			break;
		len += n;
	}
	bool failed = ferror(in);
	fclose(in);
	if (failed)
		skip(f, path, "read error");
	else if (len > MAX_REPORT_BYTES)
		skip(f, path, "too large for a winrescue report");
	else
		wr_fleet_add_buffer(f, path, buf ? buf : "", len);
	free(buf);
}

static bool is_json_name(const char *name)
{
	size_t n = strlen(name);
	return n > 5 && name[0] != '.' && !strcasecmp(name + n - 5, ".json");
}

static void add_dir(struct wr_fleet *f, const char *path)
{
	struct dirent **names;
	int n = scandir(path, &names, NULL, alphasort);
	if (n < 0) {
		skip(f, path, strerror(errno));
		return;
	}
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		char *child = wr_xasprintf("%s/%s", path, name);
		struct stat st;
		if (strcmp(name, ".") && strcmp(name, "..") && lstat(child, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				add_dir(f, child);
			else if (S_ISREG(st.st_mode) && is_json_name(name))
				add_file(f, child);
		}
		free(child);
		free(names[i]);
	}
	free(names);
}

void wr_fleet_add_path(struct wr_fleet *f, const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		skip(f, path, strerror(errno));
		f->unreadable_paths++;
	} else if (S_ISDIR(st.st_mode)) {
		add_dir(f, path);
	} else {
		add_file(f, path);
	}
}

int wr_fleet_result_rank(const char *result)
{
	static const char *const order[] = { "nothing_to_fix", "fixed", "no_windows",
		"fix_needed", "refused", "error", "usage_error" };
	for (size_t i = 0; result && i < sizeof(order) / sizeof(*order); i++)
		if (!strcmp(result, order[i]))
			return (int)i + 1;
	return 0;
}

/* UUID first (what Intune and Configuration Manager use); vendor + product +
 * serial for reports without one; the file alone when neither is known. */
static char *machine_key(const struct wr_fleet_report *r)
{
	if (r->uuid)
		return wr_xasprintf("u\t%s", r->uuid);
	if (r->serial)
		return wr_xasprintf("s\t%s\t%s\t%s", r->vendor ? r->vendor : "",
				    r->product ? r->product : "", r->serial);
	return wr_xasprintf("f\t%s", r->file);
}

static int by_machine_then_time(const void *a, const void *b)
{
	const struct wr_fleet_report *x = *(struct wr_fleet_report *const *)a;
	const struct wr_fleet_report *y = *(struct wr_fleet_report *const *)b;
	int c = strcmp(x->machine, y->machine);
	if (!c)
		c = strcmp(x->time, y->time);
	return c ? c : strcmp(x->file, y->file);
}

static const struct wr_fleet_report *latest(const struct wr_fleet_machine *m)
{
	return m->reports[m->nreports - 1];
}

/* Machines needing attention first (worst latest result), then by identity. */
static int by_worst_result(const void *a, const void *b)
{
	const struct wr_fleet_report *x = latest(a), *y = latest(b);
	int c = wr_fleet_result_rank(y->result) - wr_fleet_result_rank(x->result);
	if (!c)
		c = strcmp(x->result, y->result);
	return c ? c : strcmp(x->machine, y->machine);
}

void wr_fleet_group(struct wr_fleet *f)
{
	struct wr_fleet_report **order = wr_xcalloc(f->nreports ? f->nreports : 1, sizeof(*order));
	for (size_t i = 0; i < f->nreports; i++) {
		if (!f->reports[i].machine)
			f->reports[i].machine = machine_key(&f->reports[i]);
		order[i] = &f->reports[i];
	}
	qsort(order, f->nreports, sizeof(*order), by_machine_then_time);
	for (size_t i = 0; i < f->nreports; i++) {
		if (!i || strcmp(order[i]->machine, order[i - 1]->machine)) {
			struct wr_fleet_machine *m = wr_array_grow(&f->machines, &f->nmachines,
								   sizeof(*m));
			m->reports = NULL;
		}
		struct wr_fleet_machine *m = &f->machines[f->nmachines - 1];
		struct wr_fleet_report **slot = wr_array_grow(&m->reports, &m->nreports,
							      sizeof(*slot));
		*slot = order[i];
	}
	free(order);
	qsort(f->machines, f->nmachines, sizeof(*f->machines), by_worst_result);
}
