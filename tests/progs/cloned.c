/* cloned.c - raw clone() children that share the parent's memory and TLS
 * (issue 9, item 6)
 *
 * cloned [N]: three times, one after the other, the parent makes a child
 * with clone(CLONE_VM | SIGCHLD) on an mmap'ed stack and without
 * CLONE_SETTLS: a process of its own that shares the parent's memory, the
 * profiling segment, and even the parent's thread-local storage (the
 * thread pointer is not changed).  The child calls child_work() N times
 * (default 1,000,000) while the parent calls parent_work() until the child
 * is done (or dead), then waits for it.  Prints "parent=PID" first, and
 * last "parent_work=P child_work=C clean=K pids=A,B,C"
 * (P: the parent's calls in all, C: the children's in all, K: children
 * that exited 0, then their pids).
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHILD_STACK (1 << 20)
#define CHILDREN 3

static volatile long parent_calls, child_calls;
static char pids[64];
static volatile int child_done;
static long n = 1000000;

void parent_work(void);
void child_work(void);
int child_main(void *arg);

void __attribute__((noinline)) parent_work(void)
{
	parent_calls++;
}

void __attribute__((noinline)) child_work(void)
{
	child_calls++;
}

int child_main(void *arg)
{
	(void)arg;
	for (long i = 0; i < n; i++)
		child_work();
	__atomic_store_n(&child_done, 1, __ATOMIC_RELEASE);
	return 0;
}

int main(int argc, char **argv)
{
	char *stack = mmap(NULL, CHILD_STACK, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	int clean = 0;

	printf("parent=%d\n", (int)getpid());	/* first: the test's pid, even if we die */
	fflush(stdout);
	if (argc > 1)
		n = atol(argv[1]);
	if (stack == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (int c = 0; c < CHILDREN; c++) {
		int status = 0, reaped;
		pid_t pid;

		child_done = 0;
		pid = clone(child_main, stack + CHILD_STACK, CLONE_VM | SIGCHLD, NULL);
		if (pid < 0) {
			perror("clone");
			return 1;
		}
		/* until the child is done, or dead without saying so */
		reaped = 0;
		while (!__atomic_load_n(&child_done, __ATOMIC_ACQUIRE) && !reaped) {
			for (int k = 0; k < 1000; k++)
				parent_work();
			reaped = waitpid(pid, &status, WNOHANG) == pid;
		}
		if (!reaped)
			reaped = waitpid(pid, &status, 0) == pid;
		if (reaped && WIFEXITED(status) && WEXITSTATUS(status) == 0)
			clean++;
		snprintf(pids + strlen(pids), sizeof(pids) - strlen(pids), "%s%d", c ? "," : "",
			 (int)pid);
	}
	printf("parent_work=%ld child_work=%ld clean=%d pids=%s\n", parent_calls, child_calls,
	       clean, pids);
	return 0;
}
