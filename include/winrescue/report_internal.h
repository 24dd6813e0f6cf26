/* Shared by the two renderings of the report (report_table.c, report_json.c). */
#ifndef WINRESCUE_REPORT_INTERNAL_H
#define WINRESCUE_REPORT_INTERNAL_H

#include <string.h>

#include "winrescue/model.h"

/* Only a recovery password's Key ID leads to a 48-digit key in a key export
 * (AD, Entra ID, MBAM, BitLockerKeys.csv); the other protectors' IDs do not. */
static inline bool wr_protector_has_recovery_key_id(const struct wr_protector *p)
{
	return p->type && strcmp(p->type, "recovery_password") == 0 && p->key_id[0];
}

#endif
