/* adv_dlreuse.c - dlopen(A), a_only() 2000 times, dlclose(A), dlopen(B),
 * which usually lands where A was, b_only() 3000 times.  Prints
 * "reused" or "not reused" (whether B got A's address range, with a_only
 * and b_only at the same address), then what paraprof_foreach_stats() says
 * of the two functions in this process ("stats NAME CALLS").
 * Usage: adv_dlreuse LIBA LIBB */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "paraprof.h"

static int print_stats(const struct paraprof_stats *st, void *ctx)
{
	(void)ctx;
	if (strstr(st->name, "_only"))
		printf("stats %s %llu\n", st->name, (unsigned long long)st->calls);
	return 0;
}

int main(int argc, char **argv)
{
	int (*a_only)(int), (*b_only)(int);
	void *a, *b, *where_a;
	volatile int sink = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: adv_dlreuse LIBA LIBB\n");
		return 2;
	}
	a = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (!a || !(a_only = (int (*)(int))dlsym(a, "a_only"))) {
		fprintf(stderr, "%s\n", dlerror());
		return 1;
	}
	where_a = (void *)a_only;
	for (int i = 0; i < 2000; i++)
		sink += a_only(i);
	dlclose(a);
	b = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL);
	if (!b || !(b_only = (int (*)(int))dlsym(b, "b_only"))) {
		fprintf(stderr, "%s\n", dlerror());
		return 1;
	}
	printf("%s\n", (void *)b_only == where_a ? "reused" : "not reused");
	for (int i = 0; i < 3000; i++)
		sink += b_only(i);
	paraprof_foreach_stats(print_stats, NULL);
	dlclose(b);
	return 0;
}
