/* budget.h - --memory-budget: size the pipeline to fit, then watch the RSS.
 *
 * DESIGN
 * Nearly all of sluice's memory is proportional to what is in flight, and what is
 * in flight is bounded by the batch pools: rx reads (and, for Event Hubs, grants
 * link credit) only into free batch room, so the bytes a partition holds - in its
 * pool and in proton's buffers - stay near --rx-batches x --batch-bytes. The plan
 * is therefore a formula over the flags (budget_estimate), checked once the
 * partition count is known:
 *
 *   base 64 MB (code, libraries, allocator, spool tables)
 *   + per read partition: rx_batches x batch_bytes x 2 (the pool, and as much
 *     again that the transport may buffer before a batch takes it) + 320 KB
 *     (connection, proactor, proton's buffers, thread stack: 1024 partitions on 2
 *     busy cores peaked near 280 KB each above their pools)
 *   + per shard: (in-flight writes: at most min(queue_depth, its partitions'
 *     batches) compressed frames of about one batch) + 4 batches of scratch
 *
 * When the estimate exceeds the budget and --rx-batches was not given, rx_batches
 * is lowered (not below 2) until it fits; --batch-bytes is never lowered (it must
 * hold the largest message). Still over: start-up fails naming the figures and the
 * fixes. While running, the control thread samples the RSS once a second and warns
 * (rate-limited) above the budget; the summary reports the kernel's peak (VmHWM).
 */
#ifndef SLUICE_BUDGET_H
#define SLUICE_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfg.h"

/* Bytes the pipeline is expected to need with c's flags. */
uint64_t budget_estimate(const struct run_cfg *c, uint32_t read_parts, uint32_t shards);

/* Fit c into c->memory_budget (0: no budget, nothing changes): lower rx_batches
 * unless given. 0, or -ENOMEM with one line (figures and fixes) in why. */
int budget_plan(struct run_cfg *c, uint32_t read_parts, uint32_t shards, char *why,
                size_t n) MUST_CHECK;

/* Resident set now, and the peak so far (VmHWM), in bytes; 0 when unknown. */
uint64_t budget_rss(void);
uint64_t budget_peak_rss(void);

/* The memory this process may use, in bytes: physical memory, or the cgroup's
 * limit (v1 or v2) when lower. The default budget (auto) is half of it. */
uint64_t budget_memory(void);

#endif
