/* Registry hives through libhivex. libhivex opens files by name only, so the
 * bytes go into an anonymous memory file (memfd) opened through /proc, or, where
 * /proc is missing, a temporary file that is unlinked at once. */
#include "winrescue/hive.h"

#include <errno.h>
#include <fcntl.h>
#include <hivex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "winrescue/util.h"

struct wr_hive {
	hive_h *h;
	int fd;                /* the file libhivex reads and commits to */
	char *path;            /* its name; NULL once unlinked or for a memfd */
	char name[64];         /* the name libhivex was given */
};

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void wr_hive_read_header(const uint8_t *data, size_t len, struct wr_hive_header *hdr)
{
	memset(hdr, 0, sizeof(*hdr));
	if (len < 4096 || memcmp(data, "regf", 4))
		return;
	hdr->valid = true;
	hdr->seq1 = le32(data + 4);
	hdr->seq2 = le32(data + 8);
}

static int write_all(int fd, const uint8_t *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -(n < 0 ? errno : EIO);
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A file only this process can reach, and a name libhivex can open it by. */
static int backing_file(struct wr_hive *hv)
{
	hv->fd = memfd_create("winrescue-hive", MFD_CLOEXEC);
	if (hv->fd >= 0) {
		snprintf(hv->name, sizeof(hv->name), "/proc/self/fd/%d", hv->fd);
		if (access(hv->name, F_OK) == 0)
			return 0;
		close(hv->fd);
	}
	const char *tmp = getenv("TMPDIR");
	char *path = wr_xasprintf("%s/winrescue-hive-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	hv->fd = mkostemp(path, O_CLOEXEC);
	if (hv->fd < 0) {
		int e = errno;
		free(path);
		return -e;
	}
	if (strlen(path) >= sizeof(hv->name)) {
		unlink(path);
		free(path);
		close(hv->fd);
		return -ENAMETOOLONG;
	}
	strcpy(hv->name, path);
	hv->path = path;
	return 0;
}

static void drop_backing(struct wr_hive *hv)
{
	if (hv->path) {
		unlink(hv->path);
		free(hv->path);
		hv->path = NULL;
	}
}

int wr_hive_open(const uint8_t *data, size_t len, bool writable, struct wr_hive **out,
		 char **err)
{
	*out = NULL;
	struct wr_hive *hv = wr_xcalloc(1, sizeof(*hv));
	int rc = backing_file(hv);
	if (rc == 0)
		rc = write_all(hv->fd, data, len);
	if (rc) {
		*err = wr_xasprintf("cannot hold the hive in memory: %s", strerror(-rc));
		if (hv->fd >= 0)
			close(hv->fd);
		drop_backing(hv);
		free(hv);
		return rc;
	}
	hv->h = hivex_open(hv->name, writable ? HIVEX_OPEN_WRITE : 0);
	if (!hv->h) {
		int e = errno ? errno : EINVAL;
		*err = wr_xasprintf("not a readable registry hive (%s)", strerror(e));
		wr_hive_close(hv);
		return -EINVAL;
	}
	/* A temporary file on disk is only needed again to commit to: keep it then. */
	if (!writable)
		drop_backing(hv);
	*out = hv;
	return 0;
}

void wr_hive_close(struct wr_hive *hv)
{
	if (!hv)
		return;
	if (hv->h)
		hivex_close(hv->h);
	drop_backing(hv);
	close(hv->fd);
	free(hv);
}

size_t wr_hive_root(struct wr_hive *hv)
{
	return hivex_root(hv->h);
}

size_t wr_hive_key(struct wr_hive *hv, size_t from, const char *path)
{
	size_t node = from ? from : hivex_root(hv->h);
	char *copy = wr_xstrdup(path);
	char *save = NULL;
	for (char *part = strtok_r(copy, "\\", &save); part && node;
	     part = strtok_r(NULL, "\\", &save))
		node = hivex_node_get_child(hv->h, node, part);
	free(copy);
	return node;
}

static size_t count_handles(const size_t *handles)
{
	size_t n = 0;
	while (handles[n])
		n++;
	return n;
}

int wr_hive_children(struct wr_hive *hv, size_t key, size_t **children, size_t *count)
{
	*children = NULL;
	*count = 0;
	hive_node_h *kids = hivex_node_children(hv->h, key);
	if (!kids)
		return -(errno ? errno : EINVAL);
	size_t n = count_handles(kids);
	*children = wr_xcalloc(n + 1, sizeof(**children));
	for (size_t i = 0; i < n; i++)
		(*children)[i] = kids[i];
	*count = n;
	free(kids);
	return 0;
}

char *wr_hive_key_name(struct wr_hive *hv, size_t key)
{
	return hivex_node_name(hv->h, key);
}

int wr_hive_get_raw(struct wr_hive *hv, size_t key, const char *name, uint32_t *type,
		    uint8_t **data, size_t *len)
{
	*data = NULL;
	*len = 0;
	errno = 0;
	hive_value_h v = key ? hivex_node_get_value(hv->h, key, name) : 0;
	if (!v)
		return errno ? -errno : -ENOENT;
	hive_type t;
	size_t n = 0;
	char *bytes = hivex_value_value(hv->h, v, &t, &n);
	if (!bytes)
		return -(errno ? errno : EINVAL);
	*type = (uint32_t)t;
	*data = (uint8_t *)bytes;
	*len = n;
	return 0;
}

int wr_hive_get_dword(struct wr_hive *hv, size_t key, const char *name, uint32_t *out)
{
	uint32_t type;
	uint8_t *data;
	size_t len;
	int rc = wr_hive_get_raw(hv, key, name, &type, &data, &len);
	if (rc)
		return rc;
	if (type == hive_t_REG_DWORD && len >= 4)
		*out = le32(data);
	else
		rc = -EINVAL;
	free(data);
	return rc;
}

int wr_hive_get_string(struct wr_hive *hv, size_t key, const char *name, char **out)
{
	*out = NULL;
	errno = 0;
	hive_value_h v = key ? hivex_node_get_value(hv->h, key, name) : 0;
	if (!v)
		return errno ? -errno : -ENOENT;
	hive_type t;
	size_t n;
	if (hivex_value_type(hv->h, v, &t, &n) < 0)
		return -EINVAL;
	if (t != hive_t_REG_SZ && t != hive_t_REG_EXPAND_SZ)
		return -EINVAL;
	*out = hivex_value_string(hv->h, v);
	return *out ? 0 : -EINVAL;
}

/* libhivex replaces all values of a key at once: the kept ones are read back
 * first, so every value but the one changed keeps its name, type and bytes. */
static int rewrite_values(struct wr_hive *hv, size_t key, const char *name,
			  const hive_set_value *replacement)
{
	hive_value_h *vals = hivex_node_values(hv->h, key);
	if (!vals)
		return -(errno ? errno : EINVAL);
	size_t n = count_handles(vals);
	hive_set_value *set = wr_xcalloc(n + 1, sizeof(*set));
	size_t kept = 0;
	bool found = false;
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		char *vname = hivex_value_key(hv->h, vals[i]);
		if (!vname) {
			rc = -EINVAL;
			break;
		}
		if (!strcasecmp(vname, name)) {
			found = true;
			free(vname);
			continue;
		}
		hive_type t;
		size_t len = 0;
		char *bytes = hivex_value_value(hv->h, vals[i], &t, &len);
		if (!bytes) {
			free(vname);
			rc = -EINVAL;
			break;
		}
		set[kept++] = (hive_set_value){ .key = vname, .t = t, .len = len, .value = bytes };
	}
	size_t owned = kept;
	if (!rc && !found && !replacement)
		rc = -ENOENT;
	if (!rc && replacement)
		set[kept++] = *replacement;
	if (!rc && hivex_node_set_values(hv->h, key, kept, set, 0) < 0)
		rc = -(errno ? errno : EIO);
	for (size_t i = 0; i < owned; i++) {
		free(set[i].key);
		free(set[i].value);
	}
	free(set);
	free(vals);
	return rc;
}

int wr_hive_set_raw(struct wr_hive *hv, size_t key, const char *name, uint32_t type,
		    const uint8_t *data, size_t len)
{
	hive_set_value v = { .key = (char *)name, .t = (hive_type)type, .len = len,
			     .value = (char *)data };
	return rewrite_values(hv, key, name, &v);
}

int wr_hive_delete_value(struct wr_hive *hv, size_t key, const char *name)
{
	return rewrite_values(hv, key, name, NULL);
}

size_t wr_hive_add_key(struct wr_hive *hv, size_t parent, const char *name)
{
	size_t have = hivex_node_get_child(hv->h, parent, name);
	return have ? have : hivex_node_add_child(hv->h, parent, name);
}

int wr_hive_delete_key(struct wr_hive *hv, size_t key)
{
	return hivex_node_delete_child(hv->h, key) < 0 ? -(errno ? errno : EIO) : 0;
}

int wr_hive_bytes(struct wr_hive *hv, uint8_t **data, size_t *len)
{
	*data = NULL;
	*len = 0;
	if (hivex_commit(hv->h, hv->name, 0) < 0)
		return -(errno ? errno : EIO);
	struct stat st;
	if (fstat(hv->fd, &st) < 0)
		return -errno;
	uint8_t *buf = wr_xmalloc((size_t)st.st_size + 1);
	ssize_t n = pread(hv->fd, buf, (size_t)st.st_size, 0);
	if (n != st.st_size) {
		free(buf);
		return -EIO;
	}
	*data = buf;
	*len = (size_t)n;
	return 0;
}
