/* noinst_hello.c - a program NOT built with -finstrument-functions that
 * makes no API call: it records nothing under the library
 *
 *   noinst_hello          prints "hello from noinst_hello" on stdout, exits 0
 *   noinst_hello fork     also forks a child that prints "child" and exits
 *                         through exit() (its destructors run); the parent
 *                         waits for it
 *   noinst_hello exit7    prints the line and exits with status 7 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	printf("hello from noinst_hello\n");
	fflush(stdout);
	if (strcmp(mode, "fork") == 0) {
		pid_t pid = fork();

		if (pid == 0) {
			printf("child\n");
			exit(0);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
	return strcmp(mode, "exit7") == 0 ? 7 : 0;
}
