/* The full-screen result the unattended stick leaves on the console, readable
 * from across the room: the result in large inverse letters, what to do next,
 * the machine's identity, and a QR code (libqrencode) of the report's one-line
 * summary for the ticket. Fits an 80x25 screen. */
#include "winrescue/summary.h"

#include <qrencode.h>
#include <stdlib.h>
#include <string.h>

#include "winrescue/util.h"

#define SCREEN_WIDTH 80
#define SCREEN_ROWS 24         /* of 25: the last is init's "press Enter" line */
#define QUIET 2                /* light modules around the code (phones read 2 fine) */

static const struct outcome {
	const char *result, *title, *next;
	int colour;            /* ANSI background: 2 green, 3 yellow, 1 red */
} outcomes[] = {
	{ "fixed", "FIXED", "Remove the stick and restart: Windows should start.", 2 },
	{ "nothing_to_fix", "NOTHING TO FIX", "No faulty channel file: the boot problem is something else.", 2 },
	{ "fix_needed", "NOT FIXED", "A fix is needed but was not made (missing key, dry run).", 3 },
	{ "no_windows", "WINDOWS NOT FOUND", "No Windows volume was seen: check the disks and the storage mode.", 3 },
	{ "refused", "REFUSED", "A safety rule stopped the fix: nothing was changed.", 1 },
	{ "error", "ERROR", "Something could not be read or done: see the report and log.", 1 },
	{ "usage_error", "SETTINGS ERROR", "The settings were wrong (auto.conf): nothing was done.", 1 },
};

static const struct outcome *outcome_of(const char *result)
{
	for (size_t i = 0; i < sizeof(outcomes) / sizeof(*outcomes); i++)
		if (result && !strcmp(result, outcomes[i].result))
			return &outcomes[i];
	return &outcomes[sizeof(outcomes) / sizeof(*outcomes) - 2];
}

static const char *or_dash(const char *s) { return s && *s ? s : "-"; }

char *wr_fleet_report_line(const struct wr_fleet_report *r)
{
	return wr_xasprintf("winrescue;%s;%s;%s;%s;%lu;%lu;%s", or_dash(r->result),
			    or_dash(r->computer_name), or_dash(r->serial), or_dash(r->uuid),
			    r->files_found, r->files_deleted, or_dash(r->time));
}

/* Word-wraps text into lines of at most width characters, appended to lines[]. */
static void wrap(char **lines, size_t *n, size_t max, const char *text, size_t width)
{
	while (*text && *n < max) {
		size_t len = strlen(text), cut = len;
		if (len > width) {
			cut = width;
			while (cut > 0 && text[cut] != ' ')
				cut--;
			if (!cut)
				cut = width;
		}
		lines[(*n)++] = wr_xasprintf("%.*s", (int)cut, text);
		text += cut;
		while (*text == ' ')
			text++;
	}
}

/* One text row of the code: two module rows drawn with half blocks, light
 * modules lit (the console is light on dark, a QR code dark on light). */
static char *qr_row(const QRcode *qr, int y)
{
	char *row = wr_xstrdup("");
	for (int x = -QUIET; x < qr->width + QUIET; x++) {
		bool light[2];
		for (int k = 0; k < 2; k++) {
			int yy = y + k;
			light[k] = x < 0 || x >= qr->width || yy < 0 || yy >= qr->width ||
				   !(qr->data[yy * qr->width + x] & 1);
		}
		const char *cell = light[0] && light[1] ? "\u2588" : light[0] ? "\u2580"
				 : light[1] ? "\u2584" : " ";
		char *next = wr_xasprintf("%s%s", row, cell);
		free(row);
		row = next;
	}
	return row;
}

int wr_fleet_print_screen(const struct wr_fleet_report *r, const char *note, FILE *out,
			  bool with_qr)
{
	const struct outcome *o = outcome_of(r->result);
	char *summary = wr_fleet_report_line(r);
	QRcode *qr = with_qr ? QRcode_encodeString8bit(summary, 0, QR_ECLEVEL_L) : NULL;
	char *text[SCREEN_ROWS];
	size_t n = 0, max = sizeof(text) / sizeof(*text);
	/* Text on the left, the code on the right: "  text code". */
	size_t qr_cols = qr ? (size_t)qr->width + 2 * QUIET : 0;
	size_t width = qr ? SCREEN_WIDTH - 4 - qr_cols : SCREEN_WIDTH - 3;
	char *counts = wr_xasprintf("Channel File 291: %lu found, %lu deleted.", r->files_found,
				    r->files_deleted);
	char *machine = wr_xasprintf("Computer %s, serial %s", or_dash(r->computer_name),
				     or_dash(r->serial));
	char *uuid = wr_xasprintf("UUID %s  ", or_dash(r->uuid));
	char *when = wr_xasprintf("Time %s (UTC)", or_dash(r->time));
	const char *paragraphs[] = { o->next, "", counts, r->message ? r->message : "", "",
		machine, when, "", note ? note : "" };
	for (size_t i = 0; i < sizeof(paragraphs) / sizeof(*paragraphs); i++) {
		if (!paragraphs[i][0] && n < max)
			text[n++] = wr_xstrdup("");
		wrap(text, &n, max, paragraphs[i], width);
	}
	/* Clear the screen; the title as a coloured bar across it, the UUID at its end
	 * (too long for the column beside the code). */
	fprintf(out, "\033[H\033[2J\033[1;97;4%dm  %-*s%s\033[0m\n", o->colour,
		(int)(SCREEN_WIDTH - 3 - strlen(uuid)), o->title, uuid);
	size_t qr_rows = (qr_cols + 1) / 2, rows = 1;
	for (size_t i = 0; i < n || i < qr_rows; i++, rows++) {
		const char *t = i < n ? text[i] : "";
		if (i < qr_rows) {
			char *row = qr_row(qr, (int)(2 * i) - QUIET);
			fprintf(out, "  %-*s %s\n", (int)width, t, row);
			free(row);
		} else {
			fprintf(out, "  %s\n", t);
		}
	}
	/* The line itself, for a serial console's copy and paste, where it fits. */
	if (rows + (strlen(summary) + SCREEN_WIDTH - 1) / SCREEN_WIDTH <= SCREEN_ROWS)
		fprintf(out, "%s\n", summary);
	for (size_t i = 0; i < n; i++)
		free(text[i]);
	free(counts);
	free(machine);
	free(uuid);
	free(when);
	QRcode_free(qr);
	free(summary);
	return ferror(out) ? -1 : 0;
}
