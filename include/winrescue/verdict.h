/* The one line a technician reads at the end of a run, in plain words and with the
 * one next step: "FIXED - remove the stick and restart the PC", "NOT FIXED - ...",
 * "WINDOWS NOT FOUND - ...". No exit codes, counts of mappings or command lines.
 * Shared by the guided mode and the stick's unattended end screen. */
#ifndef WINRESCUE_VERDICT_H
#define WINRESCUE_VERDICT_H

#include <stdio.h>

#include "winrescue/model.h"

/* The line for rep (allocated; the caller frees it). */
char *wr_verdict_line(const struct wr_report *rep);
/* Prints the line framed so it stands out (bold and reverse on a terminal),
 * wrapped to 80 columns. */
void wr_verdict_print(const struct wr_report *rep, FILE *out);
/* Whether a volume of rep that was fixed is BitLocker-encrypted (Windows may then ask
 * for the recovery key once at its next start). */
bool wr_verdict_fixed_bitlocker(const struct wr_report *rep);

#endif
