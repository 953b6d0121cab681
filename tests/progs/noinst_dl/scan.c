/* scan.c - libnoinst_scan.so, built without -finstrument-functions: work
 * that an instrumented caller spends its self time in (runtime_sample.sh)
 *
 * Exported for dlsym; nothing here is recorded by the hooks, so the CPU
 * samples that land here are the only place the report can learn of it.
 */
#include <stddef.h>

/* The bytes of buf[0..n) equal to c.  A plain loop (no libc call): every
 * sample in it names this function. */
size_t scan_count(const unsigned char *buf, size_t n, unsigned char c);

size_t scan_count(const unsigned char *buf, size_t n, unsigned char c)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += buf[i] == c;
	return k;
}
