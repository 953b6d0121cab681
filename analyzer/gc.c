/* gc.c - paraprof-report --gc: the segments of dead processes made into dumps
 *
 * See gc.h.  The order of the steps is what makes it safe to run as root
 * in a directory others can write, and at any moment:
 *  - a segment is judged from its own descriptor (shm.c: no link followed,
 *    no FIFO waited on, the used size backed by blocks), and its owner is
 *    read from that descriptor too;
 *  - a dump is written by ppc_dump_write (common/dumpfile.c), the library's
 *    own writer: to a fresh temporary (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600:
 *    a planted file or link is never written through), fsync'ed, and given
 *    its name by a rename that never replaces, so no file is ever replaced
 *    and no half-written dump ever has a dump's name; the directory is then
 *    fsync'ed too, before the segment (the only other copy) is removed;
 *  - the segment is removed only after its dump has its name, and only when
 *    the name in /dev/shm is still the file that was read (/dev/shm is
 *    sticky: no other user can swap a file of ours).
 * Each dump gets its names table (format.h) from the binaries, which are
 * still there now (dumpout.h); a segment that does not load is saved as it
 * is, without names.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/dumpfile.h"
#include "common/names.h"
#include "common/nametab.h"
#include "dumpout.h"
#include "escape.h"
#include "gc.h"
#include "load.h"
#include "profile.h"
#include "shm.h"
#include "symbols.h"

/* Removes /dev/shm/<s->name> if it is still the file open on s->fd; 0 or -1. */
static int remove_segment(const struct shm_seg *s)
{
	struct stat now;
	int dirfd = open(PPF_SHM_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = -1;

	if (dirfd < 0)
		return -1;
	if (fstatat(dirfd, s->name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
	    now.st_dev == s->st.st_dev && now.st_ino == s->st.st_ino)
		rc = unlinkat(dirfd, s->name, 0);
	else
		errno = ESTALE;
	close(dirfd);
	return rc;
}

/* Prints "paraprof-report: " and the escaped message on `f`. */
static void say(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(FILE *f, const char *fmt, ...)
{
	char line[1400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fputs("paraprof-report: ", f);
	esc_fputs(line, f);
	fputc('\n', f);
}

/* 1 when the segment is ours: owned by our effective uid. */
static int ours(const struct shm_seg *s, int shm_dirfd)
{
	struct stat st;

	if (s->fd >= 0)
		return s->st.st_uid == geteuid();
	return fstatat(shm_dirfd, s->name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       st.st_uid == geteuid();
}

/* How many segments of the session still run (opening each). */
static size_t running_of_session(uint64_t session)
{
	struct shm_seg *segs;
	size_t n, running = 0;
	char err[128];

	if (shm_scan(0, &segs, &n, err, sizeof(err)))
		return 0;
	for (size_t i = 0; i < n; i++) {
		shm_open_seg(&segs[i], O_RDONLY);
		running += segs[i].usable && segs[i].h.session == session &&
			   segs[i].state == SHM_RUNNING;
		shm_close_seg(&segs[i]);
	}
	shm_free(segs, n);
	return running;
}

/* Fills `t` with the names of the functions of the dump in buf (len bytes,
 * 8-byte aligned), from the binaries while they are there.  A dump that
 * does not load (damaged) or memory running out leaves t empty: the dump
 * is saved all the same, without names. */
static void name_functions(const void *buf, size_t len, struct sym_cache *sc,
			   struct ppc_names *t)
{
	const struct ppf_header *h = buf;
	struct pp_profile *prof = pp_profile_new();
	char err[256];

	if (prof)
		prof->flat = 1;
	if (!prof || !sc || load_buffer(prof, buf, len, "", err, sizeof(err)) ||
	    dumpout_names(prof, sc, (const struct ppf_module *)((const char *)buf + h->module_off),
			  h->module_count, t))
		ppc_names_free(t);
	pp_profile_free(prof);
}

/* Handles one segment; returns 1 when it should have been saved and was not. */
static int gc_one(const struct gc_opts *o, struct shm_seg *s, int dirfd, int shm_dirfd, FILE *out,
		  struct sym_cache *sc)
{
	struct ppc_names names;
	const struct ppf_header *h = &s->h;
	char base[64], name[96], err[256], cmd[sizeof(h->cmdline)];
	void *buf = NULL;
	size_t len = 0;
	int snapshot = 0, failed = 0;

	ppc_names_init(&names);
	shm_open_seg(s, O_RDONLY);
	if (!ours(s, shm_dirfd))
		goto out;	/* another user's: not ours to judge */
	if (!s->usable) {
		if (!o->session)
			say(stderr, "%s: left alone: %s", s->path, s->err);
		goto out;
	}
	if (o->session && h->session != o->session)
		goto out;
	if (s->state == SHM_UNKNOWN) {
		say(stderr, "%s: left alone: a process of another pid namespace (whether it"
		    " runs cannot be told from here)", s->path);
		goto out;
	}
	if (s->state == SHM_RUNNING && !o->session)
		goto out;
	snapshot = s->state == SHM_RUNNING;
	memcpy(cmd, h->cmdline, sizeof(cmd));
	cmd[sizeof(cmd) - 1] = '\0';
	if (snapshot) {
		/* a consistent copy of what it has recorded so far */
		if (load_snapshot(s->fd, &buf, &len, err, sizeof(err))) {
			say(stderr, "%s: no snapshot of pid %" PRIu32 ": %s", s->path, s->id.pid,
			    err);
			failed = 1;
			goto out;
		}
	} else {
		/* the process is gone: its used part, as it is, is its dump */
		len = (size_t)h->used_size;
		buf = malloc(len);
		if (!buf || pread(s->fd, buf, len, 0) != (ssize_t)len) {
			say(stderr, "%s: cannot read: %s", s->path, buf ? strerror(errno) :
			    "out of memory");
			failed = 1;
			goto out;
		}
	}
	ppc_dump_stem(base, sizeof(base), snapshot ? PPC_SNAPSHOT_PREFIX : PPC_DUMP_PREFIX,
		      s->id.pid, h->exec_gen);
	name_functions(buf, len, sc, &names);
	if (ppc_names_write(dirfd, base, buf, len, &names, name, sizeof(name))) {
		say(stderr, "%s: cannot save to %s: %s; the segment stays", s->path, o->dir,
		    strerror(errno));
		failed = 1;
		goto out;
	}
	fsync(dirfd);	/* the name durable before the segment goes */
	if (snapshot) {
		say(out, "%s: pid %" PRIu32 " (%s) is still running; its profile so far is in"
		    " %s/%s", s->path, s->id.pid, cmd, o->dir, name);
	} else if (remove_segment(s) != 0) {
		say(stderr, "%s: saved as %s/%s, but cannot be removed: %s", s->path, o->dir,
		    name, strerror(errno));
		failed = 1;
	} else {
		say(out, "%s: pid %" PRIu32 " (%s) has exited; saved as %s/%s", s->path,
		    s->id.pid, cmd, o->dir, name);
	}
out:
	ppc_names_free(&names);
	free(buf);
	shm_close_seg(s);
	return failed;
}

int gc_run(const struct gc_opts *o, FILE *out, char *err, size_t errlen)
{
	struct shm_seg *segs;
	struct sym_cache *sc;
	size_t n;
	int dirfd, shm_dirfd, failed = 0;

	dirfd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		snprintf(err, errlen, "%s: %s", o->dir, strerror(errno));
		return -1;
	}
	shm_dirfd = open(PPF_SHM_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (shm_dirfd < 0) {
		snprintf(err, errlen, "%s: %s", PPF_SHM_DIR, strerror(errno));
		close(dirfd);
		return -1;
	}
	/* a process of the run that is exiting right now writes its own dump:
	 * give it a moment rather than take a snapshot of it */
	for (unsigned waited = 0; o->session && waited < o->grace_ms; waited += 20) {
		if (!running_of_session(o->session))
			break;
		nanosleep(&(struct timespec){ 0, 20 * 1000000 }, NULL);
	}
	if (shm_scan(0, &segs, &n, err, errlen)) {
		close(dirfd);
		close(shm_dirfd);
		return -1;
	}
	sc = sym_cache_new();
	for (size_t i = 0; i < n; i++)
		failed += gc_one(o, &segs[i], dirfd, shm_dirfd, out, sc);
	sym_cache_free(sc);
	shm_free(segs, n);
	close(shm_dirfd);
	close(dirfd);
	return failed;
}
