/* Diagnostics for -v and for the rescue stick's log. Errors a user must see are
 * not logged here: they travel up to the layer that tells the user (the model's
 * message fields, or the CLI). */
#ifndef WINRESCUE_LOG_H
#define WINRESCUE_LOG_H

#include <stdio.h>

enum wr_log_level { WR_LOG_ERROR, WR_LOG_WARN, WR_LOG_INFO, WR_LOG_DEBUG };

void wr_log_set_level(enum wr_log_level level);
/* Also copy every message to f (the log on the stick); NULL stops that. */
void wr_log_set_copy(FILE *f);
void wr_log(enum wr_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Sends libntfs-3g's own messages through wr_log (at DEBUG, errors at INFO). */
void wr_log_capture_ntfs(void);

#endif
