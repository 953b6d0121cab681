/* test_elfsym.c - the common ELF symbol reader (common/elfsym.c, issue 10)
 *
 * Reads this test program's own file and libc's, and checks what the walks
 * yield against what the dynamic linker says of the running process
 * (dl_iterate_phdr: load addresses, the build-id note in memory, dlsym): a
 * source that shares no code with the reader.  Then the files it must
 * refuse without blocking or crashing: a FIFO, a directory, a device, a
 * short file, text, a file over the size limit, an ELF file cut short.
 */
#include <dlfcn.h>
#include <elf.h>
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
#include <unistd.h>
#include <cmocka.h>

#include "common/elfsym.h"

static char tmpdir[] = "/tmp/pp_test_elfsym.XXXXXX";

__attribute__((noinline)) int test_elfsym_marker(int x);
__attribute__((noinline)) int test_elfsym_marker(int x)
{
	return x * 5 + 3;
}

/* What the dynamic linker says of the main program. */
struct self {
	uintptr_t load_addr;	/* dlpi_addr: runtime minus ELF address */
	uint8_t build_id[64];
	unsigned build_id_len;	/* 0 = none */
};

static int self_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	struct self *s = data;

	(void)size;
	s->load_addr = info->dlpi_addr;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr), *end = p + ph->p_memsz;

		if (ph->p_type != PT_NOTE)
			continue;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
			const char *desc = p + sizeof(*n) + ((n->n_namesz + 3) & ~3u);

			if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 &&
			    !memcmp(p + sizeof(*n), "GNU", 4) && n->n_descsz <= sizeof(s->build_id)) {
				memcpy(s->build_id, desc, n->n_descsz);
				s->build_id_len = n->n_descsz;
			}
			p = desc + ((n->n_descsz + 3) & ~3u);
		}
	}
	return 1;		/* the main program comes first */
}

/* tmpdir/name, in one of four buffers that calls take in turn. */
static const char *tmp_path(const char *name)
{
	static char buf[4][256];
	static unsigned k;
	char *p = buf[k++ % 4];

	snprintf(p, 256, "%s/%s", tmpdir, name);
	return p;
}

/* Writes `len` bytes of `data` as tmpdir/name; returns its path. */
static const char *put(const char *name, const void *data, size_t len)
{
	const char *path = tmp_path(name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
	return path;
}

/* Walks `table` of `path` (opened with `flags`, walked with `funcs`):
 * counts the function symbols, checks each, and finds `want` (its address
 * and size, -1 when absent; a version suffix is allowed).  Returns the count, or -1 when the file does
 * not open. */
static long walk(const char *path, unsigned flags, enum ppc_elf_table table, unsigned funcs,
		 const char *want, uint64_t *addr, uint64_t *size)
{
	struct ppc_elf e;
	struct ppc_elf_funcs it;
	struct ppc_elf_func f;
	long n = 0;

	*addr = *size = (uint64_t)-1;
	if (ppc_elf_open(&e, path, flags, 0) != 0)
		return -1;
	ppc_elf_funcs_begin(&e, table, SIZE_MAX, funcs, &it);
	while (ppc_elf_funcs_next(&it, &f)) {
		assert_non_null(f.name);
		assert_true(f.name[0] != '\0');
		assert_true(f.addr != 0);
		/* .symtab may spell a versioned name "puts@GLIBC_2.2.5" */
		if (!strncmp(f.name, want, strlen(want)) &&
		    (f.name[strlen(want)] == '\0' || f.name[strlen(want)] == '@')) {
			*addr = f.addr;
			*size = f.size;
		}
		n++;
	}
	ppc_elf_close(&e);
	return n;
}

/* The test program's .symtab names its functions at their ELF addresses,
 * read or mapped alike; a function it only calls (undefined here) is not
 * one of them. */
static void test_elfsym_self(void **state)
{
	struct self s = { 0 };
	uint64_t addr, size, addr2, size2;
	long n, n2;

	(void)state;
	dl_iterate_phdr(self_cb, &s);
	n = walk("/proc/self/exe", 0, PPC_ELF_SYMTAB, 0, "test_elfsym_marker", &addr, &size);
	assert_true(n > 10);
	assert_int_equal(addr, (uintptr_t)&test_elfsym_marker - s.load_addr);
	assert_true(size > 0 && size < 4096);
	n2 = walk("/proc/self/exe", PPC_ELF_MMAP, PPC_ELF_SYMTAB, 0, "test_elfsym_marker",
		  &addr2, &size2);
	assert_int_equal(n2, n);
	assert_int_equal(addr2, addr);
	assert_int_equal(size2, size);
	/* malloc is libc's: undefined in this file, in both tables, and
	 * without an address (a PIE has no PLT slot standing for it) */
	for (unsigned funcs = 0; funcs <= PPC_ELF_FUNC_UNDEF; funcs += PPC_ELF_FUNC_UNDEF) {
		walk("/proc/self/exe", 0, PPC_ELF_SYMTAB, funcs, "malloc", &addr, &size);
		assert_int_equal(addr, (uint64_t)-1);
		walk("/proc/self/exe", 0, PPC_ELF_DYNSYM, funcs, "malloc", &addr, &size);
		assert_int_equal(addr, (uint64_t)-1);
	}
}

/* libc's .dynsym names getpid at the address the dynamic linker gives it;
 * strlen, an IFUNC there (x86-64 glibc picks it by CPU), only when asked. */
static void test_elfsym_libc_dynsym(void **state)
{
	void *fn = dlsym(RTLD_DEFAULT, "getpid");
	struct link_map *lm = NULL;
	Dl_info info;
	uint64_t addr, size;
	long n, n_ifunc;

	(void)state;
	assert_non_null(fn);
	assert_true(dladdr1(fn, &info, (void **)&lm, RTLD_DL_LINKMAP) != 0);
	assert_non_null(lm);
	n = walk(info.dli_fname, 0, PPC_ELF_DYNSYM, 0, "getpid", &addr, &size);
	assert_true(n > 100);
	assert_int_equal(addr, (uintptr_t)fn - lm->l_addr);
	walk(info.dli_fname, 0, PPC_ELF_DYNSYM, 0, "strlen", &addr, &size);
	assert_int_equal(addr, (uint64_t)-1);
	n_ifunc = walk(info.dli_fname, 0, PPC_ELF_DYNSYM, PPC_ELF_FUNC_IFUNC, "strlen", &addr,
		       &size);
	assert_true(n_ifunc > n);
	assert_true(addr != (uint64_t)-1 && addr != 0);
}

/* A non-PIE program that takes puts's address has a PLT slot standing for
 * it: an undefined symbol with an address, yielded only when asked. */
static void test_elfsym_plt_slot(void **state)
{
	static const char src[] = "#include <stdio.h>\n"
				  "int (*volatile p)(const char *);\n"
				  "int main(void) { p = puts; return p(\"x\") < 0; }\n";
	const char *c = put("plt.c", src, sizeof(src) - 1), *prog = tmp_path("plt");
	char cmd[1024];
	uint64_t addr, size;

	(void)state;
	snprintf(cmd, sizeof(cmd), "cc -O0 -fno-pie -no-pie -o %s %s", prog, c);
	if (system(cmd) != 0)
		skip();		/* no non-PIE toolchain */
	for (int table = PPC_ELF_SYMTAB; table <= PPC_ELF_DYNSYM; table++) {
		walk(prog, 0, (enum ppc_elf_table)table, 0, "puts", &addr, &size);
		assert_int_equal(addr, (uint64_t)-1);
		walk(prog, 0, (enum ppc_elf_table)table, PPC_ELF_FUNC_UNDEF, "puts", &addr, &size);
		assert_true(addr != (uint64_t)-1 && addr != 0);
	}
}

/* The build-id in the file is the one the loader mapped; a buffer too
 * small for it gets none. */
static void test_elfsym_build_id(void **state)
{
	struct self s = { 0 };
	struct ppc_elf e;
	uint8_t id[64], small[4];

	(void)state;
	dl_iterate_phdr(self_cb, &s);
	assert_true(s.build_id_len > sizeof(small));	/* the toolchain's default */
	assert_int_equal(ppc_elf_open(&e, "/proc/self/exe", 0, 0), 0);
	assert_int_equal(ppc_elf_build_id(&e, id, sizeof(id)), s.build_id_len);
	assert_memory_equal(id, s.build_id, s.build_id_len);
	assert_int_equal(ppc_elf_build_id(&e, small, sizeof(small)), 0);
	assert_int_equal(ppc_elf_sections_ok(&e), 1);
	ppc_elf_close(&e);
}

/* max_entries bounds the walk; a copy of the walk taken before it walks
 * the same symbols again. */
static void test_elfsym_walk_bounds(void **state)
{
	struct ppc_elf e;
	struct ppc_elf_funcs it, again;
	struct ppc_elf_func f, g;
	size_t total, n = 0;

	(void)state;
	assert_int_equal(ppc_elf_open(&e, "/proc/self/exe", 0, 0), 0);
	total = ppc_elf_funcs_begin(&e, PPC_ELF_SYMTAB, SIZE_MAX, 0, &it);
	assert_true(total > 10);
	again = it;
	while (ppc_elf_funcs_next(&it, &f)) {
		assert_int_equal(ppc_elf_funcs_next(&again, &g), 1);
		assert_int_equal(f.addr, g.addr);
		assert_string_equal(f.name, g.name);
		n++;
	}
	assert_int_equal(ppc_elf_funcs_next(&again, &g), 0);
	assert_int_equal(ppc_elf_funcs_next(&it, &f), 0);	/* stays at the end */
	assert_true(n > 0 && n < total);
	/* the null entry alone: nothing */
	assert_int_equal(ppc_elf_funcs_begin(&e, PPC_ELF_SYMTAB, 1, 0, &it), total);
	assert_int_equal(ppc_elf_funcs_next(&it, &f), 0);
	ppc_elf_close(&e);
}

/* What is not a regular ELF file is refused at once (the FIFO has no
 * writer: an open that blocked would hang the test), nothing left open. */
static void test_elfsym_refuses(void **state)
{
	char text[200];
	struct ppc_elf e;
	struct stat st;
	size_t size;
	const char *bad[6];

	(void)state;
	memset(text, 'x', sizeof(text));
	bad[0] = tmpdir;
	bad[1] = "/dev/null";
	bad[2] = put("short", "\177ELF", 4);
	bad[3] = put("text", text, sizeof(text));
	bad[4] = "/nonexistent/paraprof";
	bad[5] = tmp_path("fifo");
	assert_int_equal(mkfifo(bad[5], 0600), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e.fd = 12345;
		assert_int_equal(ppc_elf_open(&e, bad[i], 0, 0), -1);
		assert_int_equal(e.fd, -1);
		assert_null(e.elf);
		ppc_elf_close(&e);	/* harmless after a failure */
	}
	/* the size limit */
	assert_int_equal(stat("/proc/self/exe", &st), 0);
	size = (size_t)st.st_size;
	assert_int_equal(ppc_elf_open(&e, "/proc/self/exe", 0, size - 1), -1);
	assert_int_equal(ppc_elf_open(&e, "/proc/self/exe", 0, size), 0);
	ppc_elf_close(&e);
}

/* An ELF file cut before its section headers opens (its header is there),
 * says its sections are not all there, and yields no symbol. */
static void test_elfsym_cut_short(void **state)
{
	struct ppc_elf_funcs it;
	struct ppc_elf_func f;
	struct ppc_elf e;
	const char *path;
	struct stat st;
	char *buf;
	int fd;

	(void)state;
	assert_int_equal(stat("/proc/self/exe", &st), 0);
	buf = malloc((size_t)st.st_size / 2);
	assert_non_null(buf);
	fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, (size_t)st.st_size / 2), st.st_size / 2);
	close(fd);
	path = put("cut", buf, (size_t)st.st_size / 2);
	free(buf);
	for (unsigned flags = 0; flags <= PPC_ELF_MMAP; flags += PPC_ELF_MMAP) {
		assert_int_equal(ppc_elf_open(&e, path, flags, 0), 0);
		assert_int_equal(ppc_elf_sections_ok(&e), 0);
		ppc_elf_funcs_begin(&e, PPC_ELF_SYMTAB, SIZE_MAX, 0, &it);
		assert_int_equal(ppc_elf_funcs_next(&it, &f), 0);
		ppc_elf_close(&e);
	}
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	const char *names[] = { "fifo", "short", "text", "cut", "plt.c", "plt" };

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unlink(tmp_path(names[i]));
	return rmdir(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_elfsym_self),
		cmocka_unit_test(test_elfsym_libc_dynsym),
		cmocka_unit_test(test_elfsym_plt_slot),
		cmocka_unit_test(test_elfsym_build_id),
		cmocka_unit_test(test_elfsym_walk_bounds),
		cmocka_unit_test(test_elfsym_refuses),
		cmocka_unit_test(test_elfsym_cut_short),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
