/* partial.c - a function gcc splits by partial inlining (issue 9, item 9)
 *
 * process() returns early unless `enabled`, around a loop too big to
 * inline: at -O2 gcc inlines the test (and the entry hook, which then
 * reports main's return address as call site) into main and moves the loop
 * into process.part.0, whose exit hook reports the call site in main.
 *
 * partial [on]: main calls process(i & 7) CALLS times (i = 0 .. CALLS-1);
 * with "on" every call runs its loop, which calls item() once per iteration
 * (sum of i & 7 calls in all), and the calls made when i % 64 == 7 also
 * spin 20 us on the clock (a known minimum duration).  Prints the counts
 * it made: "process=N item=M spins=S".  (A constant trip count in main:
 * with one read from argv, gcc 12 -O3 inlines process() whole instead.)
 */
#include <stdio.h>
#include <time.h>

#define CALLS 100000
#define SPIN_NS 20000

int enabled;
long buf[1024];
long round_no;			/* main's loop index, for process() */
volatile long sink;
long spins, items;

void item(long i);
void process(long n);

void item(long i)
{
	sink += i;
	items++;
}

static void __attribute__((no_instrument_function)) spin(long ns)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do
		clock_gettime(CLOCK_MONOTONIC, &t);
	while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < ns);
}

void process(long n)
{
	if (!enabled)
		return;
	/* the branches never print (buf is zero): they make the body too big
	 * to inline whole, which is what makes gcc split it */
	for (long i = 0; i < n; i++) {
		if (buf[i] == 1)
			printf("a%ld\n", i);
		else if (buf[i] == 2)
			fprintf(stderr, "b%ld\n", i);
		else if (buf[i] == 3)
			printf("c%ld %ld\n", i, n);
		else if (buf[i] == 4)
			fprintf(stderr, "d%ld %ld\n", i, n);
		else if (buf[i] == 5)
			printf("e%ld\n", n);
		else if (buf[i] == 6)
			fprintf(stderr, "f%ld\n", n);
		item(i);
		if (i == 6 && (round_no & 63) == 7) {
			spin(SPIN_NS);
			spins++;
		}
	}
}

int main(int argc, char **argv)
{
	long calls = 0;

	(void)argv;

	enabled = argc > 1;
	for (long i = 0; i < CALLS; i++) {
		round_no = i;
		process(i & 7);
		calls++;
	}
	printf("process=%ld item=%ld spins=%ld\n", calls, items, spins);
	return 0;
}
