/* libcalls.c - blocking libc and pthread calls, recorded as entries of their own
 *
 * A function that waits (in nanosleep, read, poll, pthread_join, a
 * contended mutex ...) would show that time as its own: the hooks only see
 * instrumented functions.  The library replaces a curated set of blocking
 * calls (the table below, listed in libparaprof(3)) with wrappers that
 * record each call, when it returns, in a record of kind PPF_KIND_LIBCALL
 * named after the call ("nanosleep") under the thread's top frame.  The
 * call is a callee of the instrumented function that made it: that
 * function's self time no longer holds the wait, and the call has its own
 * calls, times and percentiles on every path.
 *
 * The cost falls on these calls only (about what a span costs); the
 * hooks of instrumented functions are untouched.  A mutex, a read-write
 * lock or a semaphore is first tried without waiting: taken at once, the
 * call waited for nothing and is not recorded.  PARAPROF_LIBCALLS=0 turns
 * the recording off (the wrappers then only forward).  Every wrapper does
 * what libc's function does, errno included; one called by the library's
 * own code, from inside a hook (the gate is closed) or before start-up
 * only forwards.
 *
 * A program built with _FORTIFY_SOURCE (Debian's and Ubuntu's hardening
 * flags) calls __read_chk for read when the buffer's size is known, and
 * so on: those are wrapped too, and recorded under the plain name.
 */
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/*
 * The calls, as X(return type, name, (parameters), (arguments), glibc
 * version or NULL).  A version is named where glibc keeps an older one
 * beside the default (pthread_cond_*: 2.2.5, for another struct layout);
 * lookup() below gets the default one.
 */
#define LIBCALLS(X) \
	X(unsigned int, sleep, (unsigned int s), (s), NULL) \
	X(int, usleep, (useconds_t us), (us), NULL) \
	X(int, nanosleep, (const struct timespec *req, struct timespec *rem), (req, rem), NULL) \
	X(int, clock_nanosleep, (clockid_t id, int flags, const struct timespec *req, \
				 struct timespec *rem), (id, flags, req, rem), NULL) \
	X(ssize_t, read, (int fd, void *buf, size_t n), (fd, buf, n), NULL) \
	X(ssize_t, write, (int fd, const void *buf, size_t n), (fd, buf, n), NULL) \
	X(ssize_t, pread, (int fd, void *buf, size_t n, off_t off), (fd, buf, n, off), NULL) \
	X(ssize_t, pwrite, (int fd, const void *buf, size_t n, off_t off), (fd, buf, n, off), NULL) \
	X(ssize_t, pread64, (int fd, void *buf, size_t n, off_t off), (fd, buf, n, off), NULL) \
	X(ssize_t, pwrite64, (int fd, const void *buf, size_t n, off_t off), (fd, buf, n, off), NULL) \
	X(ssize_t, readv, (int fd, const struct iovec *iov, int n), (fd, iov, n), NULL) \
	X(ssize_t, writev, (int fd, const struct iovec *iov, int n), (fd, iov, n), NULL) \
	X(int, poll, (struct pollfd *fds, nfds_t n, int timeout), (fds, n, timeout), NULL) \
	X(int, ppoll, (struct pollfd *fds, nfds_t n, const struct timespec *timeout, \
		       const sigset_t *mask), (fds, n, timeout, mask), NULL) \
	X(int, select, (int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *timeout), \
	  (n, r, w, e, timeout), NULL) \
	X(int, pselect, (int n, fd_set *r, fd_set *w, fd_set *e, const struct timespec *timeout, \
			 const sigset_t *mask), (n, r, w, e, timeout, mask), NULL) \
	X(int, epoll_wait, (int ep, struct epoll_event *ev, int n, int timeout), \
	  (ep, ev, n, timeout), NULL) \
	X(int, epoll_pwait, (int ep, struct epoll_event *ev, int n, int timeout, \
			     const sigset_t *mask), (ep, ev, n, timeout, mask), NULL) \
	X(int, accept, (int fd, struct sockaddr *a, socklen_t *len), (fd, a, len), NULL) \
	X(int, accept4, (int fd, struct sockaddr *a, socklen_t *len, int flags), \
	  (fd, a, len, flags), NULL) \
	X(int, connect, (int fd, const struct sockaddr *a, socklen_t len), (fd, a, len), NULL) \
	X(ssize_t, recv, (int fd, void *buf, size_t n, int flags), (fd, buf, n, flags), NULL) \
	X(ssize_t, recvfrom, (int fd, void *buf, size_t n, int flags, struct sockaddr *a, \
			      socklen_t *len), (fd, buf, n, flags, a, len), NULL) \
	X(ssize_t, recvmsg, (int fd, struct msghdr *m, int flags), (fd, m, flags), NULL) \
	X(ssize_t, send, (int fd, const void *buf, size_t n, int flags), (fd, buf, n, flags), NULL) \
	X(ssize_t, sendto, (int fd, const void *buf, size_t n, int flags, const struct sockaddr *a, \
			    socklen_t len), (fd, buf, n, flags, a, len), NULL) \
	X(ssize_t, sendmsg, (int fd, const struct msghdr *m, int flags), (fd, m, flags), NULL) \
	X(int, pthread_join, (pthread_t th, void **ret), (th, ret), NULL) \
	X(pid_t, wait, (int *status), (status), NULL) \
	X(pid_t, waitpid, (pid_t pid, int *status, int options), (pid, status, options), NULL) \
	X(int, waitid, (idtype_t type, id_t id, siginfo_t *info, int options), \
	  (type, id, info, options), NULL) \
	X(int, sem_timedwait, (sem_t *s, const struct timespec *abstime), (s, abstime), NULL) \
	X(int, pthread_cond_clockwait, (pthread_cond_t *c, pthread_mutex_t *m, clockid_t clk, \
					const struct timespec *abstime), (c, m, clk, abstime), \
	  NULL) \
	X(int, pthread_cond_wait, (pthread_cond_t *c, pthread_mutex_t *m), (c, m), "GLIBC_2.3.2") \
	X(int, pthread_cond_timedwait, (pthread_cond_t *c, pthread_mutex_t *m, \
					const struct timespec *abstime), (c, m, abstime), \
	  "GLIBC_2.3.2") \
	X(int, fsync, (int fd), (fd), NULL) \
	X(int, fdatasync, (int fd), (fd), NULL)

/* The calls that may not have to wait, as Y(name, (parameters),
 * (arguments), the call that tries without waiting, (its parameters),
 * (its arguments), what it returns when the call would wait, what the call
 * returns when libc lacks it): taken at once, they are not recorded.  Any
 * other answer of the try is the call's own (a robust mutex's EOWNERDEAD
 * comes from the try as from the call; an error-checking mutex its caller
 * holds makes the try answer EBUSY, and the call then EDEADLK).  Not
 * sem_timedwait: it refuses a bad abstime even when it need not wait. */
#define TRIED(Y) \
	Y(pthread_mutex_lock, (pthread_mutex_t *m), (m), \
	  pthread_mutex_trylock, (pthread_mutex_t *m), (m), rc == EBUSY, ENOSYS) \
	Y(pthread_rwlock_rdlock, (pthread_rwlock_t *l), (l), \
	  pthread_rwlock_tryrdlock, (pthread_rwlock_t *l), (l), rc == EBUSY, ENOSYS) \
	Y(pthread_rwlock_wrlock, (pthread_rwlock_t *l), (l), \
	  pthread_rwlock_trywrlock, (pthread_rwlock_t *l), (l), rc == EBUSY, ENOSYS) \
	Y(sem_wait, (sem_t *s), (s), \
	  sem_trywait, (sem_t *s), (s), rc == -1 && errno == EAGAIN, -1)

/* The fortified entry points of some of them, as Z(return type, name,
 * the call it is recorded as, (parameters), (arguments)). */
#define CHECKED(Z) \
	Z(ssize_t, __read_chk, read, (int fd, void *buf, size_t n, size_t buflen), \
	  (fd, buf, n, buflen)) \
	Z(ssize_t, __pread_chk, pread, (int fd, void *buf, size_t n, off_t off, size_t buflen), \
	  (fd, buf, n, off, buflen)) \
	Z(ssize_t, __pread64_chk, pread64, (int fd, void *buf, size_t n, off_t off, \
					    size_t buflen), (fd, buf, n, off, buflen)) \
	Z(ssize_t, __recv_chk, recv, (int fd, void *buf, size_t n, size_t buflen, int flags), \
	  (fd, buf, n, buflen, flags)) \
	Z(ssize_t, __recvfrom_chk, recvfrom, (int fd, void *buf, size_t n, size_t buflen, \
					      int flags, struct sockaddr *a, socklen_t *len), \
	  (fd, buf, n, buflen, flags, a, len)) \
	Z(int, __poll_chk, poll, (struct pollfd *fds, nfds_t n, int timeout, size_t fdslen), \
	  (fds, n, timeout, fdslen)) \
	Z(int, __ppoll_chk, ppoll, (struct pollfd *fds, nfds_t n, const struct timespec *timeout, \
				    const sigset_t *mask, size_t fdslen), \
	  (fds, n, timeout, mask, fdslen))

#define DECLARE(type, name, params, args, ver) PP_EXPORT type name params;
LIBCALLS(DECLARE)
#define DECLARE_TRIED(name, params, args, try, tparams, targs, busy, missing) PP_EXPORT int name params;
TRIED(DECLARE_TRIED)
#define DECLARE_CHECKED(type, name, as, params, args) PP_EXPORT type name params;
CHECKED(DECLARE_CHECKED)

/* libc's functions: looked up by libcalls_init(), or at the first call
 * when it comes before the library's constructor */
#define REAL(type, name, params, args, ver) static type (*real_##name) params;
LIBCALLS(REAL)
#define REAL_TRIED(name, params, args, try, tparams, targs, busy, missing) \
	static int (*real_##name) params; \
	static int (*try_##name) tparams;
TRIED(REAL_TRIED)
#define REAL_CHECKED(type, name, as, params, args) static type (*real_##name) params;
CHECKED(REAL_CHECKED)

/* The next definition of `name` after this library's: libc's, or a
 * sanitizer's interceptor in front of it.  dlsym gives a versioned symbol's
 * default version (pthread_cond_wait@@GLIBC_2.3.2, not the 2.2.5 one), the
 * one the program linked; dlvsym would go past an interceptor that has no
 * versions (ThreadSanitizer's), which then would not see the mutex the
 * wait releases.  `ver` names that version, for the record. */
static void *lookup(const char *name, const char *ver)
{
	(void)ver;
	return dlsym(RTLD_NEXT, name);
}

/* [lib_lo, lib_hi): the library's own code.  Its calls of these names
 * (the segment's locks, the dump's writes; inside a hook or not) are
 * forwarded only: the library's waits are not the program's, and a lock
 * it holds must never lead back into the hooks. */
static uintptr_t lib_lo, lib_hi;

/* ... and a library it calls (libelf reading a module's symbols), and a
 * signal handler that interrupted the library holding one of its locks,
 * while this is set (a count: each lock held and each such section) */
__thread int libcalls_paused __attribute__((tls_model("initial-exec")));

/* 1 when a call from return address `ra` may be recorded */
static inline int from_program(uintptr_t ra)
{
	return env.libcalls && !libcalls_paused && ra - lib_lo >= lib_hi - lib_lo;
}

static int find_text(struct dl_phdr_info *info, size_t size, void *arg)
{
	uintptr_t at = (uintptr_t)arg;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && at - lo < ph->p_memsz) {
			lib_lo = lo;
			lib_hi = lo + ph->p_memsz;
			return 1;
		}
	}
	return 0;
}

void libcalls_init(void)
{
	dl_iterate_phdr(find_text, (void *)(uintptr_t)libcalls_init);
#define LOOK(type, name, params, args, ver) \
	real_##name = (type (*) params)lookup(#name, ver);
	LIBCALLS(LOOK)
#define LOOK_TRIED(name, params, args, try, tparams, targs, busy, missing) \
	real_##name = (int (*) params)lookup(#name, NULL); \
	try_##name = (int (*) tparams)lookup(#try, NULL);
	TRIED(LOOK_TRIED)
#define LOOK_CHECKED(type, name, as, params, args) \
	real_##name = (type (*) params)lookup(#name, NULL);
	CHECKED(LOOK_CHECKED)
}

/* Starts call c, unless the caller (at return address `ra`) is the
 * library itself. */
static inline void begin(struct hooks_libcall *c, uintptr_t ra)
{
	c->start = 0;
	if (from_program(ra))
		hooks_libcall_begin(c);
}

/* Ends call c of `name` with errno as the call left it. */
static inline void end(const struct hooks_libcall *c, const char *name)
{
	if (c->start) {
		int e = errno;

		hooks_libcall_end(c, name);
		errno = e;
	}
}

/* The wrappers, recorded as `as`: a call libc lacks fails with ENOSYS. */
#define WRAP_AS(type, name, as, params, args, ver) \
	type name params \
	{ \
		struct hooks_libcall lc_; \
		type rc; \
		if (unlikely(!real_##name) && \
		    !(real_##name = (type (*) params)lookup(#name, ver))) { \
			errno = ENOSYS; \
			return (type)-1; \
		} \
		begin(&lc_, (uintptr_t)__builtin_return_address(0)); \
		rc = real_##name args; \
		end(&lc_, #as); \
		return rc; \
	}
#define WRAP(type, name, params, args, ver) WRAP_AS(type, name, name, params, args, ver)
LIBCALLS(WRAP)

/* ... the fortified ones, under their plain names */
#define WRAP_CHECKED(type, name, as, params, args) WRAP_AS(type, name, as, params, args, NULL)
CHECKED(WRAP_CHECKED)

/* ... and those tried first */
#define WRAP_TRIED(name, params, args, try, tparams, targs, busy, missing) \
	int name params \
	{ \
		struct hooks_libcall lc_; \
		int rc; \
		if (unlikely(!real_##name)) { \
			try_##name = (int (*) tparams)lookup(#try, NULL); \
			real_##name = (int (*) params)lookup(#name, NULL); \
			if (!real_##name) { \
				errno = ENOSYS; \
				return missing; \
			} \
		} \
		if (try_##name && from_program((uintptr_t)__builtin_return_address(0))) { \
			int e = errno; \
			/* sem_wait acts on a pending cancellation first */ \
			if (!__builtin_strcmp(#name, "sem_wait")) \
				pthread_testcancel(); \
			rc = try_##name targs; \
			if (!(busy)) \
				return rc; \
			errno = e; \
		} \
		begin(&lc_, (uintptr_t)__builtin_return_address(0)); \
		rc = real_##name args; \
		end(&lc_, #name); \
		return rc; \
	}
TRIED(WRAP_TRIED)

/* The library's own lock and messages go to libc directly, never through
 * a wrapper, ours or a sanitizer's (whose call of ours would not come from
 * the library's code): a lock the library holds must never lead back into
 * the hooks. */
int libcalls_lock(pthread_mutex_t *m)
{
	if (unlikely(!real_pthread_mutex_lock))
		real_pthread_mutex_lock = (int (*)(pthread_mutex_t *))lookup("pthread_mutex_lock", NULL);
	/* counted first: a signal handler that comes once the lock is held
	 * must not record a call (that could want the lock again) */
	libcalls_paused++;
	return real_pthread_mutex_lock(m);
}

void libcalls_unlock(pthread_mutex_t *m)
{
	pthread_mutex_unlock(m);
	libcalls_paused--;
}

void libcalls_held(void)
{
	libcalls_paused++;
}

void libcalls_forget_held(void)
{
	libcalls_paused = 0;
}

ssize_t libcalls_write(int fd, const void *buf, size_t n)
{
	if (unlikely(!real_write))
		real_write = (ssize_t (*)(int, const void *, size_t))lookup("write", NULL);
	return real_write ? real_write(fd, buf, n) : -1;
}
