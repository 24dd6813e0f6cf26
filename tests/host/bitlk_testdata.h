/* The Windows-made BitLocker volumes of ../shared/testdata/bitlk, as the C host
 * tests unpack and skip them (one place for both). */
#ifndef WR_TEST_BITLK_TESTDATA_H
#define WR_TEST_BITLK_TESTDATA_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "winrescue/util.h"

/* False, after saying so as the suite's skip message, when the folder is absent. */
static inline bool bitlk_testdata_present(void)
{
	const char *shared = getenv("WR_SHARED");
	char *tar = wr_xasprintf("%s/testdata/bitlk/bitlk-images.tar.xz", shared ? shared : "");
	bool present = shared && access(tar, R_OK) == 0;
	free(tar);
	if (!present)
		printf("skipped: ../shared/testdata/bitlk not found\n");
	return present;
}

/* Unpacks the archive (or only MEMBER) into a new temporary folder; NULL on failure. */
static inline char *bitlk_unpack(const char *member)
{
	char tmpl[] = "/tmp/wr-bitlocker-XXXXXX";
	if (!mkdtemp(tmpl))
		return NULL;
	char *cmd = wr_xasprintf("tar -xJf '%s/testdata/bitlk/bitlk-images.tar.xz' -C '%s' %s",
				 getenv("WR_SHARED"), tmpl, member ? member : "");
	int rc = system(cmd);
	free(cmd);
	return rc == 0 ? wr_xstrdup(tmpl) : NULL;
}

static inline int bitlk_remove(char *dir)
{
	char *cmd = wr_xasprintf("rm -rf '%s'", dir);
	int rc = system(cmd);
	free(cmd);
	free(dir);
	return rc;
}

#endif
