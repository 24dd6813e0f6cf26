/* Machine identity for fleet reports: SMBIOS system UUID, asset tag and chassis
 * serial read from a sysfs-like folder, and their place in the JSON report. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "winrescue/machine.h"
#include "winrescue/report.h"
#include "winrescue/util.h"

static const char *const FIELDS[] = {
	"sys_vendor", "product_name", "product_serial", "product_uuid",
	"chassis_asset_tag", "chassis_serial",
};
#define NFIELDS (sizeof(FIELDS) / sizeof(FIELDS[0]))

/* Writes one value per DMI attribute (NULL: no file) into a fresh folder. */
static char *fake_dmi(const char *const values[NFIELDS])
{
	char *dir = wr_xstrdup("/tmp/wr-dmi-XXXXXX");
	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < NFIELDS; i++) {
		if (!values[i])
			continue;
		char *path = wr_xasprintf("%s/%s", dir, FIELDS[i]);
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		fputs(values[i], f);
		fclose(f);
		free(path);
	}
	return dir;
}

static void remove_dmi(char *dir)
{
	for (size_t i = 0; i < NFIELDS; i++) {
		char *path = wr_xasprintf("%s/%s", dir, FIELDS[i]);
		unlink(path);
		free(path);
	}
	rmdir(dir);
	free(dir);
}

static void machine_has_uuid_asset_tag_chassis_serial(void **state)
{
	(void)state;
	const char *const values[NFIELDS] = { "QEMU\n", "vmtest\n", "WRVM-0001\n",
		"4c4c4544-0042-3510-8052-b4c04f4b4e32\n", " IT-004711 \n", "CH-77\n" };
	char *dir = fake_dmi(values);
	struct wr_report rep;
	wr_report_init(&rep, WR_COMMAND_SCAN, false);
	wr_machine_read(&rep.machine, dir);
	assert_string_equal(rep.machine.uuid, "4C4C4544-0042-3510-8052-B4C04F4B4E32");
	assert_string_equal(rep.machine.asset_tag, "IT-004711");
	assert_string_equal(rep.machine.chassis_serial, "CH-77");

	char *text = wr_report_to_json(&rep);
	json_object *root = json_tokener_parse(text);
	json_object *m = NULL;
	assert_true(json_object_object_get_ex(root, "machine", &m));
	json_object *v = NULL;
	assert_true(json_object_object_get_ex(m, "uuid", &v));
	assert_string_equal(json_object_get_string(v), "4C4C4544-0042-3510-8052-B4C04F4B4E32");
	assert_true(json_object_object_get_ex(m, "asset_tag", &v));
	assert_string_equal(json_object_get_string(v), "IT-004711");
	assert_true(json_object_object_get_ex(m, "chassis_serial", &v));
	assert_string_equal(json_object_get_string(v), "CH-77");
	json_object_put(root);
	free(text);
	wr_report_free(&rep);
	remove_dmi(dir);
}

/* Firmware that never set them: an all-zero or all-F UUID, "No Asset Tag". */
static void unset_identity_is_null(void **state)
{
	(void)state;
	static const char *const uuids[] = {
		"00000000-0000-0000-0000-000000000000\n", "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF\n",
		"not-a-uuid\n",
	};
	for (size_t i = 0; i < sizeof(uuids) / sizeof(uuids[0]); i++) {
		const char *const values[NFIELDS] = { "Dell Inc.\n", NULL, NULL, uuids[i],
			"No Asset Tag\n", "Chassis Serial Number\n" };
		char *dir = fake_dmi(values);
		struct wr_report rep;
		wr_report_init(&rep, WR_COMMAND_SCAN, false);
		wr_machine_read(&rep.machine, dir);
		assert_null(rep.machine.uuid);
		assert_null(rep.machine.asset_tag);
		assert_null(rep.machine.chassis_serial);
		char *text = wr_report_to_json(&rep);
		assert_non_null(strstr(text, "\"uuid\": null"));
		assert_non_null(strstr(text, "\"asset_tag\": null"));
		free(text);
		wr_report_free(&rep);
		remove_dmi(dir);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(machine_has_uuid_asset_tag_chassis_serial),
		cmocka_unit_test(unset_identity_is_null),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
