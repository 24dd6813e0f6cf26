/* Renders the result model (model.h) for people and for scripts. */
#ifndef WINRESCUE_REPORT_H
#define WINRESCUE_REPORT_H

#include <stdio.h>
#include "winrescue/model.h"

/* The table a person reads (libsmartcols): volumes, then the plan or outcome for
 * each matching file; verbose adds every column. Returns 0 or -errno. */
int wr_report_print_table(const struct wr_report *rep, FILE *out, bool verbose);
/* The same without the closing "Result:" line (the guided mode ends with its own). */
int wr_report_print_details(const struct wr_report *rep, FILE *out, bool verbose);
/* The JSON contract of docs/report.md (json-c). Caller frees. */
char *wr_report_to_json(const struct wr_report *rep);
/* JSON to a file, written atomically (util.h). Returns 0 or -errno. */
int wr_report_write_file(const struct wr_report *rep, const char *path);

#endif
