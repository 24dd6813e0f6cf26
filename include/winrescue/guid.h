/* GUIDs as Windows writes them: on disk, 16 bytes with the first three fields
 * little-endian; as text, "64311DEA-4587-4029-924A-BA299647998E" (upper case, no
 * braces). One codec for the FVE metadata, .BEK files and key exports. */
#ifndef WINRESCUE_GUID_H
#define WINRESCUE_GUID_H

#include <stddef.h>
#include <stdint.h>

#define WR_GUID_TEXT_LEN 37    /* 36 characters and the terminating NUL */

/* The on-disk bytes g as text. */
void wr_guid_format(const uint8_t g[16], char out[WR_GUID_TEXT_LEN]);
/* Text (surrounding blanks and one pair of braces allowed, either case) to the
 * on-disk bytes: the inverse of wr_guid_format. Returns 0 or -EINVAL. */
int wr_guid_parse(const char *text, size_t len, uint8_t out[16]);

#endif
