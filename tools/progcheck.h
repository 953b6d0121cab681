/* progcheck.h - what the launcher tells of a program from its ELF file
 *
 * Before it runs a program, the launcher looks whether it was built with
 * -finstrument-functions (progcheck.c says how), to say so when not.
 */
#ifndef PARAPROF_PROGCHECK_H
#define PARAPROF_PROGCHECK_H

/* What the launcher can tell of PROGRAM from its file. */
enum prog_build {
	PROG_UNKNOWN,		/* not found, not ELF (a script), unreadable: nothing said */
	PROG_STATIC,		/* no PT_INTERP: LD_PRELOAD does not reach it */
	PROG_INSTRUMENTED,	/* it or a library it needs calls the entry hook */
	PROG_PLAIN,		/* neither: built without -finstrument-functions */
};

/*
 * What PROGRAM (argv[0], as given: looked up in PATH when it has no slash)
 * is: whether it, or one of the libraries it names in DT_NEEDED (not theirs
 * in turn), calls __cyg_profile_func_enter through the dynamic linker, as
 * every program or library built with -finstrument-functions does; whether
 * it is static.  A library it loads later with dlopen() is not seen.
 * Allocates nothing that outlives the call; never fails (PROG_UNKNOWN).
 */
enum prog_build progcheck_build(const char *name);

#endif
