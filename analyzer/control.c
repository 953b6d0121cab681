/* control.c - paraprof-report --enable, --disable, --clear
 *
 * Flips a running program's recording, or clears its statistics, from
 * outside: the same atomic steps on the live segment's header as
 * paraprof_enable(), paraprof_disable() and paraprof_clear_stats() take
 * inside the program (the protocol is in include/paraprof/format.h).  Only
 * the header is mapped, read-write, and only after its magic and version
 * are checked.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control.h"
#include "paraprof/format.h"

int control_pid(pid_t pid, enum control_op op, char *err, size_t errlen)
{
	char name[64];
	struct ppf_header *h;
	struct stat st;
	int fd, rc = -1;

	snprintf(name, sizeof(name), "/paraprof.%ld", (long)pid);
	fd = shm_open(name, O_RDWR | O_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "no profile at /dev/shm%s: %s", name, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_size < sizeof(*h)) {
		snprintf(err, errlen, "/dev/shm%s is too short for a paraprof segment", name);
		close(fd);
		return -1;
	}
	h = mmap(NULL, sizeof(*h), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (h == MAP_FAILED) {
		snprintf(err, errlen, "cannot map /dev/shm%s: %s", name, strerror(errno));
		return -1;
	}
	if (memcmp(h->magic, PPF_MAGIC, PPF_MAGIC_LEN) || h->version != PPF_VERSION ||
	    h->header_size != sizeof(*h)) {
		snprintf(err, errlen, "/dev/shm%s is not a paraprof segment of version %d", name,
			 PPF_VERSION);
		goto out;
	}
	if (kill(pid, 0) < 0 && errno == ESRCH) {
		snprintf(err, errlen, "the process is not running (its profile stays readable)");
		goto out;
	}
	switch (op) {
	case CONTROL_ENABLE:
		__atomic_fetch_add(&h->enable_gen, 1, __ATOMIC_RELEASE);
		__atomic_fetch_or(&h->flags, PPF_FLAG_ENABLED, __ATOMIC_RELEASE);
		__atomic_fetch_add(&h->flags, PPF_FLAG_EPOCH_ONE, __ATOMIC_RELEASE);
		break;
	case CONTROL_DISABLE:
		__atomic_fetch_and(&h->flags, ~PPF_FLAG_ENABLED, __ATOMIC_RELEASE);
		break;
	case CONTROL_CLEAR:
		__atomic_fetch_add(&h->clear_gen, 1, __ATOMIC_RELEASE);
		__atomic_fetch_add(&h->flags, PPF_FLAG_EPOCH_ONE, __ATOMIC_RELEASE);
		break;
	}
	rc = 0;
out:
	munmap(h, sizeof(*h));
	return rc;
}
