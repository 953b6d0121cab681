/* deep.c - recursion N deep (default 100000), deeper than the shadow stack;
 * then leaf() 1000 times. */
#include <stdio.h>
#include <stdlib.h>

static volatile int sink;

int down(int n);
void leaf(void);

int down(int n)
{
	return n ? down(n - 1) + 1 : 0;
}

void leaf(void) { sink++; }

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 100000;

	printf("%d\n", down(n));
	for (int i = 0; i < 1000; i++)
		leaf();
	return 0;
}
