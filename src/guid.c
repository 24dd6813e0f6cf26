#include "winrescue/guid.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

/* Where each on-disk byte appears in the text, in text order: the first three
 * fields are little-endian, the last two are plain bytes. */
static const uint8_t TEXT_ORDER[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };

void wr_guid_format(const uint8_t g[16], char out[WR_GUID_TEXT_LEN])
{
	static const char hex[] = "0123456789ABCDEF";
	size_t pos = 0;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[pos++] = '-';
		uint8_t b = g[TEXT_ORDER[i]];
		out[pos++] = hex[b >> 4];
		out[pos++] = hex[b & 15];
	}
	out[pos] = '\0';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

int wr_guid_parse(const char *text, size_t len, uint8_t out[16])
{
	while (len && isspace((unsigned char)*text)) { text++; len--; }
	while (len && isspace((unsigned char)text[len - 1])) len--;
	if (len == 38 && text[0] == '{' && text[37] == '}') { text++; len -= 2; }
	if (len != 36)
		return -EINVAL;
	int nbytes = 0;
	for (size_t i = 0; i < 36; i++) {
		bool dash_here = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash_here) {
			if (text[i] != '-') return -EINVAL;
			continue;
		}
		int hi = hex_value(text[i]), lo = hex_value(text[i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[TEXT_ORDER[nbytes++]] = (uint8_t)(hi << 4 | lo);
		i++;
	}
	return 0;
}
