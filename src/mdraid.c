/* Software RAID assembly with mdadm (mdraid.h). */
#include "winrescue/mdraid.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "winrescue/log.h"
#include "winrescue/storage.h"
#include "winrescue/util.h"

extern char **environ;

const char *wr_mdraid_kind(const char *blkid_type)
{
	if (!strcmp(blkid_type, "isw_raid_member"))
		return "an Intel RST (IMSM) RAID set";
	if (!strcmp(blkid_type, "ddf_raid_member"))
		return "a DDF RAID set";
	if (!strcmp(blkid_type, "linux_raid_member"))
		return "a Linux software RAID set";
	return "a RAID set";
}

bool wr_mdraid_members_present(const struct wr_storage *st)
{
	for (size_t i = 0; st && i < st->ndisks; i++)
		if (st->disks[i].raid_member)
			return true;
	return false;
}

/* Reads all of fd into a string. */
static char *read_all(int fd)
{
	size_t len = 0, cap = 1024;
	char *buf = wr_xmalloc(cap);
	ssize_t n;
	while ((n = read(fd, buf + len, cap - len - 1)) > 0 || (n < 0 && errno == EINTR)) {
		if (n < 0)
			continue;
		len += (size_t)n;
		if (cap - len < 256)
			buf = wr_xrealloc(buf, cap *= 2);
	}
	buf[len] = '\0';
	return buf;
}

/* --run: a set with a member missing is started degraded. Without it mdadm leaves
 * an IMSM or DDF volume inactive when fewer members than its metadata lists are
 * there, and the Windows volume on it could not be read at all. The disk list has
 * been stable for 3 s by then (wr_storage_settle), so a member is missing, not late. */
int wr_mdraid_assemble(bool read_write, char **output)
{
	char *argv[] = { "mdadm", "--assemble", "--scan", "--run",
		read_write ? NULL : "--readonly", NULL };
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDERR_FILENO);
	pid_t pid;
	int rc = posix_spawnp(&pid, "mdadm", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	char *text = rc == 0 ? read_all(pipefd[0]) : NULL;
	close(pipefd[0]);
	int status = 0;
	if (rc == 0 && waitpid(pid, &status, 0) < 0)
		rc = errno;
	if (rc) {
		free(text);
		if (output)
			*output = wr_xasprintf("mdadm could not be run: %s", strerror(rc));
		return -rc;
	}
	wr_log(WR_LOG_INFO, "mdadm --assemble --scan --run%s: exit %d: %s", read_write ? "" : " --readonly",
	       WIFEXITED(status) ? WEXITSTATUS(status) : -1, text);
	if (output)
		*output = text;
	else
		free(text);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static unsigned long long block_size(const char *sysfs_root, const char *name)
{
	char *path = wr_xasprintf("%s/class/block/%s/size", sysfs_root, name);
	FILE *f = fopen(path, "re");
	free(path);
	unsigned long long sectors = 0;
	if (f) {
		if (fscanf(f, "%llu", &sectors) != 1)
			sectors = 0;
		fclose(f);
	}
	return sectors;
}

char *wr_mdraid_holder(const char *sysfs_root, const char *name)
{
	char *dir = wr_xasprintf("%s/class/block/%s/holders", sysfs_root, name);
	DIR *d = opendir(dir);
	free(dir);
	char *found = NULL;
	struct dirent *de;
	while (d && !found && (de = readdir(d))) {
		if (strncmp(de->d_name, "md", 2))
			continue;
		/* A container (size 0) holds the members; the volume it holds is the set. */
		found = block_size(sysfs_root, de->d_name) ? wr_xstrdup(de->d_name) :
			wr_mdraid_holder(sysfs_root, de->d_name);
	}
	if (d)
		closedir(d);
	return found;
}
