/* noinst_tailexit.c - a signal handler that runs after a function's epilogue
 * and before its exit hook (issue 9)
 *
 * At -O2 gcc calls __cyg_profile_func_exit as a tail call, after the
 * epilogue has freed the function's stack: a signal that arrives in those
 * few instructions runs its handler above the function's frame, which is
 * still live.  This program makes that instant every time, by calling the
 * hooks itself: window_fn enters deep in the stack (its entry hook's stack
 * pointer 64 KiB below main's), the stack is freed, a signal's handler
 * enters and leaves handler_fn, and only then window_fn's exit hook runs.
 * Prints calls=N; every window_fn call must be whole (not abandoned, no
 * unmatched exit) and every handler_fn call counted.
 */
#include <signal.h>
#include <stdio.h>

void __cyg_profile_func_enter(void *fn, void *site);
void __cyg_profile_func_exit(void *fn, void *site);
void window_fn(void);
void handler_fn(void);

#define CALLS 1000
#define DEEP (64 << 10)

__attribute__((noinline)) void window_fn(void)
{
	__asm__ volatile("");
}

__attribute__((noinline)) void handler_fn(void)
{
	__asm__ volatile("");
}

static void on_usr1(int sig)
{
	(void)sig;
	__cyg_profile_func_enter((void *)handler_fn, __builtin_return_address(0));
	handler_fn();
	__cyg_profile_func_exit((void *)handler_fn, __builtin_return_address(0));
}

/* window_fn's entry, from a frame DEEP bytes big: the hook's stack pointer
 * is that far below main's */
static __attribute__((noinline)) void enter_deep(void *site)
{
	volatile char pad[DEEP];

	pad[0] = 0;
	__cyg_profile_func_enter((void *)window_fn, site);
	__asm__ volatile("" : : "r"(pad) : "memory");
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_usr1 };

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) != 0)
		return 1;
	for (int i = 0; i < CALLS; i++) {
		enter_deep(__builtin_return_address(0));
		raise(SIGUSR1);		/* the handler runs above window_fn's frame */
		__cyg_profile_func_exit((void *)window_fn, __builtin_return_address(0));
	}
	printf("calls=%d\n", CALLS);
	return 0;
}
