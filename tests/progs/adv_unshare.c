/* adv_unshare.c - calls f() (the library makes its segment and starts its
 * memory sampling), then unshare(CLONE_NEWUSER), which the kernel refuses
 * (EINVAL) to a multi-threaded process, then f() again.  Prints "unshare
 * ok" or "unshare: <error>" and the number of threads it has. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "../threads.h"

static volatile int sink;

void f(void);
void f(void) { sink++; }

int main(void)
{
	int n;

	f();
	n = proc_thread_count();
	if (unshare(CLONE_NEWUSER) == 0)
		printf("unshare ok\n");
	else
		printf("unshare: %s\n", strerror(errno));
	printf("threads %d\n", n);
	f();
	return 0;
}
