/* load_walk.c - walking a dump's record lists, whatever their links say
 *
 * Every record list is walked with its links checked for alignment and
 * bounds, against the area's record_count, and against a bitmap of the
 * records already met (so a list that loops never counts a record twice,
 * and no walk takes more than used_size / record size steps): a link that
 * fails ends the walk of that area with one note, the records before it
 * kept.  A record of an unknown kind or a wrong size is left out with a
 * note.  Areas that are FREE, or not yet brought up to the header's
 * clear_gen, are skipped, as format.h says.  The notes go to the profile
 * (prof->notes, LOAD_MAX_NOTES per dump, then counted) and the counts to
 * the dump (dropped, cut) for the report's Warnings.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "load_priv.h"
#include "profile.h"

int load_note(struct load_dump *d, const char *fmt, ...)
{
	char line[640];
	va_list ap;
	int n;

	if (!d->notes)
		return 0;
	if (d->listed >= LOAD_MAX_NOTES) {
		d->unlisted++;
		return 0;
	}
	n = snprintf(line, sizeof(line), "%s: ", d->source);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	d->listed++;
	if (pp_profile_note(d->notes, line))
		return load_fail(d, "out of memory");
	return 0;
}

/* 1 the first time the record at `off` is met in this walk (the bitmap is
 * shared by the two walkers of a big dump, hence the atomic or). */
static int first_visit(struct load_dump *d, uint64_t off)
{
	uint64_t bit = 1ull << (off / 8 % 64);

	return !(__atomic_fetch_or(&d->seen[off / 8 / 64], bit, __ATOMIC_RELAXED) & bit);
}

/*
 * Calls `fn` for every record of the thread areas first, first + stride, ...
 * in use (two walkers of one dump take every other area).
 *
 * A link that cannot be followed (misaligned, outside the data, back to a
 * record met already, past the area's record_count) ends the walk of that
 * area with one note; the records read so far stay.  A record of an unknown
 * kind or a wrong size is left out with a note and the walk goes on with
 * its `next`.  Every record is visited at most once (a bitmap of offsets,
 * d->seen), so a list that loops never counts a record twice, and no walk
 * takes more than used_size / record size steps in all (d->budget).
 * Returns 0, or -1 when fn or a note failed.
 */
int load_walk_records(struct load_dump *d, load_record_fn fn, void *ctx, unsigned first,
		      unsigned stride)
{
	const struct ppf_header *h = d->h;
	const struct ppf_thread *thr = (const void *)(d->buf + h->thread_off);

	for (uint32_t t = first; t < h->thread_count; t += stride) {
		uint64_t n = 0;

		if (!load_area_in_use(h, &thr[t]))
			continue;
		for (uint64_t off = thr[t].records; off;) {
			const char *why = NULL;

			if (off % 8)
				why = "not 8-byte aligned";
			else if (!load_in_data(d, off, d->rec_size))
				why = "outside the data";
			else if (n >= thr[t].record_count)
				why = "the list is longer than its record_count";
			else if (!first_visit(d, off))
				why = "the list loops back to a record read already";
			if (why) {
				d->cut++;
				if (load_note(d, "thread %" PRIu32 ": record list cut at offset %#" PRIx64
					 ": %s (%" PRIu64 " bytes of data, record_count %" PRIu64
					 "); %" PRIu64 " records of the list read", t, off, why,
					 d->used, thr[t].record_count, n))
					return -1;
				break;
			}
			/* (two walkers share the budget: one that takes it below 0
			 * puts it back to 0, and the other may meanwhile take one
			 * record more; the bound holds within one record) */
			if (__atomic_fetch_sub(d->budget, 1, __ATOMIC_RELAXED) == 0) {
				__atomic_store_n(d->budget, 0, __ATOMIC_RELAXED);
				d->cut++;
				return load_note(d, "thread %" PRIu32 ": more records than %" PRIu64
					    " bytes can hold: the walk stops", t, d->used);
			}
			n++;
			const struct ppf_record *r = (const void *)(d->buf + off);
			size_t want = d->rec_size + (r->kind == PPF_KIND_ENDPOINT ?
						     sizeof(struct ppf_endpoint_tail) : 0);

			if (r->kind < PPF_KIND_FUNCTION || r->kind > PPF_KIND_MAX) {
				d->dropped++;
				if (load_note(d, "record of kind %u, key %#" PRIx64 " (thread %" PRIu32
					 ", at %#" PRIx64 ") dropped: unknown kind %u", r->kind,
					 r->key, t, off, r->kind))
					return -1;
			} else if (r->size != want || !load_in_data(d, off, want)) {
				d->dropped++;
				if (load_note(d, "record of kind %u, key %#" PRIx64 " (thread %" PRIu32
					 ", at %#" PRIx64 ") dropped: %s%u, a kind %u record has %zu",
					 r->kind, r->key, t, off, r->size == want ?
					 "it runs past the end of the data; size " : "size ",
					 r->size, r->kind, want))
					return -1;
			} else {
				__builtin_prefetch(d->buf + (r->next < d->used ? r->next : 0));
				if (fn && fn(d, t, off, ctx) < 0)
					return -1;
			}
			off = r->next;
		}
	}
	return 0;
}

int load_walk_all(struct load_dump *d, load_record_fn fn, void *ctx)
{
	uint64_t budget = d->used / LOAD_REC_MIN;
	int rc;

	d->seen = calloc(d->used / 8 / 64 + 1, sizeof(uint64_t));
	if (!d->seen)
		return load_fail(d, "out of memory");
	d->budget = &budget;
	rc = load_walk_records(d, fn, ctx, 0, 1);
	free(d->seen);
	d->seen = NULL;
	d->budget = NULL;
	return rc;
}
