/* A byte range of a file or block device that libntfs-3g reads and writes
 * through. It lets a volume inside a whole-disk image be opened without a loop
 * device, takes the locks that keep two programs off one volume, and gives the
 * reliability tests a place to inject I/O errors below libntfs-3g. With a userspace
 * BitLocker device (bitlocker_io.h) it is the decrypted view of the volume. */
#ifndef WINRESCUE_BLOCKDEV_H
#define WINRESCUE_BLOCKDEV_H

#include <stdint.h>

struct ntfs_device;

/* Test hook: the Nth read or write (1-based, counted from open) fails with EIO;
 * 0 means never. The counters tell a test how many I/Os a step made. */
struct wr_fault_plan {
	unsigned long fail_read_at;
	unsigned long fail_write_at;
	unsigned long reads;
	unsigned long writes;
};

struct wr_bde;   /* bitlocker_io.h */

struct wr_range {
	const char *path;
	uint64_t offset;
	uint64_t size;            /* 0: up to the end of the file or device */
	struct wr_fault_plan *faults;   /* NULL outside tests */
	struct wr_bde *bde;       /* set: the range is a BitLocker volume, seen decrypted
				     through the userspace device (owned by the caller) */
};

/* Bytes of a regular file or block device; 0 when unknown. */
uint64_t wr_fd_size(int fd);

/* The device libntfs-3g mounts with ntfs_device_mount(). */
struct ntfs_device *wr_blockdev_new(const struct wr_range *range);
/* Frees a device that was never mounted. */
void wr_blockdev_free(struct ntfs_device *dev);
/* Unmounts a volume mounted on such a device (libntfs-3g frees the device
 * itself on unmount, this frees the rest). Returns 0 or -errno. */
struct _ntfs_volume;
int wr_blockdev_umount(struct _ntfs_volume *vol);

#endif
