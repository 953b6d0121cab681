/* slowcalls.c - the slowest calls of a function, with their native stacks
 *
 * See slowcalls.h.  The report has named every entry (report_build); the
 * frames are named here, each return address looked up one byte before it
 * (inside the call instruction, which may be the last of its function).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "callgraph.h"
#include "cxxname.h"
#include "paths.h"
#include "slowcalls.h"
#include "symbols.h"

long slow_find(const struct pp_profile *prof, const char *func, char *err, size_t errlen)
{
	char why[400];
	uint32_t e;

	if (cg_find(prof, func, &e, why, sizeof(why))) {
		snprintf(err, errlen, "--slowest-calls: %s", why);
		return -1;
	}
	for (size_t i = 0; i < prof->nslow; i++)
		if (prof->slow[i].entry == e)
			return e;
	snprintf(err, errlen, "--slowest-calls: no call of %s was kept (calls of at least"
		 " PARAPROF_SLOW_CALL_US that set a new maximum)", prof->entries[e]->name);
	return -1;
}

/* Longest first, then the earliest end. */
static int by_duration(const void *a, const void *b)
{
	const struct pp_slow_call *x = *(const struct pp_slow_call *const *)a;
	const struct pp_slow_call *y = *(const struct pp_slow_call *const *)b;

	if (x->dur_ns != y->dur_ns)
		return x->dur_ns < y->dur_ns ? 1 : -1;
	return (x->end_ns > y->end_ns) - (x->end_ns < y->end_ns);
}

/* The name of frame `f` ("module+0xOFF" when no symbol holds it), C++
 * names shortened as the entries' are (no parameters: a stack is read in
 * order, not compared) unless `full` (--full-names). */
static const char *frame_name(const struct pp_profile *prof, struct sym_cache *sc,
			      const struct pp_frame *f, char buf[320], int full)
{
	const struct pp_module *m = f->module >= 0 ? &prof->modules[f->module] : NULL;
	const char *name = m && sc && f->offset ?
		sym_lookup(sc, m->path, m->build_id, m->build_id_len, f->offset - 1) : NULL;
	const char *base = m ? strrchr(m->path, '/') : NULL;

	if (name && full)
		return name;
	if (name) {
		cxxname_shorten(name, CXXNAME_SHORT, buf, 320);
		return buf;
	}
	snprintf(buf, 320, "%s+0x%" PRIx64, m ? (base ? base + 1 : m->path) : "?", f->offset);
	return buf;
}

/* Writes the path of node `path` (index + 1) root first, joined by `sep`
 * (its 256 nodes nearest to the call when it is longer). */
static void print_path(FILE *out, const struct pp_profile *prof, uint32_t path, const char *sep,
		       int json)
{
	uint32_t nodes[256];
	size_t n = paths_stack(prof, path - 1, nodes, sizeof(nodes) / sizeof(nodes[0]));

	/* a cut node's calls were past the cap: the path above it is lost */
	int more = n && prof->paths[nodes[0]]->cut;

	for (size_t i = 0; i < n + more; i++) {
		const char *name = more && i == 0 ? PP_MORE_PATHS :
				   paths_name(prof, prof->paths[nodes[i - more]]);

		if (i)
			fputs(sep, out);
		if (json)
			report_json_string(out, name);
		else
			fputs(name, out);
	}
}

int slow_print(FILE *out, const struct report *r, struct sym_cache *sc, size_t entry, int json)
{
	const struct pp_profile *prof = r->prof;
	const struct pp_slow_call **calls = malloc((prof->nslow + 1) * sizeof(*calls));
	size_t n = 0;
	char a[32], buf[320];

	if (!calls)
		return -1;
	for (size_t i = 0; i < prof->nslow; i++)
		if (prof->slow[i].entry == entry)
			calls[n++] = &prof->slow[i];
	qsort(calls, n, sizeof(*calls), by_duration);
	if (json) {
		fputs("{\n  \"function\": ", out);
		report_json_string(out, prof->entries[entry]->name);
		fputs(",\n  \"slowest_calls\": [", out);
	} else {
		fprintf(out, "Slowest calls of %s (%zu kept: calls that set a new maximum;"
			" the longest first)\n", prof->entries[entry]->name, n);
	}
	for (size_t i = 0; i < n; i++) {
		const struct pp_slow_call *c = calls[i];
		double at = c->end_ns >= c->start_ns + c->dur_ns ?
			(double)(c->end_ns - c->dur_ns - c->start_ns) / 1e9 : 0;

		if (json) {
			fprintf(out, "%s\n    {\"duration_ns\": %" PRIu64 ", \"pid\": %" PRIu32
				", \"tid\": %" PRIu32 ", \"start_s\": %.6f, \"path\": [", i ? "," : "",
				c->dur_ns, c->pid, c->tid, at);
			if (c->path)
				print_path(out, prof, c->path, ", ", 1);
			fputs("], \"stack\": [", out);
			for (uint32_t f = 0; f < c->nframes; f++) {
				fputs(f ? ", " : "", out);
				report_json_string(out, frame_name(prof, sc, &c->frames[f], buf, r->opts->full_names));
			}
			fputs("]}", out);
			continue;
		}
		fprintf(out, "\n#%zu  %s  pid %" PRIu32 " tid %" PRIu32 ", began %.6f s after"
			" the process\n", i + 1, report_fmt_ns(a, c->dur_ns), c->pid, c->tid, at);
		if (c->path) {
			fputs("    path: ", out);
			print_path(out, prof, c->path, " > ", 0);
			fputc('\n', out);
		}
		for (uint32_t f = 0; f < c->nframes; f++)
			fprintf(out, "    %2" PRIu32 "  %s\n", f,
				frame_name(prof, sc, &c->frames[f], buf, r->opts->full_names));
	}
	if (json)
		fputs(n ? "\n  ]\n}\n" : "]\n}\n", out);
	free(calls);
	return ferror(out) ? -1 : 0;
}
