/* Faults while fixing: an I/O error injected below libntfs-3g (blockdev.h's
 * fault plan) at every write and every read of a fix (a sample of the reads if
 * they were many), each on a fresh copy of a real NTFS fixture. After each
 * run: the result is an error (exit 8) or, when the fault did not matter,
 * fixed (or, for a read before any write, refused with the image unchanged);
 * no channel file is gone without its verified backup, none still there is
 * reported deleted; every other file is byte for byte what it was;
 * the volume still opens, and ntfsfix -n accepts it or it is marked dirty.
 * The volume is read back with wr-ntfs-manifest (libntfs-3g directly, not the
 * code under test). Writes a summary to <build>/reliability-faults.txt. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "winrescue/model.h"
#include "winrescue/ntfsvol.h"
#include "winrescue/run.h"
#include "winrescue/util.h"

#define MAX_READ_RUNS 400

static const char spec_text[] =
	"file \\Windows\\System32\\ntoskrnl.exe size=16384 content=text:MZ\n"
	"file \\Windows\\System32\\drivers\\ntfs.sys size=4096 content=text:MZ\n"
	"file \\Users\\admin\\Documents\\report.docx size=6000 content=random\n"
	"file \\Windows\\System32\\drivers\\CrowdStrike\\CSAgent.sys size=16384 content=text:MZ\n"
	"file \\Windows\\System32\\drivers\\CrowdStrike\\C-00000290-00000000-00000001.sys "
	"size=8192 content=magic\n"
	"file \\Windows\\System32\\drivers\\CrowdStrike\\C-00000291-00000000-00000032.sys "
	"size=40960 content=magic modified=2024-07-19T04:09:00Z\n"
	"file \\Windows\\System32\\drivers\\CrowdStrike\\c-00000291-00000000-00000034.sys "
	"size=40960 content=zero modified=2024-07-19T04:09:00Z\n"
	"file \\Windows\\System32\\drivers\\CrowdStrike\\C-00000291-00000000-00000035.sys "
	"size=700 content=random dos=C-0000~1.SYS\n"
	"file \\Windows\\System32\\drivers\\CrowdStrike\\C-00000291-00000000-00000037.sys size=0\n"
	"file \\Windows\\System32\\drivers\\CrowdStrike\\C-00000291-00000000-00000099.sys\\in.sys "
	"size=64 content=magic\n";

/* One line of a manifest: "PATH\tTYPE\tSIZE\tSHA256". */
struct manifest {
	char **lines;
	size_t count;
	bool ok;            /* the tool could open and walk the volume */
};

struct fixture {
	char *dir;
	char *template_img;
	struct manifest before;
	char **matches;     /* Windows paths the clean fix deletes */
	size_t nmatches;
	unsigned long reads, writes;    /* I/Os of a clean fix */
};

/* What all runs add up to, for the summary line. */
static struct {
	unsigned long injected, write_runs, read_runs, errors, fixed, refused, dirty_only;
} totals;

/* Sanitizer builds: under injected I/O errors libntfs-3g leaks on its own error
 * paths (the runlist of a failed ntfs_delete or mount, inodes its cache keeps
 * when a write-back fails): memory allocated inside libntfs-3g is not counted
 * here. Every test without faults still counts it. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:libntfs-3g.so\n"; }

static char *run_output(const char *cmd, int *status)
{
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t cap = 4096, len = 0;
	char *out = wr_xmalloc(cap);
	size_t n;
	while ((n = fread(out + len, 1, cap - len - 1, p)) > 0) {
		len += n;
		if (cap - len < 2)
			out = wr_xrealloc(out, cap *= 2);
	}
	out[len] = '\0';
	*status = pclose(p);
	return out;
}

static void manifest_of(const char *img, struct manifest *m)
{
	char *cmd = wr_xasprintf("\"%s/wr-ntfs-manifest\" '%s' 2>/dev/null", getenv("WR_TOOLS"), img);
	int status;
	char *out = run_output(cmd, &status);
	free(cmd);
	memset(m, 0, sizeof(*m));
	m->ok = status == 0;
	char *save = NULL;
	for (char *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		*(char **)wr_array_grow(&m->lines, &m->count, sizeof(char *)) = wr_xstrdup(l);
	free(out);
}

static void manifest_free(struct manifest *m)
{
	for (size_t i = 0; i < m->count; i++)
		free(m->lines[i]);
	free(m->lines);
}

static bool path_is(const char *line, const char *path)
{
	size_t n = strlen(path);
	return !strncmp(line, path, n) && line[n] == '\t';
}

static const char *manifest_find(const struct manifest *m, const char *path)
{
	for (size_t i = 0; i < m->count; i++)
		if (path_is(m->lines[i], path))
			return m->lines[i];
	return NULL;
}

static bool is_match(const struct fixture *fx, const char *line)
{
	for (size_t i = 0; i < fx->nmatches; i++)
		if (path_is(line, fx->matches[i]))
			return true;
	return false;
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *cmd = NULL;
	assert_true(vasprintf(&cmd, fmt, ap) >= 0);
	va_end(ap);
	int rc = system(cmd);
	if (rc != 0)
		fail_msg("command failed (%d): %s", rc, cmd);
	free(cmd);
}

static enum wr_result fix_with(const char *img, const char *backups, struct wr_fault_plan *plan,
			       unsigned overrides, struct wr_report *rep)
{
	const char *targets[] = { img };
	struct wr_run_options o = { .fix = true, .backup_root = backups, .faults = plan,
				    .overrides = overrides };
	wr_report_init(rep, WR_COMMAND_FIX, false);
	return wr_run(rep, targets, 1, &o);
}

static enum wr_result fix(const char *img, const char *backups, struct wr_fault_plan *plan,
			  struct wr_report *rep)
{
	return fix_with(img, backups, plan, 0, rep);
}

static int make_fixture(void **state)
{
	if (!getenv("WR_TOOLS") || !getenv("WR_SOURCE")) {
		fprintf(stderr, "WR_TOOLS and WR_SOURCE must be set (run through ctest)\n");
		return -1;
	}
	struct fixture *fx = wr_xcalloc(1, sizeof(*fx));
	char tmpl[] = "/tmp/wr-faults.XXXXXX";
	fx->dir = wr_xstrdup(mkdtemp(tmpl));
	fx->template_img = wr_xasprintf("%s/template.img", fx->dir);
	char *spec = wr_xasprintf("%s/faults.spec", fx->dir);
	FILE *f = fopen(spec, "w");
	fputs(spec_text, f);
	fclose(f);
	sh(". \"$WR_SOURCE/tests/tools/fixtures.sh\" && wr_make_volume '%s' 8 Faults '%s'",
	   fx->template_img, spec);
	free(spec);
	manifest_of(fx->template_img, &fx->before);
	*state = fx;
	return fx->before.ok ? 0 : -1;
}

static int remove_fixture(void **state)
{
	struct fixture *fx = *state;
	sh("rm -rf '%s'", fx->dir);
	manifest_free(&fx->before);
	for (size_t i = 0; i < fx->nmatches; i++)
		free(fx->matches[i]);
	free(fx->matches);
	free(fx->template_img);
	free(fx->dir);
	free(fx);
	return 0;
}

/* A clean fix: learns the matches and how many I/Os every step makes. */
static void test_clean_fix_counts_ios(void **state)
{
	struct fixture *fx = *state;
	char *img = wr_xasprintf("%s/clean.img", fx->dir);
	char *backups = wr_xasprintf("%s/clean-backups", fx->dir);
	sh("cp '%s' '%s'", fx->template_img, img);
	struct wr_fault_plan plan = { 0 };
	struct wr_report rep;
	enum wr_result r = fix(img, backups, &plan, &rep);
	assert_int_equal(rep.nvolumes, 1);
	if (r != WR_RESULT_FIXED)
		fail_msg("clean fix: %s: %s", wr_result_name(r), rep.volumes[0].message);
	const struct wr_volume *vol = &rep.volumes[0];
	assert_int_equal(vol->nfiles, 4);
	for (size_t i = 0; i < vol->nfiles; i++)
		*(char **)wr_array_grow(&fx->matches, &fx->nmatches, sizeof(char *)) =
			wr_xstrdup(vol->files[i].path);
	fx->reads = plan.reads;
	fx->writes = plan.writes;
	print_message("clean fix: %lu reads, %lu writes\n", plan.reads, plan.writes);
	assert_true(fx->writes > 0);
	wr_report_free(&rep);
	free(img);
	free(backups);
}

static char *sha256_of(const char *path)
{
	char *cmd = wr_xasprintf("sha256sum '%s'", path);
	int status;
	char *out = run_output(cmd, &status);
	free(cmd);
	assert_int_equal(status, 0);
	out[64] = '\0';
	return out;
}

static const struct wr_file *report_file(const struct wr_report *rep, const char *path)
{
	for (size_t v = 0; v < rep->nvolumes; v++)
		for (size_t i = 0; i < rep->volumes[v].nfiles; i++)
			if (!strcmp(rep->volumes[v].files[i].path, path))
				return &rep->volumes[v].files[i];
	return NULL;
}

/* A channel file that is gone must have a backup with its old bytes; a file
 * marked failed keeps the backup it got. */
static void check_no_data_lost(const struct fixture *fx, const struct wr_report *rep,
			       const struct manifest *after)
{
	for (size_t i = 0; i < fx->nmatches; i++) {
		const struct wr_file *f = report_file(rep, fx->matches[i]);
		const char *old = manifest_find(&fx->before, fx->matches[i]);
		assert_non_null(old);
		if (f && f->action == WR_ACTION_FAILED && f->backup)
			assert_int_equal(access(f->backup, R_OK), 0);
		if (manifest_find(after, fx->matches[i])) {
			if (f && f->action == WR_ACTION_DELETED)
				fail_msg("%s is reported deleted but is still there", fx->matches[i]);
			continue;
		}
		if (!f || !f->backup)
			fail_msg("%s is gone and has no backup", fx->matches[i]);
		char *sum = sha256_of(f->backup);
		if (!strstr(old, sum))
			fail_msg("the backup of %s differs from the file", fx->matches[i]);
		free(sum);
	}
}

static void check_others_intact(const struct fixture *fx, const struct manifest *after)
{
	for (size_t i = 0; i < fx->before.count; i++) {
		const char *line = fx->before.lines[i];
		if (is_match(fx, line))
			continue;
		bool same = false;
		for (size_t j = 0; j < after->count && !same; j++)
			same = !strcmp(after->lines[j], line);
		if (!same)
			fail_msg("changed or lost: %s", line);
	}
}

/* Opens read-only through the library; ntfsfix -n must accept the volume or
 * the dirty flag must tell Windows to check it. */
static void check_volume_opens(const char *img)
{
	struct wr_range range = { .path = img };
	struct wr_ntfs *nv = NULL;
	char *err = NULL;
	if (wr_ntfs_open(&range, 0, &nv, &err))
		fail_msg("the volume no longer opens: %s", err);
	bool dirty = wr_ntfs_state(nv) & WR_STATE_DIRTY;
	wr_ntfs_close(nv);
	char *cmd = wr_xasprintf("PATH=$PATH:/usr/sbin:/sbin ntfsfix -n '%s' >/dev/null 2>&1", img);
	bool checks = system(cmd) == 0;
	free(cmd);
	if (!checks && !dirty)
		fail_msg("ntfsfix -n rejects the volume and it is not marked dirty");
	totals.dirty_only += !checks;
}

static void run_with_fault(struct fixture *fx, unsigned long read_at, unsigned long write_at)
{
	char *img = wr_xasprintf("%s/run.img", fx->dir);
	char *backups = wr_xasprintf("%s/run-backups", fx->dir);
	sh("rm -rf '%s' && cp '%s' '%s'", backups, fx->template_img, img);
	struct wr_fault_plan plan = { .fail_read_at = read_at, .fail_write_at = write_at };
	struct wr_report rep;
	enum wr_result r = fix(img, backups, &plan, &rep);
	bool hit = (read_at && plan.reads >= read_at) || (write_at && plan.writes >= write_at);
	totals.injected += hit;
	/* A read failing before any write may make the volume look unsafe to
	 * write (refused): then not one byte may have changed. */
	bool refused = r == WR_RESULT_REFUSED && !write_at;
	if (r != WR_RESULT_ERROR && r != WR_RESULT_FIXED && !refused)
		fail_msg("fault at read %lu / write %lu: result %s, expected error or fixed",
			 read_at, write_at, wr_result_name(r));
	if (refused)
		sh("cmp -s '%s' '%s'", fx->template_img, img);
	totals.refused += refused;
	totals.errors += r == WR_RESULT_ERROR;
	totals.fixed += r == WR_RESULT_FIXED;
	struct manifest after;
	manifest_of(img, &after);
	if (!after.ok)
		fail_msg("fault at read %lu / write %lu: the volume cannot be walked", read_at,
			 write_at);
	if (r == WR_RESULT_FIXED)
		for (size_t i = 0; i < fx->nmatches; i++)
			assert_null(manifest_find(&after, fx->matches[i]));
	check_no_data_lost(fx, &rep, &after);
	check_others_intact(fx, &after);
	check_volume_opens(img);
	manifest_free(&after);
	wr_report_free(&rep);
	free(img);
	free(backups);
}

static void test_every_write_fails_once(void **state)
{
	struct fixture *fx = *state;
	assert_true(fx->writes > 0);
	for (unsigned long w = 1; w <= fx->writes; w++, totals.write_runs++)
		run_with_fault(fx, 0, w);
}

/* Every read when they are few; on a larger fixture a spread sample plus the
 * last ones, which belong to the write phase and the verification. */
static void test_reads_fail_once(void **state)
{
	struct fixture *fx = *state;
	assert_true(fx->reads > 0);
	unsigned long step = fx->reads / MAX_READ_RUNS + 1;
	for (unsigned long r = 1; r <= fx->reads; r += step, totals.read_runs++)
		run_with_fault(fx, r, 0);
	for (unsigned long r = step > 1 && fx->reads > 10 ? fx->reads - 10 : fx->reads + 1;
	     r <= fx->reads; r++, totals.read_runs++)
		run_with_fault(fx, r, 0);
}

/* --discard-hibernation with the write that invalidates hiberfil.sys failing: the
 * fix must stop before deleting anything and say so (error, exit 8), never report
 * the volume fixed. Every write of the fix fails once, on a hibernated volume. */
static void test_failed_hibernation_reset_is_an_error(void **state)
{
	struct fixture *fx = *state;
	char *spec = wr_xasprintf("%s/hiber.spec", fx->dir);
	char *tmpl = wr_xasprintf("%s/hiber-template.img", fx->dir);
	char *img = wr_xasprintf("%s/hiber.img", fx->dir);
	static const char cf[] =
		"\\Windows\\System32\\drivers\\CrowdStrike\\C-00000291-00000000-00000032.sys";
	FILE *f = fopen(spec, "w");
	assert_non_null(f);
	fprintf(f, "file \\Windows\\System32\\ntoskrnl.exe size=4096 content=text:MZ\n"
		"file %s size=4096 content=magic modified=2024-07-19T04:09:00Z\n"
		"state hibernated\n", cf);
	fclose(f);
	sh(". \"$WR_SOURCE/tests/tools/fixtures.sh\" && wr_make_volume '%s' 8 Hiber '%s'",
	   tmpl, spec);
	struct wr_fault_plan count = { 0 };
	struct wr_report rep;
	sh("cp '%s' '%s'", tmpl, img);
	assert_int_equal(fix_with(img, NULL, &count, WR_NTFS_DISCARD_HIBERNATION, &rep),
			 WR_RESULT_FIXED);
	wr_report_free(&rep);
	unsigned hiberfil_failures = 0;
	for (unsigned long w = 1; w <= count.writes; w++) {
		sh("cp '%s' '%s'", tmpl, img);
		struct wr_fault_plan plan = { .fail_write_at = w };
		enum wr_result r = fix_with(img, NULL, &plan, WR_NTFS_DISCARD_HIBERNATION, &rep);
		const struct wr_volume *v = &rep.volumes[0];
		if (v->message && strstr(v->message, "hiberfil.sys")) {
			hiberfil_failures++;
			if (r != WR_RESULT_ERROR || v->status != WR_VOL_ERROR)
				fail_msg("write %lu: invalidating hiberfil.sys failed, yet the result "
					 "is %s", w, wr_result_name(r));
			for (size_t i = 0; i < v->nfiles; i++)
				assert_int_not_equal(v->files[i].action, WR_ACTION_DELETED);
			struct manifest after;
			manifest_of(img, &after);
			assert_true(after.ok);
			assert_non_null(manifest_find(&after, cf));
			manifest_free(&after);
		}
		wr_report_free(&rep);
	}
	assert_true(hiberfil_failures > 0);
	free(spec);
	free(tmpl);
	free(img);
}

static void write_summary(int failed)
{
	char *path = wr_xasprintf("%s/../../reliability-faults.txt", getenv("WR_TOOLS"));
	FILE *f = fopen(path, "w");
	if (f && failed) {
		fprintf(f, "reliability: faults: FAILED (%d checks failed after %lu faults "
			"injected: see the test's output)\n", failed, totals.injected);
	} else if (f) {
		fprintf(f, "reliability: faults: %lu injected (%lu runs with a write failing, "
			"%lu with a read failing); results: %lu error, %lu fixed, %lu refused "
			"unchanged; crashes 0, "
			"data lost 0, unexpected changes 0, unopenable volumes 0 (%lu left for "
			"Windows' disk check)\n", totals.injected, totals.write_runs,
			totals.read_runs, totals.errors, totals.fixed, totals.refused,
			totals.dirty_only);
	}
	if (f)
		fclose(f);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_fix_counts_ios),
		cmocka_unit_test(test_every_write_fails_once),
		cmocka_unit_test(test_reads_fail_once),
		cmocka_unit_test(test_failed_hibernation_reset_is_an_error),
	};
	int failed = cmocka_run_group_tests(tests, make_fixture, remove_fixture);
	write_summary(failed);
	return failed;
}
