/* dumpout.h - dumps made by paraprof-report: the names table, and --merge -o
 *
 * paraprof-report writes dumps in two places: --gc (the segments of dead
 * processes, gc.c) and --merge -o (several dumps made one).  Both give the
 * dump its names table (format.h, "names of functions") while the binaries
 * are still there to read; --merge builds the whole dump from a profile.
 */
#ifndef PARAPROF_DUMPOUT_H
#define PARAPROF_DUMPOUT_H

#include <stddef.h>
#include <stdint.h>

#include "paraprof/format.h"

struct pp_profile;
struct sym_cache;
struct ppc_names;

/*
 * Fills `t` (ppc_names_init()ed) with the name of every function entry of
 * `prof`: the one its dump's table gave (e->symbol), else the one the
 * module's file has at its offset (through sc: the build-id warning of
 * symbols.h applies), for a dump whose module table is `mods` (`nmods`
 * entries; an entry's module is the first of them with its path and build
 * id).  A function no one names is left out.  Returns 0, or -1 when memory
 * runs out.
 */
int dumpout_names(const struct pp_profile *prof, struct sym_cache *sc,
		  const struct ppf_module *mods, uint32_t nmods, struct ppc_names *t);

/*
 * Writes `prof` (loaded from one or more dumps, call paths read) as one dump
 * into the new file `path` (O_EXCL, mode 0600: an existing file is never
 * replaced), with its names table.  What it holds: every entry with its
 * exact merged histogram, its call paths when every function's calls are
 * on paths (else the dump is flat), the caches; a header whose pid and
 * ppid are 0, whose command line is the first process's, whose wall time
 * (stop_ns - start_ns) is the longest process's, whose start_realtime_ns
 * is the earliest, whose counters are the sums of the processes' and
 * whose RSS figures their maxima; no memory timeline and no slowest calls.
 * Returns 0, or -1 with a one-line reason in err (nothing is left at path).
 */
int dumpout_merge(const char *path, const struct pp_profile *prof, struct sym_cache *sc,
		  char *err, size_t errlen);

#endif
