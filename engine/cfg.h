/* cfg.h - the resolved configuration of `sluice run` (filled by cli.c).
 * Written by the control thread before any worker starts; read-only after. */
#ifndef SLUICE_CFG_H
#define SLUICE_CFG_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "cpu.h"
#include "eh_rx.h"
#include "sink.h"
#include "spool.h"

enum run_source { RUN_SRC_REPLAY, RUN_SRC_EVENTHUB };

#define CFG_PART_MAX 1024u /* partition ids 0..1023 (DESIGN.md §2) */

struct run_cfg {
    char source[PATH_MAX];       /* as given: "replay:PATH" or "eventhub" */
    enum run_source source_kind;
    char capture[PATH_MAX];      /* PATH from replay:PATH */
    /* --source eventhub (io/eh_rx.h) */
    char conn_env[128];          /* name of the variable holding the connection string */
    char namespace_host[256];    /* --namespace: FQDN, Entra ID auth from AZURE_* */
    char eventhub[256];          /* --eventhub; else the connection string's EntityPath */
    bool partitions_all;         /* --partitions all: every partition $management lists */
    uint8_t partition_set[CFG_PART_MAX]; /* 1: partition id selected (when !partitions_all) */
    struct eh_start start;       /* --start, when a partition has no checkpoint */
    char start_text[96];
    bool has_owner_level;        /* --owner-level given */
    int64_t owner_level;
    uint32_t prefetch;           /* most events requested ahead per partition */
    int64_t sas_token_ttl_ms;    /* lifetime of SAS tokens signed from the connection string key */
    char spool_dir[PATH_MAX];
    uint32_t shards;             /* 0: one per CPU of cpus */
    struct cpu_list cpus;        /* CPUs to pin to (default: all allowed) */
    bool until_caught_up;
    enum spool_fsync fsync;
    int64_t fsync_interval_ms;
    int64_t checkpoint_ms;
    uint32_t batch_bytes;        /* bytes per batch (power of two) */
    uint32_t rx_batches;         /* batches per partition pool */
    bool rx_batches_given;       /* --rx-batches on the command line: --memory-budget keeps it */
    uint64_t memory_budget;      /* bytes; 0: none (budget.h) */
    char memory_budget_text[32]; /* as given: auto, none or a size */
    uint64_t inflight_bytes;     /* per partition: most bytes read beyond the last persisted
                                    checkpoint (bounds duplicates after a crash); 0: no bound */
    uint64_t segment_bytes;
    int64_t segment_ms;
    uint32_t queue_depth;        /* io_uring entries per shard */
    char consumer_group[256];
    bool keep_original;
    int log_level;
    char stats_json[PATH_MAX];   /* "" or a file to write the run summary to as JSON */
    int64_t progress_ms;         /* progress line interval; 0: off */
    /* forwarders (engine/fwd.c) */
    struct sink_spec sinks[SINK_MAX]; /* --sink, in the order given */
    uint32_t nsinks;
    uint64_t sink_batch_bytes;   /* http/stdout: most NDJSON bytes per batch */
    uint32_t sink_batch_events;  /* ... and most events */
    bool sink_gzip;
    int64_t sink_timeout_ms;     /* http: whole request */
    int64_t sink_backoff_max_ms; /* retry delay cap */
    uint32_t sink_max_attempts;  /* failures in a row before failed/; 0: never */
    int64_t sink_drain_ms;       /* --until-caught-up: time left to forwarders at the end */
    uint64_t retain_bytes;       /* keep delivered segments while the spool is under this; 0: off */
    int64_t retain_hours;        /* keep delivered segments this long; 0: off */
};

#endif
