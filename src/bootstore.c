#include "winrescue/bootstore.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "winrescue/backup.h"
#include "winrescue/bcd.h"
#include "winrescue/log.h"
#include "winrescue/ntfsvol.h"
#include "winrescue/inuse.h"
#include "winrescue/probe.h"
#include "winrescue/util.h"

#define ESP_BCD "::/EFI/Microsoft/Boot/BCD"
#define ESP_BCD_WINDOWS "\\EFI\\Microsoft\\Boot\\BCD"
#define BIOS_BCD "\\Boot\\BCD"
#define WR_MAX_BCD (64u << 20)

static bool is_fat(const struct wr_volume *v)
{
	return v->fs_type && !strcmp(v->fs_type, "vfat");
}

static bool is_plain_ntfs(const struct wr_volume *v)
{
	return v->fs_type && !strcmp(v->fs_type, "ntfs") && v->status != WR_VOL_ERROR;
}

/* ---- FAT through mtools ------------------------------------------------- */

/* mtools' name for the partition: its node, or the image with the offset. */
static char *mtools_drive(const struct wr_volume *v)
{
	if (v->partition_dev)
		return wr_xstrdup(v->partition_dev);
	return wr_xasprintf("%s@@%llu", v->device, (unsigned long long)v->offset);
}

/* Runs an mtools command without a shell; its output (at most cap bytes) in out. */
static int run_mtools(char *const argv[], char *out, size_t cap)
{
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return -e;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, STDIN_FILENO);
		dup2(pipefd[1], STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		setenv("MTOOLS_SKIP_CHECK", "1", 1);
		setenv("MTOOLS_LOWER_CASE", "0", 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pipefd[1]);
	size_t used = 0;
	ssize_t n;
	char sink[256];
	while ((n = read(pipefd[0], used + 1 < cap ? out + used : sink,
			 used + 1 < cap ? cap - used - 1 : sizeof(sink))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (used + 1 < cap)
			used += (size_t)n;
	}
	if (cap)
		out[used] = '\0';
	close(pipefd[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return -ENOEXEC;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/* A private folder for the file mtools copies out or in. */
static char *scratch_file(char **dir)
{
	const char *tmp = getenv("TMPDIR");
	*dir = wr_xasprintf("%s/winrescue-bcd-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(*dir)) {
		free(*dir);
		*dir = NULL;
		return NULL;
	}
	return wr_xasprintf("%s/BCD", *dir);
}

static void drop_scratch(char *dir, char *file)
{
	if (file)
		unlink(file);
	if (dir)
		rmdir(dir);
	free(file);
	free(dir);
}

static int read_local(const char *path, uint8_t **data, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || (uint64_t)st.st_size > WR_MAX_BCD) {
		int e = fd < 0 || errno ? errno : EFBIG;
		if (fd >= 0)
			close(fd);
		return -(e ? e : EFBIG);
	}
	*data = wr_xmalloc((size_t)st.st_size + 1);
	ssize_t n = pread(fd, *data, (size_t)st.st_size, 0);
	close(fd);
	*len = n < 0 ? 0 : (size_t)n;
	return n == st.st_size ? 0 : -EIO;
}

/* -ENOENT when the partition has no store. */
static int fat_read(const struct wr_volume *v, uint8_t **data, size_t *len)
{
	char *dir = NULL, *file = scratch_file(&dir);
	if (!file)
		return -errno;
	char *drive = mtools_drive(v);
	char attrs[512];
	char *probe[] = { "mattrib", "-i", drive, ESP_BCD, NULL };
	char *copy[] = { "mcopy", "-n", "-i", drive, ESP_BCD, file, NULL };
	int rc = run_mtools(probe, attrs, sizeof(attrs));
	char *root[] = { "mattrib", "-i", drive, "::/", NULL };
	if (rc == -EIO && run_mtools(root, NULL, 0) == 0)
		rc = -ENOENT;  /* the partition reads, it has no store */
	if (!rc)
		rc = run_mtools(copy, NULL, 0);
	if (!rc)
		rc = read_local(file, data, len);
	free(drive);
	drop_scratch(dir, file);
	return rc;
}

/* The attribute letters mattrib shows ("A  HS"), to give them back after mcopy. */
static void keep_attributes(char *drive, char *const set_args[4])
{
	char attrs[512];
	char *probe[] = { "mattrib", "-i", drive, ESP_BCD, NULL };
	if (run_mtools(probe, attrs, sizeof(attrs)))
		return;
	char *colon = strstr(attrs, "::");
	if (colon)
		*colon = '\0';
	const char *flags[] = { "+h", "+s", "+r" };
	const char letters[] = "HSR";
	for (int i = 0, n = 0; i < 3; i++)
		if (strchr(attrs, letters[i]))
			((char **)set_args)[n++] = (char *)flags[i];
}

static int fat_write(const struct wr_volume *v, const uint8_t *data, size_t len)
{
	char *dir = NULL, *file = scratch_file(&dir);
	if (!file)
		return -errno;
	char *drive = mtools_drive(v);
	char *set[4] = { NULL };
	keep_attributes(drive, set);
	int rc = wr_write_file_atomic(file, data, len);
	char *copy[] = { "mcopy", "-o", "-i", drive, file, ESP_BCD, NULL };
	if (!rc)
		rc = run_mtools(copy, NULL, 0);
	for (int i = 0; !rc && set[i]; i++) {
		char *attrib[] = { "mattrib", "-i", drive, set[i], ESP_BCD, NULL };
		rc = run_mtools(attrib, NULL, 0);
	}
	free(drive);
	drop_scratch(dir, file);
	return rc;
}

/* ---- NTFS through libntfs-3g --------------------------------------------- */

static void ntfs_range(const struct wr_volume *v, struct wr_range *r)
{
	memset(r, 0, sizeof(*r));
	r->path = v->partition_dev ? v->partition_dev : v->device;
	r->offset = v->partition_dev ? 0 : v->offset;
	r->size = v->partition_dev ? 0 : v->size;
}

static int ntfs_io(const struct wr_volume *v, bool write, uint8_t **data, size_t *len)
{
	struct wr_range r;
	ntfs_range(v, &r);
	struct wr_ntfs *nv = NULL;
	char *err = NULL;
	int rc = wr_ntfs_open(&r, write ? WR_NTFS_WRITE : 0, &nv, &err);
	free(err);
	if (rc)
		return rc;
	uint64_t mref;
	rc = wr_ntfs_lookup(nv, BIOS_BCD, &mref);
	if (!rc && write)
		rc = wr_ntfs_write_all(nv, mref, *data, *len);
	else if (!rc)
		rc = wr_ntfs_read_all(nv, mref, WR_MAX_BCD, data, len);
	int crc = wr_ntfs_close(nv);
	return rc ? (rc == -ELOOP ? -ENOENT : rc) : crc;
}

/* ---- one store ----------------------------------------------------------- */

static int store_read(const struct wr_volume *v, uint8_t **data, size_t *len)
{
	*data = NULL;
	*len = 0;
	return is_fat(v) ? fat_read(v, data, len) : ntfs_io(v, false, data, len);
}

static int store_write(const struct wr_volume *v, const uint8_t *data, size_t len)
{
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigprocmask(SIG_BLOCK, &set, &old);
	uint8_t *bytes = (uint8_t *)data;
	size_t n = len;
	int rc = is_fat(v) ? fat_write(v, data, len) : ntfs_io(v, true, &bytes, &n);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static void add_store(struct wr_report *rep, size_t i, const uint8_t *data, size_t len,
		      bool keep_safeboot)
{
	const struct wr_volume *v = &rep->volumes[i];
	struct wr_boot_store *bs = wr_report_add_boot_store(rep);
	bs->volume = i;
	bs->device = wr_xstrdup(v->partition_dev ? v->partition_dev : v->device);
	bs->partition = v->partition;
	bs->offset = v->offset;
	bs->filesystem = wr_xstrdup(v->fs_type);
	bs->path = wr_xstrdup(is_fat(v) ? ESP_BCD_WINDOWS : BIOS_BCD);
	if (wr_bcd_read(data, len, bs, &bs->error)) {
		bs->action = WR_BOOT_FAILED;
		return;
	}
	for (size_t e = 0; e < bs->nentries; e++)
		if (wr_bcd_entry_has_safeboot(&bs->entries[e]))
			bs->action = keep_safeboot ? WR_BOOT_KEPT : WR_BOOT_WOULD_CLEAR;
}

void wr_bootstores_scan(struct wr_report *rep, bool keep_safeboot)
{
	size_t n = rep->nvolumes;
	for (size_t i = 0; i < n; i++) {
		const struct wr_volume *v = &rep->volumes[i];
		if (!is_fat(v) && !is_plain_ntfs(v))
			continue;
		uint8_t *data = NULL;
		size_t len = 0;
		int rc = store_read(v, &data, &len);
		if (rc == -ENOEXEC)
			wr_log(WR_LOG_WARN, "mtools is not installed: the EFI partition's boot "
				"configuration cannot be read");
		else if (rc && rc != -ENOENT)
			wr_log(WR_LOG_WARN, "%s partition %d: the boot configuration cannot be "
				"looked for (%s)", v->device, v->partition, strerror(-rc));
		if (!rc)
			add_store(rep, i, data, len, keep_safeboot);
		free(data);
	}
}

bool wr_bootstores_want_fix(const struct wr_report *rep)
{
	for (size_t i = 0; i < rep->nboot_stores; i++)
		if (rep->boot_stores[i].action == WR_BOOT_WOULD_CLEAR)
			return true;
	return false;
}

/* Backup, write, read back and compare; on a mismatch the original goes back. */
static int replace_store(struct wr_boot_store *bs, const struct wr_volume *v,
			 const uint8_t *old, size_t old_len, const uint8_t *new, size_t new_len,
			 const char *backup_root)
{
	if (backup_root) {
		char *dir = wr_xasprintf("%s/boot", backup_root);
		const char *base = strrchr(bs->device, '/');
		char *name = wr_xasprintf("%s-p%d-BCD", base ? base + 1 : bs->device, bs->partition);
		int rc = wr_backup_save(dir, name, old, old_len, &bs->backup);
		free(name);
		free(dir);
		if (rc) {
			wr_set_message(&bs->error, "the store was not changed: its backup failed "
				"(%s)", strerror(-rc));
			return rc;
		}
	}
	int rc = store_write(v, new, new_len);
	uint8_t *back = NULL;
	size_t back_len = 0;
	if (!rc)
		rc = store_read(v, &back, &back_len);
	if (!rc && (back_len != new_len || memcmp(back, new, new_len)))
		rc = -EIO;
	free(back);
	if (rc) {
		int undo = store_write(v, old, old_len);
		wr_set_message(&bs->error, "writing the store failed (%s); %s", strerror(-rc),
			undo ? "restoring it failed too: use the backup" : "it was restored");
	}
	return rc;
}

static bool store_writable(struct wr_boot_store *bs, const struct wr_volume *v)
{
	char *busy = wr_volume_in_use(v);
	if (busy)
		wr_set_message(&bs->error, "refused: %s; unmount it first", busy);
	free(busy);
	return !bs->error;
}

/* Applies change to one store; returns elements changed or -errno. */
static int change_store(struct wr_report *rep, struct wr_boot_store *bs,
			enum wr_bcd_change change, const char *backup_root)
{
	const struct wr_volume *v = &rep->volumes[bs->volume];
	if (!store_writable(bs, v))
		return -EBUSY;
	uint8_t *old = NULL, *new = NULL;
	size_t old_len = 0, new_len = 0;
	int rc = store_read(v, &old, &old_len);
	if (rc)
		wr_set_message(&bs->error, "cannot read the store again: %s", strerror(-rc));
	else
		rc = wr_bcd_change(old, old_len, change, &new, &new_len, &bs->error);
	if (rc > 0) {
		int wrc = replace_store(bs, v, old, old_len, new, new_len, backup_root);
		rc = wrc ? wrc : rc;
	}
	free(old);
	free(new);
	return rc;
}

void wr_bootstores_fix(struct wr_report *rep, const char *backup_root)
{
	for (size_t i = 0; i < rep->nboot_stores; i++) {
		struct wr_boot_store *bs = &rep->boot_stores[i];
		if (bs->action != WR_BOOT_WOULD_CLEAR)
			continue;
		int rc = change_store(rep, bs, WR_BCD_CLEAR_SAFEBOOT, backup_root);
		bs->action = rc < 0 ? WR_BOOT_FAILED : rc > 0 ? WR_BOOT_CLEARED : WR_BOOT_NONE;
	}
}

enum wr_result wr_bootstores_safe_mode(struct wr_report *rep, bool undo,
				       const char *backup_root)
{
	enum wr_result r = WR_RESULT_NOTHING_TO_FIX;
	for (size_t i = 0; i < rep->nboot_stores; i++) {
		struct wr_boot_store *bs = &rep->boot_stores[i];
		if (bs->action == WR_BOOT_FAILED) {
			r = wr_result_worse(r, WR_RESULT_ERROR);
			continue;
		}
		int rc = change_store(rep, bs, undo ? WR_BCD_CLEAR_SAFEBOOT : WR_BCD_SET_SAFE_MODE,
				      backup_root);
		bs->action = rc < 0 ? WR_BOOT_FAILED : rc == 0 ? WR_BOOT_NONE :
			undo ? WR_BOOT_RESTORED : WR_BOOT_SAFE_MODE_SET;
		r = wr_result_worse(r, wr_boot_store_result(bs));
	}
	return rep->nboot_stores ? r : WR_RESULT_ERROR;
}
