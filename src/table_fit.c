#include "table_fit.h"

#include <stdlib.h>
#include <string.h>

#include "winrescue/util.h"

#define ELLIPSIS "..."
#define MIN_SHRUNK 6

size_t wr_text_columns(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xC0) != 0x80;
	return n;
}

size_t wr_widest_line(const char *s)
{
	size_t widest = 0;
	while (*s) {
		size_t len = strcspn(s, "\n");
		size_t cols = wr_text_columns(s, len);
		if (cols > widest)
			widest = cols;
		s += len + (s[len] == '\n');
	}
	return widest;
}

/* Byte offset of the character at display column col. */
static size_t byte_at_column(const char *s, size_t col)
{
	size_t i = 0;
	for (size_t c = 0; s[i]; i++) {
		if (((unsigned char)s[i] & 0xC0) == 0x80)
			continue;
		if (c++ == col)
			return i;
	}
	return i;
}

/* s kept to cols columns: its head, "...", its tail (where names differ most). */
static char *ellipsize_middle(const char *s, size_t cols)
{
	size_t have = wr_text_columns(s, strlen(s));
	if (have <= cols || cols <= strlen(ELLIPSIS))
		return NULL;
	size_t keep = cols - strlen(ELLIPSIS), head = keep / 2, tail = keep - head;
	size_t head_end = byte_at_column(s, head), tail_start = byte_at_column(s, have - tail);
	return wr_xasprintf("%.*s" ELLIPSIS "%s", (int)head_end, s, s + tail_start);
}

static size_t column_width(char **cells, size_t nrows, size_t ncols, size_t c, const char *header)
{
	size_t w = strlen(header);
	for (size_t r = 0; r < nrows; r++) {
		size_t cw = wr_widest_line(cells[r * ncols + c]);
		w = cw > w ? cw : w;
	}
	return w;
}

static void shorten_column(char **cells, size_t nrows, size_t ncols, size_t c, size_t width)
{
	for (size_t row = 0; row < nrows; row++) {
		char **cell = &cells[row * ncols + c];
		char *shorter = ellipsize_middle(*cell, width);
		if (shorter) {
			free(*cell);
			*cell = shorter;
		}
	}
}

void wr_table_fit(char **cells, size_t nrows, size_t ncols, const char *const *headers,
		  const int *shrink_to, size_t width)
{
	size_t *w = wr_xcalloc(ncols ? ncols : 1, sizeof(*w));
	size_t total = ncols ? ncols - 1 : 0;
	for (size_t c = 0; c < ncols; c++)
		total += w[c] = column_width(cells, nrows, ncols, c, headers[c]);
	/* First down to each column's own floor, right to left; then further. */
	for (int pass = 0; pass < 2 && total > width; pass++) {
		for (size_t c = ncols; c-- > 0 && total > width;) {
			if (shrink_to[c] <= 0)
				continue;
			size_t floor = pass ? MIN_SHRUNK : (size_t)shrink_to[c];
			if (floor < strlen(headers[c]))
				floor = strlen(headers[c]);
			if (w[c] <= floor)
				continue;
			size_t cut = total - width < w[c] - floor ? total - width : w[c] - floor;
			w[c] -= cut;
			total -= cut;
			shorten_column(cells, nrows, ncols, c, w[c]);
		}
	}
	free(w);
}
