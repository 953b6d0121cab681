/* execs.c - before_exec() 10 times, then exec itself with "after", which
 * calls after_exec() 20 times. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile int sink;

void before_exec(void);
void after_exec(void);

void before_exec(void) { sink++; }
void after_exec(void) { sink++; }

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "after")) {
		for (int i = 0; i < 20; i++)
			after_exec();
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "true")) {
		/* into a program that records nothing */
		before_exec();
		execl("/bin/true", "true", (char *)NULL);
		perror("exec");
		return 1;
	}
	for (int i = 0; i < 10; i++)
		before_exec();
	execl("/proc/self/exe", argv[0], "after", (char *)NULL);
	perror("exec");
	return 1;
}
