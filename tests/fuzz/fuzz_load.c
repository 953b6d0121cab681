/* fuzz_load.c - libFuzzer target on the dump loader and the report builder
 *
 * Each input is taken as a dump file: load_buffer() must refuse it with a
 * message or accept it (saying in one note per line what it left out),
 * never crash, hang or allocate without bound.  An
 * accepted dump then goes through everything paraprof-report does with it
 * (statistics, selection, recommendations, the target check, the text,
 * JSON and CSV printers and the folded, SVG and pprof exports into
 * /dev/null), because a file that passes
 * validation is exactly what those trust.  Symbols are left out (sc = NULL):
 * the paths in a fuzzed module table would make the run read random files.
 *
 * Build and run with `make fuzz` and `make fuzz-run FUZZ_SECONDS=60`.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "load.h"
#include "profile.h"
#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pp_profile *prof = pp_profile_new();
	struct report_opts opts;
	struct report r;
	char err[256];

	if (!prof)
		return 0;
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	/* each thread's figures (--threads), and a quarter of the time only
	 * thread 1's or the threads named "worker" (--thread) */
	prof->per_thread = 1;
	if (size % 4 == 2)
		prof->thread_select = "worker";
	else if (size % 4 == 3)
		prof->thread_select = "1";
	err[0] = '\0';
	if (load_buffer(prof, data, size, "fuzz.ppd", err, sizeof(err)) == 0) {
		/* what was left out is said in one line each */
		for (size_t i = 0; i < prof->nnotes; i++)
			if (strchr(prof->notes[i], '\n') || strncmp(prof->notes[i], "fuzz.ppd: ", 10))
				__builtin_trap();
		report_opts_default(&opts);
		opts.top = 0;		/* every entry, so every row is printed */
		opts.min_calls = 0;
		opts.slowest = 10;
		opts.now = 0;
		/* the call graph of every entry, and half the time every entry
		 * severe, so that each gets its hot paths */
		opts.graph = 1;
		opts.threads = 1;
		if (size & 1)
			opts.critical_ns = opts.high_ns = opts.medium_ns = 0;
		/* report_free() also cleans up after a report_build() that failed */
		if (report_build(&r, prof, &opts, NULL) == 0 && devnull) {
			report_text(devnull, &r);
			report_json(devnull, &r);
			report_csv(devnull, &r);
			check_text(devnull, &r);
			check_csv(devnull, &r);
			/* the exports walk the call paths the loader accepted */
			report_folded(devnull, &r);
			report_svg(devnull, &r);
			report_pprof(devnull, &r);
		}
		report_free(&r);
	} else if (err[0] == '\0' || memchr(err, '\0', sizeof(err)) == NULL) {
		/* a refusal always says why, in one terminated line */
		__builtin_trap();
	}
	pp_profile_free(prof);
	return 0;
}
