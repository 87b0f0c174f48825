/* norm.h - Defender streaming records -> OCSF 1.8.0 NDJSON (DESIGN.md §4,
 * ../shared/reference/schemas.md is the contract).
 *
 * One struct norm per shard thread: it owns the JSON parser (json_shim) and
 * scratch buffers. norm_message() walks one Event Hub message body
 * ({"records":[...]}) and, for each record, appends exactly one line to either
 * the events buffer (one OCSF event, '\n'-terminated) or the dead-letter buffer
 * (one JSON object naming the reason, '\n'-terminated). Nothing is dropped.
 * No threads, no I/O, no logging; errors travel as return values and counters.
 */
#ifndef SLUICE_NORM_H
#define SLUICE_NORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "compiler.h"

/* Tables sluice knows by name; everything else counts as NT_OTHER. */
enum norm_table {
    NT_DEVICE_PROCESS_EVENTS,
    NT_DEVICE_NETWORK_EVENTS,
    NT_DEVICE_FILE_EVENTS,
    NT_DEVICE_REGISTRY_EVENTS,
    NT_DEVICE_LOGON_EVENTS,
    NT_DEVICE_IMAGE_LOAD_EVENTS,
    NT_DEVICE_EVENTS,
    NT_DEVICE_INFO,
    NT_DEVICE_NETWORK_INFO,
    NT_DEVICE_FILE_CERTIFICATE_INFO,
    NT_ALERT_INFO,
    NT_ALERT_EVIDENCE,
    NT_OTHER,
    NT__COUNT
};

/* The 18 categories of schemas.md §1, in the integration guide's order. */
enum norm_cat {
    NC_ANTIVIRUS,
    NC_AUTH,
    NC_DNS,
    NC_FILE_COLLECTION,
    NC_HTTP,
    NC_NIDS,
    NC_NETFLOW,
    NC_PROCESS,
    NC_FILE_MODIFICATION,
    NC_API_CALL,
    NC_REGISTRY,
    NC_SCRIPTBLOCK,
    NC_MANAGEMENT,
    NC_PERSISTENCE,
    NC_THREAD_INJECTION,
    NC_DETECTION_FINDING,
    NC_TECHNIQUE_FINDING,
    NC_GENERIC,
    NC__COUNT
};

/* Why a record became a dead letter (the "reason" field of the dead letter). */
enum norm_dead {
    ND_INVALID_JSON,  /* "invalid_json": body or record is not valid JSON */
    ND_NOT_RECORDS,   /* "not_records": body is JSON but not {"records":[...]} */
    ND_NO_TABLE,      /* "no_table": record without a usable "category" */
    ND_NO_TIME,       /* "no_time": neither properties.Timestamp nor envelope time */
    ND__COUNT
};

const char *norm_table_name(enum norm_table t);  /* "DeviceProcessEvents", ..., "other" */
/* "Antivirus", "Auth", ..., "Generic" (schemas.md §1) */
const char *norm_cat_name(enum norm_cat c);
const char *norm_dead_name(enum norm_dead d);    /* "invalid_json", ... */

/* Counters, summed by the control thread after the shards stop (or read racily
 * for progress: plain uint64 written by one thread). */
struct norm_stats {
    uint64_t messages;              /* bodies seen */
    uint64_t records;               /* records seen (events + dead letters) */
    uint64_t events;                /* OCSF events written */
    uint64_t bytes_in;              /* body bytes seen */
    uint64_t bytes_out;             /* NDJSON bytes written (events) */
    uint64_t by_table[NT__COUNT];   /* events per table */
    uint64_t by_cat[NC__COUNT];     /* events per category */
    uint64_t dead[ND__COUNT];       /* dead letters per reason */
};

struct norm_cfg {
    const char *ns;      /* event hub namespace FQDN, for metadata.uid ("" for file imports) */
    const char *hub;     /* event hub name */
    bool keep_original;  /* put the raw record in raw_data */
};

/* One message to normalize. body must be followed by at least JSON_PAD
 * readable bytes (batch.h guarantees it). */
struct norm_msg {
    const char *body;
    size_t len;
    uint32_t partition;
    int64_t seq;
    int64_t enq_ms;
    const char *origin;   /* file base name when the capture came from a file import */
    size_t origin_len;    /* 0: use Event Hub ids (eh|ns|hub|partition|seq|index) */
    uint32_t origin_line; /* 1-based line of record 0 (file ids: file|origin|line+index) */
};

struct norm;

/* NULL on no memory. @thread the owning shard (creates, uses, destroys) */
struct norm *norm_create(const struct norm_cfg *cfg);
void norm_destroy(struct norm *n);

/* Normalize every record of one message, appending one NDJSON line per record
 * to `events` or `dead`. Returns the number of records handled (>= 0; a body
 * that is not JSON counts as one dead letter), or -ENOMEM (buffers may hold a
 * partial line: the caller discards the batch's output and retries or fails).
 * @thread owner @hot */
int norm_message(struct norm *n, const struct norm_msg *m, struct buf *events, struct buf *dead,
                 struct norm_stats *st) MUST_CHECK;

#endif
