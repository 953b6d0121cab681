/* init.c - the lifecycle of libparaprof: start, fork and exit
 *
 * The one module that starts, forks and stops everything: the library's
 * only constructor, only destructor and only pthread_atfork() are here, and
 * call the other modules' hooks in the order below.  No other file may
 * register one (the order of constructors, of fork handlers and of exit
 * handlers across files is the linker's and libc's, not ours).
 *
 * Start (the constructor), in this order:
 *   1. wrap_init(): the libc functions the wrappers forward to, whatever
 *      else happens (a longjmp wrapper must always be able to jump);
 *   2. env_read(): every setting (env.c; PARAPROF_SLOW_THRESHOLD is read
 *      there too, at the first request, as documented);
 *   3. pthread_atfork(), with the handlers below;
 *   4. unless the program is setuid or setgid (AT_SECURE: never profiled,
 *      env_read() said so): seg_adopt_leftover(), hooks_init(), then the
 *      segment now when PARAPROF_ENABLE=0 (so that paraprof-report --pid
 *      can find and enable it), else at the first instrumented or API call
 *      (seg_defer()), so that the uninstrumented programs a profiled
 *      program starts (a shell, make) inherit LD_PRELOAD without leaving
 *      empty profiles behind.
 *
 * Fork (the one pthread_atfork()):
 *   prepare: request_fork_prepare() (request/'s lock), then, when
 *            profiling, the segment's creation lock and seg_lock_all();
 *            the cache takes no lock;
 *   parent:  the same, released in the reverse order;
 *   child:   when profiling, the runtime forgets its parent's segment
 *            (hooks, sampler, symbol tables, segment: the child makes its
 *            own at its first call; calls in progress at the fork are
 *            counted in the parent only); then request_fork_child(), then
 *            cache_fork_child() (reader slots reset, caches no longer
 *            published).
 *
 * Exit:
 *   exit() or a return from main runs the destructor: request_exit() (the
 *   line for the slow-request warnings not shown), then init_exit();
 *   _exit(), _Exit() and daemon()'s parent (wrap.c) call init_exit() only.
 *   init_exit(), in the process that made the segment only, once:
 *   cache_publish_all() (the caches' counters into the segment),
 *   hooks_abandon_all() (the calling thread's open frames), from the
 *   destructor only names_collect() (the names table: it allocates),
 *   seg_finish() (the dump).  Publishing here rather than in an atexit
 *   handler puts it before the dump whatever the order of exit handlers,
 *   on _exit too.
 *   A process that never made its segment (no instrumented call, no API
 *   call: no region, span or request) recorded nothing, and says so once
 *   instead (say_nothing_recorded() below says when).
 */
#include <errno.h>
#include <pthread.h>
#include <unistd.h>

#include "internal.h"
#include "common/nametab.h"
#include "../cache/cache.h"
#include "../request/request.h"

static pthread_mutex_t create_lock = PTHREAD_MUTEX_INITIALIZER;
static int created;		/* 0 not yet, 1 made, -1 failed: profiling off */
static uint64_t start_ns;	/* CLOCK_MONOTONIC when the program started */
static pid_t start_pid;		/* the process the constructor ran in */
static int said_nothing;	/* the "recorded nothing" line was said */

int init_segment(void)
{
	int rc;

	libcalls_lock(&create_lock);
	if (!created) {
		clock_init();
		created = seg_create(start_ns) == 0 ? 1 : -1;
		if (created > 0) {
			sampler_start();
			slow_warm();
			calib_segment_made();
			cpusample_init();	/* PARAPROF_SAMPLE */
		} else
			seg_off();
	}
	rc = created > 0 ? 0 : -1;
	libcalls_unlock(&create_lock);
	return rc;
}

/* The fork handlers: the order is the header's.  A setuid or setgid
 * program has no runtime to fork (env.secure is set once, before these are
 * registered). */
static void before_fork(void)
{
	request_fork_prepare();
	if (env.secure)
		return;
	libcalls_lock(&create_lock);
	seg_lock_all();
}

static void after_fork_parent(void)
{
	if (!env.secure) {
		seg_unlock_all();
		libcalls_unlock(&create_lock);
	}
	request_fork_parent();
}

static void after_fork_child(void)
{
	if (!env.secure) {
		pthread_mutex_init(&create_lock, NULL);
		libcalls_forget_held();	/* the locks below are made anew */
		hooks_forget();
		calib_forget();
		slow_after_fork();
		sampler_forget();
		symtab_forget();
		/* always: before_fork took the segment's locks even if there was
		 * no segment yet, and only this thread of the child holds them */
		seg_forget();
		if (created > 0) {
			created = 0;
			start_ns = clock_mono_ns();
		}
	}
	request_fork_child();
	cache_fork_child();
}

/*
 * The line for a program that recorded nothing, most often one built
 * without -finstrument-functions that makes no API call: without it the
 * user finds no dump and no reason.  Said once, on stderr (env_warn: not
 * with PARAPROF_QUIET), only by the process that started the program (a
 * forked child, or a vfork()ed one that runs on our memory, is part of its
 * parent's program: the parent speaks for it), not when a program this
 * process ran before an exec recorded something (seg_exec_gen() > 0: the
 * process did record, its dump is there), and not in a run of the
 * launcher (PARAPROF_SESSION set), which looks at the program's ELF file
 * before it runs and says it there, once for the whole run, rather than
 * once for every uninstrumented program a script or make starts.
 */
static void say_nothing_recorded(void)
{
	if (said_nothing || env.secure || env.session || getpid() != start_pid ||
	    seg_exec_gen() > 0)
		return;
	said_nothing = 1;
	env_warn("pid %d (%s) recorded nothing: was it built with -finstrument-functions?",
		 (int)start_pid, program_invocation_short_name);
}

void init_exit(int named)
{
	struct ppc_names names;

	if (created == 0)
		say_nothing_recorded();
	/* a vfork()ed child, or a raw clone(), runs on its parent's segment:
	 * only the process that made it writes it */
	if (created <= 0 || !seg_base || seg_header()->pid != (uint32_t)getpid())
		return;
	cache_publish_all();
	hooks_abandon_all();
	/* the names before the dump: a thread still running may make a record
	 * meanwhile, which the reader then names from the binary.  Not on
	 * the _exit() path, which may be a signal handler's: no malloc, and
	 * no free() either */
	if (named) {
		ppc_names_init(&names);
		if (names_collect(&names))
			ppc_names_free(&names);	/* out of memory: the dump without */
	}
	seg_finish(named ? &names : NULL);
	if (named)
		ppc_names_free(&names);
	created = -1;
}

__attribute__((constructor)) static void paraprof_init(void)
{
	wrap_init();
	libcalls_init();
	start_ns = clock_mono_ns();
	start_pid = getpid();
	env_read();
	pthread_atfork(before_fork, after_fork_parent, after_fork_child);
	if (env.secure) {
		seg_off();	/* env_read() said so */
		return;
	}
	seg_adopt_leftover();
	hooks_init();
	if (env.enable)
		seg_defer();
	else
		init_segment();
}

__attribute__((destructor)) static void paraprof_fini(void)
{
	request_exit();
	init_exit(1);
}
