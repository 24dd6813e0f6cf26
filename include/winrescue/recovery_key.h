/* BitLocker recovery keys (the 48-digit "recovery password"): parse what a person
 * typed or an export holds, validate every block before any slow key derivation,
 * and produce the 55-character dashed form libcryptsetup takes. */
#ifndef WINRESCUE_RECOVERY_KEY_H
#define WINRESCUE_RECOVERY_KEY_H

#include <stdbool.h>

#define WR_RECOVERY_KEY_BLOCKS 8
#define WR_RECOVERY_KEY_LEN 55   /* 8 blocks of 6 digits joined by 7 dashes */

struct wr_recovery_key {
	char text[WR_RECOVERY_KEY_LEN + 1];   /* normalised: 111111-222222-... */
};

/* Parses 48 digits in 8 blocks of 6, separated all by '-', all by ' ', or not at all;
 * surrounding whitespace is ignored. Returns 0 and fills *out, or -EINVAL with *errmsg
 * (when errmsg is not NULL) a sentence for the user that never repeats the whole key,
 * e.g. "block 3 (123456) is not valid: check it". *bad_block (when not NULL) is set to
 * the 1-based block at fault, 0 when the fault is not one block's. */
int wr_recovery_key_parse(const char *input, struct wr_recovery_key *out,
			  int *bad_block, char **errmsg);
/* Whether one 6-digit block is a possible block of a recovery key. */
bool wr_recovery_key_block_valid(const char digits[6]);
void wr_recovery_key_wipe(struct wr_recovery_key *key);

#endif
