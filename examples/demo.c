/* demo.c - a small "agent platform" to try paraprof on (`make demo`)
 *
 * Its functions are named and timed like the example report of the profiling
 * guide: loading an agent spec takes over 2 s, a workflow step over 1 s,
 * parsing a workflow definition over 0.5 s, each a few times, and helpers
 * (input validation, key hashing, name normalisation, a small cache) are
 * called thousands of times for a few microseconds.  With paraprof's default
 * thresholds the report shows a CRITICAL, a HIGH and a MEDIUM section, and
 * the default --check target (average < 100 ms) fails.
 *
 * The slow parts sleep (nanosleep: the time is honest wall time, as waiting
 * on a disk or a network would be) and do a little real work; the helpers
 * only compute.  The slow calls run on a pool of worker threads so that the
 * whole demo takes about 5 seconds.  Durations come from a fixed seed, so
 * every run shows much the same report.
 *
 * Build:  cc -O2 -g -finstrument-functions -o demo demo.c -lpthread
 * Run:    paraprof -- ./demo
 * Then:   paraprof-report --format svg -o flame.svg paraprof.*.ppd   (a flame
 *         graph of its call paths, to open in a browser; `make demo` does it)
 *
 * Each job comes from a user's request (handle_request) or from background
 * work (run_background), so the report's hot paths show where each slow
 * function is slow from: an agent loaded for a request takes longer than
 * one loaded in the background.
 *
 * The plumbing (main, the pool, the sleep) is marked no_instrument_function
 * so that the report shows the application's functions only.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NO_PROFILE __attribute__((no_instrument_function))
#define WORKERS 6

/* The functions the report shows (external, so that their names stay).
 * Those the compiler inlines are still counted, call by call. */
uint64_t hash_key(const char *key);
int validate_input(const char *s);
size_t normalize_name(const char *in, char *out);
int lookup_cache(uint64_t h);
uint64_t checksum(const unsigned char *buf, size_t len);
void load_agent_spec(unsigned id);
void parse_workflow_definition(unsigned id);
void execute_workflow_step(unsigned id);
struct job;
void handle_request(const struct job *job);
void run_background(const struct job *job);

/* ---- plumbing ----------------------------------------------------------- */

NO_PROFILE static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* Deterministic durations: a small LCG per call site, no shared state. */
NO_PROFILE static unsigned jitter(unsigned seed, unsigned range_ms)
{
	seed = seed * 1103515245u + 12345u;
	return (seed >> 8) % (range_ms + 1);
}

/* ---- fast helpers: real CPU work, microseconds ---------------------------- */

static volatile uint64_t sink;	/* keeps results alive */

/* FNV-1a over the key, a few rounds: the cost of a hashed lookup. */
uint64_t hash_key(const char *key)
{
	uint64_t h = 1469598103934665603ull;

	for (int round = 0; round < 8; round++)
		for (const char *p = key; *p; p++) {
			h ^= (unsigned char)*p;
			h *= 1099511628211ull;
		}
	return h;
}

/* Accepts identifiers of letters, digits, '-' and '_', 1 to 63 bytes. */
int validate_input(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++) {
		char c = s[n];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return 0;
	}
	return n > 0 && n < 64;
}

/* Lower-cases into out (64 bytes) and returns its length. */
size_t normalize_name(const char *in, char *out)
{
	size_t n = 0;

	for (; in[n] && n < 63; n++)
		out[n] = (in[n] >= 'A' && in[n] <= 'Z') ? (char)(in[n] + 32) : in[n];
	out[n] = '\0';
	return n;
}

/* A direct-mapped cache of hashes; returns 1 on a hit. */
static uint64_t cache_slots[256];

int lookup_cache(uint64_t h)
{
	uint64_t *slot = &cache_slots[h & 255];

	if (*slot == h)
		return 1;
	*slot = h;
	return 0;
}

/* Sums a buffer: the "checksum" of a loaded document. */
uint64_t checksum(const unsigned char *buf, size_t len)
{
	uint64_t s = 0;

	for (size_t i = 0; i < len; i++)
		s = (s << 5) + s + buf[i];
	return s;
}

/* ---- the slow functions of the report ------------------------------------ */

/* CRITICAL: reads and checks an agent specification, 2.1 to 2.6 s. */
void load_agent_spec(unsigned id)
{
	size_t len = 8u << 20;	/* 8 MiB document: shows up as memory */
	unsigned char *doc = malloc(len);
	char name[64];

	if (doc) {
		memset(doc, (int)id, len);
		sink += checksum(doc, 4096);
	}
	snprintf(name, sizeof(name), "Agent-%u", id);
	if (validate_input(name))
		sink += hash_key(name);
	sleep_ms(2100 + jitter(id * 7 + 1, 500));
	free(doc);
}

/* MEDIUM: parses a workflow definition, 0.55 to 0.85 s. */
void parse_workflow_definition(unsigned id)
{
	char name[64], norm[64];

	for (unsigned i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "Step_%u_%u", id, i);
		if (validate_input(name)) {
			normalize_name(name, norm);
			sink += lookup_cache(hash_key(norm));
		}
	}
	sleep_ms(550 + jitter(id * 13 + 5, 300));
}

/* HIGH: runs one step of a workflow, 1.1 to 1.5 s. */
void execute_workflow_step(unsigned id)
{
	char key[64];

	for (unsigned i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "wf-%u-input-%u", id, i);
		if (validate_input(key))
			sink += lookup_cache(hash_key(key));
	}
	sleep_ms(1100 + jitter(id * 31 + 3, 400));
}

/* ---- the worker pool ------------------------------------------------------ */

enum job_kind { JOB_LOAD, JOB_STEP, JOB_PARSE };

struct job {
	enum job_kind kind;
	unsigned id;
	int background;		/* 1: run_background, 0: handle_request */
};

/* Longest first, so that the pool finishes together.  Requests load the
 * agents 1 to 3 (2.2 to 2.6 s), the background 4 and 5 (2.1 to 2.2 s). */
static const struct job jobs[] = {
	{ JOB_LOAD, 1, 0 },  { JOB_LOAD, 2, 0 },  { JOB_LOAD, 3, 0 },  { JOB_LOAD, 4, 1 },
	{ JOB_LOAD, 5, 1 },  { JOB_STEP, 1, 1 },  { JOB_STEP, 2, 0 },  { JOB_STEP, 3, 1 },
	{ JOB_STEP, 4, 0 },  { JOB_STEP, 5, 1 },  { JOB_STEP, 6, 0 },  { JOB_PARSE, 1, 1 },
	{ JOB_PARSE, 2, 1 }, { JOB_PARSE, 3, 0 }, { JOB_PARSE, 4, 1 }, { JOB_PARSE, 5, 1 },
	{ JOB_PARSE, 6, 1 },
};

NO_PROFILE static void run_job(const struct job *job)
{
	switch (job->kind) {
	case JOB_LOAD: load_agent_spec(job->id); break;
	case JOB_STEP: execute_workflow_step(job->id); break;
	case JOB_PARSE: parse_workflow_definition(job->id); break;
	}
}

/* The two callers of the slow functions (instrumented: they are the
 * paths' roots). */
void handle_request(const struct job *job)
{
	run_job(job);
}

void run_background(const struct job *job)
{
	run_job(job);
}

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static size_t next_job;

NO_PROFILE static void *worker(void *arg)
{
	(void)arg;
	for (;;) {
		size_t j;

		pthread_mutex_lock(&queue_lock);
		j = next_job < sizeof(jobs) / sizeof(jobs[0]) ? next_job++ : SIZE_MAX;
		pthread_mutex_unlock(&queue_lock);
		if (j == SIZE_MAX)
			return NULL;
		if (jobs[j].background)
			run_background(&jobs[j]);
		else
			handle_request(&jobs[j]);
	}
}

NO_PROFILE int main(void)
{
	pthread_t threads[WORKERS];
	struct timespec t0, t1;
	unsigned requests = 0;
	char key[64];
	int started = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < WORKERS; i++)
		if (pthread_create(&threads[i], NULL, worker, NULL) == 0)
			started++;
	if (started == 0)
		worker(NULL);	/* no threads to be had: do it all here */

	/* meanwhile the main thread serves small requests: the fast helpers */
	for (unsigned i = 0; i < 20000; i++) {
		snprintf(key, sizeof(key), "user-%u", i % 500);
		if (validate_input(key) && !lookup_cache(hash_key(key)))
			requests++;
	}
	for (int i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("demo: 5 agent specs loaded, 6 workflow steps run, 6 definitions parsed,\n"
	       "      %u cache misses served, in %.2f s\n",
	       requests, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}
