/* report_table.c - entries for the text report's layout and --histogram
 * (tests/integration/report_table.sh)
 *
 *   bimodal        90 calls of 12 us, then 10 calls of 1.2 ms (busy waits
 *                  on CLOCK_MONOTONIC): two groups of histogram rows
 *   a_function_with_a_name_far_too_long_..._to_fit  20 calls of 50 us: a
 *                  name of 130 characters, cut at 80 columns
 *   region "créer_la_réponse_…" 10 calls of 100 us: a name of multibyte
 *                  UTF-8 characters, longer in bytes than in columns
 *   tiny           7,000 calls of almost nothing: a count with a separator
 *
 * Durations are busy waits: at least their time, more on a loaded machine.
 * Not linked with -lparaprof: the header's weak references find the
 * preloaded library.
 */
#include <paraprof.h>

#include "busywait.h"

static volatile long sink;

void bimodal(long us);
void tiny(void);
void a_function_with_a_name_far_too_long_to_fit_in_eighty_columns_of_a_terminal_even_with_nothing_else_on_its_line_at_all(void);

void __attribute__((noinline)) bimodal(long us) { wait_us(us); }
void __attribute__((noinline)) tiny(void) { sink++; }
void __attribute__((noinline))
a_function_with_a_name_far_too_long_to_fit_in_eighty_columns_of_a_terminal_even_with_nothing_else_on_its_line_at_all(void)
{
	wait_us(50);
}

int main(void)
{
	for (int i = 0; i < 90; i++)
		bimodal(12);
	for (int i = 0; i < 10; i++)
		bimodal(1200);
	for (int i = 0; i < 20; i++)
		a_function_with_a_name_far_too_long_to_fit_in_eighty_columns_of_a_terminal_even_with_nothing_else_on_its_line_at_all();
	for (int i = 0; i < 10; i++) {
		PARAPROF_REGION("créer_la_réponse_à_la_requête_très_très_longue_avec_des_caractères_accentués_é");

		wait_us(100);
	}
	for (int i = 0; i < 7000; i++)
		tiny();
	return 0;
}
