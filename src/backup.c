#include "winrescue/backup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "winrescue/util.h"

/* Reads back what landed on the backup medium (USB sticks lie). Whatever else
 * sits there under that name (a FIFO, a device, a link) is never waited on,
 * read or followed: it is not this backup. */
static int file_equals(const char *path, const uint8_t *data, size_t len)
{
	int fd = wr_open_regular_flags(path, O_NOFOLLOW);
	if (fd < 0)
		return fd;
	struct stat st;
	int rc = fstat(fd, &st) < 0 ? -errno : 0;
	if (!rc && (uint64_t)st.st_size != len)
		rc = -EIO;
	uint8_t buf[65536];
	for (size_t done = 0; !rc && done < len;) {
		size_t want = len - done < sizeof(buf) ? len - done : sizeof(buf);
		ssize_t n = read(fd, buf, want);
		if (n <= 0)
			rc = n < 0 ? -errno : -EIO;
		else if (memcmp(buf, data + done, (size_t)n))
			rc = -EIO;
		else
			done += (size_t)n;
	}
	close(fd);
	return rc;
}

/* dir/name, or dir/name.N for the first N not taken by a different file. */
static char *free_name(const char *dir, const char *name, const uint8_t *data, size_t len,
		       bool *same)
{
	char *path = wr_xasprintf("%s/%s", dir, name);
	*same = false;
	struct stat st;
	/* lstat: a dangling link is a name taken too (rename would replace it). */
	for (int n = 1; lstat(path, &st) == 0; n++) {
		if (file_equals(path, data, len) == 0) {
			*same = true;
			break;
		}
		free(path);
		path = wr_xasprintf("%s/%s.%d", dir, name, n);
	}
	return path;
}

int wr_backup_save(const char *dir, const char *name, const uint8_t *data, size_t len,
		   char **path)
{
	int rc = wr_mkdir_p(dir, 0755);
	if (rc)
		return rc;
	bool same;
	char *target = free_name(dir, name, data, len, &same);
	if (!same)
		rc = wr_write_file_atomic(target, data, len);
	if (!rc)
		rc = file_equals(target, data, len);
	if (rc) {
		free(target);
		return rc;
	}
	*path = target;
	return 0;
}
