/* run.c - `sluice run`: start, steer and stop the pipeline (DESIGN.md §2, §6).
 *
 * DESIGN
 * The control thread (this one) validates everything that can be validated
 * before a worker starts (flags, capture, spool directory, checkpoint file),
 * then starts the shards and one rx thread per partition, and from then on
 * only: persists checkpoints every --checkpoint-ms (reading the trackers'
 * published watermarks), logs progress, and watches for the end.
 *
 * Shutdown order (STYLE.md §7.9), on SIGINT/SIGTERM, or with --until-caught-up
 * once every rx thread has pushed its partition's last message:
 *   1. rx.stop (signal only): rx threads stop reading, push what they hold,
 *      set finished;
 *   2. when every rx is finished: shard.stop (release) -> shards drain their
 *      rings, spool_close() makes every write durable, trackers advance;
 *   3. join shards, then rx threads (each exits once its batches are home);
 *   4. final checkpoint;
 *   5. forwarders (--sink, started with the workers, fwd.h): every segment is
 *      sealed now; caught up, they may deliver for up to --sink-drain-timeout,
 *      else (or on a signal meanwhile) they stop after their current batch;
 *   6. summary.
 * A second signal exits at once (_exit): what is on disk and in the last
 * checkpoint file is consistent, because the checkpoint never runs ahead of
 * durable data.
 * The spool directory is locked (flock on DIR/.lock) so two collectors never
 * write the same spool.
 */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include "budget.h"
#include "capture.h"
#include "cfg.h"
#include "ckpt_store.h"
#include "eh_auth.h"
#include "eh_rx.h"
#include "cli.h"
#include "clock.h"
#include "err.h"
#include "fwd.h"
#include "log.h"
#include "mem.h"
#include "norm.h"
#include "recov.h"
#include "rx.h"
#include "shard.h"
#include "text.h"
#include "tracker.h"

static volatile sig_atomic_t g_signals;

static void on_signal(int sig)
{
    (void)sig;
    if (g_signals++ > 0)
        _exit(130); /* second signal: leave now; disk state is consistent */
}

static int mkdir_p(const char *path, mode_t mode)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof(tmp), "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, mode) != 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(tmp, mode) != 0 && errno != EEXIST)
        return -errno;
    struct stat st;
    if (stat(tmp, &st) != 0)
        return -errno;
    return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

/* Create/lock DIR/.lock; also proves the directory is writable. fd or -errno. */
static int lock_spool(const char *dir)
{
    char p[PATH_MAX];
    snprintf(p, sizeof(p), "%s/.lock", dir);
    int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno == EWOULDBLOCK ? -EBUSY : -errno;
        close(fd);
        return e;
    }
    return fd;
}

struct run {
    struct run_cfg cfg;
    struct capture cap;
    char ckpt_path[PATH_MAX];
    struct ckpt_file ckpt;      /* what was loaded; updated and saved by control */
    struct spool_recover_stats recovered; /* what start-up recovery repaired */
    int64_t *saved_seq;         /* last persisted seq per partition */
    struct tracker *trk;        /* [partitions], written by their shards */
    struct ring **rings;        /* [partitions] */
    struct rx *rx;              /* [partitions] */
    struct shard *shards;       /* [nshards] */
    struct shard_part *parts;   /* [partitions], grouped by shard */
    uint32_t nshards;
    uint32_t nparts;
    uint32_t rx_live;           /* rx threads started and not yet joined: persist() wakes them */
    struct rx_eh_src *eh;       /* --source eventhub: shared by the rx threads; NULL for replay */
    char (*eh_ids)[32];         /* [partitions] eventhub partition id, "" when not received */
    struct fwd *fwd;            /* forwarders (--sink); NULL without */
    uint64_t mem_planned;       /* budget_estimate() of the final plan */
    uint64_t mem_over;          /* seconds the RSS was seen above --memory-budget */
};

static uint32_t pow2_at_least(uint32_t n)
{
    uint32_t p = 2;
    while (p < n)
        p <<= 1;
    return p;
}

/* Persist watermarks that moved. 0 or -errno. */
static int persist(struct run *R, bool force)
{
    bool changed = force;
    for (uint32_t p = 0; p < R->nparts; p++) {
        int64_t seq, upd;
        char off[TRACKER_OFF_MAX + 1];
        tracker_read(&R->trk[p], &seq, off, &upd);
        if (seq != R->saved_seq[p]) {
            struct ckpt_part *cp = &R->ckpt.part[p];
            cp->seq = seq;
            snprintf(cp->off, sizeof(cp->off), "%s", off);
            cp->updated_ms = upd;
            changed = true;
        }
    }
    if (!changed)
        return 0;
    int rc = ckpt_save(R->ckpt_path, &R->ckpt);
    if (rc) {
        LOG_RATELIMITED(10000, LOG_ERR, "ckpt: save failed: %s path=\"%s\"", err_str(rc),
                        R->ckpt_path);
        return rc;
    }
    for (uint32_t p = 0; p < R->nparts; p++) {
        R->saved_seq[p] = R->ckpt.part[p].seq;
        /* release pairs with the acquire load in rx's wait_persisted() */
        if (p < R->rx_live && atomic_load_explicit(&R->rx[p].persisted,
                                                   memory_order_relaxed) != R->saved_seq[p]) {
            atomic_store_explicit(&R->rx[p].persisted, R->saved_seq[p], memory_order_release);
            park_wake(&R->rx[p].park);
        }
    }
    return 0;
}

/* An rx thread waits for a checkpoint (--inflight-bytes): persist now. */
static bool persist_wanted(struct run *R, uint32_t started)
{
    bool want = false;
    for (uint32_t p = 0; p < started; p++)
        if (atomic_exchange_explicit(&R->rx[p].want_persist, 0, memory_order_relaxed))
            want = true;
    return want;
}

struct seg_count {
    uint64_t segments, bytes;
};

static void count_segments(const char *dir, struct seg_count *sc)
{
    memset(sc, 0, sizeof(*sc));
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        char *end;
        strtoul(e->d_name, &end, 10);
        if (end == e->d_name || *end)
            continue;
        char sub[PATH_MAX];
        snprintf(sub, sizeof(sub), "%s/%.200s", dir, e->d_name);
        DIR *sd = opendir(sub);
        if (!sd)
            continue;
        struct dirent *f;
        while ((f = readdir(sd))) {
            if (!strstr(f->d_name, ".seg"))
                continue;
            char fp[PATH_MAX];
            struct stat st;
            snprintf(fp, sizeof(fp), "%s/%.200s", sub, f->d_name);
            if (stat(fp, &st) == 0) {
                sc->segments++;
                sc->bytes += (uint64_t)st.st_size;
            }
        }
        closedir(sd);
    }
    closedir(d);
}

/* Name functions with one signature, for the count tables below. */
static const char *table_name(int i) { return norm_table_name((enum norm_table)i); }
static const char *cat_name(int i) { return norm_cat_name((enum norm_cat)i); }
static const char *dead_name(int i) { return norm_dead_name((enum norm_dead)i); }

/* `head` then "name count" for every non-zero count. */
static void text_counts(FILE *o, const char *head, const uint64_t *v, int n,
                        const char *(*name)(int))
{
    fputs(head, o);
    for (int k = 0; k < n; k++)
        if (v[k])
            fprintf(o, "    %-28s %" PRIu64 "\n", name(k), v[k]);
}

/* ,"key":{"name":count,...} for every non-zero count. */
static void json_counts(FILE *j, const char *key, const uint64_t *v, int n,
                        const char *(*name)(int))
{
    fprintf(j, ",\"%s\":{", key);
    const char *sep = "";
    for (int k = 0; k < n; k++)
        if (v[k]) {
            fprintf(j, "%s\"%s\":%" PRIu64, sep, name(k), v[k]);
            sep = ",";
        }
    fputc('}', j);
}

static void summary(struct run *R, double secs, bool caught_up, int status)
{
    struct norm_stats t = {0};
    struct spool_stats ss = {0};
    uint64_t untracked = 0;
    int64_t shard_cpu_ns = 0, rx_cpu_ns = 0;
    uint64_t inflight_waits = 0;
    for (uint32_t p = 0; p < R->nparts; p++) {
        rx_cpu_ns += R->rx[p].cpu_ns;
        inflight_waits += atomic_load_explicit(&R->rx[p].inflight_waits, memory_order_relaxed);
    }
    for (uint32_t i = 0; i < R->nshards; i++) {
        shard_cpu_ns += R->shards[i].cpu_ns;
        const struct norm_stats *s = &R->shards[i].stats;
        t.messages += s->messages;
        t.records += s->records;
        t.events += s->events;
        t.bytes_in += s->bytes_in;
        t.bytes_out += s->bytes_out;
        for (int k = 0; k < NT__COUNT; k++)
            t.by_table[k] += s->by_table[k];
        for (int k = 0; k < NC__COUNT; k++)
            t.by_cat[k] += s->by_cat[k];
        for (int k = 0; k < ND__COUNT; k++)
            t.dead[k] += s->dead[k];
        ss.writes += R->shards[i].sstats.writes;
        ss.bytes += R->shards[i].sstats.bytes;
        ss.fsyncs += R->shards[i].sstats.fsyncs;
        ss.errors += R->shards[i].sstats.errors;
        ss.err_nospace += R->shards[i].sstats.err_nospace;
        ss.err_io += R->shards[i].sstats.err_io;
        ss.err_other += R->shards[i].sstats.err_other;
        ss.blocked_ns += R->shards[i].sstats.blocked_ns;
        ss.blocked_episodes += R->shards[i].sstats.blocked_episodes;
        untracked += R->shards[i].untracked;
    }
    uint64_t dead = 0;
    for (int k = 0; k < ND__COUNT; k++)
        dead += t.dead[k];
    struct seg_count sc;
    count_segments(R->cfg.spool_dir, &sc);
    double s = secs > 0 ? secs : 1e-9;
    uint32_t ck = 0;
    for (uint32_t p = 0; p < R->nparts; p++)
        ck += R->ckpt.part[p].seq >= 0;

    FILE *o = fwd_uses_stdout(&R->cfg) ? stderr : stdout; /* a stdout sink owns stdout */
    fprintf(o, "sluice: run %s after %.2f s%s\n", status ? "FAILED" : "finished", secs,
            caught_up ? " (caught up: every partition drained and checkpointed)" : "");
    fprintf(o, "  source       %s (%u partitions, hub %s/%s)\n", R->cfg.source, R->nparts,
            R->cap.ns[0] ? R->cap.ns : "-", R->cap.hub[0] ? R->cap.hub : "-");
    fprintf(o, "  read         %" PRIu64 " messages, %" PRIu64 " records, %.1f MB of Defender "
               "JSON\n", t.messages, t.records, t.bytes_in / 1e6);
    fprintf(o, "  wrote        %" PRIu64 " events, %" PRIu64 " dead letters, %.1f MB of NDJSON\n",
            t.events, dead, t.bytes_out / 1e6);
    fprintf(o, "  throughput   %.0f events/s, %.1f MB/s in, %.1f MB/s out (%u shards)\n",
            t.events / s, t.bytes_in / 1e6 / s, t.bytes_out / 1e6 / s, R->nshards);
    double scpu = shard_cpu_ns / 1e9, rcpu = rx_cpu_ns / 1e9;
    fprintf(o, "  cpu          shards %.2f s (%.1f MB/s of JSON per shard CPU second), rx %.2f s\n",
            scpu, scpu > 0 ? t.bytes_in / 1e6 / scpu : 0.0, rcpu);
    fprintf(o, "  spool        %s (%" PRIu64 " segments, %.1f MB on disk, %" PRIu64
               " writes, %" PRIu64 " fdatasyncs)\n",
            R->cfg.spool_dir, sc.segments, sc.bytes / 1e6, ss.writes, ss.fsyncs);
    if (ss.errors || ss.blocked_episodes)
        fprintf(o, "  spool errors %" PRIu64 " retried (disk full %" PRIu64 ", I/O %" PRIu64
                   ", other %" PRIu64 "); shards held input back %.2f s in %" PRIu64
                   " episodes, nothing dropped\n",
                ss.errors, ss.err_nospace, ss.err_io, ss.err_other, ss.blocked_ns / 1e9,
                ss.blocked_episodes);
    if (R->recovered.open_segments)
        fprintf(o, "  recovered    %" PRIu64 " open segments from an earlier run: %" PRIu64
                   " sealed, %" PRIu64 " removed (empty), %" PRIu64 " bytes of damage cut\n",
                R->recovered.open_segments, R->recovered.sealed, R->recovered.removed,
                R->recovered.bytes_cut);
    fprintf(o, "  checkpoint   %s (%u partitions; reading waited %" PRIu64
               " times for one at --inflight-bytes)\n", R->ckpt_path, ck, inflight_waits);
    uint64_t eh_rec = 0, eh_tok = 0, eh_st[EH_ST__COUNT] = {0};
    if (R->eh) {
        for (uint32_t p = 0; p < R->nparts; p++) {
            eh_rec += atomic_load_explicit(&R->rx[p].eh_reconnects, memory_order_relaxed);
            eh_tok += atomic_load_explicit(&R->rx[p].eh_tokens, memory_order_relaxed);
            for (int k = 0; k < EH_ST__COUNT; k++)
                eh_st[k] += atomic_load_explicit(&R->rx[p].eh_by_status[k], memory_order_relaxed);
        }
        fprintf(o, "  eventhub     %" PRIu64 " reconnects, %" PRIu64 " tokens put on $cbs", eh_rec,
                eh_tok);
        for (int k = EH_ST_STOLEN; k < EH_ST__COUNT; k++)
            if (eh_st[k])
                fprintf(o, ", %s %" PRIu64, eh_status_name((enum eh_status)k), eh_st[k]);
        fputc('\n', o);
    }
    uint64_t peak = budget_peak_rss();
    fprintf(o, "  memory       peak resident %" PRIu64 " MB", peak >> 20);
    if (R->cfg.memory_budget)
        fprintf(o, " of --memory-budget %" PRIu64 " MB (planned %" PRIu64 " MB: --rx-batches %u "
                   "x --batch-bytes %uK)%s",
                R->cfg.memory_budget >> 20, R->mem_planned >> 20, R->cfg.rx_batches,
                R->cfg.batch_bytes >> 10, R->mem_over ? ", ABOVE IT at times" : "");
    fputc('\n', o);
    if (R->fwd)
        fwd_print_summary(R->fwd, o);
    if (untracked)
        fprintf(o, "  warning      %" PRIu64 " batches written outside the tracker (duplicates)\n",
                untracked);
    text_counts(o, "  events per table:\n", t.by_table, NT__COUNT, table_name);
    text_counts(o, "  events per category:\n", t.by_cat, NC__COUNT, cat_name);
    if (dead) {
        char head[PATH_MAX + 96];
        snprintf(head, sizeof(head),
                 "  dead letters per reason (sluice spool cat --dead-letters %s):\n",
                 R->cfg.spool_dir);
        text_counts(o, head, t.dead, ND__COUNT, dead_name);
    }
    fflush(o);

    if (!R->cfg.stats_json[0])
        return;
    FILE *j = fopen(R->cfg.stats_json, "w");
    if (!j) {
        log_err("run: cannot write --stats-json: %s path=\"%s\"", strerror(errno),
                R->cfg.stats_json);
        return;
    }
    fprintf(j, "{\"status\":%d,\"caught_up\":%s,\"seconds\":%.6f,\"partitions\":%u,"
               "\"shards\":%u,\"messages\":%" PRIu64 ",\"records\":%" PRIu64
               ",\"events\":%" PRIu64 ",\"dead_letters\":%" PRIu64 ",\"bytes_in\":%" PRIu64
               ",\"bytes_out\":%" PRIu64 ",\"events_per_s\":%.1f,\"mb_per_s_in\":%.3f,"
               "\"shard_cpu_s\":%.6f,\"rx_cpu_s\":%.6f,\"mb_per_shard_cpu_s\":%.3f,"
               "\"segments\":%" PRIu64 ",\"spool_bytes\":%" PRIu64 ",\"spool_dir\":",
            status, caught_up ? "true" : "false", secs, R->nparts, R->nshards, t.messages,
            t.records, t.events, dead, t.bytes_in, t.bytes_out, t.events / s,
            t.bytes_in / 1e6 / s, scpu, rcpu, scpu > 0 ? t.bytes_in / 1e6 / scpu : 0.0,
            sc.segments, sc.bytes);
    json_fputs(j, R->cfg.spool_dir);
    fprintf(j, ",\"checkpoint\":");
    json_fputs(j, R->ckpt_path);
    fprintf(j, ",\"inflight_waits\":%" PRIu64, inflight_waits);
    fprintf(j, ",\"memory\":{\"peak_rss_bytes\":%" PRIu64 ",\"budget_bytes\":%" PRIu64
               ",\"planned_bytes\":%" PRIu64 ",\"rx_batches\":%u,\"seconds_over_budget\":%" PRIu64 "}",
            peak, R->cfg.memory_budget, R->mem_planned, R->cfg.rx_batches, R->mem_over);
    fprintf(j, ",\"spool_errors\":{\"nospace\":%" PRIu64 ",\"io\":%" PRIu64 ",\"other\":%" PRIu64
               "},\"spool_blocked_s\":%.3f,\"spool_blocked_episodes\":%" PRIu64,
            ss.err_nospace, ss.err_io, ss.err_other, ss.blocked_ns / 1e9, ss.blocked_episodes);
    fprintf(j, ",\"recovered\":{\"open_segments\":%" PRIu64 ",\"sealed\":%" PRIu64
               ",\"removed\":%" PRIu64 ",\"regions_cut\":%" PRIu64 ",\"bytes_cut\":%" PRIu64 "}",
            R->recovered.open_segments, R->recovered.sealed, R->recovered.removed,
            R->recovered.cut_regions, R->recovered.bytes_cut);
    if (R->eh) {
        fprintf(j, ",\"eventhub\":{\"reconnects\":%" PRIu64 ",\"tokens_put\":%" PRIu64, eh_rec,
                eh_tok);
        for (int k = EH_ST_STOLEN; k < EH_ST__COUNT; k++)
            fprintf(j, ",\"%s\":%" PRIu64, eh_status_name((enum eh_status)k), eh_st[k]);
        fputc('}', j);
    }
    if (R->fwd)
        fwd_print_json(R->fwd, j);
    json_counts(j, "by_table", t.by_table, NT__COUNT, table_name);
    json_counts(j, "by_category", t.by_cat, NC__COUNT, cat_name);
    json_counts(j, "dead_by_reason", t.dead, ND__COUNT, dead_name);
    fprintf(j, "}\n");
    fclose(j);
}

static void progress(struct run *R, int64_t t0_ns, uint64_t *last_events, int64_t *last_ns)
{
    uint64_t ev = 0, rec = 0, bytes = 0;
    for (uint32_t i = 0; i < R->nshards; i++) {
        ev += atomic_load_explicit(&R->shards[i].prog.events, memory_order_relaxed);
        rec += atomic_load_explicit(&R->shards[i].prog.records, memory_order_relaxed);
        bytes += atomic_load_explicit(&R->shards[i].prog.bytes_in, memory_order_relaxed);
    }
    int64_t now = clock_mono_ns();
    double dt = (now - *last_ns) / 1e9;
    log_info("run: progress events=%" PRIu64 " records=%" PRIu64 " mb_in=%.1f "
             "events_per_s=%.0f elapsed_s=%.1f",
             ev, rec, bytes / 1e6, dt > 0 ? (ev - *last_events) / dt : 0.0,
             (now - t0_ns) / 1e9);
    *last_events = ev;
    *last_ns = now;
}

/* Ask every started rx thread to stop reading (step 1 of the shutdown order). */
static void stop_rx(struct run *R, uint32_t started)
{
    for (uint32_t p = 0; p < started; p++)
        atomic_store_explicit(&R->rx[p].stop, 1, memory_order_relaxed);
}

/* --source eventhub: credentials, then $management READ for the partitions and
 * their last sequence numbers (the --until-caught-up targets). The hub is
 * described through R->cap (ns, hub, partitions, part[].last_seq) so that the
 * rest of the run treats both sources alike. 0, or 1 after one line on stderr. */
static int setup_eventhub(struct run *R)
{
    struct run_cfg *c = &R->cfg;
    struct rx_eh_src *src = calloc(1, sizeof(*src));
    if (!src) {
        fprintf(stderr, "sluice: out of memory\n");
        return 1;
    }
    R->eh = src;
    char why[512];
    if (rx_eh_source_init(c, src, why, sizeof(why)) != 0) {
        fprintf(stderr, "sluice: --source eventhub: %s\n", why);
        return 1;
    }
    struct eh_rx_cfg *t = &src->tmpl;
    const char *hub = t->hub;
    struct eh_hub_info *info = calloc(1, sizeof(*info));
    if (!info) {
        fprintf(stderr, "sluice: out of memory\n");
        return 1;
    }
    int rc = eh_mgmt_read(t, true, info, 60000, why, sizeof(why));
    if (rc) {
        const char *fix = rc == -EACCES
                              ? "; fix: check the SharedAccessKey and its name in the connection "
                                "string (a policy with the Listen right) or the Entra ID role "
                                "(Azure Event Hubs Data Receiver)"
                              : "";
        fprintf(stderr, "sluice: --source eventhub: cannot read event hub \"%s\" on %s:%u: %s "
                        "(%s)%s\n", hub, t->host, (unsigned)t->port, why, err_str(rc), fix);
        free(info);
        return 1;
    }
    uint32_t nparts = 0;
    for (uint32_t i = 0; i < info->partitions; i++) {
        char *e;
        unsigned long id = strtoul(info->part[i].id, &e, 10);
        if (*e || e == info->part[i].id || id >= CFG_PART_MAX) {
            fprintf(stderr, "sluice: --source eventhub: partition id \"%s\" is not a number "
                            "below %u; sluice numbers its checkpoints by partition id\n",
                    info->part[i].id, CFG_PART_MAX);
            free(info);
            return 1;
        }
        if (id + 1 > nparts)
            nparts = (uint32_t)id + 1;
    }
    if (!c->partitions_all)
        for (uint32_t p = 0; p < CFG_PART_MAX; p++)
            if (c->partition_set[p] && p >= nparts) {
                fprintf(stderr, "sluice: --partitions: event hub \"%s\" has no partition %u "
                                "(it has %u)\n", hub, p, info->partitions);
                free(info);
                return 1;
            }
    R->cap.part = calloc(nparts, sizeof(*R->cap.part));
    R->eh_ids = calloc(nparts, sizeof(*R->eh_ids));
    if (!R->cap.part || !R->eh_ids) {
        fprintf(stderr, "sluice: out of memory\n");
        free(info);
        return 1;
    }
    R->cap.partitions = nparts;
    for (uint32_t p = 0; p < nparts; p++)
        R->cap.part[p].first_seq = R->cap.part[p].last_seq = -1;
    for (uint32_t i = 0; i < info->partitions; i++) {
        uint32_t id = (uint32_t)strtoul(info->part[i].id, NULL, 10);
        if (!c->partitions_all && !c->partition_set[id])
            continue;
        snprintf(R->eh_ids[id], sizeof(R->eh_ids[id]), "%s", info->part[i].id);
        R->cap.part[id].first_seq = info->part[i].empty ? -1 : info->part[i].begin_seq;
        R->cap.part[id].last_seq = info->part[i].last_seq;
    }
    snprintf(R->cap.ns, sizeof(R->cap.ns), "%s", t->host);
    snprintf(R->cap.hub, sizeof(R->cap.hub), "%s", hub);
    log_info("run: event hub %s/%s has %u partitions (consumer group %s)", R->cap.ns, R->cap.hub,
             info->partitions, c->consumer_group);
    free(info);
    return 0;
}

static int setup(struct run *R)
{
    struct run_cfg *c = &R->cfg;
    if (c->cpus.n == 0 && cpu_list_allowed(&c->cpus) != 0) {
        fprintf(stderr, "sluice: --cpus: cannot read this process's CPU affinity\n");
        return 1;
    }
    int rc;
    if (c->source_kind == RUN_SRC_EVENTHUB) {
        if (setup_eventhub(R) != 0)
            return 1;
    } else {
        rc = capture_open(c->capture, &R->cap);
        if (rc) {
            fprintf(stderr, "sluice: --source: cannot read capture \"%s\": %s\n", c->capture,
                    err_str(rc));
            return 1;
        }
    }
    R->nparts = R->cap.partitions;
    rc = mkdir_p(c->spool_dir, 0700);
    if (rc) {
        fprintf(stderr, "sluice: --spool-dir: cannot create \"%s\": %s\n", c->spool_dir,
                err_str(rc));
        return 1;
    }
    ckpt_path(c->spool_dir, R->cap.hub, c->consumer_group, R->ckpt_path, sizeof(R->ckpt_path));
    char why[256];
    rc = ckpt_load(R->ckpt_path, R->nparts, &R->ckpt, why, sizeof(why));
    if (rc == ERR_FORMAT) {
        fprintf(stderr, "sluice: checkpoint file \"%s\" is damaged (%s); sluice will not guess "
                        "where to resume: repair it, or move it away to start over\n",
                R->ckpt_path, why);
        return 1;
    }
    if (rc && rc != -ENOENT) {
        fprintf(stderr, "sluice: cannot read checkpoint file \"%s\": %s\n", R->ckpt_path,
                err_str(rc));
        return 1;
    }
    if (rc == 0 && strcmp(R->ckpt.ns, R->cap.ns) != 0) {
        fprintf(stderr, "sluice: checkpoint file \"%s\" belongs to namespace \"%s\", not \"%s\"; "
                        "use another --spool-dir or --consumer-group\n",
                R->ckpt_path, R->ckpt.ns, R->cap.ns);
        return 1;
    }
    snprintf(R->ckpt.ns, sizeof(R->ckpt.ns), "%s", R->cap.ns);
    snprintf(R->ckpt.hub, sizeof(R->ckpt.hub), "%s", R->cap.hub);
    snprintf(R->ckpt.cg, sizeof(R->ckpt.cg), "%s", c->consumer_group);
    if (R->ckpt.partitions > R->nparts)
        log_warn("run: checkpoint has partitions the capture does not; keeping them "
                 "checkpoint_partitions=%u capture_partitions=%u",
                 R->ckpt.partitions, R->nparts);
    return 0;
}

/* Shard count, then --rx-batches fitted to --memory-budget for the partitions
 * read (budget.h). 0, or 2 after one line on stderr. */
static int plan(struct run *R)
{
    struct run_cfg *c = &R->cfg;
    uint32_t n = c->shards ? c->shards : c->cpus.n;
    if (n > R->nparts)
        n = R->nparts ? R->nparts : 1;
    R->nshards = n;
    uint32_t reading = 0;
    for (uint32_t p = 0; p < R->nparts; p++)
        reading += !R->eh || R->eh_ids[p][0];
    uint32_t asked = c->rx_batches;
    char why[512];
    if (budget_plan(c, reading, n, why, sizeof(why)) != 0) {
        fprintf(stderr, "sluice: %s\n", why);
        return 2;
    }
    R->mem_planned = budget_estimate(c, reading, n);
    if (c->rx_batches != asked)
        log_warn("run: --rx-batches lowered from %u to %u to fit --memory-budget %" PRIu64
                 " MB (%u partitions, %u shards; about %" PRIu64 " MB planned)",
                 asked, c->rx_batches, c->memory_budget >> 20, reading, n, R->mem_planned >> 20);
    return 0;
}

static int alloc_all(struct run *R)
{
    struct run_cfg *c = &R->cfg;
    uint32_t n = R->nshards;
    R->saved_seq = calloc(R->ckpt.partitions, sizeof(int64_t));
    R->rx = calloc(R->nparts ? R->nparts : 1, sizeof(struct rx));
    R->rings = calloc(R->nparts ? R->nparts : 1, sizeof(struct ring *));
    R->parts = calloc(R->nparts ? R->nparts : 1, sizeof(struct shard_part));
    R->shards = calloc(n, sizeof(struct shard));
    if (posix_memalign((void **)&R->trk, 64, (R->nparts ? R->nparts : 1) * sizeof(struct tracker)))
        R->trk = NULL;
    if (!R->saved_seq || !R->rx || !R->rings || !R->parts || !R->shards || !R->trk)
        return -ENOMEM;
    for (uint32_t p = 0; p < R->ckpt.partitions; p++)
        R->saved_seq[p] = R->ckpt.part[p].seq;
    uint32_t slots = pow2_at_least(c->rx_batches);
    for (uint32_t p = 0; p < R->nparts; p++) {
        tracker_init(&R->trk[p], R->ckpt.part[p].seq, R->ckpt.part[p].off);
        R->rings[p] = ring_create(slots);
        if (!R->rings[p])
            return -ENOMEM;
    }
    /* group partitions by shard: shard i serves p with p % n == i */
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct shard *s = &R->shards[i];
        s->index = i;
        s->cpu = c->cpus.n ? c->cpus.cpu[i % c->cpus.n] : -1;
        s->parts = &R->parts[k];
        for (uint32_t p = i; p < R->nparts; p += n) {
            R->parts[k].partition = p;
            R->parts[k].ring = R->rings[p];
            R->parts[k].trk = &R->trk[p];
            k++;
            s->nparts++;
        }
        s->spool_cfg = (struct spool_cfg){
            .dir = c->spool_dir,
            .shard = i,
            .segment_bytes = c->segment_bytes,
            .segment_ms = c->segment_ms,
            .fsync = c->fsync,
            .fsync_interval_ms = c->fsync_interval_ms,
            .queue_depth = c->queue_depth,
        };
        s->norm_cfg = (struct norm_cfg){.ns = R->cap.ns, .hub = R->cap.hub,
                                        .keep_original = c->keep_original};
        int rc = park_init(&s->park);
        if (rc)
            return rc;
    }
    return 0;
}

static void free_all(struct run *R)
{
    if (R->rings)
        for (uint32_t p = 0; p < R->nparts; p++)
            ring_destroy(R->rings[p]);
    if (R->shards)
        for (uint32_t i = 0; i < R->nshards; i++)
            park_fini(&R->shards[i].park);
    free(R->rings);
    free(R->rx);
    free(R->parts);
    free(R->shards);
    free(R->trk);
    free(R->saved_seq);
    ckpt_file_free(&R->ckpt);
    capture_close(&R->cap);
    free(R->eh_ids);
    if (R->eh) {
        memset(R->eh, 0, sizeof(*R->eh)); /* secrets */
        free(R->eh);
    }
}

int run_main(int argc, char **argv)
{
    struct run *R = calloc(1, sizeof(*R));
    if (!R) {
        fprintf(stderr, "sluice: out of memory\n");
        return 1;
    }
    int status = 1;
    int rc = cli_parse_run(argc, argv, &R->cfg, stdout, stderr);
    if (rc) {
        status = rc == 1 ? 0 : 2;
        free(R);
        return status;
    }
    g_log_level = R->cfg.log_level;
    log_set_thread("ctl", -1);

    if (setup(R) != 0)
        goto out;
    if (plan(R) != 0) {
        status = 2;
        goto out;
    }
    int lockfd = lock_spool(R->cfg.spool_dir);
    if (lockfd < 0) {
        if (lockfd == -EBUSY)
            fprintf(stderr, "sluice: --spool-dir: \"%s\" is in use by another sluice run\n",
                    R->cfg.spool_dir);
        else
            fprintf(stderr, "sluice: --spool-dir: cannot write to \"%s\": %s\n",
                    R->cfg.spool_dir, err_str(lockfd));
        goto out;
    }
    /* Repair and seal what a crash left open, in every shard directory, before
     * any shard writes (DESIGN.md §5). */
    rc = spool_recover(R->cfg.spool_dir, &R->recovered);
    if (rc) {
        fprintf(stderr, "sluice: --spool-dir: cannot recover the spool in \"%s\": %s (the log "
                        "line above names the file)\n", R->cfg.spool_dir, err_str(rc));
        goto out_lock;
    }
    rc = alloc_all(R);
    if (rc) {
        fprintf(stderr, "sluice: cannot allocate the pipeline: %s\n", err_str(rc));
        goto out_lock;
    }
    /* Forwarders read their markers before any shard writes (fwd.h). */
    if (R->cfg.nsinks && !(R->fwd = fwd_create(&R->cfg)))
        goto out_lock;

    /* Signals go to this thread only: block them while workers are created. */
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    log_info("run: starting source=\"%s\" partitions=%u shards=%u spool=\"%s\"", R->cfg.source,
             R->nparts, R->nshards, R->cfg.spool_dir);
    int64_t t0 = clock_mono_ns();
    uint32_t started_shards = 0, started_rx = 0;
    for (; started_shards < R->nshards; started_shards++) {
        rc = shard_start(&R->shards[started_shards]);
        if (rc)
            break;
    }
    for (uint32_t p = 0; !rc && p < R->nparts; p++) {
        struct rx *x = &R->rx[p];
        x->partition = p;
        x->cpu = R->cfg.cpus.n ? R->cfg.cpus.cpu[p % R->cfg.cpus.n] : -1;
        x->start_after = R->ckpt.part[p].seq;
        x->cfg = &R->cfg;
        x->cap = &R->cap;
        x->eh = R->eh;
        if (R->eh) {
            snprintf(x->eh_partition, sizeof(x->eh_partition), "%s", R->eh_ids[p]);
            x->eh_skip = !R->eh_ids[p][0];
            /* --until-caught-up target: nothing when --start latest (no checkpoint) or
             * when reading starts at or after the last enqueued seq */
            int64_t ck = R->ckpt.part[p].seq;
            int64_t after = ck >= 0                                 ? ck
                            : R->cfg.start.kind == EH_START_SEQ ? R->cfg.start.seq
                                                                 : -1;
            if ((ck < 0 && R->cfg.start.kind == EH_START_LATEST) ||
                (after >= R->cap.part[p].last_seq && ck < R->cap.part[p].last_seq))
                R->cap.part[p].last_seq = -1;
            x->until_seq = R->cap.part[p].last_seq;
        }
        x->ring = R->rings[p];
        x->shard_park = &R->shards[p % R->nshards].park;
        rc = rx_start(x);
        if (!rc)
            R->rx_live = ++started_rx;
    }
    if (!rc && R->fwd)
        rc = fwd_start(R->fwd);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc) {
        log_err("run: cannot start threads: %s", err_str(rc));
        stop_rx(R, started_rx);
    }

    /* Control loop. */
    int64_t next_ckpt = clock_mono_ms() + R->cfg.checkpoint_ms;
    int64_t next_prog = R->cfg.progress_ms ? clock_mono_ms() + R->cfg.progress_ms : INT64_MAX;
    int64_t next_mem = clock_mono_ms() + 1000;
    uint64_t last_ev = 0;
    int64_t last_ns = t0;
    bool stopping = rc != 0, caught_up = false;
    int failed = rc != 0;
    for (;;) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
        if (g_signals && !stopping) {
            log_info("run: signal received, draining (a second signal exits at once)");
            stopping = true;
            stop_rx(R, started_rx);
        }
        uint32_t fin = 0;
        for (uint32_t p = 0; p < started_rx; p++) {
            if (!atomic_load_explicit(&R->rx[p].finished, memory_order_acquire))
                continue;
            fin++;
            if (R->rx[p].err && !failed) {
                failed = 1;
                stopping = true;
                log_err("run: partition %u failed (%s); stopping", p, err_str(R->rx[p].err));
                stop_rx(R, started_rx);
            }
        }
        for (uint32_t i = 0; i < started_shards && !failed; i++)
            if (atomic_load_explicit(&R->shards[i].finished, memory_order_acquire)) {
                failed = 1;
                stopping = true;
                log_err("run: shard %u failed; stopping", i);
                stop_rx(R, started_rx);
            }
        int64_t now = clock_mono_ms();
        if (now >= next_ckpt || persist_wanted(R, started_rx)) {
            (void)persist(R, false);
            next_ckpt = now + R->cfg.checkpoint_ms;
        }
        if (now >= next_prog) {
            progress(R, t0, &last_ev, &last_ns);
            next_prog = now + R->cfg.progress_ms;
        }
        if (now >= next_mem) {
            next_mem = now + 1000;
            uint64_t rss = budget_rss();
            if (R->cfg.memory_budget && rss > R->cfg.memory_budget) {
                R->mem_over++;
                LOG_RATELIMITED(60000, LOG_WARN,
                                "run: resident memory %" PRIu64 " MB is above --memory-budget "
                                "%" PRIu64 " MB (planned %" PRIu64 " MB) fix=\"lower "
                                "--rx-batches or --batch-bytes, or read fewer partitions here\"",
                                rss >> 20, R->cfg.memory_budget >> 20, R->mem_planned >> 20);
            }
        }
        if (fin == started_rx && (stopping || R->cfg.until_caught_up)) {
            caught_up = !stopping;
            break;
        }
    }
    /* release pairs with the acquire loads in the shard loop: all pushes are before it */
    for (uint32_t i = 0; i < started_shards; i++) {
        atomic_store_explicit(&R->shards[i].stop, 1, memory_order_release);
        park_wake(&R->shards[i].park);
    }
    for (uint32_t i = 0; i < started_shards; i++)
        if (shard_join(&R->shards[i]) != 0)
            failed = 1;
    for (uint32_t p = 0; p < started_rx; p++) {
        atomic_store_explicit(&R->rx[p].shards_done, 1, memory_order_release);
        park_wake(&R->rx[p].park);
    }
    R->rx_live = 0;
    for (uint32_t p = 0; p < started_rx; p++) {
        (void)rx_join(&R->rx[p]);
        if (R->rx[p].lost_batches) {
            log_err("run: batches were not returned to their pool partition=%u lost=%u", p,
                    R->rx[p].lost_batches);
            failed = 1;
        }
    }
    rc = persist(R, false);
    if (rc)
        failed = 1;
    if (caught_up) {
        /* every partition must be checkpointed at its last message */
        for (uint32_t p = 0; p < R->nparts; p++) {
            int64_t last = R->cap.part[p].last_seq;
            if (last >= 0 && R->ckpt.part[p].seq < last) {
                log_err("run: partition not fully checkpointed partition=%u checkpoint=%lld "
                        "last=%lld", p, (long long)R->ckpt.part[p].seq, (long long)last);
                failed = 1;
                caught_up = false;
            }
        }
    }
    if (R->fwd) {
        /* Every segment is sealed now. Caught up: let the forwarders deliver it, for at
         * most --sink-drain-timeout; else (signal, failure) stop after the current batch. */
        int64_t end = clock_mono_ms() + (caught_up ? R->cfg.sink_drain_ms : 0);
        sig_atomic_t sig0 = g_signals;
        fwd_drain_begin(R->fwd);
        while (!fwd_drained(R->fwd) && clock_mono_ms() < end && g_signals == sig0) {
            struct timespec ts = {0, 10 * 1000000L};
            nanosleep(&ts, NULL);
        }
        fwd_stop(R->fwd);
    }
    status = failed ? 1 : 0;
    summary(R, (clock_mono_ns() - t0) / 1e9, caught_up, status);

out_lock:
    fwd_destroy(R->fwd);
    R->fwd = NULL;
    close(lockfd);
out:
    free_all(R);
    free(R);
    return status;
}
