#include "winrescue/recovery_key.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "winrescue/util.h"

#define BLOCK_DIGITS 6
#define KEY_DIGITS (WR_RECOVERY_KEY_BLOCKS * BLOCK_DIGITS)
/* Each block encodes 16 bits of the key multiplied by 11: a typo in a block is
 * caught by the divisibility check, and 65536 * 11 bounds the value. */
#define BLOCK_LIMIT 720896UL

bool wr_recovery_key_block_valid(const char digits[6])
{
	unsigned long v = 0;
	for (int i = 0; i < BLOCK_DIGITS; i++) {
		if (digits[i] < '0' || digits[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(digits[i] - '0');
	}
	return v % 11 == 0 && v < BLOCK_LIMIT;
}

static void set_error(char **errmsg, int *bad_block, int block, char *msg)
{
	if (bad_block)
		*bad_block = block;
	if (errmsg) {
		free(*errmsg);
		*errmsg = msg;
	} else {
		free(msg);
	}
}

static bool is_separator(char c) { return c == '-' || c == ' '; }

/* Trims surrounding whitespace: returns the start, *len the length of the rest. */
static const char *trim(const char *s, size_t *len)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	*len = n;
	return s;
}

/* Collects the digits into digits[] and checks the separators: all '-', all ' '
 * or none, exactly between the blocks. Returns 0 or -EINVAL with a message. */
static int collect_digits(const char *s, size_t len, char digits[KEY_DIGITS],
			  int *bad_block, char **errmsg)
{
	size_t ndigits = 0, nseps = 0;
	char sep = 0;
	bool misplaced = false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c >= '0' && c <= '9') {
			if (ndigits < KEY_DIGITS)
				digits[ndigits] = c;
			ndigits++;
		} else if (is_separator(c)) {
			if (sep && c != sep) {
				set_error(errmsg, bad_block, 0, wr_xstrdup(
					"mixed separators: separate the 8 blocks all with dashes, all with spaces, or not at all"));
				return -EINVAL;
			}
			sep = c;
			nseps++;
			if (ndigits == 0 || ndigits % BLOCK_DIGITS || i + 1 == len || is_separator(s[i + 1]))
				misplaced = true;
		} else if (isalpha((unsigned char)c)) {
			set_error(errmsg, bad_block, 0, wr_xstrdup(
				"a recovery key has digits only (letters found): is this a Key ID or a password?"));
			return -EINVAL;
		} else {
			set_error(errmsg, bad_block, 0, wr_xasprintf(
				"unexpected character '%c': a recovery key is 8 blocks of 6 digits separated by dashes",
				isprint((unsigned char)c) ? c : '?'));
			return -EINVAL;
		}
	}
	if (ndigits != KEY_DIGITS) {
		set_error(errmsg, bad_block, 0, wr_xasprintf(
			"a recovery key has 48 digits, %zu found", ndigits));
		return -EINVAL;
	}
	if (misplaced || (nseps && nseps != WR_RECOVERY_KEY_BLOCKS - 1)) {
		set_error(errmsg, bad_block, 0, wr_xstrdup(
			"separators must stand between blocks of 6 digits (111111-222222-...)"));
		return -EINVAL;
	}
	return 0;
}

static int check_blocks(const char digits[KEY_DIGITS], int *bad_block, char **errmsg)
{
	for (int b = 0; b < WR_RECOVERY_KEY_BLOCKS; b++) {
		const char *block = digits + b * BLOCK_DIGITS;
		if (!wr_recovery_key_block_valid(block)) {
			set_error(errmsg, bad_block, b + 1, wr_xasprintf(
				"block %d (%.6s) is not valid: check it", b + 1, block));
			return -EINVAL;
		}
	}
	return 0;
}

static void format_key(const char digits[KEY_DIGITS], struct wr_recovery_key *out)
{
	char *p = out->text;
	for (int b = 0; b < WR_RECOVERY_KEY_BLOCKS; b++) {
		if (b)
			*p++ = '-';
		memcpy(p, digits + b * BLOCK_DIGITS, BLOCK_DIGITS);
		p += BLOCK_DIGITS;
	}
	*p = '\0';
}

int wr_recovery_key_parse(const char *input, struct wr_recovery_key *out,
			  int *bad_block, char **errmsg)
{
	char digits[KEY_DIGITS];
	size_t len;
	const char *s = trim(input ? input : "", &len);
	if (bad_block)
		*bad_block = 0;
	int rc = collect_digits(s, len, digits, bad_block, errmsg);
	if (!rc)
		rc = check_blocks(digits, bad_block, errmsg);
	if (!rc)
		format_key(digits, out);
	wr_wipe(digits, sizeof(digits));
	return rc;
}

void wr_recovery_key_wipe(struct wr_recovery_key *key)
{
	wr_wipe(key, sizeof(*key));
}
