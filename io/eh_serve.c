/* eh_serve.c - Event Hubs-compatible AMQP 1.0 endpoint on qpid-proton-c 0.37 (eh_serve.h).
 *
 * DESIGN
 * One proactor, one thread (the caller of eh_serve_run()), so the in-memory hub
 * needs no locks. Proton serializes a connection's events on the thread that
 * called pn_proactor_wait(); we only ever touch another connection's objects by
 * marking our own state and calling pn_connection_wake() on it (epoch steals,
 * new events from a producer), and act on PN_CONNECTION_WAKE.
 *
 *   listener 127.0.0.1:PORT --accept--> conn (SASL ANONYMOUS, idle timeout 60 s on the wire)
 *     [TLS with tls_cert/tls_key: one server pn_ssl_domain, loaded at create so a bad
 *      file fails at start; pn_ssl_init on each accepted transport, no client certs]
 *     session per link (any number)
 *       link target "$cbs"         LK_CBS   requests  -> put-token -> reply on LK_REPLY
 *       link target "$management"  LK_MGMT  requests  -> READ      -> reply on LK_REPLY
 *       link source "$cbs"/"$management"    LK_REPLY  (found by reply-to = link name or
 *                                                      its remote target address)
 *       link source "<hub>/ConsumerGroups/<cg>/Partitions/<p>"  LK_RX  (we send events)
 *       link target "<hub>" or "<hub>/Partitions/<p>"            LK_TX  (producer; we receive)
 *
 * Partitions: an array of events per partition, in sequence order; a receiver is
 * an index into it (k->next), set from the selector filter at attach, advanced
 * while the link has credit (at most EH_PUMP_BURST per turn, then a self-wake so
 * other links get a turn). Events are sent pre-settled, so receivers need no
 * dispositions. Each delivery is hand-encoded:
 *
 *   0x00 0x53 0x71 map32{ last_enqueued_sequence_number: long, last_enqueued_offset: str,
 *                         last_enqueued_time_utc, runtime_info_retrieval_time_utc: timestamp }
 *   0x00 0x53 0x72 map32{ x-opt-sequence-number: long, x-opt-offset: str,
 *                         x-opt-enqueued-time: timestamp, [x-opt-partition-key: str] }
 *   then either 0x00 0x53 0x75 vbin32 <body>          (events from a capture)
 *   or the producer's own sections 0x73..0x78 verbatim (events sent to us)
 *
 * Producer transfers are treated as batch envelopes (message-format 0x80013700
 * is not visible through proton 0.37) when every data section holds an encoded
 * AMQP message; otherwise the transfer itself is one event. Appending wakes the
 * connections of that partition's receivers.
 *
 * Registry per partition: a list of LK_RX links (all consumer groups); epoch rules
 * and the five-readers limit are checked over the links of the same group. A higher
 * (or equal) epoch marks the older links stolen and wakes their connections, which
 * detach them with amqp:link:stolen; a lower epoch, or no epoch while an epoch reader
 * exists, is refused the same way; a sixth non-epoch reader gets
 * amqp:resource-limit-exceeded listing the others' com.microsoft:receiver-name.
 *
 * Timer: one proactor timeout, 100 ms (10 ms with --rate or slow faults): it polls
 * the stop flag, refills the rate bucket (tokens = events, burst <= rate/10) and wakes
 * connections with links so throttled or slowed receivers resume, and those whose
 * SAS token expired unrenewed (their event links are detached as unauthorized-access
 * ExpiredToken, as the service does; a put-token before expiry extends them).
 * Faults are drawn from a seeded splitmix64 per event sent (detach, drop, throttle:
 * the receiver detached as com.microsoft:server-busy) or producer transfer (busy:
 * rejected).
 * Counters (connections, events sent/received, steals, faults) are logged at the end.
 *
 * Memory: every event (capture or produced) stays in memory until exit; this is a
 * test endpoint, not a broker. Refused links and SAS failures never log the token.
 * Links are freed on remote detach or with their connection (PN_TRANSPORT_CLOSED);
 * we never rely on PN_*_FINAL events.
 */
#include "eh_serve.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <proton/codec.h>
#include <proton/condition.h>
#include <proton/connection.h>
#include <proton/delivery.h>
#include <proton/error.h>
#include <proton/event.h>
#include <proton/link.h>
#include <proton/listener.h>
#include <proton/message.h>
#include <proton/netaddr.h>
#include <proton/proactor.h>
#include <proton/sasl.h>
#include <proton/session.h>
#include <proton/ssl.h>
#include <proton/terminus.h>
#include <proton/transport.h>

#include "clock.h"
#include "eh_auth.h"
#include "log.h"

#define EH_PUMP_BURST 256  /* events per link per turn */
#define EH_REQ_CREDIT 64   /* credit on $cbs / $management request links */
#define EH_TX_CREDIT 256   /* credit on producer links */
#define EH_TICK_MS 100     /* stop-flag poll */
#define EH_FAST_TICK_MS 10 /* with --rate or slow faults */
#define EH_IDLE_MS 120000  /* proton advertises half: 60 s, as the SDKs */
#define EH_OFF_MAX 32

enum lk_kind { LK_NONE, LK_CBS, LK_MGMT, LK_REPLY, LK_RX, LK_TX };

struct obuf {
    struct obuf *next;
    size_t n;
    char data[];
};

struct ev {
    int64_t seq, enq_ms;
    uint32_t off_len, key_len, pay_len;
    bool sections; /* payload is AMQP sections (from a producer), else a data body */
    char *mem;     /* off | key | payload */
};

struct lnk;

struct part {
    struct ev *ev;
    size_t n, cap;
    uint64_t next_off; /* offset of the next appended event */
    struct lnk *rx;    /* receiver links on this partition, all groups */
};

struct conn {
    pn_connection_t *pc;
    struct eh_serve *s;
    struct lnk *links;
    struct conn *next, *prev; /* s->conns */
    bool authorized;
    int64_t auth_exp_s; /* expiry (se) of the latest accepted SAS token; 0: none */
};

struct lnk {
    enum lk_kind kind;
    pn_link_t *l;
    struct conn *c;
    struct lnk *cnext; /* c->links */
    struct lnk *pnext; /* part->rx (LK_RX) */
    bool closed, stolen, registered;
    char *in; /* incoming message bytes (receiving links) */
    size_t in_len, in_cap;
    struct obuf *qh, *qt; /* replies waiting for credit (LK_REPLY) */
    uint64_t tag;
    /* LK_RX */
    uint32_t part, cg;
    size_t next;
    bool has_epoch;
    int64_t epoch;
    int64_t slow_until_ms;
    char rname[96];
    /* LK_TX */
    int32_t tx_part; /* -1: the hub (partition chosen per event) */
};

struct eh_serve {
    char host[256], port[16], hub[CAPTURE_NAME_MAX + 1];
    char *cg[EH_SERVE_MAX_CGS];
    size_t ncg;
    uint32_t np;
    int64_t created_ms;
    char *key_name, *key;
    uint64_t rate;
    struct eh_serve_faults faults;
    uint64_t rng;
    void (*on_listen)(const char *host, const char *port, void *arg);
    void *arg;
    const volatile sig_atomic_t *stop;

    struct part *parts;
    struct conn *conns;
    pn_proactor_t *px;
    pn_listener_t *ln;
    pn_ssl_domain_t *ssl; /* NULL: plain AMQP */
    pn_message_t *req, *resp;
    pn_data_t *sec;   /* section walker */
    pn_rwbytes_t enc; /* reply encode buffer */
    char *eb;         /* event encode buffer */
    size_t eb_cap;
    int listen_err;
    bool listening, stopping;
    double tokens;
    int64_t refill_ms;
    uint32_t rr;
    int64_t last_enq_ms;
    /* counters, logged when the loop ends */
    uint64_t n_conns, n_sent, n_received, n_detach, n_drop, n_busy, n_throttle, n_stolen, n_expired;
};

/* ---- small helpers ------------------------------------------------------------------ */

static char *dupn(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

static double rnd01(struct eh_serve *s)
{
    /* splitmix64 */
    uint64_t z = (s->rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

static bool bytes_eq(pn_bytes_t b, const char *s)
{
    size_t n = strlen(s);
    return b.size == n && memcmp(b.start, s, n) == 0;
}

static bool bytes_ieq(const char *a, size_t an, const char *b)
{
    size_t n = strlen(b);
    return an == n && strncasecmp(a, b, n) == 0;
}

static bool parse_i64(const char *s, size_t n, int64_t *v)
{
    bool neg = false;
    int64_t x = 0;
    size_t i = 0;
    if (n > 0 && s[0] == '-') {
        neg = true;
        i = 1;
    }
    if (i == n)
        return false;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        if (__builtin_mul_overflow(x, 10, &x) || __builtin_add_overflow(x, s[i] - '0', &x))
            return false;
    }
    *v = neg ? -x : x;
    return true;
}

static bool grow(char **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return true;
    size_t n = *cap ? *cap : 4096;
    while (n < need)
        n *= 2;
    char *p = realloc(*buf, n);
    if (!p)
        return false;
    *buf = p;
    *cap = n;
    return true;
}

static uint8_t *put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
    return p + 4;
}

static uint8_t *put_be64(uint8_t *p, uint64_t v)
{
    p = put_be32(p, (uint32_t)(v >> 32));
    return put_be32(p, (uint32_t)v);
}

static uint8_t *put_sym(uint8_t *p, const char *s)
{
    size_t n = strlen(s);
    *p++ = 0xa3; /* sym8 */
    *p++ = (uint8_t)n;
    memcpy(p, s, n);
    return p + n;
}

static uint8_t *put_str(uint8_t *p, const char *s, size_t n)
{
    *p++ = 0xb1; /* str32-utf8 */
    p = put_be32(p, (uint32_t)n);
    memcpy(p, s, n);
    return p + n;
}

/* ---- store -------------------------------------------------------------------------- */

/* Append an event; seq is given (capture) or assigned (seq < 0). 0 or -ENOMEM/-EINVAL. */
static int part_append(struct eh_serve *s, uint32_t pi, int64_t seq, int64_t enq_ms,
                       const char *off, size_t off_len, const char *key, size_t key_len,
                       const char *pay, size_t pay_len, bool sections)
{
    struct part *p = &s->parts[pi];
    char offbuf[EH_OFF_MAX];
    if (seq < 0) {
        seq = p->n ? p->ev[p->n - 1].seq + 1 : 0;
        int n = snprintf(offbuf, sizeof(offbuf), "%" PRIu64, p->next_off);
        off = offbuf;
        off_len = (size_t)n;
    } else if (p->n && seq <= p->ev[p->n - 1].seq) {
        return -EINVAL;
    }
    if (off_len > UINT16_MAX || key_len > UINT16_MAX || pay_len > UINT32_MAX)
        return -EINVAL;
    if (p->n == p->cap) {
        size_t nc = p->cap ? p->cap * 2 : 1024;
        struct ev *e = realloc(p->ev, nc * sizeof(*e));
        if (!e)
            return -ENOMEM;
        p->ev = e;
        p->cap = nc;
    }
    char *mem = malloc(off_len + key_len + pay_len + 1);
    if (!mem)
        return -ENOMEM;
    memcpy(mem, off, off_len);
    if (key_len)
        memcpy(mem + off_len, key, key_len);
    if (pay_len)
        memcpy(mem + off_len + key_len, pay, pay_len);
    p->ev[p->n++] = (struct ev){.seq = seq,
                                .enq_ms = enq_ms,
                                .off_len = (uint32_t)off_len,
                                .key_len = (uint32_t)key_len,
                                .pay_len = (uint32_t)pay_len,
                                .sections = sections,
                                .mem = mem};
    int64_t o;
    if (parse_i64(off, off_len, &o) && o >= 0 && (uint64_t)o + pay_len > p->next_off)
        p->next_off = (uint64_t)o + pay_len;
    return 0;
}

/* ---- links -------------------------------------------------------------------------- */

static void rx_unregister(struct eh_serve *s, struct lnk *k)
{
    if (!k->registered)
        return;
    struct lnk **pp = &s->parts[k->part].rx;
    while (*pp && *pp != k)
        pp = &(*pp)->pnext;
    if (*pp)
        *pp = k->pnext;
    k->pnext = NULL;
    k->registered = false;
}

static void lnk_free(struct eh_serve *s, struct lnk *k)
{
    rx_unregister(s, k);
    struct lnk **pp = &k->c->links;
    while (*pp && *pp != k)
        pp = &(*pp)->cnext;
    if (*pp)
        *pp = k->cnext;
    for (struct obuf *o = k->qh, *nx; o; o = nx) {
        nx = o->next;
        free(o);
    }
    if (k->l)
        pn_link_set_context(k->l, NULL);
    free(k->in);
    free(k);
}

static void lnk_close(struct eh_serve *s, struct lnk *k, const char *cond, const char *desc)
{
    if (k->closed)
        return;
    if (cond) {
        pn_condition_t *c = pn_link_condition(k->l);
        pn_condition_set_name(c, cond);
        pn_condition_set_description(c, desc);
    }
    pn_link_close(k->l);
    k->closed = true;
    rx_unregister(s, k);
}

/* Answer an attach we will not serve: echo it, then detach with cond. */
static void refuse(pn_link_t *l, const char *cond, const char *desc)
{
    log_dbg("serve: refusing a link: %s desc=\"%s\"", cond, desc);
    pn_terminus_copy(pn_link_source(l), pn_link_remote_source(l));
    pn_terminus_copy(pn_link_target(l), pn_link_remote_target(l));
    /* A null terminus on our side of the data path tells the peer we refused. */
    if (pn_link_is_sender(l))
        pn_terminus_set_type(pn_link_source(l), PN_UNSPECIFIED);
    else
        pn_terminus_set_type(pn_link_target(l), PN_UNSPECIFIED);
    pn_link_open(l);
    pn_condition_t *c = pn_link_condition(l);
    pn_condition_set_name(c, cond);
    pn_condition_set_description(c, desc);
    pn_link_close(l);
}

static void send_bytes(struct lnk *k, const char *b, size_t n)
{
    uint64_t tag = k->tag++;
    pn_delivery_t *d = pn_delivery(k->l, pn_dtag((const char *)&tag, sizeof(tag)));
    (void)pn_link_send(k->l, b, n);
    (void)pn_link_advance(k->l);
    pn_delivery_settle(d); /* pre-settled: no dispositions needed */
}

static void reply_flush(struct lnk *k)
{
    while (k->qh && !k->closed && pn_link_credit(k->l) > 0) {
        struct obuf *o = k->qh;
        k->qh = o->next;
        if (!k->qh)
            k->qt = NULL;
        send_bytes(k, o->data, o->n);
        free(o);
    }
}

static struct lnk *find_reply(struct conn *c, const char *to)
{
    for (struct lnk *k = c->links; k; k = k->cnext) {
        if (k->kind != LK_REPLY || k->closed)
            continue;
        const char *name = pn_link_name(k->l);
        const char *ta = pn_terminus_get_address(pn_link_remote_target(k->l));
        if ((name && strcmp(name, to) == 0) || (ta && strcmp(ta, to) == 0))
            return k;
    }
    return NULL;
}

/* ---- event delivery ----------------------------------------------------------------- */

/* Encode e, an event of partition pt, as a delivery into s->eb. Its length, or 0
 * when out of memory. */
static size_t encode_event(struct eh_serve *s, const struct part *pt, const struct ev *e)
{
    const struct ev *last = &pt->ev[pt->n - 1];
    size_t need = 512 + e->off_len + e->key_len + e->pay_len + last->off_len;
    if (!grow(&s->eb, &s->eb_cap, need))
        return 0;
    uint8_t *b = (uint8_t *)s->eb, *p = b;
    /* delivery-annotations: the runtime metric (eventhubs.md §1.4). Always sent, since
     * proton 0.37 cannot read the desired capability that asks for it. */
    *p++ = 0x00;
    *p++ = 0x53;
    *p++ = 0x71;
    *p++ = 0xd1;
    uint8_t *dsize_at = p;
    p += 8;
    uint8_t *dstart = p;
    p = put_sym(p, "last_enqueued_sequence_number");
    *p++ = 0x81;
    p = put_be64(p, (uint64_t)last->seq);
    p = put_sym(p, "last_enqueued_offset");
    p = put_str(p, last->mem, last->off_len);
    p = put_sym(p, "last_enqueued_time_utc");
    *p++ = 0x83;
    p = put_be64(p, (uint64_t)last->enq_ms);
    p = put_sym(p, "runtime_info_retrieval_time_utc");
    *p++ = 0x83;
    p = put_be64(p, (uint64_t)clock_real_ms());
    (void)put_be32(put_be32(dsize_at, (uint32_t)(p - dstart) + 4), 8);
    *p++ = 0x00;
    *p++ = 0x53;
    *p++ = 0x72;
    *p++ = 0xd1; /* map32: size (bytes after it), count (keys + values) */
    uint8_t *size_at = p;
    p += 8;
    uint8_t *start = p;
    uint32_t count = 6;
    p = put_sym(p, "x-opt-sequence-number");
    *p++ = 0x81; /* long */
    p = put_be64(p, (uint64_t)e->seq);
    p = put_sym(p, "x-opt-offset");
    p = put_str(p, e->mem, e->off_len);
    p = put_sym(p, "x-opt-enqueued-time");
    *p++ = 0x83; /* timestamp */
    p = put_be64(p, (uint64_t)e->enq_ms);
    if (e->key_len) {
        p = put_sym(p, "x-opt-partition-key");
        p = put_str(p, e->mem + e->off_len, e->key_len);
        count += 2;
    }
    (void)put_be32(put_be32(size_at, (uint32_t)(p - start) + 4), count);
    const char *pay = e->mem + e->off_len + e->key_len;
    if (!e->sections) {
        *p++ = 0x00;
        *p++ = 0x53;
        *p++ = 0x75;
        *p++ = 0xb0; /* vbin32 */
        p = put_be32(p, e->pay_len);
    }
    memcpy(p, pay, e->pay_len);
    p += e->pay_len;
    return (size_t)(p - b);
}

static void send_event(struct eh_serve *s, struct lnk *k, const struct ev *e)
{
    size_t n = encode_event(s, &s->parts[k->part], e);
    if (!n) {
        lnk_close(s, k, "amqp:internal-error", "out of memory");
        return;
    }
    send_bytes(k, s->eb, n);
}

static void conn_drop(struct conn *c, const char *cond, const char *desc)
{
    pn_condition_t *cd = pn_connection_condition(c->pc);
    pn_condition_set_name(cd, cond);
    pn_condition_set_description(cd, desc);
    pn_connection_close(c->pc);
}

/* Send what credit allows. Returns false when the connection was dropped. */
static bool pump(struct eh_serve *s, struct lnk *k)
{
    if (k->kind != LK_RX || k->closed || k->stolen)
        return true;
    struct part *p = &s->parts[k->part];
    int64_t now = 0;
    if (s->faults.slow_ms) {
        now = clock_mono_ms();
        if (now < k->slow_until_ms)
            return true;
    }
    unsigned sent = 0;
    while (k->next < p->n && pn_link_credit(k->l) > 0 && sent < EH_PUMP_BURST) {
        if (s->rate && s->tokens < 1.0)
            break;
        if (s->faults.detach > 0 && rnd01(s) < s->faults.detach) {
            lnk_close(s, k, "amqp:link:detach-forced", "injected fault: detach");
            s->n_detach++;
            return true;
        }
        if (s->faults.drop > 0 && rnd01(s) < s->faults.drop) {
            conn_drop(k->c, "amqp:connection:forced", "injected fault: drop");
            s->n_drop++;
            return false;
        }
        if (s->faults.throttle > 0 && rnd01(s) < s->faults.throttle) {
            /* egress throttling: the service detaches the receiver as server-busy */
            lnk_close(s, k, "com.microsoft:server-busy",
                      "injected fault: server busy (throttled), retry later");
            s->n_throttle++;
            return true;
        }
        send_event(s, k, &p->ev[k->next]);
        if (k->closed)
            return true;
        k->next++;
        sent++;
        s->n_sent++;
        if (s->rate)
            s->tokens -= 1.0;
    }
    if (s->faults.slow_ms && sent)
        k->slow_until_ms = now + s->faults.slow_ms;
    if (sent == EH_PUMP_BURST && k->next < p->n && pn_link_credit(k->l) > 0)
        pn_connection_wake(k->c->pc);
    return true;
}

/* The connection's token expired without a renewal: detach its event links as the
 * service does; they may attach again after a new put-token. */
static void conn_expire(struct eh_serve *s, struct conn *c)
{
    char d[300];
    snprintf(d, sizeof(d),
             "Unauthorized: ExpiredToken: the SAS token signed with key name '%s' expired at "
             "%" PRId64 " and was not renewed on $cbs; put a new token before the old one expires",
             s->key_name, c->auth_exp_s);
    c->authorized = false;
    c->auth_exp_s = 0;
    s->n_expired++;
    for (struct lnk *k = c->links; k; k = k->cnext)
        if ((k->kind == LK_RX || k->kind == LK_TX) && !k->closed)
            lnk_close(s, k, "amqp:unauthorized-access", d);
}

static bool conn_expired(const struct eh_serve *s, const struct conn *c, int64_t now_s)
{
    return s->key_name && c->authorized && c->auth_exp_s > 0 && now_s >= c->auth_exp_s;
}

static void conn_pump(struct eh_serve *s, struct conn *c)
{
    if (c->auth_exp_s && conn_expired(s, c, clock_real_ms() / 1000))
        conn_expire(s, c);
    for (struct lnk *k = c->links; k; k = k->cnext) {
        if (k->kind == LK_RX && k->stolen && !k->closed && ++s->n_stolen)
            lnk_close(s, k, "amqp:link:stolen",
                      "New receiver with higher epoch is created hence current receiver is "
                      "getting disconnected");
    }
    for (struct lnk *k = c->links; k; k = k->cnext)
        if (!pump(s, k))
            return;
}

/* ---- request/response nodes ---------------------------------------------------------- */

/* Look up a string (or symbol) value in the application-properties map. */
static bool ap_get(pn_data_t *d, const char *key, pn_bytes_t *out)
{
    bool ok = false;
    pn_data_rewind(d);
    if (!pn_data_next(d) || pn_data_type(d) != PN_MAP)
        return false;
    pn_data_enter(d);
    if (pn_data_lookup(d, key)) {
        if (pn_data_type(d) == PN_STRING) {
            *out = pn_data_get_string(d);
            ok = true;
        } else if (pn_data_type(d) == PN_SYMBOL) {
            *out = pn_data_get_symbol(d);
            ok = true;
        }
    }
    pn_data_exit(d);
    return ok;
}

static void put_kv_str(pn_data_t *d, const char *k, const char *v, size_t vn)
{
    pn_data_put_string(d, pn_bytes(strlen(k), k));
    pn_data_put_string(d, pn_bytes(vn, v));
}

static void put_key(pn_data_t *d, const char *k)
{
    pn_data_put_string(d, pn_bytes(strlen(k), k));
}

/* Start a response to s->req: correlation-id, status properties. The caller may
 * then fill pn_message_body(s->resp) and calls respond(). */
static void resp_begin(struct eh_serve *s, int status, const char *desc, const char *cond)
{
    pn_message_t *r = s->resp;
    pn_message_clear(r);
    pn_message_set_correlation_id(r, pn_message_get_id(s->req));
    pn_data_t *ap = pn_message_properties(r);
    pn_data_put_map(ap);
    pn_data_enter(ap);
    put_key(ap, "status-code");
    pn_data_put_int(ap, status);
    put_kv_str(ap, "status-description", desc, strlen(desc));
    if (cond)
        put_kv_str(ap, "error-condition", cond, strlen(cond));
    pn_data_exit(ap);
}

static void respond(struct eh_serve *s, struct conn *c)
{
    const char *to = pn_message_get_reply_to(s->req);
    struct lnk *k = to ? find_reply(c, to) : NULL;
    if (!k) {
        LOG_RATELIMITED(1000, LOG_WARN, "serve: no reply link for a request reply_to=\"%s\"",
                        to ? to : "");
        return;
    }
    const char *rt = pn_message_get_reply_to(s->req);
    if (rt)
        pn_message_set_address(s->resp, rt);
    ssize_t n = pn_message_encode2(s->resp, &s->enc);
    if (n < 0) {
        log_warn("serve: pn_message_encode2() failed: %s",
                 pn_error_text(pn_message_error(s->resp)));
        return;
    }
    struct obuf *o = malloc(sizeof(*o) + (size_t)n);
    if (!o)
        return;
    o->next = NULL;
    o->n = (size_t)n;
    memcpy(o->data, s->enc.start, (size_t)n);
    if (k->qt)
        k->qt->next = o;
    else
        k->qh = o;
    k->qt = o;
    reply_flush(k);
}

/* "scheme://host/path" or "/path" or "path" -> "path" (no leading slash). */
static const char *strip_uri(const char *a, size_t *n)
{
    const char *e = a + *n;
    const char *sch = NULL;
    for (const char *p = a; p + 2 < e; p++) {
        if (p[0] == ':' && p[1] == '/' && p[2] == '/') {
            sch = p + 3;
            break;
        }
        if (*p == '/')
            break;
    }
    if (sch) {
        const char *sl = memchr(sch, '/', (size_t)(e - sch));
        a = sl ? sl : e;
    }
    while (a < e && *a == '/')
        a++;
    *n = (size_t)(e - a);
    return a;
}

/* Does a token for audience aud cover the entity name? Both as URIs; the scheme
 * and host are ignored (SDKs differ: sb://, amqps://), the path is a prefix. */
static bool audience_covers(const char *aud, const char *name, size_t name_n)
{
    size_t an = strlen(aud);
    const char *a = strip_uri(aud, &an);
    const char *nm = strip_uri(name, &name_n);
    while (an && a[an - 1] == '/')
        an--;
    if (an == 0)
        return true; /* namespace-wide token */
    if (name_n < an || strncasecmp(a, nm, an) != 0)
        return false;
    return name_n == an || nm[an] == '/';
}

static void handle_cbs(struct eh_serve *s, struct conn *c)
{
    pn_data_t *ap = pn_message_properties(s->req);
    pn_bytes_t op = {0}, type = {0}, name = {0};
    if (!ap_get(ap, "operation", &op) || !bytes_eq(op, "put-token")) {
        resp_begin(s, 400, "Unsupported $cbs operation (expected put-token)",
                   "com.microsoft:argument-error");
        respond(s, c);
        return;
    }
    (void)ap_get(ap, "type", &type);
    (void)ap_get(ap, "name", &name);
    if (!s->key_name) {
        c->authorized = true;
        resp_begin(s, 202, "Accepted", NULL);
        respond(s, c);
        return;
    }
    char desc[512];
    pn_data_t *body = pn_message_body(s->req);
    pn_data_rewind(body);
    char *tok = NULL;
    if (pn_data_next(body) && pn_data_type(body) == PN_STRING) {
        pn_bytes_t b = pn_data_get_string(body);
        tok = dupn(b.start, b.size);
    }
    int rc = -EINVAL;
    char aud[1024] = "", skn[80] = "";
    const char *kp = tok ? strstr(tok, "skn=") : NULL;
    for (size_t i = 0; kp && i < sizeof(skn) - 1 && kp[4 + i] && kp[4 + i] != '&'; i++) {
        char ch = kp[4 + i];
        skn[i] = (ch >= 0x20 && ch < 0x7f && ch != '\'' && ch != '"') ? ch : '?';
        skn[i + 1] = '\0';
    }
    if (!bytes_eq(type, "servicebus.windows.net:sastoken")) {
        snprintf(desc, sizeof(desc),
                 "Unauthorized: only SAS tokens (servicebus.windows.net:sastoken) signed with "
                 "key name '%s' are accepted here",
                 s->key_name);
        rc = 1;
    } else if (tok) {
        rc = eh_sas_verify(tok, s->key_name, s->key, clock_real_ms() / 1000, aud, sizeof(aud));
    }
    int64_t se = 0;
    const char *sp = tok ? strstr(tok, "&se=") : NULL;
    if (!sp && tok)
        sp = strstr(tok, " se=");
    if (sp)
        se = strtoll(sp + 4, NULL, 10); /* verified above when rc == 0 */
    free(tok);
    if (rc == 0 && !audience_covers(aud, name.start ? name.start : "", name.size)) {
        snprintf(desc, sizeof(desc),
                 "Unauthorized: the SAS token for key name '%s' is for audience '%s', which does "
                 "not cover '%.*s'",
                 s->key_name, aud, (int)MIN(name.size, 300u), name.start ? name.start : "");
        rc = 1;
    }
    if (rc == 0) {
        c->authorized = true;
        if (se > c->auth_exp_s)
            c->auth_exp_s = se; /* a renewal extends the connection's links */
        resp_begin(s, 202, "Accepted", NULL);
        respond(s, c);
        return;
    }
    if (rc == -EACCES)
        snprintf(desc, sizeof(desc),
                 "Unauthorized: InvalidSignature: the token has an invalid signature or is not "
                 "signed with key name '%s' (the token names key '%s')",
                 s->key_name, skn);
    else if (rc == -ETIMEDOUT)
        snprintf(desc, sizeof(desc),
                 "Unauthorized: ExpiredToken: the token signed with key name '%s' has expired",
                 s->key_name);
    else if (rc != 1)
        snprintf(desc, sizeof(desc),
                 "Unauthorized: MalformedToken: not a SAS token signed with key name '%s'",
                 s->key_name);
    resp_begin(s, 401, desc, "amqp:unauthorized-access");
    respond(s, c);
}

static void handle_mgmt(struct eh_serve *s, struct conn *c)
{
    pn_data_t *ap = pn_message_properties(s->req);
    pn_bytes_t op = {0}, type = {0}, name = {0}, part = {0};
    if (!ap_get(ap, "operation", &op) || !bytes_eq(op, "READ")) {
        resp_begin(s, 400, "Unsupported $management operation (only READ)",
                   "com.microsoft:argument-error");
        respond(s, c);
        return;
    }
    (void)ap_get(ap, "type", &type);
    (void)ap_get(ap, "name", &name);
    if (s->key_name && !c->authorized) {
        resp_begin(s, 401, "Unauthorized: put a token on $cbs first", "amqp:unauthorized-access");
        respond(s, c);
        return;
    }
    if (!name.start || !bytes_ieq(name.start, name.size, s->hub)) {
        char d[400];
        snprintf(d, sizeof(d), "The messaging entity '%.*s' could not be found (this hub is '%s')",
                 (int)MIN(name.size, 255u), name.start ? name.start : "", s->hub);
        resp_begin(s, 404, d, "amqp:not-found");
        respond(s, c);
        return;
    }
    if (bytes_eq(type, "com.microsoft:eventhub")) {
        resp_begin(s, 200, "OK", NULL);
        pn_data_t *b = pn_message_body(s->resp);
        pn_data_put_map(b);
        pn_data_enter(b);
        put_kv_str(b, "name", s->hub, strlen(s->hub));
        put_kv_str(b, "type", "com.microsoft:eventhub", 22);
        put_key(b, "created_at");
        pn_data_put_timestamp(b, s->created_ms);
        put_key(b, "partition_count");
        pn_data_put_int(b, (int32_t)s->np);
        put_key(b, "partition_ids");
        pn_data_put_array(b, false, PN_STRING);
        pn_data_enter(b);
        for (uint32_t i = 0; i < s->np; i++) {
            char id[16];
            int n = snprintf(id, sizeof(id), "%" PRIu32, i);
            pn_data_put_string(b, pn_bytes((size_t)n, id));
        }
        pn_data_exit(b);
        pn_data_exit(b);
        respond(s, c);
        return;
    }
    if (bytes_eq(type, "com.microsoft:partition")) {
        int64_t pi = -1;
        if (!ap_get(ap, "partition", &part) || !parse_i64(part.start, part.size, &pi) || pi < 0 ||
            pi >= (int64_t)s->np) {
            char d[200];
            snprintf(d, sizeof(d), "Partition '%.*s' does not exist in hub '%s' (0..%" PRIu32 ")",
                     (int)MIN(part.size, 64u), part.start ? part.start : "", s->hub, s->np - 1);
            resp_begin(s, 404, d, "amqp:not-found");
            respond(s, c);
            return;
        }
        const struct part *p = &s->parts[pi];
        resp_begin(s, 200, "OK", NULL);
        pn_data_t *b = pn_message_body(s->resp);
        pn_data_put_map(b);
        pn_data_enter(b);
        put_kv_str(b, "name", s->hub, strlen(s->hub));
        put_kv_str(b, "type", "com.microsoft:partition", 23);
        put_kv_str(b, "partition", part.start, part.size);
        const struct ev *last = p->n ? &p->ev[p->n - 1] : NULL;
        put_key(b, "begin_sequence_number");
        pn_data_put_long(b, p->n ? p->ev[0].seq : -1);
        put_key(b, "last_enqueued_sequence_number");
        pn_data_put_long(b, last ? last->seq : -1);
        if (last)
            put_kv_str(b, "last_enqueued_offset", last->mem, last->off_len);
        else
            put_kv_str(b, "last_enqueued_offset", "-1", 2);
        put_key(b, "last_enqueued_time_utc");
        pn_data_put_timestamp(b, last ? last->enq_ms : 0);
        put_key(b, "is_partition_empty");
        pn_data_put_bool(b, p->n == 0);
        pn_data_exit(b);
        respond(s, c);
        return;
    }
    char d[200];
    snprintf(d, sizeof(d), "Unknown READ type '%.*s'", (int)MIN(type.size, 100u),
             type.start ? type.start : "");
    resp_begin(s, 400, d, "com.microsoft:argument-error");
    respond(s, c);
}

/* ---- receiver links (we send) -------------------------------------------------------- */

enum sel_field { SEL_OFFSET, SEL_SEQ, SEL_TIME };

struct sel {
    enum sel_field field;
    bool incl;
    const char *v;
    size_t vn;
};

/* amqp.annotation.<field> (>|>=) ('value'|value), spacing free. 0 or -EINVAL. */
static int sel_parse(const char *e, size_t n, struct sel *sl)
{
    const char *p = e, *end = e + n;
    while (p < end && isspace((unsigned char)*p))
        p++;
    if ((size_t)(end - p) < 16 || strncasecmp(p, "amqp.annotation.", 16) != 0)
        return -EINVAL;
    p += 16;
    const char *f = p;
    while (p < end && !isspace((unsigned char)*p) && *p != '>' && *p != '=' && *p != '<')
        p++;
    size_t fn = (size_t)(p - f);
    if (bytes_ieq(f, fn, "x-opt-offset"))
        sl->field = SEL_OFFSET;
    else if (bytes_ieq(f, fn, "x-opt-sequence-number"))
        sl->field = SEL_SEQ;
    else if (bytes_ieq(f, fn, "x-opt-enqueued-time") || bytes_ieq(f, fn, "x-opt-enqueuedtimeutc"))
        sl->field = SEL_TIME;
    else
        return -EINVAL;
    while (p < end && isspace((unsigned char)*p))
        p++;
    if (p == end || *p != '>')
        return -EINVAL;
    p++;
    sl->incl = p < end && *p == '=';
    if (sl->incl)
        p++;
    while (p < end && isspace((unsigned char)*p))
        p++;
    if (p < end && *p == '\'') {
        sl->v = ++p;
        while (p < end && *p != '\'')
            p++;
        if (p == end)
            return -EINVAL;
        sl->vn = (size_t)(p - sl->v);
        p++;
    } else {
        sl->v = p;
        while (p < end && !isspace((unsigned char)*p))
            p++;
        sl->vn = (size_t)(p - sl->v);
    }
    while (p < end && isspace((unsigned char)*p))
        p++;
    return p == end && sl->vn > 0 ? 0 : -EINVAL;
}

/* Index of the first event the selector admits; -1 when it names no position. */
static int64_t sel_start(const struct part *p, const struct sel *sl)
{
    int64_t v;
    size_t i = 0;
    switch (sl->field) {
    case SEL_OFFSET:
        if (bytes_ieq(sl->v, sl->vn, "@latest"))
            return (int64_t)p->n;
        if (sl->vn == 2 && memcmp(sl->v, "-1", 2) == 0)
            return 0;
        for (i = 0; i < p->n; i++)
            if (p->ev[i].off_len == sl->vn && memcmp(p->ev[i].mem, sl->v, sl->vn) == 0)
                return (int64_t)(sl->incl ? i : i + 1);
        if (!parse_i64(sl->v, sl->vn, &v))
            return -1;
        /* A numeric offset between events: the first one after it. */
        for (i = 0; i < p->n; i++) {
            int64_t o;
            if (parse_i64(p->ev[i].mem, p->ev[i].off_len, &o) && (sl->incl ? o >= v : o > v))
                break;
        }
        return (int64_t)i;
    case SEL_SEQ:
        if (!parse_i64(sl->v, sl->vn, &v))
            return -1;
        for (i = 0; i < p->n && (sl->incl ? p->ev[i].seq < v : p->ev[i].seq <= v); i++) {
        }
        return (int64_t)i;
    case SEL_TIME:
        if (!parse_i64(sl->v, sl->vn, &v))
            return -1;
        for (i = 0; i < p->n && (sl->incl ? p->ev[i].enq_ms < v : p->ev[i].enq_ms <= v); i++) {
        }
        return (int64_t)i;
    }
    return -1;
}

/* The selector expression of a source filter, if any. */
static bool filter_expr(pn_data_t *f, pn_bytes_t *out)
{
    bool ok = false;
    pn_data_rewind(f);
    if (!pn_data_next(f) || pn_data_type(f) != PN_MAP)
        return false;
    pn_data_enter(f);
    while (pn_data_next(f)) {
        bool hit =
            (pn_data_type(f) == PN_SYMBOL || pn_data_type(f) == PN_STRING) &&
            bytes_eq(pn_data_type(f) == PN_SYMBOL ? pn_data_get_symbol(f) : pn_data_get_string(f),
                     "apache.org:selector-filter:string");
        if (!pn_data_next(f))
            break;
        if (!hit)
            continue;
        if (pn_data_type(f) == PN_DESCRIBED) {
            pn_data_enter(f);
            pn_data_next(f); /* descriptor */
            if (pn_data_next(f) && pn_data_type(f) == PN_STRING) {
                *out = pn_data_get_string(f);
                ok = true;
            }
            pn_data_exit(f);
        } else if (pn_data_type(f) == PN_STRING) {
            *out = pn_data_get_string(f);
            ok = true;
        }
        break;
    }
    pn_data_exit(f);
    return ok;
}

/* Link properties: epoch (any integer type) and receiver-name. */
static void link_props(pn_link_t *l, struct lnk *k)
{
    pn_data_t *d = pn_link_remote_properties(l);
    if (!d)
        return;
    pn_data_rewind(d);
    if (!pn_data_next(d) || pn_data_type(d) != PN_MAP)
        return;
    pn_data_enter(d);
    if (pn_data_lookup(d, "com.microsoft:epoch")) {
        k->has_epoch = true;
        switch (pn_data_type(d)) {
        case PN_LONG:
            k->epoch = pn_data_get_long(d);
            break;
        case PN_INT:
            k->epoch = pn_data_get_int(d);
            break;
        case PN_UINT:
            k->epoch = pn_data_get_uint(d);
            break;
        case PN_ULONG:
            k->epoch = (int64_t)pn_data_get_ulong(d);
            break;
        case PN_SHORT:
            k->epoch = pn_data_get_short(d);
            break;
        default:
            k->has_epoch = false;
            break;
        }
    }
    pn_data_rewind(d);
    pn_data_next(d);
    pn_data_enter(d);
    if (pn_data_lookup(d, "com.microsoft:receiver-name") && pn_data_type(d) == PN_STRING) {
        pn_bytes_t b = pn_data_get_string(d);
        snprintf(k->rname, sizeof(k->rname), "%.*s", (int)MIN(b.size, sizeof(k->rname) - 1),
                 b.start);
    }
    pn_data_exit(d);
}

/* "<hub>/ConsumerGroups/<cg>/Partitions/<id>" -> cg index, partition. 0, or
 * -ENOENT with a description. */
static int parse_source(struct eh_serve *s, const char *addr, uint32_t *cg, uint32_t *part,
                        char *why, size_t wn)
{
    size_t n = strlen(addr);
    const char *a = strip_uri(addr, &n);
    const char *seg[5];
    size_t segn[5];
    int ns = 0;
    const char *p = a, *e = a + n;
    while (p <= e && ns < 5) {
        const char *sl = memchr(p, '/', (size_t)(e - p));
        if (!sl)
            sl = e;
        seg[ns] = p;
        segn[ns++] = (size_t)(sl - p);
        p = sl + 1;
    }
    if (ns != 5 || p <= e || !bytes_ieq(seg[1], segn[1], "ConsumerGroups") ||
        !bytes_ieq(seg[3], segn[3], "Partitions")) {
        snprintf(why, wn,
                 "The source address '%s' is not <hub>/ConsumerGroups/<cg>/Partitions/<id>", addr);
        return -ENOENT;
    }
    if (!bytes_ieq(seg[0], segn[0], s->hub)) {
        snprintf(why, wn, "The messaging entity '%.*s' could not be found (this hub is '%s')",
                 (int)MIN(segn[0], 255u), seg[0], s->hub);
        return -ENOENT;
    }
    size_t i = 0;
    for (; i < s->ncg; i++)
        if (bytes_ieq(seg[2], segn[2], s->cg[i]))
            break;
    if (i == s->ncg) {
        snprintf(why, wn,
                 "The messaging entity '%s/ConsumerGroups/%.*s' could not be found: "
                 "consumer group '%.*s' does not exist",
                 s->hub, (int)MIN(segn[2], 100u), seg[2], (int)MIN(segn[2], 100u), seg[2]);
        return -ENOENT;
    }
    int64_t pi;
    if (!parse_i64(seg[4], segn[4], &pi) || pi < 0 || pi >= (int64_t)s->np) {
        snprintf(why, wn, "Partition '%.*s' does not exist in hub '%s' (0..%" PRIu32 ")",
                 (int)MIN(segn[4], 64u), seg[4], s->hub, s->np - 1);
        return -ENOENT;
    }
    *cg = (uint32_t)i;
    *part = (uint32_t)pi;
    return 0;
}

static void open_rx(struct eh_serve *s, struct conn *c, pn_link_t *l, const char *addr)
{
    char why[512];
    uint32_t cg, pi;
    if (s->key_name && !c->authorized) {
        refuse(l, "amqp:unauthorized-access", "Unauthorized: put a token on $cbs first");
        return;
    }
    if (parse_source(s, addr, &cg, &pi, why, sizeof(why)) != 0) {
        refuse(l, "amqp:not-found", why);
        return;
    }
    struct lnk *k = calloc(1, sizeof(*k));
    if (!k) {
        refuse(l, "amqp:internal-error", "out of memory");
        return;
    }
    k->kind = LK_RX;
    k->part = pi;
    k->cg = cg;
    link_props(l, k);
    struct part *p = &s->parts[pi];
    pn_bytes_t expr = {0};
    int64_t start = 0;
    if (filter_expr(pn_terminus_filter(pn_link_remote_source(l)), &expr)) {
        struct sel sl;
        if (sel_parse(expr.start, expr.size, &sl) != 0 || (start = sel_start(p, &sl)) < 0) {
            snprintf(why, sizeof(why), "The selector filter '%.*s' is not supported",
                     (int)MIN(expr.size, 300u), expr.start);
            free(k);
            refuse(l, "com.microsoft:argument-error", why);
            return;
        }
    }
    k->next = (size_t)start;
    /* Epoch and reader-count rules, over this group's receivers on the partition. */
    unsigned readers = 0;
    char names[400] = "";
    size_t nl = 0;
    for (struct lnk *o = p->rx; o; o = o->pnext) {
        if (o->cg != cg || o->stolen || o->closed)
            continue;
        if (k->has_epoch && o->has_epoch && k->epoch < o->epoch) {
            snprintf(why, sizeof(why),
                     "Receiver 'nil' with higher epoch of '%" PRId64 "' already exists; a "
                     "receiver with epoch '%" PRId64 "' cannot be created",
                     o->epoch, k->epoch);
            free(k);
            refuse(l, "amqp:link:stolen", why);
            return;
        }
        if (!k->has_epoch && o->has_epoch) {
            snprintf(why, sizeof(why),
                     "At least one receiver for the endpoint is created with epoch of '%" PRId64
                     "', and so non-epoch receiver is not allowed",
                     o->epoch);
            free(k);
            refuse(l, "amqp:link:stolen", why);
            return;
        }
        readers++;
        nl += (size_t)snprintf(names + nl, sizeof(names) - MIN(nl, sizeof(names)), "%s%s",
                               nl ? "," : "", o->rname[0] ? o->rname : "(unnamed)");
        if (nl >= sizeof(names))
            nl = sizeof(names);
    }
    if (!k->has_epoch && readers >= EH_SERVE_MAX_READERS) {
        snprintf(why, sizeof(why),
                 "Exceeded the maximum number of allowed receivers per partition in a consumer "
                 "group which is %u. List of connected receivers - %s",
                 EH_SERVE_MAX_READERS, names);
        free(k);
        refuse(l, "amqp:resource-limit-exceeded", why);
        return;
    }
    if (k->has_epoch) {
        for (struct lnk *o = p->rx; o; o = o->pnext) {
            if (o->cg != cg || o->stolen || o->closed)
                continue;
            o->stolen = true; /* closed by its connection on the wake */
            pn_connection_wake(o->c->pc);
        }
    }
    k->l = l;
    k->c = c;
    k->cnext = c->links;
    c->links = k;
    k->pnext = p->rx;
    p->rx = k;
    k->registered = true;
    pn_link_set_context(l, k);
    pn_terminus_copy(pn_link_source(l), pn_link_remote_source(l));
    pn_terminus_copy(pn_link_target(l), pn_link_remote_target(l));
    /* We pre-settle every event; say so unless the peer asked for settled itself. */
    pn_link_set_snd_settle_mode(
        l, pn_link_remote_snd_settle_mode(l) == PN_SND_SETTLED ? PN_SND_SETTLED : PN_SND_MIXED);
    pn_link_open(l);
}

/* ---- sender links (producers; we receive) --------------------------------------------- */

static uint32_t key_hash(const char *k, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)k[i]) * 16777619u;
    return h;
}

/* One described section at p: its descriptor code and value in s->sec. Bytes
 * used, or -1. */
static ssize_t section_at(struct eh_serve *s, const char *p, size_t n, uint64_t *code)
{
    pn_data_clear(s->sec);
    ssize_t used = pn_data_decode(s->sec, p, n);
    if (used <= 0)
        return -1;
    pn_data_rewind(s->sec);
    if (!pn_data_next(s->sec) || pn_data_type(s->sec) != PN_DESCRIBED)
        return -1;
    pn_data_enter(s->sec);
    if (!pn_data_next(s->sec))
        return -1;
    *code = pn_data_type(s->sec) == PN_ULONG ? pn_data_get_ulong(s->sec) : 0;
    if (!pn_data_next(s->sec))
        return -1;
    return used;
}

/* Partition key from the message-annotations section now in s->sec. */
static void ma_key(struct eh_serve *s, char *key, size_t *kn)
{
    if (pn_data_type(s->sec) != PN_MAP)
        return;
    pn_data_enter(s->sec);
    if (pn_data_lookup(s->sec, "x-opt-partition-key") && pn_data_type(s->sec) == PN_STRING) {
        pn_bytes_t b = pn_data_get_string(s->sec);
        *kn = MIN(b.size, 1024u);
        memcpy(key, b.start, *kn);
    }
    pn_data_exit(s->sec);
}

static bool looks_like_message(const char *p, size_t n)
{
    return n >= 3 && p[0] == 0x00 && p[1] == 0x53 && (uint8_t)p[2] >= 0x70 && (uint8_t)p[2] <= 0x78;
}

/* Store one event given as a whole encoded message. 0 or -EINVAL/-ENOMEM. */
static int store_message(struct eh_serve *s, struct lnk *k, const char *m, size_t n,
                         const char *outer_key, size_t outer_kn, uint32_t *touched)
{
    char key[1024];
    size_t kn = 0;
    /* Keep properties .. footer (0x73..0x78); drop header, delivery and message
     * annotations, which we write ourselves. */
    char *keep = malloc(n + 1);
    if (!keep)
        return -ENOMEM;
    size_t kl = 0;
    const char *p = m, *e = m + n;
    while (p < e) {
        uint64_t code;
        ssize_t used = section_at(s, p, (size_t)(e - p), &code);
        if (used < 0) {
            free(keep);
            return -EINVAL;
        }
        if (code == 0x72)
            ma_key(s, key, &kn);
        else if (code >= 0x73 && code <= 0x78) {
            memcpy(keep + kl, p, (size_t)used);
            kl += (size_t)used;
        }
        p += used;
    }
    if (!kn && outer_kn) {
        memcpy(key, outer_key, outer_kn);
        kn = outer_kn;
    }
    uint32_t pi;
    if (k->tx_part >= 0)
        pi = (uint32_t)k->tx_part;
    else if (kn)
        pi = key_hash(key, kn) % s->np;
    else
        pi = s->rr++ % s->np;
    int64_t now = clock_real_ms();
    if (now < s->last_enq_ms)
        now = s->last_enq_ms;
    s->last_enq_ms = now;
    int rc = part_append(s, pi, -1, now, NULL, 0, key, kn, keep, kl, true);
    free(keep);
    if (!rc) {
        touched[pi / 32] |= 1u << (pi % 32);
        s->n_received++;
    }
    return rc;
}

/* A producer transfer: a batch envelope or a single event. 0, -EINVAL, -ENOMEM. */
static int ingest(struct eh_serve *s, struct lnk *k, const char *m, size_t n, uint32_t *touched)
{
    /* First pass: is every data section an encoded message? */
    char okey[1024];
    size_t okn = 0;
    bool batch = true;
    unsigned ndata = 0;
    const char *p = m, *e = m + n;
    while (p < e) {
        uint64_t code;
        ssize_t used = section_at(s, p, (size_t)(e - p), &code);
        if (used < 0)
            return -EINVAL;
        if (code == 0x72) {
            ma_key(s, okey, &okn);
        } else if (code == 0x75) {
            ndata++;
            if (pn_data_type(s->sec) != PN_BINARY) {
                batch = false;
            } else {
                pn_bytes_t b = pn_data_get_binary(s->sec);
                if (!looks_like_message(b.start, b.size))
                    batch = false;
            }
        }
        p += used;
    }
    if (!batch || ndata == 0)
        return store_message(s, k, m, n, NULL, 0, touched);
    p = m;
    while (p < e) {
        uint64_t code;
        ssize_t used = section_at(s, p, (size_t)(e - p), &code);
        if (used < 0)
            return -EINVAL;
        if (code == 0x75) {
            pn_bytes_t b = pn_data_get_binary(s->sec);
            /* s->sec is reused below: copy the inner message first. */
            char *inner = dupn(b.start, b.size);
            if (!inner)
                return -ENOMEM;
            int rc = store_message(s, k, inner, b.size, okey, okn, touched);
            free(inner);
            if (rc)
                return rc;
        }
        p += used;
    }
    return 0;
}

static void wake_partitions(struct eh_serve *s, const uint32_t *touched)
{
    for (uint32_t pi = 0; pi < s->np; pi++) {
        if (!(touched[pi / 32] & (1u << (pi % 32))))
            continue;
        for (struct lnk *o = s->parts[pi].rx; o; o = o->pnext)
            pn_connection_wake(o->c->pc);
    }
}

static void tx_delivery(struct eh_serve *s, struct lnk *k, pn_delivery_t *d)
{
    if (s->faults.busy > 0 && rnd01(s) < s->faults.busy) {
        pn_condition_t *cd = pn_disposition_condition(pn_delivery_local(d));
        pn_condition_set_name(cd, "com.microsoft:server-busy");
        pn_condition_set_description(cd, "injected fault: server busy, retry later");
        pn_delivery_update(d, PN_REJECTED);
        s->n_busy++;
        return;
    }
    if (k->in_len > EH_SERVE_MAX_MSG) {
        pn_condition_t *cd = pn_disposition_condition(pn_delivery_local(d));
        pn_condition_set_name(cd, "amqp:link:message-size-exceeded");
        pn_condition_set_description(cd, "The received message exceeds the limit of 1048576 bytes");
        pn_delivery_update(d, PN_REJECTED);
        return;
    }
    uint32_t touched[CAPTURE_MAX_PARTITIONS / 32] = {0};
    int rc = ingest(s, k, k->in, k->in_len, touched);
    if (rc) {
        pn_condition_t *cd = pn_disposition_condition(pn_delivery_local(d));
        pn_condition_set_name(cd, rc == -ENOMEM ? "amqp:internal-error" : "amqp:decode-error");
        pn_condition_set_description(cd, rc == -ENOMEM ? "out of memory"
                                                       : "The message could not be decoded");
        pn_delivery_update(d, PN_REJECTED);
    } else {
        pn_delivery_update(d, PN_ACCEPTED);
    }
    wake_partitions(s, touched);
}

/* A link the server keeps: its struct on the connection's list, as the link's
 * context, with the peer's source and target echoed. NULL after refusing the
 * link when out of memory. */
static struct lnk *adopt_link(struct conn *c, pn_link_t *l, enum lk_kind kind)
{
    struct lnk *k = calloc(1, sizeof(*k));
    if (!k) {
        refuse(l, "amqp:internal-error", "out of memory");
        return NULL;
    }
    k->kind = kind;
    k->l = l;
    k->c = c;
    k->cnext = c->links;
    c->links = k;
    pn_link_set_context(l, k);
    pn_terminus_copy(pn_link_source(l), pn_link_remote_source(l));
    pn_terminus_copy(pn_link_target(l), pn_link_remote_target(l));
    return k;
}

static void open_tx(struct eh_serve *s, struct conn *c, pn_link_t *l, const char *addr)
{
    if (s->key_name && !c->authorized) {
        refuse(l, "amqp:unauthorized-access", "Unauthorized: put a token on $cbs first");
        return;
    }
    size_t n = strlen(addr);
    const char *a = strip_uri(addr, &n);
    const char *sl = memchr(a, '/', n);
    size_t hn = sl ? (size_t)(sl - a) : n;
    int32_t tp = -1;
    char why[400];
    if (!bytes_ieq(a, hn, s->hub)) {
        snprintf(why, sizeof(why),
                 "The messaging entity '%.*s' could not be found (this hub is '%s')",
                 (int)MIN(hn, 255u), a, s->hub);
        refuse(l, "amqp:not-found", why);
        return;
    }
    if (sl) {
        const char *r = sl + 1;
        size_t rn = n - hn - 1;
        int64_t pi;
        if (rn < 11 || strncasecmp(r, "Partitions/", 11) != 0 || !parse_i64(r + 11, rn - 11, &pi) ||
            pi < 0 || pi >= (int64_t)s->np) {
            snprintf(why, sizeof(why),
                     "The target address '%s' is not <hub> or "
                     "<hub>/Partitions/<id> with id in 0..%" PRIu32,
                     addr, s->np - 1);
            refuse(l, "amqp:not-found", why);
            return;
        }
        tp = (int32_t)pi;
    }
    struct lnk *k = adopt_link(c, l, LK_TX);
    if (!k)
        return;
    k->tx_part = tp;
    pn_link_set_max_message_size(l, EH_SERVE_MAX_MSG);
    pn_link_open(l);
    pn_link_flow(l, EH_TX_CREDIT);
}

/* ---- connection events ----------------------------------------------------------------- */

static void link_remote_open(struct eh_serve *s, struct conn *c, pn_link_t *l)
{
    if (pn_link_state(l) & PN_LOCAL_ACTIVE)
        return;
    const char *src = pn_terminus_get_address(pn_link_remote_source(l));
    const char *tgt = pn_terminus_get_address(pn_link_remote_target(l));
    enum lk_kind kind = LK_NONE;
    if (pn_link_is_receiver(l)) { /* the peer sends */
        if (tgt && strcmp(tgt, "$cbs") == 0)
            kind = LK_CBS;
        else if (tgt && strcmp(tgt, "$management") == 0)
            kind = LK_MGMT;
        else if (tgt && *tgt) {
            open_tx(s, c, l, tgt);
            return;
        }
    } else {
        if (src && (strcmp(src, "$cbs") == 0 || strcmp(src, "$management") == 0))
            kind = LK_REPLY;
        else if (src && *src) {
            open_rx(s, c, l, src);
            return;
        }
    }
    if (kind == LK_NONE) {
        refuse(l, "amqp:not-found", "Link address not found (no source or target address)");
        return;
    }
    struct lnk *k = adopt_link(c, l, kind);
    if (!k)
        return;
    pn_link_open(l);
    if (kind != LK_REPLY)
        pn_link_flow(l, EH_REQ_CREDIT);
}

static void on_delivery(struct eh_serve *s, pn_delivery_t *d)
{
    pn_link_t *l = pn_delivery_link(d);
    struct lnk *k = pn_link_get_context(l);
    if (pn_link_is_sender(l)) {
        if (pn_delivery_updated(d) && pn_delivery_remote_state(d))
            pn_delivery_settle(d);
        return;
    }
    if (!k || k->closed) {
        if (!pn_delivery_partial(d)) {
            (void)pn_link_advance(l);
            pn_delivery_settle(d);
        }
        return;
    }
    if (!pn_delivery_readable(d))
        return;
    size_t pend = pn_delivery_pending(d);
    if (!grow(&k->in, &k->in_cap, k->in_len + pend + 1)) {
        lnk_close(s, k, "amqp:internal-error", "out of memory");
        return;
    }
    ssize_t r = pn_link_recv(l, k->in + k->in_len, pend);
    if (r > 0)
        k->in_len += (size_t)r;
    if (pn_delivery_partial(d))
        return;
    if (pn_delivery_aborted(d)) {
        k->in_len = 0;
        (void)pn_link_advance(l);
        pn_delivery_settle(d);
        return;
    }
    (void)pn_link_advance(l);
    if (k->kind == LK_TX) {
        tx_delivery(s, k, d);
    } else {
        pn_message_clear(s->req);
        if (pn_message_decode(s->req, k->in, k->in_len) == 0) {
            if (k->kind == LK_CBS)
                handle_cbs(s, k->c);
            else
                handle_mgmt(s, k->c);
            pn_delivery_update(d, PN_ACCEPTED);
        } else {
            pn_delivery_update(d, PN_REJECTED);
        }
    }
    pn_delivery_settle(d);
    k->in_len = 0;
    uint32_t want = k->kind == LK_TX ? EH_TX_CREDIT : EH_REQ_CREDIT;
    if ((uint32_t)pn_link_credit(l) < want / 2)
        pn_link_flow(l, (int)want - pn_link_credit(l));
}

static void conn_free(struct eh_serve *s, struct conn *c)
{
    while (c->links)
        lnk_free(s, c->links);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    pn_connection_set_context(c->pc, NULL);
    free(c);
}

static void on_accept(struct eh_serve *s, pn_listener_t *ln)
{
    pn_connection_t *pc = pn_connection();
    pn_transport_t *t = pn_transport();
    struct conn *c = calloc(1, sizeof(*c));
    if (t)
        pn_transport_set_server(t);
    /* TLS before anything else reads the transport; as the out-of-memory case, a
     * failure leaves the connection unaccepted (never served in plain AMQP) */
    pn_ssl_t *ssl = t && s->ssl ? pn_ssl(t) : NULL;
    if (!pc || !t || !c || (s->ssl && (!ssl || pn_ssl_init(ssl, s->ssl, NULL) != 0))) {
        free(c);
        if (t)
            pn_transport_free(t);
        if (pc)
            pn_connection_free(pc);
        log_warn("serve: out of memory accepting a connection");
        return;
    }
    pn_sasl_allowed_mechs(pn_sasl(t), "ANONYMOUS");
    pn_transport_set_idle_timeout(t, EH_IDLE_MS);
    c->pc = pc;
    c->s = s;
    s->n_conns++;
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    pn_connection_set_context(pc, c);
    pn_listener_accept2(ln, pc, t);
}

static void tick(struct eh_serve *s)
{
    if (s->stopping)
        return; /* no new timeout: the proactor goes inactive once all is closed */
    if (s->stop && *s->stop) {
        s->stopping = true;
        pn_proactor_disconnect(s->px, NULL);
        return;
    }
    bool fast = s->rate || s->faults.slow_ms;
    if (s->rate) {
        int64_t now = clock_mono_ms();
        double add = (double)(now - s->refill_ms) * (double)s->rate / 1000.0;
        double cap = MAX((double)s->rate / 10.0, 1.0); /* bursts of 100 ms at most */
        s->tokens = MIN(s->tokens + add, cap);
        s->refill_ms = now;
    }
    int64_t now_s = clock_real_ms() / 1000;
    for (struct conn *c = s->conns; c; c = c->next)
        if ((fast && c->links) || conn_expired(s, c, now_s))
            pn_connection_wake(c->pc);
    pn_proactor_set_timeout(s->px, fast ? EH_FAST_TICK_MS : EH_TICK_MS);
}

/* Handle one event; false when the loop should end. */
static bool handle(struct eh_serve *s, pn_event_t *e)
{
    pn_connection_t *pc = pn_event_connection(e);
    struct conn *c = pc ? pn_connection_get_context(pc) : NULL;
    switch (pn_event_type(e)) {
    case PN_LISTENER_OPEN: {
        char host[256], port[16];
        if (pn_netaddr_host_port(pn_listener_addr(pn_event_listener(e)), host, sizeof(host), port,
                                 sizeof(port)) != 0) {
            snprintf(host, sizeof(host), "%s", s->host);
            snprintf(port, sizeof(port), "%s", s->port);
        }
        s->listening = true;
        log_info("serve: listening host=%s port=%s hub=%s partitions=%" PRIu32, host, port, s->hub,
                 s->np);
        if (s->on_listen)
            s->on_listen(host, port, s->arg);
        break;
    }
    case PN_LISTENER_ACCEPT:
        on_accept(s, pn_event_listener(e));
        break;
    case PN_LISTENER_CLOSE: {
        pn_condition_t *cd = pn_listener_condition(pn_event_listener(e));
        if (pn_condition_is_set(cd) && !s->stopping) {
            const char *desc = pn_condition_get_description(cd);
            log_err("serve: listen on %s:%s failed: %s", s->host, s->port, desc ? desc : "?");
            s->listen_err = desc && strstr(desc, "in use") ? -EADDRINUSE : -EIO;
            s->stopping = true;
            pn_proactor_cancel_timeout(s->px);
            pn_proactor_disconnect(s->px, NULL);
        }
        s->ln = NULL;
        break;
    }
    case PN_CONNECTION_REMOTE_OPEN:
        if (!(pn_connection_state(pc) & PN_LOCAL_ACTIVE)) {
            pn_connection_set_container(pc, "sluice-replay");
            pn_connection_open(pc);
        }
        break;
    case PN_SESSION_REMOTE_OPEN: {
        pn_session_t *ssn = pn_event_session(e);
        if (!(pn_session_state(ssn) & PN_LOCAL_ACTIVE))
            pn_session_open(ssn);
        break;
    }
    case PN_LINK_REMOTE_OPEN:
        if (c)
            link_remote_open(s, c, pn_event_link(e));
        break;
    case PN_LINK_FLOW: {
        struct lnk *k = pn_link_get_context(pn_event_link(e));
        if (k && k->kind == LK_REPLY)
            reply_flush(k);
        else if (k && k->kind == LK_RX)
            (void)pump(s, k);
        break;
    }
    case PN_DELIVERY:
        on_delivery(s, pn_event_delivery(e));
        break;
    case PN_LINK_REMOTE_CLOSE:
    case PN_LINK_REMOTE_DETACH: {
        pn_link_t *l = pn_event_link(e);
        struct lnk *k = pn_link_get_context(l);
        if (!(pn_link_state(l) & PN_LOCAL_CLOSED)) {
            if (pn_event_type(e) == PN_LINK_REMOTE_DETACH)
                pn_link_detach(l);
            else
                pn_link_close(l);
        }
        if (k)
            lnk_free(s, k);
        break;
    }
    case PN_SESSION_REMOTE_CLOSE: {
        pn_session_t *ssn = pn_event_session(e);
        if (!(pn_session_state(ssn) & PN_LOCAL_CLOSED))
            pn_session_close(ssn);
        break;
    }
    case PN_CONNECTION_REMOTE_CLOSE:
        if (!(pn_connection_state(pc) & PN_LOCAL_CLOSED))
            pn_connection_close(pc);
        break;
    case PN_CONNECTION_WAKE:
        if (c)
            conn_pump(s, c);
        break;
    case PN_TRANSPORT_CLOSED:
        if (c)
            conn_free(s, c);
        break;
    case PN_PROACTOR_TIMEOUT:
        tick(s);
        break;
    case PN_PROACTOR_INACTIVE:
        return !s->stopping;
    default:
        break;
    }
    return true;
}

/* Does the file at path hold a PEM private key block (any kind)? */
static bool pem_has_key(const char *path)
{
    char buf[16384];
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *b = strstr(buf, "-----BEGIN ");
    return b && strstr(b, "PRIVATE KEY-----");
}

/* The server TLS domain for cert and key (PEM files), or NULL with *err: -ENOENT /
 * -EACCES (a file cannot be read), -EINVAL (not a PEM certificate or key, or they do
 * not match), -ENOMEM. Each failure is logged with the file's name. */
static pn_ssl_domain_t *tls_domain(const char *cert, const char *key, int *err)
{
    const char *files[2] = {cert, key};
    for (int i = 0; i < 2; i++) {
        FILE *f = fopen(files[i], "r");
        if (!f) {
            *err = -errno;
            log_err("serve: TLS %s file \"%s\" cannot be read: %s", i ? "key" : "certificate",
                    files[i], strerror(errno));
            return NULL;
        }
        fclose(f);
    }
    pn_ssl_domain_t *d = pn_ssl_domain(PN_SSL_MODE_SERVER);
    if (!d) {
        *err = -ENOMEM;
        log_err("serve: pn_ssl_domain() failed: cannot set up TLS");
        return NULL;
    }
    int rc = pn_ssl_domain_set_credentials(d, cert, key, NULL);
    if (rc == 0)
        return d;
    pn_ssl_domain_free(d);
    *err = -EINVAL;
    if (rc == -3)
        log_err("serve: TLS certificate file \"%s\" is not a PEM certificate (chain) "
                "fix=\"give the server certificate, PEM, leaf first\"",
                cert);
    else if (rc == -4 && !pem_has_key(key))
        log_err("serve: TLS key file \"%s\" is not a PEM private key "
                "fix=\"give the unencrypted PEM key of the certificate\"",
                key);
    else if (rc == -4) /* OpenSSL 3 checks the pair while loading the key */
        log_err("serve: TLS key file \"%s\" does not match the certificate in \"%s\" (or is "
                "encrypted) fix=\"give the unencrypted PEM key of that certificate\"",
                key, cert);
    else if (rc == -5)
        log_err("serve: TLS key file \"%s\" does not match the certificate in \"%s\"", key, cert);
    else
        log_err("serve: pn_ssl_domain_set_credentials() failed: %d (certificate \"%s\", key "
                "\"%s\")",
                rc, cert, key);
    return NULL;
}

/* ---- API --------------------------------------------------------------------------------- */

struct eh_serve *eh_serve_create(const struct eh_serve_opts *o, int *err)
{
    int e = -EINVAL;
    struct eh_serve *s = NULL;
    if (!o->host || !o->port || !o->hub || !*o->hub || strlen(o->hub) > CAPTURE_NAME_MAX ||
        strlen(o->host) >= sizeof(s->host) || strlen(o->port) >= sizeof(s->port) ||
        o->partitions == 0 || o->partitions > CAPTURE_MAX_PARTITIONS ||
        o->ncgs >= EH_SERVE_MAX_CGS || (o->sas_key_name && !o->sas_key) ||
        !o->tls_cert != !o->tls_key)
        goto fail;
    e = -ENOMEM;
    s = calloc(1, sizeof(*s));
    if (!s)
        goto fail;
    snprintf(s->host, sizeof(s->host), "%s", o->host);
    snprintf(s->port, sizeof(s->port), "%s", o->port);
    snprintf(s->hub, sizeof(s->hub), "%s", o->hub);
    s->cg[s->ncg] = dupn("$default", 8);
    if (!s->cg[s->ncg++])
        goto fail_s;
    for (size_t i = 0; i < o->ncgs; i++) {
        if (strcasecmp(o->cgs[i], "$default") == 0)
            continue;
        s->cg[s->ncg] = dupn(o->cgs[i], strlen(o->cgs[i]));
        if (!s->cg[s->ncg++])
            goto fail_s;
    }
    s->np = o->partitions;
    s->created_ms = o->created_ms;
    if (o->sas_key_name) {
        s->key_name = dupn(o->sas_key_name, strlen(o->sas_key_name));
        s->key = dupn(o->sas_key, strlen(o->sas_key));
        if (!s->key_name || !s->key)
            goto fail_s;
    }
    if (o->tls_cert) {
        s->ssl = tls_domain(o->tls_cert, o->tls_key, &e);
        if (!s->ssl)
            goto fail_s;
        e = -ENOMEM;
    }
    s->rate = o->rate;
    s->faults = o->faults;
    s->rng = o->seed ? o->seed : 1;
    s->on_listen = o->on_listen;
    s->arg = o->arg;
    s->stop = o->stop;
    s->parts = calloc(s->np, sizeof(*s->parts));
    s->req = pn_message();
    s->resp = pn_message();
    s->sec = pn_data(16);
    if (!s->parts || !s->req || !s->resp || !s->sec)
        goto fail_s;
    return s;
fail_s:
    eh_serve_destroy(s);
fail:
    if (err)
        *err = e;
    return NULL;
}

int eh_serve_add(struct eh_serve *s, uint32_t p, const struct capture_event *ev)
{
    if (p >= s->np || ev->seq < 0)
        return -EINVAL;
    if (ev->enq_ms > s->last_enq_ms)
        s->last_enq_ms = ev->enq_ms;
    return part_append(s, p, ev->seq, ev->enq_ms, ev->off, ev->off_len, ev->key, ev->key_len,
                       ev->body, ev->body_len, false);
}

int eh_serve_run(struct eh_serve *s)
{
    char addr[PN_MAX_ADDR];
    s->px = pn_proactor();
    s->ln = pn_listener();
    if (!s->px || !s->ln)
        return -ENOMEM;
    pn_proactor_addr(addr, sizeof(addr), s->host, s->port);
    pn_proactor_listen(s->px, s->ln, addr, 64);
    s->refill_ms = clock_mono_ms();
    s->tokens = 0;
    pn_proactor_set_timeout(s->px, EH_TICK_MS);
    bool run = true;
    while (run) {
        pn_event_batch_t *b = pn_proactor_wait(s->px);
        for (pn_event_t *e; (e = pn_event_batch_next(b));)
            if (!handle(s, e))
                run = false;
        pn_proactor_done(s->px, b);
    }
    log_info("serve: done connections=%" PRIu64 " events_sent=%" PRIu64 " events_received=%" PRIu64
             " stolen=%" PRIu64 " fault_detach=%" PRIu64 " fault_drop=%" PRIu64
             " fault_busy=%" PRIu64 " fault_throttle=%" PRIu64 " tokens_expired=%" PRIu64,
             s->n_conns, s->n_sent, s->n_received, s->n_stolen, s->n_detach, s->n_drop, s->n_busy,
             s->n_throttle, s->n_expired);
    return s->listen_err;
}

void eh_serve_destroy(struct eh_serve *s)
{
    if (!s)
        return;
    while (s->conns)
        conn_free(s, s->conns);
    if (s->px)
        pn_proactor_free(s->px);
    if (s->ssl)
        pn_ssl_domain_free(s->ssl); /* after the transports that use it */
    for (uint32_t i = 0; s->parts && i < s->np; i++) {
        for (size_t j = 0; j < s->parts[i].n; j++)
            free(s->parts[i].ev[j].mem);
        free(s->parts[i].ev);
    }
    free(s->parts);
    for (size_t i = 0; i < s->ncg; i++)
        free(s->cg[i]);
    free(s->key_name);
    if (s->key) {
        memset(s->key, 0, strlen(s->key));
        free(s->key);
    }
    if (s->req)
        pn_message_free(s->req);
    if (s->resp)
        pn_message_free(s->resp);
    if (s->sec)
        pn_data_free(s->sec);
    free(s->enc.start);
    free(s->eb);
    free(s);
}
