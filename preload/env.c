/* env.c - settings from the environment and the library's one voice
 *
 * Every PARAPROF_* variable is read here, once: at start-up into `env`, but
 * PARAPROF_SLOW_THRESHOLD at the first request (env_slow_threshold_ns(), as
 * documented).  A value that does not parse gets one warning and the
 * default: a typo never stops the program and never silently means
 * something else.  The output
 * directory is made absolute here, so that dumps go where the program was
 * started, whatever directory it is in when it exits.
 *
 * A setuid or setgid program (AT_SECURE) reads no variable at all and keeps
 * profiling off: its environment belongs to a less privileged user, who
 * could otherwise choose where a privileged process writes files.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "internal.h"

struct env_settings env;

void env_warn(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	if (env.quiet)
		return;
	memcpy(line, "paraprof: ", 10);
	va_start(ap, fmt);
	n = vsnprintf(line + 10, sizeof(line) - 11, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	n = 10 + (n < (int)sizeof(line) - 11 ? n : (int)sizeof(line) - 12);
	line[n++] = '\n';
	/* one write: lines of several processes do not interleave */
	if (libcalls_write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

/* Parses an unsigned number with an optional K/M/G/T suffix (powers of 1024
 * when `binary`); returns -1 when `s` is not one. */
static int parse_number(const char *s, int binary, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	if (binary && *end) {
		unsigned shift = 0;

		switch (*end) {
		case 'k': case 'K': shift = 10; break;
		case 'm': case 'M': shift = 20; break;
		case 'g': case 'G': shift = 30; break;
		case 't': case 'T': shift = 40; break;
		default: return -1;
		}
		if (v > (~0ULL >> shift))
			return -1;
		v <<= shift;
		end++;
	}
	if (*end)
		return -1;
	*out = v;
	return 0;
}

/* Parses 1 to 16 hexadecimal digits; returns -1 when `s` is not that. */
static int parse_hex64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	int digits = 0;

	for (; *s; s++, digits++) {
		unsigned d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (*s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (*s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			return -1;
		if (digits == 16)
			return -1;
		v = v << 4 | d;
	}
	if (!digits)
		return -1;
	*out = v;
	return 0;
}

/* Sets env.output to the absolute form of PARAPROF_OUTPUT (`dir`, NULL when
 * unset), relative paths and the default taken from the current directory
 * now.  When the current directory cannot be told, a relative `dir` stays
 * relative (it is then resolved at exit, as before). */
static void set_output(const char *dir)
{
	char cwd[sizeof(env.output)];
	size_t len;

	if (dir && *dir && strlen(dir) >= sizeof(env.output)) {
		env_warn("PARAPROF_OUTPUT is too long; using the current directory");
		dir = NULL;
	}
	if (dir && *dir == '/') {
		strcpy(env.output, dir);
		return;
	}
	if (!getcwd(cwd, sizeof(cwd)) || cwd[0] != '/') {
		strcpy(env.output, dir && *dir ? dir : ".");
		return;
	}
	len = strlen(cwd);
	if (!dir || !*dir || !strcmp(dir, ".")) {
		strcpy(env.output, cwd);
	} else if (len + 1 + strlen(dir) < sizeof(env.output)) {
		memcpy(env.output, cwd, len);
		env.output[len] = '/';
		strcpy(env.output + len + 1, dir);
	} else {
		env_warn("PARAPROF_OUTPUT is too long; using the current directory");
		strcpy(env.output, cwd);
	}
}

void env_read(void)
{
	const char *s;
	uint64_t v;

	env.enable = 1;
	env.mem_interval_ns = 10 * 1000000ull;
	env.shm_size = 1ull << 30;
	env.max_paths = REC_MAX_PATHS_DEFAULT;
	env.max_threads = REC_MAX_THREADS_DEFAULT;
	env.slow_call_ns = 10000;
	env.session = 0;
	env.quiet = 0;
	env.libcalls = 0;
	env.cpu_min_ns = 20000;
	env.sample_hz = 0;
	strcpy(env.output, ".");
	if (getauxval(AT_SECURE)) {
		/* not even PARAPROF_QUIET: the environment is not to be trusted */
		env.secure = 1;
		env_warn("a setuid or setgid program: profiling is off");
		return;
	}
	env.secure = 0;

	s = getenv("PARAPROF_QUIET");
	env.quiet = s && *s && strcmp(s, "0") != 0;

	set_output(getenv("PARAPROF_OUTPUT"));

	env.libcalls = 1;
	s = getenv("PARAPROF_LIBCALLS");
	if (s && *s) {
		if (!strcmp(s, "0"))
			env.libcalls = 0;
		else if (strcmp(s, "1") != 0)
			env_warn("PARAPROF_LIBCALLS=%s is not 0 or 1; using 1", s);
	}

	s = getenv("PARAPROF_ENABLE");
	if (s && *s) {
		if (!strcmp(s, "0"))
			env.enable = 0;
		else if (strcmp(s, "1") != 0)
			env_warn("PARAPROF_ENABLE=%s is not 0 or 1; using 1", s);
	}

	s = getenv("PARAPROF_MEM_INTERVAL_MS");
	if (s && *s) {
		if (parse_number(s, 0, &v) < 0 || v < 1 || v > 60000)
			env_warn("PARAPROF_MEM_INTERVAL_MS=%s is not a number of milliseconds "
				 "from 1 to 60000; using 10", s);
		else
			env.mem_interval_ns = v * 1000000ull;
	}

	s = getenv("PARAPROF_SHM_SIZE");
	if (s && *s) {
		if (parse_number(s, 1, &v) < 0 || v < (4ull << 20) || v > (1ull << 40))
			env_warn("PARAPROF_SHM_SIZE=%s is not a size from 4M to 1T; using 1G", s);
		else
			env.shm_size = v;
	}

	s = getenv("PARAPROF_MAX_PATHS");
	if (s && *s) {
		if (parse_number(s, 0, &v) < 0 || v > (1ull << 32))
			env_warn("PARAPROF_MAX_PATHS=%s is not a number from 0 to 4294967296; "
				 "using %llu", s, (unsigned long long)REC_MAX_PATHS_DEFAULT);
		else
			env.max_paths = v;
	}

	s = getenv("PARAPROF_MAX_THREADS");
	if (s && *s) {
		if (parse_number(s, 0, &v) < 0 || v > REC_MAX_THREADS_LIMIT)
			env_warn("PARAPROF_MAX_THREADS=%s is not a number from 0 to %u; using %u",
				 s, REC_MAX_THREADS_LIMIT, REC_MAX_THREADS_DEFAULT);
		else
			env.max_threads = (uint32_t)v;
	}

	s = getenv("PARAPROF_CPU_MIN_US");
	if (s && *s) {
		if (parse_number(s, 0, &v) < 0 || v > 60000000)
			env_warn("PARAPROF_CPU_MIN_US=%s is not a number of microseconds from 0 "
				 "to 60000000; using 20", s);
		else
			env.cpu_min_ns = v * 1000;
	}

	s = getenv("PARAPROF_SAMPLE");
	if (s && *s) {
		if (parse_number(s, 0, &v) < 0 || v > 10000)
			env_warn("PARAPROF_SAMPLE=%s is not a number of samples per second from 0 "
				 "to 10000; no sampling", s);
		else
			env.sample_hz = (uint32_t)v;
	}

	s = getenv("PARAPROF_SLOW_CALL_US");
	if (s && *s) {
		if (parse_number(s, 0, &v) < 0 || v > 1000000000ull)
			env_warn("PARAPROF_SLOW_CALL_US=%s is not a number of microseconds from 0 "
				 "to 1000000000; using 10", s);
		else
			env.slow_call_ns = v * 1000;
	}

	s = getenv("PARAPROF_SESSION");
	if (s && *s) {
		if (parse_hex64(s, &v) < 0 || !v)
			env_warn("PARAPROF_SESSION=%s is not 1 to 16 hexadecimal digits, "
				 "not all 0; ignored", s);
		else
			env.session = v;
	}
}

int env_threshold_ns(double seconds, uint64_t *ns)
{
	/* 1e9 s fits 64 bits of ns; the comparisons are false for NaN */
	if (!(seconds > 0 && seconds <= 1e9))
		return -1;
	*ns = (uint64_t)(seconds * 1e9 + 0.5);
	return 0;
}

uint64_t env_slow_threshold_ns(void)
{
	const char *s;
	char *end;
	double v;
	uint64_t ns;

	if (env.secure)
		return ENV_SLOW_THRESHOLD_NS;
	s = getenv("PARAPROF_SLOW_THRESHOLD");
	if (!s || !*s)
		return ENV_SLOW_THRESHOLD_NS;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || env_threshold_ns(v, &ns) < 0) {
		env_warn("PARAPROF_SLOW_THRESHOLD=%s is not a number of seconds above 0 "
			 "and at most 1e9; using %.1f", s, (double)ENV_SLOW_THRESHOLD_NS / 1e9);
		return ENV_SLOW_THRESHOLD_NS;
	}
	return ns;
}
