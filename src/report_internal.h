/* Private to the report renderings (report_table.c, report_json.c, report_storage.c). */
#ifndef WINRESCUE_REPORT_INTERNAL_H
#define WINRESCUE_REPORT_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "winrescue/model.h"

/* Like lsblk: binary units, one decimal unless it is zero ("931.5G", "100M"). */
char *wr_human_size(uint64_t bytes);
/* Prints text indented, broken at spaces so no line passes width (0: no limit). */
void wr_print_wrapped(FILE *out, const char *text, size_t indent, size_t width);

struct wr_storage;
struct json_object;
/* The storage block of the table (report_storage.c): disks, controllers, notes. */
void wr_storage_print(FILE *out, const struct wr_storage *st, size_t width);
/* The report's "storage" object (docs/report.md). */
struct json_object *wr_storage_to_json(const struct wr_storage *st);

#endif
