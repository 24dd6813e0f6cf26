/* The interactive prompts on a terminal or serial console (plain FILE* streams,
 * no readline): a recovery key with echo on (people read it back against the
 * paper), checked block by block; a password without echo. */
#ifndef WINRESCUE_KEY_PROMPT_H
#define WINRESCUE_KEY_PROMPT_H

#include <stdio.h>

#include "winrescue/model.h"
#include "winrescue/recovery_key.h"

struct wr_key_prompt {
	FILE *in;     /* answers */
	FILE *out;    /* questions and hints */
};

/* A wr_key_prompt_fn (bitlocker.h); ctx is a struct wr_key_prompt. Shows the volume
 * and the Key ID it wants, reads until the key is well formed (naming a wrong block),
 * returns 0 with *out filled, or 1 when the user enters an empty line or input ends. */
int wr_key_prompt_recovery(void *ctx, const struct wr_volume *vol, const char *key_id,
			   struct wr_recovery_key *out);

/* Asks `question` and reads a line with echo off when in is a terminal. Returns 0 with
 * *password (malloc'ed; the caller wipes and frees it), 1 on an empty line or end of
 * input, -errno on error. */
int wr_key_prompt_password(FILE *in, FILE *out, const char *question, char **password);

#endif
