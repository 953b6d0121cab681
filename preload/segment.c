/* segment.c - the shared-memory segment that holds every statistic
 *
 * /dev/shm/paraprof.<pid> is created O_EXCL, mode 0600, and mapped once at a
 * fixed size (PARAPROF_SHM_SIZE, 1 GiB by default).  The file is sparse: tmpfs
 * charges only pages that are allocated, and every range is fallocate()d
 * before it is handed out, so a full /dev/shm is an error code here, never a
 * SIGBUS in the host.  Layout (offsets in struct ppf_header): the header, the
 * module table, the thread table, the string table, the memory timeline, the
 * cache table; after them, chunks that thread areas carve records and
 * histogram pages from.  Nothing is ever freed; a thread area is reused
 * whole, so the segment stays bounded by the number of distinct functions
 * and of threads alive at once.
 *
 * At exit the used part is written to PARAPROF_OUTPUT/paraprof.<pid>.ppd and
 * the segment removed; after a crash or SIGKILL it stays for
 * paraprof-report --pid.
 */
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* paraprof(5) documents these offsets; version 1 files have this header */
_Static_assert(offsetof(struct ppf_header, proc_start_ticks) == 816 &&
	       sizeof(struct ppf_header) == 936, "the header of PPF_VERSION 1 moved");

#define MODULE_CAP 256
#define THREAD_CAP 1024
#define STRTAB_CAP (64 * 1024)
#define TIMELINE_CAP 4096
#define CACHE_CAP 64
#define CHUNK_BYTES (16 * 1024)		/* what an area takes at a time */

char *seg_base;
static uint32_t ctl_off;			/* private: profiling off, or exiting */
static uint32_t ctl_pending;			/* private: enabled, segment not made yet */
static uint64_t rss_none;
volatile uint32_t *seg_ctl = &ctl_off;
volatile uint64_t *seg_rss = &rss_none;

static int seg_fd = -1;
static uint8_t claimed[THREAD_CAP];		/* areas given to a thread (alloc_lock) */
static char seg_name[64];			/* "/paraprof.<pid>" */

static pthread_mutex_t alloc_lock = PTHREAD_MUTEX_INITIALIZER;	/* chunks, areas */
static pthread_mutex_t module_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t string_lock = PTHREAD_MUTEX_INITIALIZER;	/* strings, caches */
static pthread_mutex_t process_lock = PTHREAD_MUTEX_INITIALIZER;	/* area 0 */

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* ---- dumps ---------------------------------------------------------- */

/* Writes `len` bytes of `base` to `path` through a temporary file in
 * PARAPROF_OUTPUT and a rename.  Returns 0, or -1 with errno set. */
static int write_dump(const char *base, uint64_t len, const char *path)
{
	char tmp[600];
	uint64_t done = 0;
	int fd, err;

	snprintf(tmp, sizeof(tmp), "%s/.paraprof.%u.ppd.tmp", env.output, (unsigned)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	while (done < len) {
		ssize_t n = write(fd, base + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? errno : ENOSPC;
			goto fail;
		}
		done += (uint64_t)n;
	}
	if (close(fd) < 0) {
		err = errno;
		fd = -1;
		goto fail;
	}
	if (rename(tmp, path) < 0) {
		err = errno;
		unlink(tmp);
		errno = err;
		return -1;
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = err;
	return -1;
}

/* The normal name of a dump: DIR/paraprof.<pid>[.<gen>].ppd */
static void dump_path(char *path, size_t len, const struct ppf_header *h)
{
	if (h->exec_gen)
		snprintf(path, len, "%s/paraprof.%u.%u.ppd", env.output, h->pid, h->exec_gen);
	else
		snprintf(path, len, "%s/paraprof.%u.ppd", env.output, h->pid);
}

/* starttime of /proc/self/stat: clock ticks from boot to the start of this
 * process, kept by exec; 0 when it cannot be read */
static uint64_t proc_start_ticks(void)
{
	char buf[1024], *p;
	ssize_t n;
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');		/* the command name may hold anything */
	/* after ") " come fields 3 (state) to 52; starttime is field 22 */
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	return p ? strtoull(p + 1, NULL, 10) : 0;
}

/*
 * A segment with our name exists.  Either this process ran a program before
 * it exec'ed (the segment's proc_start_ticks are ours), or a process that
 * died without its dump had our pid (kill -9, a crash; the pid came round
 * again).  Either way its data is saved as a dump before the segment is
 * replaced, so nothing recorded is lost: an earlier program of this process
 * as paraprof.<pid>[.<gen>].ppd, and a dead process's as
 * paraprof-stale.<pid>.<start>.ppd, a name that matches no glob of this
 * process's dumps, so that nobody merges it with them by mistake.  Returns
 * the exec generation for the new segment, or -1 when the file is not ours
 * to replace.
 */
static int save_leftover(void)
{
	char path[600];
	struct stat st;
	struct ppf_header *h;
	void *map;
	int fd, gen = -1;

	fd = shm_open(seg_name, O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_size < sizeof(*h)) {
		close(fd);
		return -1;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return -1;
	h = map;
	if (!memcmp(h->magic, PPF_MAGIC, PPF_MAGIC_LEN) && h->used_size >= sizeof(*h) &&
	    h->used_size <= (uint64_t)st.st_size) {
		uint64_t ticks = proc_start_ticks();
		int stale = !ticks || h->proc_start_ticks != ticks;

		if (stale) {
			snprintf(path, sizeof(path), "%s/paraprof-stale.%u.%llu.ppd", env.output,
				 h->pid, (unsigned long long)(h->start_realtime_ns / 1000000000u));
		} else {
			dump_path(path, sizeof(path), h);
			/* a program that exec'ed: say so in its dump */
			__atomic_or_fetch(&h->flags, PPF_FLAG_EXEC, __ATOMIC_RELAXED);
		}
		if (write_dump(map, h->used_size, path) < 0) {
			env_warn("cannot save the earlier profile /dev/shm%s to %s: %s",
				 seg_name, path, strerror(errno));
		} else if (stale) {
			gen = 0;
			env_warn("the profile that an earlier process %u left in /dev/shm%s "
				 "is saved as %s", h->pid, seg_name, path);
		} else {
			gen = (int)h->exec_gen + 1;
		}
	}
	munmap(map, (size_t)st.st_size);
	if (gen >= 0)
		shm_unlink(seg_name);
	return gen;
}

/* ---- modules -------------------------------------------------------- */

/* Reads the GNU build-id from a loaded object's notes. */
static void read_build_id(const struct dl_phdr_info *info, struct ppf_module *m)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const char *p, *end;

		if (ph->p_type != PT_NOTE)
			continue;
		p = (const char *)(info->dlpi_addr + ph->p_vaddr);
		end = p + ph->p_memsz;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
			size_t a = ph->p_align > 4 ? 8 : 4;
			size_t name = align_up(n->n_namesz, a), desc = align_up(n->n_descsz, a);
			const char *d = p + sizeof(*n) + name;

			if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 &&
			    !memcmp(p + sizeof(*n), "GNU", 4) && n->n_descsz <= PPF_BUILD_ID_MAX &&
			    d + n->n_descsz <= end) {
				memcpy(m->build_id, d, n->n_descsz);
				m->build_id_len = n->n_descsz;
				return;
			}
			p += sizeof(*n) + name + desc;
		}
	}
}

struct module_scan {
	struct ppf_header *h;	/* the segment's (not yet in seg_base at creation) */
	int first;		/* the next module is the main program */
};

static int add_module(struct dl_phdr_info *info, size_t size, void *data)
{
	struct module_scan *scan = data;
	struct ppf_header *h = scan->h;
	struct ppf_module *mods = (struct ppf_module *)((char *)h + h->module_off), *m;
	uint64_t lo = ~0ull, hi = 0;
	const char *name = info->dlpi_name;
	char exe[PPF_PATH_MAX];

	(void)size;
	if (scan->first) {
		/* the main program comes first, without a name */
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

		scan->first = 0;
		exe[n > 0 ? n : 0] = 0;
		if (!name || !*name)
			name = exe;
	}
	if (!name || name[0] != '/')
		return 0;		/* the vDSO and the like: no file to read */
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
			uint64_t a = info->dlpi_addr + ph->p_vaddr;

			if (a < lo)
				lo = a;
			if (a + ph->p_memsz > hi)
				hi = a + ph->p_memsz;
		}
	}
	if (hi == 0)
		return 0;
	for (uint32_t i = 0; i < h->module_count; i++)
		if (mods[i].lo == lo && mods[i].load_addr == info->dlpi_addr)
			return 0;
	if (h->module_count == h->module_cap)
		return 0;
	m = &mods[h->module_count];
	memset(m, 0, sizeof(*m));
	m->load_addr = info->dlpi_addr;
	m->lo = lo;
	m->hi = hi;
	snprintf(m->path, sizeof(m->path), "%s", name);
	read_build_id(info, m);
	__atomic_store_n(&h->module_count, h->module_count + 1, __ATOMIC_RELEASE);
	return 0;
}

static void scan_modules(struct ppf_header *h)
{
	struct module_scan scan = { h, 1 };

	dl_iterate_phdr(add_module, &scan);
}

uint32_t seg_cover(uintptr_t addr)
{
	struct ppf_header *h = seg_header();
	struct ppf_module *mods;
	uint32_t found = 0;

	if (!h)
		return 0;
	pthread_mutex_lock(&module_lock);
	mods = seg_ptr(h->module_off);
	for (int pass = 0; pass < 2 && !found; pass++) {
		if (pass)
			scan_modules(h);	/* code we have not seen: a dlopen()ed library */
		for (uint32_t i = 0; i < h->module_count; i++)
			if (addr >= mods[i].lo && addr < mods[i].hi && !mods[i].unloaded)
				found = i + 1;
	}
	pthread_mutex_unlock(&module_lock);
	return found;
}

void seg_modules_changed(void)
{
	/* TODO(issue 9, item 12) */
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

/* fallocate()s [off, off+len): tmpfs then owns the pages, so touching them
 * cannot fault with SIGBUS when /dev/shm fills up. */
static int reserve(uint64_t off, uint64_t len)
{
	int rc;

	do
		rc = fallocate(seg_fd, 0, (off_t)off, (off_t)len);
	while (rc < 0 && errno == EINTR);
	if (rc < 0 && errno == EOPNOTSUPP)
		return 0;	/* not tmpfs: pages come on first touch */
	return rc;
}

static int next_gen;		/* exec generation of the segment to make */

void seg_adopt_leftover(void)
{
	int gen;

	snprintf(seg_name, sizeof(seg_name), "/paraprof.%u", (unsigned)getpid());
	gen = save_leftover();
	if (gen > 0)
		next_gen = gen;
}

int seg_create(uint64_t start_ns)
{
	struct ppf_header *h;
	uint64_t off, size = env.shm_size;
	struct timespec rt;
	int gen = next_gen;
	void *map;

	snprintf(seg_name, sizeof(seg_name), "/paraprof.%u", (unsigned)getpid());
	seg_fd = shm_open(seg_name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (seg_fd < 0 && errno == EEXIST) {
		gen = save_leftover();
		if (gen < 0) {
			env_warn("/dev/shm%s exists and cannot be replaced; profiling is off", seg_name);
			return -1;
		}
		seg_fd = shm_open(seg_name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	}
	if (seg_fd < 0) {
		env_warn("cannot create /dev/shm%s: %s; profiling is off", seg_name, strerror(errno));
		return -1;
	}
	if (ftruncate(seg_fd, (off_t)size) < 0) {
		env_warn("cannot size /dev/shm%s: %s; profiling is off", seg_name, strerror(errno));
		goto fail;
	}
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, seg_fd, 0);
	if (map == MAP_FAILED) {
		env_warn("cannot map /dev/shm%s: %s; profiling is off", seg_name, strerror(errno));
		goto fail;
	}

	off = align_up(sizeof(struct ppf_header), 64);
	uint64_t module_off = off;
	off = align_up(off + MODULE_CAP * sizeof(struct ppf_module), 64);
	uint64_t thread_off = off;
	off = align_up(off + THREAD_CAP * sizeof(struct ppf_thread), 64);
	uint64_t strtab_off = off;
	off = align_up(off + STRTAB_CAP, 64);
	uint64_t timeline_off = off;
	off = align_up(off + TIMELINE_CAP * sizeof(struct ppf_mem_sample), 64);
	uint64_t cache_off = off;
	off = align_up(off + CACHE_CAP * sizeof(struct ppf_cache), 4096);

	if (reserve(0, off) < 0) {
		env_warn("cannot allocate /dev/shm%s: %s; profiling is off", seg_name, strerror(errno));
		munmap(map, size);
		goto fail;
	}
	/* built before it is published: a thread that sees seg_base set
	 * (without create_lock) must find a complete header */
	h = map;
	memcpy(h->magic, PPF_MAGIC, PPF_MAGIC_LEN);
	h->version = PPF_VERSION;
	h->header_size = sizeof(*h);
	h->reserved_size = size;
	h->used_size = off;
	h->pid = (uint32_t)getpid();
	h->ppid = (uint32_t)getppid();
	h->exec_gen = (uint32_t)gen;
	h->proc_start_ticks = proc_start_ticks();
	h->ticks_per_sec = clock_ticks_per_sec;
	clock_gettime(CLOCK_REALTIME, &rt);
	h->start_realtime_ns = (uint64_t)rt.tv_sec * 1000000000ull + (uint64_t)rt.tv_nsec;
	h->start_ns = start_ns;
	h->last_ns = h->start_ns;
	read_cmdline(h->cmdline, sizeof(h->cmdline));
	h->module_off = module_off;
	h->module_cap = MODULE_CAP;
	h->thread_off = thread_off;
	h->thread_cap = THREAD_CAP;
	h->thread_count = 1;
	h->strtab_off = strtab_off;
	h->strtab_cap = STRTAB_CAP;
	h->strtab_used = 1;		/* offset 0 is "no name" */
	h->timeline_off = timeline_off;
	h->timeline_cap = TIMELINE_CAP;
	h->timeline_interval_ns = env.mem_interval_ns;
	h->cache_off = cache_off;
	h->cache_cap = CACHE_CAP;
	h->mem_interval_ns = env.mem_interval_ns;
	h->slow_threshold_ns = 1000000000ull;
	((struct ppf_thread *)((char *)map + thread_off))->state = PPF_THREAD_PROCESS;
	scan_modules(h);
	__atomic_store_n(&seg_base, (char *)map, __ATOMIC_RELEASE);
	seg_rss = &h->rss_kib;
	__atomic_store_n(&h->flags, (env.enable ? PPF_FLAG_ENABLED : 0) |
			 (clock_tsc ? PPF_FLAG_TSC : 0), __ATOMIC_RELEASE);
	seg_ctl = &h->flags;
	return 0;
fail:
	close(seg_fd);
	seg_fd = -1;
	shm_unlink(seg_name);
	return -1;
}

/* ---- allocation ----------------------------------------------------------- */

/* Takes `len` bytes (a multiple of 4096) from the segment; 0 when full. */
static uint64_t take_chunk(uint64_t len)
{
	struct ppf_header *h = seg_header();
	uint64_t off = 0;

	pthread_mutex_lock(&alloc_lock);
	if (h->used_size + len <= h->reserved_size && reserve(h->used_size, len) == 0) {
		off = h->used_size;
		__atomic_store_n(&h->used_size, off + len, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&alloc_lock);
	return off;
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

	pthread_mutex_lock(&alloc_lock);
	for (i = 1; i < h->thread_count; i++)
		if (!claimed[i] && seg_thread(i)->state == PPF_THREAD_FREE)
			break;
	if (i == h->thread_count) {
		if (i == h->thread_cap) {
			pthread_mutex_unlock(&alloc_lock);
			__atomic_fetch_add(&h->threads_dropped, 1, __ATOMIC_RELAXED);
			return 0;
		}
		__atomic_store_n(&h->thread_count, i + 1, __ATOMIC_RELEASE);
	}
	/* taken, but readers still skip it until the owner makes it ACTIVE */
	claimed[i] = 1;
	seg_thread(i)->tid = (uint32_t)syscall(SYS_gettid);
	pthread_mutex_unlock(&alloc_lock);
	prctl(PR_GET_NAME, seg_thread(i)->name, 0, 0, 0);
	seg_thread(i)->name[15] = 0;
	seg_thread(i)->threads_served++;
	__atomic_fetch_add(&h->threads_seen, 1, __ATOMIC_RELAXED);
	return i;
}

void seg_release_area(unsigned i)
{
	pthread_mutex_lock(&alloc_lock);
	__atomic_store_n(&seg_thread(i)->state, PPF_THREAD_FREE, __ATOMIC_RELEASE);
	claimed[i] = 0;
	pthread_mutex_unlock(&alloc_lock);
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
	pthread_mutex_lock(&string_lock);
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
	pthread_mutex_unlock(&string_lock);
	return off;
}

uint32_t seg_find_name(const char *name)
{
	struct ppf_header *h = seg_header();
	uint32_t off = 0;
	char *tab;

	if (!h || !name)
		return 0;
	pthread_mutex_lock(&string_lock);
	tab = seg_ptr(h->strtab_off);
	for (uint32_t i = name_hash(name) % NAME_SLOTS; name_index[i]; i = (i + 1) % NAME_SLOTS)
		if (!strcmp(tab + name_index[i], name)) {
			off = name_index[i];
			break;
		}
	pthread_mutex_unlock(&string_lock);
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
	pthread_mutex_lock(&string_lock);
	if (h->cache_count < h->cache_cap) {
		c = (struct ppf_cache *)seg_ptr(h->cache_off) + h->cache_count;
		memset(c, 0, sizeof(*c));
		c->name = name_off;
		c->state = 1;
		__atomic_store_n(&h->cache_count, h->cache_count + 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&string_lock);
	return c;
}

/* ---- locks ------------------------------------------------------------------ */

void seg_process_lock(void)
{
	pthread_mutex_lock(&process_lock);
}

void seg_process_unlock(void)
{
	pthread_mutex_unlock(&process_lock);
}

void seg_lock_all(void)
{
	pthread_mutex_lock(&process_lock);
	pthread_mutex_lock(&module_lock);
	pthread_mutex_lock(&string_lock);
	pthread_mutex_lock(&alloc_lock);
}

void seg_unlock_all(void)
{
	pthread_mutex_unlock(&alloc_lock);
	pthread_mutex_unlock(&string_lock);
	pthread_mutex_unlock(&module_lock);
	pthread_mutex_unlock(&process_lock);
}

/* ---- the end ------------------------------------------------------------------ */

/* Waits (briefly) until no record of `area` is being written. */
static void wait_writers(struct ppf_thread *area)
{
	uint64_t off = __atomic_load_n(&area->records, __ATOMIC_ACQUIRE);

	for (uint64_t n = 0; off && n < area->record_count; n++) {
		struct ppf_record *r = seg_ptr(off);

		for (int spin = 0; spin < 100000 &&
		     (__atomic_load_n(&r->seq, __ATOMIC_ACQUIRE) & 1); spin++)
			sched_yield();
		off = r->next;
	}
}

void seg_finish(void)
{
	struct ppf_header *h = seg_header();
	char path[600];

	if (!h)
		return;
	seg_ctl = &ctl_off;	/* the hooks stop recording */
	for (unsigned i = 0; i < h->thread_count; i++)
		if (seg_thread(i)->state != PPF_THREAD_FREE)
			wait_writers(seg_thread(i));
	sampler_sample();
	h->stop_ns = clock_mono_ns();
	__atomic_or_fetch(&h->flags, PPF_FLAG_COMPLETE, __ATOMIC_RELEASE);
	dump_path(path, sizeof(path), h);
	if (write_dump(seg_base, h->used_size, path) < 0) {
		env_warn("cannot write %s: %s; the profile stays in /dev/shm%s",
			 path, strerror(errno), seg_name);
		return;
	}
	shm_unlink(seg_name);
}

void seg_defer(void)
{
	ctl_pending = PPF_FLAG_ENABLED;
	seg_ctl = &ctl_pending;
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
	seg_rss = &rss_none;
	seg_base = NULL;
	if (seg_fd >= 0)
		close(seg_fd);
	seg_fd = -1;
	memset(claimed, 0, sizeof(claimed));
	memset(name_index, 0, sizeof(name_index));
	pthread_mutex_init(&alloc_lock, NULL);
	pthread_mutex_init(&module_lock, NULL);
	pthread_mutex_init(&string_lock, NULL);
	pthread_mutex_init(&process_lock, NULL);
}
