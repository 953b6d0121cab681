/* wrap.c - the libc functions libparaprof.so replaces
 *
 * Ways out of a process that skip the destructors, where the profile would
 * otherwise stay behind in /dev/shm: _exit() and _Exit() (a forked child's
 * usual end), and daemon(), whose parent ends inside libc with an _exit()
 * no preloaded library sees.  And dlclose(): once a library is unloaded its
 * addresses may be another's, so the module table and the threads' tables
 * must hear of it.  Every wrapper does what libc's function does.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

PP_EXPORT void _exit(int status);
PP_EXPORT void _Exit(int status);
PP_EXPORT int daemon(int nochdir, int noclose);
PP_EXPORT int dlclose(void *handle);

void _exit(int status)
{
	init_exit();
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
