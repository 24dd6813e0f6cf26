/* The storage diagnosis (storage.h) in both renderings of the report: a short
 * block of the table, and the JSON "storage" object (docs/report.md). */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"
#include "winrescue/storage.h"
#include "winrescue/util.h"

static void print_disk(FILE *out, const struct wr_storage_disk *d, size_t width)
{
	char *size = wr_human_size(d->size);
	char *line = wr_xasprintf("%s %s %s%s%s%s%s%s%s", d->name, size, d->transport,
		d->model ? ", " : "", d->model ? d->model : "",
		d->controller ? ", on " : "", d->controller ? d->controller : "",
		d->raid_member ? ", RAID member" : "", d->degraded > 0 ? ", DEGRADED" : "");
	wr_print_wrapped(out, line, 4, width);
	free(line);
	free(size);
}

static void print_controller(FILE *out, const struct wr_storage_controller *c, size_t width)
{
	char *hidden = c->remapped_nvme > 0 ?
		wr_xasprintf(", %d NVMe hidden by Intel RST", c->remapped_nvme) : wr_xstrdup("");
	char *line = wr_xasprintf("%s %s (PCI %s): %s%s", c->address, c->kind, c->id,
		c->driver ? c->driver : "no driver", hidden);
	wr_print_wrapped(out, line, 4, width);
	free(line);
	free(hidden);
}

void wr_storage_print(FILE *out, const struct wr_storage *st, size_t width)
{
	if (!st)
		return;
	fputs("\nStorage seen by winrescue:\n", out);
	fprintf(out, "  Disks:%s\n", st->ndisks ? "" : " none");
	for (size_t i = 0; i < st->ndisks; i++)
		print_disk(out, &st->disks[i], width);
	fprintf(out, "  Storage controllers:%s\n", st->ncontrollers ? "" : " none on PCI");
	for (size_t i = 0; i < st->ncontrollers; i++)
		print_controller(out, &st->controllers[i], width);
	for (size_t i = 0; i < st->nnotes; i++) {
		char *line = wr_xasprintf("! %s", st->notes[i]);
		wr_print_wrapped(out, line, 2, width);
		free(line);
	}
}

struct field {
	const char *key;
	const char *value;     /* NULL: JSON null */
};

static void add_fields(json_object *o, const struct field *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_object_object_add(o, f[i].key, f[i].value ?
			json_object_new_string(f[i].value) : NULL);
}

static json_object *disk_to_json(const struct wr_storage_disk *d)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(d->name));
	json_object_object_add(o, "size", json_object_new_uint64(d->size));
	const struct field f[] = { { "model", d->model }, { "transport", d->transport },
		{ "controller", d->controller }, { "raid_member", d->raid_member } };
	add_fields(o, f, sizeof(f) / sizeof(f[0]));
	json_object_object_add(o, "degraded", strcmp(d->transport, "md") ? NULL :
		json_object_new_int(d->degraded));
	return o;
}

static json_object *controller_to_json(const struct wr_storage_controller *c)
{
	char cls[16];
	snprintf(cls, sizeof(cls), "%06x", (unsigned)c->pci_class);
	json_object *o = json_object_new_object();
	const struct field f[] = { { "address", c->address }, { "class", cls }, { "id", c->id },
		{ "kind", c->kind }, { "driver", c->driver } };
	add_fields(o, f, sizeof(f) / sizeof(f[0]));
	json_object_object_add(o, "remapped_nvme", c->remapped_nvme < 0 ? NULL :
		json_object_new_int(c->remapped_nvme));
	return o;
}

json_object *wr_storage_to_json(const struct wr_storage *st)
{
	if (!st)
		return NULL;
	json_object *o = json_object_new_object();
	json_object *disks = json_object_new_array();
	for (size_t i = 0; i < st->ndisks; i++)
		json_object_array_add(disks, disk_to_json(&st->disks[i]));
	json_object *ctrls = json_object_new_array();
	for (size_t i = 0; i < st->ncontrollers; i++)
		json_object_array_add(ctrls, controller_to_json(&st->controllers[i]));
	json_object *notes = json_object_new_array();
	for (size_t i = 0; i < st->nnotes; i++)
		json_object_array_add(notes, json_object_new_string(st->notes[i]));
	json_object_object_add(o, "disks", disks);
	json_object_object_add(o, "controllers", ctrls);
	json_object_object_add(o, "notes", notes);
	char waited[32];
	snprintf(waited, sizeof(waited), "%.1f", st->settle_seconds);
	json_object_object_add(o, "settle_seconds", st->settle_seconds < 0 ? NULL :
		json_object_new_double_s(atof(waited), waited));
	json_object_object_add(o, "settled", st->settle_seconds < 0 ? NULL :
		json_object_new_boolean(st->settled));
	return o;
}
