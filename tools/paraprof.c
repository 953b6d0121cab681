/* paraprof.c - the launcher: run a program under libparaprof.so, then report
 *
 * paraprof [-o DIR] [report options] -- PROGRAM [ARGS...]
 *
 * Runs PROGRAM with libparaprof.so prepended to LD_PRELOAD and
 * PARAPROF_OUTPUT set to a private directory DIR/.paraprof.<launcher pid>, so
 * that the dumps of this session (the program's and those of every process it
 * forks or execs) land there and nowhere else.  When the program has ended,
 * the dumps are moved into DIR and paraprof-report is run on all of them with
 * the report options passed through verbatim.  The launcher exits with the
 * program's status (128 + signal number when a signal ended it); with
 * --check, a program that succeeded gives the check's status instead.
 *
 * SIGINT, SIGTERM and SIGHUP sent to the launcher are passed on to the
 * program and do not stop the launcher, which still collects and reports.
 * A signal the terminal sent (Ctrl-C) already reached the program, which is
 * in the same process group, and is not sent a second time.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "paraprof/format.h"

#ifndef PARAPROF_LIBDIR
#define PARAPROF_LIBDIR "/usr/local/lib"
#endif
#ifndef PARAPROF_VERSION
#define PARAPROF_VERSION "0.1.0"
#endif

#define EXIT_USAGE 2
#define EXIT_NOEXEC 126		/* found, but could not be run (as a shell says) */
#define EXIT_NOTFOUND 127	/* not found (as a shell says) */
#define EXIT_LAUNCHER 125	/* the launcher itself failed before the program ran */

/* Report options: name, and whether it takes a value. */
static const struct {
	const char *name;
	int has_arg;
} report_opts[] = {
	{ "--top", 1 },      { "--sort", 1 },	 { "--format", 1 },    { "--severity", 1 },
	{ "--target", 1 },   { "--min-calls", 1 }, { "--slowest", 1 }, { "--check", 0 },
	{ "--no-color", 0 },
	/* paraprof-report's short forms */
	{ "-f", 1 }, { "-n", 1 }, { "-m", 1 }, { "-s", 1 }, { "-c", 0 },
};

static volatile sig_atomic_t child_pid;	/* the program, 0 before fork */

static void usage_text(FILE *out)
{
	fprintf(out,
		"usage: paraprof [-o DIR] [REPORT OPTIONS] -- PROGRAM [ARGS...]\n"
		"Runs PROGRAM under libparaprof.so, then prints the report of its profile.\n"
		"\n"
		"  -o, --output DIR    keep the dumps (paraprof.PID.ppd) in DIR (default: .)\n"
		"  -h, --help          show this help and exit\n"
		"  -V, --version       show the version and exit\n"
		"\n"
		"Report options, passed to paraprof-report as they are:\n"
		"  -n, --top N         entries listed (default 20, 0 = all)\n"
		"  -s, --sort KEY      total|self|avg|p95|p99|calls (default total)\n"
		"  -f, --format FMT    text|json|csv (default text)\n"
		"  --severity SPEC     average thresholds (default critical=2s,high=1s,medium=500ms)\n"
		"  --target SPEC       targets of --check (default p95=500ms,p99=1s,avg=100ms)\n"
		"  -c, --check         check the targets; exit 1 when one fails\n"
		"  -m, --min-calls N   leave out entries with fewer calls (default 5)\n"
		"  --slowest N         also list the N slowest entries by average\n"
		"  --no-color          no colours, even on a terminal\n"
		"Times take a unit: ns, us, ms or s.\n"
		"\n"
		"Exit status: the program's (128 + N when signal N ended it); with --check\n"
		"and a program that succeeded, the check's (0 or 1); 2 for a usage error;\n"
		"126 or 127 when PROGRAM cannot be run or found; 125 when paraprof failed.\n"
		"See paraprof(1).\n");
}

static void usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "paraprof: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'paraprof --help'.\n");
	exit(EXIT_USAGE);
}

/* Writes the directory that holds this executable into buf; 0 or -1. */
static int self_dir(char *buf, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", buf, size - 1);
	char *slash;

	if (n <= 0 || (size_t)n >= size - 1)
		return -1;
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	return 0;
}

/*
 * Finds libparaprof.so: beside this binary (a build tree, or bin/ next to
 * lib/ in the same prefix), then ../lib beside it, then PARAPROF_LIBDIR.
 * Writes the absolute path into buf; returns 0, or -1 after saying where
 * it looked.
 */
static int find_library(char *buf, size_t size)
{
	char dir[PATH_MAX], cand[3][PATH_MAX + 32];
	int n = 0;

	if (self_dir(dir, sizeof(dir)) == 0) {
		snprintf(cand[n++], sizeof(cand[0]), "%s/libparaprof.so", dir);
		snprintf(cand[n++], sizeof(cand[0]), "%s/../lib/libparaprof.so", dir);
	}
	snprintf(cand[n++], sizeof(cand[0]), "%s/libparaprof.so", PARAPROF_LIBDIR);
	for (int i = 0; i < n; i++) {
		char real[PATH_MAX];

		if (access(cand[i], R_OK) == 0 && realpath(cand[i], real) && strlen(real) < size) {
			strcpy(buf, real);
			return 0;
		}
	}
	fprintf(stderr, "paraprof: libparaprof.so not found (looked for %s%s%s)\n",
		n > 1 ? cand[0] : "", n > 1 ? ", " : "", cand[n - 1]);
	return -1;
}

/* Creates `path` and missing parents (mode 0777 & ~umask); 0 or -1 (errno). */
static int make_dirs(const char *path)
{
	char tmp[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(tmp, path, len + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

/*
 * Forwards INT/TERM/HUP to the program.  One that the kernel generated
 * (si_code > 0: the terminal's ^C or a hang-up) reached the program's process
 * group already; one that a process sent (kill(1), si_code <= 0) did not.
 */
static void on_signal(int sig, siginfo_t *si, void *uc)
{
	pid_t pid = (pid_t)child_pid;

	(void)uc;
	if (pid > 0 && (!si || si->si_code <= 0))
		kill(pid, sig);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Skips one or more digits; returns NULL when there is none. */
static const char *skip_digits(const char *p)
{
	const char *start = p;

	while (*p >= '0' && *p <= '9')
		p++;
	return p > start ? p : NULL;
}

/* Is `name` PREFIX<pid>[.<n>][-<k>].ppd?  (-<k>: the library never replaces
 * a dump, it takes the next free name; see format.h.) */
static int has_dump_form(const char *name, const char *prefix)
{
	size_t len = strlen(prefix);
	const char *p;

	if (strncmp(name, prefix, len) != 0)
		return 0;
	p = skip_digits(name + len);
	if (p && *p == '.' && p[1] >= '0' && p[1] <= '9')
		p = skip_digits(p + 1);
	if (p && *p == '-')
		p = skip_digits(p + 1);
	return p && strcmp(p, PPF_DUMP_SUFFIX) == 0;
}

/* A dump of this run: paraprof.<pid>.ppd, or paraprof.<pid>.<gen>.ppd for
 * the program that a process exec'ed. */
static int is_dump_name(const char *name)
{
	return has_dump_form(name, "paraprof.");
}

/* The dump of a dead process whose segment the library found under its own
 * pid: paraprof-stale.<pid>.<start>.ppd. */
static int is_stale_name(const char *name)
{
	return has_dump_form(name, "paraprof-stale.");
}

/*
 * Moves every dump from `from` into `to` and returns their new paths, sorted
 * (malloc'ed array and strings, NULL-terminated; *count set).  Returns NULL
 * on failure (message printed).  The dumps of dead processes that the library
 * found under a pid of this run are moved too, and named on stderr, but not
 * returned: they are not part of the run.  Other files stay where they are.
 */
static char **collect_dumps(const char *from, const char *to, size_t *count)
{
	DIR *d = opendir(from);
	struct dirent *de;
	char **list = NULL;
	size_t n = 0, cap = 0;

	*count = 0;
	if (!d) {
		fprintf(stderr, "paraprof: %s: %s\n", from, strerror(errno));
		return NULL;
	}
	while ((de = readdir(d)) != NULL) {
		char src[PATH_MAX], dst[PATH_MAX];
		int stale = is_stale_name(de->d_name);

		if (!stale && !is_dump_name(de->d_name))
			continue;
		if ((size_t)snprintf(src, sizeof(src), "%s/%s", from, de->d_name) >= sizeof(src) ||
		    (size_t)snprintf(dst, sizeof(dst), "%s/%s", to, de->d_name) >= sizeof(dst)) {
			fprintf(stderr, "paraprof: %s: path too long\n", to);
			continue;
		}
		if (rename(src, dst) != 0) {
			fprintf(stderr, "paraprof: cannot move %s to %s: %s\n", src, dst,
				strerror(errno));
			continue;
		}
		if (stale) {
			fprintf(stderr, "paraprof: %s: the profile of an earlier process with "
				"the same pid, not part of this report\n", dst);
			continue;
		}
		if (n + 2 > cap) {
			char **nl;

			cap = cap ? cap * 2 : 16;
			nl = realloc(list, cap * sizeof(*nl));
			if (!nl)
				break;
			list = nl;
		}
		list[n] = strdup(dst);
		if (!list[n])
			break;
		n++;
	}
	closedir(d);
	if (!list) {
		list = calloc(1, sizeof(*list));
		if (!list)
			return NULL;
	}
	qsort(list, n, sizeof(*list), cmp_names);
	list[n] = NULL;
	*count = n;
	return list;
}

/*
 * A program killed before it could write its dump leaves its segment in
 * /dev/shm.  As the process is gone, the segment's used part is what its dump
 * would have been: copies it into `dir` under the dump's name (through a
 * temporary file and a rename, as the library does) and removes the segment,
 * which would otherwise hold its memory until the next reboot.  Returns 0
 * when a dump was saved, -1 when there was nothing to save or it failed (the
 * segment then stays).
 */
static int save_segment(pid_t pid, const char *dir)
{
	char shm[64], tmp[PATH_MAX], dst[PATH_MAX], buf[1 << 16];
	struct ppf_header h;
	struct stat st;
	uint64_t left;
	int in, out, ok = 0;

	snprintf(shm, sizeof(shm), "/dev/shm/paraprof.%d", (int)pid);
	in = open(shm, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (in < 0)
		return -1;
	if (fstat(in, &st) != 0 || !S_ISREG(st.st_mode) ||
	    pread(in, &h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
	    memcmp(h.magic, PPF_MAGIC, PPF_MAGIC_LEN) != 0 || h.pid != (uint32_t)pid ||
	    h.used_size < sizeof(h) || h.used_size > (uint64_t)st.st_size) {
		close(in);
		return -1;
	}
	if ((h.exec_gen ? snprintf(dst, sizeof(dst), "%s/paraprof.%d.%u.ppd", dir, (int)pid,
				   h.exec_gen)
			: snprintf(dst, sizeof(dst), "%s/paraprof.%d.ppd", dir, (int)pid)) >=
		    (int)sizeof(dst) ||
	    snprintf(tmp, sizeof(tmp), "%s/.paraprof.%d.ppd.tmp", dir, (int)pid) >=
		    (int)sizeof(tmp) ||
	    access(dst, F_OK) == 0) {
		close(in);
		return -1;
	}
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		close(in);
		return -1;
	}
	left = h.used_size;
	while (left > 0) {
		size_t want = left < sizeof(buf) ? (size_t)left : sizeof(buf);
		ssize_t n = pread(in, buf, want, (off_t)(h.used_size - left));

		if (n <= 0 || write(out, buf, (size_t)n) != n)
			break;
		left -= (uint64_t)n;
	}
	ok = left == 0;
	if (close(out) != 0)
		ok = 0;
	close(in);
	if (!ok || rename(tmp, dst) != 0) {
		unlink(tmp);
		fprintf(stderr, "paraprof: cannot save %s to %s\n", shm, dst);
		return -1;
	}
	unlink(shm);
	return 0;
}

/* Exit status of a wait() status the way a shell reports it. */
static int shell_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return EXIT_LAUNCHER;
}

/* Waits for `pid`, through signals; returns its wait status or -1. */
static int wait_for(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

/*
 * Starts the program with the given environment changes; returns its pid,
 * or -1 with *exec_errno set when it could not be executed (the child's
 * execvp errno travels back through a close-on-exec pipe).
 */
static pid_t start_program(char **argv, const char *lib, const char *outdir, int *exec_errno)
{
	const char *old = getenv("LD_PRELOAD");
	char *preload;
	int pfd[2], err = 0;
	sigset_t all, prev;
	pid_t pid;
	ssize_t n;

	*exec_errno = 0;
	if (old && *old) {
		preload = malloc(strlen(lib) + strlen(old) + 2);
		if (!preload)
			return -1;
		sprintf(preload, "%s:%s", lib, old);
	} else {
		preload = strdup(lib);
		if (!preload)
			return -1;
	}
	if (pipe2(pfd, O_CLOEXEC) != 0) {
		free(preload);
		return -1;
	}
	/* no forwarding until child_pid is known */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &prev);
	pid = fork();
	if (pid == 0) {
		struct sigaction sa = { .sa_handler = SIG_DFL };

		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		sigprocmask(SIG_SETMASK, &prev, NULL);
		close(pfd[0]);
		if (setenv("LD_PRELOAD", preload, 1) != 0 ||
		    setenv("PARAPROF_OUTPUT", outdir, 1) != 0)
			err = errno;
		else {
			execvp(argv[0], argv);
			err = errno;
		}
		if (write(pfd[1], &err, sizeof(err)) < 0)
			_exit(EXIT_LAUNCHER);
		_exit(err == ENOENT ? EXIT_NOTFOUND : EXIT_NOEXEC);
	}
	if (pid > 0)
		child_pid = pid;
	sigprocmask(SIG_SETMASK, &prev, NULL);
	free(preload);
	close(pfd[1]);
	if (pid < 0) {
		close(pfd[0]);
		return -1;
	}
	do
		n = read(pfd[0], &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	close(pfd[0]);
	if (n == (ssize_t)sizeof(err)) {
		*exec_errno = err;
		wait_for(pid);
		child_pid = 0;
		return -1;
	}
	return pid;
}

/*
 * Runs paraprof-report (beside this binary, else from PATH) with `opts` and
 * then either the dump files or "--pid PID".  Returns its exit status, or -1
 * when it could not be run (message printed).
 */
static int run_report(char **opts, size_t nopts, char **files, size_t nfiles, pid_t pid)
{
	char dir[PATH_MAX], path[PATH_MAX + 32], pidbuf[24];
	const char *prog = "paraprof-report";
	size_t argc = 0;
	char **argv = calloc(nopts + nfiles + 4, sizeof(char *));
	pid_t rp;
	int status;

	if (!argv)
		return -1;
	if (self_dir(dir, sizeof(dir)) == 0) {
		snprintf(path, sizeof(path), "%s/paraprof-report", dir);
		if (access(path, X_OK) == 0)
			prog = path;
	}
	argv[argc++] = (char *)prog;
	for (size_t i = 0; i < nopts; i++)
		argv[argc++] = opts[i];
	if (nfiles == 0) {
		snprintf(pidbuf, sizeof(pidbuf), "%d", (int)pid);
		argv[argc++] = (char *)"--pid";
		argv[argc++] = pidbuf;
	} else {
		argv[argc++] = (char *)"--";
		for (size_t i = 0; i < nfiles; i++)
			argv[argc++] = files[i];
	}
	argv[argc] = NULL;
	fflush(NULL);
	rp = fork();
	if (rp == 0) {
		execvp(prog, argv);
		fprintf(stderr, "paraprof: %s: %s\n", prog, strerror(errno));
		_exit(EXIT_NOTFOUND);
	}
	free(argv);
	if (rp < 0) {
		fprintf(stderr, "paraprof: cannot run %s: %s\n", prog, strerror(errno));
		return -1;
	}
	status = wait_for(rp);
	if (status < 0)
		return -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_NOTFOUND)
		return -1;
	return shell_status(status);
}

int main(int argc, char **argv)
{
	const char *outdir = ".";
	char lib[PATH_MAX], priv[PATH_MAX], abspriv[PATH_MAX], shm[64];
	char **opts = calloc((size_t)argc + 1, sizeof(char *)), **files;
	size_t nopts = 0, nfiles;
	int check = 0, exec_errno, status, prog_status, report_status, i;
	struct sigaction sa;
	pid_t pid;

	if (!opts) {
		fprintf(stderr, "paraprof: out of memory\n");
		return EXIT_LAUNCHER;
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		size_t k;

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0')
			break;	/* PROGRAM without "--" */
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage_text(stdout);
			return 0;
		}
		if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
			printf("paraprof %s\n", PARAPROF_VERSION);
			return 0;
		}
		if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
			if (i + 1 >= argc)
				usage_error("option '%s' needs a directory", a);
			outdir = argv[++i];
			continue;
		}
		if (strncmp(a, "--output=", 9) == 0) {
			outdir = a + 9;
			continue;
		}
		if (strncmp(a, "-o", 2) == 0) {
			outdir = a + 2;
			continue;
		}
		for (k = 0; k < sizeof(report_opts) / sizeof(report_opts[0]); k++) {
			size_t len = strlen(report_opts[k].name);

			if (strncmp(a, report_opts[k].name, len) != 0)
				continue;
			if (a[len] == '\0')
				break;
			if (a[len] == '=' && report_opts[k].has_arg && len > 2)
				break;
			if (len == 2 && report_opts[k].has_arg)
				break;	/* -n5 */
		}
		if (k == sizeof(report_opts) / sizeof(report_opts[0]))
			usage_error("unknown option '%s'", a);
		check |= strcmp(report_opts[k].name, "--check") == 0 ||
			 strcmp(report_opts[k].name, "-c") == 0;
		opts[nopts++] = argv[i];
		if (report_opts[k].has_arg && a[strlen(report_opts[k].name)] == '\0') {
			if (i + 1 >= argc)
				usage_error("option '%s' needs a value", a);
			opts[nopts++] = argv[++i];
		}
	}
	if (i >= argc)
		usage_error("%s", "no program to run");
	if (*outdir == '\0')
		usage_error("%s", "-o needs a directory");

	if (find_library(lib, sizeof(lib)) != 0)
		return EXIT_LAUNCHER;
	if (make_dirs(outdir) != 0) {
		fprintf(stderr, "paraprof: %s: %s\n", outdir, strerror(errno));
		return EXIT_LAUNCHER;
	}
	snprintf(priv, sizeof(priv), "%s/.paraprof.%d", outdir, (int)getpid());
	if (mkdir(priv, 0700) != 0 || !realpath(priv, abspriv)) {
		fprintf(stderr, "paraprof: %s: %s\n", priv, strerror(errno));
		return EXIT_LAUNCHER;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	/* the program and the report write to the same terminal, in order */
	fflush(NULL);
	pid = start_program(argv + i, lib, abspriv, &exec_errno);
	if (pid < 0) {
		rmdir(priv);
		if (exec_errno) {
			fprintf(stderr, "paraprof: %s: %s\n", argv[i], strerror(exec_errno));
			return exec_errno == ENOENT ? EXIT_NOTFOUND : EXIT_NOEXEC;
		}
		fprintf(stderr, "paraprof: cannot start %s: %s\n", argv[i], strerror(errno));
		return EXIT_LAUNCHER;
	}
	status = wait_for(pid);
	child_pid = 0;
	prog_status = status < 0 ? EXIT_LAUNCHER : shell_status(status);

	save_segment(pid, abspriv);
	files = collect_dumps(priv, outdir, &nfiles);
	if (rmdir(priv) != 0)
		fprintf(stderr, "paraprof: %s: %s (left in place)\n", priv, strerror(errno));
	if (!files)
		return prog_status ? prog_status : EXIT_LAUNCHER;

	/* killed before it could write a dump, and the segment could not be
	 * saved: report from the segment itself */
	snprintf(shm, sizeof(shm), "/dev/shm/paraprof.%d", (int)pid);
	if (nfiles == 0 && access(shm, R_OK) != 0) {
		fprintf(stderr, "paraprof: %s left no profile (is it a static program, "
			"or was PARAPROF_ENABLE=0?)\n", argv[i]);
		free(files);
		return prog_status ? prog_status : (check ? 1 : 0);
	}
	report_status = run_report(opts, nopts, files, nfiles, pid);
	for (size_t k = 0; k < nfiles; k++)
		free(files[k]);
	free(files);
	free(opts);
	if (prog_status != 0)
		return prog_status;
	if (check)
		return report_status < 0 ? EXIT_LAUNCHER : report_status;
	return 0;
}
