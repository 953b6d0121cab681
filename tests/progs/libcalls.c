/* libcalls.c - blocking libc calls of known numbers, for runtime_libcalls:
 * sleeper() sleeps 2 ms five times in nanosleep; piper() reads three bytes
 * a thread writes 1 ms apart; joiner() joins a thread that sleeps 3 ms in
 * usleep; locker() waits 3 ms or more for a mutex a thread holds, then takes
 * and gives back an uncontended one 1,000 times; bad_read() reads from
 * descriptor -1; poller() polls an empty pipe twice (1 ms each), sends a
 * byte on a socket pair, receives it, and preads a pipe (ESPIPE).  Prints
 * what errno each wrapped call left.  Built also with _FORTIFY_SOURCE=2
 * (libcalls_fortify), where read, poll, recv and pread are __read_chk,
 * __poll_chk, __recv_chk and __pread_chk. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int pipefd[2];
/* a size the compiler does not know: fortified builds then check it in
 * __read_chk and friends rather than call read */
static volatile size_t one = 1;
static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t mine = PTHREAD_MUTEX_INITIALIZER;
static volatile int holding, trying;

void sleeper(void);
void piper(void);
void joiner(void);
void locker(void);
void bad_read(void);
void poller(void);
void *writer(void *arg);
void *sleepy(void *arg);
void *holder(void *arg);

void sleeper(void)
{
	struct timespec ts = { 0, 2000000 };

	for (int i = 0; i < 5; i++)
		nanosleep(&ts, NULL);
}

void *writer(void *arg)
{
	(void)arg;
	for (int i = 0; i < 3; i++) {
		usleep(1000);
		if (write(pipefd[1], "x", 1) != 1)
			perror("write");
	}
	return NULL;
}

void piper(void)
{
	pthread_t t;
	char c;

	pthread_create(&t, NULL, writer, NULL);
	for (int i = 0; i < 3; i++)
		if (read(pipefd[0], &c, one) != 1)
			perror("read");
	pthread_join(t, NULL);
}

void *sleepy(void *arg)
{
	(void)arg;
	usleep(3000);
	return NULL;
}

void joiner(void)
{
	pthread_t t;

	pthread_create(&t, NULL, sleepy, NULL);
	pthread_join(t, NULL);
}

void *holder(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&held);
	holding = 1;
	while (!trying)
		;
	/* until locker() waits in the kernel for it (glibc's lock word is 2
	 * with a waiter; a bounded wait), then 3 ms more */
	for (long i = 0; i < 2000000 && __atomic_load_n(&held.__data.__lock, __ATOMIC_RELAXED) != 2;
	     i++)
		sched_yield();
	usleep(3000);
	pthread_mutex_unlock(&held);
	return NULL;
}

void locker(void)
{
	pthread_t t;

	pthread_create(&t, NULL, holder, NULL);
	while (!holding)
		;
	trying = 1;
	pthread_mutex_lock(&held);		/* waits 3 ms at least */
	pthread_mutex_unlock(&held);
	pthread_join(t, NULL);
	for (int i = 0; i < 1000; i++) {	/* never waits */
		pthread_mutex_lock(&mine);
		pthread_mutex_unlock(&mine);
	}
}

void bad_read(void)
{
	char c;

	errno = 0;
	if (read(-1, &c, one) != -1 || errno != EBADF)
		printf("read(-1): errno %s\n", strerror(errno));
	else
		printf("read(-1): EBADF\n");
	errno = 0;
	pthread_mutex_lock(&mine);
	pthread_mutex_unlock(&mine);
	printf("uncontended lock: errno %d\n", errno);
}

void poller(void)
{
	struct pollfd p[1] = { { pipefd[0], POLLIN, 0 } };
	int sv[2];
	char c = 'x';

	for (int i = 0; i < 2; i++)
		if (poll(p, one, 1) != 0)
			printf("poll: not a timeout\n");
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0 || send(sv[0], &c, 1, 0) != 1 ||
	    recv(sv[1], &c, one, 0) != 1)
		perror("socketpair");
	errno = 0;
	if (pread(pipefd[0], &c, one, 0) != -1 || errno != ESPIPE)
		printf("pread(pipe): errno %s\n", strerror(errno));
	else
		printf("pread(pipe): ESPIPE\n");
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	if (pipe(pipefd) != 0)
		return 1;
	sleeper();
	piper();
	joiner();
	locker();
	bad_read();
	poller();
	return 0;
}
