/* chatty.c - an instrumented program that writes on its stdout: calls
 * work() 20 times and prints one line each time, plus a JSON-breaking
 * line ("} not json {") first and last */
#include <stdio.h>

static volatile int sink;

void work(int i);

void work(int i)
{
	sink += i;
	printf("chatty: work %d\n", i);
}

int main(void)
{
	printf("} not json {\n");
	for (int i = 0; i < 20; i++)
		work(i);
	printf("} not json {\n");
	return 0;
}
