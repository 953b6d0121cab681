/* adv_chdir.c - calls f() 10 times, changes directory to argv[1] (when
 * given), calls f() 5 more times and exits 0: its dump must go where the
 * program started, not where it ends. */
#include <stdio.h>
#include <unistd.h>

static volatile int sink;

void f(void);
void f(void) { sink++; }

int main(int argc, char **argv)
{
	for (int i = 0; i < 10; i++)
		f();
	if (argc > 1 && chdir(argv[1]) < 0) {
		perror(argv[1]);
		return 1;
	}
	for (int i = 0; i < 5; i++)
		f();
	printf("%d\n", (int)getpid());
	return 0;
}
