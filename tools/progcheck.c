/* progcheck.c - what the launcher tells of a program from its ELF file
 *
 * A program or shared library built with -finstrument-functions calls
 * __cyg_profile_func_enter, which glibc (or libparaprof.so, preloaded)
 * defines: the symbol is undefined in its .dynsym.  This looks for it with
 * libelf in the program and in the libraries it names in DT_NEEDED (one
 * level: an instrumented library that only a library needs is not seen),
 * found the way the dynamic linker looks, less its cache (find_needed).  A
 * file that is not ELF (a script) or cannot be read tells nothing.  It is a
 * hint for one line on stderr, not a proof: a library loaded with dlopen()
 * is never seen.
 */
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "progcheck.h"

#define MAX_NEEDED 64		/* DT_NEEDED entries looked at; more are rare */

/* What one ELF file says: filled by elf_scan(); strings malloc'ed. */
struct elf_facts {
	int has_interp;		/* has PT_INTERP: run through the dynamic linker */
	int calls_hook;		/* __cyg_profile_func_enter undefined in .dynsym */
	char *needed[MAX_NEEDED];
	size_t nneeded;
	char *rpath, *runpath;	/* DT_RPATH, DT_RUNPATH; NULL when absent */
};

static void elf_facts_free(struct elf_facts *f)
{
	for (size_t i = 0; i < f->nneeded; i++)
		free(f->needed[i]);
	free(f->rpath);
	free(f->runpath);
}

/* The symbols of the section `scn` (SHT_DYNSYM): 1 when the entry hook is
 * among the undefined ones, the ones the dynamic linker must find. */
static int dynsym_calls_hook(Elf *e, Elf_Scn *scn, const GElf_Shdr *sh)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t n = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;
	GElf_Sym sym;

	for (size_t i = 1; data && i < n; i++) {
		const char *name;

		if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx != SHN_UNDEF)
			continue;
		name = elf_strptr(e, sh->sh_link, sym.st_name);
		if (name && strcmp(name, "__cyg_profile_func_enter") == 0)
			return 1;
	}
	return 0;
}

/* The DT_NEEDED, DT_RPATH and DT_RUNPATH entries of section `scn`
 * (SHT_DYNAMIC) into f (best effort: what does not fit is left out). */
static void dynamic_entries(Elf *e, Elf_Scn *scn, const GElf_Shdr *sh, struct elf_facts *f)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t n = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;
	GElf_Dyn dyn;

	for (size_t i = 0; data && i < n; i++) {
		const char *str;

		if (!gelf_getdyn(data, (int)i, &dyn) || dyn.d_tag == DT_NULL)
			break;
		if (dyn.d_tag != DT_NEEDED && dyn.d_tag != DT_RPATH && dyn.d_tag != DT_RUNPATH)
			continue;
		str = elf_strptr(e, sh->sh_link, dyn.d_un.d_val);
		if (!str)
			continue;
		if (dyn.d_tag == DT_NEEDED && f->nneeded < MAX_NEEDED)
			f->needed[f->nneeded++] = strdup(str);
		else if (dyn.d_tag == DT_RPATH && !f->rpath)
			f->rpath = strdup(str);
		else if (dyn.d_tag == DT_RUNPATH && !f->runpath)
			f->runpath = strdup(str);
	}
	while (f->nneeded && !f->needed[f->nneeded - 1])	/* strdup failed */
		f->nneeded--;
}

/* Reads the ELF file `path` into *f (zeroed first).  Returns 0, or -1 when
 * it cannot be opened or is not an ELF file of a kind libelf reads. */
static int elf_scan(const char *path, struct elf_facts *f)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	Elf_Scn *scn = NULL;
	size_t phnum;
	GElf_Phdr ph;
	GElf_Shdr sh;
	Elf *e;

	memset(f, 0, sizeof(*f));
	if (fd < 0)
		return -1;
	if (elf_version(EV_CURRENT) == EV_NONE ||
	    !(e = elf_begin(fd, ELF_C_READ, NULL))) {
		close(fd);
		return -1;
	}
	if (elf_kind(e) != ELF_K_ELF || elf_getphdrnum(e, &phnum) != 0) {
		elf_end(e);
		close(fd);
		return -1;
	}
	for (size_t i = 0; i < phnum; i++)
		if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_INTERP)
			f->has_interp = 1;
	while ((scn = elf_nextscn(e, scn)) != NULL) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_DYNSYM && !f->calls_hook)
			f->calls_hook = dynsym_calls_hook(e, scn, &sh);
		else if (sh.sh_type == SHT_DYNAMIC)
			dynamic_entries(e, scn, &sh, f);
	}
	elf_end(e);
	close(fd);
	return 0;
}

/* Whether `path` is a regular file we may execute. */
static int is_exec_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* PROGRAM's file as execvp finds it (through PATH when the name has no
 * slash) into buf; 0, or -1 when there is none. */
static int find_program(const char *name, char *buf, size_t size)
{
	const char *path = getenv("PATH");

	if (strchr(name, '/'))
		return (size_t)snprintf(buf, size, "%s", name) < size && is_exec_file(buf) ? 0 : -1;
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path;; p++) {
		const char *colon = strchr(p, ':');
		size_t len = colon ? (size_t)(colon - p) : strlen(p);

		/* an empty entry is the current directory, as execvp takes it */
		if ((size_t)snprintf(buf, size, "%.*s%s%s", (int)len, p, len ? "/" : "",
				     name) < size && is_exec_file(buf))
			return 0;
		if (!colon)
			return -1;
		p = colon;
	}
}

/*
 * Looks `name` (a DT_NEEDED entry) up in the colon-separated `dirs` ($ORIGIN
 * taken as `origin`, the directory of the file that needs it); the first
 * file found goes into buf.  Returns 0, or -1 when none is there.
 */
static int lib_in_dirs(const char *name, const char *dirs, const char *origin,
		       char *buf, size_t size)
{
	for (const char *p = dirs; p && *p;) {
		const char *colon = strchr(p, ':');
		size_t len = colon ? (size_t)(colon - p) : strlen(p);
		char dir[PATH_MAX];

		if (len >= 7 && strncmp(p, "$ORIGIN", 7) == 0)
			snprintf(dir, sizeof(dir), "%s%.*s", origin, (int)(len - 7), p + 7);
		else if (len >= 9 && strncmp(p, "${ORIGIN}", 9) == 0)
			snprintf(dir, sizeof(dir), "%s%.*s", origin, (int)(len - 9), p + 9);
		else
			snprintf(dir, sizeof(dir), "%.*s", (int)len, p);
		if (*dir && (size_t)snprintf(buf, size, "%s/%s", dir, name) < size &&
		    access(buf, R_OK) == 0)
			return 0;
		p = colon ? colon + 1 : p + len;
	}
	return -1;
}

#if defined(__x86_64__)
#define MULTIARCH "x86_64-linux-gnu"
#elif defined(__aarch64__)
#define MULTIARCH "aarch64-linux-gnu"
#elif defined(__i386__)
#define MULTIARCH "i386-linux-gnu"
#else
#define MULTIARCH "."
#endif

/*
 * Where a library that `prog` needs is looked for, in the dynamic linker's
 * order but without its cache (ld.so.cache): DT_RPATH (when there is no
 * DT_RUNPATH), LD_LIBRARY_PATH, DT_RUNPATH, then the usual directories.  A
 * library found nowhere is not looked at: the check is a hint, not a proof.
 */
static int find_needed(const char *name, const struct elf_facts *prog, const char *origin,
		       char *buf, size_t size)
{
	static const char defaults[] = "/lib/" MULTIARCH ":/usr/lib/" MULTIARCH
		":/lib64:/usr/lib64:/lib:/usr/lib:/usr/local/lib";

	if (strchr(name, '/'))
		return (size_t)snprintf(buf, size, "%s", name) < size ? 0 : -1;
	if (!prog->runpath && lib_in_dirs(name, prog->rpath, origin, buf, size) == 0)
		return 0;
	if (lib_in_dirs(name, getenv("LD_LIBRARY_PATH"), origin, buf, size) == 0)
		return 0;
	if (lib_in_dirs(name, prog->runpath, origin, buf, size) == 0)
		return 0;
	return lib_in_dirs(name, defaults, origin, buf, size);
}

enum prog_build progcheck_build(const char *name)
{
	char path[PATH_MAX], origin[PATH_MAX], lib[PATH_MAX];
	enum prog_build kind = PROG_PLAIN;
	struct elf_facts prog, dep;
	char *slash;

	if (find_program(name, path, sizeof(path)) != 0 || elf_scan(path, &prog) != 0)
		return PROG_UNKNOWN;
	if (!prog.has_interp)
		kind = PROG_STATIC;
	else if (prog.calls_hook)
		kind = PROG_INSTRUMENTED;
	if (kind == PROG_PLAIN) {
		if (!realpath(path, origin))
			snprintf(origin, sizeof(origin), "%s", path);
		slash = strrchr(origin, '/');
		if (slash)
			*slash = '\0';
		for (size_t i = 0; i < prog.nneeded && kind == PROG_PLAIN; i++) {
			if (find_needed(prog.needed[i], &prog, origin, lib, sizeof(lib)) != 0 ||
			    elf_scan(lib, &dep) != 0)
				continue;
			if (dep.calls_hook)
				kind = PROG_INSTRUMENTED;
			elf_facts_free(&dep);
		}
	}
	elf_facts_free(&prog);
	return kind;
}
