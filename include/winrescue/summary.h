/* The fleet summary: many JSON reports (docs/report.md) collected from many sticks,
 * read back, grouped by machine, and rendered as a table, CSV or JSON. A file that
 * is not a winrescue report is listed as skipped, never fatal. */
#ifndef WINRESCUE_SUMMARY_H
#define WINRESCUE_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* One report as the summary needs it. Strings are NULL when the report has none. */
struct wr_fleet_report {
	char *file;
	char *time;            /* ISO 8601 UTC, sorts as text */
	char *command, *result, *message;
	char *serial, *uuid, *asset_tag, *chassis_serial, *vendor, *product, *computer_name;
	unsigned long files_found, files_deleted;
	char **key_ids;        /* unlocked_key_id of each volume: keys that were used */
	size_t nkey_ids;
	const char *machine;   /* grouping key (set by wr_fleet_group) */
};

struct wr_fleet_skip { char *file, *reason; };

/* Reports of one machine, oldest first: the last is its latest state. */
struct wr_fleet_machine {
	struct wr_fleet_report **reports;
	size_t nreports;
};

struct wr_fleet {
	struct wr_fleet_report *reports;
	size_t nreports;
	struct wr_fleet_skip *skipped;
	size_t nskipped;
	struct wr_fleet_machine *machines;   /* after wr_fleet_group, worst result first */
	size_t nmachines;
	size_t unreadable_paths;             /* PATH arguments that could not be read at all */
};

void wr_fleet_init(struct wr_fleet *f);
void wr_fleet_free(struct wr_fleet *f);
/* A report file, or a folder searched recursively for *.json (symlinked folders
 * are not followed). A PATH that cannot be read is skipped and counted. */
void wr_fleet_add_path(struct wr_fleet *f, const char *path);
/* Parses one report held in memory; on failure the file is listed as skipped. */
void wr_fleet_add_buffer(struct wr_fleet *f, const char *file, const char *buf, size_t len);
/* Groups the reports by machine (UUID, else vendor + product + serial, else the
 * file alone) and orders each machine's reports by time. */
void wr_fleet_group(struct wr_fleet *f);

/* Renderers (wr_fleet_group first). Return 0 or -errno. */
int wr_fleet_print_table(const struct wr_fleet *f, FILE *out);
int wr_fleet_write_csv(const struct wr_fleet *f, FILE *out);
char *wr_fleet_to_json(const struct wr_fleet *f);   /* caller frees */

/* The report in one line, for a ticket (and the result screen's QR code):
 * winrescue;RESULT;COMPUTER;SERIAL;UUID;FILES_FOUND;FILES_DELETED;TIME ("-": unknown). */
char *wr_fleet_report_line(const struct wr_fleet_report *r);
/* The unattended stick's full-screen result for one report (80x25, ANSI colours,
 * a QR code of the one-line summary when with_qr); note: one more paragraph
 * (e.g. where the report went), or NULL. Returns 0 or -1 on a write error. */
int wr_fleet_print_screen(const struct wr_fleet_report *r, const char *note, FILE *out,
			  bool with_qr);

/* Severity order of result names (docs/report.md), higher is worse; 0 unknown. */
int wr_fleet_result_rank(const char *result);

#endif
