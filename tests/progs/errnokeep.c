/* errnokeep.c - the hooks leave errno as they found it (issue 9, item 14)
 *
 * main is not instrumented: it sets errno = 1234 before the process's first
 * instrumented call (the one that makes the profiling segment), then checks
 * errno inside every instrumented function (after its entry hook) and
 * after every return (after its exit hook): on the first call, on the
 * first call of each new function (a new record), on a new thread's first
 * call (a new thread area; its start routine is not instrumented either),
 * and in a loop of calls long enough for the memory sampler to run from
 * the hooks (PARAPROF_MEM_INTERVAL_MS=1 in the test).
 *
 * errnokeep plant: first puts empty files of its own (mode 0600) where its
 * segment would go, /dev/shm/paraprof.<pid> and paraprof.<pid>.<pidns>.<start>
 * (format.h), so that the first call, which makes the segment, meets a name
 * that is taken (system calls fail inside the hook); removes them at the
 * end unless the library took their place.
 *
 * Prints "pid=P checks=N bad=M" and, for the first bad check, "first_bad=WHERE
 * errno=E".
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAGIC 1234

static long checks, bad;
static const char *first_bad;
static int first_bad_errno;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void __attribute__((no_instrument_function)) expect(const char *where)
{
	int e = errno;

	pthread_mutex_lock(&lock);
	checks++;
	if (e != MAGIC && !bad++) {
		first_bad = where;
		first_bad_errno = e;
	}
	pthread_mutex_unlock(&lock);
	errno = MAGIC;
}

void first(void);
void second(int i);
void leaf(void);
void in_thread(void);

void __attribute__((noinline)) leaf(void)
{
	expect("in leaf");
}

void __attribute__((noinline)) second(int i)
{
	expect(i ? "in second" : "in second (its first call)");
	leaf();
	expect(i ? "after leaf" : "after leaf (its first call)");
}

void __attribute__((noinline)) first(void)
{
	expect("in first (the process's first call)");
}

void __attribute__((noinline)) in_thread(void)
{
	expect("in a new thread's first call");
	leaf();
	expect("after leaf, in the thread");
}

static void * __attribute__((no_instrument_function)) thread_start(void *arg)
{
	(void)arg;
	errno = MAGIC;
	in_thread();
	expect("after a new thread's first call");
	return NULL;
}

static double __attribute__((no_instrument_function)) now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Start time of this process (field 22 of /proc/self/stat), 0 if unknown. */
static unsigned long long __attribute__((no_instrument_function)) start_ticks(void)
{
	char buf[1024], *p;
	unsigned long long v = 0;
	FILE *f = fopen("/proc/self/stat", "r");
	size_t n;

	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');	/* the command may hold spaces */
	/* after ")": state is field 3; starttime is field 22 */
	if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
			"%*d %*d %*d %*d %llu", &v) != 1)
		v = 0;
	return v;
}

static char planted[2][128];
static ino_t planted_ino[2];

static void __attribute__((no_instrument_function)) plant(void)
{
	struct stat ns;

	if (stat("/proc/self/ns/pid", &ns) != 0)
		ns.st_ino = 0;
	snprintf(planted[0], sizeof(planted[0]), "/dev/shm/paraprof.%d", (int)getpid());
	snprintf(planted[1], sizeof(planted[1]), "/dev/shm/paraprof.%d.%llu.%llu", (int)getpid(),
		 (unsigned long long)ns.st_ino, start_ticks());
	for (int i = 0; i < 2; i++) {
		int fd = open(planted[i], O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
		struct stat st;

		if (fd < 0 || fstat(fd, &st) != 0) {
			perror(planted[i]);
			planted[i][0] = '\0';
		} else {
			planted_ino[i] = st.st_ino;
		}
		if (fd >= 0)
			close(fd);
	}
}

static void __attribute__((no_instrument_function)) unplant(void)
{
	for (int i = 0; i < 2; i++) {
		struct stat st;

		if (planted[i][0] && stat(planted[i], &st) == 0 && st.st_ino == planted_ino[i])
			unlink(planted[i]);
	}
}

int __attribute__((no_instrument_function)) main(int argc, char **argv)
{
	pthread_t th;
	double t0;
	int planting = argc > 1 && !strcmp(argv[1], "plant");

	if (planting)
		plant();
	errno = MAGIC;
	first();
	expect("after the process's first call");
	second(0);
	expect("after second (its first call)");
	for (int i = 0; i < 4; i++) {
		pthread_create(&th, NULL, thread_start, NULL);
		errno = MAGIC;
		pthread_join(th, NULL);
		errno = MAGIC;
	}
	/* 50 ms of calls: the sampler is due every millisecond */
	t0 = now_s();
	for (int i = 1; now_s() - t0 < 0.05; i++) {
		second(i);
		expect("after second");
	}
	if (planting)
		unplant();
	printf("pid=%d checks=%ld bad=%ld", (int)getpid(), checks, bad);
	if (bad)
		printf(" first_bad=\"%s\" errno=%d", first_bad, first_bad_errno);
	printf("\n");
	return 0;
}
