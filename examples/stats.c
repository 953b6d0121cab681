/* stats.c - switch recording on and off, read the statistics from inside
 * the program and clear them: the seed's Profiler.enable(),
 * get_profile_stats() and clear_profile_stats().
 *
 *   cc -O2 -g -finstrument-functions -Iinclude -o stats examples/stats.c
 *   build/paraprof -- ./stats
 */
#include <paraprof.h>
#include <stdio.h>

static volatile unsigned long sink;

void parse_line(int n);
void warm_up(void);

void parse_line(int n)
{
	for (int i = 0; i < n; i++)
		sink += (unsigned long)i * 2654435761u;
}

void warm_up(void)
{
	for (int i = 0; i < 1000; i++)
		parse_line(10);
}

static int print_one(const struct paraprof_stats *st, void *ctx)
{
	(void)ctx;
	printf("  %-12s %6llu calls  avg %8.0f ns  p95 %8llu ns  mem max %.1f MiB\n", st->name,
	       (unsigned long long)st->calls, (double)st->avg_ns,
	       (unsigned long long)st->p95_ns, st->memory_max_mb);
	return 0;
}

int main(void)
{
	int on = paraprof_is_enabled();

	if (on < 0) {
		printf("not profiled: run it under paraprof (%s)\n", paraprof_strerror(on));
		return 0;
	}
	paraprof_disable();			/* leave the warm-up out */
	warm_up();
	paraprof_enable();
	for (int i = 0; i < 500; i++)
		parse_line(100);
	printf("after 500 calls:\n");
	paraprof_foreach_stats(print_one, NULL);

	paraprof_clear_stats();			/* start a new measurement */
	for (int i = 0; i < 200; i++)
		parse_line(1000);
	printf("after the clear and 200 longer calls:\n");
	paraprof_foreach_stats(print_one, NULL);
	return 0;
}
