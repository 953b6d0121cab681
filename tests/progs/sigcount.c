/* sigcount.c - an instrumented signal handler every 100 us (issue 9, item 10)
 *
 * sigcount [N] [jump [raise]] [altstack]: main calls tiny() until tiny()
 * has run N times from main (default 20,000,000) while SIGALRM arrives
 * every 100 us (ITIMER_REAL).  The handler, on_alarm(), counts its
 * invocations and calls tiny() (the function main calls) and other().  So
 * the handler interrupts main everywhere: in main's loop, in tiny's hooks,
 * in its body.
 *
 * jump: every 3rd invocation (once the loop has set its jump buffer) the
 * handler leaves by siglongjmp() back into main's loop, when main was at an
 * instant where the count is unambiguous: outside tiny() (no frame of it
 * open), or inside tiny's body after it counted itself (its frame is open:
 * it is one call, left by siglongjmp).  Inside tiny's hooks it returns
 * normally and jumps at a later invocation.  A frame left by siglongjmp is
 * counted once, as abandoned.
 *
 * raise: with jump, a jump is followed by two more handlers at the instants
 * that matter: the handler raises SIGALRM before its siglongjmp (delivered
 * as soon as siglongjmp restores the signal mask, before it lands), and
 * the loop raises it where the jump landed, before its next call.
 *
 * altstack: the handler runs on a sigaltstack (SA_ONSTACK) that lies above
 * the interrupted stack: the loop runs on a thread whose stack is the low
 * part of one mapping, the alternate stack its top.
 *
 * Prints what really happened, one "name=value" per word:
 *   tiny= main_tiny= handler_tiny= handler= other= jumps= jumps_in_tiny=
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>

#define THREAD_STACK (1 << 20)
#define ALT_STACK (1 << 16)
#define JUMP_EVERY 3

/* Where main is, for the handler (only main's own calls set it). */
enum { OUTSIDE, ENTERING, IN_BODY, LEAVING };

static volatile sig_atomic_t where;
static volatile sig_atomic_t in_handler;
static volatile sig_atomic_t armed;	/* `back` is set: the handler may jump */
static volatile long tiny_calls, main_tiny, handler_tiny, handled, other_calls;
static volatile long jumps, jumps_in_tiny;
static long target = 20000000;
static int jump_mode, raise_mode;
static sigjmp_buf back;

void tiny(void);
void other(void);
void on_alarm(int sig);

void __attribute__((noinline)) tiny(void)
{
	tiny_calls++;
	if (!in_handler) {
		main_tiny++;
		where = IN_BODY;	/* counted: from here the call is one call */
		/* one call in 64 stays a while, so that signals land in bodies */
		if ((main_tiny & 63) == 0)
			for (volatile int k = 0; k < 200; k++)
				;
		where = LEAVING;
	} else {
		handler_tiny++;
	}
}

void __attribute__((noinline)) other(void)
{
	other_calls++;
}

void on_alarm(int sig)
{
	sig_atomic_t at = where;

	(void)sig;
	in_handler = 1;
	handled++;
	tiny();
	other();
	in_handler = 0;
	if (jump_mode && armed && handled % JUMP_EVERY == 0 && (at == OUTSIDE || at == IN_BODY)) {
		jumps++;
		if (at == IN_BODY)
			jumps_in_tiny++;
		/* where main will be: a handler that runs before the loop says
		 * so itself must not count this tiny() again */
		where = OUTSIDE;
		if (raise_mode)
			raise(SIGALRM);	/* delivered inside siglongjmp, before it lands */
		siglongjmp(back, 1);
	}
}

/* The loop, on the stack it is given; `alt`: the alternate signal stack
 * (ALT_STACK bytes) for this thread, or NULL. */
static void *run(void *alt)
{
	sigset_t alrm;

	if (alt) {
		stack_t ss = { .ss_sp = alt, .ss_size = ALT_STACK };

		if (sigaltstack(&ss, NULL) != 0) {
			perror("sigaltstack");
			exit(1);
		}
	}
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	pthread_sigmask(SIG_UNBLOCK, &alrm, NULL);
	/* signals arrive from here on: the handler jumps once `back` is set
	 * (sigsetjmp saves the mask, so it comes after the unblocking) */
	if (sigsetjmp(back, 1) && raise_mode)
		raise(SIGALRM);		/* a handler right where the jump landed */
	armed = 1;
	where = OUTSIDE;
	while (main_tiny < target) {
		where = ENTERING;
		tiny();
		where = OUTSIDE;
	}
	pthread_sigmask(SIG_BLOCK, &alrm, NULL);
	return NULL;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	struct itimerval it = { { 0, 100 }, { 0, 100 } };
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	sigset_t alrm;
	int altstack = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "jump"))
			jump_mode = 1;
		else if (!strcmp(argv[i], "raise"))
			raise_mode = 1;
		else if (!strcmp(argv[i], "altstack"))
			altstack = 1;
		else
			target = atol(argv[i]);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = altstack ? SA_ONSTACK : 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	/* only the thread that runs the loop takes the signal */
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	sigprocmask(SIG_BLOCK, &alrm, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	if (altstack) {
		char *mem = mmap(NULL, THREAD_STACK + ALT_STACK, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
		pthread_attr_t attr;
		pthread_t th;

		if (mem == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
		pthread_attr_init(&attr);
		pthread_attr_setstack(&attr, mem, THREAD_STACK);
		if (pthread_create(&th, &attr, run, mem + THREAD_STACK) != 0) {
			perror("pthread_create");
			return 1;
		}
		pthread_join(th, NULL);
	} else {
		run(NULL);
	}
	setitimer(ITIMER_REAL, &off, NULL);
	printf("tiny=%ld main_tiny=%ld handler_tiny=%ld handler=%ld other=%ld jumps=%ld "
	       "jumps_in_tiny=%ld\n", tiny_calls, main_tiny, handler_tiny, handled, other_calls,
	       jumps, jumps_in_tiny);
	return 0;
}
