/* paraprof.c - the launcher: run a program under libparaprof.so, then report
 *
 * paraprof [-o DIR] [-O FILE] [report options] -- PROGRAM [ARGS...]
 *
 * Runs PROGRAM with libparaprof.so prepended to LD_PRELOAD, PARAPROF_OUTPUT
 * set to DIR (absolute) and PARAPROF_SESSION to a random 64-bit id of this
 * run (16 hex digits), which the library records in every segment and dump
 * (header.session).  Every process of the run, however it ends, is then
 * collected:
 *  - one that exits normally writes its own dump into DIR, even after the
 *    launcher is gone (a daemon);
 *  - when the program has ended, `paraprof-report --gc --session ID -o DIR`
 *    saves the segments that the run's dead processes left in /dev/shm
 *    (children that ended with _exit(), killed ones) as dumps in DIR and
 *    removes them, and writes a snapshot of each process of the run that
 *    still runs (paraprof-snapshot.<pid>.ppd, its segment kept), named in
 *    one line "paraprof: process N (CMD) is still running; ...".
 * The run's dumps are then told from older files in DIR by their
 * header.session, and paraprof-report is run on all of them with the report
 * options passed through verbatim.  (Dumps with no session that appeared in
 * DIR during the run are taken too: a library that does not record the
 * session, or a process whose environment lost it.)  A dump of a dead
 * process of another run that the library found under a pid of this run
 * (paraprof-stale.<pid>.<start>.ppd) stays in DIR and is named on stderr,
 * but is not reported.
 *
 * The report goes to stdout, or with -O FILE into FILE, a new file
 * (paraprof-report -o FILE: an existing file is never replaced, and is
 * refused before the program runs).
 *
 * Before it runs PROGRAM, the launcher reads its ELF file (libelf): a
 * program that neither it nor a library it needs (DT_NEEDED, looked up as
 * progcheck.c says) calls __cyg_profile_func_enter through the dynamic
 * linker was not built with -finstrument-functions, and one line says so;
 * it still runs (the library, which would say it at the exit of every
 * uninstrumented process, stays quiet in a launcher's run).  A static
 * program is told apart the same way (LD_PRELOAD never reaches it), to say
 * why it left no profile.
 *
 * The launcher exits with the program's status (128 + signal number when a
 * signal ended it); with --check, a program that succeeded gives the check's
 * status instead.
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
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../analyzer/escape.h"
#include "../analyzer/report_opts.h"
#include "paraprof/format.h"
#include "common/names.h"
#include "progcheck.h"

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

/* Report options (analyzer/report_opts.h): the long form, the short one
 * ("-" alone when there is none, which no argument matches: see below), and
 * whether it takes a value. */
static const struct {
	const char *name, *short_name;
	int has_arg;
} report_opts[] = {
#define LAUNCHER_OPT(name, short, optstr, has_arg, id, help) { "--" name, "-" short, has_arg },
	REPORT_OPTIONS(LAUNCHER_OPT)
#undef LAUNCHER_OPT
};

static volatile sig_atomic_t child_pid;	/* the program, 0 before fork */

static void usage_text(FILE *out)
{
	/* not a format: the report options' help has percent signs */
	fputs("usage: paraprof [-o DIR] [-O FILE] [REPORT OPTIONS] -- PROGRAM [ARGS...]\n"
		"Runs PROGRAM under libparaprof.so, then prints the report of its profile.\n"
		"\n"
		"  -o, --output DIR       the dumps of every process of the run (paraprof.PID.ppd)\n"
		"                         go into DIR (default: .)\n"
		"  -O, --report-file FILE write the report into FILE, a new file (an existing\n"
		"                         one is never replaced), not on standard output\n"
		"  -h, --help             show this help and exit\n"
		"  -V, --version          show the version and exit\n"
		"\n"
		"Report options, passed to paraprof-report as they are:\n"
		REPORT_OPTS_HELP
		"Times take a unit: ns, us, ms or s.\n"
		"\n"
		"Exit status: the program's (128 + N when signal N ended it); with --check\n"
		"and a program that succeeded, the check's (0 or 1); 2 for a usage error or\n"
		"an -O FILE that exists; 126 or 127 when PROGRAM cannot be run or found; 125\n"
		"when paraprof failed.\n"
		"See paraprof(1).\n", out);
}

static void usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "paraprof: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'paraprof --help'.\n");
	exit(EXIT_USAGE);
}

/* 1 when argument `a` is option `name` ("--top", "-n"; "-" alone is no
 * option): the name itself, or with its value attached when it takes one
 * ("--top=5", "-n5"). */
static int opt_matches(const char *a, const char *name, int has_arg)
{
	size_t len = strlen(name);

	if (len < 2 || strncmp(a, name, len) != 0)
		return 0;
	if (a[len] == '\0')
		return 1;
	if (a[len] == '=' && has_arg && len > 2)
		return 1;
	return len == 2 && has_arg;	/* -n5 */
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

/* The files of DIR with a dump's name when the run started (device, inode). */
struct file_id {
	dev_t dev;
	ino_t ino;
};

struct file_set {
	struct file_id *ids;
	size_t n, cap;
};

static int in_set(const struct file_set *set, const struct stat *st)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->ids[i].dev == st->st_dev && set->ids[i].ino == st->st_ino)
			return 1;
	return 0;
}

/* Lists the dumps in dir into *set (best effort: a failure leaves it short). */
static void list_before(const char *dir, struct file_set *set)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct stat st;

	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		if (ppc_dump_kind(de->d_name) == PPC_DUMP_NONE ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (set->n == set->cap) {
			size_t cap = set->cap ? 2 * set->cap : 64;
			struct file_id *bigger = realloc(set->ids, cap * sizeof(*bigger));

			if (!bigger)
				break;
			set->ids = bigger;
			set->cap = cap;
		}
		set->ids[set->n++] = (struct file_id){ st.st_dev, st.st_ino };
	}
	closedir(d);
}

/* One dump of DIR that the report will read. */
struct dump_file {
	char *path;		/* DIR/name, as DIR was given; malloc'ed */
	enum ppc_dump_kind kind;
	struct ppf_header h;
	int is_new;		/* not in DIR when the run started */
};

/*
 * Reads the header of DIR's entry `name` without following a link or
 * blocking (the directory may be writable by others): 0 and *h, or -1 when
 * it is not a regular file holding a paraprof header of a version we read.
 */
static int read_dump_header(int dfd, const char *name, struct ppf_header *h, struct stat *st)
{
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	int ok;

	if (fd < 0)
		return -1;
	ok = fstat(fd, st) == 0 && S_ISREG(st->st_mode) &&
	     pread(fd, h, sizeof(*h), 0) == (ssize_t)sizeof(*h) &&
	     memcmp(h->magic, PPF_MAGIC, PPF_MAGIC_LEN) == 0 &&
	     h->version >= PPF_VERSION_MIN && h->version <= PPF_VERSION &&
	     h->header_size == sizeof(*h);
	close(fd);
	h->cmdline[sizeof(h->cmdline) - 1] = '\0';
	return ok ? 0 : -1;
}

static int cmp_dump_files(const void *a, const void *b)
{
	return strcmp(((const struct dump_file *)a)->path, ((const struct dump_file *)b)->path);
}

/* The same process image: a snapshot and the dump it wrote at its exit. */
static int same_process(const struct ppf_header *a, const struct ppf_header *b)
{
	return a->pid == b->pid && a->exec_gen == b->exec_gen && a->start_ns == b->start_ns &&
	       a->start_realtime_ns == b->start_realtime_ns;
}

/*
 * Finds the dumps of this run in `dir` (shown as `shown`): those whose
 * header.session is `session`, and those with no session that are new since
 * the run started.  Names the dead processes of other runs that the library
 * saved under our pids (paraprof-stale.*, new) on stderr, and each process
 * of the run that still runs (its snapshot).  A snapshot of a process that
 * also left its own dump meanwhile is removed.  Returns the malloc'ed array
 * (sorted by path; *count set), or NULL on failure (message printed).
 */
static struct dump_file *collect_dumps(const char *dir, const char *shown, uint64_t session,
				       const struct file_set *before, size_t *count)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct dump_file *list = NULL;
	size_t n = 0, cap = 0;

	*count = 0;
	if (!d) {
		fprintf(stderr, "paraprof: %s: %s\n", shown, strerror(errno));
		return NULL;
	}
	while ((de = readdir(d)) != NULL) {
		enum ppc_dump_kind kind = ppc_dump_kind(de->d_name);
		struct ppf_header h;
		struct stat st;
		int is_new;

		if (kind == PPC_DUMP_NONE || read_dump_header(dirfd(d), de->d_name, &h, &st) != 0)
			continue;
		is_new = !in_set(before, &st);
		if (h.session != session && !(is_new && (h.session == 0 || kind == PPC_DUMP_STALE)))
			continue;
		if (n == cap) {
			struct dump_file *bigger;

			cap = cap ? 2 * cap : 16;
			bigger = realloc(list, cap * sizeof(*bigger));
			if (!bigger)
				break;
			list = bigger;
		}
		list[n].path = malloc(strlen(shown) + strlen(de->d_name) + 2);
		if (!list[n].path)
			break;
		sprintf(list[n].path, "%s/%s", shown, de->d_name);
		list[n].kind = kind;
		list[n].h = h;
		list[n].is_new = is_new;
		n++;
	}
	closedir(d);
	if (!list && !(list = calloc(1, sizeof(*list))))
		return NULL;
	qsort(list, n, sizeof(*list), cmp_dump_files);

	/* what is not part of the report, and what is said about the rest */
	size_t kept = 0;

	for (size_t i = 0; i < n; i++) {
		struct dump_file *f = &list[i];
		int drop = 0;

		if (f->kind == PPC_DUMP_STALE && f->h.session != session) {
			fprintf(stderr, "paraprof: %s: the profile of an earlier process with the"
				" same pid, not part of this report\n", f->path);
			drop = 1;
		} else if (f->kind == PPC_DUMP_SNAPSHOT) {
			for (size_t j = 0; j < n && !drop; j++)
				drop = list[j].kind != PPC_DUMP_SNAPSHOT &&
				       same_process(&list[j].h, &f->h);
			if (drop && f->is_new) {
				unlink(f->path);	/* ours, made redundant by its dump */
			} else if (!drop) {
				char cmd[sizeof(f->h.cmdline) * 4];

				fprintf(stderr, "paraprof: process %u (%s) is still running; its"
					" profile so far is in %s\n", f->h.pid,
					esc_str(cmd, sizeof(cmd), f->h.cmdline), f->path);
			}
		}
		if (drop)
			free(f->path);
		else
			list[kept++] = *f;
	}
	*count = kept;
	return list;
}

static void free_dumps(struct dump_file *list, size_t n)
{
	for (size_t i = 0; list && i < n; i++)
		free(list[i].path);
	free(list);
}

/* Whether a segment of process `pid` is still in /dev/shm (a killed program
 * whose segment could not be saved). */
static int has_segment(pid_t pid)
{
	char prefix[32];
	size_t len = (size_t)snprintf(prefix, sizeof(prefix), "%s%d", PPF_SEGMENT_PREFIX, (int)pid);
	DIR *d = opendir(PPF_SHM_DIR);
	struct dirent *de;
	int found = 0;

	if (!d)
		return 0;
	while (!found && (de = readdir(d)) != NULL)
		found = strncmp(de->d_name, prefix, len) == 0 &&
			(de->d_name[len] == '\0' || de->d_name[len] == '.');
	closedir(d);
	return found;
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

#ifdef __SANITIZE_ADDRESS__
#include <link.h>

static int find_asan(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	if (strstr(info->dlpi_name, "/libasan.so")) {
		*(const char **)data = info->dlpi_name;
		return 1;
	}
	return 0;
}
#endif

/* The runtime the library needs loaded before it, or NULL: a launcher built
 * with ASan sits beside a library built with ASan, which needs the ASan
 * runtime first in a program that was not built with it. */
static const char *runtime_first(void)
{
	const char *path = NULL;

#ifdef __SANITIZE_ADDRESS__
	dl_iterate_phdr(find_asan, &path);
#endif
	return path;
}

/*
 * Starts the program with the given environment changes; returns its pid,
 * or -1 with *exec_errno set when it could not be executed (the child's
 * execvp errno travels back through a close-on-exec pipe).
 */
static pid_t start_program(char **argv, const char *lib, const char *outdir,
			   const char *session, int *exec_errno)
{
	const char *old = getenv("LD_PRELOAD");
	char *preload;
	int pfd[2], err = 0;
	sigset_t all, prev;
	pid_t pid;
	ssize_t n;

	const char *first = runtime_first();

	*exec_errno = 0;
	preload = malloc((first ? strlen(first) + 1 : 0) + strlen(lib) + (old ? strlen(old) : 0) + 2);
	if (!preload)
		return -1;
	sprintf(preload, "%s%s%s%s%s", first ? first : "", first ? ":" : "", lib,
		old && *old ? ":" : "", old && *old ? old : "");
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
		    setenv("PARAPROF_OUTPUT", outdir, 1) != 0 ||
		    setenv("PARAPROF_SESSION", session, 1) != 0)
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
 * Runs paraprof-report (beside this binary, else from PATH) with the
 * NULL-terminated `args` (argv[1] on); its stdout goes to /dev/null when
 * `quiet`.  Returns its exit status, or -1 when it could not be run
 * (message printed).
 */
static int run_report(char **args, int quiet)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];
	const char *prog = "paraprof-report";
	size_t n = 0;
	char **argv;
	pid_t rp;
	int status;

	while (args[n])
		n++;
	argv = calloc(n + 2, sizeof(char *));
	if (!argv)
		return -1;
	if (self_dir(dir, sizeof(dir)) == 0) {
		snprintf(path, sizeof(path), "%s/paraprof-report", dir);
		if (access(path, X_OK) == 0)
			prog = path;
	}
	argv[0] = (char *)prog;
	memcpy(argv + 1, args, (n + 1) * sizeof(char *));
	fflush(NULL);
	rp = fork();
	if (rp == 0) {
		if (quiet) {
			int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

			if (null >= 0)
				dup2(null, STDOUT_FILENO);
		}
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

/* A random, non-zero 64-bit session id as 16 hex digits; 0 or -1. */
static int new_session(char buf[17], uint64_t *id)
{
	uint64_t v = 0;

	while (v == 0)
		if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
			return -1;
	snprintf(buf, 17, "%016llx", (unsigned long long)v);
	*id = v;
	return 0;
}

/* The launcher; `opts` has room for argc report options.  Returns the exit
 * status. */
static int launch(int argc, char **argv, char **opts)
{
	const char *outdir = ".", *report_file = NULL;
	enum prog_build build;
	char lib[PATH_MAX], absdir[PATH_MAX], session[17], pidbuf[24];
	size_t nopts = 0, nfiles;
	int check = 0, exec_errno, status, prog_status, report_status, i;
	struct file_set before = { 0 };
	struct dump_file *files;
	uint64_t session_id;
	struct sigaction sa;
	pid_t pid;

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
		if (strcmp(a, "-O") == 0 || strcmp(a, "--report-file") == 0) {
			if (i + 1 >= argc)
				usage_error("option '%s' needs a file", a);
			report_file = argv[++i];
			continue;
		}
		if (strncmp(a, "--report-file=", 14) == 0) {
			report_file = a + 14;
			continue;
		}
		if (strncmp(a, "-O", 2) == 0) {
			report_file = a + 2;
			continue;
		}
		for (k = 0; k < sizeof(report_opts) / sizeof(report_opts[0]); k++)
			if (opt_matches(a, report_opts[k].name, report_opts[k].has_arg) ||
			    opt_matches(a, report_opts[k].short_name, report_opts[k].has_arg))
				break;
		if (k == sizeof(report_opts) / sizeof(report_opts[0]))
			usage_error("unknown option '%s'", a);
		check |= strcmp(report_opts[k].name, "--check") == 0;
		opts[nopts++] = argv[i];
		if (report_opts[k].has_arg && (strcmp(a, report_opts[k].name) == 0 ||
					       strcmp(a, report_opts[k].short_name) == 0)) {
			if (i + 1 >= argc)
				usage_error("option '%s' needs a value", a);
			opts[nopts++] = argv[++i];
		}
	}
	if (i >= argc)
		usage_error("%s", "no program to run");
	if (*outdir == '\0')
		usage_error("%s", "-o needs a directory");
	if (report_file && *report_file == '\0')
		usage_error("%s", "-O needs a file");
	/* as paraprof-report -o: an existing file is never replaced, and this
	 * is known before the program runs, not after (paraprof-report opens
	 * FILE with O_EXCL at the end, for one created meanwhile) */
	struct stat st;

	if (report_file && lstat(report_file, &st) == 0) {
		fprintf(stderr, "paraprof: %s: exists; not replaced (paraprof writes a new file)\n",
			report_file);
		return EXIT_USAGE;
	}

	if (find_library(lib, sizeof(lib)) != 0)
		return EXIT_LAUNCHER;
	if (make_dirs(outdir) != 0 || !realpath(outdir, absdir)) {
		fprintf(stderr, "paraprof: %s: %s\n", outdir, strerror(errno));
		return EXIT_LAUNCHER;
	}
	if (new_session(session, &session_id) != 0) {
		fprintf(stderr, "paraprof: cannot make a session id: %s\n", strerror(errno));
		return EXIT_LAUNCHER;
	}
	list_before(absdir, &before);

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	/* said before the run, so that it is not lost in the program's output;
	 * once, for the run (the library stays quiet in a launcher's run) */
	build = progcheck_build(argv[i]);
	if (build == PROG_PLAIN)
		fprintf(stderr, "paraprof: %s was not built with -finstrument-functions: only API"
			" regions, spans and requests are recorded\n", argv[i]);

	/* the program and the report write to the same terminal, in order */
	fflush(NULL);
	pid = start_program(argv + i, lib, absdir, session, &exec_errno);
	if (pid < 0) {
		free(before.ids);
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

	/* what the run's dead processes left in /dev/shm becomes dumps in DIR,
	 * and the running ones get a snapshot (its lines are ours to say) */
	char *gc_args[] = { (char *)"--gc", (char *)"--session", session, (char *)"-o", absdir,
			    NULL };

	run_report(gc_args, 1);
	files = collect_dumps(absdir, outdir, session_id, &before, &nfiles);
	free(before.ids);
	if (!files)
		return prog_status ? prog_status : EXIT_LAUNCHER;

	/* killed before it could write a dump, and the segment could not be
	 * saved: report from the segment itself */
	if (nfiles == 0 && !has_segment(pid)) {
		if (build == PROG_STATIC)
			fprintf(stderr, "paraprof: %s left no profile: it is a static program,"
				" which LD_PRELOAD does not reach\n", argv[i]);
		else
			fprintf(stderr, "paraprof: %s left no profile: no process of the run"
				" recorded a function call, region, span or request\n", argv[i]);
		free_dumps(files, nfiles);
		return prog_status ? prog_status : (check ? 1 : 0);
	}
	char **args = calloc(nopts + nfiles + 6, sizeof(char *));
	size_t n = 0;

	if (!args) {
		fprintf(stderr, "paraprof: out of memory\n");
		free_dumps(files, nfiles);
		return prog_status ? prog_status : EXIT_LAUNCHER;
	}
	for (size_t k = 0; k < nopts; k++)
		args[n++] = opts[k];
	if (report_file) {
		args[n++] = (char *)"-o";
		args[n++] = (char *)report_file;
	}
	if (nfiles == 0) {
		snprintf(pidbuf, sizeof(pidbuf), "%d", (int)pid);
		args[n++] = (char *)"--pid";
		args[n++] = pidbuf;
	} else {
		args[n++] = (char *)"--";
		for (size_t k = 0; k < nfiles; k++)
			args[n++] = files[k].path;
	}
	args[n] = NULL;
	report_status = run_report(args, 0);
	free(args);
	free_dumps(files, nfiles);
	if (prog_status != 0)
		return prog_status;
	if (check)
		return report_status < 0 ? EXIT_LAUNCHER : report_status;
	return 0;
}

int main(int argc, char **argv)
{
	char **opts = calloc((size_t)argc + 1, sizeof(char *));
	int status;

	if (!opts) {
		fprintf(stderr, "paraprof: out of memory\n");
		return EXIT_LAUNCHER;
	}
	status = launch(argc, argv, opts);
	free(opts);
	return status;
}
