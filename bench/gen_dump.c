/* gen_dump.c - writes a valid synthetic paraprof dump (format.h layout)
 *
 * For benchmarks of paraprof-report and as seeds for the loader's fuzzer:
 * N functions recorded by T threads, each record with a histogram spread
 * over a few octaves whose buckets add up to its calls, min/max/sum that
 * agree with the buckets, times that fit in the wall time, a module table
 * that points at a real ELF file (this program, unless -m says otherwise) so
 * that the functions whose keys are the file's real symbols get names, plus
 * a few regions, endpoints, caches and a memory timeline in area 0.  The
 * image is built with tests/synth.c, the synthetic writer the unit tests use.
 *
 * Each function is recorded by K threads (-k, default 1: thread i % T owns
 * function i) and the hottest 1 % by every thread, as in a program whose
 * threads run different parts of the code over shared helpers; -k T gives the
 * full N x T cross product.  Everything is derived from a seeded PRNG, so the
 * same options write the same bytes (except start_realtime_ns, set from -r).
 *
 * Usage: gen_dump [-n FUNCS] [-t THREADS] [-k K] [-s SEED] [-m MODULE]
 *                 [-p PID] [-r REALTIME_NS] [-S SESSION] [-T START_TICKS]
 *                 [-N PIDNS] [-c CMDLINE] [-L] [-q] [-o FILE]
 *
 * -S, -T, -N, -c and -L make the header of a given process (for the tests
 * of --pid, --list, --gc and the launcher, with segments planted in
 * /dev/shm): its launcher session (hex), start ticks, pid namespace, command
 * line, and -L: a segment of a process that has not exited (no
 * PPF_FLAG_COMPLETE, stop_ns 0).
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/names.h"
#include "paraprof/format.h"
#include "synth.h"

#define GEN_ALIGN 64			/* bytes: start of every table */
#define GEN_TIMELINE_CAP 1024
#define GEN_TIMELINE_COUNT 600
#define GEN_MODULE_CAP 64
#define GEN_CACHE_CAP 16
#define GEN_STRTAB_CAP 4096		/* bytes */
#define GEN_LOAD_PIE 0x555555554000ull	/* where a PIE would be loaded */

struct gen_opts {
	unsigned long funcs;		/* distinct functions */
	unsigned threads;		/* thread areas besides area 0 */
	unsigned per_func;		/* threads that record each function */
	uint64_t seed;
	const char *module;		/* ELF file the keys belong to */
	const char *out;		/* dump path */
	uint32_t pid;
	uint64_t realtime_ns;		/* start_realtime_ns; 0 = now */
	int quiet;
	uint64_t session;		/* header.session */
	uint64_t start_ticks;		/* header.proc_start_ticks */
	uint64_t pidns;			/* header.pidns_ino */
	const char *cmdline;		/* NULL: the options */
	int live;			/* not exited: no COMPLETE flag, stop_ns 0 */
};

struct gen_elf {
	uint64_t text_lo, text_hi;	/* ELF addresses of the executable PT_LOAD */
	uint64_t *funcs;		/* ELF addresses of sized function symbols, sorted */
	size_t nfuncs;
	int pie;			/* ET_DYN: loaded at GEN_LOAD_PIE */
	uint8_t build_id[PPF_BUILD_ID_MAX];
	unsigned build_id_len;
};

static uint64_t rng_state;
static uint64_t max_inclusive_ns;	/* largest inclusive_ns of any record */

/* splitmix64: small, fast and good enough for synthetic data. */
static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double rng_unit(void)
{
	return (double)(rng() >> 11) / 9007199254740992.0;
}

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "gen_dump: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(1);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Reads the executable segment, function symbols and build-id of `path`. */
static void gen_read_elf(const char *path, struct gen_elf *ge)
{
	GElf_Ehdr eh;
	size_t nph, cap = 0;
	Elf_Scn *scn = NULL;
	Elf *elf;
	int fd;

	memset(ge, 0, sizeof(*ge));
	if (elf_version(EV_CURRENT) == EV_NONE)
		die("%s", "libelf is too old");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("%s: cannot open", path);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || !gelf_getehdr(elf, &eh) || elf_getphdrnum(elf, &nph) != 0)
		die("%s: not an ELF file", path);
	ge->pie = eh.e_type == ET_DYN;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD && (ph.p_flags & PF_X)) {
			ge->text_lo = ph.p_vaddr;
			ge->text_hi = ph.p_vaddr + ph.p_memsz;
			break;
		}
	}
	if (ge->text_hi == 0)
		die("%s: no executable segment", path);
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || !(d = elf_getdata(scn, NULL)))
			continue;
		if (sh.sh_type == SHT_NOTE) {
			GElf_Nhdr nh;
			size_t off = 0, no, dof;

			while ((off = gelf_getnote(d, off, &nh, &no, &dof)) > 0)
				if (nh.n_type == NT_GNU_BUILD_ID && nh.n_descsz <= PPF_BUILD_ID_MAX) {
					memcpy(ge->build_id, (char *)d->d_buf + dof, nh.n_descsz);
					ge->build_id_len = nh.n_descsz;
				}
		} else if (sh.sh_type == SHT_SYMTAB && sh.sh_entsize) {
			for (size_t i = 0; i < d->d_size / sh.sh_entsize; i++) {
				GElf_Sym s;

				if (!gelf_getsym(d, (int)i, &s) || GELF_ST_TYPE(s.st_info) != STT_FUNC ||
				    s.st_size == 0 || s.st_value < ge->text_lo ||
				    s.st_value >= ge->text_hi)
					continue;
				if (ge->nfuncs == cap) {
					cap = cap ? cap * 2 : 256;
					ge->funcs = realloc(ge->funcs, cap * sizeof(uint64_t));
					if (!ge->funcs)
						die("%s", "out of memory");
				}
				ge->funcs[ge->nfuncs++] = s.st_value;
			}
		}
	}
	elf_end(elf);
	close(fd);
	if (ge->nfuncs) {
		size_t out = 0;

		qsort(ge->funcs, ge->nfuncs, sizeof(uint64_t), cmp_u64);
		for (size_t i = 1; i < ge->nfuncs; i++)
			if (ge->funcs[i] != ge->funcs[out])
				ge->funcs[++out] = ge->funcs[i];
		ge->nfuncs = out + 1;
	}
}

/* What one function looks like, the same in every thread that records it. */
struct gen_func {
	uint64_t key;			/* runtime address */
	double median_ns;		/* typical duration */
	double spread;			/* octaves the durations span */
	uint64_t calls;			/* per recording thread */
	double self_share;		/* self / sum */
	uint64_t rss_kib;
};

static void gen_func_init(struct gen_func *f, uint64_t key, int hot)
{
	/* log-uniform 100 ns .. 20 ms, hot helpers 50 ns .. 5 us */
	double lo = hot ? 50 : 100, hi = hot ? 5e3 : 2e7;
	double d = lo * __builtin_exp(rng_unit() * __builtin_log(hi / lo));
	/* about 50 ms of calls per function and thread, at least 1 call */
	uint64_t calls = (uint64_t)(5e7 / d * (0.2 + rng_unit()));

	f->key = key;
	f->median_ns = d;
	f->spread = 0.5 + 2.5 * rng_unit();
	f->calls = calls ? calls : 1;
	if (f->calls > 2000000)
		f->calls = 2000000;
	f->self_share = 0.05 + 0.95 * rng_unit();
	f->rss_kib = 4096 + rng() % 65536;
}

/*
 * Appends one record of `f` (an endpoint's with its tail) with its histogram
 * pages to the image, at the head of thread area `t`.  Returns the record's
 * self_ns.
 */
static uint64_t gen_record(struct synth *img, unsigned t, const struct gen_func *f,
			   uint16_t kind, uint64_t key)
{
	uint64_t counts[2 * 24];	/* sparse: (bucket, count) pairs */
	unsigned nbuck = 0, samples;
	uint64_t rec_off, left = f->calls, sum = 0, min = UINT64_MAX, max = 0;
	struct ppf_record *r;

	/* spread the calls over up to 24 sampled durations */
	samples = f->calls < 24 ? (unsigned)f->calls : 24;
	for (unsigned s = 0; s < samples; s++) {
		double oct = (rng_unit() - 0.4) * f->spread;
		double v = f->median_ns * __builtin_exp2(oct);
		uint64_t ns = v < 1 ? 1 : (uint64_t)v;
		uint64_t c = s + 1 == samples ? left : f->calls / samples;
		unsigned i = ppf_bucket(ns), k;

		left -= c;
		for (k = 0; k < nbuck; k++)
			if (counts[2 * k] == i)
				break;
		if (k == nbuck) {
			counts[2 * k] = i;
			counts[2 * k + 1] = 0;
			nbuck++;
		}
		counts[2 * k + 1] += c;
	}

	rec_off = synth_record(img, t, kind, key);
	for (unsigned k = 0; k < nbuck; k++) {
		unsigned i = (unsigned)counts[2 * k];
		uint64_t c = counts[2 * k + 1], lower = ppf_bucket_lower(i);
		uint64_t upper = lower + ppf_bucket_width(i) - 1;

		synth_hist_add(img, rec_off, i, c);
		/* the exact durations lie somewhere in the bucket: take its ends
		 * for min and max and its midpoint for the sum */
		if (c) {
			min = lower < min ? lower : min;
			max = upper > max ? upper : max;
			sum += c * ppf_bucket_value(i);
		}
	}
	r = synth_rec(img, rec_off);
	r->seq = 2;
	r->calls = f->calls;
	r->sum_ns = sum;
	/* recursion is rare: most functions' outermost frames are all frames */
	r->inclusive_ns = (rng() % 8) ? sum : sum - sum / 4;
	r->self_ns = (uint64_t)((double)r->inclusive_ns * f->self_share);
	if (r->inclusive_ns > max_inclusive_ns)
		max_inclusive_ns = r->inclusive_ns;
	r->min_ns = min;
	r->max_ns = max;
	r->rss_sum_kib = f->rss_kib * f->calls;
	r->rss_max_kib = f->rss_kib + rng() % 1024;
	/* as the runtime leaves it, half the records hold their last call in
	 * `pending` rather than in the histogram */
	if (nbuck > 0 && (rng() & 1)) {
		unsigned i = (unsigned)counts[0];

		synth_page(img, rec_off, i / PPF_SUB)[i % PPF_SUB] -= 1;
		r->pending = i + 1;
	}
	return r->self_ns;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: gen_dump [-n FUNCS] [-t THREADS] [-k K] [-s SEED] [-m MODULE]\n"
		"                [-p PID] [-r REALTIME_NS] [-S SESSION] [-T START_TICKS]\n"
		"                [-N PIDNS] [-c CMDLINE] [-L] [-q] [-o FILE]\n"
		"  -n  distinct functions (default 100000)\n"
		"  -t  thread areas besides area 0 (default 16)\n"
		"  -k  threads recording each function (default 1; the hottest 1%% are in all)\n"
		"  -s  PRNG seed (default 1)\n"
		"  -m  ELF file the function keys belong to (default: this program)\n"
		"  -o  output file (default paraprof.PID.ppd)\n"
		"  -S  header.session, hex; -T  proc_start_ticks; -N  pidns_ino\n"
		"  -c  command line; -L  a process still running (not complete)\n");
	exit(2);
}

static unsigned long parse_num(const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || end == s || v > max)
		die("bad number: %s", s);
	return v;
}

int main(int argc, char **argv)
{
	struct gen_opts o = { .funcs = 100000, .threads = 16, .per_func = 1, .seed = 1 };
	static const char *regions[] = { "startup", "load configuration", "shutdown" };
	static const char *endpoints[] = { "GET /api/agents", "POST /api/workflows/run" };
	char self[PATH_MAX], stem[64], outname[64];
	struct synth_layout layout = {
		.align = GEN_ALIGN, .modules = GEN_MODULE_CAP, .strtab = GEN_STRTAB_CAP,
		.timeline = GEN_TIMELINE_CAP, .caches = GEN_CACHE_CAP,
	};
	struct synth img = { 0 };
	struct gen_elf ge;
	struct ppf_header *h;
	struct gen_func *funcs;
	uint64_t load, wall = 0, *thread_self;
	unsigned long nhot;
	int c;
	FILE *f;

	while ((c = getopt(argc, argv, "n:t:k:s:m:o:p:r:S:T:N:c:Lq")) != -1) {
		switch (c) {
		case 'n': o.funcs = parse_num(optarg, 50000000); break;
		case 't': o.threads = (unsigned)parse_num(optarg, 65536); break;
		case 'k': o.per_func = (unsigned)parse_num(optarg, 65536); break;
		case 's': o.seed = parse_num(optarg, ULONG_MAX); break;
		case 'm': o.module = optarg; break;
		case 'o': o.out = optarg; break;
		case 'p': o.pid = (uint32_t)parse_num(optarg, UINT32_MAX); break;
		case 'r': o.realtime_ns = parse_num(optarg, ULONG_MAX); break;
		case 'q': o.quiet = 1; break;
		case 'S': {
			char *end;

			errno = 0;
			o.session = strtoull(optarg, &end, 16);
			if (errno || *end || end == optarg)
				die("bad session: %s", optarg);
			break;
		}
		case 'T': o.start_ticks = parse_num(optarg, ULONG_MAX); break;
		case 'N': o.pidns = parse_num(optarg, ULONG_MAX); break;
		case 'c': o.cmdline = optarg; break;
		case 'L': o.live = 1; break;
		default: usage();
		}
	}
	if (optind != argc || o.threads == 0 || o.per_func == 0)
		usage();
	if (o.per_func > o.threads)
		o.per_func = o.threads;
	if (!o.module) {
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

		if (n <= 0)
			die("%s", "cannot read /proc/self/exe; give -m");
		self[n] = '\0';
		o.module = self;
	}
	if (!o.pid)
		o.pid = (uint32_t)getpid();
	if (!o.out) {
		ppc_dump_stem(stem, sizeof(stem), PPC_DUMP_PREFIX, o.pid, 0);
		ppc_dump_file(outname, sizeof(outname), stem, 0);
		o.out = outname;
	}
	if (!o.realtime_ns) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		o.realtime_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	}
	rng_state = o.seed;
	gen_read_elf(o.module, &ge);
	load = ge.pie ? GEN_LOAD_PIE : 0;

	/* the functions: the file's real symbols first, then made-up addresses
	 * past its text, 16 bytes apart, in the same module */
	funcs = calloc(o.funcs ? o.funcs : 1, sizeof(*funcs));
	thread_self = calloc(o.threads + 1, sizeof(uint64_t));
	if (!funcs || !thread_self)
		die("%s", "out of memory");
	nhot = o.funcs / 100;
	for (unsigned long i = 0; i < o.funcs; i++) {
		uint64_t elf_addr = i < ge.nfuncs ? ge.funcs[i]
				    : ge.text_hi + 16 * (i - ge.nfuncs) + 16;

		gen_func_init(&funcs[i], load + elf_addr, i < nhot);
	}

	/* header, modules, thread areas, string table, timeline, caches */
	layout.threads = o.threads + 1;
	synth_init(&img, 1 << 20, &layout);
	{
		uint64_t last = funcs[o.funcs ? o.funcs - 1 : 0].key - load;
		struct ppf_module *m;

		if (strlen(o.module) >= sizeof(m->path))
			die("%s: path too long", o.module);
		synth_module_add(&img, o.module, load, load + ge.text_lo,
				 load + (ge.text_hi > last + 16 ? ge.text_hi : last + 16));
		m = (struct ppf_module *)(img.buf + synth_hdr(&img)->module_off);
		m->build_id_len = ge.build_id_len;
		memcpy(m->build_id, ge.build_id, ge.build_id_len);
	}
	synth_hdr(&img)->thread_count = o.threads + 1;
	for (unsigned t = 0; t <= o.threads; t++) {
		struct ppf_thread *th = synth_thread(&img, t);

		th->state = t == 0 ? PPF_THREAD_PROCESS : PPF_THREAD_ACTIVE;
		th->tid = o.pid + t;
		th->threads_served = t == 0 ? 0 : 1;
		if (t == 0)
			memcpy(th->name, "process", sizeof("process"));
		else
			snprintf(th->name, sizeof(th->name), "worker-%u", t % 100000000u);
	}

	/* the records: function i in threads (i + j) % T for j < K; hot ones everywhere */
	for (unsigned long i = 0; i < o.funcs; i++) {
		unsigned n = i < nhot ? o.threads : o.per_func;

		for (unsigned j = 0; j < n; j++) {
			unsigned t = 1 + (unsigned)((i + j) % o.threads);

			thread_self[t] += gen_record(&img, t, &funcs[i], PPF_KIND_FUNCTION,
						     funcs[i].key);
		}
	}
	/* area 0: regions and endpoints, as a program using the API leaves them */
	for (unsigned i = 0; i < sizeof(regions) / sizeof(regions[0]); i++) {
		struct gen_func rf;

		gen_func_init(&rf, 0, 0);
		rf.calls = 1 + rng() % 20;
		thread_self[0] += gen_record(&img, 0, &rf, PPF_KIND_REGION,
					     synth_string(&img, regions[i]));
	}
	for (unsigned i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++) {
		struct gen_func ef;
		struct ppf_endpoint_tail *tail;

		gen_func_init(&ef, 0, 0);
		ef.median_ns = 2e6 + rng_unit() * 3e8;
		ef.calls = 20 + rng() % 500;
		thread_self[0] += gen_record(&img, 0, &ef, PPF_KIND_ENDPOINT,
					     synth_string(&img, endpoints[i]));
		/* the record just made is the newest of area 0 */
		tail = (struct ppf_endpoint_tail *)(synth_rec(&img, synth_thread(&img, 0)->records) + 1);
		tail->status[2] = ef.calls - ef.calls / 10;
		tail->status[4] = ef.calls / 10 - ef.calls / 50;
		tail->status[5] = ef.calls / 50;
		tail->slow = ef.calls / 20;
		synth_hdr(&img)->requests += ef.calls;
	}
	/* every record's inclusive time fits in its thread's life, which is at
	 * least the self time its functions add up to */
	for (unsigned t = 0; t <= o.threads; t++)
		wall = thread_self[t] > wall ? thread_self[t] : wall;
	/* nor may any record's outermost time */
	wall = max_inclusive_ns > wall ? max_inclusive_ns : wall;
	wall += 1000000000ull;

	{
		uint32_t specs = synth_string(&img, "agent_specs");
		uint32_t workflows = synth_string(&img, "workflow_definitions");
		struct ppf_cache *cs;
		struct ppf_mem_sample *tl;
		uint64_t rss = 20000, peak = 0;

		h = synth_hdr(&img);
		cs = (struct ppf_cache *)(img.buf + h->cache_off);
		tl = (struct ppf_mem_sample *)(img.buf + h->timeline_off);
		cs[0].name = specs;
		cs[0].state = PPF_CACHE_LIVE;
		cs[0].hits = 9000 + rng() % 1000;
		cs[0].misses = 1000 + rng() % 100;
		cs[0].sets = cs[0].misses;
		cs[0].evictions = cs[0].misses - 256;
		cs[0].size = 256;
		cs[0].max_size = 256;
		cs[0].bytes = 256 * 1024;
		cs[1].name = workflows;
		cs[1].state = PPF_CACHE_FREED;
		cs[1].hits = 100;
		cs[1].misses = 10;
		cs[1].sets = 10;
		cs[1].deletes = 10;
		cs[1].max_size = 1000;
		h->cache_count = 2;
		h->start_ns = 1000000000ull * 3600;
		h->stop_ns = h->start_ns + wall;
		h->timeline_interval_ns = wall / GEN_TIMELINE_COUNT;
		h->mem_interval_ns = 10000000;
		for (unsigned i = 0; i < GEN_TIMELINE_COUNT; i++) {
			tl[i].t_ns = h->start_ns + i * h->timeline_interval_ns;
			rss += rng() % 200;
			rss -= rng() % 150;
			tl[i].rss_kib = rss;
			peak = rss > peak ? rss : peak;
		}
		h->timeline_count = GEN_TIMELINE_COUNT;
		h->timeline_seq = 2;
		h->last_ns = tl[GEN_TIMELINE_COUNT - 1].t_ns;
		h->rss_kib = rss;
		h->rss_peak_kib = peak;
	}
	h->pid = o.pid;
	h->ppid = 1;
	h->flags = PPF_FLAG_ENABLED | PPF_FLAG_COMPLETE;
	h->ticks_per_sec = 1000000000ull;
	h->start_realtime_ns = o.realtime_ns;
	h->fold_seq = 0;
	h->threads_seen = o.threads;
	h->slow_threshold_ns = 1000000000ull;
	if (o.cmdline)
		snprintf(h->cmdline, sizeof(h->cmdline), "%s", o.cmdline);
	else
		snprintf(h->cmdline, sizeof(h->cmdline), "gen_dump -n %lu -t %u -k %u -s %llu",
			 o.funcs, o.threads, o.per_func, (unsigned long long)o.seed);
	h->session = o.session;
	h->proc_start_ticks = o.start_ticks;
	h->pidns_ino = o.pidns;
	if (o.live) {
		h->flags &= ~PPF_FLAG_COMPLETE;
		h->stop_ns = 0;
	}
	{
		/* the bump allocators: everything is used, nothing is left */
		for (unsigned t = 0; t <= o.threads; t++)
			synth_thread(&img, t)->chunk_cur = synth_thread(&img, t)->chunk_end = img.used;
	}
	h->reserved_size = (img.used + (1 << 20) - 1) & ~(uint64_t)((1 << 20) - 1);

	f = fopen(o.out, "w");
	if (!f)
		die("%s: cannot create", o.out);
	if (fwrite(img.buf, 1, img.used, f) != img.used || fclose(f) != 0)
		die("%s: write failed", o.out);
	if (!o.quiet)
		printf("gen_dump: %s: %lu functions, %u threads, %llu bytes\n", o.out, o.funcs,
		       o.threads, (unsigned long long)img.used);
	synth_release(&img);
	free(funcs);
	free(thread_self);
	free(ge.funcs);
	return 0;
}
