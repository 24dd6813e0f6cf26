#include "winrescue/verdict.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report_internal.h"
#include "winrescue/util.h"

#define SCREEN_WIDTH 80

static size_t count_status(const struct wr_report *rep, enum wr_volume_status status)
{
	size_t n = 0;
	for (size_t i = 0; i < rep->nvolumes; i++)
		n += rep->volumes[i].status == status;
	return n;
}

static bool declined(const struct wr_report *rep)
{
	for (size_t i = 0; i < rep->nvolumes; i++)
		if (rep->volumes[i].message && strstr(rep->volumes[i].message, "the fix was declined"))
			return true;
	return false;
}

/* A fix that is still needed: why it was not made, and what to do. */
static const char *not_fixed_reason(const struct wr_report *rep)
{
	if (count_status(rep, WR_VOL_LOCKED))
		return "NOT FIXED - the BitLocker recovery key is needed: find it by the Key ID shown "
		       "above and start again";
	if (rep->dry_run)
		return "NOT FIXED - this was a dry run: nothing was changed";
	if (declined(rep))
		return "NOT FIXED - you chose not to fix: nothing was changed";
	return "NOT FIXED - nothing was changed: the messages above say why";
}

char *wr_verdict_line(const struct wr_report *rep)
{
	const char *line = "NOT FIXED - an error stopped winrescue: see the messages above";
	switch (rep->result) {
	case WR_RESULT_FIXED:
		line = "FIXED - remove the stick and restart the PC";
		break;
	case WR_RESULT_NOTHING_TO_FIX:
		line = "NOTHING TO FIX - no faulty CrowdStrike file here: this PC's problem is "
		       "something else";
		break;
	case WR_RESULT_NO_WINDOWS:
		line = "WINDOWS NOT FOUND - nothing was checked or changed: see what to check above";
		break;
	case WR_RESULT_FIX_NEEDED:
		line = not_fixed_reason(rep);
		break;
	case WR_RESULT_REFUSED:
		line = "NOT FIXED - winrescue did not write to the disk, for its safety: the "
		       "messages above say why";
		break;
	case WR_RESULT_USAGE:
		line = "NOT FIXED - the settings are wrong: check winrescue/auto.conf";
		break;
	case WR_RESULT_ERROR:
		break;
	}
	return wr_xstrdup(line);
}

bool wr_verdict_fixed_bitlocker(const struct wr_report *rep)
{
	for (size_t i = 0; i < rep->nvolumes; i++)
		if (rep->volumes[i].status == WR_VOL_FIXED &&
		    rep->volumes[i].encryption == WR_ENC_BITLOCKER)
			return true;
	return false;
}

void wr_verdict_print(const struct wr_report *rep, FILE *out)
{
	bool tty = isatty(fileno(out));
	char *line = wr_verdict_line(rep);
	char rule[SCREEN_WIDTH];
	memset(rule, '=', sizeof(rule) - 1);
	rule[sizeof(rule) - 1] = '\0';
	fprintf(out, "\n%s\n", rule);
	if (tty)
		fputs("\033[1;7m", out);
	wr_print_wrapped(out, line, 2, SCREEN_WIDTH - 2);
	if (tty)
		fputs("\033[0m", out);
	fprintf(out, "%s\n", rule);
	fflush(out);
	free(line);
}
