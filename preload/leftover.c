/* leftover.c - the segment's name, and what an earlier process left under it
 *
 * The segment is /dev/shm/paraprof.<pid>.<pidns>.<start> (PPF_SEGMENT_FMT).
 * A file may already have that name: the segment of the program this
 * process ran before it exec'ed, or of a dead process whose pid, namespace
 * and start this one has.  Such a leftover is saved as a dump, then
 * replaced, but only when it is ours beyond doubt (see save_leftover);
 * anything else is left alone and the segment takes the name with "-1",
 * "-2"... appended (at most NAME_TRIES names).  Nothing is ever written
 * through a name: the segment's file is made O_CREAT|O_EXCL|O_NOFOLLOW.
 *
 * The state here (the exec generation, the first suffix to try, whether the
 * foreign file was named) lives for the process image; a child after fork
 * starts again from the first name (seg_leftover_forget).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "common/names.h"
#include "common/proc.h"

#define NAME_TRIES 100			/* segment names "-1" ... "-99" */

static int next_gen;		/* exec generation of the segment to make */
static unsigned next_suffix;	/* the "-<n>" of the name to try first */
static int said_foreign;	/* the one line about a foreign file is said */

struct seg_identity seg_identify(void)
{
	struct seg_identity me = { (uint32_t)getpid(), ppc_pidns_ino(), ppc_proc_start_ticks(0) };

	return me;
}

/* What save_leftover() found under a name. */
enum leftover {
	LEFT_NONE,	/* no file: the name is free */
	LEFT_SAVED,	/* ours, saved as a dump and removed: the name is free */
	LEFT_KEPT,	/* ours, but it could not be saved: it stays */
	LEFT_FOREIGN,	/* not ours (or not a segment): left alone */
};

/*
 * A file exists under segment name `name`.  Either this process ran a
 * program before it exec'ed (the segment's proc_start_ticks are ours), or a
 * process that died without its dump had our name (kill -9, a crash, with
 * /proc unreadable so that the start time did not tell them apart).  Either
 * way its data is saved as a dump before the segment is replaced, so nothing
 * recorded is lost: an earlier program of this process as
 * paraprof.<pid>[.<gen>].ppd, and a dead process's as
 * paraprof-stale.<pid>.<start>.ppd, a name that matches no glob of this
 * process's dumps, so that nobody merges it with them by mistake.
 *
 * Only a file that is ours beyond doubt is read: opened O_NOFOLLOW|O_NONBLOCK
 * (a symlink or a FIFO is refused, nothing blocks), a regular file of our
 * euid, mode 0600, with a header whose used size is within the file and
 * backed by allocated blocks (a sparse file claiming gigabytes is not
 * copied).  `why` says what was wrong with a foreign file.  `gen` gets the
 * exec generation of the segment to make (0 for a dead process's leftover).
 */
static enum leftover save_leftover(const char *name, int *gen, const char **why)
{
	char path[128], stem[96], used[sizeof(env.output) + 128];
	struct stat st;
	struct ppf_header hdr, *h;
	void *map;
	int fd, stale, saved;

	seg_shm_path(path, sizeof(path), name);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return LEFT_NONE;
		*why = errno == ELOOP ? "a symbolic link" : "not readable";
		return LEFT_FOREIGN;
	}
	*why = NULL;
	if (fstat(fd, &st) < 0)
		*why = "not readable";
	else if (!S_ISREG(st.st_mode))
		*why = "not a regular file";
	else if (st.st_uid != geteuid())
		*why = "owned by another user";
	else if ((st.st_mode & 07777) != 0600)
		*why = "not of mode 0600";
	else if ((uint64_t)st.st_size < sizeof(hdr) ||
		 pread(fd, &hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr) ||
		 memcmp(hdr.magic, PPF_MAGIC, PPF_MAGIC_LEN) != 0 || hdr.used_size < sizeof(hdr))
		*why = "not a paraprof segment";
	else if (hdr.used_size > (uint64_t)st.st_size ||
		 (uint64_t)st.st_blocks * 512 < hdr.used_size)
		*why = "of a used size that the file does not hold";
	if (*why) {
		close(fd);
		return LEFT_FOREIGN;
	}
	/* a private copy: the EXEC flag is set in the dump, not in the file */
	map = mmap(NULL, (size_t)hdr.used_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		*why = "not mappable";
		return LEFT_FOREIGN;
	}
	h = map;
	stale = !h->proc_start_ticks || h->proc_start_ticks != ppc_proc_start_ticks(0);
	if (stale) {
		ppc_dump_stem(stem, sizeof(stem), PPC_STALE_PREFIX, h->pid,
			      h->start_realtime_ns / 1000000000u);
	} else {
		seg_dump_stem(stem, sizeof(stem), h);
		/* a program that exec'ed: say so in its dump */
		h->flags |= PPF_FLAG_EXEC;
	}
	/* the size checked above and mapped, whatever the header says now */
	saved = seg_write_dump(map, hdr.used_size, stem, NULL, used, sizeof(used)) == 0;
	if (!saved) {
		env_warn("cannot save the earlier profile %s to %s/%s%s: %s", path, env.output,
			 stem, PPF_DUMP_SUFFIX, strerror(errno));
	} else if (stale) {
		env_warn("the profile that an earlier process %u left in %s is saved as %s",
			 h->pid, path, used);
	} else {
		seg_say_renamed(stem, used);
	}
	*gen = stale ? 0 : (int)h->exec_gen + 1;
	munmap(map, (size_t)hdr.used_size);
	if (!saved)
		return LEFT_KEPT;
	unlink(path);
	return LEFT_SAVED;
}

/*
 * Finds the name for our segment: the first of PPF_SEGMENT_FMT, then with
 * "-1", "-2"... that is free or holds a leftover of ours that could be saved
 * (see save_leftover).  Leaves it in `name` (SEG_NAME_MAX bytes) and returns
 * 0, or -1 after one line on stderr when none of NAME_TRIES names could be
 * had.
 */
static int pick_name(const struct seg_identity *me, char *name)
{
	char first[SEG_NAME_MAX], foreign[SEG_NAME_MAX] = "";
	const char *foreign_why = NULL;

	ppc_segment_name(first, sizeof(first), me->pid, me->pidns, me->start, 0);
	for (unsigned n = next_suffix; n < NAME_TRIES; n++) {
		const char *why = NULL;
		int gen = 0;

		ppc_segment_name(name, SEG_NAME_MAX, me->pid, me->pidns, me->start, n);
		switch (save_leftover(name, &gen, &why)) {
		case LEFT_SAVED:
			if (gen > 0)
				next_gen = gen;
			/* fall through */
		case LEFT_NONE:
			next_suffix = n;
			if (foreign_why && !said_foreign) {
				said_foreign = 1;
				env_warn("%s%s exists and is %s: left alone; this process uses %s%s",
					 PPF_SHM_DIR, foreign, foreign_why, PPF_SHM_DIR, name);
			}
			return 0;
		case LEFT_KEPT:
			if (gen > 0)
				next_gen = gen;
			continue;
		case LEFT_FOREIGN:
			if (!foreign_why) {
				foreign_why = why;
				memcpy(foreign, name, sizeof(foreign));
			}
			continue;
		}
	}
	env_warn("%s%s and the %d names after it are taken; profiling is off", PPF_SHM_DIR,
		 first, NAME_TRIES - 1);
	return -1;
}

int seg_open_new(const struct seg_identity *me, char *name)
{
	char path[128];
	int fd = -1;

	for (int tries = 0; fd < 0 && tries < NAME_TRIES; tries++) {
		if (pick_name(me, name) < 0)
			return -1;
		seg_shm_path(path, sizeof(path), name);
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			break;
		if (fd < 0)
			next_suffix++;	/* made since pick_name looked: not ours */
	}
	if (fd < 0)
		env_warn("cannot create %s: %s; profiling is off", path, strerror(errno));
	return fd;
}

int seg_exec_gen(void)
{
	return next_gen;
}

void seg_adopt_leftover(void)
{
	struct seg_identity me;
	char name[SEG_NAME_MAX];

	if (env.secure)
		return;
	me = seg_identify();
	pick_name(&me, name);
}

void seg_leftover_forget(void)
{
	next_suffix = 0;
	said_foreign = 0;
}
