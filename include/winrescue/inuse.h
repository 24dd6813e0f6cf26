/* Whether a volume is in use elsewhere, so that fix never writes under someone. */
#ifndef WINRESCUE_INUSE_H
#define WINRESCUE_INUSE_H

#include "winrescue/model.h"

/* Why the volume is in use elsewhere (mounted, held by device-mapper, or the
 * image is attached to a loop device that is), or NULL when it is not. */
char *wr_volume_in_use(const struct wr_volume *vol);

#endif
