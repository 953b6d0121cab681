/* forks.c - before(): 100 calls before fork; then the parent calls parent_work()
 * 300 times and the child child_work() 200 times. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int sink;

void before(void);
void parent_work(void);
void child_work(void);

void before(void) { sink++; }
void parent_work(void) { sink++; }
void child_work(void) { sink++; }

int main(void)
{
	pid_t pid;
	int status;

	for (int i = 0; i < 100; i++)
		before();
	pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 200; i++)
			child_work();
		printf("child %d\n", (int)getpid());
		return 0;
	}
	for (int i = 0; i < 300; i++)
		parent_work();
	waitpid(pid, &status, 0);
	printf("parent %d\n", (int)getpid());
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
