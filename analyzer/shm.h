/* shm.h - the segments in /dev/shm: finding them (by common/names.h's names), safe opening, liveness
 *
 * Every part of paraprof-report that looks into /dev/shm (--pid, --list,
 * --enable/--disable/--clear, --gc) finds and opens segments here, so that
 * each follows the same rules.  /dev/shm is writable by everyone: an entry
 * named like a segment may be a FIFO, a symbolic link to someone's secret,
 * a sparse file that claims gigabytes, or another user's.  So an entry is
 * opened with O_NOFOLLOW|O_NONBLOCK relative to the directory, must be a
 * regular file, and must hold (st_blocks) what its header says is in use.
 *
 * Names (format.h): paraprof.<pid>.<pidns>.<start>[-<n>], and the
 * paraprof.<pid> of libraries before format version 2.  A process runs
 * when /proc/<pid>/stat exists and its start time (field 22) is the
 * segment's; a segment of another pid namespace cannot be judged from here.
 */
#ifndef PARAPROF_SHM_H
#define PARAPROF_SHM_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "common/names.h"
#include "paraprof/format.h"

enum shm_state {
	SHM_GONE,			/* no such process, or its pid was reused */
	SHM_RUNNING,			/* the process that made the segment runs */
	SHM_UNKNOWN,			/* of another pid namespace: cannot tell */
};

/* "gone", "running", "unknown" */
const char *shm_state_name(enum shm_state s);

/* Whether the process `pid` that started at `start` (0: unknown, then any
 * process with that pid counts) in pid namespace `pidns` (0: ours) runs. */
enum shm_state shm_process_state(uint32_t pid, uint64_t pidns, uint64_t start);

/* Allowance for the allocation granularity of tmpfs (huge pages) in the
 * check of the used size against the blocks a file holds, bytes. */
#define SHM_BACKING_SLACK (2u << 20)

/*
 * Opens `name` relative to `dirfd` (AT_FDCWD: a path) with `flags` (O_RDONLY
 * or O_RDWR) plus O_NONBLOCK, O_CLOEXEC and O_NOCTTY, and O_NOFOLLOW when
 * `nofollow`; fstat()s it into *st.  Returns the descriptor, or -1 with the
 * reason in err: "not a regular file" (for a symbolic link: "not a regular
 * file (a symbolic link, not followed)"), or the system's message.  Never blocks (a FIFO is refused, not waited on).
 */
int shm_open_regular(int dirfd, const char *name, int flags, int nofollow, struct stat *st,
		     char *err, size_t errlen);

/* Checks that a file of *st holds the `used` bytes a header claims: not
 * more than its size, and backed by blocks (a sparse file that claims
 * gigabytes would cost that much memory and time to read).  0, or -1 with
 * the reason in err. */
int shm_check_backed(uint64_t used, const struct stat *st, char *err, size_t errlen);

/* One segment found in /dev/shm, opened by shm_open_seg(). */
struct shm_seg {
	char name[NAME_MAX + 1];	/* the entry's name */
	char path[sizeof(PPF_SHM_DIR) + NAME_MAX + 1]; /* PPF_SHM_DIR "/" name */
	struct ppc_segment_id id;	/* what its name says */
	int fd;				/* -1 when not open */
	struct stat st;
	struct ppf_header h;		/* as read at opening (valid when usable) */
	uint64_t start;			/* start ticks: the name's, else the header's */
	enum shm_state state;
	int usable;			/* 1: a segment of this version range, backed */
	char err[160];			/* why not usable ("" when usable) */
};

/*
 * Lists the entries of /dev/shm with a segment name, of process `pid` (0:
 * every one), sorted by name, into a malloc'ed array (*segs, *n) that the
 * caller frees with shm_free(); nothing is opened yet (fd -1).  Returns 0,
 * or -1 with err set when /dev/shm cannot be read or memory runs out.
 */
int shm_scan(uint32_t pid, struct shm_seg **segs, size_t *n, char *err, size_t errlen);

/* Opens s->name in /dev/shm safely with `flags`, reads and checks its
 * header (magic, version PPF_VERSION_MIN..PPF_VERSION, header_size, the pid
 * of the name, used_size against the file) and computes its state.  Sets
 * s->usable, or s->err; keeps the descriptor open in s->fd either way when
 * the open itself worked. */
void shm_open_seg(struct shm_seg *s, int flags);

/* Closes s->fd if open. */
void shm_close_seg(struct shm_seg *s);

/* Closes every descriptor and frees the array; NULL is allowed. */
void shm_free(struct shm_seg *segs, size_t n);

/*
 * The segment `--pid N` means among the opened candidates segs[0..n): the
 * usable one whose process runs, else (unless `live_only`) the usable one
 * with the newest start_realtime_ns.  When there were others, writes one
 * line naming them into note (else note is ""): "also /dev/shm/... (gone),
 * ...".  Returns the index, or -1 when none qualifies.
 */
long shm_choose(const struct shm_seg *segs, size_t n, int live_only, char *note,
		size_t notelen);

/* The segments of pid (shm_scan), each opened with `oflags`, and the index
 * of the running process's (shm_choose, live only): *segs and *n for the
 * caller to shm_free.  The index, or -1 with the reason in err ("no such
 * segment", "not running" with where its profile stays, why it cannot be
 * opened) and nothing left to free. */
long shm_find_running(uint32_t pid, int oflags, struct shm_seg **segs, size_t *n, char *err,
		      size_t errlen);

#endif /* PARAPROF_SHM_H */
