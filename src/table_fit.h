/* Fitting a table's text into a screen width: display columns of UTF-8 text, and
 * long cells shortened in the middle ("C-00000291...000032.sys") so that every row
 * of a table stays on one line (the full values are in the JSON report). */
#ifndef WINRESCUE_TABLE_FIT_H
#define WINRESCUE_TABLE_FIT_H

#include <stddef.h>

/* Display columns of the first len bytes of a UTF-8 string. */
size_t wr_text_columns(const char *s, size_t len);
/* Display columns of the widest line of s. */
size_t wr_widest_line(const char *s);
/* cells: nrows x ncols malloc'ed strings (row-major), replaced where shortened.
 * Columns with shrink_to > 0 give way, right to left, first down to shrink_to
 * columns, then to 6 (never below their header), until the table, one space
 * between columns, fits width. */
void wr_table_fit(char **cells, size_t nrows, size_t ncols, const char *const *headers,
		  const int *shrink_to, size_t width);

#endif
