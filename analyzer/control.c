/* control.c - paraprof-report --enable, --disable, --clear
 *
 * Flips a running program's recording, or clears its statistics, from
 * outside: the same atomic steps on the live segment's header as
 * paraprof_enable(), paraprof_disable() and paraprof_clear_stats() take
 * inside the program (common/control.h, the protocol of
 * include/paraprof/format.h).  The segment is the one of the running
 * process among /dev/shm/paraprof.<pid>.* (shm.h: opened without following
 * links or blocking, checked as a segment); only its header is mapped,
 * read-write.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/control.h"
#include "common/names.h"
#include "control.h"
#include "paraprof/format.h"
#include "shm.h"

int control_pid(pid_t pid, enum control_op op, char *err, size_t errlen)
{
	struct shm_seg *segs;
	struct ppf_header *h;
	size_t n;
	/* O_RDWR: a segment we may not write is not one we can steer */
	long k = shm_find_running((uint32_t)pid, O_RDWR, &segs, &n, err, errlen);

	if (k < 0)
		return -1;
	h = mmap(NULL, sizeof(*h), PROT_READ | PROT_WRITE, MAP_SHARED, segs[k].fd, 0);
	if (h == MAP_FAILED) {
		snprintf(err, errlen, "cannot map %s: %s", segs[k].path, strerror(errno));
		shm_free(segs, n);
		return -1;
	}
	shm_free(segs, n);
	switch (op) {
	case CONTROL_ENABLE:
		ppc_control_enable(h);
		break;
	case CONTROL_DISABLE:
		ppc_control_disable(h);
		break;
	case CONTROL_CLEAR:
		ppc_control_clear(h);
		break;
	}
	munmap(h, sizeof(*h));
	return 0;
}
