/* Keys files that may be sealed: read whole, unsealed with the passphrase when
 * they carry the sealed magic (sealed.h), then parsed as any key export. */
#include "winrescue/sealed.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "winrescue/keys_file.h"
#include "winrescue/util.h"

#define MAX_SEALED_FILE (256u << 20)

bool wr_keys_file_is_sealed(const char *path)
{
	char magic[8];
	FILE *f = wr_fopen_regular(path);   /* a FIFO is not read (and not waited for) */
	bool sealed = f && fread(magic, 1, sizeof(magic), f) == sizeof(magic) &&
		      wr_sealed_detect(magic, sizeof(magic));
	if (f)
		fclose(f);
	return sealed;
}

static int read_whole(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = wr_fopen_regular(path);
	struct stat st;
	if (!f)
		return -errno;
	int rc = fstat(fileno(f), &st) < 0 ? -errno : !S_ISREG(st.st_mode) ? -EINVAL
		: (uint64_t)st.st_size > MAX_SEALED_FILE ? -EFBIG : 0;
	if (rc) {
		fclose(f);
		return rc;
	}
	*buf = wr_xmalloc((size_t)st.st_size + 1);
	*len = fread(*buf, 1, (size_t)st.st_size, f);
	rc = ferror(f) ? -EIO : 0;
	fclose(f);
	return rc;
}

static int load_sealed(const char *path, const char *passphrase, struct wr_keys_file **out,
		       char **errmsg)
{
	if (!passphrase) {
		wr_set_message(errmsg, "keys file %s is sealed: give its passphrase", path);
		return -ENOKEY;
	}
	uint8_t *buf = NULL, *plain = NULL;
	size_t len = 0, plain_len = 0;
	int rc = read_whole(path, &buf, &len);
	char *msg = NULL;
	if (rc)
		wr_set_message(errmsg, "cannot read keys file %s: %s", path, strerror(-rc));
	else if ((rc = wr_unseal(buf, len, passphrase, &plain, &plain_len, &msg)))
		wr_set_message(errmsg, "%s: %s", path, msg);
	free(buf);
	free(msg);
	msg = NULL;
	if (!rc && (rc = wr_keys_file_parse((const char *)plain, plain_len, out, &msg)))
		wr_set_message(errmsg, "keys file %s (sealed): %s", path, msg);
	free(msg);
	if (plain)
		wr_wipe(plain, plain_len);
	free(plain);
	return rc;
}

int wr_keys_file_load_any(const char *path, const char *passphrase, struct wr_keys_file **out,
			  bool *sealed, char **errmsg)
{
	*out = NULL;
	*sealed = wr_keys_file_is_sealed(path);
	return *sealed ? load_sealed(path, passphrase, out, errmsg)
		       : wr_keys_file_load(path, out, errmsg);
}
