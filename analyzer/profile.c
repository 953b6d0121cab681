/* profile.c - the merged in-memory profile of one or more dumps
 *
 * Entries, names and processes' strings come from a chunked arena (freed all
 * at once); the hash table of entries is open addressing with linear probing
 * over indices into entries[], kept at most half full.  Histogram pages are
 * malloc'ed per entry and kept sorted by page number, so looking a page up is
 * a popcount of the mask below it.
 */
#include <stdlib.h>
#include <string.h>

#include "profile.h"

#define ARENA_CHUNK (64 * 1024)

struct pp_chunk {
	struct pp_chunk *next;
	size_t used, size;	/* bytes of data[] */
	_Alignas(16) unsigned char data[];
};

static void *arena_alloc(struct pp_profile *prof, size_t n)
{
	struct pp_chunk *c = prof->arena;

	n = (n + 15) & ~(size_t)15;
	if (!c || c->size - c->used < n) {
		size_t size = n > ARENA_CHUNK ? n : ARENA_CHUNK;

		c = malloc(sizeof(*c) + size);
		if (!c)
			return NULL;
		c->next = prof->arena;
		c->used = 0;
		c->size = size;
		prof->arena = c;
	}
	c->used += n;
	return c->data + c->used - n;
}

const char *pp_kind_name(unsigned kind)
{
	switch (kind) {
	case PPF_KIND_FUNCTION: return "function";
	case PPF_KIND_REGION: return "region";
	case PPF_KIND_SPAN: return "span";
	case PPF_KIND_ENDPOINT: return "endpoint";
	case PPF_KIND_LIBCALL: return "libc";
	case PPF_KIND_SAMPLE: return "sample";
	}
	return "?";
}

struct pp_profile *pp_profile_new(void)
{
	struct pp_profile *prof = calloc(1, sizeof(*prof));

	if (!prof)
		return NULL;
	prof->nslots = 1024;
	prof->slots = calloc(prof->nslots, sizeof(*prof->slots));
	if (!prof->slots) {
		free(prof);
		return NULL;
	}
	return prof;
}

void pp_profile_free(struct pp_profile *prof)
{
	if (!prof)
		return;
	for (size_t i = 0; i < prof->nentries; i++)
		free(prof->entries[i]->hist.pages);
	for (size_t i = 0; i < prof->npaths; i++)
		free(prof->paths[i]->st.hist.pages);
	free(prof->paths);
	free(prof->path_slots);
	free(prof->slow);
	free(prof->samples);
	for (size_t i = 0; i < prof->nprocs; i++)
		free(prof->procs[i].timeline);
	free(prof->entries);
	free(prof->slots);
	free(prof->procs);
	free(prof->modules);
	free(prof->caches);
	free(prof->mod_slots);
	free(prof->cache_slots);
	for (size_t i = 0; i < prof->nnotes; i++)
		free(prof->notes[i]);
	free(prof->notes);
	for (size_t i = 0; i < prof->nthreads; i++)
		pp_profile_free(prof->threads[i].prof);
	free(prof->threads);
	while (prof->arena) {
		struct pp_chunk *next = prof->arena->next;

		free(prof->arena);
		prof->arena = next;
	}
	free(prof);
}

int pp_profile_note(struct pp_profile *prof, const char *text)
{
	char *copy;

	if (prof->nnotes == prof->notes_cap) {
		size_t cap = prof->notes_cap ? 2 * prof->notes_cap : 16;
		char **bigger = realloc(prof->notes, cap * sizeof(*bigger));

		if (!bigger)
			return -1;
		prof->notes = bigger;
		prof->notes_cap = cap;
	}
	copy = strdup(text);
	if (!copy)
		return -1;
	prof->notes[prof->nnotes++] = copy;
	return 0;
}

char *pp_profile_strndup(struct pp_profile *prof, const char *s, size_t len)
{
	char *p = arena_alloc(prof, len + 1);

	if (!p)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* Grows the array *arr of *cap elements of `size` bytes to hold one more;
 * 0, or -1 (array unchanged) when memory runs out. */
static int grow(void *arr, size_t *cap, size_t n, size_t size)
{
	void **p = arr;

	if (n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 16;
	void *q = realloc(*p, ncap * size);

	if (!q)
		return -1;
	*p = q;
	*cap = ncap;
	return 0;
}

static uint64_t fnv(const void *p, size_t n, uint64_t h)
{
	for (const unsigned char *s = p; n--; s++)
		h = (h ^ *s) * 0x100000001b3ull;
	return h;
}

static uint64_t module_hash(const char *path, const uint8_t *build_id, uint32_t build_id_len)
{
	return fnv(build_id, build_id_len, fnv(path, strlen(path), 0xcbf29ce484222325ull));
}

static uint64_t module_hash_i(const struct pp_profile *prof, size_t i)
{
	const struct pp_module *m = &prof->modules[i];

	return module_hash(m->path, m->build_id, m->build_id_len);
}

static uint64_t cache_hash_i(const struct pp_profile *prof, size_t i)
{
	return fnv(prof->caches[i].name, strlen(prof->caches[i].name), 0xcbf29ce484222325ull);
}

/* Makes room in a name index for item n (the n+1st): the table is rebuilt,
 * twice as big, when it would be more than half full.  0, or -1 (unchanged)
 * when memory runs out. */
static int index_reserve(const struct pp_profile *prof, uint32_t **slots, size_t *nslots,
			 size_t n, uint64_t (*hash)(const struct pp_profile *, size_t))
{
	if ((n + 1) * 2 <= *nslots)
		return 0;
	size_t ns = *nslots ? *nslots * 2 : 64;
	uint32_t *s = calloc(ns, sizeof(*s));

	if (!s)
		return -1;
	for (size_t i = 0; i < n; i++) {
		size_t k = hash(prof, i) & (ns - 1);

		while (s[k])
			k = (k + 1) & (ns - 1);
		s[k] = (uint32_t)(i + 1);
	}
	free(*slots);
	*slots = s;
	*nslots = ns;
	return 0;
}

int pp_profile_module(struct pp_profile *prof, const char *path, const uint8_t *build_id,
		      uint32_t build_id_len)
{
	if (build_id_len > PPF_BUILD_ID_MAX)
		build_id_len = PPF_BUILD_ID_MAX;
	if (prof->nmodules >= INT32_MAX - 1 ||
	    index_reserve(prof, &prof->mod_slots, &prof->nmod_slots, prof->nmodules,
			  module_hash_i))
		return -1;
	size_t mask = prof->nmod_slots - 1;
	size_t k = module_hash(path, build_id, build_id_len) & mask;

	for (; prof->mod_slots[k]; k = (k + 1) & mask) {
		const struct pp_module *m = &prof->modules[prof->mod_slots[k] - 1];

		if (m->build_id_len == build_id_len && strcmp(m->path, path) == 0 &&
		    memcmp(m->build_id, build_id, build_id_len) == 0)
			return (int)(prof->mod_slots[k] - 1);
	}
	if (grow(&prof->modules, &prof->modules_cap, prof->nmodules, sizeof(*prof->modules)))
		return -1;
	char *p = pp_profile_strndup(prof, path, strlen(path));

	if (!p)
		return -1;
	struct pp_module *m = &prof->modules[prof->nmodules];

	memset(m, 0, sizeof(*m));
	m->path = p;
	memcpy(m->build_id, build_id, build_id_len);
	m->build_id_len = build_id_len;
	prof->mod_slots[k] = (uint32_t)++prof->nmodules;
	return (int)prof->nmodules - 1;
}

/* A function's key, or a named kind's (name). */
struct entry_key {
	unsigned kind;
	int module;
	uint64_t offset;
	const char *name;		/* named kinds */
	const char *modname, *symbol;	/* functions a names table named */
	uint32_t nth;
};

/* FNV-1a over the name (or module name and symbol), or a 64-bit mix of
 * (module, offset). */
static uint64_t entry_hash(const struct entry_key *k)
{
	uint64_t h;

	if (k->name)
		return fnv(k->name, strlen(k->name), 0xcbf29ce484222325ull ^ k->kind);
	if (k->symbol)
		return fnv(k->symbol, strlen(k->symbol),
			   fnv(k->modname, strlen(k->modname) + 1,
			       0xcbf29ce484222325ull ^ k->nth));
	h = k->offset ^ ((uint64_t)(uint32_t)k->module << 40) ^ ((uint64_t)k->kind << 60);
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 33);
}

static struct entry_key key_of(const struct pp_entry *e)
{
	struct entry_key k = { e->kind, e->module, e->offset, NULL, e->modname, e->symbol,
				e->nth };

	if (e->kind != PPF_KIND_FUNCTION)
		k.name = e->name;
	return k;
}

static int entry_matches(const struct pp_entry *e, const struct entry_key *k)
{
	if (e->kind != k->kind)
		return 0;
	if (k->name)
		return strcmp(e->name, k->name) == 0;
	if (k->symbol)
		return e->symbol && e->nth == k->nth && strcmp(e->symbol, k->symbol) == 0 &&
		       strcmp(e->modname, k->modname) == 0;
	return !e->symbol && e->module == k->module && e->offset == k->offset;
}

/* Doubles the hash table; 0, or -1 (table unchanged) when memory runs out. */
static int rehash(struct pp_profile *prof)
{
	size_t nslots = prof->nslots * 2;
	uint32_t *slots = calloc(nslots, sizeof(*slots));

	if (!slots)
		return -1;
	for (size_t i = 0; i < prof->nentries; i++) {
		struct entry_key k = key_of(prof->entries[i]);
		size_t s = entry_hash(&k) & (nslots - 1);

		while (slots[s])
			s = (s + 1) & (nslots - 1);
		slots[s] = (uint32_t)(i + 1);
	}
	free(prof->slots);
	prof->slots = slots;
	prof->nslots = nslots;
	return 0;
}

/* The entry of key k, made when new (its strings copied, demangled too). */
static struct pp_entry *entry_get(struct pp_profile *prof, const struct entry_key *k,
				  const char *demangled)
{
	size_t mask = prof->nslots - 1;
	size_t s = entry_hash(k) & mask;

	for (; prof->slots[s]; s = (s + 1) & mask) {
		struct pp_entry *e = prof->entries[prof->slots[s] - 1];

		if (entry_matches(e, k))
			return e;
	}
	if (prof->nentries >= UINT32_MAX - 1)
		return NULL;
	if (grow(&prof->entries, &prof->entries_cap, prof->nentries, sizeof(*prof->entries)))
		return NULL;
	struct pp_entry *e = arena_alloc(prof, sizeof(*e));

	if (!e)
		return NULL;
	memset(e, 0, sizeof(*e));
	e->kind = (uint16_t)k->kind;
	e->module = k->module;
	e->offset = k->offset;
	e->nth = k->nth;
	e->min_ns = UINT64_MAX;
	e->index = (uint32_t)prof->nentries;
	if (k->name && !(e->name = pp_profile_strndup(prof, k->name, strlen(k->name))))
		return NULL;
	if (k->symbol &&
	    (!(e->symbol = pp_profile_strndup(prof, k->symbol, strlen(k->symbol))) ||
	     !(e->modname = pp_profile_strndup(prof, k->modname, strlen(k->modname))) ||
	     (demangled && !(e->demangled = pp_profile_strndup(prof, demangled,
							       strlen(demangled))))))
		return NULL;
	prof->entries[prof->nentries++] = e;
	prof->slots[s] = (uint32_t)prof->nentries;
	if (prof->nentries * 2 > prof->nslots && rehash(prof)) {
		/* The entry is in the table already; a failed grow only means the
		 * table is fuller than planned, still below full. */
		if (prof->nentries + 1 >= prof->nslots) {
			prof->slots[s] = 0;
			prof->nentries--;
			return NULL;
		}
	}
	return e;
}

struct pp_entry *pp_profile_entry(struct pp_profile *prof, unsigned kind, int module,
				  uint64_t offset, const char *name)
{
	struct entry_key k = { kind, module, offset, name, NULL, NULL, 0 };

	if (kind == PPF_KIND_FUNCTION)
		k.name = NULL;
	else
		k.module = -1, k.offset = 0;
	return entry_get(prof, &k, NULL);
}

struct pp_entry *pp_profile_function(struct pp_profile *prof, int module, uint64_t offset,
				     const char *modname, const char *symbol, uint32_t nth,
				     const char *demangled)
{
	struct entry_key k = { PPF_KIND_FUNCTION, module, offset, NULL, modname ? modname : "",
			       symbol, nth };

	return entry_get(prof, &k, demangled);
}

struct pp_entry *pp_profile_find(const struct pp_profile *prof, const struct pp_entry *like)
{
	struct entry_key k = key_of(like);
	size_t mask = prof->nslots - 1;

	for (size_t s = entry_hash(&k) & mask; prof->slots[s]; s = (s + 1) & mask) {
		struct pp_entry *e = prof->entries[prof->slots[s] - 1];

		if (entry_matches(e, &k))
			return e;
	}
	return NULL;
}

/* Adds the histogram of `s` into `h`; 0, or -1 when memory runs out. */
static int hist_add(struct pp_hist *h, const struct pp_hist *s)
{
	unsigned slot = 0;

	for (unsigned p = 0; p < PPF_HIST_PAGES; p++)
		if (s->page_mask >> p & 1 && pp_hist_add_page(h, p, s->pages[slot++], NULL))
			return -1;
	return 0;
}

int pp_profile_merge_entries(struct pp_profile *dst, const struct pp_profile *src)
{
	uint32_t *emap = NULL, *pmap = NULL;
	int rc = -1;

	if ((src->nentries && !(emap = malloc(src->nentries * sizeof(*emap)))) ||
	    (src->npaths && !(pmap = malloc(src->npaths * sizeof(*pmap)))))
		goto out;
	for (size_t i = 0; i < src->nentries; i++) {
		const struct pp_entry *s = src->entries[i];
		struct pp_entry *e = s->symbol ?
			pp_profile_function(dst, s->module, s->offset, s->modname, s->symbol,
					    s->nth, s->demangled) :
			pp_profile_entry(dst, s->kind, s->module, s->offset, s->name);

		if (!e || hist_add(&e->hist, &s->hist))
			goto out;
		pp_entry_add(e, s);
		emap[i] = e->index;
	}
	/* parents come before their children in src->paths */
	for (size_t i = 0; i < src->npaths; i++) {
		const struct pp_path *s = src->paths[i];
		struct pp_path *p = pp_profile_path(dst, s->parent ? pmap[s->parent - 1] + 1 : 0,
						    emap[s->entry], (int)s->cut);

		if (!p || pp_path_add(p, &s->st))
			goto out;
		pmap[i] = p->index;
	}
	dst->paths_cut = pp_sat_add(dst->paths_cut, src->paths_cut);
	for (size_t i = 0; i < src->nslow; i++) {
		struct pp_slow_call c = src->slow[i];

		c.entry = emap[c.entry];
		c.path = c.path ? pmap[c.path - 1] + 1 : 0;
		if (pp_profile_add_slow(dst, &c))
			goto out;
	}
	for (size_t i = 0; i < src->nsamples; i++) {
		struct pp_sample c = src->samples[i];

		c.entry = emap[c.entry];
		if (pp_profile_add_sample(dst, &c))
			goto out;
	}
	rc = 0;
out:
	free(emap);
	free(pmap);
	return rc;
}

static uint64_t path_hash(uint32_t parent, uint32_t entry, int cut)
{
	uint64_t h = (uint64_t)parent << 32 ^ entry ^ (uint64_t)!!cut << 63;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

static uint64_t path_hash_i(const struct pp_profile *prof, size_t i)
{
	const struct pp_path *p = prof->paths[i];

	return path_hash(p->parent, p->entry, (int)p->cut);
}

int pp_profile_add_slow(struct pp_profile *prof, const struct pp_slow_call *c)
{
	if (grow(&prof->slow, &prof->slow_cap, prof->nslow, sizeof(*prof->slow)))
		return -1;
	prof->slow[prof->nslow++] = *c;
	return 0;
}

int pp_profile_add_sample(struct pp_profile *prof, const struct pp_sample *s)
{
	struct pp_sample c = *s;

	if (c.entry >= prof->nentries ||
	    (c.name && !(c.name = pp_profile_strndup(prof, c.name, strlen(c.name)))) ||
	    grow(&prof->samples, &prof->samples_cap, prof->nsamples, sizeof(*prof->samples)))
		return -1;
	prof->samples[prof->nsamples++] = c;
	prof->entries[c.entry]->sampled = pp_sat_add(prof->entries[c.entry]->sampled, c.samples);
	return 0;
}

struct pp_path *pp_profile_path(struct pp_profile *prof, uint32_t parent, uint32_t entry,
				int cut)
{
	if (entry >= prof->nentries || parent > prof->npaths || (cut && parent) ||
	    prof->npaths >= UINT32_MAX - 1 ||
	    index_reserve(prof, &prof->path_slots, &prof->npath_slots, prof->npaths, path_hash_i))
		return NULL;
	size_t mask = prof->npath_slots - 1;
	size_t k = path_hash(parent, entry, cut) & mask;

	for (; prof->path_slots[k]; k = (k + 1) & mask) {
		struct pp_path *p = prof->paths[prof->path_slots[k] - 1];

		if (p->parent == parent && p->entry == entry && p->cut == (uint32_t)!!cut)
			return p;
	}
	if (grow(&prof->paths, &prof->paths_cap, prof->npaths, sizeof(*prof->paths)))
		return NULL;
	struct pp_path *p = arena_alloc(prof, sizeof(*p));
	const struct pp_entry *e = prof->entries[entry];

	if (!p)
		return NULL;
	memset(p, 0, sizeof(*p));
	p->parent = parent;
	p->entry = entry;
	p->cut = (uint32_t)!!cut;
	p->depth = parent ? prof->paths[parent - 1]->depth + 1 : 0;
	p->index = (uint32_t)prof->npaths;
	p->st.kind = e->kind;
	p->st.module = e->module;
	p->st.offset = e->offset;
	p->st.name = e->name;
	p->st.min_ns = UINT64_MAX;
	prof->paths[prof->npaths++] = p;
	prof->path_slots[k] = (uint32_t)prof->npaths;
	return p;
}

int pp_path_add(struct pp_path *p, const struct pp_entry *s)
{
	return pp_entry_merge(&p->st, s);
}

int pp_entry_merge(struct pp_entry *e, const struct pp_entry *s)
{
	if (hist_add(&e->hist, &s->hist))
		return -1;
	pp_entry_add(e, s);
	return 0;
}

void pp_entry_add(struct pp_entry *e, const struct pp_entry *s)
{
	e->records += s->records;
	e->torn += s->torn;
	e->calls = pp_sat_add(e->calls, s->calls);
	e->sum_ns = pp_sat_add(e->sum_ns, s->sum_ns);
	e->inclusive_ns = pp_sat_add(e->inclusive_ns, s->inclusive_ns);
	e->self_ns = pp_sat_add(e->self_ns, s->self_ns);
	if (s->min_ns < e->min_ns)
		e->min_ns = s->min_ns;
	if (s->max_ns > e->max_ns)
		e->max_ns = s->max_ns;
	e->abandoned = pp_sat_add(e->abandoned, s->abandoned);
	e->rss_sum_kib = pp_sat_add(e->rss_sum_kib, s->rss_sum_kib);
	if (s->rss_max_kib > e->rss_max_kib)
		e->rss_max_kib = s->rss_max_kib;
	e->hist_dropped = pp_sat_add(e->hist_dropped, s->hist_dropped);
	e->cpu_ns = pp_sat_add(e->cpu_ns, s->cpu_ns);
	e->cpu_wall_ns = pp_sat_add(e->cpu_wall_ns, s->cpu_wall_ns);
	e->outer_calls = pp_sat_add(e->outer_calls, s->outer_calls);
	for (int k = 0; k < PPF_STATUS_CLASSES; k++)
		e->status[k] = pp_sat_add(e->status[k], s->status[k]);
	e->slow = pp_sat_add(e->slow, s->slow);
}

struct pp_cache *pp_profile_cache(struct pp_profile *prof, const char *name)
{
	if (prof->ncaches >= UINT32_MAX - 1 ||
	    index_reserve(prof, &prof->cache_slots, &prof->ncache_slots, prof->ncaches,
			  cache_hash_i))
		return NULL;
	size_t mask = prof->ncache_slots - 1;
	size_t k = fnv(name, strlen(name), 0xcbf29ce484222325ull) & mask;

	for (; prof->cache_slots[k]; k = (k + 1) & mask)
		if (strcmp(prof->caches[prof->cache_slots[k] - 1].name, name) == 0)
			return &prof->caches[prof->cache_slots[k] - 1];
	if (grow(&prof->caches, &prof->caches_cap, prof->ncaches, sizeof(*prof->caches)))
		return NULL;
	struct pp_cache *c = &prof->caches[prof->ncaches];

	memset(c, 0, sizeof(*c));
	if (!(c->name = pp_profile_strndup(prof, name, strlen(name))))
		return NULL;
	prof->cache_slots[k] = (uint32_t)++prof->ncaches;
	return c;
}

struct pp_process *pp_profile_add_process(struct pp_profile *prof)
{
	if (grow(&prof->procs, &prof->procs_cap, prof->nprocs, sizeof(*prof->procs)))
		return NULL;
	struct pp_process *p = &prof->procs[prof->nprocs++];

	memset(p, 0, sizeof(*p));
	return p;
}

struct pp_thread *pp_profile_add_thread(struct pp_profile *prof, uint32_t pid, uint32_t tid,
					const char *name, const char *source)
{
	struct pp_thread *t;

	if (grow(&prof->threads, &prof->threads_cap, prof->nthreads, sizeof(*prof->threads)))
		return NULL;
	t = &prof->threads[prof->nthreads];
	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->tid = tid;
	t->name = pp_profile_strndup(prof, name, strlen(name));
	t->source = pp_profile_strndup(prof, source, strlen(source));
	t->prof = pp_profile_new();
	if (!t->name || !t->source || !t->prof) {
		pp_profile_free(t->prof);
		return NULL;
	}
	t->prof->flat = 1;
	prof->nthreads++;
	return t;
}

int pp_thread_matches(const char *sel, uint32_t tid, const char *name)
{
	size_t n = strspn(sel, "0123456789");

	if (n && !sel[n] && n <= 10)
		return strtoull(sel, NULL, 10) == tid;
	return strcmp(sel, name) == 0;
}

/* Index in h->pages of page `page`, present or where it would be inserted. */
static unsigned page_slot(const struct pp_hist *h, unsigned page)
{
	return (unsigned)__builtin_popcountll(h->page_mask & ((1ull << page) - 1));
}

int pp_hist_add_page(struct pp_hist *h, unsigned page, const uint64_t *counts,
		     uint64_t *added)
{
	unsigned slot = page_slot(h, page);
	uint64_t sum = 0;

	if (!(h->page_mask >> page & 1)) {
		unsigned n = (unsigned)__builtin_popcountll(h->page_mask);
		void *p = realloc(h->pages, (n + 1) * sizeof(*h->pages));

		if (!p)
			return -1;
		h->pages = p;
		memmove(h->pages + slot + 1, h->pages + slot, (n - slot) * sizeof(*h->pages));
		memset(h->pages[slot], 0, sizeof(*h->pages));
		h->page_mask |= 1ull << page;
	}
	uint64_t *dst = h->pages[slot], any = 0;

	for (unsigned i = 0; i < PPF_SUB; i++)
		any |= counts[i];
	if (any >> 56 == 0 && h->count >> 62 == 0) {
		/* No count reaches 2^56 and no bucket of h 2^62 (each is at most
		 * h->count): nothing can overflow, and the plain loop vectorizes. */
		for (unsigned i = 0; i < PPF_SUB; i++) {
			dst[i] += counts[i];
			sum += counts[i];
		}
	} else {
		for (unsigned i = 0; i < PPF_SUB; i++) {
			dst[i] = pp_sat_add(dst[i], counts[i]);
			sum = pp_sat_add(sum, counts[i]);
		}
	}
	h->count = pp_sat_add(h->count, sum);
	if (added)
		*added = sum;
	return 0;
}

int pp_hist_add_value(struct pp_hist *h, uint64_t v, uint64_t times)
{
	uint64_t counts[PPF_SUB] = { 0 };
	unsigned i = ppf_bucket(v);

	counts[i % PPF_SUB] = times;
	return pp_hist_add_page(h, i / PPF_SUB, counts, NULL);
}

uint64_t pp_hist_bucket(const struct pp_hist *h, unsigned i)
{
	unsigned page = i / PPF_SUB;

	if (page >= PPF_HIST_PAGES || !(h->page_mask >> page & 1))
		return 0;
	return h->pages[page_slot(h, page)][i % PPF_SUB];
}
