/* Key exports administrators have (CrowdStrike's BitLockerKeys.csv, Entra ID /
 * Intune, MBAM, AD): CSV or TSV with a header naming the Key ID and recovery key
 * columns. Loaded once into a sorted table and looked up by Key ID, so a volume
 * costs one key derivation however many rows the file has. */
#ifndef WINRESCUE_KEYS_FILE_H
#define WINRESCUE_KEYS_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "winrescue/recovery_key.h"

struct wr_keys_file;

/* Parses a whole file held in memory. Fails (-EINVAL, *errmsg) only when the header
 * names no Key ID or no recovery key column; bad rows are counted and described by
 * wr_keys_file_problems(). Never puts key text in any message. */
int wr_keys_file_parse(const char *buf, size_t len, struct wr_keys_file **out, char **errmsg);
/* Reads and parses path. */
int wr_keys_file_load(const char *path, struct wr_keys_file **out, char **errmsg);
void wr_keys_file_free(struct wr_keys_file *kf);   /* wipes every key */

/* Keys listed for a Key ID (with or without braces, any case): returns how many
 * distinct keys the file holds for it (0 when none, or key_id is not a GUID) and
 * stores the first max of them in keys[] (valid until wr_keys_file_free). */
size_t wr_keys_file_lookup(const struct wr_keys_file *kf, const char *key_id,
			   const struct wr_recovery_key **keys, size_t max);

size_t wr_keys_file_count(const struct wr_keys_file *kf);       /* usable rows */
size_t wr_keys_file_bad_rows(const struct wr_keys_file *kf);
/* One line per bad row ("line 12: the recovery key's block 3 is not valid"),
 * the first few only, NULL when every row was good. */
const char *wr_keys_file_problems(const struct wr_keys_file *kf);

#endif
