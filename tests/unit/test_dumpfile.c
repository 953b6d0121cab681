/* test_dumpfile.c - ppc_dump_write (common/dumpfile.c), the one dump writer
 * of the library and of paraprof-report --gc: the data whole, mode 0600
 * whatever the umask, no file replaced, no link followed, nothing left
 * behind on failure, the host's rand() untouched (issue 10). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/dumpfile.h"

/* A fresh directory for each test, open as *dirfd; removed by teardown. */
struct scratch {
	char path[64];
	int dirfd;
};

static int setup(void **state)
{
	static struct scratch s;

	strcpy(s.path, "/tmp/pp-dumpfile.XXXXXX");
	if (!mkdtemp(s.path))
		return -1;
	s.dirfd = open(s.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	*state = &s;
	return s.dirfd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	struct scratch *s = *state;
	DIR *d = fdopendir(s->dirfd);
	struct dirent *e;

	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(dirfd(d), e->d_name,
				 e->d_type == DT_DIR ? AT_REMOVEDIR : 0);
	if (d)
		closedir(d);
	return rmdir(s->path);
}

/* The number of entries in the directory, "." and ".." aside. */
static int entries(int dirfd)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), n = 0;
	DIR *d = fdopendir(fd);
	struct dirent *e;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

/* The content of file `name` of dirfd, malloc'ed, its size in *len. */
static char *slurp(int dirfd, const char *name, size_t *len)
{
	struct stat st;
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	char *buf;

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(pread(fd, buf, (size_t)st.st_size, 0), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

/* 3 MiB of a pattern: more than one write() may take at once on a pipe or
 * a full disk, and every byte told apart from its neighbours. */
static char *pattern(size_t len)
{
	char *buf = malloc(len);

	assert_non_null(buf);
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)(i * 2654435761u >> 13);
	return buf;
}

static void test_dumpfile_writes_whole_0600(void **state)
{
	struct scratch *s = *state;
	size_t len = 3 << 20, got_len;
	char *data = pattern(len), *got, name[64];
	struct stat st;
	mode_t old = umask(0);

	assert_int_equal(ppc_dump_write(s->dirfd, "paraprof.42", data, len, name, sizeof(name)), 0);
	umask(old);
	assert_string_equal(name, "paraprof.42.ppd");
	assert_int_equal(fstatat(s->dirfd, name, &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_uid, geteuid());
	got = slurp(s->dirfd, name, &got_len);
	assert_int_equal(got_len, len);
	assert_memory_equal(got, data, len);
	assert_int_equal(entries(s->dirfd), 1);	/* no temporary left */
	free(got);
	free(data);
}

/* A file, a link and a directory under the first three names: each is
 * kept as it was (the link's target too) and the dump takes the fourth. */
static void test_dumpfile_never_replaces(void **state)
{
	struct scratch *s = *state;
	char name[64], target[128], *got;
	size_t len;
	struct stat st;
	int fd;

	fd = openat(s->dirfd, "paraprof.7.ppd", O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "earlier", 7), 7);
	close(fd);
	fd = openat(s->dirfd, "target", O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "precious", 8), 8);
	close(fd);
	snprintf(target, sizeof(target), "%s/target", s->path);
	assert_int_equal(symlinkat(target, s->dirfd, "paraprof.7-1.ppd"), 0);
	assert_int_equal(mkdirat(s->dirfd, "paraprof.7-2.ppd", 0700), 0);

	assert_int_equal(ppc_dump_write(s->dirfd, "paraprof.7", "new", 3, name, sizeof(name)), 0);
	assert_string_equal(name, "paraprof.7-3.ppd");
	got = slurp(s->dirfd, "paraprof.7-3.ppd", &len);
	assert_int_equal(len, 3);
	assert_memory_equal(got, "new", 3);
	free(got);
	got = slurp(s->dirfd, "paraprof.7.ppd", &len);
	assert_int_equal(len, 7);
	assert_memory_equal(got, "earlier", 7);
	free(got);
	got = slurp(s->dirfd, "target", &len);
	assert_int_equal(len, 8);
	assert_memory_equal(got, "precious", 8);
	free(got);
	assert_int_equal(fstatat(s->dirfd, "paraprof.7-1.ppd", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(entries(s->dirfd), 5);
}

/* Every name taken: EEXIST, and no temporary left. */
static void test_dumpfile_all_names_taken(void **state)
{
	struct scratch *s = *state;
	char name[64];

	for (unsigned n = 0; n < PPC_DUMP_TRIES; n++) {
		int fd;

		if (n)
			snprintf(name, sizeof(name), "paraprof.9-%u.ppd", n);
		else
			snprintf(name, sizeof(name), "paraprof.9.ppd");
		fd = openat(s->dirfd, name, O_WRONLY | O_CREAT | O_EXCL, 0600);
		assert_true(fd >= 0);
		close(fd);
	}
	errno = 0;
	assert_int_equal(ppc_dump_write(s->dirfd, "paraprof.9", "x", 1, name, sizeof(name)), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(entries(s->dirfd), PPC_DUMP_TRIES);
}

/* A name buffer too small for <stem>-9999.ppd: refused before anything is
 * made, rather than a dump under a name cut short. */
static void test_dumpfile_name_too_small(void **state)
{
	struct scratch *s = *state;
	char name[16];

	errno = 0;
	assert_int_equal(ppc_dump_write(s->dirfd, "paraprof.12345", "x", 1, name, sizeof(name)),
			 -1);
	assert_int_equal(errno, ENAMETOOLONG);
	assert_int_equal(entries(s->dirfd), 0);
}

/* A descriptor that is not a directory: -1 with the system's errno. */
static void test_dumpfile_bad_directory(void **state)
{
	struct scratch *s = *state;
	char name[64];
	int fd = openat(s->dirfd, "file", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	errno = 0;
	assert_int_equal(ppc_dump_write(fd, "paraprof.1", "x", 1, name, sizeof(name)), -1);
	assert_int_equal(errno, ENOTDIR);
	close(fd);
	errno = 0;
	assert_int_equal(ppc_dump_write(-1, "paraprof.1", "x", 1, name, sizeof(name)), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(entries(s->dirfd), 1);
}

/* A write that fails half-way (RLIMIT_FSIZE: EFBIG): -1 with that errno,
 * the temporary removed, no dump.  In a child: the limit stays there. */
static void test_dumpfile_failed_write_leaves_nothing(void **state)
{
	struct scratch *s = *state;
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = { 4096, 4096 };
		char name[64], *data = malloc(1 << 20);
		int rc;

		signal(SIGXFSZ, SIG_IGN);
		if (!data || setrlimit(RLIMIT_FSIZE, &rl) != 0)
			_exit(2);
		memset(data, 'x', 1 << 20);
		errno = 0;
		rc = ppc_dump_write(s->dirfd, "paraprof.3", data, 1 << 20, name, sizeof(name));
		_exit(rc == -1 && errno == EFBIG ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(entries(s->dirfd), 0);
}

/* The temporary's random name comes from getrandom(), not from rand(): the
 * host's sequence goes on as if no dump had been written. */
static void test_dumpfile_host_rand_untouched(void **state)
{
	struct scratch *s = *state;
	char name[64];
	int expected[4], got[4];

	srand(1234);
	for (int i = 0; i < 4; i++)
		expected[i] = rand();
	srand(1234);
	got[0] = rand();
	got[1] = rand();
	assert_int_equal(ppc_dump_write(s->dirfd, "paraprof.5", "x", 1, name, sizeof(name)), 0);
	got[2] = rand();
	got[3] = rand();
	assert_memory_equal(got, expected, sizeof(got));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dumpfile_writes_whole_0600, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dumpfile_never_replaces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dumpfile_all_names_taken, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dumpfile_name_too_small, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dumpfile_bad_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dumpfile_failed_write_leaves_nothing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_dumpfile_host_rand_untouched, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
