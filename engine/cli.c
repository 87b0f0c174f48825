/* cli.c - flags of `sluice run`.
 *
 * DESIGN
 * One static table (struct flag) describes every flag: long name, value
 * syntax, default (as text, parsed through the same validator as user input,
 * so a default can never be invalid), unit, help, and the validator that
 * stores into struct run_cfg. Parsing walks argv once; "--flag=value" and
 * "--flag value" are both accepted. Every rejection is one line on stderr:
 *   sluice: --shards: "x" is not a whole number from 1 to 1024
 * and exit status 2 (usage). Cross-flag checks run after all flags are in.
 */
#include "cli.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "log.h"

struct flag {
    const char *name;  /* without the leading "--" */
    const char *value; /* value syntax for help; NULL for a switch */
    const char *def;   /* default as text; NULL: no default */
    const char *help;
    /* Store v into cfg; on failure write the reason (after "flag: ") to why. */
    int (*set)(struct run_cfg *cfg, const char *v, char *why, size_t n);
};

static int parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (!s || !*s || *s == '-' || *s == '+')
        return -EINVAL;
    char *e;
    errno = 0;
    unsigned long long v = strtoull(s, &e, 10);
    if (errno || *e || v < lo || v > hi)
        return -EINVAL;
    *out = v;
    return 0;
}

int cli_parse_bytes(const char *s, uint64_t *out)
{
    if (!s || !*s || *s == '-' || *s == '+')
        return -EINVAL;
    char *e;
    errno = 0;
    unsigned long long v = strtoull(s, &e, 10);
    if (errno || e == s)
        return -EINVAL;
    unsigned shift = 0;
    if (*e) {
        char u = *e;
        if (u == 'k' || u == 'K')
            shift = 10;
        else if (u == 'm' || u == 'M')
            shift = 20;
        else if (u == 'g' || u == 'G')
            shift = 30;
        else if (u == 't' || u == 'T')
            shift = 40;
        else
            return -EINVAL;
        e++;
        if (strcmp(e, "") != 0 && strcmp(e, "i") != 0 && strcmp(e, "iB") != 0 &&
            strcmp(e, "B") != 0)
            return -EINVAL;
    }
    if (shift && v > (UINT64_MAX >> shift))
        return -ERANGE;
    *out = (uint64_t)v << shift;
    return 0;
}

static int set_source(struct run_cfg *c, const char *v, char *why, size_t n)
{
    if (strcmp(v, "eventhub") == 0) {
        c->source_kind = RUN_SRC_EVENTHUB;
        snprintf(c->source, sizeof(c->source), "%s", v);
        c->capture[0] = '\0';
        return 0;
    }
    if (strncmp(v, "replay:", 7) != 0 || !v[7]) {
        snprintf(why, n, "\"%s\" is not a source; use replay:CAPTURE or eventhub", v);
        return -EINVAL;
    }
    if (strlen(v) >= sizeof(c->source)) {
        snprintf(why, n, "path too long");
        return -EINVAL;
    }
    c->source_kind = RUN_SRC_REPLAY;
    snprintf(c->source, sizeof(c->source), "%s", v);
    snprintf(c->capture, sizeof(c->capture), "%s", v + 7);
    return 0;
}

static int set_conn_env(struct run_cfg *c, const char *v, char *why, size_t n)
{
    bool ok = *v && strlen(v) < sizeof(c->conn_env) && !(*v >= '0' && *v <= '9');
    for (const char *p = v; ok && *p; p++)
        ok = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
             *p == '_';
    if (!ok) {
        snprintf(why, n, "\"%.100s\" is not an environment variable name (letters, digits, _; "
                 "the connection string itself never goes on the command line)", v);
        return -EINVAL;
    }
    snprintf(c->conn_env, sizeof(c->conn_env), "%s", v);
    return 0;
}

static int set_namespace(struct run_cfg *c, const char *v, char *why, size_t n)
{
    bool ok = *v && strlen(v) < sizeof(c->namespace_host) && !strchr(v, '/') && !strchr(v, ';');
    if (!ok) {
        snprintf(why, n, "\"%.100s\" is not a host name like NAME.servicebus.windows.net", v);
        return -EINVAL;
    }
    snprintf(c->namespace_host, sizeof(c->namespace_host), "%s", v);
    return 0;
}

static int set_eventhub(struct run_cfg *c, const char *v, char *why, size_t n)
{
    if (!*v || strlen(v) >= sizeof(c->eventhub) || strchr(v, '/')) {
        snprintf(why, n, "\"%.100s\" is not an event hub name (1-255 characters, no /)", v);
        return -EINVAL;
    }
    snprintf(c->eventhub, sizeof(c->eventhub), "%s", v);
    return 0;
}

static int set_partitions(struct run_cfg *c, const char *v, char *why, size_t n)
{
    memset(c->partition_set, 0, sizeof(c->partition_set));
    if (strcmp(v, "all") == 0) {
        c->partitions_all = true;
        return 0;
    }
    c->partitions_all = false;
    const char *p = v;
    int count = 0;
    while (*p) {
        char *e;
        if (*p < '0' || *p > '9')
            goto bad;
        unsigned long lo = strtoul(p, &e, 10), hi = lo;
        if (*e == '-') {
            if (e[1] < '0' || e[1] > '9')
                goto bad;
            hi = strtoul(e + 1, &e, 10);
        }
        if (lo > hi || hi >= CFG_PART_MAX)
            goto bad;
        for (unsigned long i = lo; i <= hi; i++) {
            if (c->partition_set[i])
                goto bad;
            c->partition_set[i] = 1;
            count++;
        }
        if (*e == ',')
            e++;
        else if (*e)
            goto bad;
        p = e;
    }
    if (count)
        return 0;
bad:
    snprintf(why, n, "\"%.100s\" is not all or a list of partition ids and ranges like 0-3,8 "
             "(ids < %u, no duplicates)", v, CFG_PART_MAX);
    return -EINVAL;
}

static int set_start(struct run_cfg *c, const char *v, char *why, size_t n)
{
    if (strlen(v) >= sizeof(c->start_text)) {
        snprintf(why, n, "\"%.60s...\" is too long", v);
        return -EINVAL;
    }
    int rc = eh_start_parse(v, &c->start, why, n);
    if (rc)
        return rc;
    snprintf(c->start_text, sizeof(c->start_text), "%s", v);
    return 0;
}

static int set_owner_level(struct run_cfg *c, const char *v, char *why, size_t n)
{
    uint64_t x;
    if (strcmp(v, "none") == 0) {
        c->has_owner_level = false;
        return 0;
    }
    if (parse_u64(v, 0, INT64_MAX, &x)) {
        snprintf(why, n, "\"%s\" is not none or a whole number from 0", v);
        return -EINVAL;
    }
    c->has_owner_level = true;
    c->owner_level = (int64_t)x;
    return 0;
}

static int set_prefetch(struct run_cfg *c, const char *v, char *why, size_t n)
{
    uint64_t x;
    if (parse_u64(v, 1, 100000, &x)) {
        snprintf(why, n, "\"%s\" is not a whole number from 1 to 100000", v);
        return -EINVAL;
    }
    c->prefetch = (uint32_t)x;
    return 0;
}

static int set_spool_dir(struct run_cfg *c, const char *v, char *why, size_t n)
{
    if (!*v || strlen(v) >= sizeof(c->spool_dir) - 64) {
        snprintf(why, n, "\"%s\" is not a usable directory path", v);
        return -EINVAL;
    }
    snprintf(c->spool_dir, sizeof(c->spool_dir), "%s", v);
    return 0;
}

static int set_shards(struct run_cfg *c, const char *v, char *why, size_t n)
{
    uint64_t x;
    if (strcmp(v, "auto") == 0) {
        c->shards = 0;
        return 0;
    }
    if (parse_u64(v, 1, 1024, &x)) {
        snprintf(why, n, "\"%s\" is not a whole number from 1 to 1024 (or auto)", v);
        return -EINVAL;
    }
    c->shards = (uint32_t)x;
    return 0;
}

static int set_cpus(struct run_cfg *c, const char *v, char *why, size_t n)
{
    struct cpu_list allowed;
    if (strcmp(v, "all") == 0) {
        if (cpu_list_allowed(&c->cpus) != 0) {
            snprintf(why, n, "cannot read this process's CPU affinity");
            return -EINVAL;
        }
        return 0;
    }
    int rc = cpu_list_parse(v, &c->cpus);
    if (rc) {
        snprintf(why, n, "\"%s\" is not a CPU list like 0-3,8 (no duplicates, CPUs < %d)", v,
                 CPU_LIST_MAX);
        return rc;
    }
    if (cpu_list_allowed(&allowed) == 0) {
        rc = cpu_list_check(&c->cpus, &allowed);
        if (rc) {
            snprintf(why, n, "CPU %d is not available to this process (allowed: see taskset -p %d)",
                     -rc - 1, 0);
            return -EINVAL;
        }
    }
    return 0;
}

static int set_switch(bool *dst, const char *v, char *why, size_t n)
{
    if (!v || strcmp(v, "true") == 0 || strcmp(v, "1") == 0 || strcmp(v, "yes") == 0) {
        *dst = true;
        return 0;
    }
    if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0 || strcmp(v, "no") == 0) {
        *dst = false;
        return 0;
    }
    snprintf(why, n, "\"%s\" is not true or false", v);
    return -EINVAL;
}

static int set_until(struct run_cfg *c, const char *v, char *why, size_t n)
{
    return set_switch(&c->until_caught_up, v, why, n);
}

static int set_keep(struct run_cfg *c, const char *v, char *why, size_t n)
{
    return set_switch(&c->keep_original, v, why, n);
}

static int set_fsync(struct run_cfg *c, const char *v, char *why, size_t n)
{
    uint64_t ms;
    if (strcmp(v, "batch") == 0) {
        c->fsync = SPOOL_FSYNC_BATCH;
    } else if (strcmp(v, "none") == 0) {
        c->fsync = SPOOL_FSYNC_NONE;
    } else if (strncmp(v, "interval:", 9) == 0 && parse_u64(v + 9, 1, 3600000, &ms) == 0) {
        c->fsync = SPOOL_FSYNC_INTERVAL;
        c->fsync_interval_ms = (int64_t)ms;
    } else {
        snprintf(why, n, "\"%s\" is not batch, interval:MS (1..3600000) or none", v);
        return -EINVAL;
    }
    return 0;
}

static int set_ms(int64_t *dst, const char *v, uint64_t lo, uint64_t hi, char *why, size_t n)
{
    uint64_t x;
    if (parse_u64(v, lo, hi, &x)) {
        snprintf(why, n, "\"%s\" is not a number of milliseconds from %llu to %llu", v,
                 (unsigned long long)lo, (unsigned long long)hi);
        return -EINVAL;
    }
    *dst = (int64_t)x;
    return 0;
}

static int set_ckpt_ms(struct run_cfg *c, const char *v, char *why, size_t n)
{
    return set_ms(&c->checkpoint_ms, v, 10, 3600000, why, n);
}

static int set_segment_ms(struct run_cfg *c, const char *v, char *why, size_t n)
{
    return set_ms(&c->segment_ms, v, 0, 86400000, why, n);
}

static int set_progress_ms(struct run_cfg *c, const char *v, char *why, size_t n)
{
    return set_ms(&c->progress_ms, v, 0, 86400000, why, n);
}

static int set_batch_bytes(struct run_cfg *c, const char *v, char *why, size_t n)
{
    uint64_t x;
    if (cli_parse_bytes(v, &x) || x < 65536 || x > (256u << 20) || (x & (x - 1))) {
        snprintf(why, n, "\"%s\" is not a power of two from 64K to 256M (e.g. 1M)", v);
        return -EINVAL;
    }
    c->batch_bytes = (uint32_t)x;
    return 0;
}

static int set_rx_batches(struct run_cfg *c, const char *v, char *why, size_t n)
{
    uint64_t x;
    if (parse_u64(v, 2, 4096, &x)) {
        snprintf(why, n, "\"%s\" is not a whole number from 2 to 4096", v);
        return -EINVAL;
    }
    c->rx_batches = (uint32_t)x;
    return 0;
}

static int set_memory_budget(struct run_cfg *c, const char *v, char *why, size_t n)
{
    uint64_t x = 0;
    if (strcmp(v, "none") == 0) {
        x = 0;
    } else if (strcmp(v, "auto") == 0) {
        x = budget_memory() / 2;
    } else if (cli_parse_bytes(v, &x) || x < (64ull << 20)) {
        snprintf(why, n, "\"%s\" is not auto, none or a size of at least 64M (e.g. 2G)", v);
        return -EINVAL;
    }
    c->memory_budget = x;
    snprintf(c->memory_budget_text, sizeof(c->memory_budget_text), "%.31s", v);
    return 0;
}

static int set_inflight(struct run_cfg *c, const char *v, char *why, size_t n)
{
    uint64_t x;
    if (cli_parse_bytes(v, &x) || (x && (x < (1u << 20) || x > (1ull << 40)))) {
        snprintf(why, n, "\"%s\" is not 0 or a size from 1M to 1T (e.g. 64M)", v);
        return -EINVAL;
    }
    c->inflight_bytes = x;
    return 0;
}

static int set_segment_bytes(struct run_cfg *c, const char *v, char *why, size_t n)
{
    uint64_t x;
    if (cli_parse_bytes(v, &x) || x < (1u << 20) || x > (64ull << 30)) {
        snprintf(why, n, "\"%s\" is not a size from 1M to 64G (e.g. 256M)", v);
        return -EINVAL;
    }
    c->segment_bytes = x;
    return 0;
}

static int set_queue_depth(struct run_cfg *c, const char *v, char *why, size_t n)
{
    uint64_t x;
    if (parse_u64(v, 4, 4096, &x) || (x & (x - 1))) {
        snprintf(why, n, "\"%s\" is not a power of two from 4 to 4096", v);
        return -EINVAL;
    }
    c->queue_depth = (uint32_t)x;
    return 0;
}

static int set_cg(struct run_cfg *c, const char *v, char *why, size_t n)
{
    if (!*v || strlen(v) >= sizeof(c->consumer_group)) {
        snprintf(why, n, "\"%s\" is not a consumer group name (1-255 characters)", v);
        return -EINVAL;
    }
    snprintf(c->consumer_group, sizeof(c->consumer_group), "%s", v);
    return 0;
}

static int set_log_level(struct run_cfg *c, const char *v, char *why, size_t n)
{
    int l = log_level_parse(v);
    if (l < 0) {
        snprintf(why, n, "\"%s\" is not error, warn, info or debug", v);
        return -EINVAL;
    }
    c->log_level = l;
    return 0;
}

static int set_stats_json(struct run_cfg *c, const char *v, char *why, size_t n)
{
    if (!*v || strlen(v) >= sizeof(c->stats_json)) {
        snprintf(why, n, "\"%s\" is not a usable file path", v);
        return -EINVAL;
    }
    snprintf(c->stats_json, sizeof(c->stats_json), "%s", v);
    return 0;
}

/* A duration with its unit: "500ms", "30s", "5m", "1h". */
static int parse_duration_ms(const char *s, int64_t *out)
{
    if (!s || !*s || *s == '-' || *s == '+')
        return -EINVAL;
    char *e;
    errno = 0;
    unsigned long long v = strtoull(s, &e, 10);
    if (errno || e == s)
        return -EINVAL;
    unsigned long long mul;
    if (strcmp(e, "ms") == 0)
        mul = 1;
    else if (strcmp(e, "s") == 0)
        mul = 1000;
    else if (strcmp(e, "m") == 0)
        mul = 60000;
    else if (strcmp(e, "h") == 0)
        mul = 3600000;
    else
        return -EINVAL;
    if (v > (unsigned long long)INT64_MAX / mul)
        return -ERANGE;
    *out = (int64_t)(v * mul);
    return 0;
}

static int set_duration(int64_t *dst, const char *v, int64_t lo_ms, const char *lo,
                        const char *hi, char *why, size_t n)
{
    int64_t ms;
    if (parse_duration_ms(v, &ms) || ms < lo_ms || ms > 3600000) {
        snprintf(why, n, "\"%s\" is not a duration from %s to %s with its unit (ms, s, m or h; "
                 "e.g. 30s)", v, lo, hi);
        return -EINVAL;
    }
    *dst = ms;
    return 0;
}

static int set_sink(struct run_cfg *c, const char *v, char *why, size_t n)
{
    if (c->nsinks >= SINK_MAX) {
        snprintf(why, n, "at most %d sinks", SINK_MAX);
        return -EINVAL;
    }
    struct sink_spec *sp = &c->sinks[c->nsinks];
    int rc = sink_spec_parse(v, sp, why, n);
    if (rc)
        return rc;
    for (uint32_t i = 0; i < c->nsinks; i++)
        if (strcmp(c->sinks[i].id, sp->id) == 0) {
            snprintf(why, n, "\"%.200s\" is given twice", sp->shown);
            return -EINVAL;
        }
    c->nsinks++;
    return 0;
}

static int set_sink_batch_bytes(struct run_cfg *c, const char *v, char *why, size_t n)
{
    uint64_t x;
    if (cli_parse_bytes(v, &x) || x < 1024 || x > (1ull << 30)) {
        snprintf(why, n, "\"%s\" is not a size from 1K to 1G (e.g. 4M)", v);
        return -EINVAL;
    }
    c->sink_batch_bytes = x;
    return 0;
}

static int set_sink_batch_events(struct run_cfg *c, const char *v, char *why, size_t n)
{
    uint64_t x;
    if (parse_u64(v, 1, 10000000, &x)) {
        snprintf(why, n, "\"%s\" is not a whole number from 1 to 10000000", v);
        return -EINVAL;
    }
    c->sink_batch_events = (uint32_t)x;
    return 0;
}

static int set_sink_gzip(struct run_cfg *c, const char *v, char *why, size_t n)
{
    return set_switch(&c->sink_gzip, v, why, n);
}

static int set_sink_timeout(struct run_cfg *c, const char *v, char *why, size_t n)
{
    return set_duration(&c->sink_timeout_ms, v, 100, "100ms", "1h", why, n);
}

static int set_sas_token_ttl(struct run_cfg *c, const char *v, char *why, size_t n)
{
    return set_duration(&c->sas_token_ttl_ms, v, 2000, "2s", "1h", why, n);
}

static int set_sink_backoff_max(struct run_cfg *c, const char *v, char *why, size_t n)
{
    return set_duration(&c->sink_backoff_max_ms, v, 100, "100ms", "1h", why, n);
}

static int set_sink_drain(struct run_cfg *c, const char *v, char *why, size_t n)
{
    return set_duration(&c->sink_drain_ms, v, 0, "0s", "1h", why, n);
}

static int set_sink_max_attempts(struct run_cfg *c, const char *v, char *why, size_t n)
{
    uint64_t x;
    if (parse_u64(v, 0, 1000000, &x)) {
        snprintf(why, n, "\"%s\" is not a whole number from 0 to 1000000", v);
        return -EINVAL;
    }
    c->sink_max_attempts = (uint32_t)x;
    return 0;
}

static int set_retain_bytes(struct run_cfg *c, const char *v, char *why, size_t n)
{
    uint64_t x;
    if (cli_parse_bytes(v, &x) || (x && x < (1u << 20))) {
        snprintf(why, n, "\"%s\" is not 0 or a size of at least 1M (e.g. 50G)", v);
        return -EINVAL;
    }
    c->retain_bytes = x;
    return 0;
}

static int set_retain_hours(struct run_cfg *c, const char *v, char *why, size_t n)
{
    uint64_t x;
    if (parse_u64(v, 0, 876000, &x)) {
        snprintf(why, n, "\"%s\" is not a whole number of hours from 0 to 876000", v);
        return -EINVAL;
    }
    c->retain_hours = (int64_t)x;
    return 0;
}

static const struct flag run_flags[] = {
    {"source", "replay:CAPTURE|eventhub", NULL,
     "Where events come from. replay:CAPTURE reads a capture file made by sluice-replay "
     "(synth, import). eventhub receives from Azure Event Hubs over AMQP 1.0 (TLS on 5671), "
     "one connection per partition; see --connection-string-env or --namespace. Required.",
     set_source},
    {"connection-string-env", "VAR", "SLUICE_CONNECTION_STRING", "eventhub: the environment "
     "variable holding the Event Hubs connection string (Endpoint=sb://...;"
     "SharedAccessKeyName=...;SharedAccessKey=...;EntityPath=HUB, or SharedAccessSignature=...; "
     "UseDevelopmentEmulator=true allows plain AMQP to a loopback emulator). The secret is "
     "read only from the environment, never from the command line.", set_conn_env},
    {"namespace", "HOST", NULL, "eventhub without a connection string: the namespace "
     "(NAME.servicebus.windows.net), authenticated with a Microsoft Entra ID token from "
     "AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_FEDERATED_TOKEN_FILE, "
     "AZURE_CLIENT_CERTIFICATE_PATH or AZURE_CLIENT_SECRET. Needs --eventhub.", set_namespace},
    {"eventhub", "NAME", NULL, "eventhub: the event hub; default: the connection string's "
     "EntityPath.", set_eventhub},
    {"partitions", "all|LIST", "all", "eventhub: partitions to receive, e.g. 0-3,8 (ids as "
     "$management lists them); all: every partition of the hub.", set_partitions},
    {"start", "earliest|latest|seq:N|offset:S|time:T", "earliest", "eventhub: where a "
     "partition without a checkpoint starts: the first retained event, only new events, after "
     "sequence number N, after offset S, or after enqueued time T (ISO 8601 UTC like "
     "2026-11-30T00:00:00Z, or ms since 1970). With a checkpoint, reading resumes after its "
     "sequence number.", set_start},
    {"owner-level", "N|none", "none", "eventhub: owner level (epoch) of the receivers; a "
     "receiver with a higher or equal level takes the partition over (the SDK processors "
     "use 0).", set_owner_level},
    {"prefetch", "N", "300", "eventhub: most events requested ahead per partition; credit is "
     "also bounded by free --rx-batches, so a slow pipeline slows the hub (1..100000).",
     set_prefetch},
    {"sas-token-ttl", "DURATION", "1h", "eventhub: lifetime of the SAS tokens sluice signs from "
     "the connection string's SharedAccessKey; each connection puts a new one on $cbs at 3/4 "
     "of it (at most 5 min before expiry), so links never lapse (2s..1h).", set_sas_token_ttl},
    {"spool-dir", "DIR", NULL,
     "Spool directory: segments (DIR/<shard>/*.seg), dead letters and checkpoint files. "
     "Created 0700 if missing. Required.", set_spool_dir},
    {"shards", "N|auto", "auto", "Shard threads that parse, normalize and write (auto: one per "
     "CPU of --cpus). Partition p is served by shard p mod N.", set_shards},
    {"cpus", "LIST|all", "all", "CPUs to pin to, e.g. 0-3,8. rx threads are pinned round-robin "
     "over the list, shard i to CPU i mod len.", set_cpus},
    {"until-caught-up", NULL, "false", "Exit 0 once every partition is drained, durable and "
     "checkpointed (for replays and load tests; eventhub: up to the last sequence number "
     "$management reported at start). Without it, sluice runs until SIGINT/SIGTERM.",
     set_until},
    {"fsync", "batch|interval:MS|none", "batch", "When spool writes are fdatasync'ed: after each "
     "group of writes the shard submits together (batch), at most once every MS ms (interval), "
     "or never (none). With batch and interval a checkpoint only covers synced data; with none "
     "it covers data handed to the kernel, so a power loss can lose checkpointed events.",
     set_fsync},
    {"checkpoint-ms", "MS", "1000", "How often checkpoints are persisted (10..3600000 ms).",
     set_ckpt_ms},
    {"batch-bytes", "BYTES", "1M", "Size of one batch, the unit moved between threads; must hold "
     "the largest message (Event Hubs: 1 MB). Power of two, 64K..256M.", set_batch_bytes},
    {"rx-batches", "N", "8", "Batches per partition: the most a partition can have in flight "
     "between rx and shard. Memory: partitions x N x --batch-bytes.", set_rx_batches},
    {"memory-budget", "BYTES|auto|none", "auto", "Most memory sluice plans to use: at start "
     "the pools are sized to fit (--rx-batches is lowered, not below 2, unless given; start-up "
     "fails with the figures when even that is too much), and a warning is logged while the "
     "resident set is above it. The summary shows the peak. auto: half of the physical memory "
     "or of the cgroup's limit, whichever is lower.",
     set_memory_budget},
    {"inflight-bytes", "BYTES", "64M", "Per partition, the most bytes read beyond the last "
     "persisted checkpoint; reading waits (and a checkpoint is persisted at once) when a "
     "partition reaches it. After a crash sluice resumes at the checkpoint, so this bounds the "
     "events written twice: at most this much, plus one batch, per partition (0: no bound).",
     set_inflight},
    {"segment-bytes", "BYTES", "256M", "Seal a spool segment at this size (1M..64G).",
     set_segment_bytes},
    {"segment-ms", "MS", "300000", "Seal a spool segment once it is this old (0: only by size).",
     set_segment_ms},
    {"queue-depth", "N", "256", "io_uring entries per shard: spool writes in flight (power of "
     "two, 4..4096).", set_queue_depth},
    {"consumer-group", "NAME", "$Default", "Consumer group; names the checkpoint file.", set_cg},
    {"keep-original", NULL, "false", "Keep each raw Defender record in the event's raw_data.",
     set_keep},
    {"log-level", "LEVEL", "info", "error, warn, info or debug (logfmt on stderr).",
     set_log_level},
    {"stats-json", "FILE", NULL, "Also write the end-of-run summary as JSON to FILE.",
     set_stats_json},
    {"progress-ms", "MS", "10000", "Log a progress line this often (0: never).", set_progress_ms},
    {"sink", "stdout|dir:PATH|http:URL", NULL, "Forward sealed segments, per shard in order, "
     "at least once; give it up to 8 times (each sink gets everything). stdout: the events as "
     "NDJSON (the run summary then goes to stderr). dir:PATH: each segment copied to "
     "PATH/<shard>/<segno>.seg (temp name, fsync, rename), still LZ4-framed. http:URL (or a "
     "bare http:// or https:// URL): POSTs of NDJSON (Content-Type application/x-ndjson, "
     "header X-Sluice-Batch: shard= segno= line= lines=); only a 2xx counts; TLS is always "
     "verified; an Authorization header comes from $SLUICE_SINK_AUTHORIZATION if set; "
     "user:pass@ in the URL is never logged. DIR/<shard>/delivered.<sink-id> (the kind and a "
     "hash of the value) records what a sink has, so a restart resends at most the batch in "
     "flight. Dead letters are copied to "
     "DIR/dead-letters/<shard>-<segno>.ndjson before a segment is deleted. Without --sink "
     "nothing is deleted.", set_sink},
    {"sink-batch-bytes", "BYTES", "4M", "http and stdout: most NDJSON bytes per batch, before "
     "gzip; a longer event goes alone (1K..1G).", set_sink_batch_bytes},
    {"sink-batch-events", "N", "10000", "http and stdout: most events per batch "
     "(1..10000000).", set_sink_batch_events},
    {"sink-gzip", NULL, "false", "http: gzip each batch (Content-Encoding: gzip).",
     set_sink_gzip},
    {"sink-timeout", "DURATION", "30s", "http: limit for one request, connecting included; "
     "one that takes longer fails and is retried (100ms..1h; DURATION is a number with ms, s, "
     "m or h).", set_sink_timeout},
    {"sink-backoff-max", "DURATION", "30s", "Longest wait before retrying a failed delivery: "
     "retry n waits a random time from 0 to min(this, 100ms x 2^(n-1)) (full jitter; "
     "100ms..1h).", set_sink_backoff_max},
    {"sink-max-attempts", "N", "10", "Failures in a row after which a sink gives up on a "
     "segment: it is hard-linked to DIR/failed/<shard>-<segno>.seg with a .error file (sink, "
     "time, attempts, last error), never deleted from there, and the sink moves on. A damaged "
     "segment is given up at once. 0: retry forever.", set_sink_max_attempts},
    {"sink-drain-timeout", "DURATION", "30s", "With --until-caught-up: how long the sinks may "
     "go on delivering once the spool is complete before sluice exits (0s..1h); what is left "
     "goes out with the next run. On SIGINT/SIGTERM sinks stop after their current batch.",
     set_sink_drain},
    {"retain-bytes", "BYTES", "0", "Keep delivered segments while the spool stays under this "
     "size; above it, the oldest delivered ones are deleted first (0: no size rule). A "
     "segment is delivered once every --sink has it (or gave up on it into DIR/failed/); "
     "undelivered segments are never deleted, whatever the size.", set_retain_bytes},
    {"retain-hours", "H", "0", "Delete delivered segments older than H hours (0: no age rule). "
     "With neither --retain-bytes nor --retain-hours a segment is deleted as soon as every "
     "sink has it. The newest sealed segment of a shard is emptied rather than removed: its "
     "name keeps the spool's numbering going.", set_retain_hours},
};

static const struct flag *find_flag(const char *name, size_t len)
{
    for (size_t i = 0; i < ARRAY_SIZE(run_flags); i++)
        if (strlen(run_flags[i].name) == len && strncmp(run_flags[i].name, name, len) == 0)
            return &run_flags[i];
    return NULL;
}

/* Print text wrapped at 90 columns, each line indented by 6 spaces. */
static void print_wrapped(FILE *out, const char *text)
{
    const int width = 90, indent = 6;
    int col = 0;
    const char *p = text;
    while (*p) {
        while (*p == ' ')
            p++;
        const char *w = p;
        while (*p && *p != ' ')
            p++;
        int len = (int)(p - w);
        if (len == 0)
            break;
        if (col == 0) {
            col = fprintf(out, "%*s%.*s", indent, "", len, w);
        } else if (col + 1 + len > width) {
            col = fprintf(out, "\n%*s%.*s", indent, "", len, w) - 1;
        } else {
            col += fprintf(out, " %.*s", len, w);
        }
    }
    fputc('\n', out);
}

void cli_print_run_help(FILE *out)
{
    fprintf(out,
            "usage: sluice run --source replay:CAPTURE|eventhub --spool-dir DIR [flags]\n\n"
            "Reads every partition of the source with one pinned rx thread each, normalizes every\n"
            "Defender record to OCSF in --shards pinned shard threads, writes LZ4-framed spool\n"
            "segments through io_uring, and checkpoints per partition only what is durable.\n"
            "A second run on the same --spool-dir resumes after the checkpoint.\n\nflags:\n");
    for (size_t i = 0; i < ARRAY_SIZE(run_flags); i++) {
        const struct flag *f = &run_flags[i];
        fprintf(out, "  --%s%s%s\n", f->name, f->value ? " " : "", f->value ? f->value : "");
        char text[1024];
        snprintf(text, sizeof(text), "%s%s%s%s", f->help, f->def ? " Default: " : "",
                 f->def ? f->def : "", f->def ? "." : "");
        print_wrapped(out, text);
    }
    fprintf(out, "  --print-config\n      Print the resolved configuration and exit.\n"
                 "  --help\n      This text.\n");
}

static const char *fsync_text(const struct run_cfg *c, char *tmp, size_t n)
{
    if (c->fsync == SPOOL_FSYNC_BATCH)
        return "batch";
    if (c->fsync == SPOOL_FSYNC_NONE)
        return "none";
    snprintf(tmp, n, "interval:%lld", (long long)c->fsync_interval_ms);
    return tmp;
}

void cli_print_config(const struct run_cfg *c, FILE *out)
{
    char tmp[64], cpus[256];
    size_t o = 0;
    cpus[0] = '\0';
    for (uint32_t i = 0; i < c->cpus.n && o + 8 < sizeof(cpus); i++)
        o += (size_t)snprintf(cpus + o, sizeof(cpus) - o, "%s%u", i ? "," : "", c->cpus.cpu[i]);
    fprintf(out, "source = %s\nspool-dir = %s\nshards = %u%s\ncpus = %s\nuntil-caught-up = %s\n",
            c->source, c->spool_dir, c->shards ? c->shards : c->cpus.n,
            c->shards ? "" : " (auto)", cpus, c->until_caught_up ? "true" : "false");
    fprintf(out, "fsync = %s\ncheckpoint-ms = %lld\nbatch-bytes = %u\nrx-batches = %u\n"
                 "inflight-bytes = %llu\n",
            fsync_text(c, tmp, sizeof(tmp)), (long long)c->checkpoint_ms, c->batch_bytes,
            c->rx_batches, (unsigned long long)c->inflight_bytes);
    fprintf(out, "memory-budget = %llu (%s)\n", (unsigned long long)c->memory_budget,
            c->memory_budget_text);
    fprintf(out, "segment-bytes = %llu\nsegment-ms = %lld\nqueue-depth = %u\n",
            (unsigned long long)c->segment_bytes, (long long)c->segment_ms, c->queue_depth);
    fprintf(out, "consumer-group = %s\nkeep-original = %s\nlog-level = %d\nstats-json = %s\n"
                 "progress-ms = %lld\n",
            c->consumer_group, c->keep_original ? "true" : "false", c->log_level,
            c->stats_json[0] ? c->stats_json : "(none)", (long long)c->progress_ms);
    if (c->source_kind == RUN_SRC_EVENTHUB) {
        fprintf(out, "connection-string-env = %s\nnamespace = %s\neventhub = %s\n", c->conn_env,
                c->namespace_host[0] ? c->namespace_host : "(from the connection string)",
                c->eventhub[0] ? c->eventhub : "(from the connection string)");
        fprintf(out, "partitions = ");
        if (c->partitions_all) {
            fprintf(out, "all");
        } else {
            const char *sep = "";
            for (uint32_t i = 0; i < CFG_PART_MAX; i++)
                if (c->partition_set[i]) {
                    fprintf(out, "%s%u", sep, i);
                    sep = ",";
                }
        }
        fprintf(out, "\nstart = %s\n", c->start_text);
        if (c->has_owner_level)
            fprintf(out, "owner-level = %lld\n", (long long)c->owner_level);
        else
            fprintf(out, "owner-level = none\n");
        fprintf(out, "prefetch = %u\nsas-token-ttl = %llds\n", c->prefetch,
                (long long)(c->sas_token_ttl_ms / 1000));
    }
    for (uint32_t i = 0; i < c->nsinks; i++)
        fprintf(out, "sink = %s (id %s)\n", c->sinks[i].shown, c->sinks[i].id);
    if (!c->nsinks)
        fprintf(out, "sink = (none)\n");
    fprintf(out, "sink-batch-bytes = %llu\nsink-batch-events = %u\nsink-gzip = %s\n"
                 "sink-timeout = %lldms\nsink-backoff-max = %lldms\nsink-max-attempts = %u\n"
                 "sink-drain-timeout = %lldms\nretain-bytes = %llu\nretain-hours = %lld\n",
            (unsigned long long)c->sink_batch_bytes, c->sink_batch_events,
            c->sink_gzip ? "true" : "false", (long long)c->sink_timeout_ms,
            (long long)c->sink_backoff_max_ms, c->sink_max_attempts, (long long)c->sink_drain_ms,
            (unsigned long long)c->retain_bytes, (long long)c->retain_hours);
}

int cli_parse_run(int argc, char **argv, struct run_cfg *cfg, FILE *out, FILE *err)
{
    char why[PATH_MAX + 256];
    memset(cfg, 0, sizeof(*cfg));
    for (size_t i = 0; i < ARRAY_SIZE(run_flags); i++) {
        const struct flag *f = &run_flags[i];
        if (f->def && f->set(cfg, f->def, why, sizeof(why)) != 0) {
            fprintf(err, "sluice: internal error: default of --%s: %s\n", f->name, why);
            return 2;
        }
    }
    bool print_config = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            cli_print_run_help(out);
            return 1;
        }
        if (strcmp(a, "--print-config") == 0) {
            print_config = true;
            continue;
        }
        if (strncmp(a, "--", 2) != 0) {
            fprintf(err, "sluice: run: unexpected argument \"%s\" (flags start with --; see "
                         "sluice run --help)\n", a);
            return 2;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        const struct flag *f = find_flag(name, nlen);
        if (!f) {
            fprintf(err, "sluice: run: unknown flag --%.*s (see sluice run --help)\n", (int)nlen,
                    name);
            return 2;
        }
        const char *v = NULL;
        if (eq) {
            v = eq + 1;
        } else if (f->value) {
            if (i + 1 >= argc) {
                fprintf(err, "sluice: --%s: missing value (%s)\n", f->name, f->value);
                return 2;
            }
            v = argv[++i];
        }
        if (f->set(cfg, v, why, sizeof(why)) != 0) {
            fprintf(err, "sluice: --%s: %s\n", f->name, why);
            return 2;
        }
        if (f->set == set_rx_batches)
            cfg->rx_batches_given = true;
    }
    if (!cfg->source[0]) {
        fprintf(err, "sluice: --source: missing; give replay:CAPTURE (make one with "
                     "sluice-replay synth) or eventhub\n");
        return 2;
    }
    if (cfg->source_kind == RUN_SRC_EVENTHUB && cfg->namespace_host[0] && !cfg->eventhub[0]) {
        fprintf(err, "sluice: --namespace: needs --eventhub NAME too\n");
        return 2;
    }
    if (!cfg->spool_dir[0]) {
        fprintf(err, "sluice: --spool-dir: missing; give the directory to spool into\n");
        return 2;
    }
    if (cfg->segment_bytes < 4ull * cfg->batch_bytes) {
        fprintf(err, "sluice: --segment-bytes: %llu is smaller than 4 x --batch-bytes (%u); "
                     "raise it or lower --batch-bytes\n",
                (unsigned long long)cfg->segment_bytes, cfg->batch_bytes);
        return 2;
    }
    if (print_config) {
        cli_print_config(cfg, out);
        return 1;
    }
    return 0;
}

int cli_parse_eventhub(const char *prog, int argc, char **argv, const char *const *allowed,
                       struct run_cfg *cfg, FILE *err)
{
    char why[PATH_MAX + 256];
    memset(cfg, 0, sizeof(*cfg));
    for (size_t i = 0; i < ARRAY_SIZE(run_flags); i++) {
        const struct flag *f = &run_flags[i];
        if (f->def && f->set(cfg, f->def, why, sizeof(why)) != 0) {
            fprintf(err, "%s: internal error: default of --%s: %s\n", prog, f->name, why);
            return 2;
        }
    }
    if (set_source(cfg, "eventhub", why, sizeof(why)) != 0) {
        fprintf(err, "%s: internal error: %s\n", prog, why);
        return 2;
    }
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
            return 1;
        if (strncmp(a, "--", 2) != 0) {
            fprintf(err, "%s: unexpected argument \"%s\" (flags start with --; see %s --help)\n",
                    prog, a, prog);
            return 2;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        bool ok = false;
        for (const char *const *al = allowed; *al && !ok; al++)
            ok = strlen(*al) == nlen && strncmp(*al, name, nlen) == 0;
        const struct flag *f = ok ? find_flag(name, nlen) : NULL;
        if (!f) {
            fprintf(err, "%s: unknown flag --%.*s (see %s --help)\n", prog, (int)nlen, name, prog);
            return 2;
        }
        const char *v = NULL;
        if (eq) {
            v = eq + 1;
        } else if (f->value) {
            if (i + 1 >= argc) {
                fprintf(err, "%s: --%s: missing value (%s)\n", prog, f->name, f->value);
                return 2;
            }
            v = argv[++i];
        }
        if (f->set(cfg, v, why, sizeof(why)) != 0) {
            fprintf(err, "%s: --%s: %s\n", prog, f->name, why);
            return 2;
        }
    }
    if (cfg->namespace_host[0] && !cfg->eventhub[0]) {
        fprintf(err, "%s: --namespace: needs --eventhub NAME too\n", prog);
        return 2;
    }
    return 0;
}
