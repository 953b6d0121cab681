/* synth.c - synthetic dumps, built in memory as format.h lays them out
 *
 * See synth.h.  The unit tests link it with libpp_common.a, and so does
 * bench/gen_dump.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/record.h"
#include "synth.h"

/* The program that uses the writer cannot go on: says why, exits 1. */
static void synth_fail(const char *what)
{
	fprintf(stderr, "%s: %s\n", program_invocation_short_name, what);
	exit(1);
}

uint64_t synth_alloc(struct synth *s, uint64_t n, uint64_t align)
{
	uint64_t off = (s->used + align - 1) & ~(align - 1);

	if (off + n > s->cap) {
		uint64_t cap = s->cap ? s->cap : 1 << 20;
		unsigned char *grown;

		while (cap < off + n)
			cap *= 2;
		grown = realloc(s->buf, cap);
		if (!grown)
			synth_fail("out of memory");
		memset(grown + s->cap, 0, cap - s->cap);
		s->buf = grown;
		s->cap = cap;
	}
	s->used = off + n;
	if (s->used >= sizeof(struct ppf_header))
		synth_hdr(s)->used_size = s->used;
	return off;
}

void synth_init(struct synth *s, uint64_t cap, const struct synth_layout *l)
{
	uint64_t modules, threads, thread_info = 0, strtab, timeline, caches;
	struct ppf_header *h;

	s->buf = calloc(1, cap);
	if (!s->buf)
		synth_fail("out of memory");
	s->cap = cap;
	s->used = 0;
	synth_alloc(s, sizeof(struct ppf_header), 1);
	modules = synth_alloc(s, (uint64_t)l->modules * sizeof(struct ppf_module), l->align);
	threads = synth_alloc(s, (uint64_t)l->threads * sizeof(struct ppf_thread), l->align);
	if (synth_version >= 4)
		thread_info = synth_alloc(s, (uint64_t)l->threads * sizeof(struct ppf_thread_info),
					  l->align);
	strtab = synth_alloc(s, l->strtab, l->align);
	timeline = synth_alloc(s, (uint64_t)l->timeline * sizeof(struct ppf_mem_sample), l->align);
	caches = synth_alloc(s, (uint64_t)l->caches * sizeof(struct ppf_cache), l->align);
	/* (the allocations may have moved the image: the header is taken now) */
	h = synth_hdr(s);
	memcpy(h->magic, PPF_MAGIC, PPF_MAGIC_LEN);
	h->version = synth_version;
	h->header_size = sizeof(struct ppf_header);
	h->module_off = modules;
	h->module_cap = l->modules;
	h->thread_off = threads;
	h->thread_cap = l->threads;
	h->thread_info_off = thread_info;
	h->strtab_off = strtab;
	h->strtab_cap = l->strtab;
	h->strtab_used = 1;	/* offset 0: "", meaning no name */
	h->timeline_off = timeline;
	h->timeline_cap = l->timeline;
	h->cache_off = caches;
	h->cache_cap = l->caches;
}

void synth_release(struct synth *s)
{
	free(s->buf);
	s->buf = NULL;
	s->used = s->cap = 0;
}

uint32_t synth_string(struct synth *s, const char *name)
{
	struct ppf_header *h = synth_hdr(s);
	size_t len = strlen(name) + 1;
	uint32_t off = h->strtab_used;

	if (off + len > h->strtab_cap)
		synth_fail("string table full");
	memcpy(s->buf + h->strtab_off + off, name, len);
	h->strtab_used += (uint32_t)len;
	return off;
}

uint32_t synth_module_add(struct synth *s, const char *path, uint64_t load, uint64_t lo,
			  uint64_t hi)
{
	struct ppf_header *h = synth_hdr(s);
	struct ppf_module *m;

	if (h->module_count >= h->module_cap)
		synth_fail("module table full");
	m = (struct ppf_module *)(s->buf + h->module_off) + h->module_count;
	m->load_addr = load;
	m->lo = lo;
	m->hi = hi;
	snprintf(m->path, sizeof(m->path), "%s", path);
	return ++h->module_count;
}

unsigned synth_version = PPF_VERSION;

/* Bytes of a record without its tail in the image's format version. */
static size_t rec_size(struct synth *s)
{
	unsigned v = synth_hdr(s)->version;

	return v >= 5 ? sizeof(struct ppf_record) : v == 4 ? PPF_RECORD_SIZE_V4 :
	       v == 3 ? PPF_RECORD_SIZE_V3 : PPF_RECORD_SIZE_V2;
}

struct ppf_endpoint_tail *synth_tail(struct synth *s, uint64_t off)
{
	return (struct ppf_endpoint_tail *)(s->buf + off + rec_size(s));
}

uint64_t synth_record(struct synth *s, unsigned t, unsigned kind, uint64_t key)
{
	size_t size = rec_size(s) +
		      (kind == PPF_KIND_ENDPOINT ? sizeof(struct ppf_endpoint_tail) : 0);
	uint64_t off = synth_alloc(s, size, 8);
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

uint64_t *synth_page(struct synth *s, uint64_t off, unsigned p)
{
	return (uint64_t *)(s->buf + (uint64_t)synth_rec(s, off)->pages[p] * PPF_PAGE_BYTES);
}

void synth_hist_add(struct synth *s, uint64_t off, unsigned bucket, uint64_t count)
{
	unsigned p = bucket / PPF_SUB;

	if (!synth_rec(s, off)->pages[p]) {
		uint64_t at = synth_alloc(s, PPF_PAGE_BYTES, PPF_PAGE_BYTES);

		synth_rec(s, off)->pages[p] = (uint32_t)(at / PPF_PAGE_BYTES);
	}
	synth_page(s, off, p)[bucket % PPF_SUB] += count;
}

/* ---- the unit tests' fixture ---- */

struct synth *synth_new(uint32_t pid, const char *cmdline)
{
	static const struct synth_layout layout = {
		.align = 8, .modules = 8, .threads = 8, .strtab = 4096, .timeline = 64, .caches = 4,
	};
	struct synth *s = calloc(1, sizeof(*s));
	struct ppf_header *h;
	struct ppf_module *m;

	if (!s)
		synth_fail("out of memory");
	synth_init(s, SYNTH_CAP, &layout);
	h = synth_hdr(s);
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
	synth_module_add(s, "/bin/fake", SYNTH_LOAD, SYNTH_LOAD + 0x1000, SYNTH_LOAD + 0x100000);
	m = (struct ppf_module *)(s->buf + h->module_off);
	m->build_id_len = 4;
	memcpy(m->build_id, "\x01\x02\x03\x04", 4);
	h->thread_count = 2;
	synth_thread(s, 0)->state = PPF_THREAD_PROCESS;
	synth_thread(s, 1)->state = PPF_THREAD_ACTIVE;
	synth_thread(s, 1)->tid = pid + 1;
	strcpy(synth_thread(s, 1)->name, "worker");
	return s;
}

void synth_free(struct synth *s)
{
	synth_release(s);
	free(s);
}

uint32_t synth_module(struct synth *s, const char *path, uint64_t load, int unloaded)
{
	uint32_t module = synth_module_add(s, path, load, load + 0x1000, load + 0x2000);

	((struct ppf_module *)(s->buf + synth_hdr(s)->module_off))[module - 1].unloaded =
		(uint32_t)unloaded;
	return module;
}

uint64_t synth_func(struct synth *s, unsigned t, uint64_t elf)
{
	return synth_record(s, t, PPF_KIND_FUNCTION, SYNTH_LOAD + elf);
}

void synth_calls(struct synth *s, uint64_t off, uint64_t ns, uint64_t times)
{
	struct ppf_record calls = {
		.calls = times, .sum_ns = ns * times, .inclusive_ns = ns * times,
		.self_ns = ns * times, .min_ns = ns, .max_ns = ns, .outer_calls = times,
		.rss_sum_kib = 1024 * times, .rss_max_kib = 1024,
	};

	synth_hist_add(s, off, ppf_bucket(ns), times);
	ppc_record_add(synth_rec(s, off), &calls);
}
