/* The Windows Boot Manager's store (BCD): a registry hive of objects, each with
 * a Description\Type and Elements\<id>\Element values. Works on the store's bytes
 * (bootstore.c finds and writes them). */
#ifndef WINRESCUE_BCD_H
#define WINRESCUE_BCD_H

#include <stddef.h>
#include <stdint.h>

#include "winrescue/model.h"

#define WR_BCD_BOOTMGR "{9dea862c-5cdd-4e70-acc1-f32b344d4795}"
#define WR_BCD_TYPE_WINDOWS_LOADER 0x10200003u
#define WR_BCD_DESCRIPTION "12000004"      /* string */
#define WR_BCD_DEFAULT "23000003"          /* boot manager: GUID of the default entry */
#define WR_BCD_SAFEBOOT "25000080"         /* integer: 0 minimal, 1 network, 2 dsrepair */
#define WR_BCD_ALTERNATE_SHELL "26000081"  /* boolean */

/* Lists the Windows loader entries into bs->entries. 0, or -errno with *err. */
int wr_bcd_read(const uint8_t *data, size_t len, struct wr_boot_store *bs, char **err);
/* Whether an entry has a Safe Mode leftover. */
bool wr_bcd_entry_has_safeboot(const struct wr_boot_entry *e);

enum wr_bcd_change {
	WR_BCD_CLEAR_SAFEBOOT,   /* safeboot + safebootalternateshell off every Windows loader */
	WR_BCD_SET_SAFE_MODE,    /* safeboot minimal on the default Windows loader */
};
/* Applies a change to the store's bytes. Returns the number of elements changed
 * (0: nothing to do, *out NULL) with the new store in *out, or -errno with *err. */
int wr_bcd_change(const uint8_t *data, size_t len, enum wr_bcd_change change,
		  uint8_t **out, size_t *out_len, char **err);

#endif
