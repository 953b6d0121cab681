/* adv_setuid.c - calls f() 10 times and prints its pid, its euid and what
 * paraprof_is_enabled() says (1, or -38 = PARAPROF_ENOSYS when profiling is
 * off).  runtime_setuid.sh links it with -lparaprof and makes it setuid. */
#include <stdio.h>
#include <unistd.h>

#include "paraprof.h"

static volatile int sink;

void f(void);
void f(void) { sink++; }

int main(void)
{
	for (int i = 0; i < 10; i++)
		f();
	printf("pid %d euid %d profiling %d\n", (int)getpid(), (int)geteuid(),
	       paraprof_is_enabled());
	return 0;
}
