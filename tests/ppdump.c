/* ppdump.c - a minimal reader of paraprof dumps, for the runtime's tests
 *
 * Deliberately independent of analyzer/: it checks the runtime against the
 * format, not against the analyzer.  Prints one line per function (merged
 * over thread areas by address and record.module, and named from the
 * module the record names: after a dlclose another library may have the
 * same addresses), region, span and endpoint (records marked folded are
 * skipped):
 *   fn <module>+0x<elf address> calls= sum_ns= incl_ns= self_ns= min_ns= max_ns= abandoned= hist= p50= p99=
 *   name <kind> <name> calls= ...
 * and CPU samples (PARAPROF_SAMPLE: kind 6) as functions are, "sample"
 * for "fn" (calls= is the samples),
 * then "header <field>=<value>" lines; with PPDUMP_HIST set, each entry's line
 * is followed by its non-empty buckets ("  bucket lower= width= count=").
 * With PPDUMP_PATHS set, first one line per record with calls, its call path
 * from the root by following record.parent (format version 3):
 *   path +0x<elf address>;+0x<...>;<name>... calls=N incl_ns=N cut=0|1
 * (the same path may come from several areas: add them up).  Exit 2 on a
 * malformed file.  Records
 * are added up with common/record.h, as the runtime adds them.
 *
 * ppdump --facts prints the facts of format.h that the shell tests use, as
 * shell assignments (flag bits, kinds, offsets of header and record
 * fields): tests/lib.sh evaluates them, so that no test writes a format
 * number of its own.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/record.h"
#include "paraprof/format.h"

struct agg {
	uint64_t key;
	unsigned kind;
	uint32_t module;	/* functions: record.module (1 + table index), 0 = look up */
	struct ppf_record sum;	/* the records added up (no endpoint tail) */
	uint64_t *hist;		/* PPF_HIST_BUCKETS */
};

static unsigned char *buf;
static size_t len;
static struct agg *aggs;
static size_t naggs;

static void die(const char *what)
{
	fprintf(stderr, "ppdump: %s\n", what);
	exit(2);
}

static void *at(uint64_t off, uint64_t size)
{
	if (off > len || size > len - off)
		die("offset past the end");
	return buf + off;
}

/* The key of record `r` as a path element: +0x<ELF address> of a function
 * (in the module it names, else the one covering it), else its name. */
static void print_key(const struct ppf_header *h, const struct ppf_record *r)
{
	const struct ppf_module *mods = at(h->module_off, (uint64_t)h->module_cap * sizeof(*mods));
	const char *strtab = at(h->strtab_off, h->strtab_cap);
	const struct ppf_module *m = NULL;

	if (r->kind != PPF_KIND_FUNCTION && r->kind != PPF_KIND_SAMPLE) {
		printf("%s", r->key < h->strtab_cap ? strtab + r->key : "?");
		return;
	}
	if (r->module && r->module <= h->module_count)
		m = &mods[r->module - 1];
	for (uint32_t j = 0; !r->module && j < h->module_count; j++)
		if (r->key >= mods[j].lo && r->key < mods[j].hi)
			m = &mods[j];
	printf("+0x%llx", (unsigned long long)(r->key - (m ? m->load_addr : 0)));
}

/* PPDUMP_PATHS: the path of `r`, root first. */
static void print_path(const struct ppf_header *h, const struct ppf_record *r)
{
	const struct ppf_record *chain[4096];
	unsigned n = 0;

	for (const struct ppf_record *p = r; p && n < 4096;
	     p = p->parent ? at(p->parent, sizeof(*p)) : NULL)
		chain[n++] = p;
	if (n == 4096)
		die("a path longer than 4096 records (a loop?)");
	printf("path ");
	while (n--) {
		print_key(h, chain[n]);
		printf(n ? ";" : "");
	}
	printf(" calls=%llu incl_ns=%llu cut=%d\n", (unsigned long long)r->calls,
	       (unsigned long long)r->inclusive_ns, (r->flags & PPF_REC_CUT) != 0);
}

static struct agg *find(unsigned kind, uint64_t key, uint32_t module)
{
	for (size_t i = 0; i < naggs; i++)
		if (aggs[i].kind == kind && aggs[i].key == key && aggs[i].module == module)
			return &aggs[i];
	aggs = realloc(aggs, (naggs + 1) * sizeof(*aggs));
	memset(&aggs[naggs], 0, sizeof(*aggs));
	aggs[naggs].kind = kind;
	aggs[naggs].key = key;
	aggs[naggs].module = module;
	aggs[naggs].sum.min_ns = UINT64_MAX;
	aggs[naggs].hist = calloc(PPF_HIST_BUCKETS, sizeof(uint64_t));
	return &aggs[naggs++];
}

/* The nearest-rank quantile q_ppm / 1e6 of a's histogram. */
static uint64_t quantile(const struct agg *a, uint32_t q_ppm)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < PPF_HIST_BUCKETS; i++)
		n += a->hist[i];
	return ppc_hist_quantile(a->hist, n, q_ppm, a->sum.min_ns, a->sum.max_ns);
}

/* ppdump --facts: one NAME=VALUE line per fact. */
static int print_facts(void)
{
#define FACT(name, value) printf("%s=%llu\n", name, (unsigned long long)(value))
	FACT("PPF_VERSION", PPF_VERSION);
	FACT("PPF_VERSION_MIN", PPF_VERSION_MIN);
	FACT("PPF_FLAG_ENABLED", PPF_FLAG_ENABLED);
	FACT("PPF_FLAG_COMPLETE", PPF_FLAG_COMPLETE);
	FACT("PPF_FLAG_EXEC", PPF_FLAG_EXEC);
	FACT("PPF_KIND_FUNCTION", PPF_KIND_FUNCTION);
	FACT("PPF_KIND_REGION", PPF_KIND_REGION);
	FACT("PPF_KIND_SPAN", PPF_KIND_SPAN);
	FACT("PPF_KIND_ENDPOINT", PPF_KIND_ENDPOINT);
	FACT("PPF_KIND_LIBCALL", PPF_KIND_LIBCALL);
	FACT("PPF_KIND_SAMPLE", PPF_KIND_SAMPLE);
	/* offsetof_<struct>_<field> (struct ppf_<struct>), sizeof_<struct> */
	FACT("offsetof_header_version", offsetof(struct ppf_header, version));
	FACT("offsetof_header_used_size", offsetof(struct ppf_header, used_size));
	FACT("offsetof_header_module_count", offsetof(struct ppf_header, module_count));
	FACT("offsetof_header_thread_off", offsetof(struct ppf_header, thread_off));
	FACT("offsetof_header_thread_count", offsetof(struct ppf_header, thread_count));
	FACT("sizeof_thread", sizeof(struct ppf_thread));
	FACT("offsetof_thread_records", offsetof(struct ppf_thread, records));
	FACT("offsetof_record_calls", offsetof(struct ppf_record, calls));
#undef FACT
	return 0;
}

int main(int argc, char **argv)
{
	FILE *f;
	struct ppf_header *h;
	long sz;

	if (argc == 2 && strcmp(argv[1], "--facts") == 0)
		return print_facts();
	if (argc != 2)
		die("usage: ppdump FILE | ppdump --facts");
	f = fopen(argv[1], "rb");
	if (!f || fseek(f, 0, SEEK_END) || (sz = ftell(f)) < 0)
		die("cannot open");
	/* a live segment is a sparse file larger than its used part */
	struct ppf_header hh;

	rewind(f);
	if ((size_t)sz < sizeof(hh) || fread(&hh, sizeof(hh), 1, f) != 1)
		die("too short");
	if (memcmp(hh.magic, PPF_MAGIC, PPF_MAGIC_LEN) || hh.version < PPF_VERSION_MIN ||
	    hh.version > PPF_VERSION)
		die("not a paraprof dump");
	if (hh.used_size > (uint64_t)sz || hh.used_size < sizeof(hh))
		die("used_size past the end");
	len = (size_t)hh.used_size;
	buf = malloc(len + 1);
	rewind(f);
	if (fread(buf, 1, len, f) != len)
		die("cannot read");
	fclose(f);
	h = at(0, sizeof(*h));

	struct ppf_thread *th = at(h->thread_off, (uint64_t)h->thread_cap * sizeof(*th));
	struct ppf_module *mods = at(h->module_off, (uint64_t)h->module_cap * sizeof(*mods));
	const char *strtab = at(h->strtab_off, h->strtab_cap);
	unsigned areas = 0;

	for (uint32_t i = 0; i < h->thread_count && i < h->thread_cap; i++) {
		uint64_t off = th[i].records, n = 0;

		if (th[i].state == PPF_THREAD_FREE || th[i].cleared_gen != h->clear_gen)
			continue;
		areas++;
		if (getenv("PPDUMP_AREAS"))
			printf("area %u state=%u tid=%u records=%llu served=%llu\n", i, th[i].state,
			       th[i].tid, (unsigned long long)th[i].record_count,
			       (unsigned long long)th[i].threads_served);
		for (; off; n++) {
			/* a record of an older version is shorter: copied whole
			 * into a zeroed one (its tail, if any, is not summed) */
			size_t rs = h->version >= 5 ? sizeof(struct ppf_record) :
				    h->version == 4 ? PPF_RECORD_SIZE_V4 :
				    h->version == 3 ? PPF_RECORD_SIZE_V3 : PPF_RECORD_SIZE_V2;
			struct ppf_record *r = at(off, rs), old_rec;
			struct agg *a;

			if (rs < sizeof(*r)) {
				memset(&old_rec, 0, sizeof(old_rec));
				memcpy(&old_rec, r, rs);
				old_rec.size = (uint16_t)sizeof(old_rec);
				r = &old_rec;
			}

			if (n >= th[i].record_count)
				die("record list longer than its count");
			off = r->next;
			if (r->flags & PPF_REC_FOLDED)
				continue;
			if (getenv("PPDUMP_AREAS"))
				printf("  rec area=%u key=0x%llx calls=%llu\n", i,
				       (unsigned long long)r->key, (unsigned long long)r->calls);
			if (getenv("PPDUMP_PATHS") && r->calls && h->version >= 3)
				print_path(h, r);
			a = find(r->kind, r->key, r->kind == PPF_KIND_FUNCTION ||
				 r->kind == PPF_KIND_SAMPLE ? r->module : 0);
			ppc_record_add(&a->sum, r);
			if (r->pending && r->pending <= PPF_HIST_BUCKETS)
				a->hist[r->pending - 1]++;
			for (unsigned p = 0; p < PPF_HIST_PAGES; p++) {
				struct ppf_hist_page *pg;

				if (!r->pages[p])
					continue;
				pg = at((uint64_t)r->pages[p] * PPF_PAGE_BYTES, sizeof(*pg));
				for (unsigned b = 0; b < PPF_SUB; b++)
					a->hist[p * PPF_SUB + b] += pg->count[b];
			}
		}
	}
	for (size_t i = 0; i < naggs; i++) {
		struct agg *a = &aggs[i];
		uint64_t hist = 0;

		for (unsigned b = 0; b < PPF_HIST_BUCKETS; b++)
			hist += a->hist[b];
		if (a->kind == PPF_KIND_FUNCTION || a->kind == PPF_KIND_SAMPLE) {
			const char *what = a->kind == PPF_KIND_SAMPLE ? "sample" : "fn";
			const struct ppf_module *m = NULL;

			/* the module the record names (format version 2), else
			 * the one covering the address, a loaded one first */
			if (a->module && a->module <= h->module_count)
				m = &mods[a->module - 1];
			for (uint32_t j = 0; !a->module && j < h->module_count; j++)
				if (a->key >= mods[j].lo && a->key < mods[j].hi &&
				    (!m || m->unloaded || !mods[j].unloaded))
					m = &mods[j];
			if (m)
				printf("%s %s+0x%llx", what, m->path,
				       (unsigned long long)(a->key - m->load_addr));
			else
				printf("%s ?+0x%llx", what, (unsigned long long)a->key);
		} else {
			printf("name %u %s", a->kind, a->key < h->strtab_cap ? strtab + a->key : "?");
		}
		printf(" calls=%llu sum_ns=%llu incl_ns=%llu self_ns=%llu min_ns=%llu max_ns=%llu "
		       "abandoned=%llu hist=%llu hist_dropped=%llu p50=%llu p99=%llu rss_max_kib=%llu "
		       "cpu_ns=%llu cpu_wall_ns=%llu\n",
		       (unsigned long long)a->sum.calls, (unsigned long long)a->sum.sum_ns,
		       (unsigned long long)a->sum.inclusive_ns, (unsigned long long)a->sum.self_ns,
		       (unsigned long long)a->sum.min_ns, (unsigned long long)a->sum.max_ns,
		       (unsigned long long)a->sum.abandoned, (unsigned long long)hist,
		       (unsigned long long)a->sum.hist_dropped,
		       (unsigned long long)quantile(a, 500000), (unsigned long long)quantile(a, 990000),
		       (unsigned long long)a->sum.rss_max_kib, (unsigned long long)a->sum.cpu_ns,
		       (unsigned long long)a->sum.cpu_wall_ns);
		/* PPDUMP_HIST: the buckets, for tests of what is built from them */
		for (unsigned b = 0; getenv("PPDUMP_HIST") && b < PPF_HIST_BUCKETS; b++)
			if (a->hist[b])
				printf("  bucket lower=%llu width=%llu count=%llu\n",
				       (unsigned long long)ppf_bucket_lower(b),
				       (unsigned long long)ppf_bucket_width(b),
				       (unsigned long long)a->hist[b]);
	}
	printf("header pid=%u ppid=%u flags=%#x exec_gen=%u wall_ns=%llu areas=%u threads_seen=%llu "
	       "dropped_functions=%llu stack_overflows=%llu abandoned_frames=%llu unmatched_exits=%llu "
	       "threads_dropped=%llu modules=%u timeline=%u rss_peak_kib=%llu used=%llu "
	       "session=%016llx pidns_ino=%llu start_ticks=%llu version=%u paths=%llu paths_cut=%llu "
	       "max_paths=%llu thread_count=%u threads_folded=%llu cmdline=%s\n",
	       h->pid, h->ppid, h->flags, h->exec_gen,
	       (unsigned long long)((h->stop_ns ? h->stop_ns : h->last_ns) - h->start_ns), areas,
	       (unsigned long long)h->threads_seen, (unsigned long long)h->dropped_functions,
	       (unsigned long long)h->stack_overflows, (unsigned long long)h->abandoned_frames,
	       (unsigned long long)h->unmatched_exits, (unsigned long long)h->threads_dropped,
	       h->module_count, h->timeline_count, (unsigned long long)h->rss_peak_kib,
	       (unsigned long long)h->used_size, (unsigned long long)h->session,
	       (unsigned long long)h->pidns_ino, (unsigned long long)h->proc_start_ticks,
	       h->version, (unsigned long long)h->paths, (unsigned long long)h->paths_cut,
	       (unsigned long long)h->max_paths, h->thread_count,
	       (unsigned long long)(h->version >= 4 ? h->threads_folded : 0), h->cmdline);
	return 0;
}
