/* shm.c - the segments in /dev/shm: names, safe opening, liveness
 *
 * See shm.h for the rules.  Nothing here maps or reads more than a header;
 * the callers (load.c, load_live.c, control.c, gc.c) do that with the
 * descriptor opened here, after the checks passed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/names.h"
#include "common/proc.h"
#include "shm.h"

const char *shm_state_name(enum shm_state s)
{
	return s == SHM_RUNNING ? "running" : s == SHM_GONE ? "gone" : "unknown";
}

/* The inode of our pid namespace, 0 when unknown. */
static uint64_t own_pidns(void)
{
	static uint64_t ino;
	static int done;

	if (!done) {
		done = 1;
		ino = ppc_pidns_ino();
	}
	return ino;
}

enum shm_state shm_process_state(uint32_t pid, uint64_t pidns, uint64_t start)
{
	uint64_t ours = own_pidns();

	/* /proc/<pid> is the pid of our namespace, not the segment's */
	if (pidns && ours && pidns != ours)
		return SHM_UNKNOWN;
	if (!start)
		return kill((pid_t)pid, 0) == 0 || errno == EPERM ? SHM_RUNNING : SHM_GONE;
	return ppc_proc_start_ticks(pid) == start ? SHM_RUNNING : SHM_GONE;
}

int shm_open_regular(int dirfd, const char *name, int flags, int nofollow, struct stat *st,
		     char *err, size_t errlen)
{
	int fd = openat(dirfd, name, flags | O_NONBLOCK | O_CLOEXEC | O_NOCTTY |
			(nofollow ? O_NOFOLLOW : 0));

	if (fd < 0) {
		int e = errno;
		struct stat lst;

		/* O_NOFOLLOW says ELOOP for a symbolic link: say what it is */
		if (nofollow && e == ELOOP && fstatat(dirfd, name, &lst, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISLNK(lst.st_mode))
			snprintf(err, errlen, "not a regular file (a symbolic link, not followed)");
		else if (e == ENXIO)	/* a FIFO opened for writing, a socket */
			snprintf(err, errlen, "not a regular file");
		else
			snprintf(err, errlen, "%s", strerror(e));
		return -1;
	}
	if (fstat(fd, st) != 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		snprintf(err, errlen, "not a regular file");
		close(fd);
		return -1;
	}
	return fd;
}

int shm_check_backed(uint64_t used, const struct stat *st, char *err, size_t errlen)
{
	uint64_t size = (uint64_t)st->st_size, held = (uint64_t)st->st_blocks * 512;

	if (used > size) {
		snprintf(err, errlen, "truncated: %" PRIu64 " bytes, the header says %" PRIu64,
			 size, used);
		return -1;
	}
	if (used > held && used - held > SHM_BACKING_SLACK) {
		snprintf(err, errlen, "sparse: the header says %" PRIu64 " bytes are in use, but"
			 " the file holds %" PRIu64 " (a damaged or planted file)", used, held);
		return -1;
	}
	return 0;
}

static int cmp_seg(const void *a, const void *b)
{
	return strcmp(((const struct shm_seg *)a)->name, ((const struct shm_seg *)b)->name);
}

int shm_scan(uint32_t pid, struct shm_seg **segs, size_t *n, char *err, size_t errlen)
{
	DIR *dir = opendir(PPF_SHM_DIR);
	struct shm_seg *list = NULL;
	size_t count = 0, cap = 0;
	struct dirent *de;

	*segs = NULL;
	*n = 0;
	if (!dir) {
		snprintf(err, errlen, "%s: %s", PPF_SHM_DIR, strerror(errno));
		return -1;
	}
	while ((de = readdir(dir))) {
		struct ppc_segment_id id;

		if (!ppc_segment_parse(de->d_name, &id) || (pid && id.pid != pid))
			continue;
		if (count == cap) {
			struct shm_seg *bigger = realloc(list, (cap = cap ? 2 * cap : 8) * sizeof(*list));

			if (!bigger) {
				free(list);
				closedir(dir);
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			list = bigger;
		}
		struct shm_seg *s = &list[count++];

		memset(s, 0, sizeof(*s));
		snprintf(s->name, sizeof(s->name), "%s", de->d_name);
		snprintf(s->path, sizeof(s->path), "%s/%s", PPF_SHM_DIR, de->d_name);
		s->id = id;
		s->fd = -1;
		s->state = SHM_UNKNOWN;
	}
	closedir(dir);
	if (count)
		qsort(list, count, sizeof(*list), cmp_seg);
	*segs = list;
	*n = count;
	return 0;
}

void shm_open_seg(struct shm_seg *s, int flags)
{
	struct ppf_header *h = &s->h;
	int dirfd = open(PPF_SHM_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	shm_close_seg(s);
	s->usable = 0;
	s->err[0] = '\0';
	memset(h, 0, sizeof(*h));
	/* what the name says, until the header says more */
	s->start = s->id.start;
	s->state = shm_process_state(s->id.pid, s->id.pidns, s->id.start);
	if (dirfd < 0) {
		snprintf(s->err, sizeof(s->err), "%s", strerror(errno));
		return;
	}
	s->fd = shm_open_regular(dirfd, s->name, flags, 1, &s->st, s->err, sizeof(s->err));
	close(dirfd);
	if (s->fd < 0)
		return;
	ssize_t got = pread(s->fd, h, sizeof(*h), 0);

	if (got < 0) {
		snprintf(s->err, sizeof(s->err), "%s", strerror(errno));
		return;
	}
	if ((size_t)got < PPF_MAGIC_LEN || memcmp(h->magic, PPF_MAGIC, PPF_MAGIC_LEN) != 0) {
		snprintf(s->err, sizeof(s->err), "not a paraprof segment (bad magic)");
		return;
	}
	if ((size_t)got < sizeof(*h)) {
		snprintf(s->err, sizeof(s->err), "truncated: %zd bytes, the header needs %zu", got,
			 sizeof(*h));
		return;
	}
	if (h->version < PPF_VERSION_MIN || h->version > PPF_VERSION) {
		snprintf(s->err, sizeof(s->err), "unsupported format version %" PRIu32
			 " (this paraprof reads %d to %d)", h->version, PPF_VERSION_MIN, PPF_VERSION);
		return;
	}
	if (h->header_size != sizeof(*h) || h->used_size < sizeof(*h)) {
		snprintf(s->err, sizeof(s->err), "not a paraprof segment (header_size %" PRIu32
			 ", used_size %" PRIu64 ")", h->header_size, h->used_size);
		return;
	}
	if (h->pid != s->id.pid) {
		snprintf(s->err, sizeof(s->err), "its header says pid %" PRIu32 ", its name %" PRIu32,
			 h->pid, s->id.pid);
		return;
	}
	if (shm_check_backed(h->used_size, &s->st, s->err, sizeof(s->err)))
		return;
	s->start = s->id.start ? s->id.start : h->proc_start_ticks;
	s->state = shm_process_state(s->id.pid, s->id.pidns ? s->id.pidns : h->pidns_ino,
				     s->start);
	s->usable = 1;
}

void shm_close_seg(struct shm_seg *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

void shm_free(struct shm_seg *segs, size_t n)
{
	for (size_t i = 0; segs && i < n; i++)
		shm_close_seg(&segs[i]);
	free(segs);
}

long shm_choose(const struct shm_seg *segs, size_t n, int live_only, char *note,
		size_t notelen)
{
	long best = -1;
	size_t at = 0;

	for (size_t i = 0; i < n; i++) {
		const struct shm_seg *s = &segs[i];

		if (!s->usable)
			continue;
		if (s->state == SHM_RUNNING) {
			if (best < 0 || segs[best].state != SHM_RUNNING)
				best = (long)i;
		} else if (!live_only && (best < 0 || (segs[best].state != SHM_RUNNING &&
				s->h.start_realtime_ns > segs[best].h.start_realtime_ns))) {
			best = (long)i;
		}
	}
	if (notelen)
		note[0] = '\0';
	for (size_t i = 0; i < n && notelen; i++) {
		const struct shm_seg *s = &segs[i];
		int w;

		if ((long)i == best)
			continue;
		w = snprintf(note + at, notelen - at, "%s%s (%s)", at ? ", " : "also ", s->path,
			     s->usable ? shm_state_name(s->state) : s->err);
		if (w < 0 || (size_t)w >= notelen - at) {
			note[at] = '\0';	/* cut at a whole item */
			break;
		}
		at += (size_t)w;
	}
	return best;
}

long shm_find_running(uint32_t pid, int oflags, struct shm_seg **segs, size_t *n, char *err,
		      size_t errlen)
{
	char note[512];
	long k;

	if (shm_scan(pid, segs, n, err, errlen))
		return -1;
	if (!*n) {
		char glob[64];

		ppc_segment_glob(glob, sizeof(glob), (long)pid);
		snprintf(err, errlen, "no profile at %s: no such segment", glob);
		free(*segs);
		*segs = NULL;
		return -1;
	}
	for (size_t i = 0; i < *n; i++)
		shm_open_seg(&(*segs)[i], oflags);
	k = shm_choose(*segs, *n, 1, note, sizeof(note));
	if (k < 0) {
		long any = shm_choose(*segs, *n, 0, note, sizeof(note));

		if (any >= 0)
			snprintf(err, errlen, "the process is not running (its profile stays"
				 " readable in %s)", (*segs)[any].path);
		else
			snprintf(err, errlen, "no profile at %s: %s", (*segs)[0].path,
				 (*segs)[0].err);
		shm_free(*segs, *n);
		*segs = NULL;
		*n = 0;
	}
	return k;
}
