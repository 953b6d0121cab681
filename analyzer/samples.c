/* samples.c - what an entry's self time is made of, from CPU samples
 *
 * An entry's pp_samples (one per sample record: per path, thread and
 * process) are added up by function: own code, or the same name in the
 * same module (a function without a symbol by its address), then sorted by
 * their count.  Shares are of the samples, which the runtime takes in
 * proportion to CPU time: they split the part of the self time spent on
 * CPU, not waiting (a blocking libc call is an entry of its own).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "samples.h"

/* The short name of a module: its file name up to ".so" ("libc" for
 * libc.so.6), written into buf. */
static void module_short(char *buf, size_t len, const char *path)
{
	const char *base = strrchr(path, '/'), *so;
	size_t n;

	base = base ? base + 1 : path;
	so = strstr(base, ".so");
	n = so && so > base ? (size_t)(so - base) : strlen(base);
	snprintf(buf, len, "%.*s", (int)n, base);
}

/* Orders shares by who they are: own code first, then by module, name. */
static int cmp_who(const void *a, const void *b)
{
	const struct samples_share *x = a, *y = b;
	int c;

	if (x->own != y->own)
		return y->own - x->own;
	if ((c = strcmp(x->module, y->module)))
		return c;
	return strcmp(x->name, y->name);
}

/* Most samples first; ties by who they are, so that output is stable. */
static int cmp_count(const void *a, const void *b)
{
	const struct samples_share *x = a, *y = b;

	if (x->samples != y->samples)
		return x->samples < y->samples ? 1 : -1;
	return cmp_who(a, b);
}

int samples_of(const struct pp_profile *prof, uint32_t entry, struct samples_list *out)
{
	size_t n = 0, room = 0, used = 0;
	char *strings;

	memset(out, 0, sizeof(*out));
	if (entry >= prof->nentries || !prof->entries[entry]->sampled)
		return 0;
	for (size_t i = 0; i < prof->nsamples; i++)
		if (prof->samples[i].entry == entry) {
			n++;
			/* name or address, and module; each NUL-ended */
			room += (prof->samples[i].name ? strlen(prof->samples[i].name) : 0) + 64 +
				PPF_PATH_MAX;
		}
	out->v = calloc(n ? n : 1, sizeof(*out->v));
	strings = out->strings = malloc(room ? room : 1);
	if (!out->v || !strings) {
		samples_free(out);
		return -1;
	}
	for (size_t i = 0; i < prof->nsamples; i++) {
		const struct pp_sample *s = &prof->samples[i];
		struct samples_share *sh;
		char mod[PPF_PATH_MAX] = "";
		int w;

		if (s->entry != entry)
			continue;
		sh = &out->v[out->n++];
		sh->own = (int)s->own;
		sh->samples = s->samples;
		sh->ns = s->ns;
		if (!s->own && s->module >= 0 && (size_t)s->module < prof->nmodules)
			module_short(mod, sizeof(mod), prof->modules[s->module].path);
		sh->module = strings + used;
		used += (size_t)snprintf(strings + used, room - used, "%s", mod) + 1;
		sh->name = strings + used;
		if (s->own)
			w = snprintf(strings + used, room - used, "own code");
		else if (s->name)
			w = snprintf(strings + used, room - used, "%s", s->name);
		else if (*mod)
			w = snprintf(strings + used, room - used, "%s+%#" PRIx64, mod, s->offset);
		else
			w = snprintf(strings + used, room - used, "%#" PRIx64, s->offset);
		used += (size_t)w + 1;
	}
	/* the same function's records as one share */
	qsort(out->v, out->n, sizeof(*out->v), cmp_who);
	n = 0;
	for (size_t i = 0; i < out->n; i++) {
		if (n && !cmp_who(&out->v[n - 1], &out->v[i])) {
			out->v[n - 1].samples = pp_sat_add(out->v[n - 1].samples, out->v[i].samples);
			out->v[n - 1].ns = pp_sat_add(out->v[n - 1].ns, out->v[i].ns);
		} else {
			out->v[n++] = out->v[i];
		}
	}
	out->n = n;
	qsort(out->v, out->n, sizeof(*out->v), cmp_count);
	for (size_t i = 0; i < out->n; i++) {
		out->samples = pp_sat_add(out->samples, out->v[i].samples);
		out->ns = pp_sat_add(out->ns, out->v[i].ns);
	}
	return 0;
}

void samples_free(struct samples_list *l)
{
	free(l->v);
	free(l->strings);
	memset(l, 0, sizeof(*l));
}

void samples_line(char *buf, size_t len, const struct samples_list *l, size_t top)
{
	char t[32];
	size_t used;
	uint64_t rest = l->samples;

	*buf = 0;
	if (!l->n || !l->samples || !len)
		return;
	used = (size_t)snprintf(buf, len, "Self by samples (%" PRIu64 ", %s on CPU):", l->samples,
				report_fmt_ns(t, l->ns));
	for (size_t i = 0; i < l->n && i < top && used < len; i++) {
		const struct samples_share *s = &l->v[i];

		rest -= s->samples;
		used += (size_t)snprintf(buf + used, len - used, "%s %.1f%% %s%s%s%s", i ? "," : "",
					 100.0 * (double)s->samples / (double)l->samples, s->name,
					 *s->module ? " [" : "", s->module, *s->module ? "]" : "");
	}
	if (rest && used < len)
		snprintf(buf + used, len - used, ", %.1f%% other",
			 100.0 * (double)rest / (double)l->samples);
}
