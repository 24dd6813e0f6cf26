/*
 * wr-ntfs-rwcheck IMAGE: asks libntfs-3g for a default read-write mount, as any
 * ntfs-3g tool would do, and prints "ok" or the errno name it was refused with
 * (EPERM: hibernated / Fast Startup, EOPNOTSUPP: unclean journal). Never writes
 * more than a successful mount itself writes. Exit 0 if mounted, 1 if refused.
 */
#include <sys/stat.h>
#include <time.h> /* before libntfs-3g: its ntfstime.h calls time() without it */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <ntfs-3g/volume.h>
#include <ntfs-3g/logging.h>

static const char *errno_name(int err)
{
	switch (err) {
	case EPERM: return "EPERM";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EBUSY: return "EBUSY";
	case EIO: return "EIO";
	case EINVAL: return "EINVAL";
	default: return strerror(err);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: wr-ntfs-rwcheck IMAGE\n");
		return 2;
	}
	ntfs_volume *vol = ntfs_mount(argv[1], 0);
	if (!vol) {
		printf("%s\n", errno_name(errno));
		return 1;
	}
	int dirty = (vol->flags & VOLUME_IS_DIRTY) != 0;
	if (ntfs_umount(vol, 0)) {
		fprintf(stderr, "wr-ntfs-rwcheck: unmount failed: %s\n", strerror(errno));
		return 2;
	}
	printf(dirty ? "ok dirty\n" : "ok\n");
	return 0;
}
