/* load_live.c - copying a live segment consistently into private memory
 *
 * A live segment is written while it is read.  It is first copied whole
 * (the used part), then each record again under its seqlock (with its
 * pages) until two reads of seq agree and are even; the whole copy is redone
 * when fold_seq or timeline_seq moved.  Records that never settle are made
 * consistent in the copy (calls := what the histogram holds) and taken as
 * torn.  The copy is then loaded like a dump.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/record.h"
#include "load_priv.h"
#include "profile.h"
#include "shm.h"

#define LIVE_TRIES 50		/* whole copies before giving up on a moving segment */
#define RECORD_TRIES 1000	/* seqlock reads of one record before taking it as torn */

struct live_ctx {
	const unsigned char *map;	/* the shared segment */
	unsigned char *copy;		/* our copy, d->used bytes */
	int grew;			/* a record points past the copy: redo */
	int last;			/* last whole attempt: settle for what is there */
};

/* What settle_pages needs. */
struct settle_ctx {
	struct load_dump *d;
	struct live_ctx *lc;
};

/* ppc_record_copy's `more`: the pages of a record just copied, from the
 * live segment into our copy.  Returns 1 when one lies past our copy and
 * this is not the last attempt (lc->grew: the whole copy is redone). */
static int settle_pages(void *ctx, struct ppf_record *r)
{
	struct settle_ctx *sc = ctx;

	for (unsigned p = 0; p < PPF_HIST_PAGES; p++) {
		uint64_t poff = (uint64_t)r->pages[p] * PPF_PAGE_BYTES;

		if (!r->pages[p])
			continue;
		if (!load_in_data(sc->d, poff, PPF_PAGE_BYTES)) {
			if (!sc->lc->last) {
				sc->lc->grew = 1;
				return 1;
			}
			r->pages[p] = 0;	/* allocated after our copy: drop */
			continue;
		}
		memcpy(sc->lc->copy + poff, sc->lc->map + poff, PPF_PAGE_BYTES);
	}
	return 0;
}

/* Re-reads one record and its pages from the live segment under its seqlock. */
static int settle_record(struct load_dump *d, uint32_t thread, uint64_t off, void *ctx)
{
	struct live_ctx *lc = ctx;
	struct ppf_record *r = (struct ppf_record *)(lc->copy + off);
	const struct ppf_record *src = (const void *)(lc->map + off);
	struct settle_ctx sc = { d, lc };

	(void)thread;
	if (ppc_record_copy(r, src, r->size, settle_pages, &sc, RECORD_TRIES) >= 0)
		return 0;	/* consistent, or lc->grew */
	/* Still moving (or its writer died mid-update): make the copy agree
	 * with itself and mark it torn. */
	uint64_t in_hist = 0;

	for (unsigned p = 0; p < PPF_HIST_PAGES; p++) {
		uint64_t poff = (uint64_t)r->pages[p] * PPF_PAGE_BYTES;

		if (!r->pages[p])
			continue;
		if (!load_in_data(d, poff, PPF_PAGE_BYTES)) {
			r->pages[p] = 0;
			continue;
		}
		const uint64_t *c = (const void *)(lc->copy + poff);

		for (unsigned i = 0; i < PPF_SUB; i++)
			in_hist = pp_sat_add(in_hist, c[i]);
	}
	if (r->pending > PPF_HIST_BUCKETS)
		r->pending = 0;
	r->calls = pp_sat_add(pp_sat_add(in_hist, r->pending != 0), r->hist_dropped);
	r->seq |= 1;
	return 0;
}

/* The used size the segment's header says now, 0 when it cannot be read. */
static uint64_t peek_used(int fd)
{
	uint64_t used;

	if (pread(fd, &used, sizeof(used), offsetof(struct ppf_header, used_size)) !=
	    (ssize_t)sizeof(used))
		return 0;
	return used;
}

/*
 * Copies the live segment open on `fd` consistently into *copy (malloc'ed,
 * *used bytes, its header's used_size set to *used; the caller frees it) and
 * validates its header and tables into *d (d->buf = *copy).  Memory and time
 * are bounded by what the file holds: before anything is mapped or copied,
 * the used size the header claims is checked against the file's size and
 * blocks (shm_check_backed), and only the used part is mapped; a segment
 * that grows while it is read is mapped again.  Returns 0, or -1 with the
 * reason in d->err (*copy and *used_out are then left alone, d->buf NULL).
 */
int load_live_copy(struct load_dump *d, int fd, unsigned char **copy, uint64_t *used_out)
{
	const long page = sysconf(_SC_PAGESIZE);
	struct stat st;
	int rc = -1;
	unsigned char *map = MAP_FAILED, *buf = NULL;
	size_t maplen = 0;
	struct live_ctx lc = { 0 };

	for (int attempt = 0; attempt < LIVE_TRIES; attempt++) {
		/* used_size first, then the blocks: the library allocates a
		 * range before it counts it as used, so a segment that grows
		 * meanwhile still passes */
		uint64_t claimed = peek_used(fd);

		if (fstat(fd, &st) < 0) {
			load_fail(d, "%s", strerror(errno));
			goto out;
		}
		if ((size_t)st.st_size < sizeof(struct ppf_header)) {
			load_fail(d, "truncated: %zu bytes, the header needs %zu",
			     (size_t)st.st_size, sizeof(struct ppf_header));
			goto out;
		}
		if (claimed > sizeof(struct ppf_header) &&
		    shm_check_backed(claimed, &st, d->err, d->errlen))
			goto out;
		/* map what is used, a little more for growth, within the file */
		uint64_t want = claimed < sizeof(struct ppf_header) ? sizeof(struct ppf_header) :
				claimed;

		want = (want + (uint64_t)page * 16 - 1) & ~((uint64_t)page - 1);
		if (want > (uint64_t)st.st_size)
			want = (uint64_t)st.st_size;
		if (want > maplen) {
			if (map != MAP_FAILED)
				munmap(map, maplen);
			maplen = (size_t)want;
			/* MAP_POPULATE: the kernel maps the segment's pages in one
			 * go, not a fault per page as the copy below reads them
			 * (the segment is backed: shm_check_backed) */
			map = mmap(NULL, maplen, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
			if (map == MAP_FAILED) {
				load_fail(d, "cannot map: %s", strerror(errno));
				goto out;
			}
		}
		const struct ppf_header *lh = (const void *)map;
		uint64_t fold = ppc_seq_begin(&lh->fold_seq), tl = ppc_seq_begin(&lh->timeline_seq);

		if ((fold | tl) & 1) {
			nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
			continue;
		}
		uint64_t used = __atomic_load_n(&lh->used_size, __ATOMIC_ACQUIRE);

		if (used > maplen && attempt < LIVE_TRIES - 1)
			continue;	/* it grew since the peek: check and map again */
		if (used > maplen)
			used = maplen;	/* validation says what is wrong, if anything */
		if (used < sizeof(struct ppf_header))
			used = sizeof(struct ppf_header);
		free(buf);
		buf = malloc(used);
		if (!buf) {
			load_fail(d, "out of memory");
			goto out;
		}
		memcpy(buf, map, used);
		((struct ppf_header *)buf)->used_size = used;
		d->buf = buf;
		if (load_check_header(d, used))
			goto out;
		lc = (struct live_ctx){ .map = map, .copy = buf,
					.last = attempt == LIVE_TRIES - 1 };
		d->notes = NULL;	/* the merge walk says what is wrong */
		if (load_walk_all(d, settle_record, &lc))
			goto out;
		if (!lc.last && (lc.grew || ppc_seq_end(&lh->fold_seq) != fold ||
				 ppc_seq_end(&lh->timeline_seq) != tl))
			continue;
		*copy = buf;
		*used_out = used;
		buf = NULL;
		rc = 0;
		goto out;
	}
	load_fail(d, "the segment kept changing while it was read");
out:
	free(buf);
	if (rc)
		d->buf = NULL;
	if (map != MAP_FAILED)
		munmap(map, maplen);
	return rc;
}
