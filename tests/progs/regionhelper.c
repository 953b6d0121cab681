/* regionhelper.c - PARAPROF_REGION in a program built with
 * -finstrument-functions (issue 9, item 14): the macro's inline cleanup
 * helper must not be profiled as a function of the program.
 *
 * work(i) x1000 times a region "step" around a call of leaf(); every 2nd
 * call also a nested region "inner" around another leaf(); main has a
 * region "outer" around the whole loop (one call).  Counts: work 1000,
 * leaf 1500, step 1000, inner 500, outer 1.  Not linked with -lparaprof:
 * the header's weak references find the preloaded library.
 */
#include <paraprof.h>
#include <stdio.h>

static volatile long sink;

void leaf(void);
void work(int i);

void __attribute__((noinline)) leaf(void)
{
	sink++;
}

void __attribute__((noinline)) work(int i)
{
	PARAPROF_REGION("step");

	leaf();
	if (i % 2 == 0) {
		PARAPROF_REGION("inner");

		leaf();
	}
}

int main(void)
{
	{
		PARAPROF_REGION("outer");

		for (int i = 0; i < 1000; i++)
			work(i);
	}
	printf("%ld\n", sink);
	return 0;
}
