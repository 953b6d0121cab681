/* synth.h - synthetic dumps, built in memory as format.h lays them out
 *
 * The one writer of synthetic segment images beside the runtime's own: the
 * analyzer's unit tests build small dumps with known contents and then break
 * one field at a time (synth_new() and the fixture after it), and
 * bench/gen_dump builds big ones for bench-report and the fuzzer's seeds
 * (synth_init() and the writer's primitives).  An image is the header at
 * offset 0, then the tables, then records and histogram pages from a bump
 * allocator; records are added into with common/record.h, as the runtime
 * adds them.
 *
 * Everything is addressed by offset: the buffer grows (realloc) when an
 * allocation does not fit, so a pointer into it holds only until the next
 * allocation.  synth_new() reserves SYNTH_CAP bytes at once, so that a unit
 * test, which stays far below that, may keep its pointers.  Allocation
 * failures and a full string table end the program with a message.
 */
#ifndef PARAPROF_TESTS_SYNTH_H
#define PARAPROF_TESTS_SYNTH_H

#include <stdint.h>

#include "paraprof/format.h"

struct synth {
	unsigned char *buf;
	uint64_t used;		/* bytes in use; header.used_size follows it */
	uint64_t cap;		/* bytes allocated, zeroed past `used` */
};

/* Where the tables go and how large they are. */
struct synth_layout {
	uint64_t align;		/* bytes: where each table starts (a power of 2) */
	uint32_t modules;	/* module_cap */
	uint32_t threads;	/* thread_cap */
	uint32_t strtab;	/* strtab_cap, bytes */
	uint32_t timeline;	/* timeline_cap */
	uint32_t caches;	/* cache_cap */
};

/* ---- the writer ---- */

/* Starts an image in `s` with `cap` bytes reserved (it grows past them):
 * the header (magic, version, header_size) and, in this order, the tables
 * of `l` (from version 4, the thread info table after the threads), their offsets and capacities in the header, offset 0 of the
 * string table being the empty name.  Counts and everything else are 0. */
void synth_init(struct synth *s, uint64_t cap, const struct synth_layout *l);

/* Frees the image of `s` (not `s` itself). */
void synth_release(struct synth *s);

/* Returns the offset of `n` zeroed bytes aligned to `align` (a power of 2). */
uint64_t synth_alloc(struct synth *s, uint64_t n, uint64_t align);

static inline struct ppf_header *synth_hdr(struct synth *s)
{
	return (struct ppf_header *)s->buf;
}

static inline struct ppf_thread *synth_thread(struct synth *s, unsigned t)
{
	return (struct ppf_thread *)(s->buf + synth_hdr(s)->thread_off) + t;
}

/* Entry t of the thread info table (version 4; the image must have one). */
static inline struct ppf_thread_info *synth_thread_info(struct synth *s, unsigned t)
{
	return (struct ppf_thread_info *)(s->buf + synth_hdr(s)->thread_info_off) + t;
}

static inline struct ppf_record *synth_rec(struct synth *s, uint64_t off)
{
	return (struct ppf_record *)(s->buf + off);
}

/* The format version of the images synth_init() starts (PPF_VERSION unless
 * a test sets it): records are as long as that version's. */
extern unsigned synth_version;

/* The endpoint tail of the record at `off`, wherever the version puts it. */
struct ppf_endpoint_tail *synth_tail(struct synth *s, uint64_t off);

/* Interns a name; returns its string-table offset. */
uint32_t synth_string(struct synth *s, const char *name);

/* Adds module-table entry `path` (cut to fit) loaded at `load` with code at
 * [lo, hi); returns the value a record made in it carries in record.module
 * (1 + its index). */
uint32_t synth_module_add(struct synth *s, const char *path, uint64_t load, uint64_t lo,
			  uint64_t hi);

/* A new empty record (an endpoint's with its tail) at the head of thread
 * area t's list: key, kind, size, min_ns UINT64_MAX.  Returns its offset. */
uint64_t synth_record(struct synth *s, unsigned t, unsigned kind, uint64_t key);

/* Histogram page p of the record at `off` (which must have it). */
uint64_t *synth_page(struct synth *s, uint64_t off, unsigned p);

/* Adds `count` calls to bucket `bucket` of the record at `off`, first
 * allocating its page (512-byte aligned, as the runtime's are) if it has
 * none.  The record's statistics are the caller's. */
void synth_hist_add(struct synth *s, uint64_t off, unsigned bucket, uint64_t count);

/* ---- the unit tests' fixture ---- */

#define SYNTH_CAP (4u << 20)			/* bytes synth_new() reserves */
#define SYNTH_LOAD 0x555555554000ull	/* load address of the fake executable */

/* A dump with room for 8 modules, 8 threads, 4 KiB of strings, 64 timeline
 * samples and 4 caches; area 0 (process) and one thread in use, one module
 * (/bin/fake at SYNTH_LOAD, code at +0x1000..+0x100000); complete, 2 s of
 * wall time.  Freed by synth_free(). */
struct synth *synth_new(uint32_t pid, const char *cmdline);
void synth_free(struct synth *s);

/* Adds module `path` loaded at `load` with code at +0x1000..+0x2000
 * (`unloaded`: dlclose()d since); returns 1 + its index (record.module). */
uint32_t synth_module(struct synth *s, const char *path, uint64_t load, int unloaded);

/* A function record for ELF address `elf` of /bin/fake. */
uint64_t synth_func(struct synth *s, unsigned t, uint64_t elf);

/* Records `times` calls of `ns` each (self time = ns, outermost frames, an
 * RSS of 1 MiB). */
void synth_calls(struct synth *s, uint64_t off, uint64_t ns, uint64_t times);

#endif /* PARAPROF_TESTS_SYNTH_H */
