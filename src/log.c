#include "winrescue/log.h"

#include <stdarg.h>

#include "ntfs3g.h"

static enum wr_log_level current_level = WR_LOG_WARN;
static FILE *copy_to;

void wr_log_set_level(enum wr_log_level level) { current_level = level; }
void wr_log_set_copy(FILE *f) { copy_to = f; }

static const char *level_prefix(enum wr_log_level level)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	return names[level];
}

static void log_v(enum wr_log_level level, const char *fmt, va_list ap)
{
	if (copy_to) {
		va_list again;
		va_copy(again, ap);
		fprintf(copy_to, "%s: ", level_prefix(level));
		vfprintf(copy_to, fmt, again);
		fputc('\n', copy_to);
		fflush(copy_to);
		va_end(again);
	}
	if (level > current_level)
		return;
	fprintf(stderr, "winrescue: %s: ", level_prefix(level));
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void wr_log(enum wr_log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_v(level, fmt, ap);
	va_end(ap);
}

/* libntfs-3g prints through one process-wide handler; its messages are useful
 * with -v but would only confuse a technician otherwise. */
static int ntfs_handler(const char *function, const char *file, int line,
			u32 level, void *data, const char *format, va_list args)
{
	(void)function; (void)file; (void)line; (void)data;
	enum wr_log_level ours = (level & (NTFS_LOG_LEVEL_ERROR | NTFS_LOG_LEVEL_CRITICAL |
		NTFS_LOG_LEVEL_PERROR)) ? WR_LOG_INFO : WR_LOG_DEBUG;
	char buf[512];
	int n = vsnprintf(buf, sizeof(buf), format, args);
	while (n > 0 && (size_t)n < sizeof(buf) && buf[n - 1] == '\n')
		buf[--n] = '\0';
	wr_log(ours, "ntfs-3g: %s", buf);
	return n;
}

void wr_log_capture_ntfs(void)
{
	ntfs_log_set_handler(ntfs_handler);
	ntfs_log_set_levels(NTFS_LOG_LEVEL_ERROR | NTFS_LOG_LEVEL_CRITICAL |
		NTFS_LOG_LEVEL_PERROR | NTFS_LOG_LEVEL_WARNING | NTFS_LOG_LEVEL_INFO);
}
