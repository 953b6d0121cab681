/* names.h - the names of segments and dumps, built and parsed in one place
 *
 * Part of the common format layer (common/).  format.h documents the names:
 * a live segment is /dev/shm/paraprof.<pid>.<pidns>.<start>[-<n>]
 * (PPF_SEGMENT_FMT); a dump is <prefix><pid>[.<gen>][-<n>].ppd, where the
 * prefix says which kind of dump it is, <gen> counts execs (or, for a stale
 * dump, is the dead process's start in seconds) and -<n> is the first free
 * name when the normal one was taken (a dump never replaces a file).
 *
 * The dump builders use neither malloc nor stdio: the library names its dump
 * in a signal handler or a child after fork.  Every builder keeps `buf`
 * NUL-terminated and cuts the name when `len` is too small.
 */
#ifndef PARAPROF_COMMON_NAMES_H
#define PARAPROF_COMMON_NAMES_H

#include <stddef.h>
#include <stdint.h>

/* What a dump's name starts with, by kind. */
#define PPC_DUMP_PREFIX "paraprof."		/* the profile of a process that ended */
#define PPC_SNAPSHOT_PREFIX "paraprof-snapshot."	/* of a process still running */
#define PPC_STALE_PREFIX "paraprof-stale."	/* left by a dead process under our pid */

/* A bounded text buffer that the builders append to without stdio (safe in
 * a signal handler): the text stays NUL-terminated and is cut when full. */
struct ppc_buf {
	char *s;
	size_t cap, len;
};

void ppc_buf_str(struct ppc_buf *b, const char *str);
void ppc_buf_num(struct ppc_buf *b, uint64_t v);	/* decimal */
void ppc_buf_hex(struct ppc_buf *b, uint64_t v);	/* 16 hex digits */

/* Writes the segment name "/paraprof.<pid>.<pidns>.<start>" (PPF_SEGMENT_FMT,
 * relative to PPF_SHM_DIR) with "-<n>" appended when n is not 0. */
void ppc_segment_name(char *buf, size_t len, uint32_t pid, uint64_t pidns, uint64_t start,
		      unsigned n);

/* What a segment's name says. */
struct ppc_segment_id {
	uint32_t pid;
	uint64_t pidns;			/* pid-namespace inode, 0 = unknown */
	uint64_t start;			/* start ticks since boot, 0 = unknown */
	uint32_t dup;			/* n of a "-<n>" suffix, 0 = none */
	int legacy;			/* paraprof.<pid> (format version 1) */
};

/* Parses a directory entry's name (no "/"): paraprof.<pid>.<pidns>.<start>
 * with an optional "-<n>", or the legacy paraprof.<pid>.  Returns 1 and
 * fills *id when it is a segment's name, 0 when not (*id is then zeroed). */
int ppc_segment_parse(const char *name, struct ppc_segment_id *id);

/* Writes "/dev/shm/paraprof.<pid>.*", the segments of process `pid` as a
 * message names them. */
void ppc_segment_glob(char *buf, size_t len, long pid);

/* Writes a dump's stem, "<prefix><pid>" and ".<gen>" when gen is not 0. */
void ppc_dump_stem(char *buf, size_t len, const char *prefix, uint64_t pid, uint64_t gen);

/* Writes a dump's file name: "<stem>.ppd", or "<stem>-<n>.ppd" when n is not
 * 0. */
void ppc_dump_file(char *buf, size_t len, const char *stem, unsigned n);

/* The kinds of dump a name may say (see the prefixes above). */
enum ppc_dump_kind { PPC_DUMP_NONE, PPC_DUMP_NORMAL, PPC_DUMP_SNAPSHOT, PPC_DUMP_STALE };

/* Which kind of dump `name` (a file name, no directory) is named as:
 * <prefix><pid>[.<n>][-<k>].ppd with decimal numbers; PPC_DUMP_NONE when it
 * has no dump's name. */
enum ppc_dump_kind ppc_dump_kind(const char *name);

#endif
