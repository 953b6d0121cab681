/* wrap_sample.c - exec*, sigaction and signal, for the CPU-time sampler
 *
 * SIGPROF is the sampler's (cpusample.c) while PARAPROF_SAMPLE samples.  A
 * program that sets its own action for it (sigaction, signal) gets it: the
 * sampler stops first (cpusample_yield: every timer deleted), and the
 * action the program is told it replaced is the default one, as it would
 * have been without the library; a program that only asks sees the
 * default too.  (sigset(), sysv_signal() and bsd_signal() are not
 * wrapped: with them the sampler keeps the signal.)
 *
 * An exec keeps the signals pending for the thread that calls it and sets
 * every handled signal back to its default action, which for SIGPROF ends
 * the process.  A sample the timer of PARAPROF_SAMPLE (cpusample.c) sent
 * during the exec, or just before it, would kill the new program.  So each
 * exec* function of libc is replaced by one that deletes the calling
 * thread's timer and takes a pending SIGPROF first
 * (cpusample_before_exec), calls libc's, and starts the timer again when
 * the exec fails.  glibc's exec functions call its internal __execve, not
 * execve, so each of them is replaced: execve, execv, execvp, execvpe,
 * fexecve, and the variadic execl, execle and execlp, whose arguments are
 * gathered as glibc gathers them.  posix_spawn(), system() and popen() run
 * the exec in a new process, which has no timer: nothing to do there.
 */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

PP_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old);
PP_EXPORT sighandler_t signal(int sig, sighandler_t handler);

PP_EXPORT int execve(const char *path, char *const argv[], char *const envp[]);
PP_EXPORT int execv(const char *path, char *const argv[]);
PP_EXPORT int execvp(const char *file, char *const argv[]);
PP_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[]);
PP_EXPORT int fexecve(int fd, char *const argv[], char *const envp[]);
PP_EXPORT int execl(const char *path, const char *arg, ...);
PP_EXPORT int execle(const char *path, const char *arg, ...);
PP_EXPORT int execlp(const char *file, const char *arg, ...);

typedef int (*execve_fn)(const char *, char *const[], char *const[]);
typedef int (*execv_fn)(const char *, char *const[]);
typedef int (*fexecve_fn)(int, char *const[], char *const[]);

/* libc's, looked up at start-up: an exec may come from a signal handler
 * or a vfork()ed child, where dlsym is no call to make */
static execve_fn real_execve, real_execvpe;
static execv_fn real_execv, real_execvp;
static fexecve_fn real_fexecve;
static int (*real_sigaction)(int, const struct sigaction *, struct sigaction *);
static sighandler_t (*real_signal)(int, sighandler_t);

/* libc's `name`, looked up now if wrap_sample_init() has not run yet (a
 * call before our constructor: another preloaded library's, such as the
 * ASan runtime's own setup, which reaches sigaction through us). */
static void *real(void **slot, const char *name)
{
	void *f = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

	if (!f) {
		f = dlsym(RTLD_NEXT, name);
		__atomic_store_n(slot, f, __ATOMIC_RELEASE);
	}
	return f;
}

void wrap_sample_init(void)
{
	real_sigaction = (int (*)(int, const struct sigaction *, struct sigaction *))
			 dlsym(RTLD_NEXT, "sigaction");
	real_signal = (sighandler_t (*)(int, sighandler_t))dlsym(RTLD_NEXT, "signal");
	real_execve = (execve_fn)dlsym(RTLD_NEXT, "execve");
	real_execvpe = (execve_fn)dlsym(RTLD_NEXT, "execvpe");
	real_execv = (execv_fn)dlsym(RTLD_NEXT, "execv");
	real_execvp = (execv_fn)dlsym(RTLD_NEXT, "execvp");
	real_fexecve = (fexecve_fn)dlsym(RTLD_NEXT, "fexecve");
}

/* The end of every wrapper: libc's function returned, so the exec failed
 * (rc is -1); the timer starts again and errno is libc's. */
static int failed(int rc)
{
	int saved_errno = errno;

	cpusample_after_exec();
	errno = saved_errno;
	return rc;
}

int execve(const char *path, char *const argv[], char *const envp[])
{
	if (!real((void **)&real_execve, "execve")) {
		errno = ENOSYS;
		return -1;
	}
	cpusample_before_exec();
	return failed(real_execve(path, argv, envp));
}

int execv(const char *path, char *const argv[])
{
	if (!real((void **)&real_execv, "execv")) {
		errno = ENOSYS;
		return -1;
	}
	cpusample_before_exec();
	return failed(real_execv(path, argv));
}

int execvp(const char *file, char *const argv[])
{
	if (!real((void **)&real_execvp, "execvp")) {
		errno = ENOSYS;
		return -1;
	}
	cpusample_before_exec();
	return failed(real_execvp(file, argv));
}

int execvpe(const char *file, char *const argv[], char *const envp[])
{
	if (!real((void **)&real_execvpe, "execvpe")) {
		errno = ENOSYS;
		return -1;
	}
	cpusample_before_exec();
	return failed(real_execvpe(file, argv, envp));
}

int fexecve(int fd, char *const argv[], char *const envp[])
{
	if (!real((void **)&real_fexecve, "fexecve")) {
		errno = ENOSYS;
		return -1;
	}
	cpusample_before_exec();
	return failed(real_fexecve(fd, argv, envp));
}

/* The arguments of execl, execle and execlp after `arg`, counted (the NULL
 * that ends them excluded): as glibc, no bound but the stack. */
static size_t count_args(va_list ap)
{
	size_t n = 1;

	while (va_arg(ap, const char *))
		n++;
	return n;
}

/* argv[0] = arg, then the n arguments of *ap and the NULL after them. */
static void fill_args(char **argv, const char *arg, va_list *ap, size_t n)
{
	argv[0] = (char *)arg;
	for (size_t i = 1; i <= n; i++)
		argv[i] = va_arg(*ap, char *);
}

/* Counts the arguments after `arg` into n (a copy of ap walks them). */
#define COUNT_ARGS(ap, arg, n) do {		\
		va_list count_;			\
						\
		va_start(ap, arg);		\
		va_copy(count_, ap);		\
		n = count_args(count_);		\
		va_end(count_);			\
	} while (0)

int execl(const char *path, const char *arg, ...)
{
	va_list ap;
	size_t n;

	COUNT_ARGS(ap, arg, n);
	char *argv[n + 1];

	fill_args(argv, arg, &ap, n);
	va_end(ap);
	return execve(path, argv, environ);
}

int execle(const char *path, const char *arg, ...)
{
	va_list ap;
	char *const *envp;
	size_t n;

	COUNT_ARGS(ap, arg, n);
	char *argv[n + 1];

	fill_args(argv, arg, &ap, n);
	envp = va_arg(ap, char *const *);
	va_end(ap);
	return execve(path, argv, envp);
}

int execlp(const char *file, const char *arg, ...)
{
	va_list ap;
	size_t n;

	COUNT_ARGS(ap, arg, n);
	char *argv[n + 1];

	fill_args(argv, arg, &ap, n);
	va_end(ap);
	return execvp(file, argv);
}

int wrap_real_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	if (!real((void **)&real_sigaction, "sigaction")) {
		errno = ENOSYS;
		return -1;
	}
	return real_sigaction(sig, act, old);
}

int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	int ours = sig == SIGPROF && cpusample_owns_sigprof();
	int rc;

	if (ours && act)
		cpusample_yield();
	rc = wrap_real_sigaction(sig, act, old);
	if (rc == 0 && ours && old) {
		memset(old, 0, sizeof(*old));
		old->sa_handler = SIG_DFL;	/* as it was before the library took it */
	}
	return rc;
}

sighandler_t signal(int sig, sighandler_t handler)
{
	int ours = sig == SIGPROF && cpusample_owns_sigprof();
	sighandler_t prev;

	if (!real((void **)&real_signal, "signal")) {
		errno = ENOSYS;
		return SIG_ERR;
	}
	if (ours)
		cpusample_yield();
	prev = real_signal(sig, handler);
	return ours && prev != SIG_ERR ? SIG_DFL : prev;
}
