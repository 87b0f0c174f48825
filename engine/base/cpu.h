/* cpu.h - CPU lists and thread pinning. */
#ifndef SLUICE_CPU_H
#define SLUICE_CPU_H

#include <stdint.h>

#include "compiler.h"

#define CPU_LIST_MAX 1024

struct cpu_list {
    uint32_t n;
    uint16_t cpu[CPU_LIST_MAX];
};

/* Parse "0-3,8,10-11" into l (sorted as written, duplicates rejected).
 * 0, -EINVAL (syntax, empty, duplicate) or -ERANGE (cpu >= CPU_LIST_MAX). @thread any */
int cpu_list_parse(const char *s, struct cpu_list *l) MUST_CHECK;

/* The CPUs this process may run on (sched_getaffinity). 0 or -errno. */
int cpu_list_allowed(struct cpu_list *l) MUST_CHECK;

/* Every CPU of `want` is in `allowed`? Returns 0, or the first CPU that is not, + 1
 * negated (-(cpu+1)). */
int cpu_list_check(const struct cpu_list *want, const struct cpu_list *allowed);

/* Pin the calling thread to one CPU. 0 or -errno. @thread owner */
int cpu_pin_self(unsigned cpu) MUST_CHECK;

#endif
