/* segment.c - the shared-memory segment that holds every statistic
 *
 * /dev/shm/paraprof.<pid>.<pidns>.<start> (PPF_SEGMENT_FMT) is created
 * O_EXCL|O_NOFOLLOW, mode 0600, and mapped once at a fixed size
 * (PARAPROF_SHM_SIZE, 1 GiB by default).  The file is sparse: tmpfs charges
 * only pages that are allocated, and every range is allocated (fallocate at
 * creation, MADV_POPULATE_WRITE or a fallocate through the name reopened
 * later) before it is handed out, so a full /dev/shm is an error code here,
 * never a SIGBUS in the host.  No descriptor is kept: a program may close or
 * reuse any descriptor number.  Layout (offsets in struct ppf_header): the
 * header, the module table, the thread table, the thread info table, the
 * string table, the memory timeline, the cache table; after them, chunks
 * that thread areas carve records and histogram pages from.  Nothing is ever
 * freed; a thread area is reused whole, so the segment stays bounded by the
 * number of distinct functions and of threads alive at once plus the
 * exited ones kept (PARAPROF_MAX_THREADS, seg_exit_area()).
 *
 * The segment's name is picked, and a leftover under it saved, in
 * leftover.c; its module table is kept in modules.c.  A file already under
 * our name is adopted (saved as a dump, then replaced) only when it is ours
 * beyond doubt; anything else is left alone and the segment takes the name
 * with "-1", "-2"... appended.
 *
 * At exit the used part is written to PARAPROF_OUTPUT/paraprof.<pid>.ppd and
 * the segment removed; after a crash or SIGKILL it stays for
 * paraprof-report --pid.  Dumps are written by ppc_dump_write
 * (common/dumpfile.c) in a directory opened at write time: through a
 * temporary file made O_EXCL|O_NOFOLLOW, mode 0600, renamed without
 * replacing anything, so that an existing dump is never overwritten (the
 * next free paraprof.<pid>[.<gen>]-<n>.ppd is taken).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "common/dumpfile.h"
#include "common/nametab.h"
#include "common/names.h"

/* paraprof(5) documents these offsets; version 1 files have this header */
_Static_assert(offsetof(struct ppf_header, proc_start_ticks) == 816 &&
	       sizeof(struct ppf_header) == 936, "the header of PPF_VERSION 1 moved");
/* paraprof(5) documents the version 4 additions so */
_Static_assert(offsetof(struct ppf_header, thread_info_off) == 896 &&
	       offsetof(struct ppf_header, threads_folded) == 904 &&
	       sizeof(struct ppf_thread_info) == 32, "the thread info of PPF_VERSION 4 moved");

#define THREAD_CAP 1024
#define STRTAB_CAP (64 * 1024)
#define TIMELINE_CAP 4096
#define CACHE_CAP 64
#define CHUNK_BYTES (16 * 1024)		/* what an area takes at a time */
#define LOCK_WAIT_NS 100000000ull	/* seg_finish waits that long for the locks */

char *seg_base;
static uint32_t ctl_off;			/* private: profiling off, or exiting */
static uint32_t ctl_pending;			/* private: enabled, segment not made yet */
volatile uint32_t *seg_ctl = &ctl_off;

/* claimed[i]: 0 free, CLAIM_OWNED given to a thread (or being folded),
 * CLAIM_KEPT exited and kept, the next to fold when it is the oldest */
enum { CLAIM_OWNED = 1, CLAIM_KEPT = 2 };
static uint8_t claimed[THREAD_CAP];		/* (alloc_lock) */
static uint32_t exited_kept;			/* areas PPF_THREAD_EXITED (alloc_lock) */
static char seg_name[SEG_NAME_MAX];		/* PPF_SEGMENT_FMT [-<n>] */
static dev_t seg_dev;				/* the segment's file, to know it */
static ino_t seg_ino;				/* again when reopened by name */
static int finished;				/* seg_finish ran (atomic) */
static int said_full;				/* "/dev/shm is full" said */

static pthread_mutex_t alloc_lock = PTHREAD_MUTEX_INITIALIZER;	/* chunks, areas */
static pthread_mutex_t string_lock = PTHREAD_MUTEX_INITIALIZER;	/* strings, caches */
static pthread_mutex_t process_lock = PTHREAD_MUTEX_INITIALIZER;	/* area 0 */

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* ---- names and dumps: the paths and the writing without malloc or stdio
 * (seg_finish may run in a signal handler or a child after fork) ---- */

void seg_shm_path(char *buf, size_t len, const char *name)
{
	struct ppc_buf b = { buf, len, 0 };

	ppc_buf_str(&b, PPF_SHM_DIR);
	ppc_buf_str(&b, name);
}

int seg_write_dump(const void *base, uint64_t len, const char *stem, const struct ppc_names *names,
		   char *used, size_t used_len)
{
	char name[SEG_NAME_MAX + PPC_DUMP_NAME_EXTRA];
	struct ppc_buf u = { used, used_len, 0 };
	int dirfd, rc, err;

	/* opened now, not at start-up: no descriptor is kept (see the top) */
	dirfd = open(env.output, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -1;
	rc = ppc_names_write(dirfd, stem, base, len, names, name, sizeof(name));
	err = errno;
	close(dirfd);
	if (rc == 0) {
		ppc_buf_str(&u, env.output);
		ppc_buf_str(&u, "/");
		ppc_buf_str(&u, name);
	}
	errno = err;
	return rc;
}

void seg_dump_stem(char *stem, size_t len, const struct ppf_header *h)
{
	ppc_dump_stem(stem, len, PPC_DUMP_PREFIX, h->pid, h->exec_gen);
}

void seg_say_renamed(const char *stem, const char *used)
{
	struct ppc_buf b;
	char normal[sizeof(env.output) + 64];

	b = (struct ppc_buf){ normal, sizeof(normal), 0 };
	ppc_buf_str(&b, env.output);
	ppc_buf_str(&b, "/");
	ppc_dump_file(normal + b.len, sizeof(normal) - b.len, stem, 0);
	if (strcmp(normal, used) != 0)
		env_warn("%s exists; this profile is saved as %s", normal, used);
}

/* ---- creation ----------------------------------------------------------- */

static void read_cmdline(char *buf, size_t len)
{
	ssize_t n;
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);

	buf[0] = 0;
	if (fd < 0)
		return;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	for (ssize_t i = 0; i < n - 1; i++)
		if (buf[i] == 0)
			buf[i] = ' ';
}

/* fallocate()s [off, off+len) of the segment open as `fd`: tmpfs then owns
 * the pages, so touching them cannot fault with SIGBUS when /dev/shm fills
 * up.  Returns 0, or -1 with errno set. */
static int reserve_fd(int fd, uint64_t off, uint64_t len)
{
	int rc;

	do
		rc = fallocate(fd, 0, (off_t)off, (off_t)len);
	while (rc < 0 && errno == EINTR);
	if (rc < 0 && errno == EOPNOTSUPP)
		return 0;	/* not tmpfs: pages come on first touch */
	return rc;
}

/*
 * The same for a range of the mapped segment, holding no descriptor: the
 * program may have closed or reused any number.  MADV_POPULATE_WRITE
 * (Linux 5.14) allocates the pages through the mapping itself and fails
 * with EFAULT where touching them would raise SIGBUS; it works whatever
 * became of the name and whatever euid the process has switched to.  On an
 * older kernel the segment is reopened by name, known by its device and
 * inode (a file put in its place is never written), fallocate()d and closed.
 * Returns 0, or -1 with errno set (ENOSPC: /dev/shm is full).
 */
static int reserve_mapped(uint64_t off, uint64_t len)
{
	char path[128];
	struct stat st;
	int fd, rc, err;

#ifdef MADV_POPULATE_WRITE
	if (madvise(seg_base + off, len, MADV_POPULATE_WRITE) == 0)
		return 0;
	if (errno == EFAULT) {
		errno = ENOSPC;
		return -1;
	}
	if (errno != EINVAL)
		return -1;
#endif
	seg_shm_path(path, sizeof(path), seg_name);
	fd = open(path, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || st.st_dev != seg_dev || st.st_ino != seg_ino) {
		close(fd);
		errno = ESTALE;
		return -1;
	}
	rc = reserve_fd(fd, off, len);
	err = errno;
	close(fd);
	errno = err;
	return rc;
}

int seg_create(uint64_t start_ns)
{
	struct ppf_header *h;
	uint64_t off, size = env.shm_size;
	struct seg_identity me;
	struct timespec rt;
	struct stat st;
	char path[128];
	void *map;
	int fd;

	if (env.secure)
		return -1;	/* env_read() said so */
	me = seg_identify();
	fd = seg_open_new(&me, seg_name);
	if (fd < 0)
		return -1;
	seg_shm_path(path, sizeof(path), seg_name);
	/* exactly 0600 whatever the umask: what seg_adopt_leftover() checks */
	if (fchmod(fd, 0600) < 0 || fstat(fd, &st) < 0) {
		env_warn("cannot set up %s: %s; profiling is off", path, strerror(errno));
		goto fail;
	}
	seg_dev = st.st_dev;
	seg_ino = st.st_ino;
	if (ftruncate(fd, (off_t)size) < 0) {
		env_warn("cannot size %s to PARAPROF_SHM_SIZE=%llu bytes: %s; profiling is off",
			 path, (unsigned long long)size, strerror(errno));
		goto fail;
	}
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		/* the address space (ulimit -v) is the real limit of the size */
		env_warn("cannot map %s (PARAPROF_SHM_SIZE=%llu bytes): %s%s; profiling is off",
			 path, (unsigned long long)size, strerror(errno),
			 errno == ENOMEM ? " (lower PARAPROF_SHM_SIZE, or raise ulimit -v)" : "");
		goto fail;
	}

	off = align_up(sizeof(struct ppf_header), 64);
	uint64_t module_off = off;
	off = align_up(off + SEG_MODULE_CAP * sizeof(struct ppf_module), 64);
	uint64_t thread_off = off;
	off = align_up(off + THREAD_CAP * sizeof(struct ppf_thread), 64);
	uint64_t thread_info_off = off;
	off = align_up(off + THREAD_CAP * sizeof(struct ppf_thread_info), 64);
	uint64_t strtab_off = off;
	off = align_up(off + STRTAB_CAP, 64);
	uint64_t timeline_off = off;
	off = align_up(off + TIMELINE_CAP * sizeof(struct ppf_mem_sample), 64);
	uint64_t cache_off = off;
	off = align_up(off + CACHE_CAP * sizeof(struct ppf_cache), 4096);

	if (reserve_fd(fd, 0, off) < 0) {
		if (errno == ENOSPC)
			env_warn("cannot allocate %s: %s: /dev/shm is full, free space there "
				 "(PARAPROF_SHM_SIZE does not help); profiling is off",
				 path, strerror(errno));
		else
			env_warn("cannot allocate %s: %s; profiling is off", path, strerror(errno));
		munmap(map, size);
		goto fail;
	}
	close(fd);
	/* built before it is published: a thread that sees seg_base set
	 * (without create_lock) must find a complete header */
	h = map;
	memcpy(h->magic, PPF_MAGIC, PPF_MAGIC_LEN);
	h->version = PPF_VERSION;
	h->header_size = sizeof(*h);
	h->reserved_size = size;
	h->used_size = off;
	h->pid = me.pid;
	h->ppid = (uint32_t)getppid();
	h->exec_gen = (uint32_t)seg_exec_gen();
	h->proc_start_ticks = me.start;
	h->pidns_ino = me.pidns;
	h->session = env.session;
	h->max_paths = env.max_paths;
	h->ticks_per_sec = clock_ticks_per_sec;
	clock_gettime(CLOCK_REALTIME, &rt);
	h->start_realtime_ns = (uint64_t)rt.tv_sec * 1000000000ull + (uint64_t)rt.tv_nsec;
	h->start_ns = start_ns;
	h->last_ns = h->start_ns;
	read_cmdline(h->cmdline, sizeof(h->cmdline));
	h->module_off = module_off;
	h->module_cap = SEG_MODULE_CAP;
	h->thread_off = thread_off;
	h->thread_cap = THREAD_CAP;
	h->thread_count = 1;
	h->thread_info_off = thread_info_off;
	h->strtab_off = strtab_off;
	h->strtab_cap = STRTAB_CAP;
	h->strtab_used = 1;		/* offset 0 is "no name" */
	h->timeline_off = timeline_off;
	h->timeline_cap = TIMELINE_CAP;
	h->timeline_interval_ns = env.mem_interval_ns;
	h->cache_off = cache_off;
	h->cache_cap = CACHE_CAP;
	h->slow_call_min_ns = env.slow_call_ns;	/* the table: at the first such call */
	h->mem_interval_ns = env.mem_interval_ns;
	h->slow_threshold_ns = ENV_SLOW_THRESHOLD_NS;
	((struct ppf_thread *)((char *)map + thread_off))->state = PPF_THREAD_PROCESS;
	seg_scan_modules(h);
	__atomic_store_n(&seg_base, (char *)map, __ATOMIC_RELEASE);
	__atomic_store_n(&h->flags, (env.enable ? PPF_FLAG_ENABLED : 0) |
			 (clock_tsc ? PPF_FLAG_TSC : 0), __ATOMIC_RELEASE);
	seg_ctl = &h->flags;
	return 0;
fail:
	close(fd);
	unlink(path);
	return -1;
}

/* ---- allocation ----------------------------------------------------------- */

/* Takes `len` bytes (a multiple of 4096) from the segment; 0 when full.
 * Leaves errno as it was. */
static uint64_t take_chunk(uint64_t len)
{
	struct ppf_header *h = seg_header();
	uint64_t off = 0;
	int saved_errno = errno, full = 0;

	libcalls_lock(&alloc_lock);
	if (h->used_size + len <= h->reserved_size) {
		if (reserve_mapped(h->used_size, len) == 0) {
			off = h->used_size;
			__atomic_store_n(&h->used_size, off + len, __ATOMIC_RELEASE);
		} else if (errno == ENOSPC && !said_full) {
			said_full = full = 1;
		}
	}
	libcalls_unlock(&alloc_lock);
	if (full)
		env_warn("/dev/shm is full: functions first called from now on are not "
			 "recorded (free space in /dev/shm; PARAPROF_SHM_SIZE does not help)");
	errno = saved_errno;
	return off;
}

uint64_t seg_take(uint64_t len)
{
	return take_chunk(align_up(len, 4096));
}

uint64_t seg_area_alloc(struct ppf_thread *area, size_t size, size_t align)
{
	uint64_t off = align_up(area->chunk_cur, align);

	if (!area->chunk_cur || off + size > area->chunk_end) {
		uint64_t len = align_up(size > CHUNK_BYTES ? size : CHUNK_BYTES, 4096);
		uint64_t chunk = take_chunk(len);

		if (!chunk)
			return 0;
		area->chunk_cur = chunk;
		area->chunk_end = chunk + len;
		off = chunk;
	}
	area->chunk_cur = off + size;
	return off;	/* fresh tmpfs pages are zero and chunks are never reused */
}

unsigned seg_claim_area(void)
{
	struct ppf_header *h = seg_header();
	unsigned i;

	libcalls_lock(&alloc_lock);
	for (i = 1; i < h->thread_count; i++)
		if (!claimed[i] && seg_thread(i)->state == PPF_THREAD_FREE)
			break;
	if (i == h->thread_count) {
		if (i == h->thread_cap) {
			libcalls_unlock(&alloc_lock);
			__atomic_fetch_add(&h->threads_dropped, 1, __ATOMIC_RELAXED);
			return 0;
		}
		__atomic_store_n(&h->thread_count, i + 1, __ATOMIC_RELEASE);
	}
	/* taken, but readers still skip it until the owner makes it ACTIVE */
	claimed[i] = CLAIM_OWNED;
	seg_thread(i)->tid = (uint32_t)syscall(SYS_gettid);
	libcalls_unlock(&alloc_lock);
	prctl(PR_GET_NAME, seg_thread(i)->name, 0, 0, 0);
	seg_thread(i)->name[15] = 0;
	seg_thread(i)->threads_served++;
	seg_thread_info(i)->stop_ns = 0;
	seg_thread_info(i)->start_ns = clock_mono_ns();
	__atomic_fetch_add(&h->threads_seen, 1, __ATOMIC_RELAXED);
	return i;
}

struct ppf_thread_info *seg_thread_info(unsigned i)
{
	/* every segment this library makes has the table (seg_create) */
	return (struct ppf_thread_info *)(seg_base + seg_header()->thread_info_off) + i;
}

unsigned seg_exit_area(unsigned i)
{
	struct ppf_header *h = seg_header();
	unsigned victim = 0;
	char name[16] = { 0 };

	/* the name again: pthread_setname_np may have come after the claim
	 * (written whole, [15] stays NUL, so a reader never sees it unended) */
	prctl(PR_GET_NAME, name, 0, 0, 0);
	memcpy(seg_thread(i)->name, name, 15);
	seg_thread_info(i)->stop_ns = clock_mono_ns();
	if (!env.max_threads)
		return i;
	libcalls_lock(&alloc_lock);
	if (exited_kept >= env.max_threads) {
		/* the oldest exited area goes into area 0: the set kept is the
		 * newest max_threads, and the areas stay bounded */
		for (unsigned k = 1; k < h->thread_count; k++)
			if (claimed[k] == CLAIM_KEPT &&
			    (!victim || seg_thread_info(k)->stop_ns < seg_thread_info(victim)->stop_ns))
				victim = k;
		if (victim) {
			claimed[victim] = CLAIM_OWNED;	/* being folded: no one else takes it */
			exited_kept--;
		}
	}
	exited_kept++;
	__atomic_store_n(&seg_thread(i)->state, PPF_THREAD_EXITED, __ATOMIC_RELEASE);
	libcalls_unlock(&alloc_lock);
	return victim;
}

void seg_keep_area(unsigned i)
{
	libcalls_lock(&alloc_lock);
	claimed[i] = CLAIM_KEPT;
	libcalls_unlock(&alloc_lock);
}

void seg_keep_unfolded(unsigned i)
{
	libcalls_lock(&alloc_lock);
	claimed[i] = CLAIM_KEPT;
	exited_kept++;		/* counted again: a later exit folds it */
	libcalls_unlock(&alloc_lock);
}

void seg_release_area(unsigned i)
{
	libcalls_lock(&alloc_lock);
	__atomic_store_n(&seg_thread(i)->state, PPF_THREAD_FREE, __ATOMIC_RELEASE);
	claimed[i] = 0;
	libcalls_unlock(&alloc_lock);
}

/* ---- strings and caches ---------------------------------------------------- */

/* Index of the string table: FNV-1a hash -> offset, open addressing; the
 * table holds at most STRTAB_CAP / 2 names (each is at least 2 bytes). */
#define NAME_SLOTS (STRTAB_CAP / 2 * 2)
static uint32_t name_index[NAME_SLOTS];		/* string_lock */

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

uint32_t seg_intern(const char *name)
{
	struct ppf_header *h = seg_header();
	size_t len;
	char *tab;
	uint32_t off = 0, i;

	if (!h || !name)
		return 0;
	len = strlen(name) + 1;
	libcalls_lock(&string_lock);
	tab = seg_ptr(h->strtab_off);
	for (i = name_hash(name) % NAME_SLOTS; name_index[i]; i = (i + 1) % NAME_SLOTS)
		if (!strcmp(tab + name_index[i], name)) {
			off = name_index[i];
			goto out;
		}
	if (h->strtab_used + len > h->strtab_cap) {
		__atomic_fetch_add(&h->strings_dropped, 1, __ATOMIC_RELAXED);
		goto out;
	}
	off = h->strtab_used;
	memcpy(tab + off, name, len);
	__atomic_store_n(&h->strtab_used, off + (uint32_t)len, __ATOMIC_RELEASE);
	name_index[i] = off;
out:
	libcalls_unlock(&string_lock);
	return off;
}

uint32_t seg_find_name(const char *name)
{
	struct ppf_header *h = seg_header();
	uint32_t off = 0;
	char *tab;

	if (!h || !name)
		return 0;
	libcalls_lock(&string_lock);
	tab = seg_ptr(h->strtab_off);
	for (uint32_t i = name_hash(name) % NAME_SLOTS; name_index[i]; i = (i + 1) % NAME_SLOTS)
		if (!strcmp(tab + name_index[i], name)) {
			off = name_index[i];
			break;
		}
	libcalls_unlock(&string_lock);
	return off;
}

struct ppf_cache *seg_cache_slot(const char *name)
{
	struct ppf_header *h = seg_header();
	struct ppf_cache *c = NULL;
	uint32_t name_off;

	if (!h || !name)
		return NULL;
	name_off = seg_intern(name);
	libcalls_lock(&string_lock);
	if (h->cache_count < h->cache_cap) {
		c = (struct ppf_cache *)seg_ptr(h->cache_off) + h->cache_count;
		memset(c, 0, sizeof(*c));
		c->name = name_off;
		c->state = PPF_CACHE_LIVE;
		__atomic_store_n(&h->cache_count, h->cache_count + 1, __ATOMIC_RELEASE);
	}
	libcalls_unlock(&string_lock);
	return c;
}

/* ---- locks ------------------------------------------------------------------ */

void seg_process_lock(void)
{
	libcalls_lock(&process_lock);
}

void seg_process_unlock(void)
{
	libcalls_unlock(&process_lock);
}

void seg_lock_all(void)
{
	libcalls_lock(&process_lock);
	libcalls_lock(&seg_module_lock);
	libcalls_lock(&string_lock);
	libcalls_lock(&alloc_lock);
}

void seg_unlock_all(void)
{
	libcalls_unlock(&alloc_lock);
	libcalls_unlock(&string_lock);
	libcalls_unlock(&seg_module_lock);
	libcalls_unlock(&process_lock);
}

/* ---- the end ------------------------------------------------------------------ */

/* Takes the segment's locks in seg_lock_all()'s order, each with trylock
 * until LOCK_WAIT_NS have passed: a thread may hold one forever (exit()
 * called from a signal handler that interrupted it).  Returns the mask of
 * the locks held, for unlock_held(). */
static pthread_mutex_t *const all_locks[] = { &process_lock, &seg_module_lock, &string_lock,
					       &alloc_lock };

static unsigned lock_bounded(void)
{
	uint64_t deadline = clock_mono_ns() + LOCK_WAIT_NS;
	unsigned held = 0;

	for (unsigned i = 0; i < sizeof(all_locks) / sizeof(all_locks[0]); i++) {
		for (;;) {
			if (pthread_mutex_trylock(all_locks[i]) == 0) {
				libcalls_held();
				held |= 1u << i;
				break;
			}
			if (clock_mono_ns() >= deadline)
				break;
			sched_yield();
		}
	}
	return held;
}

static void unlock_held(unsigned held)
{
	for (unsigned i = sizeof(all_locks) / sizeof(all_locks[0]); i--;)
		if (held & (1u << i))
			libcalls_unlock(all_locks[i]);
}

/*
 * Writes the dump and removes the segment, once per process image (exit,
 * _exit, a signal handler's exit: whichever comes first), and only in the
 * process that made it.  Recording stops
 * first, then the hooks that were running finish (hooks_quiesce), then the
 * locks are held so that no record, chunk, string or fold changes while the
 * used part is copied.  No malloc, no stdio: it may run in a signal handler
 * or in a child after fork.
 */
void seg_finish(const struct ppc_names *names)
{
	struct ppf_header *h = seg_header();
	char stem[96], used[sizeof(env.output) + 128], shm[128];
	unsigned held;
	int saved_errno = errno, rc;

	/* a vfork() child, or a clone() child sharing our memory, that exits
	 * is not the process whose segment this is */
	if (!h || h->pid != (uint32_t)getpid() ||
	    __atomic_exchange_n(&finished, 1, __ATOMIC_ACQ_REL))
		return;
	seg_ctl = &ctl_off;	/* the hooks stop recording */
	hooks_quiesce();
	held = lock_bounded();
	sampler_sample();
	h->stop_ns = clock_mono_ns();
	__atomic_or_fetch(&h->flags, PPF_FLAG_COMPLETE, __ATOMIC_RELEASE);
	seg_dump_stem(stem, sizeof(stem), h);
	rc = seg_write_dump(seg_base, __atomic_load_n(&h->used_size, __ATOMIC_ACQUIRE), stem,
			names, used, sizeof(used));
	unlock_held(held);
	seg_shm_path(shm, sizeof(shm), seg_name);
	if (rc < 0) {
		env_warn("cannot write %s/%s%s: %s; the profile stays in %s", env.output, stem,
			 PPF_DUMP_SUFFIX, strerror(errno), shm);
	} else {
		seg_say_renamed(stem, used);
		unlink(shm);
	}
	errno = saved_errno;
}

void seg_defer(void)
{
	ctl_pending = PPF_FLAG_ENABLED;
	seg_ctl = &ctl_pending;
}

int seg_made(void)
{
	volatile uint32_t *c = seg_ctl;

	return c != &ctl_pending && c != &ctl_off;
}

void seg_off(void)
{
	seg_ctl = &ctl_off;
}

void seg_forget(void)
{
	/* the parent's mapping stays (other pointers may still refer to it);
	 * the child stops writing to it and makes its own on its first call */
	ctl_pending = *seg_ctl & PPF_FLAG_ENABLED;
	seg_ctl = &ctl_pending;
	seg_base = NULL;
	seg_name[0] = 0;
	seg_leftover_forget();
	said_full = 0;
	finished = 0;
	memset(claimed, 0, sizeof(claimed));
	exited_kept = 0;
	memset(name_index, 0, sizeof(name_index));
	pthread_mutex_init(&alloc_lock, NULL);
	pthread_mutex_init(&seg_module_lock, NULL);
	pthread_mutex_init(&string_lock, NULL);
	pthread_mutex_init(&process_lock, NULL);
}
