/* Keys pressed at the recovery-key prompt, decoded from what a terminal sends
 * in raw mode: the number row (also the symbols of AZERTY layouts, where digits
 * need Shift), the numeric keypad, F1-F10 as 1-9, 0 (as on the Windows recovery
 * screen) with the escape sequences of the Linux console and of xterm-like
 * serial terminals, or, on a Linux virtual console in medium-raw mode, keycodes
 * (which do not depend on the loaded keymap at all). */
#ifndef WINRESCUE_KEY_INPUT_H
#define WINRESCUE_KEY_INPUT_H

#include <stdbool.h>
#include <stddef.h>

enum key_kind {
	KEY_NONE,        /* byte taken, nothing complete yet (or a key without meaning here) */
	KEY_DIGIT,       /* digit: 0-9 */
	KEY_DASH,        /* '-': a separator, or the 6 of AZERTY layouts (the prompt decides) */
	KEY_SEPARATOR,   /* space, or the dash key read as a keycode */
	KEY_BACKSPACE,
	KEY_ENTER,
	KEY_CLEAR,       /* Ctrl-U */
	KEY_END,         /* Ctrl-D */
	KEY_INTERRUPT,   /* Ctrl-C where the terminal does not send SIGINT itself */
	KEY_SWITCH_VT,   /* Alt+Fn on the console: digit holds n */
};

struct key_event {
	enum key_kind kind;
	int digit;
	bool from_symbol;    /* the digit came from a layout's symbol (& é " ' ( ...) */
};

struct key_decoder {
	bool keycodes;             /* medium-raw keycodes instead of characters */
	unsigned char seq[8];      /* an escape sequence or UTF-8 character in progress */
	size_t len;
	int skip;                  /* keycode mode: bytes of a long keycode left to skip */
	bool shift, ctrl, alt;
};

/* Feeds one byte; returns true with *ev filled when a key is complete. */
bool key_decoder_feed(struct key_decoder *d, unsigned char byte, struct key_event *ev);
/* Whether a lone ESC (or half a sequence) is waiting for more bytes. */
bool key_decoder_pending(const struct key_decoder *d);
/* Forgets a sequence that never completed (the Esc key pressed on its own). */
void key_decoder_reset(struct key_decoder *d);

#endif
