/* watch.h - paraprof-report --pid PID --watch: a live, top-like view
 *
 * Redraws a table of the running process's functions every interval: calls
 * per second and time per second since the previous refresh, p95 and calls
 * since the start, sorted by a key chosen with a keystroke.  Needs a
 * terminal on standard output (main.c refuses --watch otherwise).
 */
#ifndef PARAPROF_WATCH_H
#define PARAPROF_WATCH_H

#include <stdint.h>
#include <sys/types.h>

/*
 * Watches process `pid` (its running segment in /dev/shm), refreshing every
 * `interval_ns`, until q, Ctrl-C (SIGINT), SIGTERM or SIGHUP, or until the
 * process ends (then prints "paraprof-report: pid N has ended" on standard
 * output).  The terminal is put in cbreak mode on the alternate screen and
 * restored on every way out.  `raw`: the hooks' own cost left in the times
 * (--raw).  Returns the exit status: 0, or 2 with one line
 * on stderr when the process has no running segment, a refresh cannot read
 * it, or writing to the terminal fails.
 */
int watch_run(pid_t pid, uint64_t interval_ns, int raw);

#endif /* PARAPROF_WATCH_H */
