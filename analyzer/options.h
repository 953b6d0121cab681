/* options.h - paraprof-report's command line
 *
 * The parsers of option values are separate functions so that the unit
 * tests can reach them: times take ns, us, ms or s (a number without a unit
 * is refused, since "500" could mean anything), lists are key=value pairs
 * separated by commas.
 */
#ifndef PARAPROF_OPTIONS_H
#define PARAPROF_OPTIONS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "diff.h"
#include "report.h"

struct opt_cmdline {
	struct report_opts report;
	int list, help, version;
	int control;			/* enum control_op, 0 = none: --enable/--disable/--clear */
	int no_color;
	int gc;				/* --gc: save dead processes' segments as dumps */
	int merge;			/* --merge: the inputs as one dump into -o FILE */
	const char *output;		/* -o: --gc: DIR, NULL = "."; a report or
					   --merge: a new FILE, NULL = standard output */
	uint64_t watch_ns;		/* --watch: the interval in ns, 0 = no --watch */
	uint64_t session;		/* --gc: --session ID, 0 = every segment */
	struct diff_opts diff;		/* --diff, --baseline, --max-regression,
					   --confidence; diff.base malloc'ed */
	char **files;			/* the inputs (with --diff: the new side),
					   malloc'ed array of pointers into argv */
	size_t nfiles;
	pid_t *pids;			/* malloc'ed */
	size_t npids;
	struct report_pattern *filters, *excludes; /* malloc'ed, compiled; the
					   report options point to them */
};

/* Parses "1.5ms", "500us", "2s", "100ns" (also "µs") into *ns.  0, or -1
 * when s is not such a time or overflows 64 bits of nanoseconds. */
int opt_parse_time(const char *s, uint64_t *ns);

/* Parses --watch's SECONDS: a number of seconds ("0.5", "2") or a time
 * with its unit ("500ms"), from 0.1s to 1 hour.  0 or -1. */
int opt_parse_interval(const char *s, uint64_t *ns);

/* Parses "critical=2s,high=1s,medium=500ms" (any subset, any order) into o;
 * the result must keep critical >= high >= medium.  0, or -1 with the reason
 * in err. */
int opt_parse_severity(const char *s, struct report_opts *o, char *err, size_t errlen);

/* Parses "p95=500ms,p99=1s,avg=100ms" (any subset) into o.  0 or -1. */
int opt_parse_targets(const char *s, struct report_opts *o, char *err, size_t errlen);

/* Parses argv (report options defaulted first).  0, or -1 with a one-line
 * reason in err (a usage error: exit status 2).  Either way, opt_free()
 * releases what it allocated. */
int opt_parse(int argc, char **argv, struct opt_cmdline *cl, char *err, size_t errlen);

/* Frees the pids, the file lists and the compiled --filter/--exclude patterns of cl. */
void opt_free(struct opt_cmdline *cl);

/* The --help text. */
extern const char opt_usage[];

#endif /* PARAPROF_OPTIONS_H */
