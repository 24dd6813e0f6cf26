/* The boot-configuration parts of the report (src/report_boot_json.c). */
#ifndef WINRESCUE_REPORT_BOOT_H
#define WINRESCUE_REPORT_BOOT_H

#include <json-c/json.h>
#include <stdio.h>

#include "winrescue/model.h"

/* NULL (JSON null) when wi is NULL. */
json_object *wr_windows_info_to_json(const struct wr_windows_info *wi);
json_object *wr_boot_stores_to_json(const struct wr_report *rep);

/* Lines for the table's reader: Safe Mode leftovers and what was done with them,
 * the SYSTEM hive's warnings (verbose: computer names), wrapped to width. */
void wr_boot_print_notes(FILE *out, const struct wr_report *rep, bool verbose, size_t width);

#endif
