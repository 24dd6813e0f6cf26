/* Shared by the two renderings of the report (report_table.c, report_json.c). */
#ifndef WINRESCUE_REPORT_INTERNAL_H
#define WINRESCUE_REPORT_INTERNAL_H

#include <stdio.h>
#include <string.h>

#include "winrescue/model.h"

/* Only a recovery password's Key ID leads to a 48-digit key in a key export
 * (AD, Entra ID, MBAM, BitLockerKeys.csv); the other protectors' IDs do not. */
static inline bool wr_protector_has_recovery_key_id(const struct wr_protector *p)
{
	return p->type && strcmp(p->type, "recovery_password") == 0 && p->key_id[0];
}

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
