/* The lines a person reads about starting Windows: Safe Mode leftovers in the
 * boot stores and what was done with them, and the SYSTEM hive's warnings. */
#include "winrescue/report_boot.h"

#include <stdlib.h>

#include "report_internal.h"
#include "winrescue/util.h"

static const char *safeboot_words(int64_t v)
{
	static const char *const modes[] = { "minimal", "network", "dsrepair" };
	return v >= 0 && v <= 2 ? modes[v] : "other";
}

static const char *action_words(const struct wr_boot_store *bs)
{
	switch (bs->action) {
	case WR_BOOT_WOULD_CLEAR: return "fix removes it";
	case WR_BOOT_CLEARED: return "removed";
	case WR_BOOT_KEPT: return "left as asked (--keep-safeboot)";
	case WR_BOOT_SAFE_MODE_SET: return "set by winrescue safe-mode";
	case WR_BOOT_RESTORED: return "removed by safe-mode --undo";
	case WR_BOOT_FAILED: return "could not be changed";
	case WR_BOOT_NONE: break;
	}
	return NULL;
}

static void add_line(char ***lines, size_t *n, char *line)
{
	*(char **)wr_array_grow(lines, n, sizeof(char *)) = line;
}

static void store_lines(const struct wr_boot_store *bs, char ***lines, size_t *n)
{
	const char *what = action_words(bs);
	for (size_t i = 0; what && i < bs->nentries; i++) {
		const struct wr_boot_entry *e = &bs->entries[i];
		if (bs->action != WR_BOOT_SAFE_MODE_SET && e->safeboot < 0 && e->alternate_shell < 0)
			continue;
		if (bs->action == WR_BOOT_SAFE_MODE_SET && !e->is_default)
			continue;
		add_line(lines, n, wr_xasprintf("Boot configuration %s (%s): Safe Mode (%s) on "
			"\"%s\"%s: %s", bs->path, bs->device,
			bs->action == WR_BOOT_SAFE_MODE_SET ? "minimal" : safeboot_words(e->safeboot),
			e->description ? e->description : e->id, e->is_default ? " (default)" : "",
			what));
	}
	if (bs->backup)
		add_line(lines, n, wr_xasprintf("Boot configuration backup: %s", bs->backup));
	if (bs->error)
		add_line(lines, n, wr_xasprintf("Boot configuration %s (%s): %s", bs->path,
			bs->device, bs->error));
}

static char **boot_notes(const struct wr_report *rep, bool verbose, size_t *count)
{
	char **lines = NULL;
	*count = 0;
	for (size_t i = 0; i < rep->nboot_stores; i++)
		store_lines(&rep->boot_stores[i], &lines, count);
	for (size_t i = 0; i < rep->nvolumes; i++) {
		const struct wr_windows_info *wi = rep->volumes[i].windows_info;
		if (wi && wi->warning)
			add_line(&lines, count, wr_xasprintf("Warning: %s", wi->warning));
		if (wi && verbose && wi->computer_name)
			add_line(&lines, count, wr_xasprintf("Computer name (%s): %s",
				rep->volumes[i].device, wi->computer_name));
	}
	return lines;
}

void wr_boot_print_notes(FILE *out, const struct wr_report *rep, bool verbose, size_t width)
{
	size_t n;
	char **notes = boot_notes(rep, verbose, &n);
	for (size_t i = 0; i < n; i++) {
		wr_print_wrapped(out, notes[i], 0, width);
		free(notes[i]);
	}
	free(notes);
}
