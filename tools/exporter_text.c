/* exporter_text.c - the exporter's text: chunked buffers, numbers, labels, bounds
 *
 * What exporter_metrics.c writes a scrape with: a buffer that grows in
 * chunks (or one contiguous block) so that megabytes of text are never
 * copied as they grow; integers and seconds in exact decimal; untrusted
 * strings as label values that every parser of the exposition formats
 * takes; and the histogram bounds, snapped to bucket ends (exporter.h).
 */
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "exporter.h"
#include "options.h"

/* Label values are cut at this many bytes of escaped text (esc_str),
 * before the exposition format's own escaping (which may double it). */
#define EXP_LABEL_MAX 1024

/* ---- the output buffer ---- */

void exp_buf_add(struct exp_buf *b, const char *s, size_t n)
{
	struct exp_chunk *t = b->tail;

	if (b->oom)
		return;
	if (b->contiguous) {
		size_t used = t ? t->len : 0;

		if (!t || used + n + 1 > t->cap) {
			size_t cap = t ? t->cap : 4096;

			while (cap < used + n + 1)
				cap *= 2;
			struct exp_chunk *p = realloc(t, sizeof(*p) + cap);

			if (!p) {
				b->oom = 1;
				return;
			}
			if (!t)
				*p = (struct exp_chunk){ 0 };
			p->cap = cap;
			b->head = b->tail = t = p;
		}
		memcpy(t->data + t->len, s, n);
		t->len += n;
		t->data[t->len] = '\0';
		b->len += n;
		return;
	}
	while (n) {
		if (!t || t->len == t->cap) {
			struct exp_chunk *c = malloc(sizeof(*c) + EXP_CHUNK_BYTES);

			if (!c) {
				b->oom = 1;
				return;
			}
			*c = (struct exp_chunk){ .cap = EXP_CHUNK_BYTES };
			if (t)
				t->next = c;
			else
				b->head = c;
			b->tail = t = c;
		}
		size_t take = n < t->cap - t->len ? n : t->cap - t->len;

		memcpy(t->data + t->len, s, take);
		t->len += take;
		b->len += take;
		s += take;
		n -= take;
	}
}

void exp_buf_free(struct exp_buf *b)
{
	int contiguous = b->contiguous;

	for (struct exp_chunk *c = b->head, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	*b = (struct exp_buf){ .contiguous = contiguous };
}

/* The text of a contiguous buffer ("" when empty). */
const char *exp_buf_str(const struct exp_buf *b)
{
	return b->head ? b->head->data : "";
}

/* Empties a contiguous buffer, keeping its memory. */
void exp_buf_reset(struct exp_buf *b)
{
	if (b->head) {
		b->head->len = 0;
		b->head->data[0] = '\0';
	}
	b->len = 0;
}

/* Moves the chunks of `from` to the end of `to` (no copy); from is left
 * empty. */
void exp_buf_splice(struct exp_buf *to, struct exp_buf *from)
{
	if (!from->head)
		return;
	if (to->tail)
		to->tail->next = from->head;
	else
		to->head = from->head;
	to->tail = from->tail;
	to->len += from->len;
	to->oom |= from->oom;
	*from = (struct exp_buf){ 0 };
}

void exp_put_str(struct exp_buf *b, const char *s)
{
	exp_buf_add(b, s, strlen(s));
}

/* v in decimal, then `end` (a newline) when it is not NUL: one append. */
static void put_digits(struct exp_buf *b, uint64_t v, char end)
{
	char tmp[24];
	int i = sizeof(tmp) - (end != 0);

	if (end)
		tmp[i] = end;
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	exp_buf_add(b, tmp + i, sizeof(tmp) - (size_t)i);
}

void exp_put_u64(struct exp_buf *b, uint64_t v)
{
	put_digits(b, v, 0);
}

void exp_put_u64_nl(struct exp_buf *b, uint64_t v)
{
	put_digits(b, v, '\n');
}

/* ns as seconds, in decimal and exact: "12", "0.000000999", "1.5". */
void exp_put_seconds(struct exp_buf *b, uint64_t ns)
{
	char frac[10];
	uint64_t f = ns % 1000000000u;
	int n = 9;

	exp_put_u64(b, ns / 1000000000u);
	if (!f)
		return;
	for (int i = 8; i >= 0; i--, f /= 10)
		frac[i + 1] = (char)('0' + f % 10);
	frac[0] = '.';
	while (frac[n] == '0')
		n--;
	exp_buf_add(b, frac, (size_t)n + 1);
}

/* An untrusted string as a label value (without the quotes): made valid,
 * printable UTF-8 by esc_str (escape.h: controls, bidi controls and bytes
 * that are not UTF-8 as \xHH, a backslash as \\), then escaped as the
 * exposition formats say (backslash, double quote; no newline is left).
 * Prometheus refuses a whole scrape with one label value that is not
 * UTF-8, so the first step is not optional. */
void exp_put_label_value(struct exp_buf *b, const char *s)
{
	char safe[EXP_LABEL_MAX];
	const char *p = esc_str(safe, sizeof(safe), s), *run = p;

	for (; *p; p++) {
		if (*p != '\\' && *p != '"')
			continue;
		exp_buf_add(b, run, (size_t)(p - run));
		exp_buf_add(b, *p == '\\' ? "\\\\" : "\\\"", 2);
		run = p + 1;
	}
	exp_buf_add(b, run, (size_t)(p - run));
}

/* ---- bucket bounds ---- */

uint64_t exp_snap_bound(uint64_t ns)
{
	unsigned i = ppf_bucket(ns);
	uint64_t lower = ppf_bucket_lower(i), end = lower + ppf_bucket_width(i) - 1;

	if (ns == end || lower == 0)
		return end;
	/* the end of the bucket below is lower - 1 */
	return ns - (lower - 1) <= end - ns ? lower - 1 : end;
}

void exp_default_bounds(struct exp_config *cfg)
{
	static const uint64_t steps[] = { 1, 2, 5 };
	uint64_t decade = 1000;		/* 1 us */

	cfg->nle = 0;
	for (; decade <= 1000000000u; decade *= 10)
		for (int k = 0; k < 3; k++)
			cfg->le_ns[cfg->nle++] = exp_snap_bound(steps[k] * decade);
	cfg->le_ns[cfg->nle++] = exp_snap_bound(10000000000ull);	/* 10 s */
}

int exp_parse_bounds(const char *list, struct exp_config *cfg, char *err, size_t errlen)
{
	uint64_t le[EXP_MAX_BOUNDS];
	size_t n = 0;
	char *copy = strdup(list), *save = NULL;

	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint64_t ns;

		if (opt_parse_time(tok, &ns) || ns == 0) {
			snprintf(err, errlen, "--buckets: '%s' is not a time above 0 (e.g. 250us, 1.5s)",
				 tok);
			goto fail;
		}
		if (n == EXP_MAX_BOUNDS) {
			snprintf(err, errlen, "--buckets: more than %d bounds", EXP_MAX_BOUNDS);
			goto fail;
		}
		le[n] = exp_snap_bound(ns);
		if (n && le[n] <= le[n - 1]) {
			snprintf(err, errlen, "--buckets: '%s' is not above the bound before it (bounds"
				 " ascend, and fall on the histogram's buckets, 1/128 apart)", tok);
			goto fail;
		}
		n++;
	}
	if (!n) {
		snprintf(err, errlen, "--buckets: no bound given");
		goto fail;
	}
	free(copy);
	memcpy(cfg->le_ns, le, n * sizeof(*le));
	cfg->nle = n;
	return 0;
fail:
	free(copy);
	return -1;
}
