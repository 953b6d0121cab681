/* load_priv.h - the loader's internal interfaces, shared by load*.c only
 *
 * The loader is one module in five files, one subsystem each:
 *   load_check.c  validating a dump's header and tables (nothing past them
 *                 is read before they pass)
 *   load_walk.c   walking the record lists, whatever their links say
 *   load_merge.c  checking each record and adding it into a profile
 *   load_names.c  checking a dump's names table and looking names up in it
 *   load_live.c   copying a live segment consistently into private memory
 *   load.c        the entry points of load.h: files, buffers, pids, --list
 * They share `struct load_dump`, the state of one pass over one dump.
 */
#ifndef PARAPROF_LOAD_PRIV_H
#define PARAPROF_LOAD_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "paraprof/format.h"

struct pp_profile;

/* The smallest record of any version: what bounds a walk's steps. */
#define LOAD_REC_MIN PPF_RECORD_SIZE_V2

/* Lines kept per dump (and per walker); past it they are counted and one
 * last line says how many more there were. */
#define LOAD_MAX_NOTES 50

/* What one pass over a dump needs. */
struct load_dump {
	const unsigned char *buf;
	uint64_t used;			/* header.used_size, <= the bytes at buf */
	const struct ppf_header *h;
	size_t rec_size;		/* bytes of a record (an endpoint's tail
					   follows) in h->version */
	char *err;			/* why the dump is refused (load_fail()) */
	size_t errlen;
	const char *source;		/* the file or segment, in notes */
	struct pp_profile *notes;	/* where notes go; NULL: none are made */
	uint64_t *seen;			/* during a walk: bit off/8 set once the
					   record at off was met */
	uint64_t *budget;		/* during a walk: records it may still visit */
	uint64_t dropped;		/* records left out */
	uint64_t cut;			/* record lists whose walk ended early */
	uint64_t listed, unlisted;	/* notes made, and not made (past the cap) */
	const struct load_comp *comp;	/* the hooks' cost to take out, NULL: none */
};

/* ---- load_comp.c ---- */

/* What one record's figures lose (load_comp.c says how it is computed). */
struct load_comp_adj {
	uint64_t incl_ns;		/* from inclusive_ns */
	uint64_t self_ns;		/* from self_ns */
	uint64_t sum_ns;		/* from sum_ns */
	uint64_t shift_ns;		/* from each call's duration (the mean) */
};

/* The hooks' cost in one dump, record by record. */
struct load_comp {
	int on;				/* 0: the dump has no calibration (or --raw) */
	uint64_t self_ps, call_ps;	/* the dump's figures (format.h) */
	size_t n;
	uint64_t *off;			/* record offsets, ascending */
	struct load_comp_adj *adj;	/* [i]: the record at off[i] */
};

/* The calibration of the checked dump d (format.h), picoseconds: 1 when
 * it has one that can be believed (else 0, both set to 0). */
int load_comp_figures(const struct load_dump *d, uint64_t *self_ps, uint64_t *call_ps);

/* Computes *c for the checked dump d: c->on stays 0 when the dump carries
 * no (believable) calibration.  0, or -1 with d->err set. */
int load_comp_build(struct load_dump *d, struct load_comp *c);

/* What the record at `off` loses, NULL: nothing. */
const struct load_comp_adj *load_comp_find(const struct load_comp *c, uint64_t off);

void load_comp_free(struct load_comp *c);

/* ---- load_check.c ---- */

/* Writes the reason into d->err; returns -1. */
int load_fail(struct load_dump *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* 1 when [off, off + size) lies inside the data after the header.  (Inline:
 * the walk and the merge ask it for every record and page.) */
static inline int load_in_data(const struct load_dump *d, uint64_t off, uint64_t size)
{
	return off >= sizeof(struct ppf_header) && off <= d->used && size <= d->used - off;
}

/* The NUL-terminated name at string-table offset `off`, or NULL with the
 * reason in why.  The header must have passed load_check_header(). */
const char *load_name_at(const struct load_dump *d, uint64_t off, char *why, size_t whylen);

/* Checks everything but the records of the `len` bytes at d->buf (8-byte
 * aligned) and sets d->h and d->used.  Returns 0, or -1 with the reason in
 * d->err. */
int load_check_header(struct load_dump *d, size_t len);

/* Whether the records of an area count: not FREE, and brought up to the
 * latest clear (an area whose cleared_gen lags holds only what was recorded
 * before paraprof_clear_stats(); its thread zeroes it at its next call). */
static inline int load_area_in_use(const struct ppf_header *h, const struct ppf_thread *t)
{
	return t->state != PPF_THREAD_FREE && t->cleared_gen == h->clear_gen;
}

/* ---- load_walk.c ---- */

/* Appends "SOURCE: <fmt>" to d->notes when there is room (LOAD_MAX_NOTES,
 * then only counted).  0, or -1 (d->err set) when memory runs out.  Silent
 * when d->notes is NULL. */
int load_note(struct load_dump *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Called for each record a walk reaches, of a known kind and size, inside
 * the data: 0 when it took the record, 1 when it left it out (having said
 * why), -1 on a fatal error (d->err set). */
typedef int (*load_record_fn)(struct load_dump *d, uint32_t thread, uint64_t off, void *ctx);

/* Calls `fn` (NULL: none) for every record of the thread areas first,
 * first + stride, ... in use, with d->seen and d->budget set up by the
 * caller (load_walk_all() does that).  Returns 0, or -1 when fn or a note
 * failed.  load_walk.c says what is checked. */
int load_walk_records(struct load_dump *d, load_record_fn fn, void *ctx, unsigned first,
		      unsigned stride);

/* Walks every area with a visited-bitmap and a budget of its own.  Returns
 * 0, or -1 (d->err set). */
int load_walk_all(struct load_dump *d, load_record_fn fn, void *ctx);

/* ---- load_merge.c ---- */

/* Adds the process of the checked dump `d` to `prof` (`name` its source,
 * `live` 1 for a segment), with its modules, timeline and caches, then its
 * records.  Returns 0, or -1 with the reason in d->err when memory runs out
 * (prof then holds part of the dump). */
int load_merge_dump(struct load_dump *d, struct pp_profile *prof, const char *name, int live);

/* ---- load_names.c ---- */

/* A name of the table, placed in the profile. */
struct load_name {
	int module;			/* index in the profile's modules, -1 = none */
	uint64_t offset;		/* ELF address (runtime address when none) */
	const char *symbol;		/* into the dump: NUL-terminated */
	const char *demangled;		/* likewise, NULL = none */
	uint32_t nth;			/* format.h */
};

/* The usable entries of a dump's names table, sorted by (module, offset). */
struct load_names {
	struct load_name *ix;		/* malloc'ed */
	size_t n;
	const char *pool;		/* into the dump */
	uint64_t pool_bytes;
};

/* Checks the names table of the checked dump d (load_names.c says what)
 * and indexes its entries into *ln, `module_index[i]` being the profile's
 * module of the dump's module-table entry i.  A table or an entry that
 * fails is left out with a note.  Returns 0 (*ln possibly empty), or -1
 * (d->err set) when memory runs out or a note cannot be made. */
int load_names_open(struct load_dump *d, const int *module_index, struct load_names *ln);

/* The name of the function at `offset` of profile module `module`, or NULL. */
const struct load_name *load_names_find(const struct load_names *ln, int module,
					uint64_t offset);

/* Frees the index; *ln is empty after. */
void load_names_close(struct load_names *ln);

/* ---- load_live.c ---- */

/* Copies the live segment open on `fd` consistently into *copy (malloc'ed,
 * *used_out bytes; the caller frees it) and checks its header and tables
 * into *d (d->buf = *copy).  Returns 0, or -1 with the reason in d->err;
 * load_live.c says how time and memory stay bounded. */
int load_live_copy(struct load_dump *d, int fd, unsigned char **copy, uint64_t *used_out);

#endif /* PARAPROF_LOAD_PRIV_H */
