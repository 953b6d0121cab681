/* load.h - reading dumps and live segments into a profile
 *
 * The loader is the one part of paraprof-report that touches untrusted
 * bytes.  It validates every field of the ppf_header layout before using it
 * (see load_check.c for the list; load_priv.h for the loader's parts).  A
 * dump whose header or tables are unusable is refused before any of it is
 * merged, so the profile is unchanged; a damaged record is left out, and a
 * record list with a bad link is cut, each with one note in the profile
 * (prof->notes), the rest kept.  Only running out of memory stops a load
 * halfway, with part of the dump in the profile.
 */
#ifndef PARAPROF_LOAD_H
#define PARAPROF_LOAD_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

struct pp_profile;
struct sym_cache;

/* Validates a dump held in memory (buf, len; `name` is used in messages) and
 * merges it into `prof`, leaving out damaged records (one note each in
 * prof->notes, "NAME: record of ... dropped: ...").  Returns 0, or -1 with a
 * one-line reason in err (no "paraprof-report: FILE:" prefix) when the
 * header or tables are unusable (prof is then unchanged) or memory runs out
 * (prof may then hold part of the dump: the caller discards it).  Never
 * crashes, hangs or allocates more than O(len) on any input. */
int load_buffer(struct pp_profile *prof, const void *buf, size_t len, const char *name,
		char *err, size_t errlen);

/* Maps the dump file `path` and loads it as load_buffer() does.  Returns 0,
 * or -1 with the reason in err (a system error included; prof unchanged
 * unless memory ran out during the merge). */
int load_file(struct pp_profile *prof, const char *path, char *err, size_t errlen);

/* Where load_pid() read from, for its messages. */
struct load_source {
	char path[320];		/* the segment read, or /dev/shm/paraprof.<pid>.* */
	char note[512];		/* "" or one line naming the other segments of the
				   pid: "also /dev/shm/... (gone), ..." */
};

/*
 * Finds the segment of process `pid` in /dev/shm (paraprof.<pid>.*, or the
 * paraprof.<pid> of format version 1; when there are several, the one of
 * the running process, else the newest; see shm.h for how each is opened)
 * and copies it consistently (seqlocks of records, fold_seq and
 * timeline_seq; bounded retries, then records still being written are taken
 * as torn) and loads the copy.  Fills *src.  Returns 0 or -1 with the reason
 * in err (prof unchanged unless memory ran out during the merge).
 */
int load_pid(struct pp_profile *prof, pid_t pid, struct load_source *src, char *err,
	     size_t errlen);

/* Copies the live segment open on `fd` (found and opened as shm.h says;
 * `path` names it in messages) as load_pid() does and loads the copy into
 * prof, as a live process.  Returns 0, or -1 with the reason in err (prof
 * unchanged unless memory ran out during the merge).  For callers that
 * choose segments themselves (paraprof-exporter). */
int load_fd(struct pp_profile *prof, int fd, const char *path, char *err, size_t errlen);

/* Copies the live segment open on `fd` as load_pid() does (consistently,
 * bounded by what the file holds) into *buf (malloc'ed, *len bytes: a dump
 * of the process so far; the caller frees it), after checking its header
 * and tables.  Returns 0, or -1 with the reason in err. */
int load_snapshot(int fd, void **buf, size_t *len, char *err, size_t errlen);

/* Prints the segments in /dev/shm (paraprof.*) on `out`: pid, whether the
 * process still runs, state, size, name, command (control characters
 * escaped).  An entry that is not a readable segment (a FIFO, a symbolic
 * link, another user's, a sparse or foreign file) is listed with the reason
 * instead of a command, and never read further.  Returns the number listed,
 * or -1 when /dev/shm cannot be read (err says why). */
int load_list(FILE *out, char *err, size_t errlen);

/* Where the functions a dump does not name itself (an older dump, or a
 * process that ended with _exit()) get their names while loading, NULL:
 * nowhere (they stay keyed by address, named by the report).  When set
 * (paraprof-report does, before loading), such a function is looked up in
 * its module's file (symbols.h, under a lock: the loader may run two
 * threads) and keyed by (module file name, symbol) like a named one, so
 * that it adds up with the same function of dumps that name it. */
extern struct sym_cache *load_sym_cache;

/* Dumps of at least this many bytes are merged by two threads (default
 * 64 MiB; tests lower it). */
extern size_t load_parallel_min;

#endif /* PARAPROF_LOAD_H */
