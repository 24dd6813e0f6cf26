/* The storage diagnosis (storage.h): sysfs below a configurable root, libblkid
 * for RAID member signatures. Reads only; never opens a device for writing. */
#include "winrescue/storage.h"

#include <blkid/blkid.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "winrescue/mdraid.h"
#include "winrescue/util.h"

/* The first line of a sysfs attribute, blanks trimmed; NULL when absent or empty. */
static char *attr(const char *dir, const char *name)
{
	char *path = wr_xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "re");
	free(path);
	char buf[512];
	char *s = f && fgets(buf, sizeof(buf), f) ? buf : NULL;
	if (f)
		fclose(f);
	if (!s)
		return NULL;
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strcspn(s, "\n");
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	s[n] = '\0';
	return n ? wr_xstrdup(s) : NULL;
}

static unsigned long attr_hex(const char *dir, const char *name)
{
	char *v = attr(dir, name);
	unsigned long x = v ? strtoul(v, NULL, 16) : 0;
	free(v);
	return x;
}

/* The last component of the symlink dir/name ("ahci" for driver -> .../ahci). */
static char *link_name(const char *dir, const char *name)
{
	char *path = wr_xasprintf("%s/%s", dir, name);
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	free(path);
	if (n <= 0)
		return NULL;
	target[n] = '\0';
	const char *slash = strrchr(target, '/');
	return wr_xstrdup(slash ? slash + 1 : target);
}

static void add_note(struct wr_storage *st, char *note)
{
	char **slot = wr_array_grow(&st->notes, &st->nnotes, sizeof(char *));
	*slot = note;
}

/* ---- PCI controllers ----------------------------------------------------- */

/* Intel VMD (Volume Management Device): NVMe drives sit behind it and appear
 * only once the vmd driver has bound (IDs from Linux's drivers/pci/controller/vmd.c). */
static bool is_intel_vmd(unsigned long vendor, unsigned long device)
{
	static const unsigned long ids[] = { 0x201d, 0x28c0, 0x467f, 0x4c3d, 0x7d0b, 0x9a0b,
		0xa77f, 0xad0b, 0xb60b, 0xb06f, 0xc3c0 };
	for (size_t i = 0; vendor == 0x8086 && i < sizeof(ids) / sizeof(ids[0]); i++)
		if (device == ids[i])
			return true;
	return false;
}

static const char *class_kind(uint32_t cls)
{
	switch ((cls >> 8) & 0xff) {
	case 0x00: return "SCSI";
	case 0x01: return "IDE";
	case 0x04: return "RAID";
	case 0x05: return "ATA";
	case 0x06: return "SATA";
	case 0x07: return "SAS";
	case 0x08: return (cls & 0xff) == 0x03 ? "UFS" : "NVMe";
	}
	return "storage";
}

static void controller_notes(struct wr_storage *st, const struct wr_storage_controller *c)
{
	if (!strcmp(c->kind, "Intel VMD") && !c->driver)
		add_note(st, wr_xasprintf("Intel VMD controller %s has no driver: NVMe drives behind it "
			"cannot be seen. In the firmware setup turn VMD off (storage mode AHCI), run "
			"winrescue, and turn it back on before Windows starts.", c->address));
	else if (!c->driver)
		add_note(st, wr_xasprintf("%s controller %s (PCI %s) has no driver on this stick: "
			"disks behind it cannot be seen (docs/rescue-media.md says what to use "
			"instead).", c->kind, c->address, c->id));
	if (c->remapped_nvme > 0)
		add_note(st, wr_xasprintf("Intel RST (\"RAID On\") hides %d NVMe drive%s behind the "
			"SATA controller %s: in the firmware setup switch the SATA mode from RAID to "
			"AHCI, run winrescue, and switch it back to RAID before Windows starts "
			"(Windows does not start while the mode differs from the one it was installed "
			"with).", c->remapped_nvme, c->remapped_nvme == 1 ? "" : "s", c->address));
}

static void add_controller(struct wr_storage *st, const char *dir, const char *address,
			   const void *unused)
{
	(void)unused;
	uint32_t cls = (uint32_t)attr_hex(dir, "class");
	if ((cls >> 16) != 0x01)
		return;
	unsigned long vendor = attr_hex(dir, "vendor"), device = attr_hex(dir, "device");
	struct wr_storage_controller *c = wr_array_grow(&st->controllers, &st->ncontrollers,
		sizeof(*c));
	c->address = wr_xstrdup(address);
	c->pci_class = cls;
	c->id = wr_xasprintf("%04lx:%04lx", vendor, device);
	c->kind = is_intel_vmd(vendor, device) ? "Intel VMD" : class_kind(cls);
	c->driver = link_name(dir, "driver");
	char *remapped = attr(dir, "remapped_nvme");
	c->remapped_nvme = remapped ? atoi(remapped) : -1;
	free(remapped);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Calls fn for each entry of dir (sorted, dot files left out). */
static void each_entry(const char *dir, void (*fn)(struct wr_storage *, const char *,
		       const char *, const void *), struct wr_storage *st, const void *ctx)
{
	struct dirent **list = NULL;
	int n = scandir(dir, &list, NULL, by_name);
	for (int i = 0; i < n; i++) {
		if (list[i]->d_name[0] != '.') {
			char *path = wr_xasprintf("%s/%s", dir, list[i]->d_name);
			fn(st, path, list[i]->d_name, ctx);
			free(path);
		}
		free(list[i]);
	}
	free(list);
}

/* ---- block devices ------------------------------------------------------- */

static const char *transport_of(const char *name, const char *real)
{
	static const struct { const char *part, *transport; } rules[] = {
		{ "/usb", "usb" }, { "/nvme/", "nvme" }, { "/virtio", "virtio" },
		{ "/mmc_host/", "mmc" }, { "/ata", "sata" }, { "/ufs", "ufs" },
		{ "/vbd-", "xen" }, { "/host", "scsi" },
	};
	if (!strncmp(name, "md", 2))
		return "md";
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (strstr(real, rules[i].part))
			return rules[i].transport;
	return strstr(real, "/virtual/") ? "virtual" : "other";
}

/* The PCI address closest to the device in its sysfs path ("0000:00:17.0"). */
static char *controller_of(const char *real)
{
	char *found = NULL;
	for (const char *p = real; (p = strchr(p, '/')) != NULL; p++) {
		unsigned a, b, c, d;
		char tail;
		if (sscanf(p + 1, "%4x:%2x:%2x.%1x%c", &a, &b, &c, &d, &tail) == 5 && tail == '/') {
			free(found);
			found = wr_xasprintf("%04x:%02x:%02x.%x", a, b, c, d);
		}
	}
	return found;
}

static bool skipped_block(const char *name, const char *dir)
{
	static const char *const skipped[] = { "ram", "zram", "loop", "dm-", "fd" };
	for (size_t i = 0; i < sizeof(skipped) / sizeof(skipped[0]); i++)
		if (!strncmp(name, skipped[i], strlen(skipped[i])))
			return true;
	char *part = wr_xasprintf("%s/partition", dir);
	bool is_part = access(part, F_OK) == 0;
	free(part);
	return is_part;
}

static char *model_of(const char *dir)
{
	char *dev = wr_xasprintf("%s/device", dir);
	char *model = attr(dev, "model");
	if (!model)                 /* nvme0n1/device is the namespace's controller */
		model = attr(dir, "device/device/model");
	if (!model)                 /* SD and MMC cards */
		model = attr(dev, "name");
	free(dev);
	return model;
}

/* dev_root: where the nodes are opened to look for RAID signatures (NULL: not). */
static void add_disk(struct wr_storage *st, const char *dir, const char *name,
		     const void *dev_root)
{
	if (skipped_block(name, dir))
		return;
	char real[PATH_MAX];
	if (!realpath(dir, real))
		snprintf(real, sizeof(real), "%s", dir);
	struct wr_storage_disk *d = wr_array_grow(&st->disks, &st->ndisks, sizeof(*d));
	d->name = wr_xstrdup(name);
	char *sectors = attr(dir, "size");
	d->size = sectors ? strtoull(sectors, NULL, 10) * 512 : 0;
	free(sectors);
	d->model = model_of(dir);
	d->transport = wr_xstrdup(transport_of(name, real));
	d->controller = controller_of(real);
	if (!strcmp(d->transport, "md")) {
		char *missing = attr(dir, "md/degraded");
		d->degraded = missing ? atoi(missing) : 0;
		free(missing);
	}
	if (dev_root && d->size) {
		char *node = wr_xasprintf("%s/%s", (const char *)dev_root, name);
		d->raid_member = wr_storage_raid_member(node);
		free(node);
	}
}

char *wr_storage_raid_member(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	blkid_probe pr = fd < 0 ? NULL : blkid_new_probe();
	char *type = NULL;
	if (pr && blkid_probe_set_device(pr, fd, 0, 0) == 0) {
		blkid_probe_enable_superblocks(pr, 1);
		blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_USAGE);
		blkid_probe_filter_superblocks_usage(pr, BLKID_FLTR_ONLYIN, BLKID_USAGE_RAID);
		const char *v = NULL;
		if (blkid_do_probe(pr) == 0 && blkid_probe_lookup_value(pr, "TYPE", &v, NULL) == 0)
			type = wr_xstrdup(v);
	}
	if (pr)
		blkid_free_probe(pr);
	if (fd >= 0)
		close(fd);
	return type;
}

/* A degraded mirror still holds the whole volume: a fix goes through md to the
 * members present, and the missing one keeps its old content until the RAID
 * firmware or driver rebuilds it from the set. */
static void degraded_note(struct wr_storage *st, const struct wr_storage_disk *d)
{
	if (d->degraded > 0)
		add_note(st, wr_xasprintf("RAID set %s is degraded: %d member%s missing. A fix "
			"writes through the set to the members present; a missing member is not "
			"changed, and the RAID firmware or Windows rebuilds it from the set when it is "
			"connected again.", d->name, d->degraded, d->degraded == 1 ? "" : "s"));
}

bool wr_storage_degraded(const struct wr_storage *st)
{
	for (size_t i = 0; st && i < st->ndisks; i++)
		if (st->disks[i].degraded > 0)
			return true;
	return false;
}

static void disk_notes(struct wr_storage *st)
{
	if (!st->ndisks)
		add_note(st, wr_xstrdup("no disk at all is visible: check that the Windows disk is "
			"connected and listed in the firmware setup, and the controllers below"));
	for (size_t i = 0; i < st->ndisks; i++)
		if (st->disks[i].raid_member)
			add_note(st, wr_xasprintf("%s is a member of %s: winrescue never writes to a "
				"member disk itself, only to the assembled set", st->disks[i].name,
				wr_mdraid_kind(st->disks[i].raid_member)));
}

/* ---- the whole picture --------------------------------------------------- */

struct wr_storage *wr_storage_examine(const char *sysfs_root, const char *dev_root)
{
	struct wr_storage *st = wr_xcalloc(1, sizeof(*st));
	st->settle_seconds = -1;
	char *pci = wr_xasprintf("%s/bus/pci/devices", sysfs_root);
	char *block = wr_xasprintf("%s/class/block", sysfs_root);
	each_entry(pci, add_controller, st, NULL);
	each_entry(block, add_disk, st, dev_root);
	free(block);
	free(pci);
	for (size_t i = 0; i < st->ncontrollers; i++)
		controller_notes(st, &st->controllers[i]);
	disk_notes(st);
	for (size_t i = 0; i < st->ndisks; i++)
		degraded_note(st, &st->disks[i]);
	return st;
}

void wr_storage_free(struct wr_storage *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->ndisks; i++) {
		free(st->disks[i].name);
		free(st->disks[i].model);
		free(st->disks[i].transport);
		free(st->disks[i].controller);
		free(st->disks[i].raid_member);
	}
	for (size_t i = 0; i < st->ncontrollers; i++) {
		free(st->controllers[i].address);
		free(st->controllers[i].id);
		free(st->controllers[i].driver);
	}
	for (size_t i = 0; i < st->nnotes; i++)
		free(st->notes[i]);
	free(st->disks);
	free(st->controllers);
	free(st->notes);
	free(st);
}

/* ---- waiting for slow controllers --------------------------------------- */

/* The names of the block devices, one string ("sda nvme0n1 ..."). */
static char *block_names(const char *sysfs_root, size_t *count)
{
	char *dir = wr_xasprintf("%s/class/block", sysfs_root);
	struct dirent **list = NULL;
	int n = scandir(dir, &list, NULL, by_name);
	free(dir);
	char *names = wr_xstrdup("");
	*count = 0;
	for (int i = 0; i < n; i++) {
		if (list[i]->d_name[0] != '.') {
			char *more = wr_xasprintf("%s %s", names, list[i]->d_name);
			free(names);
			names = more;
			++*count;
		}
		free(list[i]);
	}
	free(list);
	return names;
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double wr_storage_settle(const char *sysfs_root, unsigned stable_ms, unsigned max_ms,
			 void (*say)(void *ctx, const char *text), void *ctx, bool *settled)
{
	double start = now_seconds(), changed = start;
	size_t count;
	char *last = block_names(sysfs_root, &count);
	if (say) {
		char *text = wr_xasprintf("waiting until no more disks appear (%.0f s without a "
			"change, at most %.0f s)...", stable_ms / 1000.0, max_ms / 1000.0);
		say(ctx, text);
		free(text);
	}
	*settled = false;
	for (;;) {
		double t = now_seconds();
		if ((t - changed) * 1000 >= stable_ms) {
			*settled = true;
			break;
		}
		if ((t - start) * 1000 >= max_ms)
			break;
		struct timespec pause = { 0, 250 * 1000 * 1000 };
		nanosleep(&pause, NULL);
		char *names = block_names(sysfs_root, &count);
		if (strcmp(names, last))
			changed = now_seconds();
		free(last);
		last = names;
	}
	free(last);
	double waited = now_seconds() - start;
	if (say) {
		char *text = wr_xasprintf("%zu block device%s after %.1f s%s", count,
			count == 1 ? "" : "s", waited, *settled ? "" : " (still changing: going on)");
		say(ctx, text);
		free(text);
	}
	return waited;
}
