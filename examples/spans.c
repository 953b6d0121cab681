/* spans.c - time work that begins on one thread and ends on another: a
 * producer hands jobs to a worker pool; each job's span runs from the
 * moment it is queued to the moment a worker finishes it.
 *
 *   cc -O2 -Iinclude -o spans examples/spans.c -lpthread
 *   build/paraprof -- ./spans
 */
#include <paraprof.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#define JOBS 200
#define WORKERS 3

static paraprof_span_t queue[JOBS];
static int head, tail;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready = PTHREAD_COND_INITIALIZER;

static void *worker(void *arg)
{
	struct timespec job = { 0, 200000 };	/* 0.2 ms of "work" */

	(void)arg;
	for (;;) {
		paraprof_span_t span;

		pthread_mutex_lock(&lock);
		while (head == tail && tail < JOBS)
			pthread_cond_wait(&ready, &lock);
		if (head == JOBS) {
			pthread_mutex_unlock(&lock);
			return NULL;
		}
		span = queue[head++];
		pthread_mutex_unlock(&lock);
		nanosleep(&job, NULL);
		paraprof_span_end(span);	/* on this thread, not the producer's */
	}
}

int main(void)
{
	pthread_t th[WORKERS];
	struct paraprof_stats st;

	for (int i = 0; i < WORKERS; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	for (int i = 0; i < JOBS; i++) {
		pthread_mutex_lock(&lock);
		queue[tail++] = paraprof_span_begin("job");
		pthread_cond_signal(&ready);
		pthread_mutex_unlock(&lock);
	}
	pthread_mutex_lock(&lock);
	pthread_cond_broadcast(&ready);
	pthread_mutex_unlock(&lock);
	for (int i = 0; i < WORKERS; i++)
		pthread_join(th[i], NULL);
	if (paraprof_get_stats("job", &st) == 0)
		printf("job: %llu spans, avg %.2f ms (queue wait included), p99 %.2f ms\n",
		       (unsigned long long)st.calls, st.avg_ns / 1e6, st.p99_ns / 1e6);
	else
		printf("%d jobs done (not profiled)\n", JOBS);
	return 0;
}
