/* controlled.c - calls tick() on command, for tests that steer a running
 * program from outside.  stdin: "run N" calls tick() N times and prints
 * "done"; "quit" exits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile int sink;

void tick(void);

void tick(void) { sink++; }

int main(void)
{
	char line[64];

	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		if (!strncmp(line, "run ", 4)) {
			long n = atol(line + 4);

			for (long i = 0; i < n; i++)
				tick();
			printf("done\n");
			fflush(stdout);
		} else if (!strncmp(line, "quit", 4)) {
			break;
		}
	}
	return 0;
}
