/* noinst_names.c - region and span names keyed by content, not by pointer
 * (issue 9, item 13)
 *
 * One buffer holds "job-0", then "job-1", ...: each name must get its own
 * calls, whatever buffer held it, and the same text in another buffer (or
 * a literal, or another thread) is the same name.
 *   static buffer:  "job-0" x100, then "job-1" x200 (same address)
 *   literal:        "job-1" x50                       (job-1: 250)
 *   heap:           "job-2" x7, freed; a new buffer (often the same
 *                   address) "job-3" x11
 *   a thread:       its own buffer "job-4" x5, then "job-0" x10 (job-0: 110)
 *   spans:          the static buffer "span-0" x30, then "span-1" x40
 * Then prints what paraprof_get_stats() says of each name: "NAME calls=N".
 */
#include <paraprof.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char buf[32];

static void regions(const char *name, int n)
{
	for (int i = 0; i < n; i++) {
		paraprof_region_begin(name, 0);
		paraprof_region_end();
	}
}

static void spans(const char *name, int n)
{
	for (int i = 0; i < n; i++)
		paraprof_span_end(paraprof_span_begin(name));
}

static void *other_thread(void *arg)
{
	char own[32];

	(void)arg;
	strcpy(own, "job-4");
	regions(own, 5);
	strcpy(own, "job-0");
	regions(own, 10);
	return NULL;
}

int main(void)
{
	static const char *const names[] = { "job-0", "job-1", "job-2", "job-3", "job-4",
					     "span-0", "span-1" };
	pthread_t th;
	char *p;

	strcpy(buf, "job-0");
	regions(buf, 100);
	strcpy(buf, "job-1");
	regions(buf, 200);
	regions("job-1", 50);

	p = malloc(32);
	strcpy(p, "job-2");
	regions(p, 7);
	free(p);
	p = malloc(32);
	strcpy(p, "job-3");
	regions(p, 11);
	free(p);

	pthread_create(&th, NULL, other_thread, NULL);
	pthread_join(th, NULL);

	strcpy(buf, "span-0");
	spans(buf, 30);
	strcpy(buf, "span-1");
	spans(buf, 40);

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct paraprof_stats st;

		if (paraprof_get_stats(names[i], &st) == 0)
			printf("%s calls=%llu\n", names[i], (unsigned long long)st.calls);
		else
			printf("%s calls=none\n", names[i]);
	}
	return 0;
}
