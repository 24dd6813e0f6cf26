/* The copy kept of each file before it is deleted. */
#ifndef WINRESCUE_BACKUP_H
#define WINRESCUE_BACKUP_H

#include <stddef.h>
#include <stdint.h>

/* Writes data to dir/name (dir is created; an existing different file of that
 * name is kept and the copy gets a numbered name), syncs it, reads it back and
 * compares. Returns 0 with *path, or -errno (-EIO: the copy did not match). */
int wr_backup_save(const char *dir, const char *name, const uint8_t *data, size_t len,
		   char **path);

#endif
