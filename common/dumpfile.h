/* dumpfile.h - writing a dump: never over a file, never through a link
 *
 * Part of the common format layer (common/).  The library writes a dump at
 * its exit and saves a leftover segment at start-up; paraprof-report --gc
 * saves the segments of dead processes.  All go through ppc_dump_write, so
 * that every dump is made the same safe way, in a directory that others may
 * be able to write (a sticky /tmp, a directory of another user's):
 *  - the data goes to a fresh temporary file of an unguessable name, made
 *    O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600 whatever the umask: a file or a
 *    link planted under any name is never written through;
 *  - it is fsync()ed, and only then given its name, by a rename that never
 *    replaces a file: no half-written dump ever has a dump's name, and an
 *    existing dump (or anything else) under that name is kept, the next free
 *    <stem>-<n>.ppd taken instead.
 *
 * Async-signal-safe: no malloc, no stdio, no lock, no state shared with the
 * host (its rand() is not touched).  The library calls it in a signal
 * handler, in a child after fork and at exit.
 */
#ifndef PARAPROF_COMMON_DUMPFILE_H
#define PARAPROF_COMMON_DUMPFILE_H

#include <stddef.h>
#include <stdint.h>

/* How many names are tried: <stem>.ppd, then <stem>-1.ppd ... <stem>-9999.ppd */
#define PPC_DUMP_TRIES 10000

/* Room a dump's file name needs beyond its stem: "-9999", ".ppd" and NUL. */
#define PPC_DUMP_NAME_EXTRA 16

/*
 * Writes `len` bytes of `buf` as <stem>.ppd in the directory open as
 * `dirfd`, or as the first free <stem>-<n>.ppd when that name is taken (by
 * anything: a file, a link, a directory).  The file name it got (no
 * directory) is left in `name`, which has `namelen` bytes, at least
 * strlen(stem) + PPC_DUMP_NAME_EXTRA.  The directory is not fsync()ed: a
 * caller that needs the name itself durable does that.
 *
 * Returns 0 (errno may have changed: a caller that must keep it saves it),
 * or -1 with errno set: ENAMETOOLONG when `name` is too small (nothing is
 * made then), EEXIST when every name (or every temporary name) is taken, or
 * what the failing system call said (ENOSPC, EACCES...).  On failure the
 * temporary file is removed and no dump has been made; only where the file
 * system has neither a rename that does not replace nor hard links can an
 * empty file of ours, made to reserve a name, stay under that name.
 */
int ppc_dump_write(int dirfd, const char *stem, const void *buf, uint64_t len, char *name,
		   size_t namelen);

/* A piece of a dump: ppc_dump_writev() writes them one after the other. */
struct ppc_part {
	const void *buf;
	uint64_t len;		/* bytes */
};

/* ppc_dump_write() of the concatenation of `nparts` parts (the names table
 * of a dump is appended this way, common/nametab.h). */
int ppc_dump_writev(int dirfd, const char *stem, const struct ppc_part *parts, unsigned nparts,
		    char *name, size_t namelen);

/* Writes all of `len` bytes of `data` to fd, again after EINTR; 0, or -1
 * with errno (ENOSPC when write() makes no progress). */
int ppc_write_all(int fd, const void *data, uint64_t len);

#endif
