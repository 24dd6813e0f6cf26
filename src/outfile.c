#include "winrescue/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "winrescue/util.h"

/* A short temporary name in dir: it must fit wherever the final name fits. */
static char *probe_name(const char *dir)
{
	return wr_xasprintf("%s/.winrescue.tmp.%ld", dir, (long)getpid());
}

/* Creates and removes a file in dir: the one test that read-only mounts,
 * full inode tables and permissions (root ignores modes) all answer. */
static int can_create_in(const char *dir)
{
	char *tmp = probe_name(dir);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int rc = fd < 0 ? -errno : 0;
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	free(tmp);
	return rc;
}

static int dir_of_can_create(const char *path)
{
	char *copy = wr_xstrdup(path);
	int rc = can_create_in(dirname(copy));
	free(copy);
	return rc;
}

/* Character devices and FIFOs are written through: no rename over them. A
 * FIFO that nobody reads is an error, not a wait. */
static int write_through(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int flags = fcntl(fd, F_GETFL);
	if (flags >= 0)
		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	const char *p = buf;
	int rc = 0;
	while (len && !rc) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno != EINTR)
			rc = -errno;
		else if (n > 0) {
			p += n;
			len -= (size_t)n;
		}
	}
	if (close(fd) < 0 && !rc && errno != EINTR)
		rc = -errno;
	return rc;
}

enum out_kind { OUT_NEW, OUT_FILE, OUT_THROUGH };

/* What path is once links are followed; *real is the file to replace. */
static int classify(const char *path, enum out_kind *kind, char **real)
{
	struct stat lst, st;
	*real = NULL;
	if (lstat(path, &lst) < 0) {
		if (errno != ENOENT)
			return -errno;
		*kind = OUT_NEW;
		*real = wr_xstrdup(path);
		return 0;
	}
	if (stat(path, &st) < 0)
		return errno == ENOENT ? -ENOLINK : -errno;   /* a link to nothing */
	if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)) {
		*kind = OUT_THROUGH;
		*real = wr_xstrdup(path);
		return 0;
	}
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode))
		return -ENOTSUP;
	*kind = OUT_FILE;
	if (!S_ISLNK(lst.st_mode)) {
		*real = wr_xstrdup(path);
		return 0;
	}
	char resolved[PATH_MAX];
	if (!realpath(path, resolved))
		return -errno;
	*real = wr_xstrdup(resolved);
	return 0;
}

int wr_output_write(const char *path, const void *buf, size_t len)
{
	enum out_kind kind;
	char *real;
	int rc = classify(path, &kind, &real);
	if (!rc)
		rc = kind == OUT_THROUGH ? write_through(real, buf, len)
					 : wr_write_file_atomic(real, buf, len);
	free(real);
	return rc;
}

int wr_output_check(const char *path)
{
	enum out_kind kind;
	char *real;
	int rc = classify(path, &kind, &real);
	if (!rc && kind != OUT_THROUGH)
		rc = dir_of_can_create(real);
	free(real);
	return rc;
}

int wr_output_check_dir(const char *dir)
{
	char *copy = wr_xstrdup(dir);
	struct stat st;
	int rc;
	/* Up to the nearest part of the path that exists: it must be a folder. */
	while ((rc = stat(copy, &st) < 0 ? -errno : 0) == -ENOENT &&
	       strcmp(copy, "/") && strcmp(copy, ".")) {
		char *parent = wr_xstrdup(dirname(copy));
		free(copy);
		copy = parent;
	}
	if (!rc)
		rc = S_ISDIR(st.st_mode) ? can_create_in(copy) : -ENOTDIR;
	free(copy);
	return rc;
}

const char *wr_output_error(int rc)
{
	switch (rc) {
	case -ENOTSUP:
		return "not a regular file, a character device or a FIFO (winrescue never "
		       "replaces a device node or a link)";
	case -ENOLINK:
		return "a symbolic link to nothing";
	case -ENXIO:
		return "a FIFO that no program is reading";
	default:
		return strerror(-rc);
	}
}
