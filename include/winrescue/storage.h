/* What the machine's storage looks like to Linux, for the technician whose
 * Windows disk was not found: every block device (size, model, transport), every
 * PCI mass-storage controller (class 01xxxx) with its driver or none, NVMe drives
 * Intel RST hides behind its SATA controller, Intel VMD, software-RAID members.
 * Everything is read below a sysfs root, so tests use fake trees. */
#ifndef WINRESCUE_STORAGE_H
#define WINRESCUE_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wr_storage_disk {
	char *name;             /* kernel name: "sda", "nvme0n1", "md126" */
	uint64_t size;          /* bytes */
	char *model;            /* NULL when the kernel does not say */
	char *transport;        /* "nvme", "sata", "usb", "virtio", "scsi", "mmc", "xen", "md", ... */
	char *controller;       /* PCI address of the controller it hangs off, NULL if none */
	char *raid_member;      /* libblkid TYPE: "isw_raid_member", "ddf_raid_member", ... */
	int degraded;           /* an md set: members missing (md/degraded); 0 otherwise */
};

struct wr_storage_controller {
	char *address;          /* PCI address, "0000:00:17.0" */
	uint32_t pci_class;     /* 0x010601 */
	char *id;               /* "8086:2822" */
	const char *kind;       /* "SATA", "NVMe", "RAID", "SCSI", "SAS", "Intel VMD", ... */
	char *driver;           /* bound driver, NULL: no driver */
	int remapped_nvme;      /* NVMe drives hidden by Intel RST (ahci's count), -1 unknown */
};

struct wr_storage {
	struct wr_storage_disk *disks;
	size_t ndisks;
	struct wr_storage_controller *controllers;
	size_t ncontrollers;
	char **notes;           /* what is wrong and what to do, one sentence each */
	size_t nnotes;
	double settle_seconds;  /* how long discovery waited for the disk list (-1: it did not) */
	bool settled;           /* the list was stable before the limit */
};

/* Reads the storage below sysfs_root ("/sys"). dev_root ("/dev"), when not NULL,
 * is where each block device's node is opened read-only to look for RAID member
 * signatures (libblkid). Returns a new object (never NULL). */
struct wr_storage *wr_storage_examine(const char *sysfs_root, const char *dev_root);
void wr_storage_free(struct wr_storage *st);

/* Whether an assembled RAID set is missing members (the report then shows the
 * storage block, whatever the result). */
bool wr_storage_degraded(const struct wr_storage *st);

/* Waits until the set of block devices under sysfs_root has not changed for
 * stable_ms, at most max_ms; say(ctx, text) tells the person it is waiting (may be
 * NULL). Returns the seconds waited; *settled is false when the limit was hit. */
double wr_storage_settle(const char *sysfs_root, unsigned stable_ms, unsigned max_ms,
			 void (*say)(void *ctx, const char *text), void *ctx, bool *settled);

/* libblkid's RAID-member type of the device or image at path (NULL when it is
 * none). Returns a malloc'ed string. */
char *wr_storage_raid_member(const char *path);

#endif
