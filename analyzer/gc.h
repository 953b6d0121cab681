/* gc.h - paraprof-report --gc: the segments of dead processes made into dumps
 *
 * A process that ends with _exit(), is killed, or crashes leaves its
 * segment in /dev/shm, where it holds memory until the next reboot.  --gc
 * saves each such segment of the calling user (st_uid == geteuid()) as a
 * dump and removes it.  Segments of processes that still run, of another pid
 * namespace (whose processes cannot be seen from here), of other users, and
 * files that are not segments are left alone.
 *
 * With a session (the launcher's PARAPROF_SESSION, header.session) only
 * that run's segments are taken, and a process of the run that still runs
 * (a daemon) gets a snapshot of its profile so far, its segment kept.
 */
#ifndef PARAPROF_GC_H
#define PARAPROF_GC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct gc_opts {
	const char *dir;		/* where dumps go */
	uint64_t session;		/* 0: every segment of ours; else that run's only */
	unsigned grace_ms;		/* with a session: how long to wait for the run's
					   running processes to exit before taking snapshots */
};

/*
 * Saves every dead segment as o->dir/paraprof.<pid>[.<gen>].ppd (a snapshot
 * as paraprof-snapshot.<pid>[.<gen>].ppd), never replacing a file: the next
 * free name <name>-<n>.ppd is taken.  Each is written through a temporary
 * file made O_EXCL|O_NOFOLLOW, mode 0600, fsync'ed and renamed into place
 * without replacing; only then is the segment removed (when it is still the
 * file that was read).  One line per dump made goes to `out`; one line per
 * segment of ours left alone for a reason other than its process running,
 * and per failure, to stderr ("paraprof-report: PATH: ...").
 *
 * Returns the number of segments that could not be saved (0: all well), or
 * -1 with the reason in err when nothing could be done (o->dir or /dev/shm
 * cannot be opened).
 */
int gc_run(const struct gc_opts *o, FILE *out, char *err, size_t errlen);

#endif /* PARAPROF_GC_H */
