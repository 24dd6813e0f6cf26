/* Which machine a report came from: the DMI identity firmware exposes in sysfs,
 * so reports collected from a fleet of sticks can be matched to asset records. */
#include "winrescue/report.h"

#include <ctype.h>
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

void wr_machine_read(struct wr_machine *m, const char *sysfs_root)
{
	m->vendor = read_dmi_field(sysfs_root, "sys_vendor");
	m->product = read_dmi_field(sysfs_root, "product_name");
	m->serial = read_dmi_field(sysfs_root, "product_serial");
}
