/* init.c - start-up, fork and exit of libparaprof
 *
 * The constructor only reads the environment: the segment is made by the
 * first instrumented call (or API call), so that the uninstrumented programs
 * a profiled program starts (a shell, make) inherit LD_PRELOAD without
 * leaving empty profiles behind.  PARAPROF_ENABLE=0 makes it at once, so
 * that paraprof-report --pid can find and enable it.
 *
 * fork: the child forgets its parent's segment and makes its own on its
 * first call; calls in progress at the fork are counted in the parent only.
 * exit: the destructor accounts the frames left open on the calling thread
 * and writes the dump; _exit() does the same through wrap.c.  A setuid or
 * setgid program (AT_SECURE) is never profiled: env.c reads no setting for
 * it and says so.
 */
#include <pthread.h>
#include <unistd.h>

#include "internal.h"

static pthread_mutex_t create_lock = PTHREAD_MUTEX_INITIALIZER;
static int created;		/* 0 not yet, 1 made, -1 failed: profiling off */
static uint64_t start_ns;	/* CLOCK_MONOTONIC when the program started */

int init_segment(void)
{
	int rc;

	pthread_mutex_lock(&create_lock);
	if (!created) {
		clock_init();
		created = seg_create(start_ns) == 0 ? 1 : -1;
		if (created > 0)
			sampler_start();
		else
			seg_off();
	}
	rc = created > 0 ? 0 : -1;
	pthread_mutex_unlock(&create_lock);
	return rc;
}

static void before_fork(void)
{
	pthread_mutex_lock(&create_lock);
	seg_lock_all();
}

static void after_fork_parent(void)
{
	seg_unlock_all();
	pthread_mutex_unlock(&create_lock);
}

static void after_fork_child(void)
{
	pthread_mutex_init(&create_lock, NULL);
	hooks_forget();
	sampler_forget();
	symtab_forget();
	/* always: before_fork took the segment's locks even if there was no
	 * segment yet, and only this thread of the child holds them */
	seg_forget();
	if (created > 0) {
		created = 0;
		start_ns = clock_mono_ns();
	}
}

void init_exit(void)
{
	/* a vfork()ed child, or a raw clone(), runs on its parent's segment:
	 * only the process that made it writes it */
	if (created <= 0 || !seg_base || seg_header()->pid != (uint32_t)getpid())
		return;
	hooks_abandon_all();
	seg_finish();
	created = -1;
}

__attribute__((constructor)) static void paraprof_init(void)
{
	start_ns = clock_mono_ns();
	env_read();
	if (env.secure) {
		seg_off();	/* env_read() said so */
		return;
	}
	seg_adopt_leftover();
	hooks_init();
	pthread_atfork(before_fork, after_fork_parent, after_fork_child);
	if (env.enable)
		seg_defer();
	else
		init_segment();
}

__attribute__((destructor)) static void paraprof_fini(void)
{
	init_exit();
}
