/* record.c - `sluice-replay record`: receive a live event hub into a capture.
 *
 * The connection flags are those of `sluice run --source eventhub`; the secret
 * only ever comes from the environment. $management READ names the partitions
 * (and, for --until-caught-up, each one's last enqueued sequence number at the
 * start); then one io/eh_rx.h receiver per selected partition, all driven from
 * this thread in turn, hands every event to capture_write() with its partition,
 * sequence number, offset, enqueued time, partition key and body. Nothing is
 * checkpointed. --until-caught-up stops once every partition reached the last
 * sequence number read at the start; otherwise SIGINT/SIGTERM stop it. Either
 * way the receivers are closed first and the capture is finished (flushed,
 * fsynced, closed), then a one-line JSON summary goes to stdout.
 * The capture's namespace is the endpoint's host, as for `sluice run --source
 * eventhub`, so events get the same ids from the capture as from the live hub.
 */
#include "record.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "clock.h"
#include "eh_auth.h"
#include "eh_rx.h"
#include "err.h"
#include "log.h"
#include "text.h"

#define PROG "sluice-replay record"

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

/* Records in a body {"records":[...]}: the elements of the top-level "records"
 * array; 1 for any other body (one record). At most UINT16_MAX. */
static uint32_t count_records(const char *b, size_t n)
{
    size_t i = 0;
    int depth = 0;
    while (i < n) {
        char ch = b[i];
        if (ch == '"') {
            size_t s = ++i;
            while (i < n && b[i] != '"')
                i += b[i] == '\\' ? 2 : 1;
            size_t e = i < n ? i : n;
            i++;
            if (depth != 1 || e - s != 7 || memcmp(b + s, "records", 7) != 0)
                continue;
            size_t j = i;
            while (j < n && (b[j] == ' ' || b[j] == '\t' || b[j] == '\r' || b[j] == '\n'))
                j++;
            if (j >= n || b[j] != ':')
                continue;
            j++;
            while (j < n && (b[j] == ' ' || b[j] == '\t' || b[j] == '\r' || b[j] == '\n'))
                j++;
            if (j >= n || b[j] != '[')
                return 1;
            uint32_t commas = 0;
            bool any = false;
            int d = 0;
            for (j++; j < n; j++) {
                ch = b[j];
                if (ch == '"') {
                    any = true;
                    for (j++; j < n && b[j] != '"'; j++)
                        if (b[j] == '\\')
                            j++;
                    continue;
                }
                if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n')
                    continue;
                if (d == 0 && ch == ']')
                    break;
                if (ch == '{' || ch == '[')
                    d++;
                else if (ch == '}' || ch == ']')
                    d--;
                if (d == 0 && ch == ',')
                    commas++;
                else
                    any = true;
            }
            uint32_t c = any ? commas + 1 : 0;
            return c > UINT16_MAX ? UINT16_MAX : c;
        }
        if (ch == '{' || ch == '[')
            depth++;
        else if (ch == '}' || ch == ']')
            depth--;
        i++;
    }
    return 1;
}

struct rec_part {
    struct capture_writer *w;
    uint32_t p; /* capture partition (the numeric id) */
    struct eh_rx *rx;
    int64_t last;   /* last sequence number written; -1 none */
    int64_t target; /* --until-caught-up: done at this seq; INT64_MAX: never */
    int err;        /* capture_write error (fatal) */
};

/* eh_event_fn: append one event to the capture. */
static int rec_take(void *ctx, const struct eh_event *ev)
{
    struct rec_part *rp = ctx;
    if (rp->last >= rp->target)
        return -EAGAIN; /* caught up: leave the rest on the hub */
    if (ev->seq <= rp->last)
        return 0; /* already written (cannot happen: a reconnect resumes after last) */
    struct capture_event ce = {
        .seq = ev->seq,
        .enq_ms = ev->enq_ms < 0 ? 0 : ev->enq_ms,
        .off = ev->off,
        .off_len = ev->off_len,
        .key = ev->key,
        .key_len = ev->key_len,
        .records = count_records(ev->body, ev->body_len),
        .body = ev->body,
        .body_len = ev->body_len,
    };
    int rc = capture_write(rp->w, rp->p, &ce);
    if (rc) {
        rp->err = rc;
        return rc < 0 ? rc : -EIO;
    }
    rp->last = ev->seq;
    return 0;
}

struct rec_opts {
    const char *out;
    const char *conn_env;
    const char *ns;
    const char *hub;
    const char *cg;
    bool parts_all;
    uint8_t part_set[CAPTURE_MAX_PARTITIONS];
    struct eh_start start;
    bool until;
};

static void rec_help(FILE *o)
{
    fprintf(o,
            "usage: sluice-replay record --out CAPTURE [--connection-string-env VAR | --namespace\n"
            "       HOST --eventhub NAME] [--eventhub NAME] [--consumer-group NAME]\n"
            "       [--partitions all|LIST] [--start earliest|latest|seq:N|offset:S|time:T]\n"
            "       [--until-caught-up]\n\n"
            "Receives a live event hub (over AMQP, as sluice run --source eventhub with the same\n"
            "flags) into a capture: every event's partition, sequence number, offset, enqueued\n"
            "time, partition key and body. Nothing is checkpointed. --until-caught-up: stop once\n"
            "every partition reached the last sequence number $management reported at the start;\n"
            "without it, record until SIGINT/SIGTERM. Either way the capture is finished cleanly\n"
            "and a one-line JSON summary is printed. Defaults: --connection-string-env\n"
            "SLUICE_CONNECTION_STRING, --consumer-group $Default, --partitions all, --start\n"
            "earliest.\n");
}

static int parse_parts(struct rec_opts *o, const char *v)
{
    memset(o->part_set, 0, sizeof(o->part_set));
    o->parts_all = strcmp(v, "all") == 0;
    if (o->parts_all)
        return 0;
    const char *p = v;
    int count = 0;
    while (*p) {
        char *e;
        if (*p < '0' || *p > '9')
            return -EINVAL;
        unsigned long lo = strtoul(p, &e, 10), hi = lo;
        if (*e == '-') {
            if (e[1] < '0' || e[1] > '9')
                return -EINVAL;
            hi = strtoul(e + 1, &e, 10);
        }
        if (lo > hi || hi >= CAPTURE_MAX_PARTITIONS)
            return -EINVAL;
        for (unsigned long i = lo; i <= hi; i++, count++)
            o->part_set[i] = 1;
        if (*e == ',')
            e++;
        else if (*e)
            return -EINVAL;
        p = e;
    }
    return count ? 0 : -EINVAL;
}

/* 0, 1 (--help printed), 2 (usage error printed). */
static int parse(int argc, char **argv, struct rec_opts *o)
{
    static const char *const with_value[] = {"out",      "connection-string-env", "namespace",
                                             "eventhub", "consumer-group",        "partitions",
                                             "start"};
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            rec_help(stdout);
            return 1;
        }
        if (strcmp(a, "--until-caught-up") == 0) {
            o->until = true;
            continue;
        }
        if (strncmp(a, "--", 2) != 0) {
            fprintf(stderr, PROG ": unexpected argument \"%s\" (see " PROG " --help)\n", a);
            return 2;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        size_t k = 0;
        for (; k < sizeof(with_value) / sizeof(with_value[0]); k++)
            if (strlen(with_value[k]) == nlen && strncmp(with_value[k], name, nlen) == 0)
                break;
        if (k == sizeof(with_value) / sizeof(with_value[0])) {
            fprintf(stderr, PROG ": unknown flag --%.*s (see " PROG " --help)\n", (int)nlen, name);
            return 2;
        }
        const char *v = eq ? eq + 1 : NULL;
        if (!v) {
            if (i + 1 >= argc) {
                fprintf(stderr, PROG ": --%s: missing value\n", with_value[k]);
                return 2;
            }
            v = argv[++i];
        }
        char why[256];
        switch (k) {
        case 0:
            o->out = v;
            break;
        case 1:
            o->conn_env = v;
            break;
        case 2:
            o->ns = v;
            break;
        case 3:
            o->hub = v;
            break;
        case 4:
            o->cg = v;
            break;
        case 5:
            if (parse_parts(o, v) != 0) {
                fprintf(stderr,
                        PROG ": --partitions: \"%.100s\" is not all or a list of "
                             "partition ids and ranges like 0-3,8\n",
                        v);
                return 2;
            }
            break;
        default:
            if (eh_start_parse(v, &o->start, why, sizeof(why)) != 0) {
                fprintf(stderr, PROG ": --start: %s\n", why);
                return 2;
            }
            break;
        }
        if (!*v || (k != 5 && k != 6 && strlen(v) > EH_NAME_MAX)) {
            fprintf(stderr, PROG ": --%s: empty or too long\n", with_value[k]);
            return 2;
        }
    }
    if (!o->out || !*o->out) {
        fprintf(stderr, PROG ": --out: missing; give the capture file to write\n");
        return 2;
    }
    if (o->ns && !o->hub) {
        fprintf(stderr, PROG ": --namespace: needs --eventhub NAME too\n");
        return 2;
    }
    return 0;
}

/* Credentials and the receiver template. 0, or 1 after one line on stderr. */
static int setup(const struct rec_opts *o, struct eh_source *src, struct eh_rx_cfg *t)
{
    char why[768];
    if (eh_source_init(src, o->ns, o->conn_env, o->hub, EH_SAS_TTL_DEFAULT_S, t, why,
                       sizeof(why)) != 0) {
        fprintf(stderr, PROG ": %s\n", why);
        return 1;
    }
    snprintf(t->cg, sizeof(t->cg), "%s", o->cg);
    t->start = o->start;
    t->prefetch = 300;
    snprintf(t->receiver_name, sizeof(t->receiver_name), "sluice-record-mgmt");
    return 0;
}

int replay_record_main(int argc, char **argv)
{
    struct rec_opts *o = calloc(1, sizeof(*o));
    struct eh_source *src = calloc(1, sizeof(*src));
    struct eh_rx_cfg *t = calloc(1, sizeof(*t));
    struct eh_hub_info *info = calloc(1, sizeof(*info));
    struct rec_part *parts = NULL;
    struct capture_writer *w = NULL;
    uint32_t nparts = 0;
    int ret = 1;
    if (!o || !src || !t || !info) {
        fprintf(stderr, PROG ": out of memory\n");
        goto out;
    }
    o->conn_env = "SLUICE_CONNECTION_STRING";
    o->cg = "$Default";
    o->parts_all = true;
    o->start.kind = EH_START_EARLIEST;
    int rc = parse(argc, argv, o);
    if (rc) {
        ret = rc == 1 ? 0 : 2;
        goto out;
    }
    if (setup(o, src, t) != 0)
        goto out;
    char why[512];
    rc = eh_mgmt_read(t, true, info, 60000, why, sizeof(why));
    if (rc) {
        fprintf(stderr,
                PROG ": cannot read event hub \"%s\" on %s:%u: %s (%s); sluice check "
                     "with the same flags tells which step fails\n",
                t->hub, t->host, (unsigned)t->port, why, err_str(rc));
        goto out;
    }
    for (uint32_t i = 0; i < info->partitions; i++) {
        char *e;
        unsigned long id = strtoul(info->part[i].id, &e, 10);
        if (*e || e == info->part[i].id || id >= CAPTURE_MAX_PARTITIONS) {
            fprintf(stderr,
                    PROG ": partition id \"%s\" is not a number below %u; a capture "
                         "numbers its partitions\n",
                    info->part[i].id, CAPTURE_MAX_PARTITIONS);
            goto out;
        }
        if (id + 1 > nparts)
            nparts = (uint32_t)id + 1;
    }
    if (!o->parts_all)
        for (uint32_t p = 0; p < CAPTURE_MAX_PARTITIONS; p++)
            if (o->part_set[p] && p >= nparts) {
                fprintf(stderr,
                        PROG ": --partitions: event hub \"%s\" has no partition %u "
                             "(it has %u)\n",
                        t->hub, p, info->partitions);
                goto out;
            }
    parts = calloc(info->partitions, sizeof(*parts));
    if (!parts) {
        fprintf(stderr, PROG ": out of memory\n");
        goto out;
    }
    w = capture_writer_create(o->out, t->host, t->hub, nparts, 0, &rc);
    if (!w) {
        fprintf(stderr, PROG ": --out: cannot create %s: %s\n", o->out, err_str(rc));
        goto out;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGINT, &sa, NULL);
    (void)sigaction(SIGTERM, &sa, NULL);
    uint32_t active = 0;
    for (uint32_t i = 0; i < info->partitions; i++) {
        const struct eh_part_info *pi = &info->part[i];
        struct rec_part *rp = &parts[i];
        rp->w = w;
        rp->p = (uint32_t)strtoul(pi->id, NULL, 10);
        rp->last = -1;
        rp->target = INT64_MAX;
        if (!o->parts_all && !o->part_set[rp->p])
            continue;
        if (o->until) {
            rp->target = pi->empty ? -1 : pi->last_seq;
            if (o->start.kind == EH_START_LATEST ||
                (o->start.kind == EH_START_SEQ && o->start.seq >= rp->target))
                rp->target = -1; /* nothing before the target to read */
            if (rp->target < 0)
                continue;
        }
        struct eh_rx_cfg c = *t;
        snprintf(c.partition, sizeof(c.partition), "%s", pi->id);
        snprintf(c.receiver_name, sizeof(c.receiver_name), "sluice-record-%s", pi->id);
        c.on_event = rec_take;
        c.event_ctx = rp;
        rp->rx = eh_rx_create(&c, &rc);
        if (!rp->rx) {
            fprintf(stderr, PROG ": partition %s: cannot start a receiver: %s\n", pi->id,
                    err_str(rc));
            goto out;
        }
        active++;
    }
    log_info("record: event hub %s/%s: %u partitions, recording %u%s", t->host, t->hub,
             info->partitions, active, o->until ? " until caught up" : " until SIGINT/SIGTERM");
    int fatal = 0;
    while (!g_stop && !fatal) {
        uint32_t busy = 0;
        for (uint32_t i = 0; i < info->partitions && !fatal; i++) {
            struct rec_part *rp = &parts[i];
            if (!rp->rx || rp->last >= rp->target)
                continue;
            busy++;
            eh_rx_set_credit(rp->rx, t->prefetch);
            int n = eh_rx_poll(rp->rx, active > 1 ? 5 : 100);
            if (n < 0)
                fatal = rp->err ? rp->err : n;
        }
        if (busy == 0)
            break;
    }
    for (uint32_t i = 0; i < info->partitions; i++) {
        if (parts[i].rx)
            eh_rx_destroy(parts[i].rx, 2000);
        parts[i].rx = NULL;
    }
    struct capture_totals tot;
    rc = capture_writer_close_totals(w, &tot);
    w = NULL;
    if (fatal) {
        fprintf(stderr, PROG ": writing %s failed: %s (the capture holds what came before)\n",
                o->out, err_str(fatal));
        goto out;
    }
    if (rc) {
        fprintf(stderr, PROG ": finishing %s failed: %s\n", o->out, err_str(rc));
        goto out;
    }
    fputs("{\"path\":", stdout);
    json_fputs(stdout, o->out);
    fputs(",\"namespace\":", stdout);
    json_fputs(stdout, t->host);
    fputs(",\"eventhub\":", stdout);
    json_fputs(stdout, t->hub);
    printf(",\"partitions\":%u,\"messages\":%" PRIu64 ",\"records\":%" PRIu64 ",\"bytes\":%" PRIu64
           ",\"stopped_by_signal\":%s}\n",
           nparts, tot.messages, tot.records, tot.bytes, g_stop ? "true" : "false");
    ret = 0;
out:
    if (parts)
        for (uint32_t i = 0; i < info->partitions; i++)
            if (parts[i].rx)
                eh_rx_destroy(parts[i].rx, 2000);
    if (w && capture_writer_close(w) != 0)
        fprintf(stderr, PROG ": finishing %s failed\n", o->out);
    free(parts);
    if (src)
        memset(src, 0, sizeof(*src)); /* held the key */
    free(src);
    free(t);
    free(info);
    free(o);
    return ret;
}
