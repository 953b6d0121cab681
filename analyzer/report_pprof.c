/* report_pprof.c - the calling-context tree as a pprof profile
 *
 * Gzipped profile.proto (analyzer/pprof.proto, the fields of pprof's
 * schema that are used here), encoded by protobuf-c's generated code and
 * compressed by zlib as it is packed, the packed message never held whole.
 * What pprof, Pyroscope, Parca and Grafana read.
 *
 * Three sample types, in this order: calls/count, total/nanoseconds (the
 * node's inclusive time), self/nanoseconds; self is the default, the one
 * whose sums pprof's flat and cumulative columns make exact (flat: the
 * function's self time; cum: its time with its callees').  One sample per
 * path node, its stack leaf first; one location per node (so a location is
 * a path's frame, its address the function's ELF address), one function per
 * entry, one mapping per module with its build id in hex.  A cut node's
 * stack ends with a PP_MORE_PATHS frame of its own function.  Regions,
 * spans and endpoints are functions in no mapping.  Names go as they are
 * (protobuf strings are bytes to pprof).
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "paths.h"
#include "pprof.pb-c.h"
#include "report.h"

#define GZ_CHUNK 65536

enum { STR_EMPTY, STR_CALLS, STR_COUNT, STR_TOTAL, STR_NS, STR_SELF, STR_MORE, STR_FIXED };

/* A ProtobufCBuffer that deflates what is appended and writes it out. */
struct gz_sink {
	ProtobufCBuffer base;		/* first: protobuf-c casts to it */
	z_stream z;
	FILE *out;
	int failed;			/* zlib or stdio failed */
	unsigned char chunk[GZ_CHUNK];
};

/* Runs deflate over what z holds with `flush`, writing its output. */
static void gz_run(struct gz_sink *g, int flush)
{
	do {
		g->z.next_out = g->chunk;
		g->z.avail_out = sizeof(g->chunk);
		int rc = deflate(&g->z, flush);

		if (rc == Z_STREAM_ERROR) {
			g->failed = 1;
			return;
		}
		size_t have = sizeof(g->chunk) - g->z.avail_out;

		if (have && fwrite(g->chunk, 1, have, g->out) != have)
			g->failed = 1;
		if (flush == Z_FINISH && rc == Z_STREAM_END)
			return;
	} while (g->z.avail_out == 0 || flush == Z_FINISH);
}

static void gz_append(ProtobufCBuffer *buf, size_t len, const uint8_t *data)
{
	struct gz_sink *g = (struct gz_sink *)buf;

	/* avail_in is a uInt: feed at most 1 GiB at a time */
	while (len && !g->failed) {
		size_t n = len > (1u << 30) ? (1u << 30) : len;

		g->z.next_in = (Bytef *)data;
		g->z.avail_in = (uInt)n;
		gz_run(g, Z_NO_FLUSH);
		data += n;
		len -= n;
	}
}

static int64_t clamp64(uint64_t v)
{
	return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

/* Everything the message points to, allocated in a few arrays. */
struct pprof_build {
	Perftools__Profiles__Profile prof;
	Perftools__Profiles__ValueType types[3], *type_ptrs[3];
	Perftools__Profiles__Mapping *maps, **map_ptrs;
	Perftools__Profiles__Function *funcs, **func_ptrs;
	Perftools__Profiles__Location *locs, **loc_ptrs;
	Perftools__Profiles__Line *lines, **line_ptrs;
	Perftools__Profiles__Sample *samples, **sample_ptrs;
	uint64_t *stack_ids;		/* every sample's location ids, one after another */
	int64_t *values;		/* 3 per sample */
	int64_t *comments;
	char **strings;
	char *hex;			/* the build ids in hex, NUL-separated */
	char **notes;			/* the comments' text, malloc'ed each */
};

static void pprof_build_free(struct pprof_build *b, size_t ncomments)
{
	for (size_t i = 0; b->notes && i < ncomments; i++)
		free(b->notes[i]);
	free(b->notes);
	free(b->maps);
	free(b->map_ptrs);
	free(b->funcs);
	free(b->func_ptrs);
	free(b->locs);
	free(b->loc_ptrs);
	free(b->lines);
	free(b->line_ptrs);
	free(b->samples);
	free(b->sample_ptrs);
	free(b->stack_ids);
	free(b->values);
	free(b->comments);
	free(b->strings);
	free(b->hex);
}

/* Fills the message of b from r; 0, or -1 when memory runs out. */
static int pprof_fill(struct pprof_build *b, const struct report *r)
{
	const struct pp_profile *prof = r->prof;
	size_t np = prof->npaths, ne = prof->nentries, nm = prof->nmodules, nc = prof->nprocs;
	size_t nstr = STR_FIXED + nc + 2 * nm + 2 * ne, nids = 0;
	/* location np + 1 is PP_MORE_PATHS's, function ne + 1 its function */
	size_t nloc = np + 1, nfunc = ne + 1;

	for (size_t i = 0; i < np; i++)
		nids += (size_t)prof->paths[i]->depth + 2;
	b->strings = calloc(nstr, sizeof(*b->strings));
	b->notes = calloc(nc + 1, sizeof(*b->notes));
	b->comments = calloc(nc + 1, sizeof(*b->comments));
	b->hex = calloc(nm * (2 * PPF_BUILD_ID_MAX + 1) + 1, 1);
	b->maps = calloc(nm + 1, sizeof(*b->maps));
	b->map_ptrs = calloc(nm + 1, sizeof(*b->map_ptrs));
	b->funcs = calloc(nfunc, sizeof(*b->funcs));
	b->func_ptrs = calloc(nfunc, sizeof(*b->func_ptrs));
	b->locs = calloc(nloc, sizeof(*b->locs));
	b->loc_ptrs = calloc(nloc, sizeof(*b->loc_ptrs));
	b->lines = calloc(nloc, sizeof(*b->lines));
	b->line_ptrs = calloc(nloc, sizeof(*b->line_ptrs));
	b->samples = calloc(np + 1, sizeof(*b->samples));
	b->sample_ptrs = calloc(np + 1, sizeof(*b->sample_ptrs));
	b->stack_ids = calloc(nids + 1, sizeof(*b->stack_ids));
	b->values = calloc(3 * np + 1, sizeof(*b->values));
	if (!b->strings || !b->notes || !b->comments || !b->hex || !b->maps || !b->map_ptrs ||
	    !b->funcs || !b->func_ptrs || !b->locs || !b->loc_ptrs || !b->lines ||
	    !b->line_ptrs || !b->samples || !b->sample_ptrs || !b->stack_ids || !b->values)
		return -1;

	Perftools__Profiles__Profile *p = &b->prof;
	static const char *const fixed[STR_FIXED] = { "", "calls", "count", "total",
						      "nanoseconds", "self", PP_MORE_PATHS };
	size_t s = 0;

	perftools__profiles__profile__init(p);
	for (; s < STR_FIXED; s++)
		b->strings[s] = (char *)fixed[s];
	static const int types[3][2] = { { STR_CALLS, STR_COUNT }, { STR_TOTAL, STR_NS },
					 { STR_SELF, STR_NS } };

	for (int t = 0; t < 3; t++) {
		perftools__profiles__value_type__init(&b->types[t]);
		b->types[t].type = types[t][0];
		b->types[t].unit = types[t][1];
		b->type_ptrs[t] = &b->types[t];
	}
	p->sample_type = b->type_ptrs;
	p->n_sample_type = 3;
	p->default_sample_type = STR_SELF;
	/* One comment per process: which run the profile is of. */
	uint64_t first_start = 0;

	for (size_t i = 0; i < nc; i++) {
		const struct pp_process *pr = &prof->procs[i];

		if (asprintf(&b->notes[i], "paraprof: pid %u: %s", pr->pid,
			     pr->cmdline ? pr->cmdline : "?") < 0) {
			b->notes[i] = NULL;
			return -1;
		}
		b->comments[i] = (int64_t)s;
		b->strings[s++] = b->notes[i];
		if (pr->start_realtime_ns && (!first_start || pr->start_realtime_ns < first_start))
			first_start = pr->start_realtime_ns;
	}
	p->comment = b->comments;
	p->n_comment = nc;
	p->time_nanos = clamp64(first_start);
	p->duration_nanos = clamp64(r->totals.wall_ns);
	/* Mappings: module m is mapping m + 1. */
	char *hex = b->hex;

	for (size_t m = 0; m < nm; m++) {
		const struct pp_module *mod = &prof->modules[m];
		Perftools__Profiles__Mapping *mp = &b->maps[m];

		perftools__profiles__mapping__init(mp);
		mp->id = m + 1;
		mp->has_functions = 1;
		mp->filename = (int64_t)s;
		b->strings[s++] = mod->path;
		mp->build_id = (int64_t)s;
		b->strings[s++] = hex;
		for (uint32_t k = 0; k < mod->build_id_len && k < PPF_BUILD_ID_MAX; k++)
			hex += sprintf(hex, "%02x", mod->build_id[k]);
		hex++;		/* past the NUL: "" when there is no build id */
		b->map_ptrs[m] = mp;
	}
	p->mapping = b->map_ptrs;
	p->n_mapping = nm;
	/* Functions: entry e is function e + 1; PP_MORE_PATHS is ne + 1. */
	for (size_t e = 0; e < nfunc; e++) {
		Perftools__Profiles__Function *f = &b->funcs[e];

		perftools__profiles__function__init(f);
		f->id = e + 1;
		if (e < ne) {
			f->name = (int64_t)s;
			b->strings[s++] = (char *)(prof->entries[e]->name ? prof->entries[e]->name :
						   "?");
		} else {
			f->name = STR_MORE;
		}
		f->system_name = f->name;
		/* a function's system name is its full name (cxxname.h) */
		if (e < ne && prof->entries[e]->full_name &&
		    prof->entries[e]->full_name != prof->entries[e]->name) {
			f->system_name = (int64_t)s;
			b->strings[s++] = (char *)prof->entries[e]->full_name;
		}
		b->func_ptrs[e] = f;
	}
	p->function = b->func_ptrs;
	p->n_function = nfunc;
	p->string_table = b->strings;
	p->n_string_table = s;
	/* Locations: node i is location i + 1; PP_MORE_PATHS is np + 1. */
	for (size_t i = 0; i < nloc; i++) {
		Perftools__Profiles__Location *l = &b->locs[i];
		const struct pp_entry *e = i < np ? prof->entries[prof->paths[i]->entry] : NULL;

		perftools__profiles__location__init(l);
		perftools__profiles__line__init(&b->lines[i]);
		l->id = i + 1;
		if (e && e->kind == PPF_KIND_FUNCTION && e->module >= 0 && (size_t)e->module < nm)
			l->mapping_id = (uint64_t)e->module + 1;
		if (e && e->kind == PPF_KIND_FUNCTION)
			l->address = e->offset;
		b->lines[i].function_id = e ? (uint64_t)prof->paths[i]->entry + 1 : nfunc;
		b->line_ptrs[i] = &b->lines[i];
		l->line = &b->line_ptrs[i];
		l->n_line = 1;
		b->loc_ptrs[i] = l;
	}
	p->location = b->loc_ptrs;
	p->n_location = nloc;
	/* Samples: node i's path, leaf first. */
	uint64_t *ids = b->stack_ids;

	for (size_t i = 0; i < np; i++) {
		const struct pp_path *node = prof->paths[i];
		Perftools__Profiles__Sample *sm = &b->samples[i];
		size_t len = 0, room = (size_t)node->depth + 1;
		uint32_t at = (uint32_t)i + 1, root = (uint32_t)i;

		perftools__profiles__sample__init(sm);
		sm->location_id = ids;
		/* room: the depth the loader checked; a longer chain is cut */
		while (at && at <= np && len < room) {
			root = at - 1;
			ids[len++] = at;
			at = prof->paths[at - 1]->parent;
		}
		if (prof->paths[root]->cut)
			ids[len++] = np + 1;
		sm->n_location_id = len;
		ids += len;
		sm->value = &b->values[3 * i];
		sm->value[0] = clamp64(node->st.calls);
		sm->value[1] = clamp64(node->st.inclusive_ns);
		sm->value[2] = clamp64(node->st.self_ns);
		sm->n_value = 3;
		b->sample_ptrs[i] = sm;
	}
	p->sample = b->sample_ptrs;
	p->n_sample = np;
	return 0;
}

int report_pprof(FILE *out, const struct report *r)
{
	struct pprof_build b;
	struct gz_sink *g = calloc(1, sizeof(*g));
	int rc = -1;

	memset(&b, 0, sizeof(b));
	if (!g || pprof_fill(&b, r))
		goto out;
	g->base.append = gz_append;
	g->out = out;
	/* windowBits 15 + 16: a gzip header and trailer, what pprof reads */
	if (deflateInit2(&g->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		goto out;
	perftools__profiles__profile__pack_to_buffer(&b.prof, &g->base);
	if (!g->failed) {
		g->z.next_in = NULL;
		g->z.avail_in = 0;
		gz_run(g, Z_FINISH);
	}
	deflateEnd(&g->z);
	rc = g->failed || ferror(out) ? -1 : 0;
out:
	pprof_build_free(&b, r->prof->nprocs);
	free(g);
	return rc;
}
