/* proc.h - what /proc says of a process: its start time, its pid namespace
 *
 * Part of the common format layer (common/), linked by libparaprof.so,
 * paraprof-report and the launcher.  A segment's name and header carry the
 * process's start time and pid namespace, so that a reader can tell the
 * process that made it from a later one with the same pid; every side reads
 * them here, in one way.
 */
#ifndef PARAPROF_COMMON_PROC_H
#define PARAPROF_COMMON_PROC_H

#include <stdint.h>

/* starttime (field 22) of /proc/<pid>/stat (pid 0: this process), in clock
 * ticks from boot to the start of the process, kept by exec.  Returns 0 when
 * there is no such process or it cannot be read.  Async-signal-safe: open,
 * read and close only, no allocation. */
uint64_t ppc_proc_start_ticks(uint32_t pid);

/* The inode of this process's pid namespace (/proc/self/ns/pid); 0 when it
 * cannot be told. */
uint64_t ppc_pidns_ino(void);

#endif
