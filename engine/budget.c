/* budget.c - --memory-budget; see budget.h. */
#include "budget.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "compiler.h"

#define BUDGET_BASE (64ull << 20)
#define BUDGET_PER_CONN (320ull << 10)
#define MB(x) ((double)(x) / (1024.0 * 1024.0))

uint64_t budget_estimate(const struct run_cfg *c, uint32_t read_parts, uint32_t shards)
{
    uint64_t bb = c->batch_bytes;
    uint64_t pool = (uint64_t)c->rx_batches * bb;
    uint64_t per_part = 2 * pool + BUDGET_PER_CONN;
    uint64_t total = BUDGET_BASE + (uint64_t)read_parts * per_part;
    if (shards) {
        uint64_t batches = ((uint64_t)read_parts + shards - 1) / shards * c->rx_batches;
        total += shards * (MIN((uint64_t)c->queue_depth, batches) * bb + 4 * bb);
    }
    return total;
}

int budget_plan(struct run_cfg *c, uint32_t read_parts, uint32_t shards, char *why, size_t n)
{
    if (!c->memory_budget)
        return 0;
    uint64_t want = budget_estimate(c, read_parts, shards);
    if (want <= c->memory_budget)
        return 0;
    uint32_t given = c->rx_batches;
    if (!c->rx_batches_given)
        while (c->rx_batches > 2 && budget_estimate(c, read_parts, shards) > c->memory_budget)
            c->rx_batches--;
    uint64_t got = budget_estimate(c, read_parts, shards);
    if (got <= c->memory_budget)
        return 0; /* the caller logs the lowered rx_batches */
    c->rx_batches = given;
    snprintf(why, n,
             "--memory-budget %.0f MB cannot hold %u partitions and %u shards: with "
             "--batch-bytes %.0fK and --rx-batches %u they need about %.0f MB; raise "
             "--memory-budget, lower --batch-bytes (it must hold the largest message)%s, or "
             "split the partitions across hosts with --partitions",
             MB(c->memory_budget), read_parts, shards, (double)c->batch_bytes / 1024.0,
             c->rx_batches_given ? given : 2u, MB(got),
             c->rx_batches_given ? " or --rx-batches" : "");
    return -ENOMEM;
}

uint64_t budget_rss(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    unsigned long long size = 0, res = 0;
    int k = fscanf(f, "%llu %llu", &size, &res);
    fclose(f);
    long pg = sysconf(_SC_PAGESIZE);
    return k == 2 && pg > 0 ? (uint64_t)res * (uint64_t)pg : 0;
}

uint64_t budget_peak_rss(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return 0;
    char line[256];
    uint64_t kb = 0;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "VmHWM: %" SCNu64 " kB", &kb) == 1)
            break;
    fclose(f);
    return kb * 1024;
}

/* A cgroup memory limit in file f ("max", a byte count, or absent: UINT64_MAX). */
static uint64_t cg_limit(const char *f)
{
    FILE *fp = fopen(f, "r");
    if (!fp)
        return UINT64_MAX;
    unsigned long long v = 0;
    int k = fscanf(fp, "%llu", &v);
    fclose(fp);
    return k == 1 && v > 0 ? (uint64_t)v : UINT64_MAX;
}

uint64_t budget_memory(void)
{
    struct sysinfo si;
    if (sysinfo(&si) != 0)
        return 0;
    uint64_t m = (uint64_t)si.totalram * si.mem_unit;
    /* our cgroup's limit, v2 (0::PATH) or v1 (N:memory:PATH), and the root's */
    m = MIN(m, cg_limit("/sys/fs/cgroup/memory.max"));
    m = MIN(m, cg_limit("/sys/fs/cgroup/memory/memory.limit_in_bytes"));
    FILE *fp = fopen("/proc/self/cgroup", "r");
    char line[512], f[700];
    while (fp && fgets(line, sizeof(line), fp)) {
        line[strcspn(line, "\n")] = '\0';
        const char *p = NULL;
        if (strncmp(line, "0::", 3) == 0) {
            p = line + 3;
            snprintf(f, sizeof(f), "/sys/fs/cgroup%s/memory.max", p);
        } else if ((p = strstr(line, ":memory:")) != NULL) {
            p += 8;
            snprintf(f, sizeof(f), "/sys/fs/cgroup/memory%s/memory.limit_in_bytes", p);
        }
        if (p && strcmp(p, "/") != 0)
            m = MIN(m, cg_limit(f));
    }
    if (fp)
        fclose(fp);
    return m;
}
