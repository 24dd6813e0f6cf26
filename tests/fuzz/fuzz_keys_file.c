/* libFuzzer target: key exports come from other people's tools and editors. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "winrescue/guid.h"
#include "winrescue/keys_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Looks up every GUID-shaped field of the input, so hits are exercised too. */
static void look_up_all(const struct wr_keys_file *kf, const uint8_t *data, size_t size)
{
	const struct wr_recovery_key *keys[4];
	char id[39];
	for (size_t i = 0; i + 36 <= size; i++) {
		if (data[i + 8] != '-' || data[i + 13] != '-')
			continue;
		memcpy(id, data + i, 36);
		id[36] = '\0';
		size_t n = wr_keys_file_lookup(kf, id, keys, 4);
		for (size_t k = 0; k < n && k < 4; k++)
			if (strlen(keys[k]->text) != WR_RECOVERY_KEY_LEN)
				abort();
	}
	(void)wr_keys_file_lookup(kf, "{00000000-0000-0000-0000-000000000000}", keys, 4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wr_keys_file *kf = NULL;
	char *err = NULL;
	if (wr_keys_file_parse((const char *)data, size, &kf, &err) == 0) {
		look_up_all(kf, data, size);
		(void)wr_keys_file_count(kf);
		(void)wr_keys_file_bad_rows(kf);
		(void)wr_keys_file_problems(kf);
		wr_keys_file_free(kf);
	} else if (!err) {
		abort();
	}
	free(err);
	uint8_t guid[16];
	(void)wr_guid_parse((const char *)data, size, guid);
	return 0;
}
