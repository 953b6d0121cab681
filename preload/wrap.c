/* wrap.c - the libc functions libparaprof.so replaces
 *
 * Ways out of a process that skip the destructors, where the profile would
 * otherwise stay behind in /dev/shm: _exit() and _Exit() (a forked child's
 * usual end), and daemon(), whose parent ends inside libc with an _exit()
 * no preloaded library sees.  And dlclose(): once a library is unloaded its
 * addresses may be another's, so the module table and the threads' tables
 * must hear of it.  longjmp() and siglongjmp() (and the fortified
 * __longjmp_chk): the hooks count the frames they leave as abandoned before
 * the jump, from the stack pointer it lands at (hooks_longjmp).  And
 * pthread_setname_np(): a thread that names itself has the name in its area
 * at once, for a reader of the live segment (the exit reads it again
 * anyway, so another thread's naming shows then).  Every wrapper does what
 * libc's function does.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

PP_EXPORT void _exit(int status);
PP_EXPORT void _Exit(int status);
PP_EXPORT int daemon(int nochdir, int noclose);
PP_EXPORT int dlclose(void *handle);
PP_EXPORT void longjmp(jmp_buf jb, int val);
PP_EXPORT void _longjmp(jmp_buf jb, int val);
PP_EXPORT void siglongjmp(sigjmp_buf jb, int val);
PP_EXPORT void __longjmp_chk(jmp_buf jb, int val);
PP_EXPORT int pthread_setname_np(pthread_t thread, const char *name);

typedef void (*jump_fn)(struct __jmp_buf_tag *jb, int val);

/*
 * The stack pointer a jump buffer lands at, or 0 when this libc's buffers
 * are not known.  glibc on x86_64 keeps it in __jmpbuf[6] (JB_RSP),
 * mangled: xor with the thread's pointer guard (%fs:0x30), then rotated
 * left by 17 bits.  wrap_init() checks the decoding on a buffer of its own
 * and turns it off when it does not hold.
 */
static int jb_known;

static uintptr_t jb_decode(const struct __jmp_buf_tag *jb)
{
#if defined(__x86_64__) && defined(__GLIBC__)
	uintptr_t v = (uintptr_t)jb->__jmpbuf[6];
	uintptr_t guard;

	__asm__("mov %%fs:0x30, %0" : "=r"(guard));
	return ((v >> 17) | (v << 47)) ^ guard;
#else
	(void)jb;
	return 0;
#endif
}

static uintptr_t jb_sp(const struct __jmp_buf_tag *jb)
{
	return jb_known ? jb_decode(jb) : 0;
}

/* 1 when jb_decode() finds a buffer's stack pointer: just below a local of
 * the function that set it. */
static int __attribute__((noinline)) jb_check(void)
{
	jmp_buf jb;
	volatile uintptr_t sp = 0;

	if (setjmp(jb) == 0)
		sp = jb_decode(jb);
	return sp && sp <= (uintptr_t)&jb && (uintptr_t)&jb - sp < 4096;
}

/* libc's, looked up at start-up (wrap_init(), called first by init.c's
 * constructor): dlsym is no call for a signal handler */
static jump_fn real_longjmp, real__longjmp, real_siglongjmp, real_longjmp_chk;

void wrap_init(void)
{
	real_longjmp = (jump_fn)dlsym(RTLD_NEXT, "longjmp");
	real__longjmp = (jump_fn)dlsym(RTLD_NEXT, "_longjmp");
	real_siglongjmp = (jump_fn)dlsym(RTLD_NEXT, "siglongjmp");
	real_longjmp_chk = (jump_fn)dlsym(RTLD_NEXT, "__longjmp_chk");
	jb_known = jb_check();
	wrap_sample_init();
}

/* Jumps with libc's `real`, or with the first of them found. */
static void __attribute__((noreturn)) jump(jump_fn real, struct __jmp_buf_tag *jb, int val)
{
	hooks_longjmp(jb_sp(jb));
	if (!real)
		real = real_siglongjmp ? real_siglongjmp : real_longjmp;
	real(jb, val);
	__builtin_unreachable();
}

void longjmp(jmp_buf jb, int val)
{
	jump(real_longjmp, jb, val);
}

void _longjmp(jmp_buf jb, int val)
{
	jump(real__longjmp, jb, val);
}

void siglongjmp(sigjmp_buf jb, int val)
{
	jump(real_siglongjmp, jb, val);
}

void __longjmp_chk(jmp_buf jb, int val)
{
	jump(real_longjmp_chk, jb, val);
}

void _exit(int status)
{
	init_exit(0);
	for (;;)
		syscall(SYS_exit_group, status);
}

void _Exit(int status)
{
	_exit(status);
}

/* As glibc's daemon(): fork, the parent leaves (through _exit above, so its
 * profile is written), the child starts a session, goes to / and points its
 * standard streams at /dev/null. */
int daemon(int nochdir, int noclose)
{
	struct stat st;
	int fd;

	switch (fork()) {
	case -1:
		return -1;
	case 0:
		break;
	default:
		_exit(0);
	}
	if (setsid() == -1)
		return -1;
	if (!nochdir && chdir("/") != 0)
		return -1;
	if (noclose)
		return 0;
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISCHR(st.st_mode)) {
		close(fd);
		errno = ENODEV;
		return -1;
	}
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > 2)
		close(fd);
	return 0;
}

int dlclose(void *handle)
{
	static int (*real_dlclose)(void *);
	int rc;

	if (!real_dlclose)
		real_dlclose = (int (*)(void *))dlsym(RTLD_NEXT, "dlclose");
	if (!real_dlclose)
		return -1;
	rc = real_dlclose(handle);
	if (rc == 0 && seg_base) {
		seg_modules_changed();
		hooks_modules_changed();
	}
	return rc;
}

int pthread_setname_np(pthread_t thread, const char *name)
{
	static int (*real_setname)(pthread_t, const char *);
	int rc;

	if (!real_setname)
		real_setname = (int (*)(pthread_t, const char *))dlsym(RTLD_NEXT,
								      "pthread_setname_np");
	if (!real_setname)
		return ENOSYS;
	rc = real_setname(thread, name);
	if (rc == 0 && pthread_equal(thread, pthread_self()))
		hooks_thread_named(name);
	return rc;
}
