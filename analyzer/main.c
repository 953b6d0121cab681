/* main.c - paraprof-report: the bottleneck report of paraprof dumps
 *
 * Parses the options, loads every dump and live segment into one profile,
 * builds the report and prints it in the chosen format.  Exit status: 0 ok,
 * 1 when --check finds a target missed, 2 on bad input or usage (every such
 * message is one line: "paraprof-report: FILE: what is wrong"), and for --gc
 * when a segment could not be saved.
 */
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control.h"
#include "diff.h"
#include "escape.h"
#include "dumpout.h"
#include "gc.h"
#include "slowcalls.h"
#include "load.h"
#include "options.h"
#include "profile.h"
#include "report.h"
#include "symbols.h"
#include "watch.h"

/* The Makefile's VERSION, which paraprof.pc carries too: one source. */
#ifndef PARAPROF_VERSION_STRING
#error "PARAPROF_VERSION_STRING: build with the Makefile, which passes its VERSION"
#endif

#define EXIT_CHECK_FAILED 1
#define EXIT_BAD 2
#define GC_GRACE_MS 500		/* --gc --session: wait for the run's exiting processes */

/* Prints "paraprof-report: <message>" and a newline on stderr, the message
 * escaped (file names and what a dump holds may carry control bytes). */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fputs("paraprof-report: ", stderr);
	esc_fputs(line, stderr);
	fputc('\n', stderr);
}

/* Prints the loader's notes from *from on (records it left out, lists it
 * cut), one line each, and moves *from past them. */
static void print_notes(const struct pp_profile *prof, size_t *from)
{
	for (; *from < prof->nnotes; (*from)++)
		say("%s", prof->notes[*from]);
}

static int use_color(const struct opt_cmdline *cl)
{
	const char *term = getenv("TERM");

	if (cl->no_color || cl->report.format != FORMAT_TEXT || !isatty(STDOUT_FILENO))
		return 0;
	if (getenv("NO_COLOR") && *getenv("NO_COLOR"))
		return 0;
	return !(term && strcmp(term, "dumb") == 0);
}

/* -o FILE: opens FILE as a new file (O_EXCL: an existing file is never
 * replaced, as --gc never replaces a dump).  NULL with errno set on error. */
static FILE *open_output(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	FILE *f;

	if (fd < 0)
		return NULL;
	if (!(f = fdopen(fd, "w"))) {
		int e = errno;

		close(fd);
		unlink(path);
		errno = e;
	}
	return f;
}

/* Where the output goes: standard output, or the new file `path` (-o);
 * NULL after saying why it cannot be made. */
static FILE *output_begin(const char *path)
{
	FILE *dest;

	if (!path)
		return stdout;
	if (!(dest = open_output(path)))
		say("%s: %s", path, errno == EEXIST ? "exists; not replaced (paraprof-report"
		    " writes a new file)" : strerror(errno));
	return dest;
}

/* Ends the output begun by output_begin(path) that printing left with `rc`
 * (0, or -1 when writing failed): flushed and closed, and a file that was
 * not written whole removed.  0, or -1 after saying so. */
static int output_end(FILE *dest, const char *path, int rc)
{
	rc = rc || fflush(dest);
	if (dest != stdout && fclose(dest))
		rc = -1;
	if (rc) {
		perror("paraprof-report: write error");
		if (dest != stdout)
			unlink(path);	/* no half-written file is left */
		return -1;
	}
	return 0;
}

/* Prints report r in its format on out; 0, or -1 when writing failed. */
static int print_report(FILE *out, const struct report *r)
{
	switch (r->opts->format) {
	case FORMAT_JSON: return report_json(out, r);
	case FORMAT_CSV: return report_csv(out, r);
	case FORMAT_FOLDED: return report_folded(out, r);
	case FORMAT_SVG: return report_svg(out, r);
	case FORMAT_PPROF: return report_pprof(out, r);
	case FORMAT_TEXT: break;
	}
	return report_text(out, r);
}

/* Loads the files and the live segments of pids into prof, printing the
 * loader's notes.  0, or -1 after printing why (bad input: exit status 2). */
static int load_inputs(struct pp_profile *prof, char *const *files, size_t nfiles,
		       const pid_t *pids, size_t npids)
{
	char err[512];
	size_t noted = prof->nnotes;

	for (size_t i = 0; i < nfiles; i++) {
		int rc = load_file(prof, files[i], err, sizeof(err));

		print_notes(prof, &noted);
		if (rc) {
			say("%s: %s", files[i], err);
			return -1;
		}
	}
	for (size_t i = 0; i < npids; i++) {
		struct load_source src;
		int rc = load_pid(prof, pids[i], &src, err, sizeof(err));

		print_notes(prof, &noted);
		if (src.note[0])
			say("pid %ld: %s; %s %s", (long)pids[i], src.note,
			    rc ? "could not read" : "read", src.path);
		if (rc) {
			say("%s: %s", src.path, err);
			return -1;
		}
	}
	return 0;
}

/* --diff BASE... -- NEW..., --check --baseline BASE NEW...: loads each
 * side into a profile of its own, compares them and prints the comparison
 * (or the gate).  Returns the exit status: 0, 1 when the gate found a
 * regression, 2 on bad input or when writing failed. */
static int compare(const struct opt_cmdline *cl)
{
	struct pp_profile *side[2] = { pp_profile_new(), pp_profile_new() };
	struct sym_cache *sc = sym_cache_new();
	const size_t ninputs[2] = { cl->diff.nbase, cl->nfiles + cl->npids };
	struct diff d = { 0 };
	int status = EXIT_BAD, built = 0;

	if (!side[0] || !side[1] || !sc) {
		fprintf(stderr, "paraprof-report: out of memory\n");
		goto out;
	}
	load_sym_cache = sc;		/* as main() does */
	side[0]->raw = side[1]->raw = cl->report.raw;
	if (load_inputs(side[0], cl->diff.base, cl->diff.nbase, NULL, 0) ||
	    load_inputs(side[1], cl->files, cl->nfiles, cl->pids, cl->npids))
		goto out;
	built = 1;
	if (diff_build(&d, side[0], side[1], ninputs, &cl->report, &cl->diff, sc)) {
		fprintf(stderr, "paraprof-report: out of memory\n");
		goto out;
	}
	FILE *dest = output_begin(cl->output);

	if (!dest || output_end(dest, cl->output, diff_print(dest, &d, cl->report.check)))
		goto out;
	status = cl->report.check && d.nregs ? EXIT_CHECK_FAILED : 0;
out:
	if (built)
		diff_free(&d);
	load_sym_cache = NULL;
	sym_cache_free(sc);
	pp_profile_free(side[0]);
	pp_profile_free(side[1]);
	return status;
}

int main(int argc, char **argv)
{
	struct opt_cmdline cl;
	char err[512];
	int status = EXIT_BAD;

	setlocale(LC_ALL, "");
	if (opt_parse(argc, argv, &cl, err, sizeof(err))) {
		say("%s", err);
		opt_free(&cl);
		return EXIT_BAD;
	}
	if (cl.help) {
		fputs(opt_usage, stdout);
		opt_free(&cl);
		return fflush(stdout) ? EXIT_BAD : 0;
	}
	if (cl.version) {
		printf("paraprof-report %s (dump format version %d)\n", PARAPROF_VERSION_STRING,
		       PPF_VERSION);
		opt_free(&cl);
		return fflush(stdout) ? EXIT_BAD : 0;
	}
	if (cl.control) {
		static const char *const done[] = { "", "recording enabled", "recording disabled",
						    "statistics cleared" };

		status = 0;
		for (size_t i = 0; i < cl.npids; i++) {
			if (control_pid(cl.pids[i], (enum control_op)cl.control, err, sizeof(err))) {
				say("pid %ld: %s", (long)cl.pids[i], err);
				status = EXIT_BAD;
			} else {
				printf("paraprof-report: pid %ld: %s\n", (long)cl.pids[i],
				       done[cl.control]);
			}
		}
		opt_free(&cl);
		return fflush(stdout) ? EXIT_BAD : status;
	}
	if (cl.watch_ns) {
		pid_t pid = cl.pids[0];
		uint64_t interval = cl.watch_ns;
		int raw = cl.report.raw;

		opt_free(&cl);
		/* a live view needs a screen to redraw; a log wants the report */
		if (!isatty(STDOUT_FILENO)) {
			say("--watch needs a terminal on standard output");
			return EXIT_BAD;
		}
		return watch_run(pid, interval, raw);
	}
	if (cl.gc) {
		struct gc_opts go = { cl.output ? cl.output : ".", cl.session,
				      cl.session ? GC_GRACE_MS : 0 };
		int failed = gc_run(&go, stdout, err, sizeof(err));

		opt_free(&cl);
		if (failed < 0) {
			say("%s", err);
			return EXIT_BAD;
		}
		return fflush(stdout) || failed ? EXIT_BAD : 0;
	}
	if (cl.list) {
		int n = load_list(stdout, err, sizeof(err));

		opt_free(&cl);
		if (n < 0) {
			say("%s", err);
			return EXIT_BAD;
		}
		return fflush(stdout) ? EXIT_BAD : 0;
	}
	if (cl.report.format == FORMAT_PPROF && !cl.output && isatty(STDOUT_FILENO)) {
		say("--format pprof is binary: give -o FILE or redirect standard output");
		opt_free(&cl);
		return EXIT_BAD;
	}
	cl.report.utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	cl.report.color = use_color(&cl);
	if (cl.diff.nbase) {
		status = compare(&cl);
		opt_free(&cl);
		return status;
	}

	struct pp_profile *prof = pp_profile_new();
	struct sym_cache *sc = NULL;
	struct report r = { 0 };

	if (!prof) {
		fprintf(stderr, "paraprof-report: out of memory\n");
		goto out;
	}
	/* functions a dump does not name are named from the binaries while
	 * loading, so that they add up with the same ones of dumps that do */
	if (!(sc = sym_cache_new()))
		goto oom;
	load_sym_cache = sc;
	prof->raw = cl.report.raw;
	prof->per_thread = cl.report.threads;
	prof->thread_select = cl.report.thread;
	if (load_inputs(prof, cl.files, cl.nfiles, cl.pids, cl.npids))
		goto out;
	if (cl.report.thread && !prof->threads_matched) {
		say("no thread is named %s or has that id in %s", cl.report.thread,
		    cl.nfiles + cl.npids == 1 ? "this input" : "these inputs");
		goto out;
	}
	if (cl.merge) {
		if (dumpout_merge(cl.output, prof, sc, err, sizeof(err)))
			say("%s: %s", cl.output, err);
		else
			status = 0;
		goto out;
	}
	if (report_build(&r, prof, &cl.report, sc)) {
oom:
		fprintf(stderr, "paraprof-report: out of memory\n");
		goto out;
	}
	/* --callers/--callees name a function: known once names are resolved */
	if (report_paths_find(&r, err, sizeof(err))) {
		say("%s", err);
		goto out;
	}
	long slow_entry = -1;

	if (cl.report.slowest_calls &&
	    (slow_entry = slow_find(prof, cl.report.slowest_calls, err, sizeof(err))) < 0) {
		say("%s", err);
		goto out;
	}
	long hist_entry = -1;

	if (cl.report.histogram &&
	    (hist_entry = report_hist_find(prof, cl.report.histogram, err, sizeof(err))) < 0) {
		say("%s", err);
		goto out;
	}
	FILE *dest = output_begin(cl.output);

	if (!dest)
		goto out;
	int rc = slow_entry >= 0 ?
		slow_print(dest, &r, sc, (size_t)slow_entry, cl.report.format == FORMAT_JSON) :
		hist_entry >= 0 ? report_hist(dest, &r, (size_t)hist_entry) : print_report(dest, &r);

	if (output_end(dest, cl.output, rc))
		goto out;
	status = cl.report.check && !r.check_pass ? EXIT_CHECK_FAILED : 0;
out:
	load_sym_cache = NULL;
	report_free(&r);
	sym_cache_free(sc);
	pp_profile_free(prof);
	opt_free(&cl);
	return status;
}
