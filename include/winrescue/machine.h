/* The machine a report is about (DMI). */
#ifndef WINRESCUE_MACHINE_H
#define WINRESCUE_MACHINE_H

#include "winrescue/model.h"

/* The DMI identity (vendor, product, serial, UUID, chassis asset tag and serial)
 * from sysfs_root (normally /sys/class/dmi/id);
 * fields that are absent or unreadable stay NULL. */
void wr_machine_read(struct wr_machine *m, const char *sysfs_root);

#endif
