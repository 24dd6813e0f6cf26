#include "winrescue/probe.h"

#include <blkid/blkid.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "winrescue/log.h"
#include "winrescue/mdraid.h"
#include "winrescue/storage.h"
#include "winrescue/util.h"

static char *read_line_file(const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	char buf[4096];
	char *line = fgets(buf, sizeof(buf), f) ? wr_xstrdup(buf) : NULL;
	fclose(f);
	if (line)
		line[strcspn(line, "\n")] = '\0';
	return line;
}

/* The sysfs folder of a block device node, e.g. /sys/dev/block/8:0. */
static char *sysfs_dir_of(const char *devnode)
{
	struct stat st;
	if (stat(devnode, &st) < 0 || !S_ISBLK(st.st_mode))
		return NULL;
	return wr_xasprintf("/sys/dev/block/%u:%u", major(st.st_rdev), minor(st.st_rdev));
}

/* The kernel's node for partition partno of disk, when the kernel made one. */
static char *partition_node(const char *disk, int partno)
{
	char *sys = sysfs_dir_of(disk);
	DIR *d = sys ? opendir(sys) : NULL;
	char *node = NULL;
	struct dirent *de;
	while (d && !node && (de = readdir(d))) {
		char *pfile = wr_xasprintf("%s/%s/partition", sys, de->d_name);
		char *num = read_line_file(pfile);
		if (num && atoi(num) == partno)
			node = wr_xasprintf("/dev/%s", de->d_name);
		free(num);
		free(pfile);
	}
	if (d)
		closedir(d);
	free(sys);
	return node;
}

static char *probe_value(blkid_probe pr, const char *name)
{
	const char *v = NULL;
	return blkid_probe_lookup_value(pr, name, &v, NULL) == 0 ? wr_xstrdup(v) : NULL;
}

/* libblkid also checks the MFT and so misses an NTFS whose metadata is damaged;
 * its boot sector still says what it is, and a damaged Windows volume must be
 * reported as such, not passed over as "not Windows". */
static void probe_boot_sector_id(int fd, struct wr_volume *vol)
{
	char oem[8];
	if (pread(fd, oem, sizeof(oem), (off_t)vol->offset + 3) != (ssize_t)sizeof(oem))
		return;
	if (!memcmp(oem, "NTFS    ", 8))
		vol->fs_type = wr_xstrdup("ntfs");
	else if (!memcmp(oem, "-FVE-FS-", 8))
		vol->fs_type = wr_xstrdup("BitLocker");
}

/* A disk whose sectors return I/O errors must never pass for "not Windows":
 * libblkid says "nothing found" for what it cannot read. 0 or -errno. */
static int readable_at(int fd, uint64_t offset)
{
	char buf[4096];
	for (;;) {
		ssize_t n = pread(fd, buf, sizeof(buf), (off_t)offset);
		if (n >= 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

/* Filesystem type, label and serial of the bytes [offset, offset+size) of fd. */
static void probe_content(int fd, struct wr_volume *vol)
{
	int rc = readable_at(fd, vol->offset);
	if (rc) {
		vol->status = WR_VOL_ERROR;
		wr_set_message(&vol->message, "cannot read %s at byte %llu: %s", vol->device,
			(unsigned long long)vol->offset, strerror(-rc));
		return;
	}
	blkid_probe pr = blkid_new_probe();
	if (!pr)
		return;
	if (blkid_probe_set_device(pr, fd, (blkid_loff_t)vol->offset, (blkid_loff_t)vol->size) == 0) {
		blkid_probe_enable_superblocks(pr, 1);
		blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL |
			BLKID_SUBLKS_UUID);
		if (blkid_do_safeprobe(pr) == 0) {
			vol->fs_type = probe_value(pr, "TYPE");
			vol->label = probe_value(pr, "LABEL");
			vol->serial = probe_value(pr, "UUID");
		}
	}
	blkid_free_probe(pr);
	if (!vol->fs_type)
		probe_boot_sector_id(fd, vol);
}

static char *partition_type_text(blkid_partition part)
{
	const char *s = blkid_partition_get_type_string(part);
	if (s)
		return wr_xstrdup(s);
	return wr_xasprintf("0x%02x", (unsigned)blkid_partition_get_type(part));
}

static bool same_device(const char *a, const char *b)
{
	struct stat sa, sb;
	if (stat(a, &sa) < 0 || stat(b, &sb) < 0)
		return !strcmp(a, b);
	if (S_ISBLK(sa.st_mode) && S_ISBLK(sb.st_mode))
		return sa.st_rdev == sb.st_rdev;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* The same volume twice (a target given twice, two partition entries that
 * point at one volume) would be fixed twice: the second pass finds nothing
 * and fails. A volume is listed once per device and offset. */
static bool already_listed(const struct wr_report *rep, const char *target, uint64_t offset)
{
	for (size_t i = 0; i < rep->nvolumes; i++) {
		const struct wr_volume *v = &rep->volumes[i];
		if (v->offset == offset && v->status != WR_VOL_ERROR && same_device(v->device, target)) {
			wr_log(WR_LOG_INFO, "%s at byte %llu is listed once (seen twice)", target,
				(unsigned long long)offset);
			return true;
		}
	}
	return false;
}

static void add_partition(struct wr_report *rep, const char *target, int fd,
			  blkid_partition part, bool is_blockdev)
{
	uint64_t offset = (uint64_t)blkid_partition_get_start(part) * 512;
	if (already_listed(rep, target, offset))
		return;
	struct wr_volume *vol = wr_report_add_volume(rep);
	vol->device = wr_xstrdup(target);
	vol->partition = blkid_partition_get_partno(part);
	vol->part_type = partition_type_text(part);
	vol->offset = offset;
	vol->size = (uint64_t)blkid_partition_get_size(part) * 512;
	if (is_blockdev)
		vol->partition_dev = partition_node(target, vol->partition);
	probe_content(fd, vol);
}

static void add_whole(struct wr_report *rep, const char *target, int fd, uint64_t size)
{
	if (already_listed(rep, target, 0))
		return;
	struct wr_volume *vol = wr_report_add_volume(rep);
	vol->device = wr_xstrdup(target);
	vol->size = size;
	probe_content(fd, vol);
}

/* A partition table, unless the first sector is a filesystem's own boot
 * sector (an NTFS or FAT volume looks like an MBR to a careless reader). */
static blkid_partlist partitions_of(blkid_probe pr)
{
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
	if (blkid_do_safeprobe(pr) != 0)
		return NULL;
	const char *pttype = NULL;
	if (blkid_probe_lookup_value(pr, "PTTYPE", &pttype, NULL) != 0)
		return NULL;
	return blkid_probe_get_partitions(pr);
}

static bool gpt_header_at(int fd, off_t offset)
{
	char sig[8];
	return pread(fd, sig, sizeof(sig), offset) == (ssize_t)sizeof(sig) &&
	       !memcmp(sig, "EFI PART", sizeof(sig));
}

/* An image of a 4096-byte-sector drive (4Kn) has its GPT header in sector 1 of
 * 4096 bytes; libblkid reads an image file with 512-byte sectors unless told. */
static bool gpt_4kn(int fd)
{
	return !gpt_header_at(fd, 512) && gpt_header_at(fd, 4096);
}

static blkid_probe probe_4kn(int fd)
{
	blkid_probe pr = blkid_new_probe();
	if (pr && (blkid_probe_set_device(pr, fd, 0, 0) != 0 ||
		   blkid_probe_set_sectorsize(pr, 4096) != 0)) {
		blkid_free_probe(pr);
		pr = NULL;
	}
	return pr;
}

/* A RAID member is reported, never opened for writing: writing one half of a
 * mirror behind the set's back would corrupt it. The set is examined on its md
 * device when mdadm assembled it; otherwise nothing of it can be read. */
static void add_raid_member(struct wr_report *rep, const char *target, const char *type,
			    bool is_blockdev)
{
	struct wr_volume *vol = wr_report_add_volume(rep);
	vol->device = wr_xstrdup(target);
	vol->fs_type = wr_xstrdup(type);
	const char *slash = strrchr(target, '/');
	char *set = is_blockdev ? wr_mdraid_holder("/sys", slash ? slash + 1 : target) : NULL;
	if (set) {
		vol->status = WR_VOL_NOT_WINDOWS;
		wr_set_message(&vol->message, "member of RAID set %s: not written (the set is "
			"examined as /dev/%s)", set, set);
	} else {
		vol->status = WR_VOL_ERROR;
		wr_set_message(&vol->message, "member of %s that is not assembled: not written, "
			"not examined (on the rescue stick mdadm assembles such sets; here run "
			"mdadm --assemble --scan and give the md device)", wr_mdraid_kind(type));
	}
	free(set);
}

int wr_probe_target(struct wr_report *rep, const char *target, char **err)
{
	struct stat st;
	int st_err = stat(target, &st) < 0 ? errno : 0;
	if (st_err || !(S_ISBLK(st.st_mode) || S_ISREG(st.st_mode))) {
		*err = wr_xasprintf("%s: not a block device or an image file%s%s", target,
			st_err ? ": " : "", st_err ? strerror(st_err) : "");
		return -(st_err ? st_err : EINVAL);
	}
	int fd = open(target, O_RDONLY | O_CLOEXEC);
	int unreadable = fd < 0 ? -errno : readable_at(fd, 0);
	blkid_probe pr = unreadable ? NULL : blkid_new_probe();
	if (!pr || blkid_probe_set_device(pr, fd, 0, 0) != 0) {
		int e = unreadable ? -unreadable : errno ? errno : EIO;
		*err = wr_xasprintf("%s: cannot read: %s", target, strerror(e));
		if (pr)
			blkid_free_probe(pr);
		if (fd >= 0)
			close(fd);
		return -e;
	}
	char *member = wr_storage_raid_member(target);
	if (member) {
		add_raid_member(rep, target, member, S_ISBLK(st.st_mode));
		free(member);
		blkid_free_probe(pr);
		close(fd);
		return 0;
	}
	uint64_t size = (uint64_t)blkid_probe_get_size(pr);
	blkid_partlist parts = partitions_of(pr);
	int n = parts ? blkid_partlist_numof_partitions(parts) : 0;
	if (n <= 0 && S_ISREG(st.st_mode) && gpt_4kn(fd)) {
		blkid_free_probe(pr);
		pr = probe_4kn(fd);
		parts = pr ? partitions_of(pr) : NULL;
		n = parts ? blkid_partlist_numof_partitions(parts) : 0;
	}
	for (int i = 0; i < n; i++)
		add_partition(rep, target, fd, blkid_partlist_get_partition(parts, i),
			S_ISBLK(st.st_mode));
	if (n <= 0)
		add_whole(rep, target, fd, size);
	if (pr)
		blkid_free_probe(pr);
	close(fd);
	return 0;
}

static bool skip_block_device(const char *name)
{
	/* md devices are assembled RAID sets (their containers have size 0). */
	static const char *const skipped[] = { "ram", "zram", "dm-", "sr", "fd", NULL };
	for (const char *const *p = skipped; *p; p++)
		if (!strncmp(name, *p, strlen(*p)))
			return true;
	char *part = wr_xasprintf("/sys/class/block/%s/partition", name);
	char *size = wr_xasprintf("/sys/class/block/%s/size", name);
	char *sectors = read_line_file(size);
	bool skip = access(part, F_OK) == 0 || !sectors || !strcmp(sectors, "0");
	free(sectors);
	free(size);
	free(part);
	return skip;
}

int wr_probe_all(struct wr_report *rep)
{
	DIR *d = opendir("/sys/class/block");
	struct dirent *de;
	int disks = 0;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' || skip_block_device(de->d_name))
			continue;
		char *node = wr_xasprintf("/dev/%s", de->d_name);
		char *err = NULL;
		disks++;
		if (wr_probe_target(rep, node, &err) != 0) {
			/* A disk that cannot be read is an error, never "nothing here". */
			struct wr_volume *vol = wr_report_add_volume(rep);
			vol->device = node;
			vol->status = WR_VOL_ERROR;
			vol->message = err;
			continue;
		}
		free(err);
		free(node);
	}
	if (d)
		closedir(d);
	return disks;
}

bool wr_probe_is_candidate(const struct wr_volume *vol)
{
	return vol->fs_type && (!strcmp(vol->fs_type, "ntfs") || !strcmp(vol->fs_type, "BitLocker"));
}
