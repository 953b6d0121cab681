/* adv_closefds.c - a program that closes every descriptor it did not open
 *
 * After its first instrumented call it closes descriptors 3..1023 (as
 * daemons and sandboxes do), opens a file of its own (argv[1], 100 bytes
 * written) and then makes calls that need new chunks of the segment: 64
 * distinct functions on each of 8 threads alive at once.  It prints the
 * size of its file at the end: still 100, whatever the library did. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#define THREADS 8
#define CALLS 10

static volatile int sink;

void first(void);
void first(void) { sink++; }

#define F(n) void f##n(void); void f##n(void) { sink += n; }
#define F8(n) F(n##0) F(n##1) F(n##2) F(n##3) F(n##4) F(n##5) F(n##6) F(n##7)
F8(1) F8(2) F8(3) F8(4) F8(5) F8(6) F8(7) F8(8)

#define C(n) f##n();
#define C8(n) C(n##0) C(n##1) C(n##2) C(n##3) C(n##4) C(n##5) C(n##6) C(n##7)

static pthread_barrier_t all_started;

static void *worker(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&all_started);	/* alive at once: an area each */
	for (int i = 0; i < CALLS; i++) {
		C8(1) C8(2) C8(3) C8(4) C8(5) C8(6) C8(7) C8(8)
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th[THREADS];
	struct stat st;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: adv_closefds FILE\n");
		return 2;
	}
	first();
	for (int i = 3; i < 1024; i++)
		close(i);
	fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "0123456789012345678901234567890123456789012345678901234567890123"
			    "456789012345678901234567890123456789", 100) != 100) {
		perror(argv[1]);
		return 1;
	}
	pthread_barrier_init(&all_started, NULL, THREADS);
	for (int i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	if (fstat(fd, &st) < 0)
		return 1;
	printf("fd %d size %lld\n", fd, (long long)st.st_size);
	return 0;
}
