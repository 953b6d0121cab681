/* torture_b.c - libtorture_b.so for the torture test's dlopen phase:
 * torture_a.c and torture_b.c have the same size, so that B, opened after A
 * was closed, usually takes A's address. */
void b_only(void);

static volatile int sink;

void b_only(void)
{
	sink++;
}
