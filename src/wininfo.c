#include "winrescue/wininfo.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "winrescue/hive.h"
#include "winrescue/ntfsvol.h"
#include "winrescue/storage.h"
#include "winrescue/util.h"

/* SYSTEM hives are tens of megabytes; far larger is not a hive worth trusting. */
#define WR_MAX_HIVE (512u << 20)
#define WR_SENSOR_SERVICE "CSAgent"

static enum wr_start_type start_of(struct wr_hive *h, size_t services, const char *name)
{
	size_t svc = wr_hive_key(h, services, name);
	if (!svc)
		return WR_START_ABSENT;
	uint32_t start;
	if (wr_hive_get_dword(h, svc, "Start", &start))
		return WR_START_OTHER;
	/* Windows 10+ lets StartOverride\0 overrule Start (storahci is often off this way). */
	uint32_t over;
	size_t ov = wr_hive_key(h, svc, "StartOverride");
	if (ov && wr_hive_get_dword(h, ov, "0", &over) == 0)
		start = over;
	return start <= 4 ? (enum wr_start_type)start : WR_START_OTHER;
}

static void read_control_set(struct wr_hive *h, struct wr_windows_info *wi)
{
	uint32_t current = 0;
	size_t select = wr_hive_key(h, 0, "Select");
	if (!select || wr_hive_get_dword(h, select, "Current", &current) || current > 999) {
		wi->hive_error = wr_xstrdup("the SYSTEM hive has no Select\\Current value");
		return;
	}
	wi->control_set = wr_xasprintf("ControlSet%03u", current);
	size_t cs = wr_hive_key(h, 0, wi->control_set);
	if (!cs) {
		wr_set_message(&wi->hive_error, "the SYSTEM hive has no %s", wi->control_set);
		return;
	}
	size_t cn = wr_hive_key(h, cs, "Control\\ComputerName\\ComputerName");
	wr_hive_get_string(h, cn, "ComputerName", &wi->computer_name);
	size_t services = wr_hive_key(h, cs, "Services");
	wi->sensor_start = services ? start_of(h, services, WR_SENSOR_SERVICE) : WR_START_ABSENT;
	if (wi->sensor_start != WR_START_ABSENT)
		wi->sensor_service = wr_xstrdup(WR_SENSOR_SERVICE);
	for (size_t i = 0; i < WR_STORAGE_DRIVERS; i++)
		wi->storage_start[i] = services ? start_of(h, services, wr_storage_driver_names[i]) :
			WR_START_ABSENT;
}

void wr_windows_info_from_hive(const uint8_t *data, size_t len, struct wr_windows_info *wi)
{
	wi->sensor_start = WR_START_ABSENT;
	for (size_t i = 0; i < WR_STORAGE_DRIVERS; i++)
		wi->storage_start[i] = WR_START_ABSENT;
	struct wr_hive_header hdr;
	wr_hive_read_header(data, len, &hdr);
	if (!hdr.valid) {
		wi->hive_error = wr_xstrdup("the SYSTEM hive is not a registry hive");
		return;
	}
	wi->seq1 = hdr.seq1;
	wi->seq2 = hdr.seq2;
	wi->hive_dirty = hdr.seq1 != hdr.seq2;
	struct wr_hive *h = NULL;
	char *err = NULL;
	if (wr_hive_open(data, len, false, &h, &err)) {
		wr_set_message(&wi->hive_error, "the SYSTEM hive is unreadable: %s", err);
		free(err);
		return;
	}
	read_control_set(h, wi);
	wr_hive_close(h);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A transaction log (Windows 8.1 format: base block, then "HvLE" entries) holds
 * changes not yet in the hive when its first entry is not older than the hive's
 * secondary sequence number: Windows replays it at the next boot. */
static bool log_pending(struct wr_ntfs *nv, const char *path, uint32_t hive_seq2)
{
	uint64_t mref;
	uint8_t *data = NULL;
	size_t len = 0;
	bool pending = false;
	if (wr_ntfs_lookup(nv, path, &mref) == 0 &&
	    wr_ntfs_read_all(nv, mref, WR_MAX_HIVE, &data, &len) == 0 &&
	    len >= 1024 && !memcmp(data, "regf", 4) && !memcmp(data + 512, "HvLE", 4))
		pending = le32(data + 512 + 12) >= hive_seq2;
	free(data);
	return pending;
}

static bool sata_in_ahci_mode(const struct wr_windows_info *wi)
{
	return wi->controller && !strcmp(wi->controller, "ahci");
}

/* Windows stops with INACCESSIBLE_BOOT_DEVICE when the boot disk's controller
 * has no driver started at boot: the classic case is the firmware switched from
 * RAID (Intel RST) to AHCI to make the disk visible here. */
static void warn_boot_driver(struct wr_windows_info *wi)
{
	if (!sata_in_ahci_mode(wi) || wi->hive_error)
		return;
	enum wr_start_type st = wi->storage_start[0];
	if (st == WR_START_BOOT)
		return;
	wi->warning = wr_xasprintf("the disk is on a controller in AHCI mode but Windows' AHCI "
		"driver (storahci) is %s: Windows will stop with INACCESSIBLE_BOOT_DEVICE. "
		"Switch the firmware's SATA mode back (RAID/RST) before starting Windows",
		st == WR_START_ABSENT ? "not installed" : wr_start_type_name(st));
}

void wr_windows_info_read(struct wr_ntfs *nv, struct wr_volume *vol)
{
	struct wr_windows_info *wi = wr_xcalloc(1, sizeof(*wi));
	wr_windows_info_free(vol->windows_info);
	vol->windows_info = wi;
	uint64_t mref;
	uint8_t *data = NULL;
	size_t len = 0;
	int rc = wr_ntfs_lookup(nv, WR_SYSTEM_HIVE, &mref);
	if (!rc)
		rc = wr_ntfs_read_all(nv, mref, WR_MAX_HIVE, &data, &len);
	if (rc) {
		wi->sensor_start = WR_START_ABSENT;
		for (size_t i = 0; i < WR_STORAGE_DRIVERS; i++)
			wi->storage_start[i] = WR_START_ABSENT;
		wi->hive_error = wr_xasprintf("cannot read %s: %s", WR_SYSTEM_HIVE, strerror(-rc));
		return;
	}
	wr_windows_info_from_hive(data, len, wi);
	free(data);
	if (!wi->hive_error)
		wi->pending_logs = log_pending(nv, WR_SYSTEM_HIVE ".LOG1", wi->seq2) ||
				   log_pending(nv, WR_SYSTEM_HIVE ".LOG2", wi->seq2);
}

/* ---- the controller Linux sees the disk on ------------------------------ */

/* The whole disk's kernel name for a target that may be a partition node. */
static char *disk_name_of(const char *devnode)
{
	const char *slash = strrchr(devnode, '/');
	const char *name = slash ? slash + 1 : devnode;
	char *part = wr_xasprintf("/sys/class/block/%s/partition", name);
	char *parent = NULL;
	if (access(part, F_OK) == 0) {
		char *link = wr_xasprintf("/sys/class/block/%s/..", name);
		char *dir = realpath(link, NULL);
		const char *base = dir ? strrchr(dir, '/') : NULL;
		parent = base ? wr_xstrdup(base + 1) : NULL;
		free(dir);
		free(link);
	}
	free(part);
	return parent ? parent : wr_xstrdup(name);
}

static const char *controller_driver(const struct wr_storage *st, const char *disk)
{
	for (size_t i = 0; st && i < st->ndisks; i++) {
		const struct wr_storage_disk *d = &st->disks[i];
		if (strcmp(d->name, disk) || !d->controller)
			continue;
		for (size_t j = 0; j < st->ncontrollers; j++)
			if (!strcmp(st->controllers[j].address, d->controller))
				return st->controllers[j].driver;
	}
	return NULL;
}

void wr_windows_info_set_controller(struct wr_windows_info *wi, const struct wr_storage *st,
				    const char *disk)
{
	const char *driver = controller_driver(st, disk);
	free(wi->controller);
	wi->controller = driver ? wr_xstrdup(driver) : NULL;
	free(wi->warning);
	wi->warning = NULL;
	warn_boot_driver(wi);
}

void wr_windows_info_check_controller(struct wr_windows_info *wi, const struct wr_storage *st,
				      const char *device)
{
	struct stat sb;
	if (!wi || !device || stat(device, &sb) < 0 || !S_ISBLK(sb.st_mode))
		return;  /* an image file is on no controller */
	char *disk = disk_name_of(device);
	wr_windows_info_set_controller(wi, st, disk);
	free(disk);
}
