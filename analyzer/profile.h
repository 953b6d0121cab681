/* profile.h - the merged in-memory profile of one or more dumps
 *
 * A pp_profile is what paraprof-report knows after loading: the processes
 * it read (header facts, memory timeline), the modules their functions live
 * in, the caches, and one pp_entry per function, region, span or endpoint,
 * merged over every thread area and every process.  A function its dump
 * names (format.h, "names of functions") is keyed by (module file name,
 * symbol, nth), so that the same function adds up across processes and builds
 * whatever its address; one named by no table by (module, ELF address);
 * a named kind by (kind, name).  Entries sit in
 * an open-addressing hash table; histograms are sparse (only the 512-byte
 * pages some call fell into), so 100,000 functions cost megabytes, not GiB.
 * Everything a profile holds is owned by it and freed by pp_profile_free().
 */
#ifndef PARAPROF_PROFILE_H
#define PARAPROF_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "paraprof/format.h"

/* A sparse copy of ppf_hist_page[]: page p is present when bit p is set. */
struct pp_hist {
	uint64_t page_mask;		/* bit p: page p (buckets p*64..p*64+63) present */
	uint64_t (*pages)[PPF_SUB];	/* present pages, ascending page number; malloc'ed */
	uint64_t count;			/* sum of every bucket (calls in the histogram) */
};

struct pp_module {
	char *path;			/* absolute path, owned by the profile */
	uint8_t build_id[PPF_BUILD_ID_MAX];
	uint32_t build_id_len;		/* bytes, 0 = none */
};

/* One function, region, span or endpoint, summed over threads and processes. */
struct pp_entry {
	uint16_t kind;			/* enum ppf_kind */
	int32_t module;			/* functions: index in modules[], -1 = in no module */
	uint64_t offset;		/* functions: ELF address (runtime - load_addr),
					   the runtime address when module == -1 */
	const char *name;		/* named kinds: owned by the profile; functions:
					   NULL until the report resolves it */
	const char *full_name;		/* functions: the demangled name in full, set
					   with name (cxxname.h); NULL before */
	const char *symbol;		/* functions named by their dump's names table:
					   the symbol as the module has it (mangled),
					   owned by the profile; NULL: named from the
					   binary, keyed by (module, offset) */
	const char *demangled;		/* with symbol: the table's demangled form,
					   NULL when it gave none */
	const char *modname;		/* with symbol: the module's file name (no
					   directory), "" for none: the key is
					   (modname, symbol, nth), not the address */
	uint32_t nth;			/* with symbol: functions of the module before
					   it with that symbol (format.h) */
	uint32_t index;			/* its own index in entries[] */
	uint64_t records;		/* records merged into this entry */
	uint64_t torn;			/* of those, records caught mid-update */
	uint64_t calls;
	uint64_t sum_ns;		/* nanoseconds: every call's duration */
	uint64_t inclusive_ns;		/* nanoseconds: outermost frames only */
	uint64_t self_ns;		/* nanoseconds */
	uint64_t min_ns, max_ns;	/* nanoseconds; min is UINT64_MAX when calls == 0 */
	uint64_t abandoned;		/* calls ended by longjmp, exception, exit */
	uint64_t rss_sum_kib;		/* KiB, summed over calls */
	uint64_t rss_max_kib;		/* KiB */
	uint64_t hist_dropped;		/* calls missing from hist */
	uint64_t cpu_ns;		/* CPU time of the calls whose CPU time was
					   read (long ones: PARAPROF_CPU_MIN_US) */
	uint64_t cpu_wall_ns;		/* their durations: cpu_ns / cpu_wall_ns is
					   the share on CPU (0: none was read) */
	uint64_t outer_calls;		/* calls that were outermost frames (those
					   inclusive_ns counts) */
	uint64_t status[PPF_STATUS_CLASSES]; /* endpoints: responses by class
					   ([PPF_STATUS_OTHER], then 1xx..5xx) */
	uint64_t slow;			/* endpoints: requests over the slow threshold */
	uint64_t sampled;		/* CPU samples (PARAPROF_SAMPLE) taken while it
					   was the innermost instrumented function:
					   its pp_sample's, summed */
	struct pp_hist hist;
};

/* What CPU samples (format.h: PPF_KIND_SAMPLE) found one entry running:
 * its own code, or a function that is no entry (uninstrumented: a library's,
 * the loader's).  One per sample record; the same function may have several
 * (paths, threads, processes): readers add them up (samples.h). */
struct pp_sample {
	uint32_t entry;			/* index in entries[]: whose self time it is in */
	uint32_t own;			/* 1: the entry's own code (module, offset and
					   name unused) */
	int32_t module;			/* the sampled function's, index in modules[],
					   -1 = in no module */
	uint64_t offset;		/* its ELF address (the runtime address when
					   module is -1) */
	const char *name;		/* its name, demangled; NULL when no symbol
					   holds it; owned by the profile */
	uint64_t samples;		/* timer periods */
	uint64_t ns;			/* CPU time they stand for: samples x period */
};

struct pp_cache {
	const char *name;		/* owned by the profile */
	uint32_t live;			/* 1 when some process still had it live */
	uint64_t hits, misses, sets, deletes, evictions, expirations;
	uint64_t size, max_size;	/* entries */
	uint64_t bytes, max_bytes;	/* bytes; max_bytes 0 = none */
};

/* What one loaded dump or segment said about its process. */
struct pp_process {
	const char *source;		/* file name or /dev/shm path; owned by the profile */
	const char *cmdline;		/* owned by the profile */
	uint32_t pid, ppid, flags, exec_gen;
	uint64_t ticks_per_sec;
	uint64_t start_realtime_ns;	/* ns since the epoch */
	uint64_t start_ns, stop_ns, last_ns; /* CLOCK_MONOTONIC ns; stop 0 = did not exit */
	uint64_t wall_ns;		/* stop - start, or last - start when stop is 0 */
	uint64_t dropped_functions, stack_overflows, abandoned_frames, unmatched_exits;
	uint64_t threads_dropped, threads_seen, hist_dropped, strings_dropped;
	uint64_t rss_kib, rss_peak_kib;	/* KiB */
	uint64_t requests;
	uint64_t slow_threshold_ns;
	uint64_t hook_self_ps;		/* the hooks' cost its runtime measured (format.h), */
	uint64_t hook_call_ps;		/* picoseconds; 0 = not measured or not believed */
	uint32_t compensated;		/* 1: taken out of its figures (not --raw) */
	uint32_t threads;		/* thread areas read (state not FREE) */
	uint32_t live;			/* 1: read from a live segment */
	uint64_t records_dropped;	/* damaged records the loader left out */
	uint64_t lists_cut;		/* record lists whose walk a bad link ended */
	struct ppf_mem_sample *timeline;/* timeline_count samples, owned by the profile */
	uint32_t timeline_count;
};

/*
 * One call path: a node of the calling-context tree, merged over threads and
 * processes.  A node is (parent node, entry); its statistics are those of
 * the calls of its entry made along that path.  A function never appears
 * twice on one path: a call of a function already on the path (recursion,
 * direct or not) is counted on that earlier node, so the inclusive time of
 * a node counts outermost activations only and the nodes of an entry sum,
 * exactly, to the entry.  A "cut" node holds the calls of its entry made on
 * paths past the runtime's cap (PARAPROF_MAX_PATHS): their path above it is
 * not known, it has no parent and is shown under "[more paths]".
 */
struct pp_path {
	uint32_t parent;		/* index + 1 in paths[], 0 = a root */
	uint32_t entry;			/* index in entries[] */
	uint32_t cut;			/* 1: calls past the cap (see above) */
	uint32_t depth;			/* nodes above it: 0 for a root */
	uint32_t index;			/* its own index in paths[] */
	struct pp_entry st;		/* this path's statistics; st's key (kind,
					   module, offset, name) is the entry's */
};

#define PP_MORE_PATHS "[more paths]"	/* how a cut node's unknown path is shown */

/* A frame of a native stack: a return address, placed in its module. */
struct pp_frame {
	int32_t module;			/* index in modules[], -1 = in no module */
	uint64_t offset;		/* ELF address (runtime - load_addr), or the
					   runtime address when module == -1 */
};

/* One of the slowest calls the runtime kept (format.h: struct
 * ppf_slow_call), with its native stack, innermost frame first. */
struct pp_slow_call {
	uint32_t entry;			/* index in entries[]: the function */
	uint32_t path;			/* index + 1 in paths[], 0 = not known */
	uint32_t pid, tid;
	uint64_t dur_ns;		/* the call's duration */
	uint64_t end_ns;		/* CLOCK_MONOTONIC at its end */
	uint64_t start_ns;		/* its process's start (CLOCK_MONOTONIC) */
	uint32_t nframes;
	struct pp_frame frames[PPF_SLOW_FRAMES];
};

/*
 * One thread whose figures a dump of format version 4 kept apart (a live
 * thread's area, or an exited one's the runtime had not folded yet; format.h).
 * Its functions, regions and spans are in a profile of their own: entries
 * only (no processes, paths or modules: its functions' module indices are
 * those of the profile that holds the thread).
 */
struct pp_thread {
	uint32_t pid, tid;
	const char *name;		/* owned by the holding profile */
	const char *source;		/* its process's source; owned likewise */
	int exited;			/* 1: the thread had exited */
	uint64_t start_ns, stop_ns;	/* CLOCK_MONOTONIC ns; stop 0 = still running */
	struct pp_profile *prof;	/* its entries; owned */
};

struct pp_chunk;

struct pp_profile {
	struct pp_process *procs;	/* nprocs, in load order */
	size_t nprocs, procs_cap;
	struct pp_module *modules;
	size_t nmodules, modules_cap;
	struct pp_entry **entries;	/* nentries, in order of creation */
	size_t nentries, entries_cap;
	uint32_t *slots;		/* hash table: entry index + 1, 0 = empty */
	size_t nslots;			/* a power of two, >= 2 * nentries */
	struct pp_path **paths;		/* npaths, in order of creation: a parent
					   always comes before its children */
	size_t npaths, paths_cap;
	uint32_t *path_slots;		/* hash table: path index + 1, 0 = empty */
	size_t npath_slots;		/* a power of two, >= 2 * npaths, or 0 */
	uint64_t paths_cut;		/* nodes the runtimes could not keep: their
					   calls are on cut nodes */
	int flat;			/* set before loading: read no call paths and
					   no slowest calls (a second walk of every
					   dump that a flat reader does not need) */
	int raw;			/* set before loading: leave the hooks' own
					   cost in the figures (--raw) */
	int per_thread;			/* set before loading: keep each thread's
					   figures in threads[] (format version 4) */
	const char *thread_select;	/* set before loading, NULL = every thread:
					   merge only the areas of the threads whose
					   tid (all digits) or name this is */
	struct pp_thread *threads;	/* nthreads, in load order (per_thread) */
	size_t nthreads, threads_cap;
	uint64_t threads_matched;	/* areas thread_select took */
	uint64_t threads_folded;	/* exited threads the runtimes folded into
					   their process area: in no thread */
	size_t threads_unknown;		/* processes read from a format without
					   per-thread figures (version < 4) */
	struct pp_slow_call *slow;	/* nslow, in load order */
	size_t nslow, slow_cap;
	struct pp_sample *samples;	/* nsamples, in load order (none in a flat
					   profile, nor in a thread's) */
	size_t nsamples, samples_cap;
	struct pp_cache *caches;
	size_t ncaches, caches_cap;
	uint32_t *mod_slots, *cache_slots; /* hash tables: index + 1, 0 = empty */
	size_t nmod_slots, ncache_slots;   /* powers of two, >= 2 * count, or 0 */
	struct pp_chunk *arena;		/* entries and strings */
	char **notes;			/* the loader's one-line notes ("SOURCE: record
					   of ... dropped: ..."), malloc'ed, in order */
	size_t nnotes, notes_cap;
};

/* The name of an enum ppf_kind ("function", "region", "span", "endpoint"),
 * "?" for any other value; in notes and in every output format. */
const char *pp_kind_name(unsigned kind);

/* Returns an empty profile, or NULL when memory runs out. */
struct pp_profile *pp_profile_new(void);

/* Frees the profile and everything in it; NULL is allowed. */
void pp_profile_free(struct pp_profile *prof);

/* Copies `len` bytes of `s` plus a NUL into the profile's arena; NULL when
 * memory runs out.  The copy lives as long as the profile. */
char *pp_profile_strndup(struct pp_profile *prof, const char *s, size_t len);

/* Returns the index of the module (path, build_id), added when new; -1 when
 * memory runs out. */
int pp_profile_module(struct pp_profile *prof, const char *path, const uint8_t *build_id,
		      uint32_t build_id_len);

/* Returns the entry for a function (module, offset) or, for a named kind,
 * (kind, name), created zeroed (min_ns = UINT64_MAX) when new; NULL when
 * memory runs out.  `name` is copied.  Functions pass name NULL. */
struct pp_entry *pp_profile_entry(struct pp_profile *prof, unsigned kind, int module,
				  uint64_t offset, const char *name);

/* The entry of the function `symbol` (the nth of that name, format.h; its
 * demangled form `demangled`, NULL for none) of the module whose file name
 * is `modname` ("" for none), as its
 * dump's names table says; `module` and `offset` are where it is in the
 * first dump that has it.  Created zeroed when new, the strings copied;
 * NULL when memory runs out. */
struct pp_entry *pp_profile_function(struct pp_profile *prof, int module, uint64_t offset,
				     const char *modname, const char *symbol, uint32_t nth,
				     const char *demangled);

/* The entry of `prof` with the key of `like` (an entry of another profile
 * whose module indices are prof's: a thread's, say), or NULL when there is
 * none (nothing is created). */
struct pp_entry *pp_profile_find(const struct pp_profile *prof, const struct pp_entry *like);

/* Adds the counts of `s` into `e`, saturating: records, calls, times,
 * memory, responses; min and max as the smaller and the larger (an entry
 * without calls has min UINT64_MAX and max 0, so it moves neither).  Keys
 * and histograms are left alone (pp_hist_add_page() adds those).  The one
 * sum of the analyzer: the loader adds each record through it, the merge
 * of two profiles each entry. */
void pp_entry_add(struct pp_entry *e, const struct pp_entry *s);

/* Adds every entry of `src` into the entry with the same key in `dst`, and
 * every path node into the node of the same path (module indices must mean
 * the same in both).  0, or -1 when memory runs out (dst then holds part of
 * src). */
int pp_profile_merge_entries(struct pp_profile *dst, const struct pp_profile *src);

/* Returns the path node (parent, entry, cut) — `parent` an index + 1 in
 * paths[] or 0 for a root, `entry` an index in entries[] — created with
 * zeroed statistics and the entry's key when new; NULL when memory runs out
 * or an index is out of range.  A cut node has no parent (parent must be 0). */
struct pp_path *pp_profile_path(struct pp_profile *prof, uint32_t parent, uint32_t entry,
				int cut);

/* Appends a copy of `s` (its name copied into the profile) and adds its
 * samples to its entry's `sampled`; 0, or -1 when memory runs out or its
 * entry is out of range. */
int pp_profile_add_sample(struct pp_profile *prof, const struct pp_sample *s);

/* Adds the statistics and histogram of `s` into path node `p`; 0, or -1 when
 * memory runs out. */
int pp_path_add(struct pp_path *p, const struct pp_entry *s);

/* Appends a copy of `c` to the profile's slowest calls; 0, or -1 when
 * memory runs out. */
int pp_profile_add_slow(struct pp_profile *prof, const struct pp_slow_call *c);

/* Adds the counts of `s` into `e` (pp_entry_add()) and its histogram into
 * e's: the edges of the call graph sum path nodes this way.  0, or -1 when
 * memory runs out (the counts are then unchanged, the histogram may hold
 * part of s's). */
int pp_entry_merge(struct pp_entry *e, const struct pp_entry *s);

/* Returns the cache called `name`, created zeroed when new; NULL when memory
 * runs out. */
struct pp_cache *pp_profile_cache(struct pp_profile *prof, const char *name);

/* Appends a copy of the one-line note `text` (no newline; the caller
 * prints it, prefixed, when the load is done).  0, or -1 when memory runs
 * out. */
int pp_profile_note(struct pp_profile *prof, const char *text);

/* Appends a thread of `pid` (tid, name and source copied into the
 * profile) with an empty profile of its own and returns it; NULL when
 * memory runs out.  The pointer is valid until the next call. */
struct pp_thread *pp_profile_add_thread(struct pp_profile *prof, uint32_t pid, uint32_t tid,
					const char *name, const char *source);

/* Whether a thread (tid, name) is what `sel` (--thread) names: a tid when
 * sel is all digits, else a name, compared whole. */
int pp_thread_matches(const char *sel, uint32_t tid, const char *name);

/* Appends a zeroed process and returns it; NULL when memory runs out.  The
 * pointer is valid until the next call. */
struct pp_process *pp_profile_add_process(struct pp_profile *prof);

/* Adds the 64 counts of page `page` (< PPF_HIST_PAGES) to `h` and sets
 * *added (may be NULL) to their sum (saturated).  Returns 0, or -1 when memory
 * runs out (h is unchanged then). */
int pp_hist_add_page(struct pp_hist *h, unsigned page, const uint64_t *counts,
		     uint64_t *added);

/* Adds one duration `v` (ns) to `h`; 0, or -1 when memory runs out.  For
 * tests and synthetic profiles. */
int pp_hist_add_value(struct pp_hist *h, uint64_t v, uint64_t times);

/* Returns the count of bucket `i` (< PPF_HIST_BUCKETS). */
uint64_t pp_hist_bucket(const struct pp_hist *h, unsigned i);

/* a + b, saturating at UINT64_MAX: sums of hostile dumps never wrap. */
static inline uint64_t pp_sat_add(uint64_t a, uint64_t b)
{
	uint64_t r;

	return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

#endif /* PARAPROF_PROFILE_H */
