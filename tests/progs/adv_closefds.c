/* adv_closefds.c - a program that closes every descriptor it did not open
 *
 * After its first instrumented call it closes descriptors 3..1023 (as
 * daemons and sandboxes do), opens a file of its own (argv[1], 100 bytes
 * written) and then makes calls that need new chunks of the segment: 64
 * distinct functions on each of 8 threads alive at once, and calls long
 * enough (50 us, then 100 us) that their stacks are kept (slowcalls.c).  It
 * prints the size of its file at the end, still 100 whatever the library
 * did, and the descriptors open then besides 0, 1, 2: only its own. */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define THREADS 8
#define CALLS 10

static volatile int sink;

void first(void);
void first(void) { sink++; }

/* busy-waits us microseconds: a call long enough to have its stack kept */
void slow(long us);
void slow(long us)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	do
		clock_gettime(CLOCK_MONOTONIC, &b);
	while ((b.tv_sec - a.tv_sec) * 1000000L + (b.tv_nsec - a.tv_nsec) / 1000 < us);
}

/* prints the descriptors open besides 0, 1 and 2 ("fds 3 9") */
static void print_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	if (!d)
		return;
	printf("fds");
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && atoi(de->d_name) > 2 && atoi(de->d_name) != dirfd(d))
			printf(" %s", de->d_name);
	printf("\n");
	closedir(d);
}

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
	slow(50);
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
	slow(100);
	if (fstat(fd, &st) < 0)
		return 1;
	printf("fd %d size %lld\n", fd, (long long)st.st_size);
	print_fds();
	return 0;
}
