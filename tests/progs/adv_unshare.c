/* adv_unshare.c - calls f() (the library makes its segment and starts its
 * memory sampling), then unshare(CLONE_NEWUSER), which the kernel refuses
 * (EINVAL) to a multi-threaded process, then f() again.  Prints "unshare
 * ok" or "unshare: <error>" and the number of threads it has. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

static volatile int sink;

void f(void);
void f(void) { sink++; }

static int threads(void)
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

int main(void)
{
	int n;

	f();
	n = threads();
	if (unshare(CLONE_NEWUSER) == 0)
		printf("unshare ok\n");
	else
		printf("unshare: %s\n", strerror(errno));
	printf("threads %d\n", n);
	f();
	return 0;
}
