/* escape.h - untrusted strings made safe for a terminal
 *
 * Names in a dump (functions, regions, spans, routes, thread names, module
 * paths) and the command line come from the profiled program, i.e. from
 * anyone.  Printed raw, an escape sequence in them would drive the reader's
 * terminal (move the cursor, rewrite earlier lines, set the title).  Text
 * output and messages therefore print them through esc_fputs(): valid UTF-8
 * that is printable passes unchanged; C0 and C1 control characters, DEL,
 * bytes that are not valid UTF-8, and the Unicode controls that reorder or
 * hide text (U+200E/F, U+202A-E, U+2066-9, U+2028/9) come out as \xHH per
 * byte, and a backslash as \\, so that the output is unambiguous.  (JSON and
 * CSV have escapers of their own.)
 *
 * Header-only (static inline) so that the launcher, a program of its own,
 * shares the one definition.
 */
#ifndef PARAPROF_ESCAPE_H
#define PARAPROF_ESCAPE_H

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* Length (1-4) of the valid UTF-8 sequence at s, or 0 when it is not one;
 * s is NUL-terminated, so a truncated sequence stops at its NUL. */
static inline int esc_utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xe0 && s[0] <= 0xef) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0))
			return 0;	/* overlong, surrogate */
		return 3;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		if ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
			return 0;
		return 4;
	}
	return 0;
}

/* 1 when the n-byte UTF-8 sequence at s may be printed as it is. */
static inline int esc_printable(const unsigned char *s, int n)
{
	if (n == 1)
		return s[0] >= 0x20 && s[0] != 0x7f && s[0] != '\\';
	if (n == 2)
		return !(s[0] == 0xc2 && s[1] < 0xa0);	/* C1 controls U+0080-009F */
	if (n == 3 && s[0] == 0xe2 && s[1] == 0x80)	/* U+2000-203F */
		return !((s[2] >= 0x8e && s[2] <= 0x8f) || (s[2] >= 0xa8 && s[2] <= 0xae));
	if (n == 3 && s[0] == 0xe2 && s[1] == 0x81)	/* U+2040-207F */
		return !(s[2] >= 0xa6 && s[2] <= 0xa9);
	return 1;
}

/* Writes the escaped form of `s` into buf (always NUL-terminated when
 * size > 0, cut at a whole escape) and returns buf.  NULL prints as "". */
static inline char *esc_str(char *buf, size_t size, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t at = 0;

	if (!size)
		return buf;
	while (*p) {
		int n = esc_utf8_len(p), ok = n && esc_printable(p, n);
		size_t need = ok ? (size_t)n : *p == '\\' ? 2 : 4;

		if (at + need >= size)
			break;
		if (ok) {
			for (int i = 0; i < n; i++)
				buf[at++] = (char)p[i];
			p += n;
		} else if (*p == '\\') {
			buf[at++] = '\\';
			buf[at++] = '\\';
			p++;
		} else {
			/* a rejected sequence is escaped byte by byte */
			for (int i = 0, k = n ? n : 1; i < k; i++, p++) {
				if (at + 4 >= size)
					break;
				buf[at++] = '\\';
				buf[at++] = 'x';
				buf[at++] = hex[*p >> 4];
				buf[at++] = hex[*p & 15];
			}
		}
	}
	buf[at] = '\0';
	return buf;
}

/* Prints the escaped form of `s` on `out`; returns EOF on a write error. */
static inline int esc_fputs(const char *s, FILE *out)
{
	char buf[256];
	const char *p = s ? s : "";

	/* in pieces of whole sequences: esc_str stops before one that does
	 * not fit, so cut the input at a sequence boundary too */
	while (*p) {
		size_t take = 0;

		while (p[take] && take < 60) {
			int n = esc_utf8_len((const unsigned char *)p + take);

			take += n ? (size_t)n : 1;
		}
		char piece[68];

		memcpy(piece, p, take);
		piece[take] = '\0';
		if (fputs(esc_str(buf, sizeof(buf), piece), out) == EOF)
			return EOF;
		p += take;
	}
	return 0;
}

#endif /* PARAPROF_ESCAPE_H */
