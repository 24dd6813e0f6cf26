/*
 * wr_ntfs_list_matching seeks the prefix in the directory's B+tree index instead
 * of reading every entry. This test checks it against a full ntfs_readdir walk
 * (the way the listing used to work) on a directory of about 100,000 entries
 * with decoys collating on both sides of the prefix, and finds every entry of a
 * 3,000-entry directory by its own full name (seeks that end on every node of
 * its tree, the index root included).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <time.h> /* before libntfs-3g: its ntfstime.h calls time() without it */
#include <ntfs-3g/types.h>
#include <ntfs-3g/volume.h>
#include <ntfs-3g/unistr.h>
#include <ntfs-3g/inode.h>
#include <ntfs-3g/dir.h>

#include "winrescue/ntfsvol.h"
#include "winrescue/util.h"

#define CS_DIR "\\Windows\\System32\\drivers\\CrowdStrike"
#define SMALL_DIR "\\Small"
#define MEDIUM_DIR "\\Medium"

/* Entries of the big directory: mostly decoys collating just before and just
 * after the names starting with C-00000291, and a few thousand of those. */
static const char spec_text[] =
	"many " CS_DIR "\\C-00000290-00000001-%06d.sys 48000 size=0\n"
	"many " CS_DIR "\\C-00000291-00000001-%06d.sys 1500 size=0\n"
	"many " CS_DIR "\\c-00000291-00000002-%05d.SYS 500 size=0\n"
	"many " CS_DIR "\\C-000002910%04d.sys 200 size=0\n"
	"many " CS_DIR "\\C-0000029%05d.sys 2000 size=0\n"
	"many " CS_DIR "\\C-00000292-00000001-%06d.sys 47750 size=0\n"
	"file " CS_DIR "\\C-00000291 size=0\n"
	"file " CS_DIR "\\c-00000291 size=0\n"
	"file " CS_DIR "\\C-00000291.sys size=0\n"
	"file " CS_DIR "\\C-0000029.sys size=0\n"
	"file \"" CS_DIR "\\C-00000291 .sys\" size=0\n"
	"file " CS_DIR "\\C-00000291!.sys size=0\n"
	"file " CS_DIR "\\C-00000291-00000003-000001.sys.bak size=0\n"
	"file " CS_DIR "\\C-00000291x.dll size=0\n"
	"file " CS_DIR "\\B-00000291.sys size=0\n"
	"file " CS_DIR "\\D-00000291.sys size=0\n"
	"file \"" CS_DIR "\\\xc3\x87-00000291.sys\" size=0\n"
	"file " CS_DIR "\\C-00000291-00000003-000002.sys size=0 dos=C-0000~1.SYS\n"
	"dir " CS_DIR "\\C-00000291-dir.sys\n"
	"symlink " CS_DIR "\\C-00000291-link.sys \\Windows\n"
	"junction " CS_DIR "\\C-00000291-junction.sys \\Windows\n"
	"many " MEDIUM_DIR "\\C-00000290-%05d.sys 1500 size=0\n"
	"many " MEDIUM_DIR "\\C-00000291-%05d.sys 1500 size=0\n"
	"file " MEDIUM_DIR "\\C-00000291 size=0\n"
	"file " SMALL_DIR "\\C-00000291-00000000-00000032.sys size=0\n"
	"file " SMALL_DIR "\\a.txt size=0\n"
	"file " SMALL_DIR "\\z.txt size=0\n";

/* Names in the big directory that start with C-00000291 and end in .sys. */
#define CS_MATCHES (1500 + 500 + 200 + 1 + 1 + 1 + 1 + 1 + 1 + 1)

struct fixture {
	char dir[64];
	char image[96];
};

static int run(const char *cmd)
{
	int rc = system(cmd);
	if (rc != 0)
		print_error("command failed (%d): %s\n", rc, cmd);
	return rc;
}

static int setup(void **state)
{
	const char *tools = getenv("WR_TOOLS");
	if (!tools) {
		print_error("WR_TOOLS is not set\n");
		return -1;
	}
	struct fixture *fx = wr_xcalloc(1, sizeof(*fx));
	strcpy(fx->dir, "/tmp/wr-prefix-XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->image, sizeof(fx->image), "%s/volume.img", fx->dir);
	char *spec = wr_xasprintf("%s/big.spec", fx->dir);
	FILE *f = fopen(spec, "w");
	if (!f || fputs(spec_text, f) < 0 || fclose(f))
		return -1;
	char *cmd = wr_xasprintf("truncate -s 1G %s && "
		"PATH=$PATH:/usr/sbin:/sbin mkntfs -F -Q -q -T -s 512 -c 4096 %s >/dev/null 2>&1 && "
		"%s/wr-mkfixture %s %s", fx->image, fx->image, tools, fx->image, spec);
	int rc = run(cmd);
	free(cmd);
	free(spec);
	*state = fx;
	return rc ? -1 : 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char *cmd = wr_xasprintf("rm -rf %s", fx->dir);
	run(cmd);
	free(cmd);
	free(fx);
	return 0;
}

/* ---- the oracle: every entry read with ntfs_readdir, filtered -------------- */

struct oracle {
	ntfs_volume *vol;
	ntfschar *prefix, *suffix;
	int prefix_len, suffix_len;
	struct wr_entry *entries;
	size_t count;
};

static ntfschar *upcased(ntfs_volume *vol, const char *text, int *len)
{
	ntfschar *u = NULL;
	*len = ntfs_mbstoucs(text, &u);
	assert_true(*len >= 0);
	ntfs_name_upcase(u, (u32)*len, vol->upcase, vol->upcase_len);
	return u;
}

static bool oracle_match(struct oracle *o, const ntfschar *name, int len)
{
	if (len < o->prefix_len + o->suffix_len)
		return false;
	ntfschar *up = wr_xmalloc((size_t)len * sizeof(ntfschar) + 2);
	memcpy(up, name, (size_t)len * sizeof(ntfschar));
	ntfs_name_upcase(up, (u32)len, o->vol->upcase, o->vol->upcase_len);
	bool ok = !memcmp(up, o->prefix, (size_t)o->prefix_len * sizeof(ntfschar)) &&
		  !memcmp(up + len - o->suffix_len, o->suffix,
			  (size_t)o->suffix_len * sizeof(ntfschar));
	free(up);
	return ok;
}

static enum wr_entry_kind oracle_kind(unsigned dt)
{
	return dt == NTFS_DT_REG ? WR_ENTRY_FILE : dt == NTFS_DT_DIR ? WR_ENTRY_DIR :
	       dt == NTFS_DT_REPARSE ? WR_ENTRY_REPARSE : WR_ENTRY_OTHER;
}

static int oracle_fill(void *ctx, const ntfschar *name, const int len, const int type,
		       const s64 pos, const MFT_REF mref, const unsigned dt)
{
	(void)pos;
	struct oracle *o = ctx;
	if (type == FILE_NAME_DOS || !oracle_match(o, name, len))
		return 0;
	struct wr_entry *e = wr_array_grow(&o->entries, &o->count, sizeof(*e));
	char *utf8 = NULL;
	assert_true(ntfs_ucstombs(name, len, &utf8, 0) >= 0);
	e->name = utf8;
	e->mref = MREF(mref);
	e->kind = oracle_kind(dt);
	return 0;
}

static void oracle_list(const char *image, uint64_t dir, const char *prefix,
			const char *suffix, struct wr_entry **entries, size_t *count)
{
	struct oracle o = { .vol = ntfs_mount(image, NTFS_MNT_RDONLY) };
	assert_non_null(o.vol);
	o.prefix = upcased(o.vol, prefix, &o.prefix_len);
	o.suffix = upcased(o.vol, suffix, &o.suffix_len);
	ntfs_inode *ni = ntfs_inode_open(o.vol, dir);
	assert_non_null(ni);
	s64 pos = 0;
	assert_int_equal(ntfs_readdir(ni, &pos, &o, oracle_fill), 0);
	ntfs_inode_close(ni);
	ntfs_umount(o.vol, FALSE);
	free(o.prefix);
	free(o.suffix);
	*entries = o.entries;
	*count = o.count;
}

/* ---- comparison ------------------------------------------------------------ */

static int by_mref_then_name(const void *a, const void *b)
{
	const struct wr_entry *x = a, *y = b;
	if (x->mref != y->mref)
		return x->mref < y->mref ? -1 : 1;
	return strcmp(x->name, y->name);
}

static struct wr_ntfs *open_volume(const struct fixture *fx)
{
	struct wr_range range = { .path = fx->image };
	struct wr_ntfs *nv = NULL;
	char *err = NULL;
	int rc = wr_ntfs_open(&range, 0, &nv, &err);
	if (rc)
		print_error("open: %s\n", err);
	assert_int_equal(rc, 0);
	return nv;
}

static uint64_t lookup(const struct fixture *fx, const char *path)
{
	struct wr_ntfs *nv = open_volume(fx);
	uint64_t mref = 0;
	assert_int_equal(wr_ntfs_lookup(nv, path, &mref), 0);
	wr_ntfs_close(nv);
	return mref;
}

static size_t list(const struct fixture *fx, uint64_t dir, const char *prefix,
		   const char *suffix, struct wr_entry **entries)
{
	struct wr_ntfs *nv = open_volume(fx);
	size_t count = 0;
	assert_int_equal(wr_ntfs_list_matching(nv, dir, prefix, suffix, entries, &count), 0);
	wr_ntfs_close(nv);
	return count;
}

/* The name as stored (used to delete it) is the name reported. */
static void assert_stored_name(const struct wr_entry *e)
{
	char *utf8 = NULL;
	assert_true(ntfs_ucstombs(e->uname, (int)e->uname_len, &utf8, 0) >= 0);
	assert_string_equal(utf8, e->name);
	free(utf8);
}

/* Lists with both methods; returns how many entries they (identically) found. */
static size_t compare_with_readdir(const struct fixture *fx, const char *dir_path,
				   const char *prefix, const char *suffix)
{
	uint64_t dir = lookup(fx, dir_path);
	struct wr_entry *got = NULL, *want = NULL;
	size_t ngot = list(fx, dir, prefix, suffix, &got), nwant = 0;
	oracle_list(fx->image, dir, prefix, suffix, &want, &nwant);
	if (ngot != nwant)
		print_error("prefix '%s' suffix '%s': %zu entries, readdir finds %zu\n",
			    prefix, suffix, ngot, nwant);
	assert_int_equal(ngot, nwant);
	if (ngot) {
		qsort(got, ngot, sizeof(*got), by_mref_then_name);
		qsort(want, nwant, sizeof(*want), by_mref_then_name);
	}
	for (size_t i = 0; i < ngot; i++) {
		assert_string_equal(got[i].name, want[i].name);
		assert_int_equal(got[i].mref, want[i].mref);
		assert_int_equal(got[i].kind, want[i].kind);
		assert_stored_name(&got[i]);
	}
	wr_entries_free(got, ngot);
	for (size_t i = 0; i < nwant; i++)
		free(want[i].name);
	free(want);
	return ngot;
}

static void big_directory_matches_readdir(void **state)
{
	const struct fixture *fx = *state;
	assert_int_equal(compare_with_readdir(fx, CS_DIR, "C-00000291", ".sys"), CS_MATCHES);
	/* Any spelling of the prefix gives the same run. */
	assert_int_equal(compare_with_readdir(fx, CS_DIR, "c-00000291", ".SYS"), CS_MATCHES);
	/* Prefix only: adds the extension-less, .bak and .dll decoys. */
	assert_int_equal(compare_with_readdir(fx, CS_DIR, "C-00000291", ""), CS_MATCHES + 4);
	assert_int_equal(compare_with_readdir(fx, CS_DIR, "C-00000290-00000001-047", ".sys"), 1000);
	assert_int_equal(compare_with_readdir(fx, CS_DIR, "C-00000292-00000001-04775", ""), 0);
	assert_int_equal(compare_with_readdir(fx, CS_DIR, "C-00000292-00000001-04774", ""), 10);
	assert_int_equal(compare_with_readdir(fx, CS_DIR, "\xc3\xa7-00000291", ".sys"), 1);
	assert_int_equal(compare_with_readdir(fx, CS_DIR, "B-", ""), 1);
	assert_int_equal(compare_with_readdir(fx, CS_DIR, "E", ""), 0);
	assert_int_equal(compare_with_readdir(fx, CS_DIR, "0", ""), 0);
}

static void small_directory_matches_readdir(void **state)
{
	const struct fixture *fx = *state;
	assert_int_equal(compare_with_readdir(fx, SMALL_DIR, "C-00000291", ".sys"), 1);
	assert_int_equal(compare_with_readdir(fx, SMALL_DIR, "A", ""), 1);
	assert_int_equal(compare_with_readdir(fx, SMALL_DIR, "zz", ""), 0);
	assert_int_equal(compare_with_readdir(fx, MEDIUM_DIR, "C-00000291", ""), 1 + 1500);
	assert_int_equal(compare_with_readdir(fx, "\\Windows\\System32", "C-00000291", ".sys"), 0);
}

/* Every entry found by its own full name: a seek that lands exactly on each
 * entry, wherever in the tree it is stored. */
static void every_entry_found_by_its_name(void **state)
{
	const struct fixture *fx = *state;
	uint64_t dir = lookup(fx, MEDIUM_DIR);
	struct wr_entry *all = NULL;
	size_t nall = 0;
	oracle_list(fx->image, dir, "C-", "", &all, &nall);
	assert_int_equal(nall, 3001);
	struct wr_ntfs *nv = open_volume(fx);
	for (size_t i = 0; i < nall; i++) {
		struct wr_entry *got = NULL;
		size_t n = 0;
		assert_int_equal(wr_ntfs_list_matching(nv, dir, all[i].name, "", &got, &n), 0);
		/* A name that is a prefix of other names finds them too. */
		bool found = false;
		for (size_t j = 0; j < n; j++)
			found |= got[j].mref == all[i].mref && !strcmp(got[j].name, all[i].name);
		if (!found)
			print_error("'%s' not found by its own name\n", all[i].name);
		assert_true(found);
		wr_entries_free(got, n);
	}
	wr_ntfs_close(nv);
	for (size_t i = 0; i < nall; i++)
		free(all[i].name);
	free(all);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(big_directory_matches_readdir),
		cmocka_unit_test(small_directory_matches_readdir),
		cmocka_unit_test(every_entry_found_by_its_name),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
