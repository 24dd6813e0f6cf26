/* libFuzzer target: registry hives through libhivex (hive.c), read as a SYSTEM
 * hive (wininfo.c) and as a BCD store (bcd.c), and changed as fix and safe-mode
 * change a store. Each input is tried as it is and with its base block's checksum
 * made right, so mutations get past libhivex's first check. Hostile hives must
 * give an error, never a crash or a hang. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "winrescue/bcd.h"
#include "winrescue/util.h"
#include "winrescue/wininfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fix_checksum(uint8_t *hive, size_t size)
{
	if (size < 0x200)
		return;
	uint32_t sum = 0;
	for (size_t i = 0; i < 0x1fc; i += 4)
		sum ^= (uint32_t)hive[i] | (uint32_t)hive[i + 1] << 8 |
		       (uint32_t)hive[i + 2] << 16 | (uint32_t)hive[i + 3] << 24;
	for (int i = 0; i < 4; i++)
		hive[0x1fc + i] = (uint8_t)(sum >> (8 * i));
}

static void try_hive(const uint8_t *hive, size_t size)
{
	struct wr_windows_info *wi = wr_xcalloc(1, sizeof(*wi));
	wr_windows_info_from_hive(hive, size, wi);
	wr_windows_info_free(wi);

	struct wr_report rep;
	memset(&rep, 0, sizeof(rep));
	struct wr_boot_store *bs = wr_report_add_boot_store(&rep);
	free(bs->error);
	bs->error = NULL;
	if (wr_bcd_read(hive, size, bs, &bs->error) == 0) {
		for (int change = WR_BCD_CLEAR_SAFEBOOT; change <= WR_BCD_SET_SAFE_MODE; change++) {
			uint8_t *out = NULL;
			size_t out_len = 0;
			char *err = NULL;
			wr_bcd_change(hive, size, (enum wr_bcd_change)change, &out, &out_len, &err);
			free(out);
			free(err);
		}
	}
	wr_boot_stores_free(rep.boot_stores, rep.nboot_stores);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (1u << 20))
		return 0;
	try_hive(data, size);
	uint8_t *copy = wr_xmalloc(size + 1);
	memcpy(copy, data, size);
	fix_checksum(copy, size);
	try_hive(copy, size);
	free(copy);
	return 0;
}
