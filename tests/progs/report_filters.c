/* report_filters.c - entries for paraprof-report's filters and hidden
 * counts (tests/integration/report_filters.sh)
 *
 *   main            1 call, holds everything: hidden by --min-calls 5
 *   parse_config    3 calls of 1 ms: hidden by --min-calls 5
 *   compute_slow   10 calls of 3 ms (30 ms)
 *   compute_fast  200 calls of almost nothing (well under 1 ms in all)
 *   io_write       20 calls of 1 ms (20 ms)
 *   region "db_query" 8 calls of 2 ms (16 ms): an entry with no module
 *
 * The functions' module is this program; the region has none, so a
 * pattern on the module path tells them apart.  Durations are busy waits:
 * at least their time, more on a loaded machine, which the test allows for.
 * Not linked with -lparaprof: the header's weak references find the
 * preloaded library.
 */
#include <paraprof.h>

#include "busywait.h"

static volatile long sink;

void parse_config(void);
void compute_slow(void);
void compute_fast(void);
void io_write(void);

void __attribute__((noinline)) parse_config(void) { wait_us(1000); }
void __attribute__((noinline)) compute_slow(void) { wait_us(3000); }
void __attribute__((noinline)) compute_fast(void) { sink++; }
void __attribute__((noinline)) io_write(void) { wait_us(1000); }

int main(void)
{
	for (int i = 0; i < 3; i++)
		parse_config();
	for (int i = 0; i < 10; i++)
		compute_slow();
	for (int i = 0; i < 200; i++)
		compute_fast();
	for (int i = 0; i < 20; i++)
		io_write();
	for (int i = 0; i < 8; i++) {
		PARAPROF_REGION("db_query");

		wait_us(2000);
	}
	return 0;
}
