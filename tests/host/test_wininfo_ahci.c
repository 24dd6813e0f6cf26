/*
 * The INACCESSIBLE_BOOT_DEVICE warning (issue 13): a SYSTEM hive built by the
 * test tools (wr-mkhive + hivexsh) with storahci at a given start type, read by
 * wininfo, then matched against a machine whose disk sda hangs off a controller
 * bound to a given Linux driver (the storage model that storage.c fills from
 * sysfs). Warns only for AHCI + storahci not starting at boot.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "winrescue/storage.h"
#include "winrescue/util.h"
#include "winrescue/wininfo.h"

static char *tmpdir;

static uint8_t *make_hive(unsigned storahci_start, size_t *len)
{
	char *path = wr_xasprintf("%s/SYSTEM-%u", tmpdir, storahci_start);
	char *cmd = wr_xasprintf(". \"$WR_SOURCE/tests/tools/fixtures.sh\" && "
		". \"$WR_SOURCE/tests/tools/hives.sh\" && wr_make_system_hive '%s' WR-AHCI %u",
		path, storahci_start);
	assert_int_equal(system(cmd), 0);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	uint8_t *buf = wr_xmalloc(1 << 20);
	*len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	free(cmd);
	free(path);
	return buf;
}

static void check(unsigned storahci_start, const char *driver, bool warns)
{
	size_t len;
	uint8_t *hive = make_hive(storahci_start, &len);
	struct wr_windows_info *wi = wr_xcalloc(1, sizeof(*wi));
	wr_windows_info_from_hive(hive, len, wi);
	assert_null(wi->hive_error);
	assert_string_equal(wi->computer_name, "WR-AHCI");

	struct wr_storage_controller ctl = { .address = "0000:00:1f.2", .kind = "SATA",
					     .driver = (char *)driver };
	struct wr_storage_disk disk = { .name = "sda", .controller = "0000:00:1f.2" };
	struct wr_storage st = { .disks = &disk, .ndisks = 1, .controllers = &ctl,
				 .ncontrollers = 1 };
	wr_windows_info_set_controller(wi, &st, "sda");
	assert_string_equal(wi->controller, driver);
	if (warns) {
		assert_non_null(wi->warning);
		assert_non_null(strstr(wi->warning, "INACCESSIBLE_BOOT_DEVICE"));
	} else {
		assert_null(wi->warning);
	}
	/* a disk the storage model does not know: no controller, no warning */
	wr_windows_info_set_controller(wi, &st, "sdb");
	assert_null(wi->controller);
	assert_null(wi->warning);
	wr_windows_info_free(wi);
	free(hive);
}

static void ahci_with_storahci_disabled_warns(void **s) { (void)s; check(4, "ahci", true); }
static void ahci_with_storahci_manual_warns(void **s) { (void)s; check(3, "ahci", true); }
static void ahci_with_storahci_at_boot_is_fine(void **s) { (void)s; check(0, "ahci", false); }
static void raid_driver_is_not_ahci(void **s) { (void)s; check(4, "nvme", false); }

int main(void)
{
	if (system("command -v hivexsh >/dev/null") != 0) {
		printf("SKIP: hivexsh (libhivex-bin) is not installed\n");
		return 77;
	}
	char tmpl[] = "/tmp/wr-wininfo.XXXXXX";
	tmpdir = mkdtemp(tmpl);
	assert_non_null(tmpdir);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ahci_with_storahci_disabled_warns),
		cmocka_unit_test(ahci_with_storahci_manual_warns),
		cmocka_unit_test(ahci_with_storahci_at_boot_is_fine),
		cmocka_unit_test(raid_driver_is_not_ahci),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	char *rm = wr_xasprintf("rm -rf '%s'", tmpdir);
	if (system(rm) != 0)
		rc = 1;
	free(rm);
	return rc;
}
