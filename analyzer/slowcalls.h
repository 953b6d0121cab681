/* slowcalls.h - the slowest calls of a function, with their native stacks
 *
 * paraprof-report --slowest-calls FUNC: the calls the runtimes kept (struct
 * pp_slow_call, format.h says which), longest first, each with its
 * duration, process, thread, when it ended, its call path and its native
 * stack, every frame symbolized (uninstrumented ones too).
 */
#ifndef PARAPROF_SLOWCALLS_H
#define PARAPROF_SLOWCALLS_H

#include <stddef.h>
#include <stdio.h>

#include "report.h"

struct sym_cache;

/* The entry named `func` (cg_find(): the exact name, else the one name
 * containing it), which must have kept calls.  Returns its index in
 * prof->entries, or -1 with the reason in err. */
long slow_find(const struct pp_profile *prof, const char *func, char *err, size_t errlen);

/* Prints the kept calls of entry `entry` (text, or a JSON document when
 * `json`), longest first, frames named through `sc`.  0, or -1 when
 * writing or memory failed. */
int slow_print(FILE *out, const struct report *r, struct sym_cache *sc, size_t entry, int json);

#endif
