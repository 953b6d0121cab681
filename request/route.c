/* route.c - endpoint names: a request's method and path as "METHOD /route"
 *
 * Pure code (no clock, no lock, no segment: tests/unit/test_route.c links
 * this file alone).  A path is cut at its query string or fragment, an
 * absolute URI loses its scheme and authority, and the route is either the
 * first registered template that matches segment by segment or the path
 * with its id segments (digits, UUIDs, long hex) replaced by "{id}", so
 * that GET /api/agents/42 and GET /api/agents/43 are one endpoint.  The
 * name is bounded and printable: what does not fit is cut and ends with
 * "...", and bytes that are not printable ASCII become '?'.
 */
#include <string.h>
#include <strings.h>

#include "request.h"

static int is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

int request_is_id(const char *s, size_t len)
{
	size_t digits = 0, hex = 0;

	if (!len)
		return 0;
	for (size_t i = 0; i < len; i++) {
		digits += s[i] >= '0' && s[i] <= '9';
		hex += is_hex((unsigned char)s[i]);
	}
	if (digits == len || (hex == len && len >= 16))
		return 1;
	if (len != 36)
		return 0;
	for (size_t i = 0; i < 36; i++) {	/* 8-4-4-4-12 */
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!is_hex((unsigned char)s[i])) {
			return 0;
		}
	}
	return 1;
}

int request_template_valid(const char *tpl, size_t max)
{
	size_t n = 0;

	if (!tpl || tpl[0] != '/')
		return 0;
	for (; tpl[n]; n++)
		if ((unsigned char)tpl[n] < 0x21 || (unsigned char)tpl[n] > 0x7e ||
		    tpl[n] == '?' || tpl[n] == '#')
			return 0;
	return n < max;
}

/* A bounded writer: what does not fit is dropped and remembered. */
struct out {
	char *buf;
	size_t cap;		/* bytes of buf, > 0 */
	size_t len;		/* bytes written, < cap */
	int cut;		/* something did not fit */
};

/* Appends n bytes of s; with `clean`, bytes that are not printable ASCII
 * become '?'. */
static void put(struct out *o, const char *s, size_t n, int clean)
{
	size_t room = o->cap - 1 - o->len;

	if (n > room) {
		n = room;
		o->cut = 1;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		o->buf[o->len++] = !clean || (c >= 0x21 && c <= 0x7e) ? (char)c : '?';
	}
}

static size_t finish(struct out *o)
{
	if (o->cut && o->cap >= 4) {
		o->len = o->cap - 1;
		memcpy(o->buf + o->len - 3, "...", 3);
	}
	o->buf[o->len] = '\0';
	return o->len;
}

/* 1 when the path [p, end) (starting with '/') matches template tpl
 * segment by segment. */
static int template_match(const char *tpl, const char *p, const char *end)
{
	while (*tpl == '/' && p < end && *p == '/') {
		const char *te, *pe;
		size_t tl, pl;

		tpl++;
		p++;
		te = tpl + strcspn(tpl, "/");
		pe = memchr(p, '/', (size_t)(end - p));
		if (!pe)
			pe = end;
		tl = (size_t)(te - tpl);
		pl = (size_t)(pe - p);
		if (tl >= 2 && tpl[0] == '{' && tpl[tl - 1] == '}') {
			if (!pl)
				return 0;
		} else if (tl != pl || memcmp(tpl, p, tl) != 0) {
			return 0;
		}
		tpl = te;
		p = pe;
		if (!*tpl)
			return p == end;
	}
	return 0;
}

size_t request_normalise(const char *method, const char *path,
			 const char *const *templates, unsigned ntemplates,
			 char *out, size_t cap)
{
	struct out o = { out, cap, 0, 0 };
	size_t mlen = strnlen(method, REQUEST_METHOD_MAX);
	const char *p = path, *end, *seg;

	if (!cap)
		return 0;
	if (mlen)
		put(&o, method, mlen, 1);
	else
		put(&o, "-", 1, 0);
	put(&o, " ", 1, 0);

	/* an absolute URI: only its path counts */
	if (!strncasecmp(p, "http://", 7))
		p += 7 + strcspn(p + 7, "/?#");
	else if (!strncasecmp(p, "https://", 8))
		p += 8 + strcspn(p + 8, "/?#");
	end = p + strcspn(p, "?#");
	if (p == end) {
		put(&o, "/", 1, 0);
		return finish(&o);
	}
	if (*p == '/')
		for (unsigned i = 0; i < ntemplates; i++)
			if (template_match(templates[i], p, end)) {
				put(&o, templates[i], strlen(templates[i]), 1);
				return finish(&o);
			}

	put(&o, "/", 1, 0);
	seg = *p == '/' ? p + 1 : p;
	for (;;) {
		const char *e = memchr(seg, '/', (size_t)(end - seg));
		size_t len;

		if (!e)
			e = end;
		len = (size_t)(e - seg);
		if (request_is_id(seg, len))
			put(&o, "{id}", 4, 0);
		else
			put(&o, seg, len, 1);
		if (e == end || o.cut)
			break;
		put(&o, "/", 1, 0);
		seg = e + 1;
	}
	return finish(&o);
}
