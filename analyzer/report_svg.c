/* report_svg.c - the calling-context tree as an interactive SVG flame graph
 *
 * One self-contained SVG document, readable in any browser with nothing
 * else: the roots sit on an "all" frame at the bottom, each node's children
 * above it, widths by --weight.  total (the default): a frame is as wide as
 * its node's inclusive time (or its children's sum, when clock rounding
 * makes that larger, so that children always fit); self and calls: a frame
 * is its node's own value plus its children's widths, the widths
 * flamegraph.pl would draw from `--format folded --weight W`.  Cut nodes
 * stand on a PP_MORE_PATHS frame.  Each frame's <title> holds its name,
 * calls, total, self and p95 (the browser shows it on hover); a short
 * inline script zooms on a click, searches by regular expression and shows
 * the hovered frame below the graph.  No external resource: no font, no
 * style sheet, no script from elsewhere.
 *
 * Frames narrower than MIN_FRAME_PX are left out, with their subtrees (as
 * flamegraph.pl does), so that a large tree stays a document a browser
 * opens quickly.  Names come from the profiled program: they are escaped
 * for XML, and bytes that XML cannot hold (control characters, bytes that
 * are not UTF-8) become U+FFFD, so the document is always well-formed.
 */
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "paths.h"
#include "report.h"
#include "stats.h"

#define SVG_WIDTH 1200		/* px */
#define FRAME_H 16		/* px: one level */
#define FONT_PX 12
#define CHAR_PX 7.2		/* px: a monospace character at FONT_PX */
#define PAD_TOP 44		/* px: title and controls */
#define PAD_BOTTOM 28		/* px: the details line */
#define SIDE 10			/* px: left and right margins */
#define MIN_FRAME_PX 0.1	/* narrower frames are left out */

#define U(x) ((unsigned long long)(x))

/* Writes s as XML character data (or an attribute value in double quotes). */
static void svg_text(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	while (*s) {
		int n = esc_utf8_len(s);

		/* XML 1.0 forbids C0 controls but tab/LF/CR, and U+FFFE/FFFF */
		if (n == 0 || (n == 1 && (*s < 0x20 || *s == 0x7f)) ||
		    (n == 3 && s[0] == 0xef && s[1] == 0xbf && s[2] >= 0xbe)) {
			fputs("\xef\xbf\xbd", out);
			s += n ? n : 1;
			continue;
		}
		if (n > 1) {
			fwrite(s, 1, (size_t)n, out);
			s += n;
			continue;
		}
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&apos;", out); break;
		default: fputc(*s, out);
		}
		s++;
	}
}

/* The first `max` characters of name, in XML, with ".." when cut; nothing
 * when fewer than 3 fit.  Cuts between UTF-8 sequences. */
static void svg_label(FILE *out, const char *name, double width_px)
{
	long max = (long)(width_px / CHAR_PX);
	size_t len = 0, chars = 0, total = 0;
	char buf[256];

	if (max < 3)
		return;
	for (const unsigned char *s = (const unsigned char *)name; *s; s++)
		total += (*s & 0xc0) != 0x80;
	if ((long)total <= max) {
		svg_text(out, name);
		return;
	}
	for (; name[len] && chars < (size_t)max - 2 && len < sizeof(buf) - 8; chars++) {
		len++;
		while ((name[len] & 0xc0) == 0x80)
			len++;
	}
	memcpy(buf, name, len);
	strcpy(buf + len, "..");
	svg_text(out, buf);
}

/* Colour of a frame: a hash of its name picks a shade, warm for functions,
 * blue-green for regions, spans and endpoints, grey for "all" and the cut
 * paths; the same name has the same colour everywhere. */
static void svg_fill(FILE *out, const char *name, int kind)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *s = (const unsigned char *)name; *s; s++)
		h = (h ^ *s) * 16777619u;
	unsigned a = h & 0xff, b = (h >> 8) & 0xff, c = (h >> 16) & 0xff;

	if (kind < 0)
		fputs("rgb(200,200,200)", out);
	else if (kind == PPF_KIND_FUNCTION)
		fprintf(out, "rgb(%u,%u,%u)", 205 + a * 50 / 255, b * 230 / 255, c * 55 / 255);
	else
		fprintf(out, "rgb(%u,%u,%u)", c * 60 / 255, 160 + b * 60 / 255, 170 + a * 60 / 255);
}

/* What a frame shows: its name, kind, and the statistics of its <title>. */
struct svg_frame {
	const char *name;
	int kind;			/* enum ppf_kind, -1 for "all" and PP_MORE_PATHS */
	uint64_t calls, total_ns, self_ns, p95_ns;
	int has_p95;
	uint64_t x, w;			/* in weight units, from the left of "all" */
	unsigned depth;			/* 0 for "all" */
};

static void svg_frame(FILE *out, const struct svg_frame *f, double scale, unsigned levels,
		      uint64_t all_total_ns)
{
	char t[32], s[32], p[32];
	double x = SIDE + (double)f->x * scale, w = (double)f->w * scale;
	unsigned y = PAD_TOP + (levels - 1 - f->depth) * FRAME_H;

	fprintf(out, "<g class=\"f\" data-x=\"%.9g\" data-w=\"%.9g\" data-d=\"%u\" data-n=\"",
		(double)f->x * scale / (SVG_WIDTH - 2 * SIDE),
		(double)f->w * scale / (SVG_WIDTH - 2 * SIDE), f->depth);
	svg_text(out, f->name);
	fputs("\"><title>", out);
	svg_text(out, f->name);
	fprintf(out, "\ncalls %llu, total %s (%.2f%%), self %s", U(f->calls),
		report_fmt_ns(t, f->total_ns), report_pct(f->total_ns, all_total_ns),
		report_fmt_ns(s, f->self_ns));
	if (f->has_p95)
		fprintf(out, ", p95 %s", report_fmt_ns(p, f->p95_ns));
	fprintf(out, "</title><rect x=\"%.2f\" y=\"%u\" width=\"%.2f\" height=\"%d\" fill=\"",
		x, y, w, FRAME_H - 1);
	svg_fill(out, f->name, f->kind);
	fprintf(out, "\"/><text x=\"%.2f\" y=\"%u\">", x + 3, y + FRAME_H - 4);
	svg_label(out, f->name, w - 6);
	fputs("</text></g>\n", out);
}

/* The script: zoom on click (ancestors full width, the rest hidden),
 * "Reset zoom", search by regular expression (matches in magenta, the
 * share of the width they cover), the hovered frame's title below. */
static const char svg_script[] =
	"<script type=\"text/ecmascript\"><![CDATA[\n"
	"'use strict';\n"
	"var W = %d, SIDE = %d, CH = %g, frames, details, matched, reset;\n"
	"function num(g, a) { return parseFloat(g.getAttribute('data-' + a)); }\n"
	"function label(g, w) {\n"
	"  var n = g.getAttribute('data-n'), max = Math.floor((w - 6) / CH);\n"
	"  return max < 3 ? '' : n.length <= max ? n : n.substring(0, max - 2) + '..';\n"
	"}\n"
	"function place(g, x, w) {\n"
	"  var r = g.querySelector('rect'), t = g.querySelector('text'), span = W - 2 * SIDE;\n"
	"  r.setAttribute('x', SIDE + x * span); r.setAttribute('width', w * span);\n"
	"  t.setAttribute('x', SIDE + x * span + 3); t.textContent = label(g, w * span);\n"
	"}\n"
	"function zoom(g) {\n"
	"  var x0 = num(g, 'x'), w0 = num(g, 'w'), d0 = num(g, 'd'), e = 1e-9;\n"
	"  frames.forEach(function (f) {\n"
	"    var x = num(f, 'x'), w = num(f, 'w'), d = num(f, 'd');\n"
	"    if (d < d0 && x <= x0 + e && x + w >= x0 + w0 - e) {\n"
	"      f.style.display = ''; f.style.opacity = '0.6'; place(f, 0, 1);\n"
	"    } else if (d >= d0 && x >= x0 - e && x + w <= x0 + w0 + e) {\n"
	"      f.style.display = ''; f.style.opacity = ''; place(f, (x - x0) / w0, w / w0);\n"
	"    } else {\n"
	"      f.style.display = 'none';\n"
	"    }\n"
	"  });\n"
	"  reset.style.opacity = '1';\n"
	"}\n"
	"function unzoom() {\n"
	"  frames.forEach(function (f) {\n"
	"    f.style.display = ''; f.style.opacity = ''; place(f, num(f, 'x'), num(f, 'w'));\n"
	"  });\n"
	"  reset.style.opacity = '0';\n"
	"}\n"
	"function search() {\n"
	"  var re = prompt('Search (regular expression; empty: clear)', ''), hits = [], sum = 0, end = -1;\n"
	"  if (re === null) return;\n"
	"  frames.forEach(function (f) {\n"
	"    var r = f.querySelector('rect'), on = false;\n"
	"    if (!r.hasAttribute('data-fill')) r.setAttribute('data-fill', r.getAttribute('fill'));\n"
	"    try { on = re !== '' && new RegExp(re).test(f.getAttribute('data-n')); } catch (x) {}\n"
	"    r.setAttribute('fill', on ? 'rgb(230,0,230)' : r.getAttribute('data-fill'));\n"
	"    if (on) hits.push([num(f, 'x'), num(f, 'w')]);\n"
	"  });\n"
	"  hits.sort(function (a, b) { return a[0] - b[0] || b[1] - a[1]; });\n"
	"  hits.forEach(function (h) {\n"
	"    if (h[0] + h[1] <= end) return;\n"
	"    sum += h[0] >= end ? h[1] : h[0] + h[1] - end; end = h[0] + h[1];\n"
	"  });\n"
	"  matched.textContent = re ? 'Matched: ' + (100 * sum).toFixed(1) + '%%' : '';\n"
	"}\n"
	"function init() {\n"
	"  frames = Array.prototype.slice.call(document.querySelectorAll('g.f'));\n"
	"  details = document.getElementById('details');\n"
	"  matched = document.getElementById('matched');\n"
	"  reset = document.getElementById('reset');\n"
	"  frames.forEach(function (f) {\n"
	"    f.addEventListener('click', function () { zoom(f); });\n"
	"    f.addEventListener('mouseover', function () {\n"
	"      details.textContent = f.querySelector('title').textContent.replace('\\n', ': ');\n"
	"    });\n"
	"    f.addEventListener('mouseout', function () { details.textContent = ' '; });\n"
	"  });\n"
	"  reset.addEventListener('click', unzoom);\n"
	"  document.getElementById('search').addEventListener('click', search);\n"
	"}\n"
	"window.addEventListener('load', init);\n"
	"]]></script>\n";

/* Fills f with what node i shows. */
static void node_frame(const struct pp_profile *prof, uint32_t i, struct svg_frame *f)
{
	const struct pp_path *p = prof->paths[i];
	struct pp_stats st;

	stats_compute(&p->st, &st);
	f->name = paths_name(prof, p);
	f->kind = p->st.kind;
	f->calls = st.calls;
	f->total_ns = st.total_ns;
	f->self_ns = st.self_ns;
	f->p95_ns = st.p95_ns;
	f->has_p95 = p->st.hist.count > 0;
}

int report_svg(FILE *out, const struct report *r)
{
	static const char *const width_of[] = { "inclusive time", "inclusive time",
		"self time, stacked", "calls, stacked" };
	const struct pp_profile *prof = r->prof;
	const enum report_weight weight = r->opts->weight;
	struct paths_tree t;
	uint64_t *w = NULL, *x = NULL;
	unsigned *level = NULL;
	uint32_t *todo = NULL;
	size_t ntodo = 0, n;
	unsigned levels = 1;
	int rc = -1;
	struct svg_frame all = { "all", -1, 0, 0, 0, 0, 0, 0, 0, 0 };
	struct svg_frame more = { PP_MORE_PATHS, -1, 0, 0, 0, 0, 0, 0, 0, 1 };

	if (paths_tree_build(&t, prof))
		return -1;
	n = t.n;
	w = calloc(n + 1, sizeof(*w));
	x = calloc(n + 1, sizeof(*x));
	todo = malloc((n + 1) * sizeof(*todo));
	level = malloc((n + 1) * sizeof(*level));
	if (!w || !x || !todo || !level)
		goto out;
	/* Levels top-down (parents come first): roots on "all" (level 0), cut
	 * roots on PP_MORE_PATHS (level 1). */
	for (size_t i = 0; i < n; i++) {
		const struct pp_path *p = prof->paths[i];

		level[i] = p->parent && p->parent <= i ? level[p->parent - 1] + 1 :
			   p->cut ? 2 : 1;
	}
	/* Widths bottom-up: children come after their parent in paths[]. */
	for (size_t i = n; i-- > 0;) {
		const struct pp_path *p = prof->paths[i];
		uint64_t v = paths_value(p, weight, WEIGHT_TOTAL);

		w[i] = weight == WEIGHT_SELF || weight == WEIGHT_CALLS ? pp_sat_add(w[i], v) :
		       v > w[i] ? v : w[i];
		if (p->parent && p->parent <= n)
			w[p->parent - 1] = pp_sat_add(w[p->parent - 1], w[i]);
	}
	/* The roots: "all" holds the known paths then PP_MORE_PATHS. */
	for (uint32_t k = t.start[n]; k < t.start[n + 1]; k++) {
		const struct pp_path *p = prof->paths[t.child[k]];
		struct pp_stats st;

		stats_compute(&p->st, &st);
		all.w = pp_sat_add(all.w, w[t.child[k]]);
		all.calls = pp_sat_add(all.calls, st.calls);
		all.total_ns = pp_sat_add(all.total_ns, st.total_ns);
		if (p->cut) {
			more.w = pp_sat_add(more.w, w[t.child[k]]);
			more.calls = pp_sat_add(more.calls, st.calls);
			more.total_ns = pp_sat_add(more.total_ns, st.total_ns);
		}
	}
	for (size_t i = 0; i < n; i++)
		all.self_ns = pp_sat_add(all.self_ns, prof->paths[i]->st.self_ns);
	more.x = all.w - more.w;

	double scale = all.w ? (SVG_WIDTH - 2.0 * SIDE) / (double)all.w : 0;

	/* Levels drawn: up to the highest frame wide enough. */
	for (size_t i = 0; i < n; i++)
		if ((double)w[i] * scale >= MIN_FRAME_PX && level[i] + 1 > levels)
			levels = level[i] + 1;
	if (levels < 2)
		levels = 2;
	unsigned height = PAD_TOP + levels * FRAME_H + PAD_BOTTOM;

	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
		"<svg version=\"1.1\" width=\"%d\" height=\"%u\" viewBox=\"0 0 %d %u\""
		" xmlns=\"http://www.w3.org/2000/svg\">\n", SVG_WIDTH, height, SVG_WIDTH, height);
	fprintf(out, "<style>text { font-family: monospace; font-size: %dpx; fill: #000; }"
		" g.f:hover rect { stroke: #000; stroke-width: 0.5; } g.f { cursor: pointer; }"
		" .ctl { cursor: pointer; fill: #00c; }</style>\n", FONT_PX);
	fprintf(out, svg_script, SVG_WIDTH, SIDE, CHAR_PX);
	fprintf(out, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%u\" fill=\"#fafaf0\"/>\n",
		SVG_WIDTH, height);
	fprintf(out, "<text x=\"%d\" y=\"18\" text-anchor=\"middle\" style=\"font-size: 15px\">"
		"Flame graph", SVG_WIDTH / 2);
	if (prof->nprocs) {
		fputs(": ", out);
		svg_text(out, prof->procs[0].cmdline ? prof->procs[0].cmdline : "?");
		if (prof->nprocs > 1)
			fprintf(out, " and %zu more processes", prof->nprocs - 1);
	}
	fprintf(out, "</text>\n<text x=\"%d\" y=\"34\" text-anchor=\"middle\">width: %s;"
		" click a frame to zoom, hover for details</text>\n", SVG_WIDTH / 2,
		width_of[weight]);
	fprintf(out, "<text id=\"reset\" class=\"ctl\" x=\"%d\" y=\"34\" style=\"opacity: 0\">"
		"Reset zoom</text>\n<text id=\"search\" class=\"ctl\" x=\"%d\" y=\"34\""
		" text-anchor=\"end\">Search</text>\n<text id=\"matched\" x=\"%d\" y=\"%u\""
		" text-anchor=\"end\"></text>\n<text id=\"details\" x=\"%d\" y=\"%u\"> </text>\n",
		SIDE, SVG_WIDTH - SIDE, SVG_WIDTH - SIDE, height - 10, SIDE, height - 10);
	if (!all.w) {
		fprintf(out, "<text x=\"%d\" y=\"%u\" text-anchor=\"middle\">no call paths in the"
			" input%s</text>\n", SVG_WIDTH / 2, PAD_TOP + FRAME_H,
			n ? " with a value for this width" : "");
		fputs("</svg>\n", out);
		rc = ferror(out) ? -1 : 0;
		goto out;
	}
	svg_frame(out, &all, scale, levels, all.total_ns);
	if (more.w && (double)more.w * scale >= MIN_FRAME_PX)
		svg_frame(out, &more, scale, levels, all.total_ns);
	/* Depth-first, each node placing its children left to right from its
	 * own x; x of the roots: known paths from 0, cut ones from more.x. */
	uint64_t known = 0, cut = more.x;

	for (uint32_t k = t.start[n + 1]; k > t.start[n]; k--)
		todo[ntodo++] = t.child[k - 1];
	for (uint32_t k = t.start[n]; k < t.start[n + 1]; k++) {
		uint32_t c = t.child[k];
		uint64_t *at = prof->paths[c]->cut ? &cut : &known;

		x[c] = *at;
		*at += w[c];
	}
	while (ntodo) {
		uint32_t i = todo[--ntodo];
		struct svg_frame f;

		if ((double)w[i] * scale < MIN_FRAME_PX)
			continue;	/* its subtree is narrower still */
		node_frame(prof, i, &f);
		f.x = x[i];
		f.w = w[i];
		f.depth = level[i];
		svg_frame(out, &f, scale, levels, all.total_ns);
		uint64_t at = x[i];

		for (uint32_t k = t.start[i]; k < t.start[i + 1]; k++) {
			x[t.child[k]] = at;
			at += w[t.child[k]];
		}
		for (uint32_t k = t.start[i + 1]; k > t.start[i]; k--)
			todo[ntodo++] = t.child[k - 1];
	}
	fputs("</svg>\n", out);
	rc = ferror(out) ? -1 : 0;
out:
	free(w);
	free(x);
	free(todo);
	free(level);
	paths_tree_free(&t);
	return rc;
}
