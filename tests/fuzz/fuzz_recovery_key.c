/* libFuzzer target: the recovery-key parser takes whatever a person types. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "winrescue/recovery_key.h"
#include "winrescue/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = wr_xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	struct wr_recovery_key key;
	int bad_block = -1;
	char *err = NULL;
	int rc = wr_recovery_key_parse(text, &key, &bad_block, &err);
	/* A parsed key is always the 55-character dashed form. */
	if (rc == 0 && strlen(key.text) != WR_RECOVERY_KEY_LEN)
		abort();
	if (rc != 0 && (!err || bad_block < 0 || bad_block > WR_RECOVERY_KEY_BLOCKS))
		abort();
	if (size >= 6)
		(void)wr_recovery_key_block_valid((const char *)data);
	wr_recovery_key_wipe(&key);
	free(err);
	free(text);
	return 0;
}
