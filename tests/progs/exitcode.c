/* exitcode.c - calls f() 10 times and exits with status 3 */
static volatile int sink;

void f(void);

void f(void) { sink++; }

int main(void)
{
	for (int i = 0; i < 10; i++)
		f();
	return 3;
}
