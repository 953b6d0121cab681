/* internal.h - libparaprof's private interfaces
 *
 * Shared by the files of preload/ and by request/request.c (request
 * profiling's link to the segment and hooks); never included from analyzer/.
 * Every non-static name here carries its module's prefix (seg_, clock_,
 * hooks_, sampler_, env_, wrap_, ...).  The cache (cache/) has its own
 * private header.
 */
#ifndef PARAPROF_INTERNAL_H
#define PARAPROF_INTERNAL_H

#include <pthread.h>
#include <signal.h>
#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include "paraprof/format.h"

#define PP_EXPORT __attribute__((visibility("default")))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* Order a seqlock writer's stores and a reader's loads (compiler barriers on
 * x86's TSO).  ThreadSanitizer does not model fences: under it they are
 * compiler barriers, which is what they compile to on x86 anyway. */
#ifdef __SANITIZE_THREAD__
#define pp_wmb() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#define pp_rmb() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#else
#define pp_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#define pp_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#endif

/* ---- env.c: settings, read once at start-up ---- */

struct env_settings {
	char output[512];		/* PARAPROF_OUTPUT: directory for dumps */
	int enable;			/* PARAPROF_ENABLE: start enabled */
	uint64_t mem_interval_ns;	/* PARAPROF_MEM_INTERVAL_MS */
	uint64_t shm_size;		/* PARAPROF_SHM_SIZE: bytes reserved */
	uint64_t max_paths;		/* PARAPROF_MAX_PATHS: call-path records */
	uint32_t max_threads;		/* PARAPROF_MAX_THREADS: exited threads whose
					   areas (figures) are kept; 0 = fold at exit */
	uint64_t slow_call_ns;		/* PARAPROF_SLOW_CALL_US: shortest call whose
					   stack is kept; 0 = none are */
	int quiet;			/* PARAPROF_QUIET */
	uint64_t session;		/* PARAPROF_SESSION: the launcher's run id, 0 = none */
	int secure;			/* AT_SECURE (setuid/setgid): profiling stays off */
	int libcalls;			/* PARAPROF_LIBCALLS: record blocking libc calls */
	uint64_t cpu_min_ns;		/* PARAPROF_CPU_MIN_US: the average call from
					   which CPU time is read, 0 = never */
	uint32_t sample_hz;		/* PARAPROF_SAMPLE: CPU-time samples per second
					   of each thread's CPU time, 0 = none */
};

extern struct env_settings env;

/* Reads the PARAPROF_* variables into `env`; an invalid value gets one
 * warning and the default. */
void env_read(void);

#define ENV_SLOW_THRESHOLD_NS 1000000000ull	/* PARAPROF_SLOW_THRESHOLD's default: 1 s */

/* Reads PARAPROF_SLOW_THRESHOLD (seconds) now and returns it in ns: the
 * default when it is unset, in a setuid or setgid program, or invalid (then
 * after one warning).  request.c calls it once, at the first request (it is
 * documented so: a program may set the variable before). */
uint64_t env_slow_threshold_ns(void);

/* A slow-request threshold of `seconds` in *ns.  Returns 0, or -1 when it is
 * not above 0 and at most 1e9 (NaN included); *ns is then unchanged. */
int env_threshold_ns(double seconds, uint64_t *ns);

/* Prints "paraprof: <fmt>\n" on stderr unless PARAPROF_QUIET is set. */
void env_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- clock.c: ticks and their conversion to nanoseconds ---- */

extern int clock_tsc;		/* 1: ticks are rdtsc, 0: CLOCK_MONOTONIC ns */
extern uint64_t clock_mult;	/* ns = ticks * clock_mult >> 32 */
extern uint64_t clock_ticks_per_sec;

/* Chooses the clock and calibrates it (about 5 ms with the TSC). */
void clock_init(void);

/* CLOCK_MONOTONIC in ns. */
uint64_t clock_mono_ns(void);

static inline uint64_t clock_now(void)
{
#if defined(__x86_64__) || defined(__i386__)
	if (likely(clock_tsc))
		return __builtin_ia32_rdtsc();
#endif
	return clock_mono_ns();
}

static inline uint64_t clock_to_ns(uint64_t ticks)
{
	return (uint64_t)(((unsigned __int128)ticks * clock_mult) >> 32);
}

/* ---- segment.c: the shared-memory segment ---- */

/* Base address of the mapped segment, NULL when profiling is off. */
extern char *seg_base;

/* The word the hooks compare: the header's flags, or a private word that is
 * 0 (disabled) when there is no segment or the process is shutting down. */
extern volatile uint32_t *seg_ctl;

/* The segment's header, or NULL when profiling is off. */
static inline struct ppf_header *seg_header(void)
{
	return (struct ppf_header *)seg_base;
}

static inline void *seg_ptr(uint64_t off)
{
	return seg_base + off;
}

static inline struct ppf_thread *seg_thread(unsigned i)
{
	return (struct ppf_thread *)(seg_base + seg_header()->thread_off) + i;
}

/*
 * Creates and maps /dev/shm/paraprof.<pid>.<pidns>.<start> (PPF_SEGMENT_FMT;
 * "-<n>" added when a file we must not touch has the name) and fills its
 * header and module table.  A leftover of our own under that name (the
 * program this process ran before exec) is saved as its dump first.
 * Returns 0, or -1 after one line on stderr: profiling is then off.
 */
int seg_create(uint64_t start_ns);

/* At start-up: a segment of our pid left by the program this process ran
 * before exec (or by a dead process whose pid we got) is saved as its dump
 * now, even if this program never records anything. */
void seg_adopt_leftover(void);

/* Points the control word at a private "enabled" word until the segment is
 * made (the first call makes it), or at a private 0 (profiling off). */
void seg_defer(void);
void seg_off(void);

/* 1 when this process has its segment (an instrumented or API call made
 * it), 0 while it is deferred or off. */
int seg_made(void);

/*
 * Allocates `size` bytes (a multiple of `align`, a power of two up to 4096)
 * for thread area `area` from its chunk, taking a new chunk from the segment
 * when needed.  The caller owns the area (one writer).  Returns the offset of
 * zeroed memory, or 0 when the segment is full.
 */
uint64_t seg_area_alloc(struct ppf_thread *area, size_t size, size_t align);

/* Takes `len` bytes (rounded up to pages) of the segment for a table of its
 * own; the offset of zeroed memory, or 0 when the segment is full. */
uint64_t seg_take(uint64_t len);

/* Claims a free thread area (index >= 1) for the calling thread; returns its
 * index, or 0 when all are taken (counted in threads_dropped). */
unsigned seg_claim_area(void);

/* Gives area `i` back (state FREE) for the next thread to claim. */
void seg_release_area(unsigned i);

/* The thread that owns area `i` has stopped recording in it: its name
 * is read again and its stop time set, and the area is kept,
 * PPF_THREAD_EXITED (unless env.max_threads is 0).  Returns the index of
 * the area the caller must now fold into area 0 and release (the oldest
 * exited one when env.max_threads are kept already; `i` itself when that
 * is 0), or 0 when none.  The thread calls seg_keep_area(i) when no one
 * can reach its area any more: only then may another exit fold it. */
unsigned seg_exit_area(unsigned i);
void seg_keep_area(unsigned i);
/* The area seg_exit_area() gave to fold when the fold found no room (area
 * 0 or the segment full): kept again, so that a later exit tries again. */
void seg_keep_unfolded(unsigned i);

/* Entry i of the thread info table (format.h); the segment must exist. */
struct ppf_thread_info *seg_thread_info(unsigned i);

/* Adds the module containing `addr` (and any other new one) to the module
 * table when no loaded module covers it yet.  Takes the module lock; not
 * for a signal handler's context.  Returns 1 + the index of the loaded
 * module that covers `addr` (record.module), or 0 when none does. */
uint32_t seg_cover(uintptr_t addr);

/* After a dlclose(): marks every module of the table that is no longer
 * loaded as unloaded.  Takes the module lock. */
void seg_modules_changed(void);

/*
 * Interns `name` in the segment's string table and returns its offset, or 0
 * when there is no segment or no room (counted in strings_dropped).  The same
 * name always gets the same offset.  Thread-safe; takes a lock.
 */
uint32_t seg_intern(const char *name);

/* The string-table offset of `name`, 0 when it is not there. */
uint32_t seg_find_name(const char *name);

/*
 * Returns a fresh slot in the segment's cache table for a cache called
 * `name` (interned in the string table), with state live; NULL when there is
 * no segment or the table is full.  The caller updates the counters with
 * atomic adds and sets state to 2 when the cache is freed.  Thread-safe.
 */
struct ppf_cache *seg_cache_slot(const char *name);

/*
 * In the process that made the segment only, once: stops recording, waits
 * for the other threads' hooks (hooks_quiesce), writes the used part to
 * paraprof.<pid>[.<gen>].ppd in the output directory (through an O_EXCL
 * temporary and a rename that never replaces a file: "-<n>" otherwise) and
 * removes the segment.  On failure says so once and leaves the segment.
 * `names` (NULL: none) is the names table the dump carries (names.c).
 */
struct ppc_names;
void seg_finish(const struct ppc_names *names);

/* Forgets the parent's segment in a child after fork (atfork child). */
void seg_forget(void);

/* Locks taken around fork() so that the child sees consistent tables. */
void seg_lock_all(void);
void seg_unlock_all(void);

/* The lock that serialises writers of area 0 (thread folds, spans). */
void seg_process_lock(void);
void seg_process_unlock(void);

/* ---- between the segment's files (segment.c, modules.c, leftover.c) ---- */

#define SEG_MODULE_CAP 256	/* entries of the module table (header.module_cap) */
#define SEG_NAME_MAX 96		/* a segment's name, PPF_SEGMENT_FMT[-<n>], with its NUL */

/* modules.c: the module table's lock, taken in seg_lock_all()'s order. */
extern pthread_mutex_t seg_module_lock;

/* modules.c: adds every loaded object that no loaded entry is to the table
 * of `h`.  seg_create calls it before the segment is published, without the
 * lock; every later caller holds seg_module_lock. */
void seg_scan_modules(struct ppf_header *h);

/* leftover.c: who this process is, for the segment's name. */
struct seg_identity {
	uint32_t pid;
	uint64_t pidns, start;		/* 0: unknown */
};

struct seg_identity seg_identify(void);

/*
 * leftover.c: creates the segment's file, O_CREAT|O_EXCL|O_NOFOLLOW, mode
 * 0600 less the umask (seg_create then sets 0600), under the first of
 * PPF_SEGMENT_FMT, then with "-1", "-2"..., that is free or holds a leftover
 * of ours that could be saved as a dump.  Leaves the name (relative to
 * PPF_SHM_DIR) in `name` (SEG_NAME_MAX bytes) and returns the descriptor,
 * or -1 after one line on stderr.
 */
int seg_open_new(const struct seg_identity *me, char *name);

/* leftover.c: the exec generation of the segment to make: 1 + that of the
 * program this process ran before exec, when its leftover was found. */
int seg_exec_gen(void);

/* leftover.c: in a child after fork, names are tried from the first again
 * and a foreign file is named again. */
void seg_leftover_forget(void);

/* segment.c: PPF_SHM_DIR + a segment's name. */
void seg_shm_path(char *buf, size_t len, const char *name);

/*
 * segment.c: writes `len` bytes at `base` as <stem>.ppd in PARAPROF_OUTPUT
 * (opened now), or as the first free <stem>-<n>.ppd: ppc_dump_write, no
 * file replaced, no link followed.  On success the name used (DIR/name) is
 * left in `used`.  `names` (NULL: none) is appended as the dump's names
 * table (common/nametab.h).  Returns 0, or -1 with errno set.  No malloc,
 * no stdio.
 */
int seg_write_dump(const void *base, uint64_t len, const char *stem, const struct ppc_names *names,
		   char *used, size_t used_len);

/* segment.c: the stem of a dump's normal name, paraprof.<pid>[.<gen>]. */
void seg_dump_stem(char *stem, size_t len, const struct ppf_header *h);

/* segment.c: says (one line) which name a dump took when <stem>.ppd was taken. */
void seg_say_renamed(const char *stem, const char *used);

/* ---- init.c ---- */

/* Makes the segment if it is not made yet (thread-safe, once per process
 * image or forked child).  Returns 0 when it exists, -1 when profiling is off. */
int init_segment(void);

/* The process is ending (the destructor, _exit): the caches' counters are
 * published, the calling thread's open frames counted and the dump written,
 * once, by the process that made the segment only.  `named`: the dump
 * carries the names of its functions (names.c); only the destructor asks
 * for them, as _exit() may be called where malloc is not safe. */
void init_exit(int named);

/* ---- wrap.c ---- */

/* Looks up the libc functions the wrappers forward to (the constructor
 * calls it first: dlsym is no call for a signal handler). */
void wrap_init(void);

/* ---- wrap_sample.c: exec*, sigaction and signal for the CPU sampler ---- */

/* Looks up libc's functions behind them (wrap_init calls it). */
void wrap_sample_init(void);

/* libc's sigaction(), never the wrapper (which hides the library's SIGPROF
 * action from the program). */
int wrap_real_sigaction(int sig, const struct sigaction *act, struct sigaction *old);

/* ---- libcalls.c: blocking libc calls as entries ---- */

/* Looks up libc's functions behind the wrappers (init.c, at start-up). */
void libcalls_init(void);

/* libc's pthread_mutex_lock() and write(), never a wrapper's: every lock
 * and message of the library itself (a lock it holds must never lead back
 * into the hooks, as a recorded call would).  While one of its locks is
 * held (libcalls_lock() to libcalls_unlock()) the thread records no libc
 * call, not even in a signal handler that interrupts it. */
int libcalls_lock(pthread_mutex_t *m);
void libcalls_unlock(pthread_mutex_t *m);
/* A lock taken another way (a trylock that succeeded) counted as held, and
 * the count of a fork child's only thread set to 0 (its locks are new). */
void libcalls_held(void);
void libcalls_forget_held(void);

/* Non-zero while the library has another library work for it (libelf):
 * that library's calls are forwarded, never recorded. */
extern __thread int libcalls_paused __attribute__((tls_model("initial-exec")));
ssize_t libcalls_write(int fd, const void *buf, size_t n);

/* ---- slowcalls.c: the slowest calls with their native stacks ---- */

/* A call of record `r` that lasted `dur_ns` ended just now and set a new
 * maximum for r: its stack is kept when it is long enough (format.h).
 * Not for a signal handler's nested calls; takes no lock (a busy table
 * drops the call). */
void slow_capture(const struct ppf_record *r, uint64_t dur_ns);

/* Finds the library's own text and takes one stack when the segment is
 * made, before any frame is timed: their first use (the module table, the
 * unwinder's tables, 40 us and more) then costs no function's time.
 * Nothing when slow calls are not kept. */
/* ---- calib.c: the hooks' own cost, measured at start-up ---- */

/* The segment was made: the figures go into it (a child after fork: its
 * parent's), or the next slow entry measures them. */
void calib_segment_made(void);
/* In the child after fork. */
void calib_forget(void);
/* 1 when a measurement is due. */
int calib_pending(void);

void slow_warm(void);

/* In a fork child: the table is free (no other thread of ours runs). */
void slow_after_fork(void);

/* ---- record.c: records of thread areas, lookup tables, folds ---- */

#define REC_GOLDEN 0x9E3779B97F4A7C15ull	/* Fibonacci hashing of keys */
#define REC_AREA_MAX 4096			/* >= any header.thread_cap we create */

/* A frame of a thread's shadow stack (hooks.c). */
struct frame {
	uintptr_t fn;			/* function address; 0 in a slot not in use */
	uintptr_t site;			/* its return address; 0 while its exit is recorded
					   and in a slot not in use */
	uintptr_t sp;			/* the caller's stack pointer at the entry hook */
	uint64_t start;			/* clock ticks at entry */
	uint64_t child_ns;		/* time in instrumented callees */
	struct ppf_record *rec;
	uint64_t cpu_start;		/* the thread's CPU clock at entry, ns ... */
	uint64_t cpu_tag;		/* ... valid when this equals start (a frame
					   whose record has PPF_REC_CPU) */
};

/* A slot of a lookup table: the record of `key` called from the call path
 * whose record is `parent` (NULL: a root).  32 bytes: a probe reads one
 * cache line. */
struct slot {
	uintptr_t key;			/* function address (other keys: see hooks.c) */
	struct ppf_record *parent;
	struct ppf_record *rec;
	uintptr_t cpu;			/* 1: rec's calls have their CPU time read
					   (PPF_REC_CPU): entries take the slow path */
};

struct cpusample_ring;

/* Private state of a thread area, kept with the area when a thread exits so
 * that the next thread that takes the area reuses it. */
struct area_priv {
	struct slot *tab;		/* key -> record, open addressing */
	uint32_t mask;			/* slots - 1 */
	uint32_t count;			/* keys in tab */
	unsigned shift;			/* 64 - log2(slots) */
	uint32_t cap;			/* frames `stack` holds */
	struct frame *stack;		/* sentinel + cap frames, touched as used */
	void *owner;			/* the owning thread's state (hooks.c), or NULL */
	uint32_t readers;		/* hooks_quiesce() reading owner's state: the
					   owner does not exit (free it) meanwhile */
	struct cpusample_ring *samp;	/* the owner's CPU samples not yet in records
					   (cpusample.c), made at its first use */
};

extern struct area_priv *rec_priv;	/* [REC_AREA_MAX] */

/* Private anonymous memory, or NULL. */
void *rec_map(size_t len);

/* The slot of (key, parent): a table slot's index. */
static inline uint32_t rec_index(uintptr_t key, const struct ppf_record *parent, unsigned shift)
{
	return (uint32_t)(((key + (uintptr_t)parent) * REC_GOLDEN) >> shift);
}

static inline struct slot *rec_probe(struct slot *tab, unsigned shift, uint32_t mask,
				     uintptr_t key, const struct ppf_record *parent)
{
	uint32_t i = rec_index(key, parent, shift);

	while ((tab[i].key != key || tab[i].parent != parent) && tab[i].key != 0)
		i = (i + 1) & mask;
	return &tab[i];
}

/* Makes the area's table, or doubles it.  Returns -1 when no memory could
 * be had (the table is then unchanged). */
int rec_table_grow(struct area_priv *a);

/* Inserts (key, parent) -> rec, doubling the table at half load.  Returns -1
 * when no memory could be had (the record then stays unreachable from the
 * table). */
int rec_table_insert(struct area_priv *a, uintptr_t key, struct ppf_record *parent,
		     struct ppf_record *rec);

/* Drops from the table every function record of a module marked unloaded
 * (after a dlclose its addresses may be another module's). */
void rec_table_drop_unloaded(struct area_priv *a);

/* Makes a zeroed record of `kind`, `key` and `module` (record.module) in
 * `area` and links it in: a node of the area's call paths under `parent`
 * (a record of the same area; NULL: a root).  The caller owns the area.
 * NULL when full. */
struct ppf_record *rec_new(struct ppf_thread *area, unsigned kind, uint64_t key,
			   uint32_t module, const struct ppf_record *parent);

/*
 * The node of (kind, key, module) called from the path `parent` in `area`
 * (private table `a`), the table's key being `tkey`: found in the table,
 * else an ancestor of the same kind and key (a function is on a path once:
 * format.h), else made, else — past header.max_paths — the area's cut
 * record of that key.  Inserted into the table under (tkey, parent).  NULL
 * when no record can be had.  The caller owns the area.
 */
struct ppf_record *rec_node(struct area_priv *a, struct ppf_thread *area, unsigned kind,
			    uint64_t key, uint32_t module, uintptr_t tkey,
			    struct ppf_record *parent);

/* The cap on path nodes (PARAPROF_MAX_PATHS), for header.max_paths. */
#define REC_MAX_PATHS_DEFAULT 131072
/* Exited threads whose areas are kept (PARAPROF_MAX_THREADS): the default,
 * and the most (areas are shared with the live threads, THREAD_CAP). */
#define REC_MAX_THREADS_DEFAULT 64u
#define REC_MAX_THREADS_LIMIT 512u

/* Gives record `r` its histogram page `p`; returns the page number, or 0
 * when the segment is full (counted in header.hist_dropped). */
uint32_t rec_hist_page(struct ppf_thread *area, struct ppf_record *r, unsigned p);

/* Zeroes every record of `area` and marks it as following clear `gen`.  The
 * caller is the area's one writer. */
void rec_clear_area(struct ppf_thread *area, uint32_t gen);

/* Brings area 0 up to the header's clear_gen; the process lock is held. */
void rec_clear_process_area(void);

/* Adds the area's records into area 0 and zeroes them (marked folded).
 * Takes the process lock.  Returns 1, or 0 when some record found no room
 * in area 0 (it then keeps its data, and the area must not be reused). */
int rec_fold_area(struct ppf_thread *area);

/* Forgets every area's table (a child after fork). */
void rec_forget(void);

/* ---- hooks.c ---- */

/* Sets up what the hooks need once the segment exists (thread-exit key). */
void hooks_init(void);

/* Accounts the calling thread's open frames as abandoned (exit()). */
void hooks_abandon_all(void);

/* Forgets every thread's private state after fork, in the child. */
void hooks_forget(void);

/* After seg_ctl stopped recording (seg_finish): waits, boundedly, until no
 * thread is inside a hook any more, so that the segment can be copied
 * whole.  Safe from a signal handler. */
void hooks_quiesce(void);

/* A longjmp or siglongjmp of the calling thread is about to land at stack
 * pointer `target` (0: not known) (wrap.c): the frames it leaves are
 * counted as abandoned now, or else looked for by the thread's next entry
 * (hooks.c, abandon_left). */
void hooks_longjmp(uintptr_t target);

/* After seg_modules_changed(): every thread forgets, at its next call, the
 * functions of unloaded modules (their addresses may now be another's). */
void hooks_modules_changed(void);

/* The calling thread named itself `name` (wrap.c's pthread_setname_np):
 * its area takes the name now, for readers of the live segment. */
void hooks_thread_named(const char *name);

/* Regions (PARAPROF_REGION): frames on the shadow stack whose record is a
 * named one.  `sp` is the caller's stack pointer (__builtin_dwarf_cfa() in
 * the exported function); flags bit 0: read /proc/self/statm at begin and
 * end.  Return 0, or -1 when the call is not recorded (disabled, no room). */
int hooks_region_begin(const char *name, unsigned flags, uintptr_t sp);
int hooks_region_end(void);

/*
 * A blocking libc call (libcalls.c): hooks_libcall_begin() notes the time
 * and the thread's top frame (it writes nothing the hooks share: a handler
 * or a jump during the call finds the stack as it was); hooks_libcall_end()
 * adds one call of the record of kind PPF_KIND_LIBCALL named `name` (a
 * literal) under that frame, if it is still the top one, and takes the
 * call's time out of the frame's self time.  Nothing is recorded from
 * inside the library or a handler that interrupted one of its hooks (the
 * gate is closed), before the process made its segment (an uninstrumented
 * program started under the library leaves no profile), when disabled,
 * or without room.
 */
struct hooks_libcall {
	uint64_t start;			/* clock at the call, 0: not recorded */
	uintptr_t top;			/* the top frame's fn then */
	uint32_t depth;			/* frames then */
};
void hooks_libcall_begin(struct hooks_libcall *c);
void hooks_libcall_end(const struct hooks_libcall *c, const char *name);

/*
 * Adds one call of `dur_ns` to the calling thread's record of `kind`
 * (PPF_KIND_REGION, _SPAN, _ENDPOINT) named `name`, made on first use (an
 * endpoint's with its tail, where its HTTP `status` class and whether it was
 * `slow` are counted).  `by_pointer`: look `name` up by its address first
 * (checked against its content).  Returns 0, or -1 when the thread cannot
 * record now (profiling off or disabled, no room: counted in
 * dropped_functions).  Lock-free once the record exists.
 */
int hooks_record_named(unsigned kind, const char *name, int by_pointer, uint64_t dur_ns,
		       int status, int slow);

/* paraprof_enable()/paraprof_disable(): see format.h for the protocol. */
void hooks_enable(int on);

/* paraprof_clear_stats(): a new clear generation; area 0 and the calling
 * thread's area are cleared at once, every other thread's at its next call. */
void hooks_clear(void);

/* The hooks' clock, in ticks (clock_to_ns() converts a difference). */
uint64_t hooks_now(void);

/* ---- query.c: statistics read in-process ---- */

struct query_result {
	uint64_t calls, sum_ns, inclusive_ns, self_ns, min_ns, max_ns;
	uint64_t p50_ns, p95_ns, p99_ns;
	uint64_t rss_sum_kib, rss_max_kib;
	uint64_t status[PPF_STATUS_CLASSES], slow;	/* endpoints */
};

/* Sets the latency fields that struct paraprof_stats and struct
 * paraprof_endpoint_stats both have (avg_ns, min_ns, max_ns, p50_ns,
 * p95_ns, p99_ns) from query result q.  A macro: the two structs are
 * different types with the same field names. */
#define QUERY_SET_LATENCY(st, q)						\
	do {									\
		(st)->avg_ns = (q)->calls ? (q)->sum_ns / (q)->calls : 0;	\
		(st)->min_ns = (q)->min_ns;					\
		(st)->max_ns = (q)->max_ns;					\
		(st)->p50_ns = (q)->p50_ns;					\
		(st)->p95_ns = (q)->p95_ns;					\
		(st)->p99_ns = (q)->p99_ns;					\
	} while (0)

/* A function's key in query_keys() and symtab: its runtime address, with
 * 1 + its module's index in the table (record.module, 0 = unknown) in the
 * bits from QKEY_MODULE_SHIFT up.  Code is mapped far below 2^55 (the top
 * of a 47-bit, or of a 56-bit, user address space is for the stack and for
 * mappings asked for there), and 9 bits hold 1 + any index < 256. */
#define QKEY_MODULE_SHIFT 55
#define QKEY_ADDR_MASK ((1ull << QKEY_MODULE_SHIFT) - 1)

struct query_key {
	unsigned kind;			/* enum ppf_kind */
	uint64_t key;			/* record.key; a function's with its module (QKEY_*) */
};

/* Sums every live record of (kind, key) over the thread areas into `out`,
 * with quantiles.  Returns 0, or -1 when there is no segment or no memory. */
int query_one(unsigned kind, uint64_t key, struct query_result *out);

/* Lists the distinct (kind, key) with calls into a malloc'ed array the
 * caller frees.  Returns 0, or -1. */
int query_keys(struct query_key **keys, size_t *count);

/* ---- symtab.c: function names in-process ---- */

/* Writes the (demangled) name of the function of query key `addr` (its
 * address, with its module above QKEY_MODULE_SHIFT) to buf; returns 1, or 0
 * when it has none. */
int symtab_name(uintptr_t addr, char *buf, size_t len);

/* The query key (address and module, see QKEY_MODULE_SHIFT) of the
 * function called `name` (mangled or demangled), 0 when no module has it. */
uintptr_t symtab_addr(const char *name);

/* For the dump's names table: the symbol (as the module has it; lives
 * until symtab_forget()) of the function at runtime address `addr`, looked
 * up in module `module` (1 + index; 0: the modules loaded now, then the
 * unloaded ones, newest first), with *index set to the module's index,
 * *nth to its number among the module's symbols of that name (format.h:
 * ppf_name.nth) and *demangled to its demangled form (malloc'ed, the caller frees it; NULL
 * when not a C++ name).  NULL when no module has a symbol there. */
const char *symtab_symbol(uint32_t module, uintptr_t addr, uint32_t *index, uint32_t *nth,
			  char **demangled);

/* Forgets the loaded tables (a child after fork). */
void symtab_forget(void);

/* ---- names.c: the dump's names table ---- */

/* Fills `t` (ppc_names_init()ed) with the name of every function that has
 * a record in the segment, from the modules' symbol tables (symtab.c).
 * Allocates: only at a normal exit, never in a signal handler.  A function
 * the modules do not name is left out (a reader falls back on the binary).
 * Returns 0, or -1 when memory runs out (t may hold part of the names). */
int names_collect(struct ppc_names *t);

/* ---- cpusample.c: what self time is made of (PARAPROF_SAMPLE) ---- */

/* With PARAPROF_SAMPLE set, once the segment is made: installs the SIGPROF
 * handler, unless the program has one (then says so once: no sampling). */
void cpusample_init(void);

/* Before an exec* of the calling thread (wrap.c): its timer is deleted
 * and a SIGPROF it left pending is taken, so that the new program (whose
 * SIGPROF is back to the default, fatal) does not receive it.  After an
 * exec that failed, cpusample_after_exec() starts the timer again. */
void cpusample_before_exec(void);
void cpusample_after_exec(void);

/* The program sets an action for SIGPROF (wrap_sample.c's sigaction and
 * signal): every thread's timer is deleted, the calling thread's pending
 * SIGPROF taken, and sampling stops, after one line.  Nothing when the
 * library does not sample.  cpusample_owns_sigprof(): 1 while it does
 * (the SIGPROF action is then the library's). */
void cpusample_yield(void);
int cpusample_owns_sigprof(void);

/* ---- sampler.c: memory ---- */

/* Sets the sampler up for the current segment (no thread: see
 * sampler_tick) and takes a first sample. */
void sampler_start(void);

/* The hooks' clock (clock_now() ticks) at which the next memory sample is
 * due; UINT64_MAX when no sampling.  The exit hook compares it with the
 * clock it has read anyway and calls sampler_tick() once it has passed. */
extern volatile uint64_t sampler_due;
/* The latest sample (KiB) as header.rss_kib has it, for the hooks: one load
 * where the header's takes two. */
extern volatile uint64_t sampler_rss_kib;

/* Takes a sample if it is still due at `now` (one thread wins; the others
 * return at once).  Async-signal-safe, takes no lock, preserves errno. */
void sampler_tick(uint64_t now);

/* Takes one sample now (also used at exit). */
void sampler_sample(void);

/* Reads /proc/self/statm now, publishes it like a sample and returns the RSS
 * in KiB (0 when it cannot be read).  A system call: not for the hooks. */
uint64_t sampler_read(void);

/* Forgets the parent's sampler in a child after fork. */
void sampler_forget(void);

#endif /* PARAPROF_INTERNAL_H */
