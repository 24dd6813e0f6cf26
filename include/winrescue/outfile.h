/* Where winrescue writes what it produces (the report, backups): a regular
 * file is replaced atomically, a symbolic link to one has its target replaced
 * (the link stays), a character device or FIFO (/dev/null, /dev/stdout, a pipe)
 * is written through and never replaced. Anything else is refused. */
#ifndef WINRESCUE_OUTFILE_H
#define WINRESCUE_OUTFILE_H

#include <stddef.h>

/* Writes buf to path as above. Returns 0 or -errno (-EISDIR, -ENOTSUP for a
 * kind of file that is refused, -ENXIO for a FIFO nobody reads). */
int wr_output_write(const char *path, const void *buf, size_t len);

/* Before anything is changed: can path be written as wr_output_write would?
 * A file that does not exist yet needs an existing folder that takes a new
 * file. Returns 0 or -errno; nothing is left behind. */
int wr_output_check(const char *path);

/* Can files be created in dir (made with its parents if missing)? Checks the
 * nearest folder that exists, without creating anything. 0 or -errno. */
int wr_output_check_dir(const char *dir);

/* What a -errno from these means, for a message after "cannot write X: ". */
const char *wr_output_error(int rc);

#endif
