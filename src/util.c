#include "winrescue/util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "winrescue/mapping.h"

static void *check_alloc(void *p)
{
	if (!p) {
		fputs("winrescue: out of memory\n", stderr);
		abort();
	}
	return p;
}

void *wr_xmalloc(size_t n) { return check_alloc(malloc(n ? n : 1)); }
void *wr_xcalloc(size_t n, size_t size) { return check_alloc(calloc(n ? n : 1, size ? size : 1)); }
void *wr_xrealloc(void *p, size_t n) { return check_alloc(realloc(p, n ? n : 1)); }
char *wr_xstrdup(const char *s) { return s ? check_alloc(strdup(s)) : NULL; }

static char *vasprintf_checked(const char *fmt, va_list ap)
{
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		check_alloc(NULL);
	return s;
}

char *wr_xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = vasprintf_checked(fmt, ap);
	va_end(ap);
	return s;
}

void wr_set_message(char **dst, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = vasprintf_checked(fmt, ap);
	va_end(ap);
	free(*dst);
	*dst = s;
}

/* Capacity is implied by the count: the next power of two, so 10,000 files cost
 * 14 reallocations, not 10,000. */
void *wr_array_grow(void *items_ptr, size_t *count, size_t size)
{
	char **items = items_ptr;
	if ((*count & (*count - 1)) == 0)   /* 0, or a power of two: the array is full */
		*items = wr_xrealloc(*items, (*count ? *count * 2 : 1) * size);
	char *slot = *items + *count * size;
	memset(slot, 0, size);
	(*count)++;
	return slot;
}

void wr_wipe(void *p, size_t n)
{
	if (p)
		explicit_bzero(p, n);
}

/* Seconds between 1601-01-01 and 1970-01-01. */
#define NTFS_EPOCH_DELTA 11644473600LL

int64_t wr_ntfs_time_to_unix(int64_t ntfs_time)
{
	int64_t secs = ntfs_time / 10000000LL;
	if (ntfs_time % 10000000LL < 0)
		secs--;
	return secs - NTFS_EPOCH_DELTA;
}

void wr_format_utc(int64_t unix_time, char out[32])
{
	time_t t = (time_t)unix_time;
	struct tm tm;
	if (!gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, 32, "@%lld", (long long)unix_time);
}

static int fsync_dir_of(const char *path)
{
	char *copy = wr_xstrdup(path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return -errno;
	int rc = fsync(fd) < 0 ? -errno : 0;
	close(fd);
	return rc;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int wr_write_file_atomic(const char *path, const void *buf, size_t len)
{
	/* Short, in the same folder: a name that fits there must not fail for
	 * the length of its temporary name. */
	char *copy = wr_xstrdup(path);
	char *tmp = wr_xasprintf("%s/.winrescue.tmp.%ld", dirname(copy), (long)getpid());
	free(copy);
	int rc = 0;
	/* A signal waits until the file is whole or gone (mapping.h): an interrupted
	 * write leaves no temporary file behind. */
	sigset_t old;
	wr_signals_hold(&old);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	rc = write_all(fd, buf, len);
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path) < 0)
		rc = -errno;
	if (rc)
		unlink(tmp);
	else
		rc = fsync_dir_of(path);
out:
	wr_signals_restore(&old);
	free(tmp);
	return rc;
}

int wr_open_regular(const char *path)
{
	return wr_open_regular_flags(path, 0);
}

int wr_open_regular_flags(const char *path, int extra)
{
	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | extra);
	if (fd < 0)
		return -errno;
	struct stat st;
	int rc = fstat(fd, &st) < 0 ? -errno : S_ISREG(st.st_mode) ? 0 : -EINVAL;
	int flags = rc ? -1 : fcntl(fd, F_GETFL);
	if (flags >= 0)
		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	if (rc) {
		close(fd);
		return rc;
	}
	return fd;
}

FILE *wr_fopen_regular(const char *path)
{
	int fd = wr_open_regular(path);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "re");
	if (fd < 0)
		errno = -fd;
	else if (!f)
		close(fd);
	return f;
}

int wr_mkdir_p(const char *path, unsigned mode)
{
	if (!*path)
		return -ENOENT;    /* as mkdir("") */
	char *copy = wr_xstrdup(path);
	int rc = 0;
	for (char *p = copy + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		if (mkdir(copy, mode) < 0 && errno != EEXIST) {
			rc = -errno;
			break;
		}
		*p = saved;
		if (!saved)
			break;
	}
	free(copy);
	return rc;
}
