/* format.h - the paraprof segment and dump format
 *
 * The one header that both libparaprof.so (preload/) and paraprof-report
 * (analyzer/) include.  A live segment (/dev/shm/paraprof.<pid>.<pidns>.<start>,
 * see "names" below) and a dump file (paraprof.<pid>.ppd) have the same layout: a dump is the first
 * header.used_size bytes of the segment.  Every reference inside is a byte
 * offset from the start of the segment (0 means "none"), never a pointer, so
 * the bytes mean the same in every process that maps or reads them.
 *
 * All integers are little-endian, fixed width, naturally aligned.  All times
 * are nanoseconds (the runtime converts clock ticks when it records, so that
 * histograms of different processes merge bucket by bucket, exactly);
 * ticks_per_sec records the clock that was used.  Memory is in KiB.
 *
 * Consistency for readers of a live segment (see paraprof(5)):
 *  - every record has a seqlock: `seq` is odd while its one writer updates it;
 *    a reader copies the record and its histogram pages and retries when seq
 *    was odd or changed.
 *  - when a thread exits, its area is kept as it is (PPF_THREAD_EXITED, its
 *    figures still counted), and the oldest exited area past the cap is
 *    folded into area 0 (the process-wide area) under header.fold_seq, odd
 *    during the fold; a reader that saw fold_seq change retries the whole
 *    read.  A record already folded
 *    carries PPF_REC_FOLDED, so a reader of a process killed mid-fold skips it.
 *  - tables that only grow (modules, threads, strings, caches) publish their
 *    count with a release store after the entry is written.
 *
 * The format is versioned by PPF_VERSION; a reader accepts PPF_VERSION_MIN
 * to PPF_VERSION and refuses others.
 */
#ifndef PARAPROF_FORMAT_H
#define PARAPROF_FORMAT_H

#include <stdint.h>

#define PPF_MAGIC "PPROFSEG"		/* 8 bytes, no NUL */
#define PPF_MAGIC_LEN 8
#define PPF_VERSION 5		/* 5: record.outer_calls (records of 392 bytes), the
				   hooks' cost calibrated at start-up
				   (thread_info[0].hook_*_ps), records of kind
				   PPF_KIND_SAMPLE;
				   4: exited threads' areas kept (PPF_THREAD_EXITED),
				   the thread info table (header.thread_info_off)
				   and header.threads_folded, records of kind
				   PPF_KIND_LIBCALL, record.cpu_ns and cpu_wall_ns
				   (PPF_REC_CPU; records of 384 bytes); the names table
				   (header.names_*) may follow a dump of
				   version 3 or 4 (zero before);
				   3: record.parent (call paths), PPF_REC_CUT,
				   header.max_paths, paths and paths_cut, the
				   slowest calls (header.slow_*);
				   2: record.module, module.unloaded, header.session
				   and pidns_ino; readers also accept 1 and 2, whose
				   fields there are zero and whose records end
				   before `parent` (PPF_RECORD_SIZE_V2) */
#define PPF_VERSION_MIN 1

/* ---- names ------------------------------------------------------------- *
 *
 * A live segment is /dev/shm/paraprof.<pid>.<pidns>.<start>: the process id,
 * the inode of its pid namespace (/proc/self/ns/pid; 0 when unknown) and
 * its start time (field 22 of /proc/<pid>/stat, clock ticks since boot; 0
 * when unknown).  Exec keeps all three, so a program that exec'ed finds its
 * own earlier segment; a dead process whose pid came round again, or a
 * process of another pid namespace sharing /dev/shm, has another name.
 * A dump is paraprof.<pid>.ppd, paraprof.<pid>.<exec_gen>.ppd after an
 * exec, and a file of that name is never replaced: the next free name of
 * paraprof.<pid>[.<exec_gen>]-<n>.ppd (n = 1, 2, ...) is taken instead.
 */
#define PPF_SHM_DIR "/dev/shm"
#define PPF_SEGMENT_PREFIX "paraprof."
#define PPF_SEGMENT_FMT "/paraprof.%u.%llu.%llu"	/* pid, pidns inode, start ticks */
#define PPF_DUMP_SUFFIX ".ppd"

/* ---- histograms -------------------------------------------------------- *
 *
 * Log-linear buckets (the HdrHistogram family) over durations in ns.  With
 * SUB_BITS = 6 every power-of-two range [2^e, 2^(e+1)) for e >= 6 is split
 * into 64 equal sub-buckets of width 2^(e-6); values below 128 get a bucket
 * each.  Index of v:  shift = max(msb(v), 6) - 6;  index = shift*64 + (v >> shift).
 *
 * Error bound.  A bucket holds the integers [lower, lower + width - 1] with
 * width = 2^shift and lower >= 64 * 2^shift, so width / lower <= 1/64.  A
 * quantile is reported as the bucket's midpoint lower + (width - 1) / 2 (then
 * clamped to the record's exact min and max), which is off from any value in
 * the bucket by at most width / 2 <= lower / 128: the relative error of every
 * quantile is at most 1/128 = 0.78 %, below the 1 % the project promises.
 * Buckets of width 1 (v < 128) are exact.
 *
 * Storage.  The 3776 buckets are cut into PPF_HIST_PAGES pages of 64 buckets
 * (page p holds indices p*64 .. p*64+63, i.e. one octave for p >= 1).  A
 * record keeps a table of page offsets and a page is allocated the first time
 * a value falls into it, so a record costs sizeof(struct ppf_record) plus 512
 * bytes per octave its durations actually span.
 */
#define PPF_SUB_BITS 6
#define PPF_SUB (1u << PPF_SUB_BITS)			/* 64 sub-buckets */
#define PPF_HIST_PAGES (64 - PPF_SUB_BITS + 1)		/* 59 pages */
#define PPF_HIST_BUCKETS (PPF_HIST_PAGES * PPF_SUB)	/* 3776 buckets */
#define PPF_PAGE_BYTES 512				/* one page: 64 x uint64_t */

struct ppf_hist_page {
	uint64_t count[PPF_SUB];	/* calls whose duration fell in each bucket */
};

/* Bucket index of a duration v (ns); always < PPF_HIST_BUCKETS. */
static inline unsigned ppf_bucket(uint64_t v)
{
	unsigned shift = 63u - (unsigned)__builtin_clzll(v | PPF_SUB) - PPF_SUB_BITS;

	return (shift << PPF_SUB_BITS) + (unsigned)(v >> shift);
}

/* Smallest value (ns) that falls into bucket i. */
static inline uint64_t ppf_bucket_lower(unsigned i)
{
	unsigned page = i >> PPF_SUB_BITS, sub = i & (PPF_SUB - 1);

	return page == 0 ? sub : (uint64_t)(PPF_SUB + sub) << (page - 1);
}

/* Number of integer values (ns) bucket i holds. */
static inline uint64_t ppf_bucket_width(unsigned i)
{
	unsigned page = i >> PPF_SUB_BITS;

	return page <= 1 ? 1 : (uint64_t)1 << (page - 1);
}

/* The value a quantile falling into bucket i is reported as. */
static inline uint64_t ppf_bucket_value(unsigned i)
{
	return ppf_bucket_lower(i) + (ppf_bucket_width(i) - 1) / 2;
}

/* ---- records ----------------------------------------------------------- */

enum ppf_kind {
	PPF_KIND_FUNCTION = 1,	/* key: runtime address of the function */
	PPF_KIND_REGION = 2,	/* key: string-table offset of the region's name */
	PPF_KIND_SPAN = 3,	/* key: string-table offset of the span's name */
	PPF_KIND_ENDPOINT = 4,	/* key: string-table offset of "METHOD /route";
				   struct ppf_endpoint_tail follows the record */
	PPF_KIND_LIBCALL = 5,	/* key: string-table offset of a blocking libc
				   call's name ("nanosleep"): a callee of the
				   frame that made it; readers older than it
				   leave such records out with a note */
	PPF_KIND_SAMPLE = 6,	/* key: runtime address of a function the CPU-time
				   sampler (PARAPROF_SAMPLE) found running under
				   the parent record's frame: calls = samples,
				   sum_ns = samples x period, min_ns = max_ns =
				   the period, hist_dropped = calls (no histogram);
				   key == the parent's key: its own code.  Never a
				   parent; readers older than it leave it out with
				   a note */
};
#define PPF_KIND_MAX PPF_KIND_SAMPLE	/* the highest kind a reader knows */

#define PPF_REC_FOLDED 0x1u	/* counted in area 0 already: readers skip it */
#define PPF_REC_CPU 0x4u	/* its calls are long enough (PARAPROF_CPU_MIN_US on
				   average) that the thread's CPU clock is read at
				   their entry and exit (version >= 4) */
#define PPF_REC_CUT 0x2u	/* calls on paths past the cap: parent is 0 and
				   the path above is not known (see below) */

/*
 * Statistics of one function (region, span, endpoint) on one call path in
 * one thread area.  Written by one thread at a time, under `seq`.
 *
 * Call paths.  A record is a node of the area's calling-context tree:
 * `parent` is the record of the caller's node in the same area (0: a root,
 * called with no instrumented function active).  A function never appears
 * twice on one path: a call of a function that is already on the path
 * (recursion, direct or through others) is counted on that earlier node.
 * So the records of one key sum, exactly, to the function's statistics, and
 * every active frame of a function in a thread is on the same record (which
 * keeps inclusive_ns outermost-only, below).  Nodes are capped per process
 * (header.max_paths): past the cap, a call whose node would be new is
 * counted on the area's one PPF_REC_CUT record of its key (parent 0, the
 * path above unknown): its calls, times and histogram stay exact, and so
 * does its inclusive time unless the function is also active on a kept node
 * below it.  header.paths_cut counts the nodes that were not made.
 *
 * The histogram lags by at most one call: the writer adds each call's bucket
 * at the next call of the same record (a store whose address depends on a
 * fresh clock read is what a pipeline waits for longest), and keeps it in
 * `pending` meanwhile.  So for every record, always:
 *     sum of its buckets + (pending != 0) + hist_dropped == calls
 * and a reader that adds the pending bucket sees every call.
 *
 * Recursion: every frame is a call (calls, sum_ns, min/max, histogram and
 * self_ns count each frame).  inclusive_ns adds a frame's duration only when
 * no other frame of the same function is active below it on the same thread,
 * so it never exceeds the thread's wall time; avg = sum_ns / calls.
 */
struct ppf_record {
	uint64_t seq;		/* seqlock: odd while being written */
	uint64_t next;		/* offset of the next record of the area, 0 = last */
	uint64_t key;		/* see enum ppf_kind */
	uint16_t kind;		/* enum ppf_kind */
	uint16_t size;		/* bytes of this record, tail included */
	uint32_t flags;		/* PPF_REC_* */
	uint64_t calls;		/* completed calls (abandoned ones included) */
	uint64_t sum_ns;	/* sum of every call's inclusive duration */
	uint64_t inclusive_ns;	/* outermost frames only: <= wall time */
	uint64_t self_ns;	/* inclusive minus time in instrumented callees */
	uint64_t min_ns;	/* shortest call; UINT64_MAX when calls == 0 */
	uint64_t max_ns;	/* longest call */
	uint64_t abandoned;	/* calls ended by longjmp, exception, exit, pthread_exit */
	uint64_t rss_sum_kib;	/* sum over calls of the RSS seen at exit, KiB */
	uint64_t rss_max_kib;	/* largest RSS seen at an exit, KiB */
	uint64_t hist_dropped;	/* calls missing from the histogram (no page could be had) */
	uint32_t depth;		/* writer-private (active frames); meaningless to readers */
	uint32_t pending;	/* 0, or 1 + the bucket of one call not yet added to
				   the histogram: readers add it (see below) */
	uint32_t pages[PPF_HIST_PAGES]; /* page p: offset / PPF_PAGE_BYTES, 0 = none */
	uint32_t module;	/* functions: 1 + the index in the module table of the
				   module the function was in when the record was
				   made (a later module may take its addresses after
				   a dlclose); 0 = unknown: look the address up */
	uint64_t parent;	/* offset of the caller's record (see above), 0 = root;
				   version >= 3 only */
	uint64_t cpu_ns;	/* version >= 4: the thread's CPU time in the calls
				   whose CPU time was read (PPF_REC_CPU), ns */
	uint64_t cpu_wall_ns;	/* version >= 4: those calls' durations, ns: the
				   share of them on CPU is cpu_ns / cpu_wall_ns,
				   the rest was waiting (blocked, preempted) */
	uint64_t outer_calls;	/* version >= 5: the calls that were outermost
				   frames of this record (those inclusive_ns
				   counts); calls - outer_calls re-entered it
				   (recursion folded onto the node) */
};

/* Bytes of a record (without an endpoint's tail) in versions 1 and 2, in
 * version 3 and in version 4. */
#define PPF_RECORD_SIZE_V2 360
#define PPF_RECORD_SIZE_V3 368
#define PPF_RECORD_SIZE_V4 384

/* Responses by class: status[PPF_STATUS_OTHER] counts codes outside
 * 100..599, status[k] for k = 1..5 the codes k00..k99. */
#define PPF_STATUS_OTHER 0
#define PPF_STATUS_CLASSES 6

/* Follows a PPF_KIND_ENDPOINT record (record.size includes it). */
struct ppf_endpoint_tail {
	uint64_t status[PPF_STATUS_CLASSES];	/* responses by class (above) */
	uint64_t slow;		/* requests over the slow threshold */
	uint64_t reserved;
};

/* ---- thread areas ------------------------------------------------------- */

enum ppf_thread_state {
	PPF_THREAD_FREE = 0,	/* unused, or waiting for reuse: readers skip it */
	PPF_THREAD_ACTIVE = 1,	/* owned by a live thread */
	PPF_THREAD_PROCESS = 2,	/* area 0: what folded threads left, spans, endpoints */
	PPF_THREAD_EXITED = 3,	/* version >= 4: its thread exited; its records are
				   kept and count like an ACTIVE area's until the
				   area is folded into area 0 and reused */
};

/*
 * Per-thread figures (version 4).  An exiting thread's area is not folded
 * at once: it stays, PPF_THREAD_EXITED, with its records, its tid and its
 * name (read again at the exit: pthread_setname_np may come after the
 * claim), so that the report can show each thread.  At most
 * PARAPROF_MAX_THREADS exited areas are kept: the exit of one more thread
 * folds the oldest (smallest stop_ns) into area 0, counts it in
 * header.threads_folded and frees its area.  The process totals are the
 * sum of every area in use (ACTIVE, EXITED, PROCESS), exactly as before.
 */
struct ppf_thread_info {
	uint64_t start_ns;	/* CLOCK_MONOTONIC when the thread claimed the area */
	uint64_t stop_ns;	/* CLOCK_MONOTONIC at its exit, 0 while it runs */
	uint64_t hook_self_ps;	/* entry 0 only, version >= 5: what the hooks add to
				   the measured duration of an empty instrumented
				   function, picoseconds (median of calibration
				   calls at start-up); 0 = not calibrated */
	uint64_t hook_call_ps;	/* entry 0 only, version >= 5: what one instrumented
				   call's hooks add to its caller's time,
				   picoseconds; 0 = not calibrated.  Readers
				   subtract both (see "the hooks' own cost") */
};

struct ppf_thread {
	uint32_t state;		/* enum ppf_thread_state */
	uint32_t tid;		/* kernel thread id of the current owner */
	uint64_t records;	/* offset of the newest record, 0 = none */
	uint64_t record_count;	/* records in the list */
	uint64_t chunk_cur;	/* bump allocator of the area: next free byte (offset) */
	uint64_t chunk_end;	/* end of the current chunk (offset) */
	uint64_t threads_served;/* threads that have owned this area */
	char name[16];		/* thread name when it was claimed (version >= 4:
				   and again at its exit), NUL-terminated */
	uint32_t cleared_gen;	/* the header's clear_gen this area's records follow;
				   readers skip an area whose value differs: it holds
				   only what was recorded before a clear */
	uint32_t reserved;
};

/* ---- modules ------------------------------------------------------------ */

#define PPF_PATH_MAX 512
#define PPF_BUILD_ID_MAX 32

struct ppf_module {
	uint64_t load_addr;	/* dlpi_addr: runtime = ELF address + load_addr */
	uint64_t lo, hi;	/* runtime range [lo, hi) of its executable segments */
	uint32_t build_id_len;	/* bytes of build_id used, 0 = none */
	uint32_t unloaded;	/* 1: dlclose()d; its range may belong to a later
				   entry of the table (entries only grow) */
	uint8_t build_id[PPF_BUILD_ID_MAX];
	char path[PPF_PATH_MAX];/* absolute path, NUL-terminated */
};

/* ---- caches (paraprof_cache_*) ------------------------------------------ *
 * Counters are updated with atomic adds by any thread: each is exact, but a
 * reader does not see a snapshot across them. */
enum ppf_cache_state {
	PPF_CACHE_UNUSED = 0,	/* a free slot */
	PPF_CACHE_LIVE = 1,	/* the cache exists */
	PPF_CACHE_FREED = 2,	/* paraprof_cache_free()d: its counters stay */
};

struct ppf_cache {
	uint32_t name;		/* string-table offset of the cache's name */
	uint32_t state;		/* enum ppf_cache_state */
	uint64_t hits, misses;
	uint64_t sets, deletes;
	uint64_t evictions;	/* LRU evictions at max_size (or max_bytes) */
	uint64_t expirations;	/* entries found or reaped past their TTL */
	uint64_t size;		/* entries now */
	uint64_t max_size;	/* entry limit */
	uint64_t bytes;		/* bytes of keys and values now */
	uint64_t max_bytes;	/* byte limit, 0 = none */
	uint64_t reserved[4];
};

/* ---- the slowest calls -------------------------------------------------- *
 *
 * For a record (a function on one path) the runtime keeps up to
 * PPF_SLOW_PER_RECORD calls with the native stack at their end (every frame,
 * uninstrumented ones included: library callbacks, code built without the
 * flag), taken only when a call of at least header.slow_call_min_ns sets a
 * new maximum for its record, so a fast call pays nothing: the slowest call
 * of a record is always among them, with the record-setting calls before it.
 * A record's entries are in the table below; a record that has
 * PPF_SLOW_PER_RECORD already has its shortest one replaced.  Entries are
 * written under their own seqlock; `count` publishes a new one. */
#define PPF_SLOW_PER_RECORD 4
#define PPF_SLOW_FRAMES 30

struct ppf_slow_call {
	uint64_t seq;		/* seqlock: odd while being written */
	uint64_t rec;		/* offset of the record whose call this was */
	uint64_t dur_ns;	/* the call's duration */
	uint64_t end_ns;	/* CLOCK_MONOTONIC at its end */
	uint32_t tid;		/* kernel thread id */
	uint32_t nframes;	/* entries of frames[] used */
	uint64_t frames[PPF_SLOW_FRAMES]; /* return addresses, innermost first: [0]
				   is in the function itself (or, when gcc calls
				   the exit hook as a tail call, in its caller) */
};

/* ---- memory timeline ----------------------------------------------------- */

struct ppf_mem_sample {
	uint64_t t_ns;		/* CLOCK_MONOTONIC */
	uint64_t rss_kib;	/* resident set size */
};

/* ---- names of functions (dumps only) ----------------------------------- *
 *
 * A dump names the functions it counts, so that it reads the same after
 * the program was rebuilt or on a machine without it.  Whoever writes the
 * dump (the library at a normal exit, paraprof-report --gc and --merge)
 * appends, after everything else and 8-byte aligned, header.names_count
 * entries and then their pool: NUL-terminated strings, whose first byte is
 * a NUL (offset 0 = none); header.names_bytes covers both, and used_size
 * includes them.  An entry names the function at `offset` of module
 * `module` (the module table gives its path and build id), the place a
 * function record's key is in (record.module, else the module whose range
 * holds the key).  A function the table does not name is looked up in the
 * module's file, as in older dumps, whose names_off is 0 (no version bump:
 * these three fields were reserved, zero, before).  Readers check every
 * offset; a table that does not add up is left out whole, with a note. */
#define PPF_NAMES_MAX (1u << 24)		/* entries */
#define PPF_NAMES_POOL_MAX (256u << 20)		/* bytes of pool */
#define PPF_NAME_MAX 4096			/* bytes of one name, NUL excluded */

struct ppf_name {
	uint32_t module;	/* 1 + index in the module table; 0 = in no module
				   (offset is then the runtime address) */
	uint32_t symbol;	/* pool offset of the symbol as the module has it
				   (C++: mangled) */
	uint32_t demangled;	/* pool offset of its demangled form, 0 = none
				   (not mangled, or left to the reader) */
	uint32_t nth;		/* how many functions of the module before it (by
				   address) have its symbol: 0 for most; tells
				   apart static functions of one name */
	uint64_t offset;	/* ELF address in the module (runtime - load_addr) */
};

/* ---- header ------------------------------------------------------------- */

#define PPF_FLAG_ENABLED 0x1u	/* recording; cleared by paraprof_disable() etc. */
#define PPF_FLAG_COMPLETE 0x2u	/* the process exited normally and wrote this */
#define PPF_FLAG_TSC 0x4u	/* times came from the invariant TSC */
#define PPF_FLAG_EXEC 0x8u	/* the process exec'ed another program after this */
/* Bits 16-31 of flags count enables and clears (mod 2^16): a change of the
 * whole word tells every thread, in one comparison, to look again.
 *
 * To enable from outside: increment enable_gen, set PPF_FLAG_ENABLED and add
 * PPF_FLAG_EPOCH_ONE (atomically, in that order).  To disable: clear
 * PPF_FLAG_ENABLED.  To clear the statistics: increment clear_gen, then add
 * PPF_FLAG_EPOCH_ONE; each thread zeroes its own records at its next call,
 * so no record is ever torn, and until then readers skip its area. */
#define PPF_FLAG_EPOCH_SHIFT 16
#define PPF_FLAG_EPOCH_ONE (1u << PPF_FLAG_EPOCH_SHIFT)

struct ppf_header {
	char magic[PPF_MAGIC_LEN];	/* PPF_MAGIC */
	uint32_t version;		/* PPF_VERSION */
	uint32_t header_size;		/* sizeof(struct ppf_header) */
	uint64_t reserved_size;		/* bytes of address space reserved for the segment */
	uint64_t used_size;		/* bytes in use from offset 0 (a dump's size) */
	uint32_t pid, ppid;
	uint32_t flags;			/* PPF_FLAG_* (read and written atomically) */
	uint32_t exec_gen;		/* 0, or how many execs preceded this program */
	uint64_t ticks_per_sec;		/* calibrated clock rate (informational) */
	uint64_t start_realtime_ns;	/* CLOCK_REALTIME at start, ns since the epoch */
	uint64_t start_ns;		/* CLOCK_MONOTONIC at start */
	uint64_t stop_ns;		/* CLOCK_MONOTONIC at exit, 0 while running */
	uint64_t last_ns;		/* CLOCK_MONOTONIC of the last memory sample */
	uint64_t fold_seq;		/* odd while a thread's records are folded */
	char cmdline[512];		/* argv joined by spaces, NUL-terminated, truncated */

	/* things that could not be recorded: counted, never undefined behaviour */
	uint64_t dropped_functions;	/* calls of functions no record could be made for */
	uint64_t stack_overflows;	/* calls deeper than the shadow stack */
	uint64_t abandoned_frames;	/* frames left by longjmp, exceptions, exit */
	uint64_t unmatched_exits;	/* exit hooks with no matching entry */
	uint64_t threads_dropped;	/* threads that found no free area */
	uint64_t threads_seen;		/* threads that recorded anything */
	uint64_t hist_dropped;		/* samples not in histograms (no page) */
	uint64_t strings_dropped;	/* names that did not fit the string table */

	uint64_t module_off;		/* struct ppf_module[module_cap] */
	uint32_t module_cap, module_count;
	uint64_t thread_off;		/* struct ppf_thread[thread_cap]; [0] is the process area */
	uint32_t thread_cap, thread_count; /* thread_count: entries ever used */
	uint64_t strtab_off;		/* NUL-terminated names */
	uint32_t strtab_cap, strtab_used; /* bytes */
	uint64_t timeline_off;		/* struct ppf_mem_sample[timeline_cap] */
	uint32_t timeline_cap, timeline_count;
	uint64_t timeline_seq;		/* seqlock over the timeline (compaction) */
	uint64_t timeline_interval_ns;	/* time between kept samples */
	uint64_t cache_off;		/* struct ppf_cache[cache_cap] */
	uint32_t cache_cap, cache_count;

	uint64_t rss_kib;		/* latest sample */
	uint64_t rss_peak_kib;		/* largest sample */
	uint64_t mem_interval_ns;	/* sampler period */
	uint64_t slow_threshold_ns;	/* request profiling: slow request threshold */
	uint64_t requests;		/* request profiling: requests begun */
	uint32_t clear_gen;		/* paraprof_clear_stats() calls (and --clear) so far */
	uint32_t enable_gen;		/* paraprof_enable() calls (and --enable) so far */
	uint64_t proc_start_ticks;	/* starttime of /proc/PID/stat (clock ticks since
					 * boot; 0: unknown): the same across exec, so a
					 * segment left under our name tells an earlier
					 * program of this process from a dead process
					 * whose pid this one got */
	uint64_t session;		/* PARAPROF_SESSION: the launcher's run, 0 = none */
	uint64_t pidns_ino;		/* inode of the pid namespace (0: unknown) */
	uint64_t paths;			/* path records made (area 0's included) */
	uint64_t paths_cut;		/* path records not made: the cap was reached */
	uint64_t max_paths;		/* the cap on paths (PARAPROF_MAX_PATHS) */
	uint64_t slow_off;		/* struct ppf_slow_call[slow_cap] (0: none) */
	uint32_t slow_cap, slow_count;	/* slow_count: entries in use */
	uint64_t slow_call_min_ns;	/* calls shorter are never kept there */
	uint64_t slow_dropped;		/* calls that found the table full */
	uint64_t thread_info_off;	/* version >= 4: struct ppf_thread_info[thread_cap],
					   entry i of area i; 0 = none */
	uint64_t threads_folded;	/* version >= 4: exited threads folded into
					   area 0 (past PARAPROF_MAX_THREADS): their
					   figures count in no thread */
	uint64_t names_off;		/* struct ppf_name[names_count], then the names'
					   pool (see "names of functions"); 0 = none:
					   a live segment, an older dump */
	uint64_t names_count;		/* entries, <= PPF_NAMES_MAX */
	uint64_t names_bytes;		/* entries and pool, bytes */
};

#endif /* PARAPROF_FORMAT_H */
