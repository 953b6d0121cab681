/* test_symbols.c - unit tests of the symbol resolver (analyzer/symbols.c)
 *
 * Builds small programs in a temporary directory (a PIE, a non-PIE
 * executable, a shared library, C++ code, a stripped copy) with the system
 * compiler, then checks sym_lookup() against two independent sources: nm(1)
 * for every function symbol's address and size, and the running programs
 * themselves, which print the ELF address (runtime address minus their
 * module's load address, as the runtime records it) of their functions.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "load.h"
#include "profile.h"
#include "report.h"
#include "symbols.h"
#include "synth.h"

static char tmpdir[] = "/tmp/pp_test_symbols.XXXXXX";
static const char *cc = "cc";
static const char *cxx = "c++";

/* ---- the programs under test ---- */

static const char lib_src[] =
	"static volatile int sink;\n"
	"__attribute__((noinline)) static int sym_lib_local(int x) { sink = x; return x * 3 + 1; }\n"
	"__attribute__((noinline)) int sym_lib_work(int x) { return sym_lib_local(x) + 2; }\n"
	"__attribute__((noinline)) int sym_lib_other(int x) { sink = x; return x - 1; }\n"
	"void sym_lib_report(void (*show)(const char *, void *));\n"
	"void sym_lib_report(void (*show)(const char *, void *))\n"
	"{ show(\"sym_lib_local\", (void *)sym_lib_local); show(\"sym_lib_other\", (void *)sym_lib_other); }\n";

/* Prints "name elf_addr module_path" for each function, as the runtime sees it. */
static const char prog_src[] =
	"#define _GNU_SOURCE\n"
	"#include <link.h>\n"
	"#include <stdio.h>\n"
	"#include <stdint.h>\n"
	"int sym_lib_work(int); int sym_lib_other(int);\n"
	"void sym_lib_report(void (*show)(const char *, void *));\n"
	"static volatile int sink;\n"
	"__attribute__((noinline)) static int prog_local(int x) { sink = x; return x + 7; }\n"
	"__attribute__((noinline)) int prog_global(int x) { return prog_local(x) * 2; }\n"
	"struct q { uintptr_t a; uintptr_t off; const char *path; };\n"
	"static int cb(struct dl_phdr_info *i, size_t sz, void *d) {\n"
	"  struct q *q = d; (void)sz;\n"
	"  for (int k = 0; k < i->dlpi_phnum; k++) {\n"
	"    const ElfW(Phdr) *p = &i->dlpi_phdr[k];\n"
	"    uintptr_t lo = i->dlpi_addr + p->p_vaddr;\n"
	"    if (p->p_type == PT_LOAD && q->a >= lo && q->a < lo + p->p_memsz) {\n"
	"      q->off = q->a - i->dlpi_addr; q->path = i->dlpi_name; return 1; }\n"
	"  }\n"
	"  return 0;\n"
	"}\n"
	"static void show(const char *name, void *fn) {\n"
	"  struct q q = { (uintptr_t)fn, 0, 0 };\n"
	"  dl_iterate_phdr(cb, &q);\n"
	"  printf(\"%s %lx %s\\n\", name, (unsigned long)q.off, q.path && *q.path ? q.path : \"-\");\n"
	"}\n"
	"int main(void) {\n"
	"  sink = prog_global(1) + sym_lib_work(2) + sym_lib_other(3);\n"
	"  show(\"prog_global\", (void *)prog_global);\n"
	"  show(\"prog_local\", (void *)prog_local);\n"
	"  show(\"main\", (void *)main);\n"
	/* the library names its own addresses: a non-PIE executable that took
	 * them would see its own PLT slots (the canonical addresses) instead */
	"  sym_lib_report(show);\n"
	"  return 0;\n"
	"}\n";

static const char cxx_src[] =
	"#include <string>\n"
	"namespace ns { struct widget { int run(int x); static std::string name(const std::string &s); }; }\n"
	"static volatile int sink;\n"
	"__attribute__((noinline)) int ns::widget::run(int x) { sink = x; return x + 1; }\n"
	"__attribute__((noinline)) std::string ns::widget::name(const std::string &s) { return s + \"!\"; }\n"
	"template <typename T> __attribute__((noinline)) T twice(T v) { sink = 1; return v + v; }\n"
	"int main(int argc, char **argv) { ns::widget w; (void)argv;\n"
	"  return w.run(argc) + (int)ns::widget::name(\"x\").size() + twice<int>(argc) + (int)twice<double>(1.5); }\n";

/* ---- helpers ---- */

static char *path_of(const char *name)
{
	static char buf[8][256];
	static int n;
	char *p = buf[n++ & 7];

	snprintf(p, 256, "%s/%s", tmpdir, name);
	return p;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
}

struct nm_sym {
	uint64_t addr, size;
	char name[512];
};

/*
 * Lists the defined text symbols with a size of `file` by nm(1), demangled
 * when `demangle`.  Returns the count; the array is malloc'ed into *out.
 */
static size_t nm_functions(const char *file, int dynamic, int demangle, struct nm_sym **out)
{
	char cmd[1024], line[1024];
	struct nm_sym *v = NULL;
	size_t n = 0, cap = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "nm -S --defined-only %s %s '%s'", dynamic ? "-D" : "",
		 demangle ? "-C" : "", file);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		unsigned long long addr, size;
		char type, name[512];

		line[strcspn(line, "\n")] = '\0';
		/* "addr size T name": the name may hold spaces once demangled */
		if (sscanf(line, "%llx %llx %c %n", &addr, &size, &type, &(int){0}) != 3)
			continue;
		if (type != 'T' && type != 't' && type != 'W' && type != 'i')
			continue;
		{
			const char *s = line;

			for (int field = 0; field < 3; field++) {
				s += strspn(s, " ");
				s += strcspn(s, " ");
			}
			s += strspn(s, " ");
			snprintf(name, sizeof(name), "%s", s);
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			v = realloc(v, cap * sizeof(*v));
			assert_non_null(v);
		}
		v[n].addr = addr;
		v[n].size = size;
		snprintf(v[n].name, sizeof(v[n].name), "%s", name);
		n++;
	}
	assert_int_equal(pclose(p), 0);
	*out = v;
	return n;
}

/* Is another nm symbol (an alias) at the same address? */
static int nm_has_alias(const struct nm_sym *v, size_t n, size_t i)
{
	for (size_t j = 0; j < n; j++)
		if (j != i && v[j].addr == v[i].addr)
			return 1;
	return 0;
}

/*
 * Every sized function of `file` per nm: its start, its middle and its last
 * byte resolve to its name, the byte after it to something else.  Returns
 * how many functions were checked.
 */
static size_t check_against_nm(const char *file, int dynamic, int demangle)
{
	struct sym_cache *sc = sym_cache_new();
	struct nm_sym *v;
	size_t n = nm_functions(file, dynamic, demangle, &v), checked = 0;

	assert_non_null(sc);
	for (size_t i = 0; i < n; i++) {
		const char *s;

		if (v[i].size == 0 || nm_has_alias(v, n, i))
			continue;
		s = sym_lookup(sc, file, NULL, 0, v[i].addr);
		if (!s || strcmp(s, v[i].name) != 0)
			fail_msg("%s: %#llx: expected %s, got %s", file,
				 (unsigned long long)v[i].addr, v[i].name, s ? s : "NULL");
		s = sym_lookup(sc, file, NULL, 0, v[i].addr + v[i].size / 2);
		assert_non_null(s);
		assert_string_equal(s, v[i].name);
		s = sym_lookup(sc, file, NULL, 0, v[i].addr + v[i].size - 1);
		assert_non_null(s);
		assert_string_equal(s, v[i].name);
		s = sym_lookup(sc, file, NULL, 0, v[i].addr + v[i].size);
		if (s)
			assert_string_not_equal(s, v[i].name);
		checked++;
	}
	free(v);
	sym_cache_free(sc);
	return checked;
}

/*
 * Runs `prog` (which prints "name elf_addr module") and checks that every
 * address resolves to the name in the module it names ("-" = prog itself).
 * Returns the number of lines checked; *in_lib counts those in another module.
 */
static int check_running(const char *prog, int *in_lib)
{
	struct sym_cache *sc = sym_cache_new();
	char cmd[512], line[1024];
	int n = 0;
	FILE *p;

	*in_lib = 0;
	snprintf(cmd, sizeof(cmd), "'%s'", prog);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		char name[128], module[700];
		unsigned long long addr;
		const char *s, *path;

		assert_int_equal(sscanf(line, "%127s %llx %699s", name, &addr, module), 3);
		path = strcmp(module, "-") == 0 ? prog : module;
		if (path != prog)
			++*in_lib;
		s = sym_lookup(sc, path, NULL, 0, addr);
		if (!s || strcmp(s, name) != 0)
			fail_msg("%s: %#llx: expected %s, got %s", path, addr, name, s ? s : "NULL");
		n++;
	}
	assert_int_equal(pclose(p), 0);
	sym_cache_free(sc);
	return n;
}

/* Runs fn with stderr sent to a file; returns what it printed (malloc'ed). */
static char *capture_stderr(void (*fn)(void *), void *arg)
{
	char *path = path_of("stderr.txt"), *buf;
	int saved = dup(2), fd;
	struct stat st;

	assert_true(saved >= 0);
	fflush(stderr);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	dup2(fd, 2);
	close(fd);
	fn(arg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = calloc(1, (size_t)st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	return buf;
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* ---- fixture: build everything once ---- */

static int group_setup(void **state)
{
	(void)state;
	if (getenv("CC"))
		cc = getenv("CC");
	if (getenv("CXX"))
		cxx = getenv("CXX");
	if (!mkdtemp(tmpdir))
		return -1;
	write_file(path_of("lib.c"), lib_src, sizeof(lib_src) - 1);
	write_file(path_of("prog.c"), prog_src, sizeof(prog_src) - 1);
	write_file(path_of("cxx.cc"), cxx_src, sizeof(cxx_src) - 1);
	/* a known build-id, to test the comparison */
	run("%s -O2 -g -fPIC -shared -Wl,--build-id=0x0123456789abcdef0123456789abcdef01234567 "
	    "-o %s/libsymlib.so %s/lib.c", cc, tmpdir, tmpdir);
	run("%s -O2 -g -fPIE -pie -o %s/prog_pie %s/prog.c -L%s -lsymlib -Wl,-rpath,%s",
	    cc, tmpdir, tmpdir, tmpdir, tmpdir);
	run("%s -O2 -g -fno-pie -no-pie -o %s/prog_nopie %s/prog.c -L%s -lsymlib -Wl,-rpath,%s",
	    cc, tmpdir, tmpdir, tmpdir, tmpdir);
	run("%s -O2 -g -o %s/prog_cxx %s/cxx.cc", cxx, tmpdir, tmpdir);
	run("cp %s/libsymlib.so %s/libstripped.so && strip --strip-all %s/libstripped.so",
	    tmpdir, tmpdir, tmpdir);
	/* two libraries of the same layout: their functions at the same address */
	run("printf 'int a_only(int x) { return x * 3 + 1; }\\n' >%s/a.c && "
	    "printf 'int b_only(int x) { return x * 3 + 1; }\\n' >%s/b.c", tmpdir, tmpdir);
	run("%s -O2 -g -fPIC -shared -o %s/liba.so %s/a.c && "
	    "%s -O2 -g -fPIC -shared -o %s/libb.so %s/b.c", cc, tmpdir, tmpdir, cc, tmpdir, tmpdir);
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[512];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- tests ---- */

static void test_symbols_pie_matches_nm(void **state)
{
	(void)state;
	run("readelf -h %s/prog_pie | grep -q 'DYN'", tmpdir);
	assert_true(check_against_nm(path_of("prog_pie"), 0, 0) >= 3);
}

static void test_symbols_nopie_matches_nm(void **state)
{
	(void)state;
	run("readelf -h %s/prog_nopie | grep -q 'EXEC'", tmpdir);
	assert_true(check_against_nm(path_of("prog_nopie"), 0, 0) >= 3);
}

static void test_symbols_shared_library_matches_nm(void **state)
{
	(void)state;
	assert_true(check_against_nm(path_of("libsymlib.so"), 0, 0) >= 3);
}

static void test_symbols_cxx_names_demangled(void **state)
{
	struct sym_cache *sc = sym_cache_new();
	struct nm_sym *v;
	size_t n = nm_functions(path_of("prog_cxx"), 0, 1, &v);
	int seen_run = 0, seen_template = 0;

	(void)state;
	assert_true(check_against_nm(path_of("prog_cxx"), 0, 1) >= 3);
	for (size_t i = 0; i < n; i++) {
		const char *s = sym_lookup(sc, path_of("prog_cxx"), NULL, 0, v[i].addr);

		if (!s)
			continue;
		seen_run |= strcmp(s, "ns::widget::run(int)") == 0;
		seen_template |= strcmp(s, "double twice<double>(double)") == 0;
	}
	assert_true(seen_run);
	assert_true(seen_template);
	free(v);
	sym_cache_free(sc);
}

/* Addresses as the runtime computes them (runtime - load address). */
static void test_symbols_runtime_addresses_pie(void **state)
{
	int in_lib;

	(void)state;
	assert_int_equal(check_running(path_of("prog_pie"), &in_lib), 5);
	assert_int_equal(in_lib, 2);
}

static void test_symbols_runtime_addresses_nopie(void **state)
{
	int in_lib;

	(void)state;
	assert_int_equal(check_running(path_of("prog_nopie"), &in_lib), 5);
	assert_int_equal(in_lib, 2);
}

/* A stripped library still names its exported functions (.dynsym). */
static void test_symbols_dynsym_fallback(void **state)
{
	struct sym_cache *sc = sym_cache_new();
	struct nm_sym *v;
	size_t n = nm_functions(path_of("libstripped.so"), 1, 0, &v);
	int seen = 0;

	(void)state;
	run("! nm %s/libstripped.so 2>/dev/null | grep -q sym_lib_local", tmpdir);
	for (size_t i = 0; i < n; i++) {
		const char *s = sym_lookup(sc, path_of("libstripped.so"), NULL, 0, v[i].addr);

		assert_non_null(s);
		assert_string_equal(s, v[i].name);
		seen += strcmp(s, "sym_lib_work") == 0 || strcmp(s, "sym_lib_other") == 0;
	}
	assert_int_equal(seen, 2);
	free(v);
	sym_cache_free(sc);
}

/* A symbol of size 0 matches its own address only. */
static void test_symbols_size_zero_exact_only(void **state)
{
	static const char src[] =
		"void bare(void);\n"
		"__asm__(\".text\\n.globl bare\\n.type bare,@function\\nbare:\\n"
		"nop\\nnop\\nnop\\nnop\\nret\\n\");\n"
		"int main(void) { bare(); return 0; }\n";
	struct sym_cache *sc = sym_cache_new();
	struct nm_sym *v;
	size_t n;
	uint64_t addr = 0;
	const char *s;

	(void)state;
	write_file(path_of("bare.c"), src, sizeof(src) - 1);
	run("%s -O2 -o %s/bare %s/bare.c", cc, tmpdir, tmpdir);
	run("nm %s/bare | grep -q ' T bare$'", tmpdir);
	{
		char cmd[512], line[256];
		FILE *p;

		snprintf(cmd, sizeof(cmd), "nm %s/bare", tmpdir);
		p = popen(cmd, "r");
		assert_non_null(p);
		while (fgets(line, sizeof(line), p)) {
			unsigned long long a;
			char name[128];

			if (sscanf(line, "%llx T %127s", &a, name) == 2 && strcmp(name, "bare") == 0)
				addr = a;
		}
		pclose(p);
	}
	assert_true(addr != 0);
	/* nm -S lists no size for it */
	n = nm_functions(path_of("bare"), 0, 0, &v);
	for (size_t i = 0; i < n; i++)
		assert_string_not_equal(v[i].name, "bare");
	free(v);
	s = sym_lookup(sc, path_of("bare"), NULL, 0, addr);
	assert_non_null(s);
	assert_string_equal(s, "bare");
	s = sym_lookup(sc, path_of("bare"), NULL, 0, addr + 2);
	if (s)
		assert_string_not_equal(s, "bare");
	sym_cache_free(sc);
}

struct bid_case {
	const char *path;
	const uint8_t *id;
	unsigned len;
	uint64_t addr;
	const char *result;
};

static void lookup_twice(void *arg)
{
	struct bid_case *c = arg;
	struct sym_cache *sc = sym_cache_new();

	c->result = sym_lookup(sc, c->path, c->id, c->len, c->addr) ? "resolved" : NULL;
	sym_lookup(sc, c->path, c->id, c->len, c->addr + 1);
	sym_lookup(sc, c->path, c->id, c->len, c->addr);
	sym_cache_free(sc);
}

static uint64_t nm_addr_of(const char *file, const char *name)
{
	struct nm_sym *v;
	size_t n = nm_functions(file, 0, 0, &v);
	uint64_t addr = 0;

	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			addr = v[i].addr;
	free(v);
	assert_true(addr != 0);
	return addr;
}

static void test_symbols_build_id_match_is_silent(void **state)
{
	static const uint8_t id[20] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
					0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
					0x01, 0x23, 0x45, 0x67 };
	struct bid_case c = { path_of("libsymlib.so"), id, sizeof(id), 0, NULL };
	char *err;

	(void)state;
	c.addr = nm_addr_of(c.path, "sym_lib_work");
	err = capture_stderr(lookup_twice, &c);
	assert_string_equal(err, "");
	assert_non_null(c.result);
	free(err);
}

static void test_symbols_build_id_mismatch_warns_once(void **state)
{
	static const uint8_t id[20] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
					0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
					0x01, 0x23, 0x45, 0x68 };
	struct bid_case c = { path_of("libsymlib.so"), id, sizeof(id), 0, NULL };
	char expect[600], *err;

	(void)state;
	c.addr = nm_addr_of(c.path, "sym_lib_work");
	err = capture_stderr(lookup_twice, &c);
	snprintf(expect, sizeof(expect),
		 "paraprof-report: warning: %s: build-id differs from the profiled program\n",
		 c.path);
	assert_string_equal(err, expect);
	assert_int_equal(count_lines(err), 1);
	/* the names still come from the file that is there */
	assert_non_null(c.result);
	free(err);

	/* a shorter id differs too */
	c.len = 8;
	err = capture_stderr(lookup_twice, &c);
	assert_string_equal(err, expect);
	free(err);
}

static void bad_lookups(void *arg)
{
	const char **paths = arg;
	struct sym_cache *sc = sym_cache_new();
	static const uint8_t id[4] = { 1, 2, 3, 4 };

	for (int i = 0; paths[i]; i++) {
		for (uint64_t a = 0; a < 0x4000; a += 0x40)
			assert_null(sym_lookup(sc, paths[i], id, sizeof(id), a));
		assert_null(sym_lookup(sc, paths[i], id, sizeof(id), UINT64_MAX));
	}
	sym_cache_free(sc);
}

/* Missing, unreadable, foreign and truncated files are unresolved, quietly. */
static void test_symbols_bad_files_unresolved(void **state)
{
	static const char text[] = "this is not an ELF file, just some text\n";
	const char *paths[9];
	char *err, *elf;
	FILE *f;
	long size;
	int k = 0;

	(void)state;
	write_file(path_of("text"), text, sizeof(text) - 1);
	/* the first 300 bytes of a real library: an ELF header, tables cut off */
	f = fopen(path_of("libsymlib.so"), "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	elf = malloc((size_t)size);
	assert_non_null(elf);
	assert_int_equal(fread(elf, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	write_file(path_of("truncated.so"), elf, 300);
	write_file(path_of("empty"), "", 0);
	free(elf);
	run("mkfifo %s/fifo", tmpdir);

	paths[k++] = path_of("does-not-exist");
	paths[k++] = path_of("text");
	paths[k++] = path_of("truncated.so");
	paths[k++] = path_of("empty");
	paths[k++] = path_of("fifo");	/* would block a plain open() */
	paths[k++] = tmpdir;		/* a directory */
	paths[k++] = "/dev/zero";	/* endless */
	paths[k++] = "relative/../nowhere";
	paths[k] = NULL;
	err = capture_stderr(bad_lookups, paths);
	assert_string_equal(err, "");
	free(err);
}

/* Random damage to a real file: any answer, but no crash, no leak, no hang. */
static void test_symbols_corrupt_files_survive(void **state)
{
	struct sym_cache *sc = sym_cache_new();
	unsigned seed = 12345;
	char *orig;
	FILE *f;
	long size;
	uint64_t addr;

	(void)state;
	addr = nm_addr_of(path_of("libsymlib.so"), "sym_lib_work");
	f = fopen(path_of("libsymlib.so"), "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	orig = malloc((size_t)size);
	assert_non_null(orig);
	assert_int_equal(fread(orig, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	for (int round = 0; round < 200; round++) {
		char *copy = malloc((size_t)size), name[64];

		assert_non_null(copy);
		memcpy(copy, orig, (size_t)size);
		for (int j = 0; j < 1 + round % 16; j++) {
			seed = seed * 1103515245u + 12345u;
			copy[(seed >> 8) % (unsigned long)size] = (char)(seed >> 3);
		}
		snprintf(name, sizeof(name), "corrupt%d.so", round);
		write_file(path_of(name), copy, (size_t)size);
		free(copy);
		sym_lookup(sc, path_of(name), NULL, 0, addr);
		sym_lookup(sc, path_of(name), NULL, 0, addr + 7);
		unlink(path_of(name));
	}
	free(orig);
	sym_cache_free(sc);
}

static void test_symbols_null_arguments(void **state)
{
	struct sym_cache *sc = sym_cache_new();

	(void)state;
	assert_non_null(sc);
	assert_null(sym_lookup(sc, NULL, NULL, 0, 0x1000));
	assert_null(sym_lookup(sc, "", NULL, 0, 0x1000));
	assert_null(sym_lookup(NULL, path_of("libsymlib.so"), NULL, 0, 0x1000));
	sym_cache_free(sc);
	sym_cache_free(NULL);
}

/* Many modules in one cache keep answering right (the cache grows). */
static void test_symbols_many_modules(void **state)
{
	struct sym_cache *sc = sym_cache_new();
	uint64_t work = nm_addr_of(path_of("libsymlib.so"), "sym_lib_work");
	uint64_t global = nm_addr_of(path_of("prog_pie"), "prog_global");

	(void)state;
	for (int i = 0; i < 100; i++) {
		char name[64];

		snprintf(name, sizeof(name), "missing%d.so", i);
		assert_null(sym_lookup(sc, path_of(name), NULL, 0, work));
		assert_string_equal(sym_lookup(sc, path_of("libsymlib.so"), NULL, 0, work),
				    "sym_lib_work");
		assert_string_equal(sym_lookup(sc, path_of("prog_pie"), NULL, 0, global),
				    "prog_global");
	}
	sym_cache_free(sc);
}

/* dlopen liba.so, dlclose it, dlopen libb.so at the same address: the
 * dump's module table has both (liba unloaded), and a_only and b_only have
 * the same runtime address.  Each record names its module (record.module),
 * so the report names b_only from libb.so, a_only from liba.so, and keeps
 * their calls apart. */
static void test_symbols_module_of_record(void **state)
{
	const uint64_t base = 0x7f1234500000ull;
	uint64_t a_addr = nm_addr_of(path_of("liba.so"), "a_only");
	uint64_t b_addr = nm_addr_of(path_of("libb.so"), "b_only");
	struct synth *s = synth_new(21, "./dl");
	struct pp_profile *prof = pp_profile_new();
	struct sym_cache *sc = sym_cache_new();
	struct report_opts o;
	struct report r;
	char err[256];

	(void)state;
	assert_true(a_addr != 0);
	assert_int_equal(a_addr, b_addr);	/* the case: one address, two functions */
	uint32_t a = synth_module(s, path_of("liba.so"), base, 1);
	uint32_t b = synth_module(s, path_of("libb.so"), base, 0);
	/* the synthetic ranges hold the functions */
	assert_true(a_addr >= 0x1000 && a_addr < 0x2000);
	uint64_t ra = synth_record(s, 1, PPF_KIND_FUNCTION, base + a_addr);
	uint64_t rb = synth_record(s, 1, PPF_KIND_FUNCTION, base + b_addr);

	synth_calls(s, ra, 2000, 30);
	synth_calls(s, rb, 2000, 3000);
	synth_rec(s, ra)->module = a;
	synth_rec(s, rb)->module = b;
	assert_int_equal(load_buffer(prof, s->buf, s->used, "dl.ppd", err, sizeof(err)), 0);
	report_opts_default(&o);
	o.top = 0;
	assert_int_equal(report_build(&r, prof, &o, sc), 0);
	assert_int_equal(r.nrows, 2);
	for (size_t i = 0; i < r.nrows; i++) {
		const struct report_row *row = &r.rows[i];

		if (row->st.calls == 3000) {
			assert_string_equal(row->name, "b_only");
			assert_string_equal(row->module, path_of("libb.so"));
		} else {
			assert_int_equal(row->st.calls, 30);
			assert_string_equal(row->name, "a_only");
			assert_string_equal(row->module, path_of("liba.so"));
		}
	}
	report_free(&r);
	sym_cache_free(sc);
	pp_profile_free(prof);
	synth_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_symbols_pie_matches_nm),
		cmocka_unit_test(test_symbols_nopie_matches_nm),
		cmocka_unit_test(test_symbols_shared_library_matches_nm),
		cmocka_unit_test(test_symbols_cxx_names_demangled),
		cmocka_unit_test(test_symbols_runtime_addresses_pie),
		cmocka_unit_test(test_symbols_runtime_addresses_nopie),
		cmocka_unit_test(test_symbols_dynsym_fallback),
		cmocka_unit_test(test_symbols_size_zero_exact_only),
		cmocka_unit_test(test_symbols_build_id_match_is_silent),
		cmocka_unit_test(test_symbols_build_id_mismatch_warns_once),
		cmocka_unit_test(test_symbols_bad_files_unresolved),
		cmocka_unit_test(test_symbols_corrupt_files_survive),
		cmocka_unit_test(test_symbols_null_arguments),
		cmocka_unit_test(test_symbols_many_modules),
		cmocka_unit_test(test_symbols_module_of_record),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
