/* adv_grow.c - grows by 64 MiB, 1 MiB at a time, calling step() after each
 * MiB and sleeping 2 ms (so that memory samples fall between the steps);
 * the last steps must see the RSS grown. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static volatile int sink;

void step(void);
void step(void) { sink++; }

int main(void)
{
	size_t mib = 1 << 20, total = 64 * mib;
	char *mem = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct timespec pause_ = { 0, 2000000 };

	if (mem == MAP_FAILED)
		return 1;
	for (size_t off = 0; off < total; off += mib) {
		memset(mem + off, 1, mib);
		nanosleep(&pause_, NULL);
		step();
	}
	return 0;
}
