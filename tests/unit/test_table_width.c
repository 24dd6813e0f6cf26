/* The short table at 80 columns (COLUMNS=80, and any output that is not a terminal):
 * every volume and every file takes one line, for long device names, labels and file
 * names and for every status, state, time class, content class and action; compared
 * with a golden copy (tests/unit/golden/table-80.txt). The full values stay in JSON. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "winrescue/model.h"
#include "winrescue/report.h"
#include "winrescue/util.h"

#define CS_DIR "\\Windows\\System32\\drivers\\CrowdStrike\\"
#define NTFS_EPOCH_DIFF 11644473600LL
#define AT(unix) (((int64_t)(unix) + NTFS_EPOCH_DIFF) * 10000000LL)
#define FAULTY 1721362140     /* 2024-07-19 04:09 UTC */
#define GOOD 1721366820       /* 2024-07-19 05:27 UTC */

static struct wr_volume *volume(struct wr_report *rep, const char *dev, const char *label,
				enum wr_volume_status status, unsigned state)
{
	struct wr_volume *v = wr_report_add_volume(rep);
	v->device = wr_xstrdup(dev);
	v->size = 931ULL << 30;
	v->fs_type = wr_xstrdup("ntfs");
	v->label = label ? wr_xstrdup(label) : NULL;
	v->windows = status != WR_VOL_NOT_WINDOWS;
	v->status = status;
	v->state = state;
	return v;
}

static void file(struct wr_volume *v, const char *name, int64_t when, enum wr_time_class tc,
		 enum wr_content_class cc, enum wr_action action)
{
	struct wr_file *f = wr_volume_add_file(v);
	f->path = wr_xasprintf(CS_DIR "%s", name);
	f->size = 41000;
	f->modified = when ? AT(when) : 0;
	f->time_class = tc;
	f->content_class = cc;
	f->action = action;
}

/* Every class the tables show, with names longer than any screen wants. */
static void build(struct wr_report *rep)
{
	wr_report_init(rep, WR_COMMAND_FIX, false);
	volume(rep, "/dev/sda1", "SYSTEM", WR_VOL_NOT_WINDOWS, 0);
	volume(rep, "/dev/disk/by-id/nvme-Samsung_SSD_980_PRO_2TB_S6B0NL0T123456X-part3",
	       "A label as long as Windows allows it", WR_VOL_FIX_NEEDED, WR_STATE_UNCLEAN_JOURNAL);
	struct wr_volume *bl = volume(rep, "/dev/nvme0n1p3", "Windows", WR_VOL_LOCKED, 0);
	bl->encryption = WR_ENC_BITLOCKER;
	volume(rep, "/dev/sdb2", "Windows", WR_VOL_REFUSED, WR_STATE_HIBERNATED);
	volume(rep, "/dev/sdc2", "Windows", WR_VOL_REFUSED, WR_STATE_FAST_STARTUP);
	struct wr_volume *fixed = volume(rep, "/dev/sdd3", NULL, WR_VOL_FIXED, WR_STATE_DIRTY);
	volume(rep, "/dev/sde3", "Windows", WR_VOL_CLEAN, 0);
	volume(rep, "/dev/sdf3", "Windows", WR_VOL_ERROR, 0);
	struct wr_volume *v = &rep->volumes[1];
	file(v, "C-00000291-00000000-00000032.sys", FAULTY, WR_TIME_FAULTY, WR_CONTENT_MAGIC,
	     WR_ACTION_WOULD_DELETE);
	file(v, "C-00000291-00000000-00000033.SYS", GOOD, WR_TIME_GOOD, WR_CONTENT_ZERO,
	     WR_ACTION_WOULD_DELETE);
	file(v, "C-00000291-00000000-00000034-a-name-far-longer-than-any-real-one.sys", FAULTY,
	     WR_TIME_OTHER, WR_CONTENT_EMPTY, WR_ACTION_NONE);
	file(v, "C-00000291.sys", 0, WR_TIME_OTHER, WR_CONTENT_UNREADABLE, WR_ACTION_FAILED);
	file(v, "c-00000291-00000000-00000035.sys", FAULTY, WR_TIME_FAULTY, WR_CONTENT_OTHER,
	     WR_ACTION_WOULD_DELETE);
	file(fixed, "C-00000291-00000000-00000032.sys", FAULTY, WR_TIME_FAULTY, WR_CONTENT_MAGIC,
	     WR_ACTION_DELETED);
	wr_report_finish(rep);
}

/* The whole of a stream from its start (a text of at most 16 KiB). */
static char *slurp(FILE *f)
{
	char *text = wr_xcalloc(16384, 1);
	rewind(f);
	size_t n = fread(text, 1, 16383, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

static char *render(const struct wr_report *rep)
{
	FILE *out = tmpfile();
	assert_non_null(out);
	assert_int_equal(wr_report_print_table(rep, out, false), 0);
	char *text = slurp(out);
	if (getenv("WR_SHOW_TABLES"))
		fputs(text, stdout);
	return text;
}

static size_t columns(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xC0) != 0x80;
	return n;
}

/* Lines of the table that starts at the line holding header, up to a blank line. */
static int table_lines(const char *text, const char *header)
{
	const char *at = strstr(text, header);
	assert_non_null(at);
	int n = 0;
	for (const char *p = at; *p && *p != '\n'; p = strchr(p, '\n') + 1, n++)
		if (!strchr(p, '\n'))
			return n + 1;
	return n;
}

static void check_one_line_each(const char *text, const struct wr_report *rep)
{
	for (const char *p = text; *p;) {
		size_t len = strcspn(p, "\n");
		if (columns(p, len) > 80)
			fail_msg("line wider than 80 columns: %.*s", (int)len, p);
		p += len + (p[len] == '\n');
	}
	assert_int_equal(table_lines(text, "DEVICE"), (int)rep->nvolumes + 1);
	const char *files = strstr(text, "FILE ");
	assert_non_null(files);
	assert_int_equal(table_lines(files, "FILE "), (int)rep->volumes[1].nfiles + 1);
	assert_int_equal(table_lines(strstr(files + 1, "FILE "), "FILE "), 2);
}

static char *read_golden(void)
{
	const char *top = getenv("WR_SOURCE");
	assert_non_null(top);
	char *path = wr_xasprintf("%s/tests/unit/golden/table-80.txt", top);
	FILE *f = fopen(path, "r");
	if (!f)
		fail_msg("cannot read %s", path);
	free(path);
	return slurp(f);
}

/* The table of build() rendered now: one line each, and as the golden copy. */
static char *render_checked(const struct wr_report *rep)
{
	char *text = render(rep);
	check_one_line_each(text, rep);
	char *golden = read_golden();
	assert_string_equal(text, golden);
	free(golden);
	return text;
}

static void not_a_terminal(void **state)
{
	(void)state;
	unsetenv("COLUMNS");
	struct wr_report rep;
	build(&rep);
	free(render_checked(&rep));
	wr_report_free(&rep);
}

static void columns_80(void **state)
{
	(void)state;
	setenv("COLUMNS", "80", 1);
	struct wr_report rep;
	build(&rep);
	free(render_checked(&rep));
	/* A wider screen shows more of the long names. */
	setenv("COLUMNS", "160", 1);
	char *wide = render(&rep);
	assert_non_null(strstr(wide, "a-name-far-longer-than-any-real-one.sys"));
	unsetenv("COLUMNS");
	free(wide);
	wr_report_free(&rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(not_a_terminal),
		cmocka_unit_test(columns_80),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
