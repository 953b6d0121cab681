/* sym_launch.c - the program the launcher's integration tests run
 *
 *   sym_launch exit N     calls sym_work 7 times, exits with status N
 *   sym_launch fork       sym_work 5 times in the parent, 5 in a child
 *   sym_launch env        prints LD_PRELOAD and PARAPROF_OUTPUT
 *   sym_launch sleep PIDFILE   writes its pid, then naps up to 20 s
 *   sym_launch kill       calls sym_work 7 times, then SIGKILLs itself
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

unsigned long sym_work(unsigned long x);
void sym_nap(void);

static volatile unsigned long sink;

unsigned long sym_work(unsigned long x)
{
	for (int i = 0; i < 1000; i++)
		x = x * 6364136223846793005ul + 1442695040888963407ul;
	return x;
}

void sym_nap(void)
{
	struct timespec ts = { 0, 100 * 1000000L };

	nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "exit";

	if (strcmp(mode, "exit") == 0) {
		for (int i = 0; i < 7; i++)
			sink += sym_work((unsigned long)i);
		return argc > 2 ? atoi(argv[2]) : 0;
	}
	if (strcmp(mode, "fork") == 0) {
		pid_t child = fork();

		for (int i = 0; i < 5; i++)
			sink += sym_work((unsigned long)i);
		if (child == 0)
			return 0;
		if (child < 0 || waitpid(child, NULL, 0) != child)
			return 99;
		return 0;
	}
	if (strcmp(mode, "env") == 0) {
		const char *p = getenv("LD_PRELOAD"), *o = getenv("PARAPROF_OUTPUT");

		sink += sym_work(1);
		printf("LD_PRELOAD=%s\nPARAPROF_OUTPUT=%s\n", p ? p : "", o ? o : "");
		return 0;
	}
	if (strcmp(mode, "sleep") == 0 && argc > 2) {
		FILE *f = fopen(argv[2], "w");

		sink += sym_work(1);
		if (!f)
			return 98;
		fprintf(f, "%d\n", (int)getpid());
		fclose(f);
		for (int i = 0; i < 200; i++)
			sym_nap();
		return 0;
	}
	if (strcmp(mode, "kill") == 0) {
		for (int i = 0; i < 7; i++)
			sink += sym_work((unsigned long)i);
		raise(SIGKILL);
	}
	fprintf(stderr, "sym_launch: unknown mode %s\n", mode);
	return 97;
}
