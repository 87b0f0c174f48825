/* fwd.h - forwarder threads (DESIGN.md §2, §7): one per --sink, not pinned.
 * Each delivers the sealed segments of every shard directory in segno order to
 * its sink, keeps a delivery marker per shard, and, together with the other
 * sinks, lets retention delete what every sink has delivered.
 *
 * Life cycle, from the control thread:
 *   fwd_create   before the shards start (reads and checks the markers)
 *   fwd_start    with the other workers (signals blocked)
 *   fwd_drain_begin / fwd_drained   at the end of an --until-caught-up run, to
 *                let the forwarders deliver what was sealed, for a bounded time
 *   fwd_stop     each thread stops after its current batch; joined
 *   fwd_print_*  counters for the summary; fwd_destroy
 */
#ifndef SLUICE_FWD_H
#define SLUICE_FWD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cfg.h"
#include "compiler.h"

/* Counters of one sink, or of all together. Written by the forwarder thread,
 * read by control after fwd_stop. */
struct fwd_stats {
    uint64_t segments; /* segments delivered in full */
    uint64_t batches;  /* batches (or segment files, for dir) delivered */
    uint64_t events;   /* event lines delivered */
    uint64_t bytes;    /* bytes delivered (NDJSON before gzip; file bytes for dir) */
    uint64_t retries;  /* failed attempts that were retried or gave up */
    uint64_t failed;   /* segments given up on, kept in DIR/failed/ */
};

struct fwd;

/* true when one of cfg's sinks is stdout (the run's summary then goes to stderr). */
bool fwd_uses_stdout(const struct run_cfg *cfg);

/* Set up forwarding for cfg->sinks over cfg->spool_dir: libcurl, the sinks,
 * and every shard directory's markers (DIR/failed and DIR/dead-letters are
 * created when first needed). A
 * marker ahead of the highest segno on disk is lowered to it (segments
 * written later are never taken as delivered). Must run before the shards
 * start. Ignores SIGPIPE for the process (a closed stdout or socket becomes an
 * error, not a death). NULL on failure, after printing one line naming the
 * problem to stderr. @thread control */
struct fwd *fwd_create(const struct run_cfg *cfg);

/* Start one thread per sink. 0 or -errno (threads started so far keep going
 * until fwd_stop). @thread control */
int fwd_start(struct fwd *F) MUST_CHECK;

/* From now on, fwd_drained() tells when every sink has passed every sealed
 * segment it can (after the shards have sealed their last segment). */
void fwd_drain_begin(struct fwd *F);
bool fwd_drained(struct fwd *F);

/* Stop every thread after its current batch (a backoff wait ends at once),
 * join them, and run a last retention pass. Logs how many sealed segments are
 * left undelivered. @thread control @blocking */
void fwd_stop(struct fwd *F);

/* Sum of every sink's counters, plus segments deleted by retention. */
void fwd_get_stats(const struct fwd *F, struct fwd_stats *sum, uint64_t *deleted,
                   uint64_t *pending);

/* The summary lines ("  forwarded ...") and the JSON members (",\"sink_...\":...")
 * of the run summary. After fwd_stop. */
void fwd_print_summary(const struct fwd *F, FILE *o);
void fwd_print_json(const struct fwd *F, FILE *j);

void fwd_destroy(struct fwd *F);

#endif
