/* termtext.h - what text from outside may go to a terminal as it is.
 *
 * Step output, file names and ids come from outside drover, and on a
 * terminal a control character is a command: ESC starts sequences that
 * write the clipboard (OSC 52), retitle the window, clear the screen or
 * ask the terminal to type an answer back; an 8-bit C1 byte does the same
 * on some terminals; BEL rings, a bare CR overwrites the line; a bidi
 * control reorders the text after it so that it reads as something else.
 * This is the one definition of what is safe to show: the console draws
 * with it, and `drover logs` and `drover run -v` write with it when their
 * output is a terminal.
 *
 * Safe: printable characters of valid UTF-8, and TAB.  Everything else is
 * shown as visible ASCII that cannot act: "^[" for ESC (caret notation for
 * C0 and DEL), "<U+009B>" for a C1 control or a bidi control written as
 * UTF-8, "\x9b" for a byte that is not part of a UTF-8 character.
 */
#ifndef DROVER_TERMTEXT_H
#define DROVER_TERMTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum termtext_kind {
	TT_TEXT,	/* a character that may be shown as it is */
	TT_TAB,
	TT_CONTROL,	/* C0 but TAB, DEL, or C1 (U+0080-U+009F) */
	TT_BIDI,	/* U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069 */
	TT_BYTE,	/* a byte that does not start a valid UTF-8 character */
};

struct termtext_char {
	enum termtext_kind kind;
	size_t len;		/* its bytes */
	uint32_t cp;		/* the code point; for TT_BYTE the byte */
};

/* The longest form termtext_escape writes, with its NUL. */
#define TERMTEXT_ESCAPE_MAX 9

/* Classifies the character that starts s (len > 0), decoding UTF-8
 * strictly: no overlong forms, surrogates or values above U+10FFFF, and a
 * sequence cut short is a TT_BYTE of its first byte. */
void termtext_next(const char *s, size_t len, struct termtext_char *c);
/* Whether c may go to a terminal as its own bytes. */
bool termtext_safe(const struct termtext_char *c);
/* The visible stand-in for a character that is not safe (for a safe one,
 * ""); buf holds TERMTEXT_ESCAPE_MAX bytes.  Returns its length. */
size_t termtext_escape(const struct termtext_char *c, char buf[TERMTEXT_ESCAPE_MAX]);

/* Writes len bytes of s to fp with every unsafe character replaced by
 * its stand-in.  Without utf8 (the terminal takes single bytes) every
 * byte above 0x7f is shown as "\xNN": in a Latin-1 terminal 0x80-0x9f are
 * C1 controls even inside a valid UTF-8 character. */
void termtext_write(FILE *fp, const char *s, size_t len, bool utf8);
/* The same into a new string; caller frees. */
char *termtext_escaped(const char *s, size_t len, bool utf8);
/* Replaces every string (and member name) inside v by its escaped form,
 * in place: for printing a value built from outside on a terminal. */
struct cJSON;
void termtext_json(struct cJSON *v, bool utf8);
/* Whether the locale asks for UTF-8: the first of $LC_ALL, $LC_CTYPE and
 * $LANG that is set names UTF-8 (read once). */
bool termtext_utf8_locale(void);

#endif
