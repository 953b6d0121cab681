/* dumpfile.c - writing a dump: never over a file, never through a link
 *
 * See dumpfile.h.  Only system calls that are async-signal-safe, and the
 * name builders of names.c (which use no stdio): the library calls this in
 * a signal handler and in a child after fork, where malloc or stdio could
 * deadlock on a lock the interrupted code holds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>		/* renameat() only: no stdio stream is used */
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "dumpfile.h"
#include "names.h"

#define TEMP_TRIES 100		/* temporary names tried before giving up */

/* A name for a temporary file nobody can guess: .paraprof.<pid>.<random>.tmp
 * (a dot first: no glob of dumps takes it; ppc_dump_kind() refuses it). */
static void temp_name(char *buf, size_t len)
{
	struct ppc_buf b = { buf, len, 0 };
	uint64_t r = 0;

	/* GRND_NONBLOCK: a signal handler at exit must not wait for entropy;
	 * nor is the host's rand() state touched */
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
		/* no entropy yet (early boot): O_EXCL still makes it safe */
		static uint64_t counter;
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		r = ((uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec) *
			    0x9e3779b97f4a7c15ull ^ (uintptr_t)&r ^
		    __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
	}
	ppc_buf_str(&b, ".paraprof.");
	ppc_buf_num(&b, (uint64_t)getpid());
	ppc_buf_str(&b, ".");
	ppc_buf_hex(&b, r);
	ppc_buf_str(&b, ".tmp");
}

/*
 * rename() that fails with EEXIST rather than replace `to`.  Where the
 * filesystem does not do that (EINVAL) or the kernel is older (ENOSYS), a
 * hard link and an unlink do the same.  Where there are no hard links
 * either (EPERM, EOPNOTSUPP), `to` is first made as an empty file of ours
 * (O_EXCL: EEXIST when taken) and then replaced: whatever another user
 * might put in its place meanwhile is replaced, never followed.  The system
 * call rather than glibc's renameat2(): that wrapper is younger (2.28) than
 * some libcs the library is preloaded into.
 */
static int rename_noreplace(int dirfd, const char *from, const char *to)
{
	long rc = -1;
	int fd;

#ifdef SYS_renameat2
	rc = syscall(SYS_renameat2, dirfd, from, dirfd, to, 1 /* RENAME_NOREPLACE */);
#else
	errno = ENOSYS;
#endif
	if (rc == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	if (linkat(dirfd, from, dirfd, to, 0) == 0) {
		unlinkat(dirfd, from, 0);
		return 0;
	}
	if (errno != EPERM && errno != EOPNOTSUPP && errno != ENOSYS)
		return -1;
	fd = openat(dirfd, to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	close(fd);
	return renameat(dirfd, from, dirfd, to);
}

int ppc_write_all(int fd, const void *data, uint64_t len)
{
	const char *buf = data;
	uint64_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = ENOSPC;
			return -1;
		}
		done += (uint64_t)n;
	}
	return 0;
}

int ppc_dump_write(int dirfd, const char *stem, const void *buf, uint64_t len, char *name,
		   size_t namelen)
{
	struct ppc_part part = { buf, len };

	return ppc_dump_writev(dirfd, stem, &part, 1, name, namelen);
}

int ppc_dump_writev(int dirfd, const char *stem, const struct ppc_part *parts, unsigned nparts,
		    char *name, size_t namelen)
{
	int failed = 0;

	char tmp[64];
	int fd = -1, err;

	/* a name cut short would be a name nobody asked for */
	if (strlen(stem) + PPC_DUMP_NAME_EXTRA > namelen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (int tries = 0; tries < TEMP_TRIES && fd < 0; tries++) {
		temp_name(tmp, sizeof(tmp));
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			return -1;
	}
	if (fd < 0) {
		errno = EEXIST;
		return -1;
	}
	/* fsync: EINVAL and EROFS say the file cannot be synced (a special file
	 * system), not that the data did not go */
	for (unsigned i = 0; i < nparts && !failed; i++)
		failed = ppc_write_all(fd, parts[i].buf, parts[i].len) < 0;
	if (failed || (fsync(fd) < 0 && errno != EINVAL && errno != EROFS)) {
		err = errno;
		close(fd);
		goto fail;
	}
	if (close(fd) < 0) {
		err = errno;
		goto fail;
	}
	for (unsigned n = 0; n < PPC_DUMP_TRIES; n++) {
		ppc_dump_file(name, namelen, stem, n);
		if (rename_noreplace(dirfd, tmp, name) == 0)
			return 0;
		if (errno != EEXIST) {
			err = errno;
			goto fail;
		}
	}
	err = EEXIST;
fail:
	unlinkat(dirfd, tmp, 0);
	errno = err;
	return -1;
}
