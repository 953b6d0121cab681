/* watch.c - paraprof-report --pid PID --watch: a live, top-like view
 *
 * Each refresh copies the live segment consistently (load_fd(), as --pid
 * does) into a fresh flat profile and compares every entry with the entry of
 * the same key in the previous refresh's profile: (kind, module path and
 * build-id, ELF offset) for functions, (kind, name) for the named kinds, the
 * keys of pp_profile_entry().  The differences over the time between the two
 * copies give calls/s and time/s (inclusive time, outermost frames); the
 * first frame, having no previous copy, shows the averages since the process
 * started.  A count that went down means the statistics were cleared
 * (--clear): the new count is then all of the interval's.
 *
 * The terminal is in cbreak mode (no echo, keys one at a time, Ctrl-C still a
 * signal, Ctrl-Z off) on the alternate screen with the cursor hidden; every
 * way out goes through term_restore().  Signals only set flags: the loop
 * sleeps in poll() on standard input, which they interrupt.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "escape.h"
#include "load.h"
#include "profile.h"
#include "report.h"
#include "shm.h"
#include "stats.h"
#include "symbols.h"
#include "watch.h"

#define WATCH_NUM_W 10			/* columns of each number column */
#define WATCH_HEAD_LINES 4		/* title, status, blank, column names */

/* One line of the table. */
struct watch_row {
	const char *name;		/* owned by the profile or the symbol cache */
	double calls_s;			/* calls per second over the interval */
	double time_s;			/* ns of inclusive time per second */
	uint64_t p95_ns;		/* since the start (or the last --clear) */
	uint64_t calls;			/* since the start */
};

struct watch {
	pid_t pid;
	uint64_t interval_ns;
	int fd;				/* the segment, open read-only */
	char path[320];
	uint64_t pidns, start;		/* the process, for shm_process_state() */
	char cmd[256];			/* the command line (cut), as the segment has it:
					   escaped where it is printed */
	struct pp_profile *prev;	/* the previous refresh's copy, or NULL */
	uint64_t prev_at;		/* CLOCK_MONOTONIC ns of that copy */
	uint64_t up_ns;			/* the process's wall time at the last copy */
	struct sym_cache *sc;
	struct watch_row *rows;
	size_t nrows, rows_cap;
	int key;			/* 't', 'c', 'p' or 'n' */
	struct termios saved;
	int raw;			/* 1: stdin's termios must be restored */
	int times_raw;			/* --raw: the hooks' cost left in the times */
	int screen;			/* 1: on the alternate screen */
};

static volatile sig_atomic_t quit_signal, resized;

static void on_quit(int sig)
{
	quit_signal = sig;
}

static void on_winch(int sig)
{
	(void)sig;
	resized = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Writes all of buf (len bytes) on standard output; 0 or -1. */
static int put(const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(STDOUT_FILENO, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Leaves the alternate screen, shows the cursor and gives stdin its modes
 * back: what every way out of watch_run() calls, once or more. */
static void term_restore(struct watch *w)
{
	static const char leave[] = "\033[?25h\033[?1049l";

	if (w->screen)
		put(leave, sizeof(leave) - 1);
	w->screen = 0;
	if (w->raw)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &w->saved);
	w->raw = 0;
}

/* Cbreak mode on stdin when it is a terminal (else keys are not read, and
 * only signals end the view), then the alternate screen. */
static int term_setup(struct watch *w)
{
	static const char enter[] = "\033[?1049h\033[?25l";
	struct termios t;

	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &w->saved) == 0) {
		t = w->saved;
		t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		t.c_cc[VMIN] = 1;
		t.c_cc[VTIME] = 0;
		/* Ctrl-Z would stop us with the terminal still in our modes */
		t.c_cc[VSUSP] = _POSIX_VDISABLE;
		if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) == 0)
			w->raw = 1;
	}
	w->screen = 1;
	return put(enter, sizeof(enter) - 1);
}

/* Opens the segment of the running process pid.  0, or -1 with the reason. */
static int open_segment(struct watch *w, char *err, size_t errlen)
{
	struct shm_seg *segs;
	size_t n;
	long k = shm_find_running((uint32_t)w->pid, O_RDONLY, &segs, &n, err, errlen);

	if (k < 0)
		return -1;
	snprintf(w->path, sizeof(w->path), "%s", segs[k].path);
	w->fd = segs[k].fd;
	segs[k].fd = -1;
	w->pidns = segs[k].id.pidns ? segs[k].id.pidns : segs[k].h.pidns_ino;
	w->start = segs[k].start;
	shm_free(segs, n);
	return 0;
}

/* The entry of prev with e's key, or NULL when prev has none.  modmap maps
 * cur's module indices to prev's (-1: not in prev).  pp_profile_entry()
 * creates what it does not find: a zeroed entry in prev, which is thrown
 * away with it, reads as no calls, the same as none. */
static const struct pp_entry *prev_entry(struct pp_profile *prev, const int *modmap,
					 const struct pp_entry *e)
{
	int m = e->module;

	if (e->kind == PPF_KIND_FUNCTION && m >= 0 && (m = modmap[m]) < 0)
		return NULL;
	return pp_profile_entry(prev, e->kind, m, e->offset,
				e->kind == PPF_KIND_FUNCTION ? NULL : e->name);
}

/* a - b, or a when the count went down (the statistics were cleared). */
static uint64_t delta(uint64_t a, uint64_t b)
{
	return a >= b ? a - b : a;
}

static const char *entry_name(struct watch *w, struct pp_profile *prof,
			      const struct pp_entry *e)
{
	char buf[REPORT_FALLBACK_MAX];
	const char *name;

	if (e->kind != PPF_KIND_FUNCTION)
		return e->name ? e->name : "?";
	if (e->module >= 0) {
		const struct pp_module *mod = &prof->modules[e->module];

		name = sym_lookup(w->sc, mod->path, mod->build_id, mod->build_id_len, e->offset);
		if (name)
			return name;
	}
	report_fallback_text(buf, sizeof(buf), prof, e);
	name = pp_profile_strndup(prof, buf, strlen(buf));
	return name ? name : "?";
}

/* Rebuilds w->rows from cur against w->prev (elapsed_ns apart).  0, or -1
 * when memory runs out. */
static int build_rows(struct watch *w, struct pp_profile *cur, uint64_t elapsed_ns)
{
	int *modmap = NULL;
	double secs;

	if (cur->nmodules && !(modmap = malloc(cur->nmodules * sizeof(*modmap))))
		return -1;
	for (size_t i = 0; i < cur->nmodules; i++) {
		const struct pp_module *a = &cur->modules[i];

		modmap[i] = -1;
		for (size_t j = 0; w->prev && j < w->prev->nmodules; j++) {
			const struct pp_module *b = &w->prev->modules[j];

			if (!strcmp(a->path, b->path) && a->build_id_len == b->build_id_len &&
			    !memcmp(a->build_id, b->build_id, a->build_id_len)) {
				modmap[i] = (int)j;
				break;
			}
		}
	}
	if (cur->nentries > w->rows_cap) {
		void *p = realloc(w->rows, cur->nentries * sizeof(*w->rows));

		if (!p) {
			free(modmap);
			return -1;
		}
		w->rows = p;
		w->rows_cap = cur->nentries;
	}
	secs = elapsed_ns ? elapsed_ns / 1e9 : 1;
	w->nrows = 0;
	for (size_t i = 0; i < cur->nentries; i++) {
		const struct pp_entry *e = cur->entries[i], *pe = NULL;
		struct watch_row *row;

		if (!e->calls)
			continue;
		if (w->prev)
			pe = prev_entry(w->prev, modmap, e);
		row = &w->rows[w->nrows++];
		row->name = entry_name(w, cur, e);
		row->calls = e->calls;
		row->calls_s = delta(e->calls, pe ? pe->calls : 0) / secs;
		row->time_s = delta(e->inclusive_ns, pe ? pe->inclusive_ns : 0) / secs;
		row->p95_ns = stats_quantile(&e->hist, 950000, e->min_ns, e->max_ns);
	}
	free(modmap);
	return 0;
}

static int cmp_double(double a, double b)
{
	return a > b ? -1 : a < b;
}

/* The order of the key: descending, ties by name; by name ascending. */
static int cmp_rows(const void *pa, const void *pb, void *pkey)
{
	const struct watch_row *a = pa, *b = pb;
	int key = *(const int *)pkey, c = 0;

	if (key == 'c')
		c = cmp_double(a->calls_s, b->calls_s);
	else if (key == 't')
		c = cmp_double(a->time_s, b->time_s);
	else if (key == 'p')
		c = a->p95_ns > b->p95_ns ? -1 : a->p95_ns < b->p95_ns;
	return c ? c : strcmp(a->name, b->name);
}

/* Appends to line (cap bytes, *len used) the text s cut to `cols` columns
 * and padded with spaces to `pad` columns, escaped (esc_str: control bytes
 * and broken UTF-8 become \xNN); a UTF-8 sequence counts one column. */
static void add_cell(char *line, size_t cap, size_t *len, const char *s, int cols, int pad)
{
	char esc[1024];
	const unsigned char *p = (const unsigned char *)esc_str(esc, sizeof(esc), s);
	int used = 0;

	while (*p && used < cols) {
		int n = esc_utf8_len(p);

		if (n < 1)
			n = 1;
		if (*len + (size_t)n + 1 >= cap)
			break;
		memcpy(line + *len, p, (size_t)n);
		*len += (size_t)n;
		p += n;
		used++;
	}
	for (; used < pad && *len + 2 < cap; used++)
		line[(*len)++] = ' ';
	line[*len] = '\0';
}

/* A rate with its unit per second: "1.23M", "456.7", "0". */
static const char *fmt_rate(char buf[32], double v)
{
	if (v >= 1e9)
		snprintf(buf, 32, "%.2fG", v / 1e9);
	else if (v >= 1e6)
		snprintf(buf, 32, "%.2fM", v / 1e6);
	else if (v >= 1e4)
		snprintf(buf, 32, "%.1fk", v / 1e3);
	else if (v > 0)
		snprintf(buf, 32, "%.1f", v);
	else
		snprintf(buf, 32, "0");
	return buf;
}

/* Draws the table, fitted to the terminal's size.  0, or -1 when writing
 * failed. */
static int draw(struct watch *w)
{
	static const char *const keys[] = { "t", "time/s", "c", "calls/s", "p", "p95",
					    "n", "name" };
	const char *key_name = "time/s";
	struct winsize ws;
	int cols = 80, rows = 24, lines = 0;
	char *frame, line[4096], a[32], b[32], c[32], d[32];
	size_t flen = 0, fcap;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col && ws.ws_row) {
		cols = ws.ws_col;
		rows = ws.ws_row;
	}
	if (cols > (int)sizeof(line) / 8)
		cols = (int)sizeof(line) / 8;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i += 2)
		if (keys[i][0] == w->key)
			key_name = keys[i + 1];
	qsort_r(w->rows, w->nrows, sizeof(*w->rows), cmp_rows, &w->key);
	fcap = (size_t)rows * (sizeof(line) + 8) + 16;
	if (!(frame = malloc(fcap)))
		return -1;
	memcpy(frame, "\033[H", 3);
	flen = 3;

	/* the numbers first, then the name in what they leave: a line never
	 * exceeds the width, and a narrow terminal loses the names' ends */
	for (int y = 0; y < rows; y++) {
		size_t len = 0;
		char text[512];

		line[0] = '\0';
		if (y == 0) {
			/* the command last: a narrow terminal cuts it, not the key */
			snprintf(text, sizeof(text), "paraprof-report: pid %ld, every %.3gs, by"
				 " %s: %s", (long)w->pid, w->interval_ns / 1e9, key_name, w->cmd);
			add_cell(line, sizeof(line), &len, text, cols, 0);
		} else if (y == 1) {
			snprintf(text, sizeof(text), "%zu entries, up %s;"
				 " keys: t time/s, c calls/s, p p95, n name, q quit", w->nrows,
				 report_fmt_ns(a, w->up_ns));
			add_cell(line, sizeof(line), &len, text, cols, 0);
		} else if (y == 3) {
			snprintf(text, sizeof(text), "%*s %*s %*s %*s ", WATCH_NUM_W, "TIME/S",
				 WATCH_NUM_W, "CALLS/S", WATCH_NUM_W, "P95", WATCH_NUM_W, "CALLS");
			add_cell(line, sizeof(line), &len, text, cols, 0);
			add_cell(line, sizeof(line), &len, "NAME", cols - 4 * (WATCH_NUM_W + 1), 0);
		} else if (y >= WATCH_HEAD_LINES && (size_t)(y - WATCH_HEAD_LINES) < w->nrows) {
			const struct watch_row *r = &w->rows[y - WATCH_HEAD_LINES];

			snprintf(text, sizeof(text), "%*s %*s %*s %*llu ", WATCH_NUM_W,
				 report_fmt_ns(b, (uint64_t)r->time_s), WATCH_NUM_W,
				 fmt_rate(c, r->calls_s), WATCH_NUM_W, report_fmt_ns(d, r->p95_ns),
				 WATCH_NUM_W, (unsigned long long)r->calls);
			add_cell(line, sizeof(line), &len, text, cols, 0);
			if (cols - 4 * (WATCH_NUM_W + 1) > 0)
				add_cell(line, sizeof(line), &len, r->name,
					 cols - 4 * (WATCH_NUM_W + 1), 0);
		} else if (y >= WATCH_HEAD_LINES) {
			break;
		}
		/* erase first: an erase after a line that fills the width would take
		 * its last character (the cursor waits on it to wrap) */
		flen += (size_t)snprintf(frame + flen, fcap - flen, "\033[2K%s%s", line,
					 y + 1 < rows ? "\r\n" : "");
		lines++;
	}
	if (lines < rows)
		flen += (size_t)snprintf(frame + flen, fcap - flen, "\033[J");
	int rc = put(frame, flen);

	free(frame);
	return rc;
}

/* Copies the segment into a new profile, builds the rows and keeps the copy
 * as the next refresh's previous one.  Sets *ended when the process has
 * exited.  0, or -1 with the reason in err. */
static int refresh(struct watch *w, int *ended, char *err, size_t errlen)
{
	struct pp_profile *cur = pp_profile_new();
	uint64_t at;

	if (!cur) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	cur->flat = 1;		/* no call paths: a flat table needs none */
	cur->raw = w->times_raw;
	if (load_fd(cur, w->fd, w->path, err, errlen)) {
		pp_profile_free(cur);
		return -1;
	}
	at = now_ns();
	if (!cur->nprocs) {
		snprintf(err, errlen, "%s: no process in the segment", w->path);
		pp_profile_free(cur);
		return -1;
	}
	const struct pp_process *p = &cur->procs[0];

	w->up_ns = p->wall_ns;
	if (!w->cmd[0])
		snprintf(w->cmd, sizeof(w->cmd), "%s", p->cmdline ? p->cmdline : "");
	*ended = p->stop_ns != 0 ||
		 shm_process_state((uint32_t)w->pid, w->pidns, w->start) == SHM_GONE;
	/* the first copy has no previous one: averages since the start */
	if (build_rows(w, cur, w->prev ? at - w->prev_at : p->wall_ns)) {
		snprintf(err, errlen, "out of memory");
		pp_profile_free(cur);
		return -1;
	}
	pp_profile_free(w->prev);
	w->prev = cur;
	w->prev_at = at;
	return 0;
}

/* Reads the keys waiting on stdin.  Returns 1 to quit, else 0; sets *redraw
 * when the sort key changed. */
static int read_keys(struct watch *w, int *stdin_open, int *redraw)
{
	char buf[64];
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

	if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
		*stdin_open = 0;	/* no more keys: signals still end the view */
		return 0;
	}
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] == 'q' || buf[i] == 'Q')
			return 1;
		if (strchr("tcpn", buf[i]) && buf[i]) {
			w->key = buf[i];
			*redraw = 1;
		}
	}
	return 0;
}

int watch_run(pid_t pid, uint64_t interval_ns, int raw)
{
	struct watch w = { .pid = pid, .interval_ns = interval_ns, .fd = -1, .key = 't',
			   .times_raw = raw };
	struct sigaction sa = { 0 }, old_int, old_term, old_hup, old_winch;
	char err[512];
	int status = 2, ended = 0, stdin_open = 1;

	if (open_segment(&w, err, sizeof(err))) {
		fprintf(stderr, "paraprof-report: pid %ld: ", (long)pid);
		esc_fputs(err, stderr);
		fputc('\n', stderr);
		return 2;
	}
	if (!(w.sc = sym_cache_new())) {
		fprintf(stderr, "paraprof-report: out of memory\n");
		close(w.fd);
		return 2;
	}
	/* no SA_RESTART: the signal must wake poll() */
	sa.sa_handler = on_quit;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
	sa.sa_handler = on_winch;
	sigaction(SIGWINCH, &sa, &old_winch);

	err[0] = '\0';
	if (refresh(&w, &ended, err, sizeof(err)))
		goto out;
	if (term_setup(&w) || draw(&w)) {
		snprintf(err, sizeof(err), "cannot write to the terminal: %s", strerror(errno));
		goto out;
	}
	uint64_t next = now_ns() + interval_ns;

	while (!ended && !quit_signal) {
		uint64_t now = now_ns();
		struct pollfd pfd = { STDIN_FILENO, POLLIN, 0 };
		int redraw = 0, timeout, n;

		if (now >= next) {
			if (refresh(&w, &ended, err, sizeof(err)))
				goto out;
			next = now_ns() + interval_ns;
			if (ended)
				break;
			redraw = 1;
		} else {
			timeout = (int)((next - now + 999999) / 1000000);
			n = poll(&pfd, stdin_open && w.raw ? 1 : 0, timeout);
			if (n > 0 && read_keys(&w, &stdin_open, &redraw))
				break;
		}
		if (resized)
			redraw = 1;
		resized = 0;
		if (redraw && !quit_signal && draw(&w)) {
			snprintf(err, sizeof(err), "cannot write to the terminal: %s",
				 strerror(errno));
			goto out;
		}
	}
	status = 0;
out:
	term_restore(&w);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	sigaction(SIGWINCH, &old_winch, NULL);
	if (status) {
		fprintf(stderr, "paraprof-report: %s: ", w.path);
		esc_fputs(err, stderr);
		fputc('\n', stderr);
	} else if (ended) {
		char cmd[sizeof(w.cmd) * 4];

		printf("paraprof-report: pid %ld (%s) has ended\n", (long)pid,
		       esc_str(cmd, sizeof(cmd), w.cmd));
		if (fflush(stdout))
			status = 2;
	}
	pp_profile_free(w.prev);
	free(w.rows);
	sym_cache_free(w.sc);
	close(w.fd);
	return status;
}
