/* control.h - paraprof-report --enable, --disable, --clear on a live segment */
#ifndef PARAPROF_CONTROL_H
#define PARAPROF_CONTROL_H

#include <stddef.h>
#include <sys/types.h>

enum control_op { CONTROL_ENABLE = 1, CONTROL_DISABLE, CONTROL_CLEAR };

/* Applies `op` to the running program `pid` through its segment.  Returns
 * 0, or -1 with a one-line reason in err (no such segment, not a paraprof
 * segment, the process has exited). */
int control_pid(pid_t pid, enum control_op op, char *err, size_t errlen);

#endif /* PARAPROF_CONTROL_H */
