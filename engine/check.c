/* check.c - `sluice check`: is this host ready to collect from this Event Hub?
 *
 * For the first set-up of a collector host. With the connection flags of `sluice
 * run --source eventhub` it runs, in order, each step printed as one line with
 * its verdict (ok, or FAILED, the reason and the fix):
 *   credentials   parse the connection string (or --namespace: Entra ID)
 *   connect       TCP (+TLS), SASL and AMQP open to HOST:PORT
 *   authenticate  CBS put-token accepted
 *   management    $management READ of the hub: partition count and ids
 *   partition P   per selected partition: last enqueued sequence number, offset, time
 *   read P        per selected partition: ONE event from the earliest (nothing is
 *                 checkpointed and no spool is written); an empty partition is ok
 * The first four depend on each other: after a failure the rest are not run.
 * Every step is bounded (CHECK_STEP_MS), so check never hangs. The key and
 * signature are never printed.
 */
#include "check.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "cli.h"
#include "eh_auth.h"
#include "eh_rx.h"
#include "err.h"
#include "log.h"

#define CHECK_STEP_MS 15000 /* bound of one step */

struct tally {
    unsigned steps, failed;
};

/* One step's verdict line: "ok      ..." or "FAILED  ...". */
static void step(struct tally *t, bool ok, const char *fmt, va_list ap)
{
    fputs(ok ? "ok      " : "FAILED  ", stdout);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    t->steps++;
    t->failed += !ok;
}

static void step_ok(struct tally *t, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void step_ok(struct tally *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    step(t, true, fmt, ap);
    va_end(ap);
}

static void step_failed(struct tally *t, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void step_failed(struct tally *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    step(t, false, fmt, ap);
    va_end(ap);
}

/* ms since 1970 as ISO 8601 UTC with milliseconds; "unknown" when negative. */
static const char *iso_ms(int64_t ms, char *out, size_t n)
{
    if (ms < 0) {
        snprintf(out, n, "unknown");
        return out;
    }
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    if (!gmtime_r(&s, &tm)) {
        snprintf(out, n, "%" PRId64 " ms", ms);
        return out;
    }
    char d[32];
    strftime(d, sizeof(d), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, n, "%s.%03dZ", d, (int)(ms % 1000));
    return out;
}

struct one_event {
    bool got;
    int64_t seq, enq_ms;
    size_t size;
};

/* eh_event_fn: keep the first event, refuse the rest (they stay unsettled). */
static int take_one(void *ctx, const struct eh_event *ev)
{
    struct one_event *o = ctx;
    if (o->got)
        return -EAGAIN;
    o->got = true;
    o->seq = ev->seq;
    o->enq_ms = ev->enq_ms;
    o->size = ev->body_len;
    return 0;
}

static void read_one(struct tally *t, const struct rx_eh_src *src, const struct eh_part_info *pi)
{
    char ts[64];
    if (pi->empty) {
        step_ok(t, "read partition %s: empty (nothing to read yet)", pi->id);
        return;
    }
    struct one_event o = {0};
    struct eh_rx_cfg c = src->tmpl;
    snprintf(c.partition, sizeof(c.partition), "%s", pi->id);
    snprintf(c.receiver_name, sizeof(c.receiver_name), "sluice-check-%s", pi->id);
    c.start = (struct eh_start){.kind = EH_START_EARLIEST};
    c.has_owner_level = false; /* never take a partition over from a running collector */
    c.prefetch = 1;
    c.on_event = take_one;
    c.event_ctx = &o;
    int rc = 0;
    struct eh_rx *r = eh_rx_create(&c, &rc);
    if (!r) {
        step_failed(t, "read partition %s: cannot start a receiver: %s", pi->id, err_str(rc));
        return;
    }
    eh_rx_set_credit(r, 1);
    int64_t end = clock_mono_ms() + CHECK_STEP_MS;
    enum eh_status st = EH_ST_CONNECTING;
    bool refused = false; /* a condition that retrying does not cure: say so at once */
    while (!o.got && !refused && clock_mono_ms() < end) {
        if (eh_rx_poll(r, 100) < 0)
            break;
        const struct eh_rx_stats *s = eh_rx_stats(r);
        st = s->status;
        refused = s->by_status[EH_ST_NOT_FOUND] || s->by_status[EH_ST_UNAUTHORIZED] ||
                  s->by_status[EH_ST_QUOTA] || s->by_status[EH_ST_STOLEN];
        if (refused)
            st = s->by_status[EH_ST_NOT_FOUND]      ? EH_ST_NOT_FOUND
                 : s->by_status[EH_ST_UNAUTHORIZED] ? EH_ST_UNAUTHORIZED
                 : s->by_status[EH_ST_QUOTA]        ? EH_ST_QUOTA
                                                    : EH_ST_STOLEN;
    }
    eh_rx_destroy(r, 2000);
    if (o.got) {
        step_ok(t,
                "read partition %s: one event: sequence number %" PRId64 ", %zu bytes, "
                "enqueued %s",
                pi->id, o.seq, o.size, iso_ms(o.enq_ms, ts, sizeof(ts)));
        return;
    }
    const char *fix = "check the consumer group and that the hub keeps events (retention)";
    if (st == EH_ST_NOT_FOUND)
        fix = "create the consumer group on the hub, or give --consumer-group with an existing one";
    else if (st == EH_ST_QUOTA)
        fix = "too many readers on this consumer group (at most 5): stop one or use another group";
    else if (st == EH_ST_UNAUTHORIZED)
        fix = "give the policy the Listen right";
    else if (st == EH_ST_STOLEN)
        fix = "a receiver with an owner level holds the partition: use another consumer group";
    if (refused)
        step_failed(t,
                    "read partition %s: the receiver was refused (consumer group %s, status "
                    "%s); fix: %s",
                    pi->id, c.cg, eh_status_name(st), fix);
    else
        step_failed(t,
                    "read partition %s: no event within %d s (consumer group %s, status %s); "
                    "fix: %s",
                    pi->id, CHECK_STEP_MS / 1000, c.cg, eh_status_name(st), fix);
}

static void check_help(FILE *o)
{
    fprintf(
        o,
        "usage: sluice check [--connection-string-env VAR | --namespace HOST --eventhub NAME]\n"
        "                    [--eventhub NAME] [--consumer-group NAME] [--partitions all|LIST]\n\n"
        "Checks, step by step, that this host can collect from the Event Hub that `sluice run\n"
        "--source eventhub` with the same flags would read: the connection string (the key\n"
        "is never printed), connecting to HOST:PORT, authentication (CBS put-token), the\n"
        "$management READ of the hub (partition count and ids), per partition the last\n"
        "enqueued sequence number, offset and time, and reading ONE event from each selected\n"
        "partition (from the earliest; nothing is checkpointed, no spool is written). Each\n"
        "step prints one line, ok or FAILED with the reason and the fix, and gives up after\n"
        "%d s. Exit 0 when every step is ok, 1 when one failed, 2 for a usage error.\n"
        "The flags mean what they mean for sluice run (see sluice run --help).\n",
        CHECK_STEP_MS / 1000);
}

int check_main(int argc, char **argv)
{
    static const char *const allowed[] = {"connection-string-env", "namespace",  "eventhub",
                                          "consumer-group",        "partitions", NULL};
    struct run_cfg *cfg = calloc(1, sizeof(*cfg));
    struct rx_eh_src *src = calloc(1, sizeof(*src));
    struct eh_hub_info *info = calloc(1, sizeof(*info));
    int ret = 1;
    if (!cfg || !src || !info) {
        fprintf(stderr, "sluice check: out of memory\n");
        goto out;
    }
    int rc = cli_parse_eventhub("sluice check", argc, argv, allowed, cfg, stderr);
    if (rc == 1) {
        check_help(stdout);
        ret = 0;
        goto out;
    }
    if (rc) {
        ret = 2;
        goto out;
    }
    g_log_level = LOG_ERR; /* the verdict lines say it all; receivers' warnings would repeat it */
    struct tally t = {0};
    char why[1024];
    if (rx_eh_source_init(cfg, src, why, sizeof(why)) != 0) {
        step_failed(&t, "credentials: %s", why);
        goto done;
    }
    const struct eh_rx_cfg *tm = &src->tmpl;
    if (cfg->namespace_host[0])
        step_ok(&t,
                "credentials: --namespace %s, event hub %s, Microsoft Entra ID token "
                "(AZURE_TENANT_ID, AZURE_CLIENT_ID, ...)",
                tm->host, tm->hub);
    else
        step_ok(&t, "credentials: $%s: endpoint %s:%u (%s), event hub %s, %s", cfg->conn_env,
                tm->host, (unsigned)tm->port, tm->tls ? "TLS" : "plain AMQP, development emulator",
                tm->hub, tm->cred);
    rc = eh_mgmt_read(tm, true, info, CHECK_STEP_MS, why, sizeof(why));
    if (!info->connected && rc == -EPROTO) {
        /* TLS: why names the CA file and the fix */
        step_failed(&t, "connect %s:%u: %s", tm->host, (unsigned)tm->port, why);
        goto done;
    }
    if (!info->connected) {
        step_failed(&t,
                    "connect %s:%u: %s; fix: check the endpoint's host and port, that "
                    "the host name resolves and that outbound TCP %u is open",
                    tm->host, (unsigned)tm->port, rc ? why : "no answer", (unsigned)tm->port);
        goto done;
    }
    step_ok(&t, "connect %s:%u (%s)", tm->host, (unsigned)tm->port,
            tm->tls ? "TLS, peer name verified" : "plain AMQP");
    if (!info->authenticated) {
        if (src->source.entra)
            step_failed(&t,
                        "authenticate: %s; fix: check AZURE_TENANT_ID, AZURE_CLIENT_ID and "
                        "the credential, and give the identity the Azure Event Hubs Data "
                        "Receiver role",
                        rc ? why : "no answer");
        else if (src->source.conn.key[0])
            step_failed(&t,
                        "authenticate: %s with SharedAccessKeyName %s; fix: check "
                        "SharedAccessKeyName and SharedAccessKey in $%s (the policy needs the "
                        "Listen right)",
                        rc ? why : "no answer", src->source.conn.key_name, cfg->conn_env);
        else
            step_failed(&t, "authenticate: %s; fix: renew the SharedAccessSignature in $%s",
                        rc ? why : "no answer", cfg->conn_env);
        goto done;
    }
    step_ok(&t, "authenticate: CBS put-token accepted");
    if (rc) {
        step_failed(&t, "management: READ of event hub %s: %s (%s); fix: %s", tm->hub, why,
                    err_str(rc),
                    rc == -ENOENT ? "check EntityPath or --eventhub (the hub's name)"
                                  : "give the policy or identity the Listen right");
        goto done;
    }
    char ids[512];
    size_t o = 0;
    ids[0] = '\0';
    for (uint32_t i = 0; i < info->partitions && o + 40 < sizeof(ids); i++)
        o += (size_t)snprintf(ids + o, sizeof(ids) - o, "%s%s", i ? "," : "", info->part[i].id);
    step_ok(&t, "management: event hub %s has %u partitions: %s%s", tm->hub, info->partitions, ids,
            o + 40 >= sizeof(ids) ? ",..." : "");
    for (uint32_t i = 0; i < info->partitions; i++) {
        const struct eh_part_info *pi = &info->part[i];
        char *e;
        unsigned long id = strtoul(pi->id, &e, 10);
        bool numeric = !*e && e != pi->id && id < CFG_PART_MAX;
        if (!cfg->partitions_all && !(numeric && cfg->partition_set[id]))
            continue;
        char ts[64];
        if (pi->empty)
            step_ok(&t, "partition %s: empty (begin sequence number %" PRId64 ")", pi->id,
                    pi->begin_seq);
        else
            step_ok(&t,
                    "partition %s: last enqueued sequence number %" PRId64 ", offset %s, "
                    "time %s",
                    pi->id, pi->last_seq, pi->last_off[0] ? pi->last_off : "?",
                    iso_ms(pi->last_enq_ms, ts, sizeof(ts)));
    }
    if (!cfg->partitions_all)
        for (uint32_t p = 0; p < CFG_PART_MAX; p++) {
            if (!cfg->partition_set[p])
                continue;
            char pid[16];
            snprintf(pid, sizeof(pid), "%u", p);
            bool found = false;
            for (uint32_t i = 0; i < info->partitions && !found; i++)
                found = strcmp(info->part[i].id, pid) == 0;
            if (!found)
                step_failed(&t,
                            "partition %s: event hub %s has no such partition; fix: "
                            "--partitions with ids from the list above",
                            pid, tm->hub);
        }
    for (uint32_t i = 0; i < info->partitions; i++) {
        const struct eh_part_info *pi = &info->part[i];
        char *e;
        unsigned long id = strtoul(pi->id, &e, 10);
        bool numeric = !*e && e != pi->id && id < CFG_PART_MAX;
        if (!cfg->partitions_all && !(numeric && cfg->partition_set[id]))
            continue;
        read_one(&t, src, pi);
    }
done:
    if (t.failed)
        printf("sluice check: %u of %u steps FAILED\n", t.failed, t.steps);
    else
        printf("sluice check: all %u steps ok\n", t.steps);
    ret = t.failed ? 1 : 0;
out:
    if (src)
        memset(src, 0, sizeof(*src)); /* held the key */
    free(src);
    free(info);
    free(cfg);
    return ret;
}
