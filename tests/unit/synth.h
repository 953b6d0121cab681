/* synth.h - synthetic dumps for the analyzer's unit tests
 *
 * Builds a dump in memory exactly as format.h lays it out (header, tables,
 * then records and histogram pages from a bump allocator), so that tests can
 * make valid dumps with known contents and then break one field at a time.
 * Everything is addressed by offset because the buffer is fixed in size:
 * SYNTH_CAP bytes, calloc'ed by synth_new() and freed by synth_free().
 */
#ifndef PARAPROF_TEST_SYNTH_H
#define PARAPROF_TEST_SYNTH_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "paraprof/format.h"

#define SYNTH_CAP (4u << 20)
#define SYNTH_LOAD 0x555555554000ull	/* load address of the fake executable */

struct synth {
	unsigned char *buf;
	uint64_t used;
};

static inline struct ppf_header *synth_hdr(struct synth *s)
{
	return (struct ppf_header *)s->buf;
}

static inline uint64_t synth_alloc(struct synth *s, uint64_t n)
{
	uint64_t off = (s->used + 7) & ~7ull;

	s->used = off + n;
	synth_hdr(s)->used_size = s->used;
	return off;
}

static inline struct ppf_thread *synth_thread(struct synth *s, unsigned t)
{
	return (struct ppf_thread *)(s->buf + synth_hdr(s)->thread_off) + t;
}

static inline struct ppf_record *synth_rec(struct synth *s, uint64_t off)
{
	return (struct ppf_record *)(s->buf + off);
}

/* A header with room for 8 modules, 8 threads, 4 KiB of strings, 64
 * timeline samples and 4 caches; area 0 (process) and one thread in use,
 * one module (/bin/fake at SYNTH_LOAD, code at +0x1000..+0x100000). */
static inline struct synth *synth_new(uint32_t pid, const char *cmdline)
{
	struct synth *s = calloc(1, sizeof(*s));
	struct ppf_header *h;

	s->buf = calloc(1, SYNTH_CAP);
	h = synth_hdr(s);
	memcpy(h->magic, PPF_MAGIC, PPF_MAGIC_LEN);
	h->version = PPF_VERSION;
	h->header_size = sizeof(*h);
	h->reserved_size = SYNTH_CAP;
	h->pid = pid;
	h->ppid = 1;
	h->flags = PPF_FLAG_ENABLED | PPF_FLAG_COMPLETE;
	h->ticks_per_sec = 1000000000;
	h->start_realtime_ns = 1700000000ull * 1000000000ull;
	h->start_ns = 1000000000;
	h->stop_ns = 3000000000;	/* wall 2 s */
	h->last_ns = 2990000000u;
	snprintf(h->cmdline, sizeof(h->cmdline), "%s", cmdline);
	s->used = sizeof(*h);
	h->module_off = synth_alloc(s, 8 * sizeof(struct ppf_module));
	h->module_cap = 8;
	h->thread_off = synth_alloc(s, 8 * sizeof(struct ppf_thread));
	h->thread_cap = 8;
	h->strtab_off = synth_alloc(s, 4096);
	h->strtab_cap = 4096;
	h->strtab_used = 1;		/* offset 0: "", meaning no name */
	h->timeline_off = synth_alloc(s, 64 * sizeof(struct ppf_mem_sample));
	h->timeline_cap = 64;
	h->cache_off = synth_alloc(s, 4 * sizeof(struct ppf_cache));
	h->cache_cap = 4;

	struct ppf_module *m = (struct ppf_module *)(s->buf + h->module_off);

	m->load_addr = SYNTH_LOAD;
	m->lo = SYNTH_LOAD + 0x1000;
	m->hi = SYNTH_LOAD + 0x100000;
	m->build_id_len = 4;
	memcpy(m->build_id, "\x01\x02\x03\x04", 4);
	strcpy(m->path, "/bin/fake");
	h->module_count = 1;
	h->thread_count = 2;
	synth_thread(s, 0)->state = PPF_THREAD_PROCESS;
	synth_thread(s, 1)->state = PPF_THREAD_ACTIVE;
	synth_thread(s, 1)->tid = pid + 1;
	strcpy(synth_thread(s, 1)->name, "worker");
	return s;
}

static inline void synth_free(struct synth *s)
{
	free(s->buf);
	free(s);
}

/* Adds module-table entry `path` loaded at `load` with code at
 * +0x1000..+0x2000 (`unloaded`: dlclose()d since); returns the value a
 * record made in it carries in record.module (1 + its index). */
static inline uint32_t synth_module(struct synth *s, const char *path, uint64_t load,
				    int unloaded)
{
	struct ppf_header *h = synth_hdr(s);
	struct ppf_module *m = (struct ppf_module *)(s->buf + h->module_off) + h->module_count;

	m->load_addr = load;
	m->lo = load + 0x1000;
	m->hi = load + 0x2000;
	m->unloaded = (uint32_t)unloaded;
	snprintf(m->path, sizeof(m->path), "%s", path);
	return ++h->module_count;
}

/* Interns a name; returns its string-table offset. */
static inline uint32_t synth_string(struct synth *s, const char *name)
{
	struct ppf_header *h = synth_hdr(s);
	uint32_t off = h->strtab_used;

	strcpy((char *)s->buf + h->strtab_off + off, name);
	h->strtab_used += (uint32_t)strlen(name) + 1;
	return off;
}

/* A new empty record at the head of thread t's list; returns its offset. */
static inline uint64_t synth_record(struct synth *s, unsigned t, unsigned kind, uint64_t key)
{
	size_t size = sizeof(struct ppf_record) +
		      (kind == PPF_KIND_ENDPOINT ? sizeof(struct ppf_endpoint_tail) : 0);
	uint64_t off = synth_alloc(s, size);
	struct ppf_record *r = synth_rec(s, off);
	struct ppf_thread *th = synth_thread(s, t);

	r->key = key;
	r->kind = (uint16_t)kind;
	r->size = (uint16_t)size;
	r->min_ns = UINT64_MAX;
	r->next = th->records;
	th->records = off;
	th->record_count++;
	return off;
}

/* A function record for ELF address `elf` of /bin/fake. */
static inline uint64_t synth_func(struct synth *s, unsigned t, uint64_t elf)
{
	return synth_record(s, t, PPF_KIND_FUNCTION, SYNTH_LOAD + elf);
}

/* Records `times` calls of `ns` each (self time = ns, outermost frames). */
static inline void synth_calls(struct synth *s, uint64_t off, uint64_t ns, uint64_t times)
{
	struct ppf_record *r = synth_rec(s, off);
	unsigned b = ppf_bucket(ns), p = b / PPF_SUB;

	if (!r->pages[p]) {
		/* pages are 512-byte aligned, as the runtime's are */
		uint64_t at = (s->used + PPF_PAGE_BYTES - 1) & ~(uint64_t)(PPF_PAGE_BYTES - 1);

		s->used = at;
		synth_alloc(s, PPF_PAGE_BYTES);
		r = synth_rec(s, off);
		r->pages[p] = (uint32_t)(at / PPF_PAGE_BYTES);
	}
	((uint64_t *)(s->buf + (uint64_t)r->pages[p] * PPF_PAGE_BYTES))[b % PPF_SUB] += times;
	r->calls += times;
	r->sum_ns += ns * times;
	r->inclusive_ns += ns * times;
	r->self_ns += ns * times;
	if (ns < r->min_ns)
		r->min_ns = ns;
	if (ns > r->max_ns)
		r->max_ns = ns;
	r->rss_sum_kib += 1024 * times;
	r->rss_max_kib = 1024;
}

static inline uint64_t *synth_page(struct synth *s, uint64_t off, unsigned p)
{
	return (uint64_t *)(s->buf + (uint64_t)synth_rec(s, off)->pages[p] * PPF_PAGE_BYTES);
}

#endif /* PARAPROF_TEST_SYNTH_H */
