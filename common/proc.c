/* proc.c - what /proc says of a process: its start time, its pid namespace
 *
 * See proc.h.  No stdio: the library calls this at its start and after a
 * fork, where only plain system calls are safe.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc.h"

uint64_t ppc_proc_start_ticks(uint32_t pid)
{
	char path[32] = "/proc/self/stat", buf[1024], *p;
	ssize_t n;
	int fd;

	if (pid) {
		/* "/proc/" <pid> "/stat", the digits written backwards first */
		char digits[10];
		size_t nd = 0, len = 6;

		while (pid) {
			digits[nd++] = (char)('0' + pid % 10);
			pid /= 10;
		}
		while (nd)
			path[len++] = digits[--nd];
		memcpy(path + len, "/stat", sizeof("/stat"));
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* the command name (field 2) may hold anything, ')' included: the
	 * fields after it start after the last ')' */
	p = strrchr(buf, ')');
	/* after ") " come fields 3 (state) to 52; starttime is field 22 */
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	return p ? strtoull(p + 1, NULL, 10) : 0;
}

uint64_t ppc_pidns_ino(void)
{
	struct stat st;

	return stat("/proc/self/ns/pid", &st) == 0 ? (uint64_t)st.st_ino : 0;
}
