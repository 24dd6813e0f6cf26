#include "winrescue/key_prompt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "winrescue/util.h"

/* Reads one line without its line end into a malloc'ed string; NULL at end of input. */
static char *read_line(FILE *in)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, in);
	if (n < 0) {
		wr_wipe(line, cap);
		free(line);
		return NULL;
	}
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	/* Copy into an exact-size buffer so the caller can wipe all of it. */
	char *copy = wr_xstrdup(line);
	wr_wipe(line, cap);
	free(line);
	return copy;
}

static void free_secret(char *s)
{
	if (s) {
		wr_wipe(s, strlen(s));
		free(s);
	}
}

static bool blank(const char *s)
{
	return s[strspn(s, " \t")] == '\0';
}

static void describe_volume(FILE *out, const struct wr_volume *vol, const char *key_id)
{
	fprintf(out, "\nBitLocker volume %s", vol->device ? vol->device : "?");
	if (vol->partition)
		fprintf(out, " (partition %d)", vol->partition);
	fprintf(out, " is locked.\n");
	if (vol->bitlocker.key_check == WR_KEY_REJECTED)
		fprintf(out, "That recovery key does not open this volume: compare its Key ID.\n");
	/* The Windows recovery screen shows only the first 8 characters. */
	fprintf(out, "Key ID: %s (the recovery screen shows %.8s)\n", key_id, key_id);
}

int wr_key_prompt_recovery(void *ctx, const struct wr_volume *vol, const char *key_id,
			   struct wr_recovery_key *out)
{
	struct wr_key_prompt *p = ctx;
	describe_volume(p->out, vol, key_id);
	for (;;) {
		fprintf(p->out, "Recovery key (48 digits; empty line to skip this volume): ");
		fflush(p->out);
		char *line = read_line(p->in);
		if (!line || blank(line)) {
			free_secret(line);
			return 1;
		}
		char *msg = NULL;
		int rc = wr_recovery_key_parse(line, out, NULL, &msg);
		free_secret(line);
		if (!rc)
			return 0;
		fprintf(p->out, "  %s\n", msg);
		free(msg);
	}
}

int wr_key_prompt_password(FILE *in, FILE *out, const char *question, char **password)
{
	struct termios old, quiet;
	bool tty = isatty(fileno(in)) && tcgetattr(fileno(in), &old) == 0;
	*password = NULL;
	fprintf(out, "%s", question);
	fflush(out);
	if (tty) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ECHONL;
		if (tcsetattr(fileno(in), TCSAFLUSH, &quiet) < 0)
			return -errno;
	}
	char *line = read_line(in);
	if (tty)
		tcsetattr(fileno(in), TCSAFLUSH, &old);
	if (!line || !*line) {
		free_secret(line);
		return 1;
	}
	*password = line;
	return 0;
}
