/* options.c - paraprof-report's command line
 *
 * getopt_long() does the walking (options and files may be mixed; "--" ends
 * the options) with its own messages off, so that every usage error is the
 * one line "paraprof-report: <what>" and exit status 2.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "options.h"
#include "report_opts.h"

const char opt_usage[] =
	"Usage: paraprof-report [OPTION]... FILE...\n"
	"       paraprof-report [OPTION]... --pid PID\n"
	"       paraprof-report --pid PID --watch [SECONDS]\n"
	"       paraprof-report --list\n"
	"       paraprof-report --pid PID --enable | --disable | --clear\n"
	"       paraprof-report --gc [-o DIR] [--session ID]\n"
	"       paraprof-report [OPTION]... --diff BASE... -- NEW...\n"
	"       paraprof-report --check --baseline BASE [OPTION]... NEW...\n"
	"Print the performance bottleneck report of paraprof dumps (paraprof.PID.ppd)\n"
	"or of live segments; several inputs merge.\n"
	"\n"
	"  -p, --pid PID          read the segment of process PID, /dev/shm/paraprof.PID.*\n"
	"                         (the running one's, else the newest; repeatable)\n"
	"  -w, --watch [SECONDS]  redraw a live table of process PID every SECONDS\n"
	"                         (default 1, fractions allowed) until q or Ctrl-C;\n"
	"                         keys t, c, p, n sort by time/s, calls/s, p95, name\n"
	"  -l, --list             list the segments in /dev/shm and exit\n"
	"      --enable           start (again) recording in the running program PID\n"
	"      --disable          stop recording in the running program PID\n"
	"      --clear            zero the statistics of the running program PID\n"
	"      --gc               save the segments your dead processes left in /dev/shm\n"
	"                         as dumps (paraprof.PID.ppd, never replacing a file)\n"
	"                         and remove them; running processes' are left alone\n"
	"      --merge            write the inputs as one dump, -o OUT.ppd (a new file):\n"
	"                         histograms merged exactly, functions named\n"
	"  -o, --output DIR       --gc: write the dumps into DIR (default .)\n"
	"  -o, --output FILE      a report: write it into FILE, a new file (an existing\n"
	"                         one is not replaced)\n"
	"      --diff             compare the dumps before -- (the base) with those after\n"
	"                         it (the new): figures, changes, effect on the total\n"
	"      --session ID       --gc: only the segments of that paraprof run\n"
	"                         (PARAPROF_SESSION, hex); a process of it that still\n"
	"                         runs gets a snapshot, paraprof-snapshot.PID.ppd\n"
	REPORT_OPTS_HELP
	"  -h, --help             print this help and exit\n"
	"  -V, --version          print the version and exit\n"
	"\n"
	"Times take a unit: ns, us, ms or s (e.g. 250us, 1.5s).\n"
	"Exit status: 0 ok, 1 a --check target failed or a regression was found, 2 bad\n"
	"input or usage.\n";

int opt_parse_time(const char *s, uint64_t *ns)
{
	uint64_t whole = 0, frac = 0, frac_div = 1, unit;
	const char *p = s;
	int digits = 0;

	for (; *p >= '0' && *p <= '9'; p++, digits++)
		if (__builtin_mul_overflow(whole, 10, &whole) ||
		    __builtin_add_overflow(whole, (uint64_t)(*p - '0'), &whole))
			return -1;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, digits++)
			if (frac_div < 1000000000000000000ull) {	/* ignore past 18 digits */
				frac = frac * 10 + (uint64_t)(*p - '0');
				frac_div *= 10;
			}
	}
	if (!digits)
		return -1;
	if (strcmp(p, "ns") == 0)
		unit = 1;
	else if (strcmp(p, "us") == 0 || strcmp(p, "\xc2\xb5s") == 0)
		unit = 1000;
	else if (strcmp(p, "ms") == 0)
		unit = 1000000;
	else if (strcmp(p, "s") == 0)
		unit = 1000000000;
	else
		return -1;
	uint64_t v;

	if (__builtin_mul_overflow(whole, unit, &v))
		return -1;
	/* frac / frac_div of a unit, rounded to the nearest ns */
	unsigned __int128 f = ((unsigned __int128)frac * unit * 2 + frac_div) / (frac_div * 2);

	if (__builtin_add_overflow(v, (uint64_t)f, &v))
		return -1;
	*ns = v;
	return 0;
}

/* Walks "key=value,key=value", calling set(key, ns); 0 or -1 with err. */
static int parse_pairs(const char *opt, const char *s, const char *const *keys,
		       uint64_t *const *dst, char *err, size_t errlen)
{
	char buf[256];

	if (strlen(s) >= sizeof(buf)) {
		snprintf(err, errlen, "%s: value too long", opt);
		return -1;
	}
	strcpy(buf, s);
	if (!*buf) {
		snprintf(err, errlen, "%s: empty value", opt);
		return -1;
	}
	for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		int k;

		if (!eq) {
			snprintf(err, errlen, "%s: '%s' is not KEY=TIME", opt, tok);
			return -1;
		}
		*eq = '\0';
		for (k = 0; keys[k] && strcmp(keys[k], tok) != 0; k++)
			;
		if (!keys[k]) {
			snprintf(err, errlen, "%s: unknown key '%s'", opt, tok);
			return -1;
		}
		if (opt_parse_time(eq + 1, dst[k])) {
			snprintf(err, errlen, "%s: '%s' is not a time (a number with ns, us,"
				 " ms or s)", opt, eq + 1);
			return -1;
		}
	}
	return 0;
}

int opt_parse_interval(const char *s, uint64_t *ns)
{
	char buf[64];

	/* a bare number is seconds here: --watch 2 is what top -d 2 is */
	if (*s && strspn(s, "0123456789.") == strlen(s) && strlen(s) < sizeof(buf) - 1) {
		snprintf(buf, sizeof(buf), "%ss", s);
		s = buf;
	}
	if (opt_parse_time(s, ns))
		return -1;
	return *ns >= 100000000ull && *ns <= 3600000000000ull ? 0 : -1;
}

int opt_parse_severity(const char *s, struct report_opts *o, char *err, size_t errlen)
{
	static const char *const keys[] = { "critical", "high", "medium", NULL };
	uint64_t c = o->critical_ns, h = o->high_ns, m = o->medium_ns;
	uint64_t *const dst[] = { &c, &h, &m };

	if (parse_pairs("--severity", s, keys, dst, err, errlen))
		return -1;
	if (c < h || h < m) {
		snprintf(err, errlen, "--severity: thresholds must keep critical >= high >= medium");
		return -1;
	}
	o->critical_ns = c, o->high_ns = h, o->medium_ns = m;
	return 0;
}

int opt_parse_targets(const char *s, struct report_opts *o, char *err, size_t errlen)
{
	static const char *const keys[] = { "p95", "p99", "avg", NULL };
	uint64_t *const dst[] = { &o->target_p95_ns, &o->target_p99_ns, &o->target_avg_ns };

	return parse_pairs("--target", s, keys, dst, err, errlen);
}

static int parse_count(const char *opt, const char *s, uint64_t *v, char *err, size_t errlen)
{
	char *end;

	errno = 0;
	if (*s < '0' || *s > '9' || (*v = strtoull(s, &end, 10), errno) || *end) {
		snprintf(err, errlen, "%s: '%s' is not a number", opt, s);
		return -1;
	}
	return 0;
}

/* Compiles src (--filter or --exclude, as opt says) onto the list *list
 * of *n patterns.  0, or -1 with regerror()'s reason in err. */
static int add_pattern(const char *opt, const char *src, struct report_pattern **list,
		       size_t *n, char *err, size_t errlen)
{
	struct report_pattern *p = realloc(*list, (*n + 1) * sizeof(**list));
	int rc;

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	*list = p;
	p[*n].src = src;
	rc = regcomp(&p[*n].re, src, REG_EXTENDED | REG_NOSUB);
	if (rc) {
		char why[128];

		regerror(rc, &p[*n].re, why, sizeof(why));
		/* regfree() is not needed (nor safe) after a failed regcomp() */
		snprintf(err, errlen, "%s: '%s' is not a regular expression: %s", opt, src, why);
		return -1;
	}
	(*n)++;
	return 0;
}

void opt_free(struct opt_cmdline *cl)
{
	for (size_t i = 0; i < cl->report.nfilters; i++)
		regfree(&cl->filters[i].re);
	for (size_t i = 0; i < cl->report.nexcludes; i++)
		regfree(&cl->excludes[i].re);
	free(cl->filters);
	free(cl->excludes);
	free(cl->pids);
	free(cl->files);
	free(cl->diff.base);
	cl->filters = cl->excludes = NULL;
	cl->pids = NULL;
	cl->files = cl->diff.base = NULL;
	cl->nfiles = cl->diff.nbase = 0;
	cl->report.nfilters = cl->report.nexcludes = 0;
	cl->npids = 0;
}

enum { OPT_SLOWEST = 256, OPT_SEVERITY, OPT_TARGET, OPT_NO_COLOR, OPT_ENABLE, OPT_DISABLE,
       OPT_CLEAR, OPT_GC, OPT_SESSION, OPT_SLOWEST_CALLS, OPT_CALLERS, OPT_CALLEES,
       OPT_GRAPH, OPT_WEIGHT, OPT_MIN_TIME, OPT_FILTER, OPT_EXCLUDE, OPT_FULL_NAMES,
       OPT_HISTOGRAM, OPT_WIDE, OPT_DIFF, OPT_BASELINE, OPT_MAX_REGRESSION, OPT_CONFIDENCE,
       OPT_MERGE, OPT_THREADS, OPT_THREAD, OPT_RAW };
#define WATCH_DEFAULT_NS 1000000000ull	/* --watch without SECONDS: 1 s */

static const struct option long_opts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "list", no_argument, NULL, 'l' },
	{ "watch", optional_argument, NULL, 'w' },
#define LONG_OPT(name, short, optstr, has_arg, id, help) { name, has_arg, NULL, id },
	REPORT_OPTIONS(LONG_OPT)
#undef LONG_OPT
	{ "enable", no_argument, NULL, OPT_ENABLE },
	{ "disable", no_argument, NULL, OPT_DISABLE },
	{ "clear", no_argument, NULL, OPT_CLEAR },
	{ "gc", no_argument, NULL, OPT_GC },
	{ "merge", no_argument, NULL, OPT_MERGE },
	{ "output", required_argument, NULL, 'o' },
	{ "session", required_argument, NULL, OPT_SESSION },
	{ "diff", no_argument, NULL, OPT_DIFF },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* Appends file to the list *list of *n; 0, or -1 with err. */
static int add_file(char ***list, size_t *n, char *file, char *err, size_t errlen)
{
	char **p = realloc(*list, (*n + 1) * sizeof(**list));

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	*list = p;
	p[(*n)++] = file;
	return 0;
}

/* The checks of a comparison (--diff, --baseline): 0, or -1 with err. */
static int check_comparison(struct opt_cmdline *cl, int dashes, int limits_given,
			    char *err, size_t errlen)
{
	const struct report_opts *o = &cl->report;

	if (!cl->diff.diff && !cl->diff.nbase) {
		if (limits_given) {
			snprintf(err, errlen, "--max-regression and --confidence go with --baseline"
				 " or --diff");
			return -1;
		}
		return 0;
	}
	if (cl->diff.diff && !dashes) {
		snprintf(err, errlen, "--diff BASE... -- NEW...: no '--' between the base and the"
			 " new dumps");
		return -1;
	}
	if (cl->diff.diff && (!cl->diff.nbase || (!cl->nfiles && !cl->npids))) {
		snprintf(err, errlen, "--diff BASE... -- NEW...: the %s side is empty",
			 cl->diff.nbase ? "new" : "base");
		return -1;
	}
	if (cl->list || cl->gc || cl->control || cl->watch_ns || o->histogram ||
	    o->slowest_calls || o->callers || o->callees || o->graph || o->threads || o->thread ||
	    o->format > FORMAT_CSV) {
		snprintf(err, errlen, "a comparison (--diff, --baseline) prints text, json or csv,"
			 " and takes no --list, --gc, --watch, --histogram, --slowest-calls,"
			 " --callers, --callees, --graph, --threads or --thread");
		return -1;
	}
	return 0;
}

int opt_parse(int argc, char **argv, struct opt_cmdline *cl, char *err, size_t errlen)
{
	static const char *const formats[] = { "text", "json", "csv", "folded", "svg", "pprof",
					       NULL };
	static const char *const weights[] = { "total", "self", "calls", NULL };
	static const char *const sorts[] = { "total", "self", "avg", "p95", "p99", "calls", NULL };
	int c, k, dashes = 0, limits_given = 0;
	const char *last_arg = NULL;

	memset(cl, 0, sizeof(*cl));
	report_opts_default(&cl->report);
	diff_opts_default(&cl->diff);
	opterr = 0;
	optind = 0;	/* 0: glibc starts over completely (tests parse many times) */
	/* "-": files come in order (as option 1), so that those before a "--"
	 * (--diff's base side) are told from those after it (argv[optind..]) */
	while ((c = getopt_long(argc, argv, "-:p:lw::o:hV" REPORT_OPTS_OPTSTR, long_opts,
				NULL)) != -1) {
		const char *opt = argv[optind - 1];
		uint64_t v;

		last_arg = c == 1 ? NULL : optarg;
		switch (c) {
		case 1:
			if (add_file(&cl->files, &cl->nfiles, optarg, err, errlen))
				return -1;
			break;
		case OPT_DIFF:
			cl->diff.diff = 1;
			break;
		case OPT_BASELINE:
			if (!*optarg) {
				snprintf(err, errlen, "--baseline: empty file name");
				return -1;
			}
			if (add_file(&cl->diff.base, &cl->diff.nbase, optarg, err, errlen))
				return -1;
			break;
		case OPT_MAX_REGRESSION:
			limits_given = 1;
			if (diff_parse_limits(optarg, &cl->diff, err, errlen))
				return -1;
			break;
		case OPT_CONFIDENCE:
			limits_given = 1;
			if (diff_parse_confidence(optarg, &cl->diff, err, errlen))
				return -1;
			break;
		case 'p': {
			void *p = realloc(cl->pids, (cl->npids + 1) * sizeof(*cl->pids));

			if (!p) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			cl->pids = p;
			if (parse_count("--pid", optarg, &v, err, errlen))
				return -1;
			if (v == 0 || v > 0x7fffffff) {
				snprintf(err, errlen, "--pid: '%s' is not a process id", optarg);
				return -1;
			}
			cl->pids[cl->npids++] = (pid_t)v;
			break;
		}
		case 'l':
			cl->list = 1;
			break;
		case 'w':
			cl->watch_ns = WATCH_DEFAULT_NS;
			/* "--watch 0.5": getopt takes an optional argument only
			 * as "--watch=0.5", so what follows is taken too when it
			 * starts as a number (no file goes with --watch) */
			if (!optarg && optind < argc && argv[optind][0] &&
			    strchr("0123456789.", argv[optind][0]))
				optarg = argv[optind++];
			if (optarg && opt_parse_interval(optarg, &cl->watch_ns)) {
				snprintf(err, errlen, "--watch: '%s' is not an interval (seconds from"
					 " 0.1 to 3600, e.g. 0.5, or a time: 500ms)", optarg);
				return -1;
			}
			break;
		case 'f':
			for (k = 0; formats[k] && strcmp(formats[k], optarg); k++)
				;
			if (!formats[k]) {
				snprintf(err, errlen, "--format: '%s' is not text, json, csv, folded,"
					 " svg or pprof", optarg);
				return -1;
			}
			cl->report.format = (enum report_format)k;
			break;
		case 'n':
			if (parse_count("--top", optarg, &cl->report.top, err, errlen))
				return -1;
			break;
		case 'm':
			if (parse_count("--min-calls", optarg, &cl->report.min_calls, err, errlen))
				return -1;
			break;
		case 's':
			for (k = 0; sorts[k] && strcmp(sorts[k], optarg); k++)
				;
			if (!sorts[k]) {
				snprintf(err, errlen, "--sort: '%s' is not total, self, avg, p95, p99"
					 " or calls", optarg);
				return -1;
			}
			cl->report.sort = (enum report_sort)k;
			break;
		case OPT_WEIGHT:
			for (k = 0; weights[k] && strcmp(weights[k], optarg); k++)
				;
			if (!weights[k]) {
				snprintf(err, errlen, "--weight: '%s' is not total, self or calls",
					 optarg);
				return -1;
			}
			cl->report.weight = (enum report_weight)(WEIGHT_TOTAL + k);
			break;
		case OPT_MIN_TIME:
			if (opt_parse_time(optarg, &cl->report.min_time_ns)) {
				snprintf(err, errlen, "--min-time: '%s' is not a time (a number with"
					 " ns, us, ms or s)", optarg);
				return -1;
			}
			break;
		case OPT_FILTER:
			if (add_pattern("--filter", optarg, &cl->filters, &cl->report.nfilters,
					err, errlen))
				return -1;
			cl->report.filters = cl->filters;
			break;
		case OPT_EXCLUDE:
			if (add_pattern("--exclude", optarg, &cl->excludes, &cl->report.nexcludes,
					err, errlen))
				return -1;
			cl->report.excludes = cl->excludes;
			break;
		case OPT_SLOWEST:
			if (parse_count("--slowest", optarg, &cl->report.slowest, err, errlen))
				return -1;
			break;
		case OPT_SLOWEST_CALLS:
			if (!*optarg) {
				snprintf(err, errlen, "--slowest-calls: empty function name");
				return -1;
			}
			cl->report.slowest_calls = optarg;
			break;
		case OPT_HISTOGRAM:
			if (!*optarg) {
				snprintf(err, errlen, "--histogram: empty function name");
				return -1;
			}
			cl->report.histogram = optarg;
			break;
		case OPT_WIDE:
			cl->report.wide = 1;
			break;
		case OPT_THREADS:
			cl->report.threads = 1;
			break;
		case OPT_THREAD:
			if (!*optarg || strlen(optarg) > 15) {
				snprintf(err, errlen, "--thread: give a thread id or a name of 1 to"
					 " 15 bytes");
				return -1;
			}
			cl->report.thread = optarg;
			break;
		case OPT_SEVERITY:
			if (opt_parse_severity(optarg, &cl->report, err, errlen))
				return -1;
			break;
		case 'c':
			cl->report.check = 1;
			break;
		case OPT_TARGET:
			if (opt_parse_targets(optarg, &cl->report, err, errlen))
				return -1;
			break;
		case OPT_NO_COLOR:
			cl->no_color = 1;
			break;
		case OPT_CALLERS:
		case OPT_CALLEES:
			if (!*optarg) {
				snprintf(err, errlen, "%s: empty function name",
					 c == OPT_CALLERS ? "--callers" : "--callees");
				return -1;
			}
			*(c == OPT_CALLERS ? &cl->report.callers : &cl->report.callees) = optarg;
			break;
		case OPT_GRAPH:
			cl->report.graph = 1;
			break;
		case OPT_RAW:
			cl->report.raw = 1;
			break;
		case OPT_FULL_NAMES:
			/* names in full are not cut to fit the width either */
			cl->report.full_names = 1;
			cl->report.wide = 1;
			break;
		case OPT_ENABLE:
		case OPT_DISABLE:
		case OPT_CLEAR:
			if (cl->control) {
				snprintf(err, errlen, "give one of --enable, --disable, --clear");
				return -1;
			}
			cl->control = c == OPT_ENABLE ? CONTROL_ENABLE :
				      c == OPT_DISABLE ? CONTROL_DISABLE : CONTROL_CLEAR;
			break;
		case OPT_GC:
			cl->gc = 1;
			break;
		case OPT_MERGE:
			cl->merge = 1;
			break;
		case 'o':
			if (!*optarg) {
				snprintf(err, errlen, "--output: empty name");
				return -1;
			}
			cl->output = optarg;
			break;
		case OPT_SESSION: {
			char *end;

			errno = 0;
			v = strtoull(optarg, &end, 16);
			if (!*optarg || *end || errno || !v || strlen(optarg) > 16 ||
			    !strchr("0123456789abcdefABCDEF", *optarg)) {
				snprintf(err, errlen, "--session: '%s' is not a session id (1 to 16"
					 " hex digits, not 0)", optarg);
				return -1;
			}
			cl->session = v;
			break;
		}
		case 'h':
			cl->help = 1;
			break;
		case 'V':
			cl->version = 1;
			break;
		case ':':
			snprintf(err, errlen, "option '%s' needs an argument (try --help)", opt);
			return -1;
		default:
			if (optopt)
				snprintf(err, errlen, "unknown option '-%c' (try --help)", optopt);
			else
				snprintf(err, errlen, "unknown option '%s' (try --help)", opt);
			return -1;
		}
	}
	/* a "--" ended the options: what follows it are files too (getopt
	 * left optind after it); one that was an option's value is not it */
	dashes = optind > 0 && optind <= argc && strcmp(argv[optind - 1], "--") == 0 &&
		 last_arg != argv[optind - 1];
	if (cl->diff.diff && cl->diff.nbase && !cl->help && !cl->version) {
		snprintf(err, errlen, "give one of --diff BASE... -- NEW... and --baseline BASE");
		return -1;
	}
	if (cl->diff.diff) {
		/* the files so far are the base side; the new side follows */
		free(cl->diff.base);
		cl->diff.base = cl->files;
		cl->diff.nbase = cl->nfiles;
		cl->files = NULL;
		cl->nfiles = 0;
	}
	for (int i = optind; i < argc; i++)
		if (add_file(&cl->files, &cl->nfiles, argv[i], err, errlen))
			return -1;
	if (cl->help || cl->version)
		return 0;
	if (check_comparison(cl, dashes, limits_given, err, errlen))
		return -1;
	if (cl->session && !cl->gc) {
		snprintf(err, errlen, "--session goes with --gc");
		return -1;
	}
	if (cl->output && !cl->gc && (cl->list || cl->control)) {
		snprintf(err, errlen, "--output goes with --gc or a report");
		return -1;
	}
	if (cl->gc && (cl->nfiles || cl->npids || cl->list || cl->control)) {
		snprintf(err, errlen, "--gc takes no files, --pid, --list or --enable/--disable/"
			 "--clear");
		return -1;
	}
	if (cl->watch_ns && (cl->npids != 1 || cl->nfiles || cl->list || cl->gc ||
			     cl->control || cl->output || cl->report.check ||
			     cl->report.threads || cl->report.thread ||
			     cl->report.format != FORMAT_TEXT)) {
		snprintf(err, errlen, "--watch takes one --pid PID, and no files, --output,"
			 " --format, --check, --threads, --thread, --list, --gc or"
			 " --enable/--disable/--clear");
		return -1;
	}
	if (cl->merge && (!cl->output || cl->gc || cl->list || cl->control || cl->watch_ns ||
			  cl->diff.nbase || cl->report.threads || cl->report.thread ||
			  (!cl->nfiles && !cl->npids))) {
		snprintf(err, errlen, "--merge takes -o OUT.ppd and the dumps (or --pid PID) to"
			 " merge, and no --gc, --list, --watch, --diff, --baseline, --threads,"
			 " --thread or --enable/--disable/--clear");
		return -1;
	}
	if (cl->gc || cl->list)
		return 0;
	if (cl->control && (!cl->npids || cl->nfiles)) {
		snprintf(err, errlen, "%s works on running programs: give --pid PID and no files",
			 cl->control == CONTROL_ENABLE ? "--enable" :
			 cl->control == CONTROL_DISABLE ? "--disable" : "--clear");
		return -1;
	}
	if (cl->report.histogram && cl->report.slowest_calls) {
		snprintf(err, errlen, "give one of --histogram, --slowest-calls");
		return -1;
	}
	if (cl->report.histogram && cl->report.format != FORMAT_TEXT) {
		snprintf(err, errlen, "--histogram draws text: no --format");
		return -1;
	}
	if (!cl->nfiles && !cl->npids) {
		snprintf(err, errlen, "no input: give dump files or --pid PID (try --help)");
		return -1;
	}
	return 0;
}
