/* load.c - reading dumps and live segments into a profile
 *
 * The entry points of load.h: a dump file is mapped (or a buffer copied
 * when it is not 8-byte aligned, as the records are read in place), a live
 * segment is found among /dev/shm's and copied consistently (load_live.c),
 * and either is then checked (load_check.c) and merged (load_merge.c).
 * load_priv.h lists the parts.  Also --list, which names the segments
 * without loading them.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/names.h"
#include "escape.h"
#include "load.h"
#include "load_priv.h"
#include "profile.h"
#include "shm.h"

/* Validates and merges an 8-byte-aligned buffer. */
static int load_aligned(struct pp_profile *prof, const unsigned char *buf, size_t len,
			const char *name, int live, char *err, size_t errlen)
{
	struct load_dump d = { .buf = buf, .err = err, .errlen = errlen };

	if (load_check_header(&d, len))
		return -1;
	return load_merge_dump(&d, prof, name, live);
}

int load_buffer(struct pp_profile *prof, const void *buf, size_t len, const char *name,
		char *err, size_t errlen)
{
	if (((uintptr_t)buf & 7) == 0)
		return load_aligned(prof, buf, len, name, 0, err, errlen);

	/* The records are read in place, so they must be aligned. */
	void *copy = malloc(len ? len : 1);

	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(copy, buf, len);
	int rc = load_aligned(prof, copy, len, name, 0, err, errlen);

	free(copy);
	return rc;
}

int load_file(struct pp_profile *prof, const char *path, char *err, size_t errlen)
{
	struct stat st;
	/* O_NONBLOCK: a FIFO named as a dump is refused, not waited on */
	int fd = shm_open_regular(AT_FDCWD, path, O_RDONLY, 0, &st, err, errlen);

	if (fd < 0)
		return -1;
	if (st.st_size == 0) {
		close(fd);
		snprintf(err, errlen, "empty file (not a paraprof dump)");
		return -1;
	}
	size_t len = (size_t)st.st_size;
	/* MAP_POPULATE: the kernel maps the cached pages in one go instead of
	 * taking a fault per page (a 2.7 GiB dump is 700,000 pages).  Not for
	 * a sparse file: its holes would be populated too, gigabytes of them
	 * for a hostile one; there only the pages validation reaches are read. */
	int populate = (uint64_t)st.st_blocks * 512 >= (uint64_t)st.st_size ? MAP_POPULATE : 0;
	void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE | populate, fd, 0);

	close(fd);
	if (map == MAP_FAILED) {
		snprintf(err, errlen, "cannot map: %s", strerror(errno));
		return -1;
	}
	int rc = load_aligned(prof, map, len, path, 0, err, errlen);

	munmap(map, len);
	return rc;
}

/* The names of the live threads of the copy `copy` (checked into d) as the
 * kernel has them now: a thread that another thread named
 * (pthread_setname_np on it) has the new name in /proc only, its area the
 * old one until it names itself or exits.  Only for a process of our pid
 * namespace that still runs (its thread ids are ours to look up); a name
 * that cannot be read stays as it was. */
static void live_names(const struct load_dump *d, unsigned char *copy)
{
	const struct ppf_header *h = d->h;
	struct ppf_thread *thr = (struct ppf_thread *)(copy + h->thread_off);

	if (shm_process_state(h->pid, h->pidns_ino, h->proc_start_ticks) != SHM_RUNNING)
		return;
	for (uint32_t i = 1; i < h->thread_count; i++) {
		char path[64], name[sizeof(thr[i].name)];
		ssize_t n;
		int fd;

		if (thr[i].state != PPF_THREAD_ACTIVE)
			continue;
		snprintf(path, sizeof(path), "/proc/%" PRIu32 "/task/%" PRIu32 "/comm", h->pid,
			 thr[i].tid);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		n = read(fd, name, sizeof(name) - 1);
		close(fd);
		if (n <= 0)
			continue;
		if (name[n - 1] == '\n')
			n--;
		memset(thr[i].name, 0, sizeof(thr[i].name));
		memcpy(thr[i].name, name, (size_t)n);
	}
}

/* Reads the live segment open on `fd` (at `path`) as load_pid() says. */
static int load_live(struct pp_profile *prof, int fd, const char *path, char *err,
		     size_t errlen)
{
	struct load_dump d = { .err = err, .errlen = errlen };
	unsigned char *copy;
	uint64_t used;
	int rc;

	if (load_live_copy(&d, fd, &copy, &used))
		return -1;
	if (prof->per_thread || prof->thread_select)
		live_names(&d, copy);
	rc = load_merge_dump(&d, prof, path, 1);
	free(copy);
	return rc;
}

int load_fd(struct pp_profile *prof, int fd, const char *path, char *err, size_t errlen)
{
	return load_live(prof, fd, path, err, errlen);
}

int load_snapshot(int fd, void **buf, size_t *len, char *err, size_t errlen)
{
	struct load_dump d = { .err = err, .errlen = errlen };
	unsigned char *copy;
	uint64_t used;

	*buf = NULL;
	*len = 0;
	if (load_live_copy(&d, fd, &copy, &used))
		return -1;
	*buf = copy;
	*len = (size_t)used;
	return 0;
}

int load_pid(struct pp_profile *prof, pid_t pid, struct load_source *src, char *err,
	     size_t errlen)
{
	struct shm_seg *segs;
	size_t n;
	long k;
	int fd, rc;

	ppc_segment_glob(src->path, sizeof(src->path), (long)pid);
	src->note[0] = '\0';
	if (shm_scan((uint32_t)pid, &segs, &n, err, errlen))
		return -1;
	if (!n) {
		snprintf(err, errlen, "no segment for pid %ld", (long)pid);
		free(segs);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		shm_open_seg(&segs[i], O_RDONLY);
	k = shm_choose(segs, n, 0, src->note, sizeof(src->note));
	if (k < 0) {
		/* none can be read: say why of the first, name the others */
		snprintf(src->path, sizeof(src->path), "%s", segs[0].path);
		snprintf(err, errlen, "%s", segs[0].err);
		shm_choose(segs + 1, n - 1, 0, src->note, sizeof(src->note));
		shm_free(segs, n);
		return -1;
	}
	snprintf(src->path, sizeof(src->path), "%s", segs[k].path);
	fd = segs[k].fd;
	segs[k].fd = -1;
	shm_free(segs, n);
	rc = load_live(prof, fd, src->path, err, errlen);
	close(fd);
	return rc;
}

/* ---- --list ---- */

int load_list(FILE *out, char *err, size_t errlen)
{
	struct shm_seg *segs;
	size_t n;

	if (shm_scan(0, &segs, &n, err, errlen))
		return -1;
	fprintf(out, "%-8s %-8s %-9s %10s  %-40s %s\n", "PID", "PROCESS", "STATE", "SIZE",
		"SEGMENT", "COMMAND");
	for (size_t i = 0; i < n; i++) {
		struct shm_seg *s = &segs[i];
		struct ppf_header *h = &s->h;
		const char *state = "?";

		shm_open_seg(s, O_RDONLY);
		shm_close_seg(s);
		if (s->usable)
			state = h->flags & PPF_FLAG_COMPLETE ? "complete" :
				h->flags & PPF_FLAG_ENABLED ? "recording" : "disabled";
		fprintf(out, "%-8" PRIu32 " %-8s %-9s %10" PRIu64 "  %-40s ", s->id.pid,
			shm_state_name(s->state), state, s->usable ? h->used_size : 0, s->name);
		if (s->usable) {
			h->cmdline[sizeof(h->cmdline) - 1] = '\0';
			esc_fputs(h->cmdline, out);
		} else {
			fprintf(out, "(%s)", s->err);
		}
		fputc('\n', out);
	}
	shm_free(segs, n);
	return (int)n;
}
