/* wr-ntfs-manifest IMAGE: one line per file and folder of an NTFS volume image,
 * "PATH<TAB>TYPE<TAB>SIZE<TAB>SHA256", sorted by the caller. Tests compare the
 * manifests taken before and after a fix: only the deleted files may differ.
 * It reads through libntfs-3g directly, not through the code under test. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <ntfs-3g/types.h>
#include <ntfs-3g/logging.h>
#include <ntfs-3g/volume.h>
#include <ntfs-3g/inode.h>
#include <ntfs-3g/attrib.h>
#include <ntfs-3g/dir.h>
#include <ntfs-3g/unistr.h>
#include <openssl/evp.h>

struct child {
	char *name;
	MFT_REF mref;
	unsigned dt_type;
};

struct listing {
	struct child *items;
	size_t n;
};

static int collect(void *ctx, const ntfschar *name, const int len, const int name_type,
		   const s64 pos, const MFT_REF mref, const unsigned dt_type)
{
	(void)pos;
	struct listing *l = ctx;
	char *utf8 = NULL;
	if (name_type == FILE_NAME_DOS || ntfs_ucstombs(name, len, &utf8, 0) < 0)
		return 0;
	/* Skip ".", ".." and the metadata files ($MFT, $Extend...) of the root. */
	if (!strcmp(utf8, ".") || !strcmp(utf8, "..") || MREF(mref) < FILE_first_user) {
		free(utf8);
		return 0;
	}
	l->items = realloc(l->items, (l->n + 1) * sizeof(*l->items));
	if (!l->items)
		abort();
	l->items[l->n++] = (struct child){ utf8, mref, dt_type };
	return 0;
}

static void print_hash(ntfs_inode *ni)
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	ntfs_attr *na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
	s64 size = na ? na->data_size : 0;
	char buf[65536];
	for (s64 pos = 0; na && pos < size;) {
		s64 n = ntfs_attr_pread(na, pos, (s64)sizeof(buf), buf);
		if (n <= 0) {
			printf("\t%lld\tUNREADABLE\n", (long long)size);
			ntfs_attr_close(na);
			EVP_MD_CTX_free(ctx);
			return;
		}
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		pos += n;
	}
	if (na)
		ntfs_attr_close(na);
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	printf("\t%lld\t", (long long)size);
	for (unsigned i = 0; i < mdlen; i++)
		printf("%02x", md[i]);
	putchar('\n');
}

/* The folders above the one being walked: a damaged (or hostile) index that leads
 * back to one of them is printed as a loop, not walked forever. */
#define MAX_DEPTH 256
static u64 ancestors[MAX_DEPTH];
static int depth;

static bool is_ancestor(MFT_REF dir)
{
	for (int i = 0; i < depth; i++)
		if (ancestors[i] == MREF(dir))
			return true;
	return false;
}

static void walk(ntfs_volume *vol, MFT_REF dir, const char *path);

static void walk_child_dir(ntfs_volume *vol, MFT_REF dir, const char *path)
{
	if (is_ancestor(dir) || depth == MAX_DEPTH) {
		printf("%s\tloop\t-\t-\n", path);
		return;
	}
	ancestors[depth++] = MREF(dir);
	walk(vol, dir, path);
	depth--;
}

static void walk(ntfs_volume *vol, MFT_REF dir, const char *path)
{
	ntfs_inode *ni = ntfs_inode_open(vol, dir);
	if (!ni)
		return;
	struct listing l = { 0 };
	s64 pos = 0;
	ntfs_readdir(ni, &pos, &l, collect);
	ntfs_inode_close(ni);
	for (size_t i = 0; i < l.n; i++) {
		char *child = NULL;
		if (asprintf(&child, "%s\\%s", path, l.items[i].name) < 0)
			abort();
		ntfs_inode *ci = ntfs_inode_open(vol, l.items[i].mref);
		bool reparse = ci && (ci->flags & FILE_ATTR_REPARSE_POINT);
		if (l.items[i].dt_type == NTFS_DT_DIR && !reparse) {
			printf("%s\tdir\t-\t-\n", child);
			if (ci)
				ntfs_inode_close(ci);
			walk_child_dir(vol, l.items[i].mref, child);
		} else if (ci) {
			printf("%s\t%s", child, reparse ? "reparse" : "file");
			print_hash(ci);
			ntfs_inode_close(ci);
		}
		free(child);
		free(l.items[i].name);
	}
	free(l.items);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: wr-ntfs-manifest IMAGE\n");
		return 2;
	}
	ntfs_volume *vol = ntfs_mount(argv[1], NTFS_MNT_RDONLY);
	if (!vol) {
		fprintf(stderr, "wr-ntfs-manifest: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	walk_child_dir(vol, FILE_root, "");
	ntfs_umount(vol, FALSE);
	return 0;
}
