/* libFuzzer target: the volume walk over damaged NTFS images. The input is a
 * list of patches applied to a real fixture (a small NTFS made by mkntfs and
 * wr-mkfixture with the CrowdStrike tree, tests/fuzz/ntfs.spec); the patched
 * image lives in a memfd and is opened, examined and planned like a scan does
 * it. A patch is [mode u8][offset u24 LE][length u8][bytes]: mode bit 0 makes
 * the offset relative to the MFT (where records, names and attribute lengths
 * are), otherwise it is absolute. When any patch has mode bit 7 set, the plan
 * is also carried out (delete without backup) on the damaged image. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "winrescue/model.h"
#include "winrescue/ntfsvol.h"
#include "winrescue/remedy.h"
#include "winrescue/util.h"

#define MFT_WINDOW (256u * 1024)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *base;
static size_t base_len;
static uint64_t mft_offset;
static int image_fd = -1;
static char image_path[64];

static uint64_t get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void die(const char *what)
{
	fprintf(stderr, "fuzz_ntfs: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void load_base(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f || fseek(f, 0, SEEK_END) || (base_len = (size_t)ftell(f)) < 512 ||
	    fseek(f, 0, SEEK_SET))
		die(path);
	base = wr_xmalloc(base_len);
	if (fread(base, 1, base_len, f) != base_len)
		die(path);
	fclose(f);
	/* Boot sector: bytes per sector at 11, sectors per cluster at 13, $MFT LCN at 48. */
	mft_offset = get_le(base + 48, 8) * get_le(base + 11, 2) * base[13];
	if (mft_offset >= base_len)
		mft_offset = 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *path = getenv("WR_FUZZ_NTFS_IMAGE");
	load_base(path ? path : WR_FUZZ_NTFS_IMAGE_DEFAULT);
	image_fd = memfd_create("wr-fuzz-ntfs", MFD_CLOEXEC);
	if (image_fd < 0)
		die("memfd_create");
	snprintf(image_path, sizeof(image_path), "/proc/self/fd/%d", image_fd);
	return 0;
}

/* Writes the fixture with the patches applied; returns whether to also fix. */
static bool write_patched(const uint8_t *data, size_t size)
{
	uint8_t *img = wr_xmalloc(base_len);
	memcpy(img, base, base_len);
	bool fix = false;
	size_t pos = 0;
	while (size - pos >= 5) {
		uint8_t mode = data[pos];
		uint64_t off = get_le(data + pos + 1, 3);
		size_t len = data[pos + 4];
		pos += 5;
		if (len > size - pos)
			len = size - pos;
		off = (mode & 1) ? mft_offset + off % MFT_WINDOW : off;
		off %= base_len;
		if (len > base_len - off)
			len = base_len - off;
		memcpy(img + off, data + pos, len);
		pos += len;
		fix |= (mode & 0x80) != 0;
	}
	if (ftruncate(image_fd, 0) || pwrite(image_fd, img, base_len, 0) != (ssize_t)base_len)
		die("writing the image");
	free(img);
	return fix;
}

static void scan_and_maybe_fix(bool fix)
{
	struct wr_range range = { .path = image_path };
	struct wr_report rep;
	wr_report_init(&rep, WR_COMMAND_SCAN, false);
	struct wr_volume *vol = wr_report_add_volume(&rep);
	struct wr_ntfs *nv = NULL;
	char *err = NULL;
	if (wr_ntfs_open(&range, 0, &nv, &err)) {
		free(err);
		wr_report_free(&rep);
		return;
	}
	(void)wr_ntfs_state(nv);
	int rc = wr_remedy_plan(nv, vol);
	wr_ntfs_close(nv);
	if (!rc && fix && vol->nfiles && wr_ntfs_open(&range, WR_NTFS_WRITE, &nv, &err) == 0) {
		wr_remedy_apply(nv, vol, NULL);
		wr_ntfs_close(nv);
	}
	free(err);
	wr_report_free(&rep);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	scan_and_maybe_fix(write_patched(data, size));
	return 0;
}
