/* The report a person reads, in the style of lsblk and findmnt (libsmartcols):
 * volumes, then each volume's matching files and message, then one result line.
 * It has to stay readable on an 80-column serial console, where a rescue stick
 * often runs: long cells wrap instead of pushing lines past the screen. */
#include "winrescue/report.h"

#include <errno.h>
#include <libsmartcols/libsmartcols.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "report_words.h"
#include "table_fit.h"
#include "winrescue/remedy.h"
#include "winrescue/report_boot.h"
#include "winrescue/storage.h"
#include "winrescue/util.h"
#include "report_internal.h"

#define SERIAL_CONSOLE_WIDTH 80

enum line_breaks {
	BREAK_NEVER,
	BREAK_AT_NEWLINES,           /* the cell lists items, one a line */
	BREAK_AT_FIRST_SPACE,        /* when the table is too wide: "would" over "delete" */
};

struct column {
	int id;
	const char *name;
	double width_hint;     /* below 1: share of the screen; else columns */
	int flags;
	bool verbose_only;
	enum line_breaks breaks;
	int shrink;            /* > 0: shortened in the middle to fit, first to this width */
};

/* Returns the text of one cell of item (allocated; the table takes it). */
typedef char *(*cell_fn)(const void *item, int id, bool verbose);

struct table_layout {
	const struct column *columns;
	size_t ncolumns;
	cell_fn cell;
	bool verbose;
	size_t width;          /* 0: no limit */
};

enum volume_column {
	VOL_DEVICE, VOL_PART, VOL_SIZE, VOL_OFFSET, VOL_FS, VOL_LABEL, VOL_SERIAL,
	VOL_ENCRYPTION, VOL_KEY_IDS, VOL_WINDOWS, VOL_STATE, VOL_STATUS, VOL_PART_TYPE,
};

static const struct column volume_columns[] = {
	{ VOL_DEVICE, "DEVICE", 0.2, 0, false, BREAK_NEVER, 16 },
	{ VOL_PART, "PART", 1, SCOLS_FL_RIGHT, false, BREAK_NEVER, 0 },
	{ VOL_SIZE, "SIZE", 5, SCOLS_FL_RIGHT, false, BREAK_NEVER, 0 },
	{ VOL_OFFSET, "OFFSET", 10, SCOLS_FL_RIGHT, true, BREAK_NEVER, 0 },
	{ VOL_FS, "FS", 4, 0, false, BREAK_NEVER, 0 },
	{ VOL_LABEL, "LABEL", 0.1, SCOLS_FL_TRUNC, false, BREAK_NEVER, 8 },
	{ VOL_SERIAL, "SERIAL", 16, 0, true, BREAK_NEVER, 0 },
	{ VOL_ENCRYPTION, "ENCRYPTION", 4, 0, true, BREAK_NEVER, 0 },
	{ VOL_KEY_IDS, "KEY IDS", 36, 0, true, BREAK_AT_NEWLINES, 0 },
	{ VOL_WINDOWS, "WINDOWS", 3, 0, false, BREAK_NEVER, 0 },
	{ VOL_STATE, "STATE", 5, 0, false, BREAK_AT_FIRST_SPACE, 0 },
	{ VOL_STATUS, "STATUS", 5, 0, false, BREAK_AT_FIRST_SPACE, 0 },
	{ VOL_PART_TYPE, "PARTITION TYPE", 0.1, SCOLS_FL_TRUNC, true, BREAK_NEVER, 0 },
};

enum file_column {
	FILE_NAME, FILE_SIZE, FILE_MODIFIED, FILE_TIME_CLASS, FILE_CONTENT, FILE_ACTION,
	FILE_BACKUP,
};

static const struct column file_columns[] = {
	{ FILE_NAME, "FILE", 0.3, SCOLS_FL_WRAP, false, BREAK_NEVER, 20 },
	{ FILE_SIZE, "SIZE", 5, SCOLS_FL_RIGHT, false, BREAK_NEVER, 0 },
	{ FILE_MODIFIED, "MODIFIED (UTC)", 10, 0, false, BREAK_AT_FIRST_SPACE, 0 },
	{ FILE_TIME_CLASS, "TIME CLASS", 10, 0, false, BREAK_AT_FIRST_SPACE, 0 },
	{ FILE_CONTENT, "CONTENT", 7, 0, false, BREAK_AT_FIRST_SPACE, 0 },
	{ FILE_ACTION, "ACTION", 6, 0, false, BREAK_AT_FIRST_SPACE, 0 },
	{ FILE_BACKUP, "BACKUP", 0.3, SCOLS_FL_WRAP, true, BREAK_NEVER, 0 },
};

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* Like lsblk: binary units, one decimal unless it is zero ("931.5G", "100M"). */
char *wr_human_size(uint64_t bytes)
{
	static const char units[] = "BKMGTPE";
	double value = (double)bytes;
	size_t unit = 0;
	while (value >= 1024 && unit + 1 < sizeof(units) - 1) {
		value /= 1024;
		unit++;
	}
	if (unit == 0)
		return wr_xasprintf("%lluB", (unsigned long long)bytes);
	char *s = wr_xasprintf("%.1f%c", value, units[unit]);
	char *dot = strstr(s, ".0");
	if (dot)
		memmove(dot, dot + 2, strlen(dot + 2) + 1);
	return s;
}

/* "2024-07-19 04:09", or "-" for a time that was never read. */
static char *ntfs_time_minutes(int64_t ntfs_time)
{
	if (ntfs_time == 0)
		return wr_xstrdup("-");
	char iso[32];
	wr_format_utc(wr_ntfs_time_to_unix(ntfs_time), iso);
	if (strlen(iso) >= 16 && iso[10] == 'T') {
		iso[10] = ' ';
		iso[16] = '\0';
	}
	return wr_xstrdup(iso);
}

static char *or_dash(const char *s)
{
	return wr_xstrdup(s && *s ? s : "-");
}

/* The Key IDs to look up in a key export, one per line of the cell. */
static char *recovery_key_ids(const struct wr_bitlocker *bl)
{
	char *ids = NULL;
	for (size_t i = 0; i < bl->nprotectors; i++) {
		const struct wr_protector *p = &bl->protectors[i];
		if (!wr_protector_has_recovery_key_id(p))
			continue;
		char *joined = ids ? wr_xasprintf("%s\n%s", ids, p->key_id) : wr_xstrdup(p->key_id);
		free(ids);
		ids = joined;
	}
	return ids ? ids : wr_xstrdup("-");
}

static char *volume_cell(const void *item, int id, bool verbose)
{
	const struct wr_volume *v = item;
	(void)verbose;
	switch ((enum volume_column)id) {
	case VOL_DEVICE: return or_dash(wr_volume_source(v, NULL, NULL));
	case VOL_PART: return v->partition > 0 ? wr_xasprintf("%d", v->partition) : or_dash(NULL);
	case VOL_SIZE: return wr_human_size(v->size);
	case VOL_OFFSET: return wr_xasprintf("%llu", (unsigned long long)v->offset);
	case VOL_FS:   /* ENCRYPTION is a verbose column: the short table says it here */
		return or_dash(v->encryption == WR_ENC_BITLOCKER ? "BitLocker" : v->fs_type);
	case VOL_LABEL: return or_dash(v->label);
	case VOL_SERIAL: return or_dash(v->serial);
	case VOL_ENCRYPTION:
		return wr_xstrdup(v->encryption == WR_ENC_BITLOCKER ? "BitLocker" : "none");
	case VOL_KEY_IDS: return recovery_key_ids(&v->bitlocker);
	case VOL_WINDOWS: return wr_xstrdup(v->windows ? "yes" : "no");
	case VOL_STATE: return wr_state_words(v->state);
	case VOL_STATUS: return wr_xstrdup(wr_status_words(v->status));
	case VOL_PART_TYPE: return or_dash(v->part_type);
	}
	return or_dash(NULL);
}

static const char *base_name(const char *windows_path)
{
	/* A channel file's name is what follows its folder: a name written by
	 * POSIX tools may hold a backslash. */
	size_t dir = strlen(WR_CS_DIR);
	if (!strncmp(windows_path, WR_CS_DIR "\\", dir + 1))
		return windows_path + dir + 1;
	const char *slash = strrchr(windows_path, '\\');
	return slash ? slash + 1 : windows_path;
}

static char *file_cell(const void *item, int id, bool verbose)
{
	const struct wr_file *f = item;
	switch ((enum file_column)id) {
	case FILE_NAME:
		if (!f->path)
			return or_dash(NULL);
		return wr_xstrdup(verbose ? f->path : base_name(f->path));
	case FILE_SIZE: return wr_human_size(f->size);
	case FILE_MODIFIED: return ntfs_time_minutes(f->modified);
	case FILE_TIME_CLASS: return wr_xstrdup(wr_time_class_words(f->time_class));
	case FILE_CONTENT: return wr_xstrdup(wr_content_words(f->content_class));
	case FILE_ACTION: return wr_xstrdup(wr_action_words(f->action));
	case FILE_BACKUP: return or_dash(f->backup);
	}
	return or_dash(NULL);
}

/* The text of a table before it goes to libsmartcols: rows by shown columns. */
struct cell_grid {
	const struct column **columns;
	size_t ncolumns, nrows;
	char **text;           /* NULL where libsmartcols took it over */
};

static char **grid_cell(const struct cell_grid *g, size_t row, size_t col)
{
	return &g->text[row * g->ncolumns + col];
}

static struct cell_grid make_grid(const struct table_layout *l, const void *items,
				  size_t nitems, size_t item_size)
{
	struct cell_grid g = { wr_xcalloc(l->ncolumns, sizeof(*g.columns)), 0, nitems, NULL };
	for (size_t i = 0; i < l->ncolumns; i++)
		if (l->verbose || !l->columns[i].verbose_only)
			g.columns[g.ncolumns++] = &l->columns[i];
	g.text = wr_xcalloc(nitems * g.ncolumns, sizeof(*g.text));
	for (size_t r = 0; r < nitems; r++)
		for (size_t c = 0; c < g.ncolumns; c++)
			*grid_cell(&g, r, c) = l->cell((const char *)items + r * item_size,
						       g.columns[c]->id, l->verbose);
	return g;
}

static void free_grid(struct cell_grid *g)
{
	for (size_t i = 0; i < g->nrows * g->ncolumns; i++)
		free(g->text[i]);
	free(g->text);
	free(g->columns);
}

/* Columns the table needs with every cell on one line, one space between. */
static size_t grid_width(const struct cell_grid *g)
{
	size_t total = g->ncolumns ? g->ncolumns - 1 : 0;
	for (size_t c = 0; c < g->ncolumns; c++) {
		size_t widest = strlen(g->columns[c]->name);
		for (size_t r = 0; r < g->nrows; r++) {
			size_t w = wr_widest_line(*grid_cell(g, r, c));
			widest = w > widest ? w : widest;
		}
		total += widest;
	}
	return total;
}

/* Two-word phrases on two lines ("would" over "delete") read better than words
 * libsmartcols cuts anywhere to make a table fit; the rightmost columns give way
 * first, one at a time, until the table fits. */
static void break_phrases_to_fit(struct cell_grid *g, size_t width)
{
	for (size_t c = g->ncolumns; c-- > 0 && grid_width(g) > width;) {
		if (g->columns[c]->breaks != BREAK_AT_FIRST_SPACE)
			continue;
		for (size_t r = 0; r < g->nrows; r++) {
			char *space = strchr(*grid_cell(g, r, c), ' ');
			if (space)
				*space = '\n';
		}
	}
}

/* The short table: one line per row, long names shortened in the middle. */
static void fit_grid(struct cell_grid *g, size_t width)
{
	const char **headers = wr_xcalloc(g->ncolumns + 1, sizeof(*headers));
	int *rank = wr_xcalloc(g->ncolumns + 1, sizeof(*rank));
	for (size_t c = 0; c < g->ncolumns; c++) {
		headers[c] = g->columns[c]->name;
		rank[c] = g->columns[c]->shrink;
	}
	wr_table_fit(g->text, g->nrows, g->ncolumns, headers, rank, width);
	free(headers);
	free(rank);
}

static int add_columns(struct libscols_table *tb, const struct cell_grid *g, bool fitted)
{
	for (size_t c = 0; c < g->ncolumns; c++) {
		const struct column *col = g->columns[c];
		int flags = col->flags | (col->breaks != BREAK_NEVER ? SCOLS_FL_WRAP : 0);
		struct libscols_column *cl = scols_table_new_column(tb, col->name,
			fitted ? 0 : col->width_hint, flags);   /* fitted: the text's own width */
		if (!cl)
			return -ENOMEM;
		if (col->breaks != BREAK_NEVER) {
			scols_column_set_wrapfunc(cl, scols_wrapnl_chunksize, scols_wrapnl_nextchunk, NULL);
			scols_column_set_safechars(cl, "\n");
		}
	}
	return 0;
}

static int add_rows(struct libscols_table *tb, struct cell_grid *g)
{
	for (size_t r = 0; r < g->nrows; r++) {
		struct libscols_line *ln = scols_table_new_line(tb, NULL);
		if (!ln)
			return -ENOMEM;
		for (size_t c = 0; c < g->ncolumns; c++) {
			int rc = scols_line_refer_data(ln, c, *grid_cell(g, r, c));
			if (rc)
				return rc;
			*grid_cell(g, r, c) = NULL;
		}
	}
	return 0;
}

static struct libscols_table *new_table(FILE *out, size_t width)
{
	struct libscols_table *tb = scols_new_table();
	if (!tb)
		return NULL;
	scols_table_set_stream(tb, out);
	if (width) {
		scols_table_set_termforce(tb, SCOLS_TERMFORCE_ALWAYS);
		scols_table_set_termwidth(tb, width);
	} else {
		scols_table_set_termforce(tb, SCOLS_TERMFORCE_NEVER);
	}
	return tb;
}

/* Prints one table of nitems items (each item_size bytes apart). */
static int print_table(FILE *out, const struct table_layout *l, const void *items,
		       size_t nitems, size_t item_size)
{
	struct libscols_table *tb = new_table(out, l->width);
	if (!tb)
		return -ENOMEM;
	struct cell_grid g = make_grid(l, items, nitems, item_size);
	if (l->width && !l->verbose)
		fit_grid(&g, l->width);
	else if (l->width)
		break_phrases_to_fit(&g, l->width);
	int rc = add_columns(tb, &g, l->width && !l->verbose);
	if (!rc)
		rc = add_rows(tb, &g);
	if (!rc)
		rc = scols_print_table(tb);
	free_grid(&g);
	scols_unref_table(tb);
	return rc;
}

/* Prints text indented, broken at spaces so no line passes width (0: no limit). */
void wr_print_wrapped(FILE *out, const char *text, size_t indent, size_t width)
{
	size_t used = 0;
	const char *p = text;
	while (*p) {
		while (*p == ' ')
			p++;
		size_t len = strcspn(p, " ");
		if (!len)
			break;
		size_t cols = wr_text_columns(p, len);
		if (used && width && used + 1 + cols > width) {
			fputc('\n', out);
			used = 0;
		}
		if (!used) {
			fprintf(out, "%*s", (int)indent, "");
			used = indent;
		} else {
			fputc(' ', out);
			used++;
		}
		fwrite(p, 1, len, out);
		used += cols;
		p += len;
	}
	if (used)
		fputc('\n', out);
}

static char *volume_title(const struct wr_volume *v)
{
	const char *source = wr_volume_source(v, NULL, NULL);
	char *where = !v->partition_dev && v->partition > 0
		? wr_xasprintf("%s partition %d", v->device, v->partition)
		: wr_xstrdup(source ? source : "?");
	if (!v->label || !*v->label)
		return where;
	char *title = wr_xasprintf("%s \"%s\"", where, v->label);
	free(where);
	return title;
}

/* A file's error, or what was done to a link named like a channel file. */
static char *file_note(const struct wr_file *f)
{
	const char *name = f->path ? base_name(f->path) : "?";
	if (f->error)
		return wr_xasprintf("%s: %s", name, f->error);
	if (!f->link)
		return NULL;
	return wr_xasprintf("%s is a symbolic link (to %s): %s", name,
			    *f->link ? f->link : "an unreadable target",
			    f->action == WR_ACTION_DELETED ?
			    "the link itself was removed; what it points to was not touched" :
			    "only the link would be removed, never what it points to");
}

/* What a person needs to read about this volume beyond the tables. */
static void print_volume_notes(FILE *out, const struct wr_volume *v, bool verbose, size_t width)
{
	if (v->message)
		wr_print_wrapped(out, v->message, 2, width);
	for (size_t i = 0; i < v->nfiles; i++) {
		char *line = file_note(&v->files[i]);
		if (line)
			wr_print_wrapped(out, line, 2, width);
		free(line);
	}
	if (!verbose)
		return;
	char *extra[3] = {
		v->in_use ? wr_xasprintf("In use: %s", v->in_use) : NULL,
		v->bitlocker.unlocked_with ? wr_xasprintf("Unlocked with: %s",
			wr_protector_type_name(v->bitlocker.unlocked_with)) : NULL,
		v->bitlocker.open_error ? wr_xasprintf("BitLocker: %s", v->bitlocker.open_error) : NULL,
	};
	for (size_t i = 0; i < NELEMS(extra); i++) {
		if (extra[i])
			wr_print_wrapped(out, extra[i], 2, width);
		free(extra[i]);
	}
}

static bool volume_has_notes(const struct wr_volume *v, bool verbose)
{
	return v->nfiles || v->message ||
		(verbose && (v->in_use || v->bitlocker.unlocked_with || v->bitlocker.open_error));
}

static int print_volume_details(FILE *out, const struct wr_volume *v, const struct table_layout *files)
{
	size_t width = files->width ? files->width : SERIAL_CONSOLE_WIDTH;
	char *title = volume_title(v);
	char *heading = v->nfiles ? wr_xasprintf("%s: %zu Channel File 291 %s", title, v->nfiles,
						 plural(v->nfiles, "file", "files"))
		: wr_xasprintf("%s:", title);
	fputc('\n', out);
	wr_print_wrapped(out, heading, 0, width);
	free(heading);
	free(title);
	int rc = v->nfiles ? print_table(out, files, v->files, v->nfiles, sizeof(v->files[0])) : 0;
	print_volume_notes(out, v, files->verbose, width);
	return rc;
}

struct counts { size_t would_delete, deleted, failed, locked, refused; };

static struct counts count_outcomes(const struct wr_report *rep)
{
	struct counts c = { 0 };
	for (size_t i = 0; i < rep->nvolumes; i++) {
		const struct wr_volume *v = &rep->volumes[i];
		c.locked += v->status == WR_VOL_LOCKED;
		c.refused += v->status == WR_VOL_REFUSED;
		for (size_t j = 0; j < v->nfiles; j++) {
			c.would_delete += v->files[j].action == WR_ACTION_WOULD_DELETE;
			c.deleted += v->files[j].action == WR_ACTION_DELETED;
			c.failed += v->files[j].action == WR_ACTION_FAILED;
		}
	}
	return c;
}

static char *fix_needed_line(const struct counts *c)
{
	if (!c->locked && !c->would_delete)
		return wr_xstrdup("fix needed — Windows is set to start in Safe Mode (run `winrescue fix`)");
	if (!c->locked)
		return wr_xasprintf("fix needed — %zu %s would be deleted (run `winrescue fix`)",
			c->would_delete, plural(c->would_delete, "file", "files"));
	if (!c->would_delete)
		return wr_xasprintf("fix needed — %zu BitLocker %s locked: its recovery key is needed",
			c->locked, plural(c->locked, "volume", "volumes"));
	return wr_xasprintf("fix needed — %zu %s would be deleted, %zu BitLocker %s locked "
		"(run `winrescue fix` with the recovery key)", c->would_delete,
		plural(c->would_delete, "file", "files"), c->locked, plural(c->locked, "volume", "volumes"));
}

static char *result_line(const struct wr_report *rep)
{
	struct counts c = count_outcomes(rep);
	switch (rep->result) {
	case WR_RESULT_NOTHING_TO_FIX:
		return wr_xstrdup("nothing to fix — no Channel File 291 file found");
	case WR_RESULT_NO_WINDOWS:
		return wr_xstrdup("Windows not found on this machine — nothing was checked or "
			"changed (see the storage notes)");
	case WR_RESULT_FIX_NEEDED:
		return fix_needed_line(&c);
	case WR_RESULT_FIXED:
		if (!c.deleted)
			return wr_xstrdup("fixed — the boot configuration was changed (see above)");
		return wr_xasprintf("fixed — %zu %s deleted; Windows can be started again",
			c.deleted, plural(c.deleted, "file", "files"));
	case WR_RESULT_REFUSED:
		return wr_xasprintf("refused for safety — %zu %s left unchanged (see above)",
			c.refused, plural(c.refused, "volume", "volumes"));
	case WR_RESULT_ERROR:
		if (c.failed)
			return wr_xasprintf("error — %zu %s could not be deleted (see above)",
				c.failed, plural(c.failed, "file", "files"));
		return wr_xstrdup("error — see the messages above");
	case WR_RESULT_USAGE:
		break;
	}
	return wr_xstrdup("usage error");
}

/* The terminal's width; a serial console (which reports 0) and anything that is
 * not a terminal get 80 columns. Verbose output to a file or pipe is not limited:
 * it is read later, in an editor, and wrapping would only get in the way. */
static size_t output_width(FILE *out, bool verbose)
{
	int fd = fileno(out), cols = getenv("COLUMNS") ? atoi(getenv("COLUMNS")) : 0;
	struct winsize ws;
	if (cols > 0 && !verbose)      /* as util-linux's tables: COLUMNS wins */
		return (size_t)cols;
	if (fd >= 0 && isatty(fd)) {
		if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
			return ws.ws_col;
		return SERIAL_CONSOLE_WIDTH;
	}
	return verbose ? 0 : SERIAL_CONSOLE_WIDTH;
}

int wr_report_print_details(const struct wr_report *rep, FILE *out, bool verbose)
{
	size_t width = output_width(out, verbose);
	struct table_layout volumes = { volume_columns, NELEMS(volume_columns), volume_cell, verbose, width };
	struct table_layout files = { file_columns, NELEMS(file_columns), file_cell, verbose, width };
	int rc = rep->nvolumes ? print_table(out, &volumes, rep->volumes, rep->nvolumes,
					     sizeof(rep->volumes[0])) : 0;
	if (!rep->nvolumes)
		fputs("No volume found.\n", out);
	for (size_t i = 0; !rc && i < rep->nvolumes; i++)
		if (volume_has_notes(&rep->volumes[i], verbose))
			rc = print_volume_details(out, &rep->volumes[i], &files);
	if (rc)
		return rc < 0 ? rc : -EIO;
	if (verbose || rep->result == WR_RESULT_NO_WINDOWS || wr_storage_degraded(rep->storage))
		wr_storage_print(out, rep->storage, width ? width : SERIAL_CONSOLE_WIDTH);
	wr_boot_print_notes(out, rep, verbose, width ? width : SERIAL_CONSOLE_WIDTH);
	return 0;
}

int wr_report_print_table(const struct wr_report *rep, FILE *out, bool verbose)
{
	int rc = wr_report_print_details(rep, out, verbose);
	if (rc)
		return rc;
	size_t width = output_width(out, verbose);
	char *result = result_line(rep);
	fputc('\n', out);
	char *line = wr_xasprintf("Result: %s", result);
	wr_print_wrapped(out, line, 0, width ? width : SERIAL_CONSOLE_WIDTH);
	free(line);
	free(result);
	if (fflush(out) != 0 || ferror(out))
		return -EIO;
	return 0;
}
