/* samples.h - what an entry's self time is made of, from CPU samples
 *
 * The runtime's CPU-time sampler (PARAPROF_SAMPLE) finds, HZ times per
 * second of a thread's CPU time, what the innermost instrumented function
 * runs: its own code, or an uninstrumented function it called (a libc
 * call, a library built without the flag).  The loader keeps each sample
 * record as a pp_sample of its entry (profile.h); this module adds them up
 * by function and gives their shares, for the text and JSON reports.
 */
#ifndef PARAPROF_SAMPLES_H
#define PARAPROF_SAMPLES_H

#include <stddef.h>
#include <stdint.h>

#include "profile.h"

/* One function's part of an entry's samples. */
struct samples_share {
	int own;			/* 1: the entry's own code */
	const char *name;		/* the function's name, or "MODULE+0xOFFSET" /
					   "0xADDRESS" when no symbol holds it; owned
					   by the samples_list */
	const char *module;		/* its module's short name ("libc" for
					   libc.so.6), "" for none; owned likewise */
	uint64_t samples;		/* timer periods */
	uint64_t ns;			/* CPU time they stand for */
};

struct samples_list {
	struct samples_share *v;	/* n of them, most samples first */
	size_t n;
	uint64_t samples, ns;		/* the entry's, summed over v */
	char *strings;			/* what v's names point into */
};

/* Fills `out` with the shares of entry `entry` (an index in prof's
 * entries[]), most samples first; an entry without samples gets n = 0.
 * 0, or -1 when memory runs out (out is then empty).  samples_free()
 * frees what it holds. */
int samples_of(const struct pp_profile *prof, uint32_t entry, struct samples_list *out);
void samples_free(struct samples_list *l);

/* Writes "Self by samples (N, 1.20s on CPU): 70.0% memchr [libc], 20.0% own
 * code, 10.0% other" into buf (len bytes): the `top` largest shares by name,
 * the rest as other.  Empty when the list is. */
void samples_line(char *buf, size_t len, const struct samples_list *l, size_t top);

#endif /* PARAPROF_SAMPLES_H */
