/* load_live.c - copying a live segment consistently into private memory
 *
 * A live segment is written while it is read.  Its used part is read twice
 * with pread(2): mapping a segment and unmapping it cost more than reading
 * it, and most of a segment is quiet.  A record whose seq is even and the
 * same in both reads, and whose bytes and pages are too, is taken from the
 * first: a writer that ran in between would have moved seq or a counter
 * (they only grow).  Any other record is copied again from the segment,
 * mapped then, under its seqlock (with its pages) until two reads of seq
 * agree and are even; the whole read is redone when fold_seq or
 * timeline_seq moved.  Records that never settle are made consistent in the
 * copy (calls := what the histogram holds) and taken as torn.  The copy is
 * then loaded like a dump.
 */
#include <errno.h>
#include <inttypes.h>
#include <sys/mman.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
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
	int fd;				/* the segment */
	const unsigned char *map;	/* the segment mapped, d->used bytes, once a
					   record needs reading again (else NULL) */
	unsigned char *copy;		/* our copy, d->used bytes: the first read */
	const unsigned char *again;	/* the second read, as many bytes */
	int grew;			/* a record points past the copy: redo */
	int failed;			/* a read failed (the file shrank): redo */
	int last;			/* last whole attempt: settle for what is there */
};

/* Reads len bytes at off into buf; 0, or -1 when the file ends first or a
 * read fails. */
static int read_at(int fd, void *buf, size_t len, uint64_t off)
{
	unsigned char *p = buf;

	while (len) {
		ssize_t n = pread(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

/* What settle_pages needs. */
struct settle_ctx {
	struct load_dump *d;
	struct live_ctx *lc;
};

/* The u64 at offset off of the segment (a header field), 0 when it cannot
 * be read. */
static uint64_t peek_u64(int fd, uint64_t off)
{
	uint64_t v;

	return read_at(fd, &v, sizeof(v), off) ? 0 : v;
}

/* 1 when record r of the copy, its pages included, reads the same in the
 * second read with an even seq: nothing wrote it in between. */
static int record_quiet(const struct load_dump *d, const struct live_ctx *lc,
			const struct ppf_record *r, uint64_t off)
{
	if ((r->seq & 1) || memcmp(r, lc->again + off, r->size) != 0)
		return 0;
	for (unsigned p = 0; p < PPF_HIST_PAGES; p++) {
		uint64_t poff = (uint64_t)r->pages[p] * PPF_PAGE_BYTES;

		if (r->pages[p] && (!load_in_data(d, poff, PPF_PAGE_BYTES) ||
				    memcmp(lc->copy + poff, lc->again + poff, PPF_PAGE_BYTES)))
			return 0;
	}
	return 1;
}

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

/* Reads record r (at off) and its pages again from the segment, mapped
 * now if it was not yet, under its seqlock: 0 when consistent or lc->grew,
 * -1 when it kept moving or the segment cannot be mapped (lc->failed). */
static int reread_record(struct load_dump *d, struct live_ctx *lc, struct ppf_record *r,
			 uint64_t off)
{
	struct settle_ctx sc = { d, lc };

	if (!lc->map) {
		void *map = mmap(NULL, d->used, PROT_READ, MAP_SHARED, lc->fd, 0);

		if (map == MAP_FAILED) {
			lc->failed = 1;
			return -1;
		}
		lc->map = map;
	}
	return ppc_record_copy(r, (const void *)(lc->map + off), r->size, settle_pages, &sc,
			       RECORD_TRIES) >= 0 ? 0 : -1;
}

/* Settles one record of the copy: as read when quiet, else read again
 * under its seqlock. */
static int settle_record(struct load_dump *d, uint32_t thread, uint64_t off, void *ctx)
{
	struct live_ctx *lc = ctx;
	struct ppf_record *r = (struct ppf_record *)(lc->copy + off);

	(void)thread;
	if (record_quiet(d, lc, r, off) || reread_record(d, lc, r, off) >= 0 || lc->failed)
		return 0;	/* consistent, or lc->grew, or redone (lc->failed) */
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

/*
 * Copies the live segment open on `fd` consistently into *copy (malloc'ed,
 * *used bytes, its header's used_size set to *used; the caller frees it) and
 * validates its header and tables into *d (d->buf = *copy).  Memory and time
 * are bounded by what the file holds: before anything is read, the used
 * size the header claims is checked against the file's size and blocks
 * (shm_check_backed), and only that much is read.  Returns 0, or -1 with the
 * reason in d->err (*copy and *used_out are then left alone, d->buf NULL).
 */
int load_live_copy(struct load_dump *d, int fd, unsigned char **copy, uint64_t *used_out)
{
	struct stat st;
	int rc = -1;
	unsigned char *buf = NULL, *again = NULL;
	struct live_ctx lc = { 0 };

	for (int attempt = 0; attempt < LIVE_TRIES; attempt++) {
		int last = attempt == LIVE_TRIES - 1;
		/* used_size first, then the blocks: the library allocates a
		 * range before it counts it as used, so a segment that grows
		 * meanwhile still passes */
		uint64_t used = peek_u64(fd, offsetof(struct ppf_header, used_size));

		if (fstat(fd, &st) < 0) {
			load_fail(d, "%s", strerror(errno));
			goto out;
		}
		if ((size_t)st.st_size < sizeof(struct ppf_header)) {
			load_fail(d, "truncated: %zu bytes, the header needs %zu",
			     (size_t)st.st_size, sizeof(struct ppf_header));
			goto out;
		}
		if (used > sizeof(struct ppf_header) &&
		    shm_check_backed(used, &st, d->err, d->errlen))
			goto out;
		if (used < sizeof(struct ppf_header))
			used = sizeof(struct ppf_header);	/* validation says why */
		uint64_t fold = peek_u64(fd, offsetof(struct ppf_header, fold_seq));
		uint64_t tl = peek_u64(fd, offsetof(struct ppf_header, timeline_seq));

		if ((fold | tl) & 1) {
			nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
			continue;
		}
		free(buf);
		free(again);
		buf = malloc(used);
		again = malloc(used);
		if (!buf || !again) {
			load_fail(d, "out of memory");
			goto out;
		}
		if (read_at(fd, buf, used, 0)) {
			if (last) {
				load_fail(d, "cannot read %" PRIu64 " bytes: %s", used,
					  errno ? strerror(errno) : "the file was cut short");
				goto out;
			}
			continue;
		}
		if (((struct ppf_header *)buf)->used_size > used && !last)
			continue;	/* it grew since the peek: check and read again */
		((struct ppf_header *)buf)->used_size = used;
		d->buf = buf;
		if (load_check_header(d, used))
			goto out;
		if (read_at(fd, again, used, 0) && !last)
			continue;
		lc = (struct live_ctx){ .fd = fd, .copy = buf, .again = again, .last = last };
		d->notes = NULL;	/* the merge walk says what is wrong */
		int walked = load_walk_all(d, settle_record, &lc);

		if (lc.map)
			munmap((void *)lc.map, d->used);
		if (walked)
			goto out;
		if (!last && (lc.grew || lc.failed ||
			      peek_u64(fd, offsetof(struct ppf_header, fold_seq)) != fold ||
			      peek_u64(fd, offsetof(struct ppf_header, timeline_seq)) != tl))
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
	free(again);
	if (rc)
		d->buf = NULL;
	return rc;
}
