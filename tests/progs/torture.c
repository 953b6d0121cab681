/* torture.c - every awkward thing a profiled program does, with the exact
 * count of every call written down by the process that made it (issue 9,
 * "done when": the torture test; tests/integration/runtime_torture.sh)
 *
 * torture DIR: the main process.  With SIGALRM every 100 us (its
 * instrumented handler calls tiny(), the function main calls), it runs:
 *   - tiny() 2,000,000 times;
 *   - 4 threads of thr_work() x10000, the last leaving by pthread_exit()
 *     from inside thr_quit();
 *   - recursion 1,000,000 deep on a thread with a 1 GiB stack;
 *   - longjmp out of 10 frames, 100 times; siglongjmp out of a SIGUSR1
 *     handler (raised two frames deep), 50 times;
 *   - dlopen(libtorture_a.so), a_only() x3000, dlclose(), then
 *     dlopen(libtorture_b.so) (usually at the same address), b_only() x3000;
 * then, with the timer off, the processes:
 *   - fork: a child that ends with exit() two frames deep;
 *   - fork: a child that ends with _exit() two frames deep;
 *   - vfork + exec of "torture DIR vforked" (returns from main);
 *   - fork: a child that calls pre_exec_work() x10, then execs torture_cxx
 *     (C++ exceptions through 10 frames; returns from main);
 *   - posix_spawn of "torture DIR spawned" (returns from main);
 *   - fork: a child that calls daemon(): it _exit()s inside daemon(); the
 *     daemon ends with exit() two frames deep, and the main process waits
 *     for it (a pipe that closes when it is gone);
 * and returns from main.
 *
 * Every process image writes DIR/expect.<pid>.<role> as it ends:
 *   pid=<pid> cmd=<argv joined by spaces>
 *   fn <name> <calls> <abandoned>	(every function it called, nothing else)
 *   note <text>
 * Counts follow paraprof's rules: a call is counted by the process it
 * began in (a child does not count the frames it inherited at fork); a
 * frame left by longjmp, siglongjmp, pthread_exit, exit() or _exit() is one
 * call, abandoned; a C++ exception runs the exit hooks (not abandoned).
 * What the process did not know in advance (signals) it counted itself.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define HELPER __attribute__((no_instrument_function))
#define WORK __attribute__((noinline))

#define TINY_CALLS 2000000
#define THREADS 4
#define THREAD_CALLS 10000
#define DEPTH 1000000
#define DEEP_STACK (1ul << 30)
#define JUMPS 100
#define JUMP_DEPTH 10
#define SIGJUMPS 50
#define DL_CALLS 3000

extern char **environ;

static const char *dir;			/* where expect.* files go */
static char cmdline[4096];		/* argv joined by spaces */
static char self_dir[PATH_MAX];		/* the directory of this executable */
static volatile long sink;
static long alarms, alarm_tiny, tiny_calls;	/* atomic: handlers may run on any thread */

/* ---- expectations (not instrumented: not part of the profile) ---- */

static FILE *HELPER expect_open(const char *role)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/expect.%d.%s", dir, (int)getpid(), role);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		_exit(99);
	}
	fprintf(f, "pid=%d cmd=%s\n", (int)getpid(), cmdline);
	return f;
}

static void HELPER expect_fn(FILE *f, const char *name, long calls, long abandoned)
{
	fprintf(f, "fn %s %ld %ld\n", name, calls, abandoned);
}

static void HELPER expect_close(FILE *f)
{
	if (fclose(f) != 0) {
		perror("expect");
		_exit(99);
	}
}

static void HELPER die(const char *what)
{
	perror(what);
	exit(98);
}

/* ---- the functions counted ---- */

void tiny(void);
void on_alarm(int sig);
void thr_work(void);
void thr_quit(void);
void *thread_main(void *arg);
long down(long n);
void *deep_thread(void *arg);
void descend(int depth);
void jumper(void);
void in_handler_fn(void);
void on_usr1(int sig);
void raiser(void);
void sigjumper(void);
void dl_phase(void);
void c_work(void);
void c_leave(void);
void child_exit(void);
void c_leave_now(void);
void child_underscore_exit(void);
void pre_exec_work(void);
void x_work(void);
void d_work(void);
void d_leave(void);
void daemon_work(void);
void daemon_parent(void);
void v_work(void);
void s_work(void);
void spawn_all(void);

void WORK tiny(void)
{
	__atomic_fetch_add(&tiny_calls, 1, __ATOMIC_RELAXED);
}

void on_alarm(int sig)
{
	int saved = errno;

	(void)sig;
	__atomic_fetch_add(&alarms, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&alarm_tiny, 1, __ATOMIC_RELAXED);
	tiny();
	errno = saved;
}

void WORK thr_work(void)
{
	sink++;
}

void WORK thr_quit(void)
{
	pthread_exit(NULL);
}

/* `arg`: non-NULL for the thread that leaves by pthread_exit() */
void *thread_main(void *arg)
{
	for (int i = 0; i < THREAD_CALLS; i++)
		thr_work();
	if (arg)
		thr_quit();
	return NULL;
}

long WORK down(long n)
{
	return n ? down(n - 1) + 1 : 0;		/* not a tail call */
}

void *deep_thread(void *arg)
{
	(void)arg;
	if (down(DEPTH) != DEPTH)
		abort();
	return NULL;
}

static jmp_buf jump_env;
static sigjmp_buf sigjump_env;

void WORK descend(int depth)
{
	if (depth == JUMP_DEPTH)
		longjmp(jump_env, 1);
	descend(depth + 1);
	sink++;
}

void WORK jumper(void)
{
	if (setjmp(jump_env) == 0)
		descend(1);
}

void WORK in_handler_fn(void)
{
	sink++;
}

void on_usr1(int sig)
{
	(void)sig;
	in_handler_fn();
	siglongjmp(sigjump_env, 1);
}

void WORK raiser(void)
{
	raise(SIGUSR1);
	sink++;
}

void WORK sigjumper(void)
{
	if (sigsetjmp(sigjump_env, 1) == 0)
		raiser();
}

/* dlopen A, 3000 calls, dlclose; dlopen B, 3000 calls, dlclose.  Sets
 * dl_reuse when B took A's address. */
static int dl_reuse;

void dl_phase(void)
{
	char path[PATH_MAX + 32];
	void (*fa)(void), (*fb)(void);
	Dl_info ia, ib;
	void *a, *b;

	snprintf(path, sizeof(path), "%s/libtorture_a.so", self_dir);
	a = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!a || !(fa = (void (*)(void))dlsym(a, "a_only")))
		die(dlerror());
	for (int i = 0; i < DL_CALLS; i++)
		fa();
	if (!dladdr((void *)fa, &ia))
		die("dladdr");
	dlclose(a);
	snprintf(path, sizeof(path), "%s/libtorture_b.so", self_dir);
	b = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!b || !(fb = (void (*)(void))dlsym(b, "b_only")))
		die(dlerror());
	for (int i = 0; i < DL_CALLS; i++)
		fb();
	if (!dladdr((void *)fb, &ib))
		die("dladdr");
	dl_reuse = ia.dli_fbase == ib.dli_fbase;
	dlclose(b);
}

/* ---- the processes ---- */

#define C_WORK_EXIT 100
#define C_WORK_UEXIT 200

void WORK c_work(void)
{
	sink++;
}

void WORK c_leave(void)
{
	exit(0);
}

void WORK child_exit(void)
{
	FILE *f;

	for (int i = 0; i < C_WORK_EXIT; i++)
		c_work();
	f = expect_open("fork-exit");
	expect_fn(f, "child_exit", 1, 1);
	expect_fn(f, "c_leave", 1, 1);
	expect_fn(f, "c_work", C_WORK_EXIT, 0);
	expect_close(f);
	c_leave();
}

void WORK c_leave_now(void)
{
	_exit(0);
}

void WORK child_underscore_exit(void)
{
	FILE *f;

	for (int i = 0; i < C_WORK_UEXIT; i++)
		c_work();
	f = expect_open("fork-_exit");
	expect_fn(f, "child_underscore_exit", 1, 1);
	expect_fn(f, "c_leave_now", 1, 1);
	expect_fn(f, "c_work", C_WORK_UEXIT, 0);
	expect_close(f);
	c_leave_now();
}

void WORK pre_exec_work(void)
{
	sink++;
}

void WORK x_work(void)
{
	sink++;
}

void WORK d_work(void)
{
	sink++;
}

void WORK d_leave(void)
{
	exit(0);
}

/* In the daemon: d_work() x60, then exit() from d_leave(). */
void WORK daemon_work(void)
{
	FILE *f;

	for (int i = 0; i < 60; i++)
		d_work();
	f = expect_open("daemon");
	expect_fn(f, "daemon_work", 1, 1);
	expect_fn(f, "d_leave", 1, 1);
	expect_fn(f, "d_work", 60, 0);
	expect_close(f);
	d_leave();
}

/* In a forked child: x_work() x50, then daemon(): this process _exit()s in
 * there, the daemon goes on with daemon_work() (holding the pipe's write
 * end, which daemon() leaves open, until it is gone). */
void WORK daemon_parent(void)
{
	FILE *f;

	for (int i = 0; i < 50; i++)
		x_work();
	f = expect_open("daemon-parent");
	expect_fn(f, "daemon_parent", 1, 1);
	expect_fn(f, "x_work", 50, 0);
	fprintf(f, "note the daemon() parent _exit()s inside daemon()\n");
	expect_close(f);
	if (daemon(0, 0) != 0)
		die("daemon");
	daemon_work();
}

void WORK v_work(void)
{
	sink++;
}

void WORK s_work(void)
{
	sink++;
}

static pid_t HELPER wait_ok(pid_t pid, const char *what)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "torture: %s (pid %d) failed: status %#x\n", what, (int)pid, status);
		exit(97);
	}
	return pid;
}

void spawn_all(void)
{
	char self[PATH_MAX + 32], cxx[PATH_MAX + 32], vforked[] = "vforked", spawned[] = "spawned";
	char *vargv[] = { self, (char *)dir, vforked, NULL };
	char *sargv[] = { self, (char *)dir, spawned, NULL };
	char *cargv[] = { cxx, (char *)dir, NULL };
	int pfd[2];
	char c;
	pid_t pid;

	snprintf(self, sizeof(self), "%s/torture", self_dir);
	snprintf(cxx, sizeof(cxx), "%s/torture_cxx", self_dir);

	pid = fork();
	if (pid == 0)
		child_exit();
	wait_ok(pid, "fork + exit()");

	pid = fork();
	if (pid == 0)
		child_underscore_exit();
	wait_ok(pid, "fork + _exit()");

	/* nothing instrumented between vfork and exec */
	pid = vfork();
	if (pid == 0) {
		execv(self, vargv);
		_exit(96);
	}
	wait_ok(pid, "vfork + exec");

	pid = fork();
	if (pid == 0) {
		FILE *f;

		for (int i = 0; i < 10; i++)
			pre_exec_work();
		f = expect_open("fork-before-exec");
		expect_fn(f, "pre_exec_work", 10, 0);
		fprintf(f, "note then exec of torture_cxx (the frames open were the parent's)\n");
		expect_close(f);
		execv(cxx, cargv);
		_exit(95);
	}
	wait_ok(pid, "fork + exec torture_cxx");

	if (posix_spawn(&pid, self, NULL, NULL, sargv, environ) != 0)
		die("posix_spawn");
	wait_ok(pid, "posix_spawn");

	if (pipe2(pfd, O_CLOEXEC) != 0)
		die("pipe");
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		daemon_parent();
	}
	close(pfd[1]);
	wait_ok(pid, "daemon() parent");
	/* EOF once the daemon has exited (its dump written by then) */
	while (read(pfd[0], &c, 1) > 0 || errno == EINTR)
		;
	close(pfd[0]);
}

/* ---- main ---- */

static int HELPER image_mode(int argc, char **argv)
{
	FILE *f;

	if (argc > 2 && !strcmp(argv[2], "vforked")) {
		for (int i = 0; i < 300; i++)
			v_work();
		f = expect_open("vforked");
		expect_fn(f, "main", 1, 0);
		expect_fn(f, "v_work", 300, 0);
		expect_close(f);
		return 1;
	}
	if (argc > 2 && !strcmp(argv[2], "spawned")) {
		for (int i = 0; i < 400; i++)
			s_work();
		f = expect_open("spawned");
		expect_fn(f, "main", 1, 0);
		expect_fn(f, "s_work", 400, 0);
		expect_close(f);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct itimerval it = { { 0, 100 }, { 0, 100 } }, off = { { 0, 0 }, { 0, 0 } };
	struct sigaction sa;
	pthread_t th[THREADS], deep;
	pthread_attr_t attr;
	ssize_t n;
	FILE *f;

	if (argc < 2) {
		fprintf(stderr, "usage: torture DIR [vforked|spawned]\n");
		return 2;
	}
	dir = argv[1];
	for (int i = 0; i < argc; i++)
		snprintf(cmdline + strlen(cmdline), sizeof(cmdline) - strlen(cmdline), "%s%s",
			 i ? " " : "", argv[i]);
	n = readlink("/proc/self/exe", self_dir, sizeof(self_dir) - 1);
	if (n <= 0)
		die("/proc/self/exe");
	self_dir[n] = '\0';
	*strrchr(self_dir, '/') = '\0';
	if (image_mode(argc, argv))
		return 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	sa.sa_handler = on_usr1;
	sa.sa_flags = 0;
	sigaction(SIGUSR1, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);

	for (int i = 0; i < TINY_CALLS; i++)
		tiny();

	for (int i = 0; i < THREADS; i++)
		if (pthread_create(&th[i], NULL, thread_main, i == THREADS - 1 ? &th[i] : NULL))
			die("pthread_create");
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);

	pthread_attr_init(&attr);
	if (pthread_attr_setstacksize(&attr, DEEP_STACK) != 0 ||
	    pthread_create(&deep, &attr, deep_thread, NULL) != 0)
		die("a thread with a 1 GiB stack");
	pthread_join(deep, NULL);

	for (int i = 0; i < JUMPS; i++)
		jumper();
	for (int i = 0; i < SIGJUMPS; i++)
		sigjumper();

	dl_phase();

	setitimer(ITIMER_REAL, &off, NULL);
	sa.sa_handler = SIG_IGN;		/* one still pending goes nowhere */
	sigaction(SIGALRM, &sa, NULL);

	spawn_all();

	f = expect_open("main");
	expect_fn(f, "main", 1, 0);
	expect_fn(f, "tiny", TINY_CALLS + alarm_tiny, 0);
	expect_fn(f, "on_alarm", alarms, 0);
	expect_fn(f, "thread_main", THREADS, 1);
	expect_fn(f, "thr_work", THREADS * THREAD_CALLS, 0);
	expect_fn(f, "thr_quit", 1, 1);
	expect_fn(f, "deep_thread", 1, 0);
	expect_fn(f, "down", DEPTH + 1, 0);
	expect_fn(f, "jumper", JUMPS, 0);
	expect_fn(f, "descend", JUMPS * JUMP_DEPTH, JUMPS * JUMP_DEPTH);
	expect_fn(f, "sigjumper", SIGJUMPS, 0);
	expect_fn(f, "raiser", SIGJUMPS, SIGJUMPS);
	expect_fn(f, "on_usr1", SIGJUMPS, SIGJUMPS);
	expect_fn(f, "in_handler_fn", SIGJUMPS, 0);
	expect_fn(f, "dl_phase", 1, 0);
	expect_fn(f, "a_only", DL_CALLS, 0);
	expect_fn(f, "b_only", DL_CALLS, 0);
	expect_fn(f, "spawn_all", 1, 0);
	fprintf(f, "note alarms=%ld dl_reuse=%d\n", alarms, dl_reuse);
	expect_close(f);
	if (tiny_calls != TINY_CALLS + alarm_tiny)
		fprintf(stderr, "torture: tiny ran %ld times, expected %ld\n", tiny_calls,
			TINY_CALLS + alarm_tiny);
	return 0;
}
