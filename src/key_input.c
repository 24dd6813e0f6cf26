#include "key_input.h"

#include <stdlib.h>
#include <string.h>

#define ESC 0x1b

static bool emit(struct key_event *ev, enum key_kind kind, int digit, bool symbol)
{
	*ev = (struct key_event){ kind, digit, symbol };
	return kind != KEY_NONE;
}

/* F1..F9 type 1..9 and F10 types 0, as on the Windows recovery screen. */
static bool function_key(struct key_event *ev, int n)
{
	if (n < 1 || n > 10)
		return emit(ev, KEY_NONE, 0, false);
	return emit(ev, KEY_DIGIT, n % 10, false);
}

/* Single bytes: ASCII, and the Latin-1 letters of the French and Belgian number
 * rows (a console in a Latin-1 locale). & é " ' ( - è _ ç à are 1..0 on French
 * AZERTY; Belgian has § for 6 and ! for 8. */
static bool plain_byte(unsigned char c, struct key_event *ev)
{
	static const char symbols[] = "&\x01\"'(\x01\x01_\x01\x01";   /* 1..9, 0; \x01: none */
	if (c >= '0' && c <= '9')
		return emit(ev, KEY_DIGIT, c - '0', false);
	const char *s = c > 1 ? memchr(symbols, c, sizeof(symbols) - 1) : NULL;
	if (s)
		return emit(ev, KEY_DIGIT, (int)(s - symbols + 1) % 10, true);
	switch (c) {
	case '!': return emit(ev, KEY_DIGIT, 8, true);
	case 0xe9: return emit(ev, KEY_DIGIT, 2, true);   /* é */
	case 0xa7: return emit(ev, KEY_DIGIT, 6, true);   /* § */
	case 0xe8: return emit(ev, KEY_DIGIT, 7, true);   /* è */
	case 0xe7: return emit(ev, KEY_DIGIT, 9, true);   /* ç */
	case 0xe0: return emit(ev, KEY_DIGIT, 0, true);   /* à */
	case '-': return emit(ev, KEY_DASH, 0, false);
	case ' ': case '\t': return emit(ev, KEY_SEPARATOR, 0, false);
	case 0x7f: case 0x08: return emit(ev, KEY_BACKSPACE, 0, false);
	case '\r': case '\n': return emit(ev, KEY_ENTER, 0, false);
	case 0x15: return emit(ev, KEY_CLEAR, 0, false);
	case 0x04: return emit(ev, KEY_END, 0, false);
	case 0x03: return emit(ev, KEY_INTERRUPT, 0, false);
	}
	return emit(ev, KEY_NONE, 0, false);
}

/* UTF-8 é è ç à § are the Latin-1 code points of the same letters. */
static bool utf8_char(const unsigned char *s, struct key_event *ev)
{
	unsigned cp = ((s[0] & 0x1fu) << 6) | (s[1] & 0x3fu);
	if (cp >= 0xa0 && cp <= 0xff)
		return plain_byte((unsigned char)cp, ev);
	return emit(ev, KEY_NONE, 0, false);
}

/* ESC O x (SS3): xterm's F1-F4 (P-S) and the keypad in application mode
 * (p-y = 0-9, M = Enter, m = minus). */
static bool ss3(unsigned char c, struct key_event *ev)
{
	if (c >= 'P' && c <= 'S')
		return function_key(ev, c - 'P' + 1);
	if (c >= 'p' && c <= 'y')
		return emit(ev, KEY_DIGIT, c - 'p', false);
	if (c == 'M')
		return emit(ev, KEY_ENTER, 0, false);
	if (c == 'm')
		return emit(ev, KEY_DASH, 0, false);
	return emit(ev, KEY_NONE, 0, false);
}

/* ESC [ params final: ESC [ n ~ for F1-F10 (11-15, 17-21) and Delete (3);
 * xterm's F1-F4 with modifiers, ESC [ 1 ; m P..S. */
static bool csi(const unsigned char *s, size_t len, struct key_event *ev)
{
	unsigned char final = s[len - 1];
	int n = atoi((const char *)s + 2);   /* stops at ';' or the final byte */
	if (final >= 'P' && final <= 'S')
		return function_key(ev, final - 'P' + 1);
	if (final != '~')
		return emit(ev, KEY_NONE, 0, false);
	if (n == 3)
		return emit(ev, KEY_BACKSPACE, 0, false);
	if (n >= 11 && n <= 15)
		return function_key(ev, n - 10);
	if (n >= 17 && n <= 21)
		return function_key(ev, n - 11);
	return emit(ev, KEY_NONE, 0, false);
}

static bool escape_byte(struct key_decoder *d, unsigned char c, struct key_event *ev)
{
	d->seq[d->len++] = c;
	bool done = false, key = false;
	if (d->len == 2) {
		done = c != '[' && c != 'O';       /* Alt+key: nothing for us */
	} else if (d->seq[1] == 'O') {
		done = true;
		key = ss3(c, ev);
	} else if (d->len == 3 && c == '[') {
		/* The Linux console's F1-F5: ESC [ [ A..E. */
	} else if (d->seq[2] == '[') {
		done = true;
		key = c >= 'A' && c <= 'E' ? function_key(ev, c - 'A' + 1) : false;
	} else if (c >= 0x40 && c <= 0x7e) {
		done = true;
		d->seq[d->len] = '\0';
		key = csi(d->seq, d->len, ev);
	}
	if (!done && d->len + 1 >= sizeof(d->seq))
		done = true;                        /* too long: not a key we know */
	if (done)
		d->len = 0;
	return key;
}

static bool char_byte(struct key_decoder *d, unsigned char c, struct key_event *ev)
{
	if (d->len && d->seq[0] == ESC)
		return escape_byte(d, c, ev);
	if (d->len) {                               /* second byte of a UTF-8 letter */
		d->seq[1] = c;
		d->len = 0;
		return (c & 0xc0) == 0x80 ? utf8_char(d->seq, ev) : plain_byte(c, ev);
	}
	if (c == ESC || (c >= 0xc2 && c <= 0xdf)) {
		d->seq[0] = c;
		d->len = 1;
		return emit(ev, KEY_NONE, 0, false);
	}
	return plain_byte(c, ev);
}

/* Keycodes of the Linux input layer (the keyboard's physical keys). */
enum {
	KC_ESC = 1, KC_1 = 2, KC_0 = 11, KC_MINUS = 12, KC_BACKSPACE = 14, KC_U = 22,
	KC_ENTER = 28, KC_LEFTCTRL = 29, KC_D = 32, KC_LEFTSHIFT = 42, KC_C = 46,
	KC_RIGHTSHIFT = 54, KC_LEFTALT = 56, KC_SPACE = 57, KC_F1 = 59, KC_F10 = 68,
	KC_KP7 = 71, KC_KP0 = 82, KC_KPMINUS = 74, KC_F11 = 87, KC_F12 = 88,
	KC_KPENTER = 96, KC_RIGHTCTRL = 97, KC_RIGHTALT = 100, KC_DELETE = 111,
};

/* Keypad keycodes 71..82 in the order 7 8 9 - 4 5 6 + 1 2 3 0 (-1: not a digit). */
static const signed char keypad_digits[] = { 7, 8, 9, -1, 4, 5, 6, -1, 1, 2, 3, 0 };

static bool keycode_press(struct key_decoder *d, int code, struct key_event *ev)
{
	if (d->ctrl)
		return emit(ev, code == KC_C ? KEY_INTERRUPT : code == KC_D ? KEY_END
			    : code == KC_U ? KEY_CLEAR : KEY_NONE, 0, false);
	if (d->alt && ((code >= KC_F1 && code <= KC_F10) || code == KC_F11 || code == KC_F12))
		return emit(ev, KEY_SWITCH_VT, code >= KC_F11 ? code - KC_F11 + 11 : code - KC_F1 + 1, false);
	if (code >= KC_1 && code <= KC_0)
		return emit(ev, KEY_DIGIT, (code - KC_1 + 1) % 10, false);
	if (code >= KC_F1 && code <= KC_F10)
		return function_key(ev, code - KC_F1 + 1);
	if (code >= KC_KP7 && code <= KC_KP0 && keypad_digits[code - KC_KP7] >= 0)
		return emit(ev, KEY_DIGIT, keypad_digits[code - KC_KP7], false);
	switch (code) {
	case KC_MINUS: case KC_KPMINUS: case KC_SPACE:
		return emit(ev, KEY_SEPARATOR, 0, false);
	case KC_BACKSPACE: case KC_DELETE: return emit(ev, KEY_BACKSPACE, 0, false);
	case KC_ENTER: case KC_KPENTER: return emit(ev, KEY_ENTER, 0, false);
	case KC_ESC: break;
	}
	return emit(ev, KEY_NONE, 0, false);
}

/* Medium-raw mode: one byte per press (keycode) or release (keycode | 0x80);
 * keycodes above 127 come as 0 (or 0x80) and two 7-bit bytes. */
static bool keycode_byte(struct key_decoder *d, unsigned char b, struct key_event *ev)
{
	if (d->skip) {
		d->skip--;
		return emit(ev, KEY_NONE, 0, false);
	}
	int code = b & 0x7f;
	bool down = !(b & 0x80);
	if (code == 0) {
		d->skip = 2;
		return emit(ev, KEY_NONE, 0, false);
	}
	switch (code) {
	case KC_LEFTSHIFT: case KC_RIGHTSHIFT: d->shift = down; break;
	case KC_LEFTCTRL: case KC_RIGHTCTRL: d->ctrl = down; break;
	case KC_LEFTALT: case KC_RIGHTALT: d->alt = down; break;
	default:
		if (down)
			return keycode_press(d, code, ev);
	}
	return emit(ev, KEY_NONE, 0, false);
}

bool key_decoder_feed(struct key_decoder *d, unsigned char byte, struct key_event *ev)
{
	return d->keycodes ? keycode_byte(d, byte, ev) : char_byte(d, byte, ev);
}

bool key_decoder_pending(const struct key_decoder *d)
{
	return !d->keycodes && d->len > 0;
}

void key_decoder_reset(struct key_decoder *d)
{
	d->len = 0;
}
