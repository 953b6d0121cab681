/* threads.h - how many threads this process has, as /proc/self/task lists
 *
 * Header-only, for the test programs (tests/progs/, each built alone) and
 * the unit tests alike: both check that the library starts no thread of its
 * own.
 */
#ifndef PARAPROF_TESTS_THREADS_H
#define PARAPROF_TESTS_THREADS_H

#include <dirent.h>

/* The threads of this process; -1 when /proc/self/task cannot be read. */
static inline int proc_thread_count(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

#endif /* PARAPROF_TESTS_THREADS_H */
