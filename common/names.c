/* names.c - the names of segments and dumps, built and parsed in one place
 *
 * See names.h.  The builders append through a small bounded buffer (struct
 * ppc_buf) instead of snprintf, so that the library may call them where
 * stdio is not safe.
 */
#include <stdio.h>
#include <string.h>

#include "paraprof/format.h"
#include "names.h"

void ppc_buf_str(struct ppc_buf *b, const char *str)
{
	if (!b->cap)
		return;
	while (*str && b->len + 1 < b->cap)
		b->s[b->len++] = *str++;
	b->s[b->len] = 0;
}

void ppc_buf_num(struct ppc_buf *b, uint64_t v)
{
	char digits[24];
	int n = 0;

	if (!b->cap)
		return;
	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	while (n && b->len + 1 < b->cap)
		b->s[b->len++] = digits[--n];
	b->s[b->len] = 0;
}

void ppc_buf_hex(struct ppc_buf *b, uint64_t v)
{
	if (!b->cap)
		return;
	for (int i = 60; i >= 0 && b->len + 1 < b->cap; i -= 4)
		b->s[b->len++] = "0123456789abcdef"[(v >> i) & 15];
	b->s[b->len] = 0;
}

void ppc_segment_name(char *buf, size_t len, uint32_t pid, uint64_t pidns, uint64_t start,
		      unsigned n)
{
	int k = snprintf(buf, len, PPF_SEGMENT_FMT, pid, (unsigned long long)pidns,
			 (unsigned long long)start);

	if (n && k > 0 && (size_t)k < len)
		snprintf(buf + k, len - (size_t)k, "-%u", n);
}

/* Reads an unsigned decimal of 1-20 digits; NULL when there is none or it
 * overflows 64 bits. */
static const char *read_u64(const char *p, uint64_t *v)
{
	const char *start = p;

	*v = 0;
	for (; *p >= '0' && *p <= '9'; p++)
		if (__builtin_mul_overflow(*v, 10, v) ||
		    __builtin_add_overflow(*v, (uint64_t)(*p - '0'), v))
			return NULL;
	return p > start ? p : NULL;
}

int ppc_segment_parse(const char *name, struct ppc_segment_id *id)
{
	const size_t plen = sizeof(PPF_SEGMENT_PREFIX) - 1;
	uint64_t v;
	const char *p;

	memset(id, 0, sizeof(*id));
	if (strncmp(name, PPF_SEGMENT_PREFIX, plen) != 0)
		return 0;
	p = read_u64(name + plen, &v);
	if (!p || v == 0 || v > INT32_MAX)
		return 0;
	id->pid = (uint32_t)v;
	if (*p == '\0') {
		id->legacy = 1;
		return 1;
	}
	if (*p != '.' || !(p = read_u64(p + 1, &id->pidns)) || *p != '.' ||
	    !(p = read_u64(p + 1, &id->start)))
		return 0;
	if (*p == '-') {
		if (!(p = read_u64(p + 1, &v)) || v == 0 || v > UINT32_MAX)
			return 0;
		id->dup = (uint32_t)v;
	}
	return *p == '\0';
}

void ppc_segment_glob(char *buf, size_t len, long pid)
{
	snprintf(buf, len, "%s/%s%ld.*", PPF_SHM_DIR, PPF_SEGMENT_PREFIX, pid);
}

void ppc_dump_stem(char *buf, size_t len, const char *prefix, uint64_t pid, uint64_t gen)
{
	struct ppc_buf b = { buf, len, 0 };

	ppc_buf_str(&b, prefix);
	ppc_buf_num(&b, pid);
	if (gen) {
		ppc_buf_str(&b, ".");
		ppc_buf_num(&b, gen);
	}
}

void ppc_dump_file(char *buf, size_t len, const char *stem, unsigned n)
{
	struct ppc_buf b = { buf, len, 0 };

	ppc_buf_str(&b, stem);
	if (n) {
		ppc_buf_str(&b, "-");
		ppc_buf_num(&b, n);
	}
	ppc_buf_str(&b, PPF_DUMP_SUFFIX);
}

/* Skips one or more digits; returns NULL when there is none. */
static const char *skip_digits(const char *p)
{
	const char *start = p;

	while (*p >= '0' && *p <= '9')
		p++;
	return p > start ? p : NULL;
}

/* Is `name` PREFIX<pid>[.<n>][-<k>].ppd? */
static int has_dump_form(const char *name, const char *prefix)
{
	size_t len = strlen(prefix);
	const char *p;

	if (strncmp(name, prefix, len) != 0)
		return 0;
	p = skip_digits(name + len);
	if (p && *p == '.' && p[1] >= '0' && p[1] <= '9')
		p = skip_digits(p + 1);
	if (p && *p == '-')
		p = skip_digits(p + 1);
	return p && strcmp(p, PPF_DUMP_SUFFIX) == 0;
}

enum ppc_dump_kind ppc_dump_kind(const char *name)
{
	return has_dump_form(name, PPC_DUMP_PREFIX) ? PPC_DUMP_NORMAL :
	       has_dump_form(name, PPC_SNAPSHOT_PREFIX) ? PPC_DUMP_SNAPSHOT :
	       has_dump_form(name, PPC_STALE_PREFIX) ? PPC_DUMP_STALE : PPC_DUMP_NONE;
}
