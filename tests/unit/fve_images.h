/* The Windows-made BitLocker volumes of ../shared/testdata/bitlk for the unit tests
 * of winrescue's own key path and userspace device: unpacked once per program. */
#ifndef WR_TEST_FVE_IMAGES_H
#define WR_TEST_FVE_IMAGES_H

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "../host/bitlk_testdata.h"
#include "winrescue/fve_keys.h"

static char *images_dir;

static int images_setup(void **state)
{
	(void)state;
	if (!bitlk_testdata_present())
		return 0;
	images_dir = bitlk_unpack(NULL);
	return images_dir ? 0 : -1;
}

static int images_teardown(void **state)
{
	(void)state;
	return images_dir ? bitlk_remove(images_dir) : 0;
}

/* Skips the test (the skip message was printed by setup) without the images. */
#define NEED_IMAGES(state) do { (void)(state); if (!images_dir) skip(); } while (0)

static inline char *image_path(const char *name)
{
	return wr_xasprintf("%s/bitlk-images/%s.img", images_dir, name);
}

static inline int image_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	return pread(*(int *)ctx, buf, len, (off_t)off) == (ssize_t)len ? 0 : -EIO;
}

/* The checked metadata block of an open image. */
static inline uint8_t *image_block_fd(int fd, struct wr_fve_info *info, size_t *len)
{
	assert_int_equal(wr_fve_read_fd(fd, 0, info, NULL), 0);
	uint8_t *block = wr_fve_valid_block(image_read, &fd, info, len);
	assert_non_null(block);
	return block;
}

#endif
