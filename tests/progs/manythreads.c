/* manythreads.c - N short-lived threads (default 20000), each calls work()
 * once; at most 4 are alive at a time. */
#include <pthread.h>
#include <stdlib.h>

static volatile int sink;

void work(void);
void *thread_main(void *arg);

void work(void) { sink++; }

void *thread_main(void *arg)
{
	(void)arg;
	work();
	return NULL;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 20000;
	pthread_t th[4];

	for (long i = 0; i < n; i += 4) {
		for (int j = 0; j < 4; j++)
			pthread_create(&th[j], NULL, thread_main, NULL);
		for (int j = 0; j < 4; j++)
			pthread_join(th[j], NULL);
	}
	return 0;
}
