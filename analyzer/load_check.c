/* load_check.c - validating a dump's header and tables
 *
 * Nothing in a dump is trusted.  Before a field is used the loader checks:
 * magic, version (PPF_VERSION_MIN..PPF_VERSION), header_size, used_size
 * against the bytes there are; every table (modules, threads, strings,
 * timeline, caches, and from version 4 the thread info) for count <=
 * capacity, alignment, bounds and overlap with the header and the other
 * tables; module paths, thread names, cache names and the command line for
 * their NUL; thread and cache states (EXITED from version 4).  A
 * dump whose header or tables fail is refused before anything of it is
 * merged (the load returns -1 with the reason, the profile unchanged).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "load_priv.h"

int load_fail(struct load_dump *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->err, d->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

struct table {
	const char *what;
	uint64_t off, bytes;
};

/* Checks one table of `cap` elements of `size` bytes at `off`, `count` used. */
static int check_table(struct load_dump *d, struct table *t, const char *what, uint64_t off,
		       uint32_t cap, uint32_t count, size_t size, unsigned align)
{
	t->what = what;
	t->off = off;
	t->bytes = (uint64_t)cap * size;
	if (count > cap)
		return load_fail(d, "%s table: count %" PRIu32 " exceeds its capacity %" PRIu32,
			    what, count, cap);
	if (cap == 0)
		return 0;
	if (off % align)
		return load_fail(d, "%s table at offset %#" PRIx64 " is not %u-byte aligned",
			    what, off, align);
	if (!load_in_data(d, off, t->bytes))
		return load_fail(d, "%s table at offset %#" PRIx64 " (%" PRIu64
			    " bytes) is outside the data (%" PRIu64 " bytes after the header)",
			    what, off, t->bytes, d->used - sizeof(struct ppf_header));
	return 0;
}

const char *load_name_at(const struct load_dump *d, uint64_t off, char *why, size_t whylen)
{
	const struct ppf_header *h = d->h;

	if (off >= h->strtab_used) {
		snprintf(why, whylen, "name offset %" PRIu64 " is outside the string table (%"
			 PRIu32 " bytes)", off, h->strtab_used);
		return NULL;
	}
	const char *s = (const char *)d->buf + h->strtab_off + off;

	if (!memchr(s, '\0', h->strtab_used - off)) {
		snprintf(why, whylen, "name at string offset %" PRIu64 " is not NUL-terminated",
			 off);
		return NULL;
	}
	return s;
}

int load_check_header(struct load_dump *d, size_t len)
{
	const struct ppf_header *h = (const struct ppf_header *)d->buf;

	if (len < PPF_MAGIC_LEN || memcmp(h->magic, PPF_MAGIC, PPF_MAGIC_LEN) != 0)
		return load_fail(d, "not a paraprof dump (bad magic)");
	if (len < 16)
		return load_fail(d, "truncated: %zu bytes, the header needs %zu", len,
			    sizeof(struct ppf_header));
	if (h->version < PPF_VERSION_MIN || h->version > PPF_VERSION)
		return load_fail(d, "unsupported format version %" PRIu32 " (this paraprof reads %d"
			    " to %d)", h->version, PPF_VERSION_MIN, PPF_VERSION);
	if (len < sizeof(*h))
		return load_fail(d, "truncated: %zu bytes, the header needs %zu", len, sizeof(*h));
	if (h->header_size != sizeof(*h))
		return load_fail(d, "header_size %" PRIu32 ", version %d has %zu", h->header_size,
			    PPF_VERSION, sizeof(*h));
	if (h->used_size < sizeof(*h))
		return load_fail(d, "used_size %" PRIu64 " is smaller than the header (%zu)",
			    h->used_size, sizeof(*h));
	if (h->used_size > len)
		return load_fail(d, "truncated: %zu bytes, the header says %" PRIu64, len,
			    h->used_size);
	d->h = h;
	d->used = h->used_size;
	d->rec_size = h->version >= 5 ? sizeof(struct ppf_record) :
		      h->version == 4 ? PPF_RECORD_SIZE_V4 :
		      h->version == 3 ? PPF_RECORD_SIZE_V3 : PPF_RECORD_SIZE_V2;
	if (!memchr(h->cmdline, '\0', sizeof(h->cmdline)))
		return load_fail(d, "command line is not NUL-terminated");

	struct table t[5];

	if (check_table(d, &t[0], "module", h->module_off, h->module_cap, h->module_count,
			sizeof(struct ppf_module), 8) ||
	    check_table(d, &t[1], "thread", h->thread_off, h->thread_cap, h->thread_count,
			sizeof(struct ppf_thread), 8) ||
	    check_table(d, &t[2], "string", h->strtab_off, h->strtab_cap, h->strtab_used, 1, 1) ||
	    check_table(d, &t[3], "timeline", h->timeline_off, h->timeline_cap,
			h->timeline_count, sizeof(struct ppf_mem_sample), 8) ||
	    check_table(d, &t[4], "cache", h->cache_off, h->cache_cap, h->cache_count,
			sizeof(struct ppf_cache), 8))
		return -1;
	for (int i = 0; i < 5; i++)
		for (int j = i + 1; j < 5; j++)
			if (t[i].bytes && t[j].bytes && t[i].off < t[j].off + t[j].bytes &&
			    t[j].off < t[i].off + t[i].bytes)
				return load_fail(d, "%s table overlaps the %s table", t[i].what,
					    t[j].what);

	const struct ppf_module *mods = (const void *)(d->buf + h->module_off);

	for (uint32_t i = 0; i < h->module_count; i++) {
		if (!memchr(mods[i].path, '\0', sizeof(mods[i].path)))
			return load_fail(d, "module %" PRIu32 ": path is not NUL-terminated", i);
		if (mods[i].build_id_len > PPF_BUILD_ID_MAX)
			return load_fail(d, "module %" PRIu32 ": build_id_len %" PRIu32 " exceeds %d",
				    i, mods[i].build_id_len, PPF_BUILD_ID_MAX);
	}
	const struct ppf_thread *thr = (const void *)(d->buf + h->thread_off);

	/* version 4: exited threads' areas, and their start and stop times */
	if (h->version >= 4 && h->thread_info_off) {
		struct table ti;

		if (check_table(d, &ti, "thread info", h->thread_info_off, h->thread_cap,
				h->thread_count, sizeof(struct ppf_thread_info), 8))
			return -1;
		for (int i = 0; i < 5; i++)
			if (t[i].bytes && ti.bytes && t[i].off < ti.off + ti.bytes &&
			    ti.off < t[i].off + t[i].bytes)
				return load_fail(d, "thread info table overlaps the %s table",
					    t[i].what);
	}
	for (uint32_t i = 0; i < h->thread_count; i++) {
		if (thr[i].state > (h->version >= 4 ? PPF_THREAD_EXITED : PPF_THREAD_PROCESS))
			return load_fail(d, "thread %" PRIu32 ": unknown state %" PRIu32, i,
				    thr[i].state);
		if (!memchr(thr[i].name, '\0', sizeof(thr[i].name)))
			return load_fail(d, "thread %" PRIu32 ": name is not NUL-terminated", i);
	}
	const struct ppf_cache *caches = (const void *)(d->buf + h->cache_off);

	for (uint32_t i = 0; i < h->cache_count; i++) {
		if (caches[i].state > PPF_CACHE_FREED)
			return load_fail(d, "cache %" PRIu32 ": unknown state %" PRIu32, i,
				    caches[i].state);
		char why[128];

		if (caches[i].state != PPF_CACHE_UNUSED &&
		    !load_name_at(d, caches[i].name, why, sizeof(why)))
			return load_fail(d, "cache %" PRIu32 ": %s", i, why);
	}
	return 0;
}
