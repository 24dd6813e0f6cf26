/* wr-eow-map: an encrypt-on-write conversion map for the Windows-made EOW images
 * (whose EOW blocks were blanked in the archive), and a check of the raw image
 * against it. MAP is one character per 1 MiB chunk of the volume: '1' converted
 * (encrypted), '0' not; the map covers exactly that many chunks from the start.
 *
 *   wr-eow-map write IMG MAP
 *       writes the EOW information block (both copies, at the offsets the volume
 *       header names) and one bitmap block just after the first copy
 *   wr-eow-map forms IMG PLAIN MAP [BEFORE]
 *       every 512-byte sector past the moved NTFS header (the first 16 sectors are
 *       stored elsewhere) whose plaintext in PLAIN is not zero must be in the raw IMG
 *       as PLAIN has it in a '0' chunk and differ from it in a '1' chunk; with
 *       BEFORE (the raw image before a change), only the sectors that changed are
 *       checked, and each form must have some. Prints the counts checked. */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "eow_map.h"
#include "winrescue/fve.h"

#define MIB (1u << 20)
#define SECTOR 512
#define HEADER_SECTORS 16

static int fail(const char *what)
{
	fprintf(stderr, "wr-eow-map: %s\n", what);
	return 1;
}

static int write_map(const char *img, const char *map)
{
	struct wr_fve_info info;
	uint8_t bits[4096] = { 0 };
	size_t n = strlen(map);
	int fd = open(img, O_RDWR);
	if (fd < 0 || wr_fve_read_fd(fd, 0, &info, NULL) || !info.eow || n > 8 * sizeof(bits))
		return fail("not an encrypt-on-write BitLocker image, or MAP too long");
	for (size_t i = 0; i < n; i++)
		if (map[i] == '1')
			bits[i / 8] |= (uint8_t)(1u << (i % 8));
	struct eow_map m = {
		.info_off = { info.eow_offset[0], info.eow_offset[1] }, .sector_size = info.sector_size,
		.chunk = MIB, .nregions = 1, .r = { { info.eow_offset[0] + 4096, 0, (uint64_t)n * MIB } },
		.bits = bits, .nbits = (uint32_t)n,
	};
	int rc = eow_map_write(fd, &m) || fsync(fd);
	close(fd);
	return rc ? fail("cannot write the map") : 0;
}

static bool zero(const uint8_t *p)
{
	return !p[0] && !memcmp(p, p + 1, SECTOR - 1);
}

static int forms(const char *img, const char *plain, const char *map, const char *before)
{
	int fd = open(img, O_RDONLY), pfd = open(plain, O_RDONLY);
	int bfd = before ? open(before, O_RDONLY) : -1;
	if (fd < 0 || pfd < 0 || (before && bfd < 0))
		return fail("cannot open the images");
	uint8_t raw[SECTOR], pl[SECTOR], old[SECTOR];
	unsigned long count[2] = { 0, 0 }, wrong = 0;
	uint64_t end = (uint64_t)strlen(map) * MIB;
	for (uint64_t off = HEADER_SECTORS * SECTOR; off < end; off += SECTOR) {
		if (pread(pfd, pl, SECTOR, (off_t)off) != SECTOR || pread(fd, raw, SECTOR, (off_t)off) != SECTOR)
			return fail("short read");
		if (zero(pl) || (bfd >= 0 && (pread(bfd, old, SECTOR, (off_t)off) != SECTOR ||
					      !memcmp(old, raw, SECTOR))))
			continue;
		int converted = map[off / MIB] == '1';
		count[converted]++;
		bool same = !memcmp(raw, pl, SECTOR);
		if (same == (bool)converted) {
			if (wrong++ < 5)
				fprintf(stderr, "wr-eow-map: sector at %llu is %s in a %s chunk\n",
					(unsigned long long)off, converted ? "plaintext" : "not the plaintext",
					converted ? "converted" : "plain");
		}
	}
	printf("%s sectors checked: %lu in plain chunks, %lu in converted chunks, %lu wrong\n",
	       before ? "changed" : "non-zero", count[0], count[1], wrong);
	close(fd);
	close(pfd);
	if (bfd >= 0)
		close(bfd);
	return wrong || !count[0] || !count[1];
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "write"))
		return write_map(argv[2], argv[3]);
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "forms"))
		return forms(argv[2], argv[3], argv[4], argc == 6 ? argv[5] : NULL);
	return fail("usage: wr-eow-map write IMG MAP | forms IMG PLAIN MAP [BEFORE]");
}
