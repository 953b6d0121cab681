/* test_common.c - the common format layer (common/): what /proc says of a
 * process, segment and dump names, adding records (issue 10). */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/proc.h"

/* field 22 of /proc/<pid>/stat read with stdio, as a second opinion */
static unsigned long long stdio_start_ticks(pid_t pid)
{
	char path[64], buf[1024], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "r")))
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	return p ? strtoull(p + 1, NULL, 10) : 0;
}

static void test_common_proc_start_ticks_self(void **state)
{
	uint64_t self = ppc_proc_start_ticks(0);

	(void)state;
	assert_true(self != 0);
	assert_int_equal(self, stdio_start_ticks(getpid()));
	assert_int_equal(self, ppc_proc_start_ticks((uint32_t)getpid()));
}

/* A command name of spaces and parentheses does not shift the fields. */
static void test_common_proc_start_ticks_odd_name(void **state)
{
	char old[16] = "";
	uint64_t before = ppc_proc_start_ticks(0);

	(void)state;
	prctl(PR_GET_NAME, old);
	assert_int_equal(prctl(PR_SET_NAME, ") 1 2 3 ) x ("), 0);
	assert_int_equal(ppc_proc_start_ticks(0), before);
	prctl(PR_SET_NAME, old);
}

/* Another process's, and none for a pid that does not run. */
static void test_common_proc_start_ticks_other(void **state)
{
	pid_t child = fork();
	int status;

	(void)state;
	assert_true(child >= 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	assert_int_equal(ppc_proc_start_ticks((uint32_t)child), stdio_start_ticks(child));
	assert_true(ppc_proc_start_ticks((uint32_t)child) >= ppc_proc_start_ticks(0));
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	assert_int_equal(ppc_proc_start_ticks((uint32_t)child), 0);
	assert_int_equal(ppc_proc_start_ticks(4000000000u), 0);
}

static void test_common_pidns_ino(void **state)
{
	struct stat st;

	(void)state;
	assert_int_equal(stat("/proc/self/ns/pid", &st), 0);
	assert_int_equal(ppc_pidns_ino(), (uint64_t)st.st_ino);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_common_proc_start_ticks_self),
		cmocka_unit_test(test_common_proc_start_ticks_odd_name),
		cmocka_unit_test(test_common_proc_start_ticks_other),
		cmocka_unit_test(test_common_pidns_ino),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
