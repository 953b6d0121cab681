/* cputime.c - CPU time against waiting, for runtime_cpu: sleeper() waits
 * 2 ms in a raw nanosleep system call (no libc wrapper sees it), spinner()
 * busy-waits 2 ms, 20 times each; tiny() is called 100,000 times and does
 * nothing; descend(30), 10 times, recurses 30 deep and busy-waits 50 us at
 * the bottom: every frame lasts longer than the CPU-time threshold;
 * coldstart() busy-waits 5 ms in its first call (a cold start) and 2 us in
 * its 2,000 others. */
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

void sleeper(void);
void spinner(void);
void tiny(void);
void descend(int depth);
void coldstart(void);

void sleeper(void)
{
	struct timespec ts = { 0, 2000000 };

	syscall(SYS_nanosleep, &ts, NULL);
}

static void __attribute__((no_instrument_function)) spin_ns(long ns)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	do
		clock_gettime(CLOCK_MONOTONIC, &b);
	while ((b.tv_sec - a.tv_sec) * 1000000000L + b.tv_nsec - a.tv_nsec < ns);
}

void spinner(void)
{
	spin_ns(2000000);
}

void __attribute__((noinline)) descend(int depth)
{
	if (depth)
		descend(depth - 1);
	else
		spin_ns(50000);
	__asm__ volatile("" ::: "memory");	/* no tail call */
}

void __attribute__((noinline)) tiny(void)
{
	__asm__ volatile("" ::: "memory");
}

void __attribute__((noinline)) coldstart(void)
{
	static int called;

	spin_ns(called++ ? 2000 : 5000000);
}

int main(void)
{
	for (int i = 0; i < 20; i++) {
		sleeper();
		spinner();
	}
	for (int i = 0; i < 100000; i++)
		tiny();
	for (int i = 0; i < 10; i++)
		descend(30);
	for (int i = 0; i < 2001; i++)
		coldstart();
	return 0;
}
