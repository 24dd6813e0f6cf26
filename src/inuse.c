/* Is a volume in use elsewhere? Kernel and FUSE mounts, device-mapper holders,
 * and loop devices attached to an image file all count. */
#include "winrescue/inuse.h"

#include <dirent.h>
#include <limits.h>
#include <mntent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "winrescue/util.h"

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	if (stat(a, &sa) < 0 || stat(b, &sb) < 0)
		return false;
	if (S_ISBLK(sa.st_mode) && S_ISBLK(sb.st_mode))
		return sa.st_rdev == sb.st_rdev;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Where node (a block device or an image file) is mounted, or NULL. */
static char *mount_point_of(const char *node)
{
	FILE *f = setmntent("/proc/self/mounts", "re");
	struct mntent *m;
	char *where = NULL;
	while (f && !where && (m = getmntent(f)))
		if (m->mnt_fsname[0] == '/' && same_file(m->mnt_fsname, node))
			where = wr_xstrdup(m->mnt_dir);
	if (f)
		endmntent(f);
	return where;
}

static bool dir_has_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	bool any = false;
	while (d && !any && (de = readdir(d)))
		any = de->d_name[0] != '.';
	if (d)
		closedir(d);
	return any;
}

/* sysname is a name in /sys/class/block, e.g. "sda3" or "loop0". */
static char *block_in_use(const char *sysname)
{
	char *node = wr_xasprintf("/dev/%s", sysname);
	char *holders = wr_xasprintf("/sys/class/block/%s/holders", sysname);
	char *why = NULL;
	char *mnt = mount_point_of(node);
	if (mnt)
		why = wr_xasprintf("%s is mounted at %s", node, mnt);
	else if (dir_has_entries(holders))
		why = wr_xasprintf("%s is held by another device (device-mapper or RAID)", node);
	free(mnt);
	free(holders);
	free(node);
	return why;
}

/* The loop device or any of its partitions in use. */
static char *loop_in_use(const char *loop)
{
	char *why = block_in_use(loop);
	char *sys = wr_xasprintf("/sys/class/block/%s", loop);
	DIR *d = opendir(sys);
	struct dirent *de;
	while (!why && d && (de = readdir(d)))
		if (!strncmp(de->d_name, loop, strlen(loop)) && de->d_name[strlen(loop)] == 'p')
			why = block_in_use(de->d_name);
	if (d)
		closedir(d);
	free(sys);
	return why;
}

static uint64_t sysfs_number(const char *loop, const char *name)
{
	char *path = wr_xasprintf("/sys/block/%s/loop/%s", loop, name);
	FILE *f = fopen(path, "re");
	unsigned long long n = 0;
	if (f && fscanf(f, "%llu", &n) != 1)
		n = 0;
	if (f)
		fclose(f);
	free(path);
	return n;
}

/* Does the loop device's window on its file (offset, size limit; 0 is "to the
 * end") overlap the volume's bytes? */
static bool loop_covers(const char *loop, const struct wr_volume *vol)
{
	uint64_t off = sysfs_number(loop, "offset");
	uint64_t limit = sysfs_number(loop, "sizelimit");
	bool starts_before_end = !vol->size || off < vol->offset + vol->size;
	bool ends_after_start = !limit || off + limit > vol->offset;
	return starts_before_end && ends_after_start;
}

/* An image attached to a loop device is in use even when nothing is mounted:
 * writes through the loop device (or a mount made later) would race ours. */
static char *image_attached_in_use(const struct wr_volume *vol)
{
	char real[PATH_MAX];
	if (!realpath(vol->device, real))
		return NULL;
	DIR *d = opendir("/sys/block");
	struct dirent *de;
	char *why = NULL;
	while (!why && d && (de = readdir(d))) {
		if (strncmp(de->d_name, "loop", 4))
			continue;
		char *bf = wr_xasprintf("/sys/block/%s/loop/backing_file", de->d_name);
		FILE *f = fopen(bf, "re");
		char line[PATH_MAX + 2] = "";
		if (f && fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = '\0';
			if (!strcmp(line, real) && loop_covers(de->d_name, vol) &&
			    !(why = loop_in_use(de->d_name)))
				why = wr_xasprintf("%s is attached to /dev/%s (losetup -d /dev/%s "
					"detaches it)", vol->device, de->d_name, de->d_name);
		}
		if (f)
			fclose(f);
		free(bf);
	}
	if (d)
		closedir(d);
	return why;
}

static const char *sysname_of(const char *node)
{
	const char *slash = strrchr(node, '/');
	return slash ? slash + 1 : node;
}

char *wr_volume_in_use(const struct wr_volume *vol)
{
	struct stat st;
	if (vol->partition_dev)
		return block_in_use(sysname_of(vol->partition_dev));
	if (stat(vol->device, &st) < 0)
		return NULL;
	if (S_ISBLK(st.st_mode))
		return vol->partition ? NULL : block_in_use(sysname_of(vol->device));
	char *mnt = mount_point_of(vol->device);
	if (mnt) {
		char *why = wr_xasprintf("%s is mounted at %s", vol->device, mnt);
		free(mnt);
		return why;
	}
	return image_attached_in_use(vol);
}
