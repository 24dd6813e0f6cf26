#include "winrescue/loopdev.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "winrescue/util.h"

#define MAX_ATTEMPTS 16    /* another process may take the free device first */

static int configure_loop(int lfd, int ffd, uint64_t offset, uint64_t size, bool rw)
{
	struct loop_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.fd = (uint32_t)ffd;
	cfg.info.lo_offset = offset;
	cfg.info.lo_sizelimit = size;
	cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR | (rw ? 0 : LO_FLAGS_READ_ONLY);
	if (ioctl(lfd, LOOP_CONFIGURE, &cfg) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOTTY)
		return -errno;
	/* Kernels before 5.8: the two-step way. */
	if (ioctl(lfd, LOOP_SET_FD, ffd) < 0)
		return -errno;
	if (ioctl(lfd, LOOP_SET_STATUS64, &cfg.info) < 0) {
		int rc = -errno;
		ioctl(lfd, LOOP_CLR_FD, 0);
		return rc;
	}
	return 0;
}

int wr_loop_attach(const char *file, uint64_t offset, uint64_t size, bool rw, char **path)
{
	int mode = (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC;
	int ffd = open(file, mode);
	if (ffd < 0)
		return -errno;
	int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	int rc = ctl < 0 ? -errno : -EBUSY;
	for (int attempt = 0; ctl >= 0 && rc == -EBUSY && attempt < MAX_ATTEMPTS; attempt++) {
		int n = ioctl(ctl, LOOP_CTL_GET_FREE);
		if (n < 0) {
			rc = -errno;
			break;
		}
		char *p = wr_xasprintf("/dev/loop%d", n);
		int lfd = open(p, mode);
		rc = lfd < 0 ? -errno : configure_loop(lfd, ffd, offset, size, rw);
		if (!rc) {
			*path = p;
			rc = lfd;
			break;
		}
		if (lfd >= 0)
			close(lfd);
		free(p);
	}
	if (ctl >= 0)
		close(ctl);
	close(ffd);
	return rc;
}
