/* The parts of the result model that describe what Windows needs to start:
 * the SYSTEM hive's facts per Windows volume and the boot stores. */
#include "winrescue/model.h"

#include <stdlib.h>
#include <string.h>

#include "winrescue/util.h"

const char *const wr_storage_driver_names[WR_STORAGE_DRIVERS] = {
	"storahci", "stornvme", "iaStorVD", "iaStorAVC",
};

const char *wr_start_type_name(enum wr_start_type t)
{
	switch (t) {
	case WR_START_ABSENT: return "absent";
	case WR_START_BOOT: return "boot";
	case WR_START_SYSTEM: return "system";
	case WR_START_AUTO: return "automatic";
	case WR_START_MANUAL: return "manual";
	case WR_START_DISABLED: return "disabled";
	case WR_START_OTHER: break;
	}
	return "other";
}

void wr_windows_info_free(struct wr_windows_info *wi)
{
	if (!wi)
		return;
	char *strings[] = { wi->hive_error, wi->control_set, wi->computer_name, wi->build,
			    wi->sensor_service, wi->controller, wi->warning, (char *)wi };
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		free(strings[i]);
}

const char *wr_boot_action_name(enum wr_boot_action a)
{
	switch (a) {
	case WR_BOOT_NONE: return "none";
	case WR_BOOT_WOULD_CLEAR: return "would_clear_safeboot";
	case WR_BOOT_CLEARED: return "cleared_safeboot";
	case WR_BOOT_KEPT: return "kept_safeboot";
	case WR_BOOT_SAFE_MODE_SET: return "safe_mode_set";
	case WR_BOOT_RESTORED: return "restored";
	case WR_BOOT_FAILED: return "failed";
	}
	return "none";
}

struct wr_boot_store *wr_report_add_boot_store(struct wr_report *rep)
{
	return wr_array_grow(&rep->boot_stores, &rep->nboot_stores, sizeof(struct wr_boot_store));
}

struct wr_boot_entry *wr_boot_store_add_entry(struct wr_boot_store *bs)
{
	struct wr_boot_entry *e = wr_array_grow(&bs->entries, &bs->nentries, sizeof(*e));
	e->safeboot = -1;
	e->alternate_shell = -1;
	return e;
}

void wr_boot_stores_free(struct wr_boot_store *stores, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct wr_boot_store *bs = &stores[i];
		for (size_t j = 0; j < bs->nentries; j++) {
			free(bs->entries[j].id);
			free(bs->entries[j].description);
		}
		char *strings[] = { (char *)bs->entries, bs->device, bs->filesystem, bs->path,
				    bs->backup, bs->error };
		for (size_t k = 0; k < sizeof(strings) / sizeof(strings[0]); k++)
			free(strings[k]);
	}
	free(stores);
}

enum wr_result wr_boot_store_result(const struct wr_boot_store *bs)
{
	switch (bs->action) {
	case WR_BOOT_WOULD_CLEAR: return WR_RESULT_FIX_NEEDED;
	case WR_BOOT_CLEARED: case WR_BOOT_SAFE_MODE_SET: case WR_BOOT_RESTORED:
		return WR_RESULT_FIXED;
	case WR_BOOT_FAILED: return WR_RESULT_ERROR;
	case WR_BOOT_NONE: case WR_BOOT_KEPT: break;
	}
	return WR_RESULT_NOTHING_TO_FIX;
}
