/* wr-bde: the plaintext of a BitLocker volume through winrescue's own key path and
 * userspace device (the code under test), for differential tests against dislocker:
 *
 *   wr-bde cat   IMG KEY OUT     writes the whole plaintext view to OUT (- for stdout)
 *   wr-bde check IMG KEY         unwraps the volume key only (exit 0 when KEY opens it)
 *   wr-bde write IMG KEY PLAIN   stores PLAIN (at most the volume's size) as the start
 *                                of its plaintext; sectors of the reserved areas must
 *                                be zero in PLAIN and are skipped
 *   wr-bde set-state IMG STATE   sets the current and next conversion state of every
 *                                metadata copy (1: decrypted, BitLocker turned off)
 *                                and their CRC-32s
 *
 * KEY: a recovery password, "clear" (the clear key of a suspended volume), "bek:FILE"
 * or "none" (a decrypted volume: plaintext everywhere, no key). Volumes written this way are only trusted once an independent reader
 * (dislocker) has read them back. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "winrescue/bitlocker_io.h"
#include "winrescue/fve_keys.h"
#include "winrescue/util.h"

#define CHUNK (1u << 20)

static int fail(const char *what)
{
	fprintf(stderr, "wr-bde: %s\n", what);
	return 1;
}

static int read_fd(void *ctx, uint64_t off, void *buf, size_t len)
{
	return pread(*(int *)ctx, buf, len, (off_t)off) == (ssize_t)len ? 0 : -EIO;
}

static void *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	void *buf = wr_xmalloc(65536);
	*len = fread(buf, 1, 65536, f);
	fclose(f);
	return buf;
}

static int open_volume(int fd, const char *key, struct wr_bde **bde)
{
	struct wr_fve_info info;
	struct stat st;
	size_t len = 0, key_len = 0;
	uint8_t vk[WR_FVE_MAX_KEY];
	struct wr_fve_layout layout;
	void *bek = NULL;
	char *msg = NULL;
	if (fstat(fd, &st) || wr_fve_read_fd(fd, 0, &info, &msg))
		return fail(msg ? msg : "cannot read the BitLocker metadata");
	uint8_t *block = wr_fve_valid_block(read_fd, &fd, &info, &len);
	struct wr_fve_secret s = { WR_FVE_SECRET_RECOVERY_PASSWORD, key, strlen(key) };
	if (!strcmp(key, "clear")) {
		s.kind = WR_FVE_SECRET_CLEAR_KEY;
	} else if (!strncmp(key, "bek:", 4)) {
		s.kind = WR_FVE_SECRET_STARTUP_KEY;
		s.data = bek = slurp(key + 4, &s.len);
	}
	struct wr_eow *eow = NULL;
	bool none = !strcmp(key, "none");
	int rc = !block ? fail("no metadata copy passes its checksum")
		: !none && wr_fve_unwrap(block, len, &s, vk, &key_len) ? fail("the key does not open the volume")
		: wr_fve_block_layout(block, len, &info, &layout) ? fail("no volume header in the metadata")
		: info.eow && wr_eow_read(read_fd, &fd, info.eow_offset, info.sector_size,
					   (uint64_t)st.st_size, &eow, &msg) ? fail(msg) : 0;
	layout.eow = eow;
	if (!rc && wr_bde_new(&layout, (uint64_t)st.st_size, vk, key_len, bde, &msg))
		rc = fail(msg);
	wr_eow_free(eow);
	wr_wipe(vk, sizeof(vk));
	free(bek);
	free(block);
	return rc;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			return 1;
		p += w, n -= (size_t)w;
	}
	return 0;
}

static int cat(int fd, struct wr_bde *bde, const char *out)
{
	int ofd = strcmp(out, "-") ? open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644) : dup(1);
	uint8_t *buf = wr_xmalloc(CHUNK);
	int rc = ofd < 0;
	for (uint64_t off = 0; !rc && off < wr_bde_size(bde); off += CHUNK) {
		size_t n = wr_bde_size(bde) - off < CHUNK ? (size_t)(wr_bde_size(bde) - off) : CHUNK;
		rc = wr_bde_pread(bde, fd, 0, buf, n, off) || write_all(ofd, buf, n);
	}
	free(buf);
	if (ofd >= 0)
		close(ofd);
	return rc ? fail("cannot write the plaintext") : 0;
}

static bool zero(const uint8_t *p, size_t n)
{
	return !n || (!p[0] && !memcmp(p, p + 1, n - 1));
}

/* Sector by sector (512 bytes: the smallest unit) so the reserved areas are skipped. */
static int store(int fd, struct wr_bde *bde, const char *plain)
{
	int pfd = open(plain, O_RDONLY);
	uint8_t *buf = wr_xmalloc(CHUNK);
	struct stat st;
	int rc = pfd < 0 || fstat(pfd, &st) || (uint64_t)st.st_size > wr_bde_size(bde);
	uint64_t size = rc ? 0 : (uint64_t)st.st_size;
	for (uint64_t off = 0; !rc && off < size; off += CHUNK) {
		size_t n = size - off < CHUNK ? (size_t)(size - off) : CHUNK;
		rc = pread(pfd, buf, n, (off_t)off) != (ssize_t)n;
		if (!rc && wr_bde_pwrite(bde, fd, 0, buf, n, off) == 0)
			continue;
		for (size_t s = 0; !rc && s < n; s += 512) {
			size_t len = n - s < 512 ? n - s : 512;
			int w = wr_bde_pwrite(bde, fd, 0, buf + s, len, off + s);
			rc = w && (w != -EPERM || !zero(buf + s, len));
		}
	}
	free(buf);
	if (pfd >= 0)
		close(pfd);
	return rc ? fail("cannot store the plaintext (data in a reserved area?)") : 0;
}

static void put16(uint8_t *p, unsigned v) { p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8); }

/* The FVE block layout fve.c reads: size (16-byte units) at +8, states at +12 and
 * +14; the validation record after the block, its CRC-32 over the block at +4. */
static int set_state(const char *img, unsigned state)
{
	struct wr_fve_info info;
	uint8_t block[WR_FVE_METADATA_AREA], crc[4];
	int fd = open(img, O_RDWR), rc = fd < 0 || wr_fve_read_fd(fd, 0, &info, NULL);
	for (int i = 0; !rc && i < 3; i++) {
		off_t off = (off_t)info.metadata_offset[i];
		rc = pread(fd, block, 16, off) != 16;
		size_t size = rc ? 0 : (size_t)(block[8] | block[9] << 8) << 4;
		rc = rc || size < 16 || size > sizeof(block) - 8 ||
		     pread(fd, block, size, off) != (ssize_t)size;
		if (rc)
			break;
		put16(block + 12, state);
		put16(block + 14, state);
		uint32_t c = wr_crc32(block, size);
		for (int k = 0; k < 4; k++)
			crc[k] = (uint8_t)(c >> (8 * k));
		rc = pwrite(fd, block + 12, 4, off + 12) != 4 ||
		     pwrite(fd, crc, 4, off + (off_t)size + 4) != 4;
	}
	if (fd >= 0)
		close(fd);
	return rc ? fail("cannot set the state of every metadata copy") : 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "set-state"))
		return set_state(argv[2], (unsigned)atoi(argv[3]));
	bool check = argc == 4 && !strcmp(argv[1], "check");
	if (!check && (argc != 5 || (strcmp(argv[1], "cat") && strcmp(argv[1], "write"))))
		return fail("usage: wr-bde cat|write IMG KEY OUT|PLAIN, wr-bde check IMG KEY, "
			    "or wr-bde set-state IMG STATE");
	bool write = !strcmp(argv[1], "write");
	int fd = open(argv[2], write ? O_RDWR : O_RDONLY);
	struct wr_bde *bde = NULL;
	if (fd < 0)
		return fail(strerror(errno));
	int rc = open_volume(fd, argv[3], &bde);
	if (!rc && !check)
		rc = write ? store(fd, bde, argv[4]) : cat(fd, bde, argv[4]);
	if (write && !rc && fsync(fd))
		rc = fail(strerror(errno));
	wr_bde_free(bde);
	close(fd);
	return rc;
}
