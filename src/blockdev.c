#include "winrescue/blockdev.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ntfs3g.h"
#include "winrescue/bitlocker_io.h"
#include "winrescue/util.h"

struct range_dev {
	char *path;
	int fd;
	uint64_t offset;
	uint64_t size;
	int64_t pos;
	struct wr_fault_plan *faults;
	struct wr_bde *bde;
};

static struct range_dev *priv(struct ntfs_device *dev) { return dev->d_private; }

uint64_t wr_fd_size(int fd)
{
	struct stat st;
	uint64_t size = 0;
	if (fstat(fd, &st) < 0)
		return 0;
	if (S_ISBLK(st.st_mode))
		return ioctl(fd, BLKGETSIZE64, &size) < 0 ? 0 : size;
	return (uint64_t)st.st_size;
}

/* A byte-range lock: a second winrescue, or ntfs-3g (which locks the whole
 * file), on the same volume sees it and stays away. Kernel mounts ignore
 * these locks, so block devices are also opened O_EXCL when written. */
static int lock_range(struct range_dev *r, bool write)
{
	struct flock fl = {
		.l_type = write ? F_WRLCK : F_RDLCK,
		.l_whence = SEEK_SET,
		.l_start = (off_t)r->offset,
		.l_len = (off_t)r->size,
	};
	if (fcntl(r->fd, F_SETLK, &fl) < 0)
		return (errno == EACCES || errno == EAGAIN) ? -EBUSY : -errno;
	return 0;
}

static int open_fd(const char *path, bool write)
{
	struct stat st;
	int flags = (write ? O_RDWR : O_RDONLY) | O_CLOEXEC;
	bool there = stat(path, &st) == 0;
	if (write && there && S_ISBLK(st.st_mode))
		flags |= O_EXCL;
	/* An image with no write permission was made read-only on purpose (root
	 * could still write it): it is not changed. */
	if (write && there && S_ISREG(st.st_mode) && !(st.st_mode & 0222)) {
		errno = EROFS;
		return -1;
	}
	return open(path, flags);
}

static int rd_open(struct ntfs_device *dev, int flags)
{
	struct range_dev *r = priv(dev);
	bool write = (flags & O_ACCMODE) != O_RDONLY;
	r->fd = open_fd(r->path, write);
	if (r->fd < 0)
		return -1;
	/* A partition that runs past the end of its image (an incomplete copy of a
	 * disk) is only as long as what is there: nothing is read or written
	 * beyond the end, and the volume is seen as cut short. */
	uint64_t total = wr_fd_size(r->fd);
	uint64_t there = total > r->offset ? total - r->offset : 0;
	if (!r->size && r->bde)
		r->size = wr_bde_size(r->bde);
	if (!r->size || r->size > there)
		r->size = there;
	int rc = lock_range(r, write);
	if (rc) {
		close(r->fd);
		r->fd = -1;
		errno = -rc;
		return -1;
	}
	if (!write)
		NDevSetReadOnly(dev);
	r->pos = 0;
	NDevSetOpen(dev);
	return 0;
}

static int rd_close(struct ntfs_device *dev)
{
	struct range_dev *r = priv(dev);
	int rc = 0;
	/* Unmounting syncs first; only writes made after that need another fsync. */
	if (NDevDirty(dev) && fsync(r->fd) < 0)
		rc = -1;
	if (close(r->fd) < 0)
		rc = -1;
	r->fd = -1;
	NDevClearOpen(dev);
	return rc;
}

static s64 rd_seek(struct ntfs_device *dev, s64 offset, int whence)
{
	struct range_dev *r = priv(dev);
	switch (whence) {
	case SEEK_SET: r->pos = offset; break;
	case SEEK_CUR: r->pos += offset; break;
	case SEEK_END: r->pos = (s64)r->size + offset; break;
	default: errno = EINVAL; return -1;
	}
	return r->pos;
}

/* Clamps an I/O to the range so nothing outside the volume is ever touched. */
static s64 clamp(const struct range_dev *r, s64 count, s64 offset)
{
	if (offset < 0 || (uint64_t)offset >= r->size)
		return 0;
	if ((uint64_t)(offset + count) > r->size)
		return (s64)(r->size - (uint64_t)offset);
	return count;
}

static bool injected_fault(unsigned long *counter, unsigned long fail_at)
{
	++*counter;
	if (fail_at && *counter == fail_at) {
		errno = EIO;
		return true;
	}
	return false;
}

/* Through the userspace BitLocker device: all or nothing. */
static s64 decrypted_io(struct range_dev *r, bool write, void *buf, s64 count, s64 offset)
{
	int rc = write ? wr_bde_pwrite(r->bde, r->fd, r->offset, buf, (size_t)count, (uint64_t)offset)
		       : wr_bde_pread(r->bde, r->fd, r->offset, buf, (size_t)count, (uint64_t)offset);
	if (rc) {
		errno = -rc;
		return -1;
	}
	return count;
}

static s64 rd_pread(struct ntfs_device *dev, void *buf, s64 count, s64 offset)
{
	struct range_dev *r = priv(dev);
	if (r->faults && injected_fault(&r->faults->reads, r->faults->fail_read_at))
		return -1;
	count = clamp(r, count, offset);
	if (r->bde)
		return decrypted_io(r, false, buf, count, offset);
	return pread(r->fd, buf, (size_t)count, (off_t)(r->offset + (uint64_t)offset));
}

static s64 rd_pwrite(struct ntfs_device *dev, const void *buf, s64 count, s64 offset)
{
	struct range_dev *r = priv(dev);
	if (NDevReadOnly(dev)) {
		errno = EROFS;
		return -1;
	}
	if (r->faults && injected_fault(&r->faults->writes, r->faults->fail_write_at))
		return -1;
	count = clamp(r, count, offset);
	NDevSetDirty(dev);
	if (r->bde)
		return decrypted_io(r, true, (void *)buf, count, offset);
	return pwrite(r->fd, buf, (size_t)count, (off_t)(r->offset + (uint64_t)offset));
}

static s64 rd_read(struct ntfs_device *dev, void *buf, s64 count)
{
	s64 n = rd_pread(dev, buf, count, priv(dev)->pos);
	if (n > 0)
		priv(dev)->pos += n;
	return n;
}

static s64 rd_write(struct ntfs_device *dev, const void *buf, s64 count)
{
	s64 n = rd_pwrite(dev, buf, count, priv(dev)->pos);
	if (n > 0)
		priv(dev)->pos += n;
	return n;
}

static int rd_sync(struct ntfs_device *dev)
{
	if (NDevReadOnly(dev))
		return 0;
	NDevClearDirty(dev);
	return fsync(priv(dev)->fd);
}

static int rd_stat(struct ntfs_device *dev, struct stat *st)
{
	struct range_dev *r = priv(dev);
	if (fstat(r->fd, st) < 0)
		return -1;
	st->st_size = (off_t)r->size;
	return 0;
}

static int rd_ioctl(struct ntfs_device *dev, unsigned long request, void *argp)
{
	struct range_dev *r = priv(dev);
	switch (request) {
	case BLKGETSIZE64:
		*(uint64_t *)argp = r->size;
		return 0;
	case BLKGETSIZE:
		*(unsigned long *)argp = (unsigned long)(r->size >> 9);
		return 0;
	case BLKSSZGET:
		*(int *)argp = 512;
		return 0;
	default:
		errno = ENOTTY;
		return -1;
	}
}

static struct ntfs_device_operations range_ops = {
	.open = rd_open, .close = rd_close, .seek = rd_seek,
	.read = rd_read, .write = rd_write, .pread = rd_pread, .pwrite = rd_pwrite,
	.sync = rd_sync, .stat = rd_stat, .ioctl = rd_ioctl,
};

struct ntfs_device *wr_blockdev_new(const struct wr_range *range)
{
	struct range_dev *r = wr_xcalloc(1, sizeof(*r));
	r->path = wr_xstrdup(range->path);
	r->fd = -1;
	r->offset = range->offset;
	r->size = range->size;
	r->faults = range->faults;
	r->bde = range->bde;
	struct ntfs_device *dev = ntfs_device_alloc(range->path, 0, &range_ops, r);
	if (!dev) {
		free(r->path);
		free(r);
	}
	return dev;
}

static void range_free(struct range_dev *r)
{
	free(r->path);
	free(r);
}

void wr_blockdev_free(struct ntfs_device *dev)
{
	if (!dev)
		return;
	range_free(priv(dev));
	ntfs_device_free(dev);
}

int wr_blockdev_umount(struct _ntfs_volume *vol)
{
	struct range_dev *r = priv(vol->dev);
	int rc = ntfs_umount(vol, FALSE) < 0 ? -errno : 0;
	range_free(r);
	return rc;
}
