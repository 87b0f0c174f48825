/* cpu.c - CPU list parsing and pinning. */
#include "cpu.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static int parse_num(const char **p, unsigned *out)
{
    const char *s = *p;
    if (*s < '0' || *s > '9')
        return -EINVAL;
    unsigned v = 0;
    while (*s >= '0' && *s <= '9') {
        v = v * 10 + (unsigned)(*s - '0');
        if (v >= CPU_LIST_MAX)
            return -ERANGE;
        s++;
    }
    *p = s;
    *out = v;
    return 0;
}

int cpu_list_parse(const char *s, struct cpu_list *l)
{
    bool seen[CPU_LIST_MAX] = {false};
    l->n = 0;
    if (!s || !*s)
        return -EINVAL;
    for (;;) {
        unsigned a, b;
        int rc = parse_num(&s, &a);
        if (rc)
            return rc;
        b = a;
        if (*s == '-') {
            s++;
            rc = parse_num(&s, &b);
            if (rc)
                return rc;
            if (b < a)
                return -EINVAL;
        }
        for (unsigned c = a; c <= b; c++) {
            if (seen[c])
                return -EINVAL;
            seen[c] = true;
            l->cpu[l->n++] = (uint16_t)c;
        }
        if (*s == '\0')
            return 0;
        if (*s != ',')
            return -EINVAL;
        s++;
    }
}

int cpu_list_allowed(struct cpu_list *l)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) != 0)
        return -errno;
    l->n = 0;
    for (unsigned c = 0; c < CPU_LIST_MAX && c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &set))
            l->cpu[l->n++] = (uint16_t)c;
    return l->n ? 0 : -ENODEV;
}

int cpu_list_check(const struct cpu_list *want, const struct cpu_list *allowed)
{
    for (uint32_t i = 0; i < want->n; i++) {
        bool ok = false;
        for (uint32_t j = 0; j < allowed->n && !ok; j++)
            ok = allowed->cpu[j] == want->cpu[i];
        if (!ok)
            return -(int)(want->cpu[i] + 1);
    }
    return 0;
}

int cpu_pin_self(unsigned cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    int rc = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
    return rc ? -rc : 0;
}
