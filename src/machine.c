/* Which machine a report came from: the DMI identity firmware exposes in sysfs,
 * so reports collected from a fleet of sticks can be matched to asset records. */
#include "winrescue/machine.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "winrescue/util.h"

/* Values firmware vendors leave in unfilled DMI fields: they name no machine. */
static bool is_placeholder(const char *s)
{
	static const char *const placeholders[] = {
		"", "To be filled by O.E.M.", "Default string",
		"0", "None", "System Serial Number", "Not Specified", "Not Applicable",
		"Default", "N/A", "0123456789", "Chassis Serial Number",
		"No Asset Tag", "Asset Tag", "Chassis Asset Tag", "Asset-1234567890",
		"Not Available", "Unknown",
	};
	for (size_t i = 0; i < sizeof(placeholders) / sizeof(placeholders[0]); i++)
		if (strcasecmp(s, placeholders[i]) == 0)
			return true;
	return false;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* One DMI attribute, trimmed; NULL when absent, unreadable (product_serial is
 * root-only) or a placeholder. */
static char *read_dmi_field(const char *sysfs_root, const char *name)
{
	char *path = wr_xasprintf("%s/%s", sysfs_root, name);
	FILE *f = fopen(path, "re");
	free(path);
	if (!f)
		return NULL;
	char buf[256];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *value = trim(buf);
	return is_placeholder(value) ? NULL : wr_xstrdup(value);
}

/* A UUID of all zeros or all ones is what firmware leaves when it has none. */
static bool is_unset_uuid(const char *s)
{
	size_t zeros = 0, ones = 0, digits = 0;
	for (; *s; s++) {
		if (*s == '-')
			continue;
		digits++;
		zeros += *s == '0';
		ones += *s == 'f' || *s == 'F';
	}
	return digits != 32 || zeros == 32 || ones == 32;
}

/* The SMBIOS system UUID as Windows, Intune and Configuration Manager show it
 * (Win32_ComputerSystemProduct.UUID): upper case. The kernel prints it in the
 * same byte order as Windows for SMBIOS 2.6 and later. product_uuid is root-only. */
static char *read_system_uuid(const char *sysfs_root)
{
	char *uuid = read_dmi_field(sysfs_root, "product_uuid");
	if (uuid && is_unset_uuid(uuid)) {
		free(uuid);
		return NULL;
	}
	for (char *p = uuid; p && *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return uuid;
}

void wr_machine_read(struct wr_machine *m, const char *sysfs_root)
{
	m->vendor = read_dmi_field(sysfs_root, "sys_vendor");
	m->product = read_dmi_field(sysfs_root, "product_name");
	m->serial = read_dmi_field(sysfs_root, "product_serial");
	m->uuid = read_system_uuid(sysfs_root);
	m->asset_tag = read_dmi_field(sysfs_root, "chassis_asset_tag");
	m->chassis_serial = read_dmi_field(sysfs_root, "chassis_serial");
}
