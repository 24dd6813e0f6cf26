/* libntfs-3g's headers need these system headers first and in this order;
 * every module that uses libntfs-3g includes this instead of them. */
#ifndef WINRESCUE_NTFS3G_H
#define WINRESCUE_NTFS3G_H

#include <stdarg.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/time.h>
#include <time.h>
#include <ntfs-3g/types.h>
#include <ntfs-3g/logging.h>
#include <ntfs-3g/device.h>
#include <ntfs-3g/volume.h>
#include <ntfs-3g/unistr.h>
#include <ntfs-3g/inode.h>
#include <ntfs-3g/attrib.h>
#include <ntfs-3g/dir.h>
#include <ntfs-3g/logfile.h>
#include <ntfs-3g/layout.h>
#include <ntfs-3g/cache.h>
#include <ntfs-3g/index.h>

struct wr_ntfs;
/* The libntfs-3g volume under a wr_ntfs (ntfsvol.c), for modules beside it. */
ntfs_volume *wr_ntfs_native(struct wr_ntfs *nv);

#endif
