/* Loop devices of our own, for volumes inside image files. */
#ifndef WINRESCUE_LOOPDEV_H
#define WINRESCUE_LOOPDEV_H

#include <stdbool.h>
#include <stdint.h>

/* Attaches [offset, offset+size) of file (size 0: to its end) to a free loop
 * device, read-only unless rw, that goes away by itself once closed
 * (LO_FLAGS_AUTOCLEAR). Returns the open loop device with *path (malloc'ed), or -errno. */
int wr_loop_attach(const char *file, uint64_t offset, uint64_t size, bool rw, char **path);

#endif
