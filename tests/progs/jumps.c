/* jumps.c - 100 times: descend() recurses to depth 10 and longjmps back out;
 * then leaf() is called 1000 times and must be counted exactly. */
#include <setjmp.h>
#include <stdio.h>

static jmp_buf env;
static volatile int sink;

void descend(int depth);
void leaf(void);
void jumper(void);

void descend(int depth)
{
	if (depth == 10)
		longjmp(env, 1);
	descend(depth + 1);
	sink++;
}

void leaf(void) { sink++; }

void jumper(void)
{
	if (setjmp(env) == 0)
		descend(1);
}

int main(void)
{
	for (int i = 0; i < 100; i++)
		jumper();
	for (int i = 0; i < 1000; i++)
		leaf();
	puts("done");
	return 0;
}
