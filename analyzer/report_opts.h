/* report_opts.h - the report's command-line options, one list for
 * paraprof-report and the launcher
 *
 * paraprof-report parses them (options.c) and the launcher passes them on
 * to it as they are (tools/paraprof.c); both print the same help lines.  A
 * new report option is added here, once.  Header-only: the launcher links
 * nothing of the analyzer.
 */
#ifndef PARAPROF_REPORT_OPTS_H
#define PARAPROF_REPORT_OPTS_H

/*
 * X(name, short, optstr, has_arg, id, help): `name` without its dashes,
 * `short` its one-letter form as a string ("" for none), `optstr` that form
 * as getopt's option string has it ("f:", "c", ""), `has_arg` 1 when it
 * takes a value, `id` what getopt_long returns for it (the short letter, or
 * an OPT_* of options.c), `help` its line of --help, aligned to column 25.
 */
#define REPORT_OPTIONS(X)                                                                        \
	X("format", "f", "f:", 1, 'f',                                                                 \
	  "  -f, --format FMT       text (default), json or csv; the call paths: folded,\n"          \
	  "                         svg (a flame graph) or pprof (binary, not to a terminal)\n")  \
	X("weight", "", "", 1, OPT_WEIGHT,                                                           \
	  "      --weight W         folded, svg: total, self or calls per path (default:\n"       \
	  "                         self for folded, total for svg)\n")                          \
	X("top", "n", "n:", 1, 'n',                                                                    \
	  "  -n, --top N            show the top N entries by the sort key (default 20, 0 = all)\n") \
	X("min-calls", "m", "m:", 1, 'm',                                                              \
	  "  -m, --min-calls N      leave out entries with fewer than N calls (default 5)\n")     \
	X("min-time", "", "", 1, OPT_MIN_TIME,                                                      \
	  "      --min-time TIME    leave out entries with less total time than TIME\n")        \
	X("filter", "", "", 1, OPT_FILTER,                                                           \
	  "      --filter REGEX     show only entries whose name or module matches REGEX\n"    \
	  "                         (POSIX extended; repeatable: any of them)\n")             \
	X("exclude", "", "", 1, OPT_EXCLUDE,                                                         \
	  "      --exclude REGEX    leave out entries whose name or module matches REGEX\n"    \
	  "                         (repeatable)\n")                                            \
	X("sort", "s", "s:", 1, 's',                                                                   \
	  "  -s, --sort KEY         total (default), self, avg, p95, p99 or calls\n")            \
	X("slowest", "", "", 1, OPT_SLOWEST,                                                         \
	  "      --slowest N        also list the N slowest entries by average (default 0)\n")  \
	X("severity", "", "", 1, OPT_SEVERITY,                                                       \
	  "      --severity SPEC    average thresholds, default critical=2s,high=1s,medium=500ms\n") \
	X("check", "c", "c", 0, 'c',                                                                  \
	  "  -c, --check            evaluate the targets; exit 1 when one fails\n")              \
	X("target", "", "", 1, OPT_TARGET,                                                           \
	  "      --target SPEC      targets for --check, default p95=500ms,p99=1s,avg=100ms\n")  \
	X("baseline", "", "", 1, OPT_BASELINE,                                                       \
	  "      --baseline FILE    --check: compare with the dump FILE (repeatable: they\n"      \
	  "                         merge) and fail on regressions, not on targets\n")        \
	X("max-regression", "", "", 1, OPT_MAX_REGRESSION,                                           \
	  "      --max-regression SPEC\n"                                                         \
	  "                         --baseline: slower than this is a regression, default\n"  \
	  "                         p10=10% (keys avg, p10, p50, p95, p99; a time for an\n"   \
	  "                         absolute limit: p95=+2ms)\n")                              \
	X("confidence", "", "", 1, OPT_CONFIDENCE,                                                   \
	  "      --confidence PCT   comparisons: the confidence of a significant change,\n"  \
	  "                         in percent (default 99)\n")                               \
	X("slowest-calls", "", "", 1, OPT_SLOWEST_CALLS,                                             \
	  "      --slowest-calls FUNC\n"                                                          \
	  "                         the slowest calls of FUNC kept with their native stacks\n") \
	X("histogram", "", "", 1, OPT_HISTOGRAM,                                                     \
	  "      --histogram FUNC   draw the distribution of FUNC's call durations\n")            \
	X("wide", "", "", 0, OPT_WIDE,                                                               \
	  "      --wide             text: cut no name, wrap no line (default: fit the\n"          \
	  "                         terminal, $COLUMNS or 80 columns)\n")                       \
	X("no-color", "", "", 0, OPT_NO_COLOR,                                                       \
	  "      --no-color         no colours, even on a terminal\n")                          \
	X("callers", "", "", 1, OPT_CALLERS,                                                         \
	  "      --callers FUNC     who calls FUNC (a name, or a unique part of one): calls,\n"     \
	  "                         total, self and p95 through each caller\n")                 \
	X("callees", "", "", 1, OPT_CALLEES,                                                         \
	  "      --callees FUNC     what FUNC calls, likewise\n")                                 \
	X("graph", "", "", 0, OPT_GRAPH,                                                             \
	  "      --graph            add the call graph of the top entries (text and JSON)\n") \
	X("full-names", "", "", 0, OPT_FULL_NAMES,                                                   \
	  "      --full-names       C++ names in full: template arguments, parameters\n")     \
	X("raw", "", "", 0, OPT_RAW,                                                                 \
	  "      --raw              times as measured, the hooks' own cost left in them\n")   \
	X("threads", "", "", 0, OPT_THREADS,                                                         \
	  "      --threads          add each thread's table (text, JSON and CSV)\n")           \
	X("thread", "", "", 1, OPT_THREAD,                                                           \
	  "      --thread NAME|TID  report only the thread(s) of that name, or that id\n")

/* The help lines of every report option, as one string literal. */
#define REPORT_OPTS_HELP_LINE(name, short, optstr, has_arg, id, help) help
#define REPORT_OPTS_HELP REPORT_OPTIONS(REPORT_OPTS_HELP_LINE)

/* Their short forms in getopt's option string, as one string literal. */
#define REPORT_OPTS_OPTSTR_PART(name, short, optstr, has_arg, id, help) optstr
#define REPORT_OPTS_OPTSTR REPORT_OPTIONS(REPORT_OPTS_OPTSTR_PART)

#endif
