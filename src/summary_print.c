/* The fleet summary rendered: a table for people (result counts, one line per
 * machine, the recovery keys to rotate, the files skipped), CSV with one row per
 * report for a spreadsheet, JSON for scripts. */
#include "winrescue/summary.h"

#include <errno.h>
#include <json-c/json.h>
#include <libsmartcols/libsmartcols.h>
#include <stdlib.h>
#include <string.h>

#include "winrescue/util.h"

static const char *or_dash(const char *s) { return s && *s ? s : "-"; }

static const struct wr_fleet_report *latest(const struct wr_fleet_machine *m)
{
	return m->reports[m->nreports - 1];
}

/* "fix_needed" -> "fix needed". */
static char *words(const char *result)
{
	char *w = wr_xstrdup(result ? result : "unknown");
	for (char *p = w; *p; p++)
		if (*p == '_')
			*p = ' ';
	return w;
}

/* ---------------------------------------------------------------- table */

static void print_counts(const struct wr_fleet *f, FILE *out)
{
	fprintf(out, "Machines: %zu (%zu report%s, %zu file%s skipped)\n", f->nmachines,
		f->nreports, f->nreports == 1 ? "" : "s", f->nskipped, f->nskipped == 1 ? "" : "s");
	/* Machines are ordered worst result first: equal results are neighbours. */
	for (size_t i = 0; i < f->nmachines;) {
		const char *result = latest(&f->machines[i])->result;
		size_t n = 0;
		while (i < f->nmachines && !strcmp(latest(&f->machines[i])->result, result))
			i++, n++;
		char *w = words(result);
		fprintf(out, "  %-16s %zu\n", w, n);
		free(w);
	}
}

/* "scan: fix needed, fix: fixed": the machine's reports, oldest first. */
static char *history(const struct wr_fleet_machine *m)
{
	char *text = wr_xstrdup("");
	for (size_t i = 0; i < m->nreports; i++) {
		char *w = words(m->reports[i]->result);
		char *next = wr_xasprintf("%s%s%s: %s", text, i ? ", " : "",
					  or_dash(m->reports[i]->command), w);
		free(w);
		free(text);
		text = next;
	}
	return text;
}

static int print_machines(const struct wr_fleet *f, FILE *out)
{
	struct libscols_table *tb = scols_new_table();
	if (!tb)
		return -ENOMEM;
	static const struct { const char *name; double hint; int flags; } cols[] = {
		{ "COMPUTER", 0.15, SCOLS_FL_TRUNC }, { "SERIAL", 0.15, SCOLS_FL_TRUNC },
		{ "UUID", 36, 0 }, { "LATEST (UTC)", 20, 0 }, { "RESULT", 0.1, 0 },
		{ "HISTORY", 0.2, SCOLS_FL_WRAP },
	};
	for (size_t i = 0; i < sizeof(cols) / sizeof(*cols); i++)
		scols_table_new_column(tb, cols[i].name, cols[i].hint, cols[i].flags);
	for (size_t i = 0; i < f->nmachines; i++) {
		const struct wr_fleet_report *r = latest(&f->machines[i]);
		struct libscols_line *ln = scols_table_new_line(tb, NULL);
		scols_line_set_data(ln, 0, or_dash(r->computer_name));
		scols_line_set_data(ln, 1, or_dash(r->serial));
		scols_line_set_data(ln, 2, or_dash(r->uuid));
		scols_line_set_data(ln, 3, or_dash(r->time));
		scols_line_refer_data(ln, 4, words(r->result));
		scols_line_refer_data(ln, 5, history(&f->machines[i]));
	}
	scols_table_set_stream(tb, out);
	int rc = scols_print_table(tb);
	scols_unref_table(tb);
	return rc;
}

/* Each Key ID once, with the machine whose key it was, in the order met. */
struct used_key { const char *key_id; const struct wr_fleet_report *r; };

static struct used_key *keys_to_rotate(const struct wr_fleet *f, size_t *n)
{
	struct used_key *keys = NULL;
	*n = 0;
	for (size_t m = 0; m < f->nmachines; m++)
		for (size_t i = 0; i < f->machines[m].nreports; i++) {
			const struct wr_fleet_report *r = f->machines[m].reports[i];
			for (size_t k = 0; k < r->nkey_ids; k++) {
				bool seen = false;
				for (size_t j = 0; j < *n && !seen; j++)
					seen = !strcmp(keys[j].key_id, r->key_ids[k]);
				if (seen)
					continue;
				struct used_key *u = wr_array_grow(&keys, n, sizeof(*u));
				u->key_id = r->key_ids[k];
				u->r = r;
			}
		}
	return keys;
}

static void print_keys(const struct wr_fleet *f, FILE *out)
{
	size_t n;
	struct used_key *keys = keys_to_rotate(f, &n);
	if (n) {
		fprintf(out, "\nRecovery keys used: rotate these (%zu):\n", n);
		for (size_t i = 0; i < n; i++)
			fprintf(out, "  %s  %s  %s\n", keys[i].key_id,
				or_dash(keys[i].r->computer_name), or_dash(keys[i].r->serial));
	} else {
		fputs("\nRecovery keys used: none\n", out);
	}
	free(keys);
}

int wr_fleet_print_table(const struct wr_fleet *f, FILE *out)
{
	print_counts(f, out);
	int rc = 0;
	if (f->nmachines) {
		fputc('\n', out);
		rc = print_machines(f, out);
	}
	print_keys(f, out);
	if (f->nskipped) {
		fprintf(out, "\nSkipped (%zu):\n", f->nskipped);
		for (size_t i = 0; i < f->nskipped; i++)
			fprintf(out, "  %s: %s\n", f->skipped[i].file, f->skipped[i].reason);
	}
	return rc ? rc : ferror(out) ? -EIO : 0;
}

/* ------------------------------------------------------------------ CSV */

/* RFC 4180 quoting; a cell a spreadsheet would take for a formula (a serial
 * number set to "=..." by whoever configured the firmware) gets a leading '. */
static void csv_cell(FILE *out, const char *s, bool last)
{
	s = s ? s : "";
	bool formula = strchr("=+@\t\r", s[0]) && s[0];
	if (formula || strpbrk(s, ",\"\r\n")) {
		fputc('"', out);
		if (formula)
			fputc('\'', out);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', out);
			fputc(*s, out);
		}
		fputc('"', out);
	} else {
		fputs(s, out);
	}
	fputs(last ? "\r\n" : ",", out);
}

static void csv_row(FILE *out, const struct wr_fleet_report *r)
{
	char found[24], deleted[24];
	snprintf(found, sizeof(found), "%lu", r->files_found);
	snprintf(deleted, sizeof(deleted), "%lu", r->files_deleted);
	char *ids = wr_xstrdup("");
	for (size_t i = 0; i < r->nkey_ids; i++) {
		char *next = wr_xasprintf("%s%s%s", ids, i ? " " : "", r->key_ids[i]);
		free(ids);
		ids = next;
	}
	const char *cells[] = { r->time, r->serial, r->uuid, r->computer_name, r->asset_tag,
		r->vendor, r->product, r->command, r->result, found, deleted, ids, r->message,
		r->file };
	size_t n = sizeof(cells) / sizeof(*cells);
	for (size_t i = 0; i < n; i++)
		csv_cell(out, cells[i], i == n - 1);
	free(ids);
}

int wr_fleet_write_csv(const struct wr_fleet *f, FILE *out)
{
	fputs("time,serial,uuid,computer_name,asset_tag,vendor,product,command,result,"
	      "files_found,files_deleted,key_ids_used,message,file\r\n", out);
	for (size_t m = 0; m < f->nmachines; m++)
		for (size_t i = 0; i < f->machines[m].nreports; i++)
			csv_row(out, f->machines[m].reports[i]);
	return ferror(out) ? -EIO : 0;
}

/* ----------------------------------------------------------------- JSON */

static json_object *str(const char *s) { return s ? json_object_new_string(s) : NULL; }

struct field { const char *name; const char *value; };

static json_object *object_of(const struct field *fields, size_t n)
{
	json_object *o = json_object_new_object();
	for (size_t i = 0; i < n; i++)
		json_object_object_add(o, fields[i].name, str(fields[i].value));
	return o;
}

static json_object *history_json(const struct wr_fleet_machine *m)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < m->nreports; i++) {
		const struct wr_fleet_report *r = m->reports[i];
		const struct field fields[] = { { "time", r->time }, { "command", r->command },
			{ "result", r->result }, { "message", r->message }, { "file", r->file } };
		json_object *o = object_of(fields, sizeof(fields) / sizeof(*fields));
		json_object_object_add(o, "files_found", json_object_new_uint64(r->files_found));
		json_object_object_add(o, "files_deleted", json_object_new_uint64(r->files_deleted));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *machine_json(const struct wr_fleet_machine *m)
{
	const struct wr_fleet_report *r = latest(m);
	const struct field fields[] = { { "computer_name", r->computer_name },
		{ "serial", r->serial }, { "uuid", r->uuid }, { "asset_tag", r->asset_tag },
		{ "vendor", r->vendor }, { "product", r->product }, { "result", r->result },
		{ "time", r->time } };
	json_object *o = object_of(fields, sizeof(fields) / sizeof(*fields));
	json_object_object_add(o, "history", history_json(m));
	return o;
}

char *wr_fleet_to_json(const struct wr_fleet *f)
{
	json_object *root = json_object_new_object();
	json_object_object_add(root, "reports", json_object_new_uint64(f->nreports));
	json_object *results = json_object_new_object(), *machines = json_object_new_array();
	for (size_t i = 0; i < f->nmachines; i++) {
		const char *res = latest(&f->machines[i])->result;
		json_object *c;
		int n = json_object_object_get_ex(results, res, &c) ? json_object_get_int(c) : 0;
		json_object_object_add(results, res, json_object_new_int(n + 1));
		json_object_array_add(machines, machine_json(&f->machines[i]));
	}
	json_object_object_add(root, "results", results);
	json_object_object_add(root, "machines", machines);
	size_t nkeys;
	struct used_key *keys = keys_to_rotate(f, &nkeys);
	json_object *rotate = json_object_new_array();
	for (size_t i = 0; i < nkeys; i++) {
		const struct field fields[] = { { "key_id", keys[i].key_id },
			{ "computer_name", keys[i].r->computer_name }, { "serial", keys[i].r->serial },
			{ "uuid", keys[i].r->uuid } };
		json_object_array_add(rotate, object_of(fields, sizeof(fields) / sizeof(*fields)));
	}
	free(keys);
	json_object_object_add(root, "keys_to_rotate", rotate);
	json_object *skipped = json_object_new_array();
	for (size_t i = 0; i < f->nskipped; i++) {
		const struct field fields[] = { { "file", f->skipped[i].file },
			{ "reason", f->skipped[i].reason } };
		json_object_array_add(skipped, object_of(fields, 2));
	}
	json_object_object_add(root, "skipped", skipped);
	char *text = wr_xasprintf("%s\n", json_object_to_json_string_ext(root,
		JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return text;
}
