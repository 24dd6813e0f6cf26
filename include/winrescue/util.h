/* Small helpers shared by every module. */
#ifndef WINRESCUE_UTIL_H
#define WINRESCUE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

/* Allocation that cannot fail quietly: out of memory aborts with a message,
 * since no step of a rescue can go on without memory. */
void *wr_xmalloc(size_t n);
void *wr_xcalloc(size_t n, size_t size);
void *wr_xrealloc(void *p, size_t n);
char *wr_xstrdup(const char *s);
char *wr_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Grows *items (of *count elements of size) by one zeroed element; returns it. */
void *wr_array_grow(void *items_ptr, size_t *count, size_t size);
/* Replaces *dst with a formatted string (freeing the old one). */
void wr_set_message(char **dst, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Clears memory that held key material in a way the compiler keeps. */
void wr_wipe(void *p, size_t n);

/* NTFS time (100 ns since 1601) to Unix seconds, and to "2024-07-19T04:09:00Z". */
int64_t wr_ntfs_time_to_unix(int64_t ntfs_time);
void wr_format_utc(int64_t unix_time, char out[32]);

/* Writes a file so a power cut leaves either the old file or the whole new one:
 * temporary name, fsync, rename, fsync of the folder. Returns 0 or -errno. */
int wr_write_file_atomic(const char *path, const void *buf, size_t len);
/* Opens a regular file for reading, never waiting (a FIFO, a device or a
 * folder gives -EINVAL: "not a regular file"). Returns the fd or -errno. */
int wr_open_regular(const char *path);
/* The same, with extra open flags (O_NOFOLLOW: a link is -ELOOP, not followed). */
int wr_open_regular_flags(const char *path, int flags);
/* The same as a stdio stream; NULL with errno set. */
FILE *wr_fopen_regular(const char *path);
/* mkdir -p; returns 0 or -errno. */
int wr_mkdir_p(const char *path, unsigned mode);

#endif
