#include "winrescue/key_prompt.h"

#include <errno.h>
#include <linux/kd.h>
#include <linux/vt.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "key_input.h"
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

static bool is_terminal(FILE *f)
{
	return isatty(fileno(f));
}

/* The Key ID as the Windows recovery screen shows it (its first 8 characters,
 * highlighted on a terminal), then in full, and where admins look keys up. */
static void describe_volume(FILE *out, const struct wr_volume *vol, const char *key_id)
{
	bool tty = is_terminal(out);
	fprintf(out, "\nThe Windows disk %s", vol->device ? vol->device : "?");
	if (vol->partition)
		fprintf(out, " (partition %d)", vol->partition);
	fprintf(out, " is locked by BitLocker.\n");
	if (vol->bitlocker.key_check == WR_KEY_REJECTED)
		fprintf(out, "That recovery key does not open this disk: compare its Key ID.\n");
	fprintf(out, "Key ID: %s%.8s%s%s\n", tty ? "\033[1;7m" : "", key_id, tty ? "\033[0m" : "",
		strlen(key_id) > 8 ? key_id + 8 : "");
	fprintf(out, "  (the Windows recovery screen shows the first 8 characters: %.8s)\n"
		"  Admins find the 48-digit key for this Key ID in Entra ID or Intune, Active\n"
		"  Directory (the computer's BitLocker Recovery tab), MBAM, or the user's\n"
		"  Microsoft account (aka.ms/myrecoverykey).\n", key_id);
}

static void say_checking(FILE *out)
{
	fprintf(out, "Checking the key... (a few seconds)\n");
	fflush(out);
}

/* Not a terminal (a script, a test): one key a line, echo is not ours. */
static int prompt_lines(struct wr_key_prompt *p, struct wr_recovery_key *out)
{
	for (;;) {
		fprintf(p->out, "Recovery key (48 digits; empty line to skip this disk): ");
		fflush(p->out);
		char *line = read_line(p->in);
		if (!line || blank(line)) {
			free_secret(line);
			return 1;
		}
		char *msg = NULL;
		int rc = wr_recovery_key_parse(line, out, NULL, &msg);
		free_secret(line);
		if (!rc) {
			say_checking(p->out);
			return 0;
		}
		fprintf(p->out, "  %s\n", msg);
		free(msg);
	}
}

/* ---- A terminal in raw mode: every key as it is pressed. ---- */

struct raw_terminal {
	int fd;
	struct termios saved;
	int saved_kbmode;
	bool keycodes;                 /* a Linux virtual console in medium-raw mode */
};

static volatile sig_atomic_t caught_signal;
static const int watched_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
static struct sigaction saved_actions[4];

static void note_signal(int sig)
{
	caught_signal = sig;
}

/* While the keyboard is raw, a signal only interrupts the read: the terminal is
 * restored first, then the signal is delivered as before. Ignored ones stay so. */
static void watch_signals(void)
{
	struct sigaction sa = { .sa_handler = note_signal };
	sigemptyset(&sa.sa_mask);
	caught_signal = 0;
	for (size_t i = 0; i < sizeof(watched_signals) / sizeof(watched_signals[0]); i++) {
		sigaction(watched_signals[i], NULL, &saved_actions[i]);
		if (saved_actions[i].sa_handler != SIG_IGN)
			sigaction(watched_signals[i], &sa, NULL);
	}
}

static void unwatch_signals(void)
{
	for (size_t i = 0; i < sizeof(watched_signals) / sizeof(watched_signals[0]); i++)
		sigaction(watched_signals[i], &saved_actions[i], NULL);
	if (caught_signal)
		raise(caught_signal);
}

/* NumLock on, so the keypad types digits at the other prompts too. */
static void numlock_on(int fd)
{
	unsigned char flags = 0;
	if (ioctl(fd, KDGKBLED, &flags) == 0)
		ioctl(fd, KDSKBLED, (unsigned long)(flags | K_NUMLOCK | (K_NUMLOCK << 4)));
}

static int raw_enter(struct raw_terminal *t, int fd)
{
	t->fd = fd;
	if (tcgetattr(fd, &t->saved) < 0)
		return -errno;
	struct termios raw = t->saved;
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO | IEXTEN);
	raw.c_iflag &= ~(tcflag_t)(ICRNL | INLCR | IXON);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	watch_signals();
	if (tcsetattr(fd, TCSANOW, &raw) < 0) {
		int err = -errno;
		unwatch_signals();
		return err;
	}
	t->keycodes = ioctl(fd, KDGKBMODE, &t->saved_kbmode) == 0 &&
		ioctl(fd, KDSKBMODE, K_MEDIUMRAW) == 0;
	if (t->keycodes) {
		/* Keycode bytes are not characters: key 2 is 0x03 (^C), Enter 0x1c (^\), so
		 * the line discipline must not make signals of them (the decoder sees Ctrl+C). */
		raw.c_lflag &= ~(tcflag_t)ISIG;
		tcsetattr(fd, TCSANOW, &raw);
		numlock_on(fd);
	}
	return 0;
}

static void raw_leave(struct raw_terminal *t)
{
	if (t->keycodes)
		ioctl(t->fd, KDSKBMODE, t->saved_kbmode);
	tcsetattr(t->fd, TCSANOW, &t->saved);
	unwatch_signals();
}

/* The digits typed so far and how they are shown: 123456-789012-... */
struct entry {
	char digits[48];
	int n;
	bool symbols;      /* some digit came from a layout's symbol: '-' is a 6 there */
};

static void show(FILE *out, const char *s)
{
	fputs(s, out);
	fflush(out);
}

static void show_entry(FILE *out, const struct entry *e)
{
	fputs("Recovery key: ", out);
	for (int i = 0; i < e->n; i++) {
		fputc(e->digits[i], out);
		if (i % 6 == 5 && i < 47)
			fputc('-', out);
	}
	fflush(out);
}

static void add_digit(FILE *out, struct entry *e, int digit)
{
	if (e->n == 48) {
		show(out, "\a");
		return;
	}
	e->digits[e->n++] = (char)('0' + digit);
	fputc('0' + digit, out);
	if (e->n % 6 == 0 && e->n < 48)
		fputc('-', out);
	fflush(out);
}

/* A finished block is checked at once: a typo costs no key derivation. */
static bool block_rejected(FILE *out, struct entry *e, int fd)
{
	if (e->n == 0 || e->n % 6 != 0 || wr_recovery_key_block_valid(e->digits + e->n - 6))
		return false;
	fprintf(out, "\n  block %d (%.6s) is not valid: check it and type it again\n", e->n / 6,
		e->digits + e->n - 6);
	e->n -= 6;
	wr_wipe(e->digits + e->n, 6);
	tcflush(fd, TCIFLUSH);          /* the rest of a paste or of typing ahead */
	show_entry(out, e);
	return true;
}

static void erase_digit(FILE *out, struct entry *e)
{
	if (!e->n)
		return;
	/* Over the dash shown after a finished block, and the digit before it. */
	show(out, e->n % 6 == 0 && e->n < 48 ? "\b\b  \b\b" : "\b \b");
	e->n--;
}

enum entry_step { ENTRY_MORE, ENTRY_DONE, ENTRY_SKIP };

static enum entry_step on_enter(FILE *out, struct entry *e)
{
	if (e->n == 48 || e->n == 0) {
		fputc('\n', out);
		fflush(out);
		return e->n ? ENTRY_DONE : ENTRY_SKIP;
	}
	fprintf(out, "\n  a recovery key has 48 digits, %d typed so far (Enter on an empty key skips)\n", e->n);
	show_entry(out, e);
	return ENTRY_MORE;
}

static enum entry_step on_key(FILE *out, struct entry *e, const struct key_event *ev, int fd)
{
	switch (ev->kind) {
	case KEY_DASH:
		/* Between blocks a separator; first, inside a block or after AZERTY symbols
		 * the 6 of French layouts, where '-' is on the 6 key. */
		if (e->n && e->n % 6 == 0 && !e->symbols)
			break;
		e->symbols = true;
		add_digit(out, e, 6);
		block_rejected(out, e, fd);
		break;
	case KEY_DIGIT:
		e->symbols |= ev->from_symbol;
		add_digit(out, e, ev->digit);
		block_rejected(out, e, fd);
		break;
	case KEY_BACKSPACE: erase_digit(out, e); break;
	case KEY_CLEAR:
		e->n = 0;
		fputc('\n', out);
		show_entry(out, e);
		break;
	case KEY_ENTER: return on_enter(out, e);
	case KEY_END: fputc('\n', out); return ENTRY_SKIP;
	case KEY_INTERRUPT: fputc('\n', out); caught_signal = SIGINT; return ENTRY_SKIP;
	case KEY_SWITCH_VT: ioctl(fd, VT_ACTIVATE, ev->digit); break;
	case KEY_SEPARATOR: case KEY_NONE: break;
	}
	return ENTRY_MORE;
}

/* Reads one byte; a lone ESC gets a second for the rest of its sequence (a loaded serial line is slow).
 * Returns 1, 0 at end of input, -1 on a signal or error. */
static int read_byte(int fd, struct key_decoder *d, unsigned char *b)
{
	if (key_decoder_pending(d)) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		if (poll(&pfd, 1, 1000) == 0)
			key_decoder_reset(d);
	}
	ssize_t n = read(fd, b, 1);
	if (n < 0 && errno == EINTR && !caught_signal)
		return read_byte(fd, d, b);
	return n < 0 ? -1 : (int)n;
}

static int prompt_raw(struct wr_key_prompt *p, struct wr_recovery_key *out)
{
	struct raw_terminal t;
	if (raw_enter(&t, fileno(p->in)) < 0)
		return prompt_lines(p, out);
	fprintf(p->out, "Type the 48-digit recovery key: number row, keypad, or F1-F10 for 1-9, 0.\n"
		"Enter with nothing typed skips this disk.\n");
	struct entry e = { .n = 0 };
	struct key_decoder d = { .keycodes = t.keycodes };
	show_entry(p->out, &e);
	enum entry_step step = ENTRY_MORE;
	unsigned char b;
	while (step == ENTRY_MORE) {
		int rc = read_byte(t.fd, &d, &b);
		if (rc <= 0) {
			fputc('\n', p->out);
			step = ENTRY_SKIP;
			break;
		}
		struct key_event ev;
		if (key_decoder_feed(&d, b, &ev))
			step = on_key(p->out, &e, &ev, t.fd);
	}
	raw_leave(&t);
	int rc = 1;
	if (step == ENTRY_DONE) {
		char text[WR_RECOVERY_KEY_LEN + 1];
		for (int i = 0, j = 0; i < 48; i++) {
			text[j++] = e.digits[i];
			if (i % 6 == 5)
				text[j++] = i < 47 ? '-' : '\0';
		}
		rc = wr_recovery_key_parse(text, out, NULL, NULL) ? 1 : 0;
		wr_wipe(text, sizeof(text));
		if (!rc)
			say_checking(p->out);
	}
	wr_wipe(&e, sizeof(e));
	return rc;
}

int wr_key_prompt_recovery(void *ctx, const struct wr_volume *vol, const char *key_id,
			   struct wr_recovery_key *out)
{
	struct wr_key_prompt *p = ctx;
	describe_volume(p->out, vol, key_id);
	return is_terminal(p->in) ? prompt_raw(p, out) : prompt_lines(p, out);
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
