/* synth.h - realistic synthetic Defender streaming traffic (DESIGN.md §8).
 *
 * Generates `events` Defender records for the twelve Device* and Alert* tables of
 * ../shared/reference/defender.md §2 in a realistic mix (process and network
 * events dominate), wrapped K records per Event Hub message body
 * ({"records":[...]}), spread round-robin over `partitions` partitions, and
 * written with capture_write(). Every record has the real envelope (time,
 * tenantId, operationName, category, properties, Tenant) and all columns of its
 * table including nulls; AdditionalFields are JSON strings; a low rate of
 * defender.md §1.4 drift (numbers as strings, booleans as 0/1, odd timestamps).
 * Deterministic for a seed: same options -> byte-identical capture.
 */
#ifndef SLUICE_SYNTH_H
#define SLUICE_SYNTH_H

#include <stdint.h>

#include "capture.h"

struct synth_opts {
    uint64_t events;             /* records to generate (total, all partitions) */
    uint32_t partitions;
    uint32_t records_per_message; /* K (default 10) */
    uint64_t seed;
    int64_t start_ms;            /* first event time (ms since epoch); 0: a fixed default */
};

/* Generate into an open writer (the writer names hub and partitions).
 * 0 or a negative error. Prints nothing. */
int synth_generate(struct capture_writer *w, const struct synth_opts *o);

#endif
