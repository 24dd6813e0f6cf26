#include "winrescue/bcd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "winrescue/hive.h"
#include "winrescue/util.h"

#define REG_BINARY 3u

static size_t element_key(struct wr_hive *h, size_t object, const char *element)
{
	size_t elements = wr_hive_key(h, object, "Elements");
	return elements ? wr_hive_key(h, elements, element) : 0;
}

static int element_raw(struct wr_hive *h, size_t object, const char *element, uint8_t **data,
		       size_t *len)
{
	uint32_t type;
	size_t key = element_key(h, object, element);
	return key ? wr_hive_get_raw(h, key, "Element", &type, data, len) : -ENOENT;
}

static char *element_string(struct wr_hive *h, size_t object, const char *element)
{
	char *s = NULL;
	size_t key = element_key(h, object, element);
	if (key)
		wr_hive_get_string(h, key, "Element", &s);
	return s;
}

/* Integers are 8 bytes little-endian, booleans one byte (or more: any non-zero). */
static int64_t element_integer(struct wr_hive *h, size_t object, const char *element, bool boolean)
{
	uint8_t *data = NULL;
	size_t len = 0;
	if (element_raw(h, object, element, &data, &len))
		return -1;
	int64_t v = 0;
	for (size_t i = 0; i < len && i < 8; i++)
		v |= boolean ? (data[i] != 0) : (int64_t)data[i] << (8 * i);
	free(data);
	return len ? (v < 0 ? INT64_MAX : v) : -1;
}

static bool is_windows_loader(struct wr_hive *h, size_t object)
{
	uint32_t type = 0;
	size_t desc = wr_hive_key(h, object, "Description");
	return desc && wr_hive_get_dword(h, desc, "Type", &type) == 0 &&
	       type == WR_BCD_TYPE_WINDOWS_LOADER;
}

static char *default_entry(struct wr_hive *h)
{
	size_t bootmgr = wr_hive_key(h, 0, "Objects\\" WR_BCD_BOOTMGR);
	return bootmgr ? element_string(h, bootmgr, WR_BCD_DEFAULT) : NULL;
}

/* Calls fn for each Windows loader object; stops at the first error. */
typedef int (*loader_fn)(struct wr_hive *h, size_t object, const char *id, void *ctx);
static int each_loader(struct wr_hive *h, loader_fn fn, void *ctx)
{
	size_t objects = wr_hive_key(h, 0, "Objects");
	if (!objects)
		return -ENOENT;
	size_t *kids = NULL, n = 0;
	int rc = wr_hive_children(h, objects, &kids, &n);
	for (size_t i = 0; !rc && i < n; i++) {
		if (!is_windows_loader(h, kids[i]))
			continue;
		char *id = wr_hive_key_name(h, kids[i]);
		rc = id ? fn(h, kids[i], id, ctx) : -EINVAL;
		free(id);
	}
	free(kids);
	return rc;
}

struct read_ctx { struct wr_boot_store *bs; const char *default_id; };

static int read_loader(struct wr_hive *h, size_t object, const char *id, void *ctx)
{
	struct read_ctx *rc = ctx;
	struct wr_boot_entry *e = wr_boot_store_add_entry(rc->bs);
	e->id = wr_xstrdup(id);
	e->description = element_string(h, object, WR_BCD_DESCRIPTION);
	e->is_default = rc->default_id && !strcasecmp(rc->default_id, id);
	e->safeboot = element_integer(h, object, WR_BCD_SAFEBOOT, false);
	e->alternate_shell = (int)element_integer(h, object, WR_BCD_ALTERNATE_SHELL, true);
	return 0;
}

static int open_store(const uint8_t *data, size_t len, bool writable, struct wr_hive **h,
		      char **err)
{
	char *why = NULL;
	int rc = wr_hive_open(data, len, writable, h, &why);
	if (rc) {
		*err = wr_xasprintf("the boot configuration store is unreadable: %s", why);
		free(why);
		return rc;
	}
	if (!wr_hive_key(*h, 0, "Objects")) {
		*err = wr_xstrdup("the boot configuration store has no Objects key");
		wr_hive_close(*h);
		*h = NULL;
		return -EINVAL;
	}
	return 0;
}

int wr_bcd_read(const uint8_t *data, size_t len, struct wr_boot_store *bs, char **err)
{
	struct wr_hive *h = NULL;
	int rc = open_store(data, len, false, &h, err);
	if (rc)
		return rc;
	struct read_ctx ctx = { bs, default_entry(h) };
	rc = each_loader(h, read_loader, &ctx);
	if (rc)
		*err = wr_xasprintf("the boot configuration store cannot be listed: %s",
			strerror(-rc));
	free((char *)ctx.default_id);
	wr_hive_close(h);
	return rc;
}

bool wr_bcd_entry_has_safeboot(const struct wr_boot_entry *e)
{
	return e->safeboot >= 0 || e->alternate_shell >= 0;
}

/* ---- changes ------------------------------------------------------------- */

struct change_ctx { const char *default_id; size_t changed; };

static int delete_element(struct wr_hive *h, size_t object, const char *element, size_t *changed)
{
	size_t key = element_key(h, object, element);
	if (!key)
		return 0;
	int rc = wr_hive_delete_key(h, key);
	*changed += rc == 0;
	return rc;
}

static int clear_loader(struct wr_hive *h, size_t object, const char *id, void *ctx)
{
	(void)id;
	struct change_ctx *c = ctx;
	int rc = delete_element(h, object, WR_BCD_SAFEBOOT, &c->changed);
	return rc ? rc : delete_element(h, object, WR_BCD_ALTERNATE_SHELL, &c->changed);
}

static int set_safe_mode(struct wr_hive *h, size_t object, const char *id, void *ctx)
{
	struct change_ctx *c = ctx;
	if (!c->default_id || strcasecmp(c->default_id, id))
		return 0;
	static const uint8_t minimal[8] = { 0 };
	if (element_integer(h, object, WR_BCD_SAFEBOOT, false) == 0)
		return 0;  /* already minimal */
	size_t elements = wr_hive_key(h, object, "Elements");
	size_t key = elements ? wr_hive_add_key(h, elements, WR_BCD_SAFEBOOT) : 0;
	if (!key)
		return -EIO;
	int rc = wr_hive_set_raw(h, key, "Element", REG_BINARY, minimal, sizeof(minimal));
	c->changed += rc == 0;
	return rc;
}

int wr_bcd_change(const uint8_t *data, size_t len, enum wr_bcd_change change,
		  uint8_t **out, size_t *out_len, char **err)
{
	*out = NULL;
	*out_len = 0;
	struct wr_hive *h = NULL;
	int rc = open_store(data, len, true, &h, err);
	if (rc)
		return rc;
	struct change_ctx ctx = { default_entry(h), 0 };
	if (change == WR_BCD_SET_SAFE_MODE && !ctx.default_id)
		rc = -ENOENT;
	else
		rc = each_loader(h, change == WR_BCD_CLEAR_SAFEBOOT ? clear_loader : set_safe_mode,
				 &ctx);
	if (!rc && ctx.changed)
		rc = wr_hive_bytes(h, out, out_len);
	if (rc)
		*err = wr_xasprintf(rc == -ENOENT && change == WR_BCD_SET_SAFE_MODE ?
			"the boot configuration store names no default entry" :
			"the boot configuration store cannot be changed: %s", strerror(-rc));
	free((char *)ctx.default_id);
	wr_hive_close(h);
	return rc ? rc : (int)ctx.changed;
}
