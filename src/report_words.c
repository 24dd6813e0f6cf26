/* The words of the report's table cells: short, so each row fits 80 columns. */
#include "report_words.h"

#include "winrescue/util.h"

/* The state's name in words: "unclean journal", "fast startup". */
char *wr_state_words(unsigned state)
{
	char *words = wr_xstrdup(wr_state_name(state));
	for (char *p = words; *p; p++)
		if (*p == '_')
			*p = ' ';
	return words;
}

const char *wr_status_words(enum wr_volume_status s)
{
	switch (s) {
	case WR_VOL_NOT_WINDOWS: return "not Windows";
	case WR_VOL_CLEAN: return "clean";
	case WR_VOL_FIX_NEEDED: return "fix needed";
	case WR_VOL_FIXED: return "fixed";
	case WR_VOL_REFUSED: return "REFUSED";
	case WR_VOL_LOCKED: return "locked";
	case WR_VOL_ERROR: return "ERROR";
	}
	return "ERROR";
}

const char *wr_time_class_words(enum wr_time_class c)
{
	switch (c) {
	case WR_TIME_FAULTY: return "faulty";     /* written 04:09-05:27 UTC */
	case WR_TIME_GOOD: return "reverted";     /* 05:27 UTC or later */
	case WR_TIME_OTHER: break;
	}
	return "other";
}

const char *wr_content_words(enum wr_content_class c)
{
	switch (c) {
	case WR_CONTENT_MAGIC: return "channel";
	case WR_CONTENT_ZERO: return "all zeros";
	case WR_CONTENT_EMPTY: return "empty";
	case WR_CONTENT_UNREADABLE: return "unreadable";
	case WR_CONTENT_OTHER: break;
	}
	return "other";
}

const char *wr_action_words(enum wr_action a)
{
	switch (a) {
	case WR_ACTION_WOULD_DELETE: return "would delete";
	case WR_ACTION_DELETED: return "deleted";
	case WR_ACTION_FAILED: return "FAILED";
	case WR_ACTION_NONE: break;
	}
	return "-";
}
