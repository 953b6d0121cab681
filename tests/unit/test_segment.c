/* test_segment.c - the segment's name, its descriptors, its module table
 * across dlopen/dlclose, and seg_finish: bounded locking, and only in the
 * process that made the segment (issue 9, items 5, 6, 8 and 12). */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "internal.h"

void __cyg_profile_func_enter(void *fn, void *site);
void __cyg_profile_func_exit(void *fn, void *site);

static int setup(void **state)
{
	(void)state;
	return init_segment() == 0 ? 0 : -1;
}

/* /proc/self/stat field 22 */
static unsigned long long start_ticks(void)
{
	char buf[1024], *p;
	FILE *f = fopen("/proc/self/stat", "r");
	size_t n;

	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	return p ? strtoull(p + 1, NULL, 10) : 0;
}

static void test_segment_name_and_header(void **state)
{
	struct ppf_header *h = seg_header();
	struct stat ns, seg;
	char path[128];

	(void)state;
	assert_non_null(h);
	assert_int_equal(stat("/proc/self/ns/pid", &ns), 0);
	snprintf(path, sizeof(path), "%s" PPF_SEGMENT_FMT, PPF_SHM_DIR, (unsigned)getpid(),
		 (unsigned long long)ns.st_ino, start_ticks());
	assert_int_equal(lstat(path, &seg), 0);
	assert_true(S_ISREG(seg.st_mode));
	assert_int_equal(seg.st_mode & 07777, 0600);
	assert_int_equal(seg.st_uid, geteuid());
	assert_int_equal(h->pidns_ino, (uint64_t)ns.st_ino);
	assert_int_equal(h->proc_start_ticks, start_ticks());
	assert_int_equal(h->pid, (uint32_t)getpid());
}

/* No descriptor of the process refers to the segment (or to statm): the
 * program may close or reuse any number. */
static void test_segment_holds_no_descriptor(void **state)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	char link[300], target[256];
	int held = 0;

	(void)state;
	/* calls that take new chunks go through the reopen path */
	for (uintptr_t fn = 0x1000; fn < 0x1000 + 64 * 16; fn += 16) {
		__cyg_profile_func_enter((void *)fn, (void *)0x1234);
		__cyg_profile_func_exit((void *)fn, (void *)0x1234);
	}
	sampler_tick(UINT64_MAX - 1);
	assert_non_null(d);
	while ((e = readdir(d))) {
		ssize_t n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = 0;
		if (strstr(target, "/dev/shm/paraprof") || strstr(target, "statm")) {
			print_error("fd %s -> %s\n", e->d_name, target);
			held++;
		}
	}
	closedir(d);
	assert_int_equal(held, 0);
}

/* ---- modules ---- */

struct find {
	const char *name;	/* a substring of the path */
	int found;
	uintptr_t addr;		/* dlpi_addr */
};

static int find_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	struct find *f = data;

	(void)size;
	if (info->dlpi_name && strstr(info->dlpi_name, f->name)) {
		f->found = 1;
		f->addr = info->dlpi_addr;
	}
	return 0;
}

static int is_loaded(const char *name)
{
	struct find f = { name, 0, 0 };

	dl_iterate_phdr(find_cb, &f);
	return f.found;
}

static const struct ppf_module *module_entry(uint32_t i)
{
	return (const struct ppf_module *)seg_ptr(seg_header()->module_off) + i;
}

/* dlopen, dlclose, dlopen again: the module table gets a second entry for
 * the second load, the first one is marked unloaded, and seg_cover()
 * answers with the loaded one. */
static void test_segment_modules_across_dlclose(void **state)
{
	static const char *const candidates[] = { "libm.so.6", "libz.so.1", "libcrypt.so.1",
						  "libutil.so.1", "libbz2.so.1.0", "liblzma.so.5" };
	const char *lib = NULL;
	void *h, *sym = NULL;
	uint32_t first, second, main_module;
	uintptr_t sym_off;

	(void)state;
	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]) && !lib; i++)
		if (!is_loaded(candidates[i]))
			lib = candidates[i];
	if (!lib)
		skip();
	h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		skip();
	Dl_info info;
	struct find f = { lib, 0, 0 };

	dl_iterate_phdr(find_cb, &f);
	/* an address in its code: the first function of its dynamic symbols
	 * that dladdr places in it */
	for (const char *const *name = (const char *const[]){ "cos", "crc32", "crypt", "openpty",
							      "BZ2_bzlibVersion",
							      "lzma_version_string", NULL };
	     *name && !sym; name++) {
		void *s = dlsym(h, *name);

		if (s && dladdr(s, &info) && (uintptr_t)info.dli_fbase == f.addr)
			sym = s;
	}
	if (!sym) {
		dlclose(h);
		skip();
	}
	sym_off = (uintptr_t)sym - f.addr;
	main_module = seg_cover((uintptr_t)&test_segment_modules_across_dlclose);
	assert_true(main_module > 0);
	first = seg_cover((uintptr_t)sym);
	assert_true(first > 0);
	assert_non_null(strstr(module_entry(first - 1)->path, lib));
	assert_int_equal(module_entry(first - 1)->unloaded, 0);
	assert_int_equal(seg_cover((uintptr_t)sym), first);	/* no new entry */

	assert_int_equal(dlclose(h), 0);
	if (is_loaded(lib))
		skip();		/* the library stayed (NODELETE) */
	seg_modules_changed();
	assert_int_equal(module_entry(first - 1)->unloaded, 1);
	assert_int_equal(module_entry(main_module - 1)->unloaded, 0);
	assert_int_equal(seg_cover((uintptr_t)&test_segment_modules_across_dlclose), main_module);

	h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	assert_non_null(h);
	f.found = 0;
	dl_iterate_phdr(find_cb, &f);
	assert_true(f.found);
	/* whether or not it came back at the same address, it is a new entry */
	second = seg_cover(f.addr + sym_off);
	assert_true(second > first);
	assert_non_null(strstr(module_entry(second - 1)->path, lib));
	assert_int_equal(module_entry(second - 1)->unloaded, 0);
	assert_int_equal(module_entry(first - 1)->unloaded, 1);
	seg_modules_changed();	/* nothing changed: nothing marked */
	assert_int_equal(module_entry(second - 1)->unloaded, 0);
	assert_int_equal(module_entry(main_module - 1)->unloaded, 0);
	dlclose(h);
}

/* ---- the end ---- */

/* In a child: records, then every lock of the segment held (as by a thread
 * that a signal handler calling exit() interrupted), then seg_finish():
 * it must give up on the locks in bounded time and write the dump, once. */
static void test_segment_finish_with_locks_held(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char path[1024], other[1100];
		uint64_t t0;
		struct stat st;
		int bad = 0;

		alarm(10);
		if (init_segment() < 0)
			_exit(2);
		for (int i = 0; i < 100; i++) {
			__cyg_profile_func_enter((void *)0x5000, (void *)0x1234);
			__cyg_profile_func_exit((void *)0x5000, (void *)0x1234);
		}
		seg_lock_all();
		t0 = clock_mono_ns();
		seg_finish(NULL);
		bad |= clock_mono_ns() - t0 > 2000000000ull ? 4 : 0;
		snprintf(path, sizeof(path), "%s/paraprof.%u.ppd", env.output, (unsigned)getpid());
		bad |= stat(path, &st) < 0 ? 8 : 0;
		bad |= (st.st_mode & 07777) != 0600 ? 16 : 0;
		seg_finish(NULL);	/* once only: no second dump */
		snprintf(other, sizeof(other), "%s/paraprof.%u-1.ppd", env.output, (unsigned)getpid());
		bad |= access(other, F_OK) == 0 ? 32 : 0;
		unlink(path);
		unlink(other);
		_exit(bad);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* A vfork() child that exits through seg_finish() (the _exit wrapper) is
 * not the process that made the segment: the parent's segment stays, no
 * dump is written for it, and the parent still finishes at its own exit. */
static void test_segment_finish_not_in_vfork_child(void **state)
{
	struct ppf_header *h = seg_header();
	struct stat ns, st;
	char seg[128], dump[1024];
	pid_t pid;
	int status;

	(void)state;
	assert_int_equal(stat("/proc/self/ns/pid", &ns), 0);
	snprintf(seg, sizeof(seg), "%s" PPF_SEGMENT_FMT, PPF_SHM_DIR, (unsigned)getpid(),
		 (unsigned long long)ns.st_ino, start_ticks());
	snprintf(dump, sizeof(dump), "%s/paraprof.%u.ppd", env.output, (unsigned)getpid());
	pid = vfork();
	if (pid == 0) {
		seg_finish(NULL);
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(lstat(seg, &st), 0);
	assert_int_equal(access(dump, F_OK), -1);
	assert_int_equal(h->flags & PPF_FLAG_COMPLETE, 0);
	assert_true(seg_ctl == &h->flags);	/* still recording */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_segment_name_and_header),
		cmocka_unit_test(test_segment_holds_no_descriptor),
		cmocka_unit_test(test_segment_modules_across_dlclose),
		cmocka_unit_test(test_segment_finish_with_locks_held),
		cmocka_unit_test(test_segment_finish_not_in_vfork_child),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
