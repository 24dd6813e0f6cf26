/* wr-mkhive FILE [ROOT-NAME]: writes an empty registry hive (base block, one
 * hive bin holding the root key and its security descriptor), the file
 * libhivex cannot make itself. hivexsh -w then adds keys and values to it.
 * wr-mkhive --dirty FILE: makes the primary sequence number one more than the
 * secondary (a hive Windows was writing when it stopped), checksum kept valid.
 * Written from the format's description, not with the code under test. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define BLOCK 4096

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The root key ("nk"), offsets relative to the first hive bin. */
static size_t put_root(uint8_t *bin, size_t at, const char *name, uint32_t sk_at)
{
	size_t len = 80 + strlen(name);
	size_t cell = (len + 7) & ~(size_t)7;
	uint8_t *nk = bin + at;
	put32(nk, (uint32_t)-(int32_t)cell);
	memcpy(nk + 4, "nk", 2);
	put16(nk + 6, 0x2c);          /* hive entry, cannot delete, ASCII name */
	put32(nk + 20, 0xffffffff);   /* parent: none */
	put32(nk + 32, 0xffffffff);   /* subkey list: none */
	put32(nk + 36, 0xffffffff);
	put32(nk + 44, 0xffffffff);   /* value list: none */
	put32(nk + 48, sk_at);        /* security */
	put32(nk + 52, 0xffffffff);   /* class name: none */
	put16(nk + 76, (uint16_t)strlen(name));
	memcpy(nk + 80, name, strlen(name));
	return cell;
}

/* One security cell ("sk") that lists itself; a self-relative descriptor with
 * nothing in it (Windows would have an owner and a DACL; libhivex only counts). */
static size_t put_security(uint8_t *bin, size_t at)
{
	uint8_t *sk = bin + at;
	size_t cell = (24 + 20 + 7) & ~(size_t)7;
	put32(sk, (uint32_t)-(int32_t)cell);
	memcpy(sk + 4, "sk", 2);
	put32(sk + 8, (uint32_t)at);  /* flink: itself (offsets count from the first bin) */
	put32(sk + 12, (uint32_t)at); /* blink: itself */
	put32(sk + 16, 1);            /* reference count: the root */
	put32(sk + 20, 20);           /* descriptor length */
	sk[24] = 1;                   /* revision */
	put16(sk + 26, 0x8000);       /* self-relative */
	return cell;
}

static void set_checksum(uint8_t *base)
{
	uint32_t sum = 0;
	for (int i = 0; i < 0x1fc; i += 4)
		sum ^= get32(base + i);
	put32(base + 0x1fc, sum);
}

static int make_dirty(const char *path)
{
	uint8_t base[512];
	FILE *f = fopen(path, "r+b");
	if (!f || fread(base, sizeof(base), 1, f) != 1 || memcmp(base, "regf", 4)) {
		fprintf(stderr, "wr-mkhive: %s: not a hive\n", path);
		return 1;
	}
	put32(base + 4, get32(base + 8) + 1);
	set_checksum(base);
	if (fseek(f, 0, SEEK_SET) || fwrite(base, sizeof(base), 1, f) != 1 || fclose(f)) {
		perror(path);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--dirty"))
		return make_dirty(argv[2]);
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: wr-mkhive FILE [ROOT-NAME]\n");
		return 2;
	}
	const char *root = argc == 3 ? argv[2] : "ROOT";
	if (strlen(root) > 200) {
		fprintf(stderr, "wr-mkhive: root name too long\n");
		return 2;
	}
	static uint8_t img[2 * BLOCK];
	uint8_t *base = img, *bin = img + BLOCK;

	memcpy(base, "regf", 4);
	put32(base + 4, 1);           /* sequence numbers: equal, a clean hive */
	put32(base + 8, 1);
	put32(base + 20, 1);          /* format 1.3 */
	put32(base + 24, 3);
	put32(base + 28, 0);          /* primary file */
	put32(base + 32, 1);          /* direct memory load */
	put32(base + 36, 0x20);       /* root key cell */
	put32(base + 40, BLOCK);      /* size of the hive bins */
	put32(base + 44, 1);          /* clustering factor */
	set_checksum(base);

	memcpy(bin, "hbin", 4);
	put32(bin + 4, 0);            /* offset of this bin */
	put32(bin + 8, BLOCK);        /* its size */
	size_t at = 0x20;
	size_t root_cell = 80 + strlen(root);
	root_cell = (root_cell + 7) & ~(size_t)7;
	size_t sk_at = at + root_cell;
	at += put_root(bin, at, root, (uint32_t)sk_at);
	at += put_security(bin, at);
	put32(bin + at, (uint32_t)(BLOCK - at)); /* the rest: one free cell */

	FILE *f = fopen(argv[1], "wb");
	if (!f || fwrite(img, sizeof(img), 1, f) != 1 || fclose(f) != 0) {
		perror(argv[1]);
		return 1;
	}
	return 0;
}
