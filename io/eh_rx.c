/* eh_rx.c - one Event Hubs partition receiver on its own proton proactor.
 *
 * DESIGN
 *   eh_rx_poll() is the whole event loop: it arms the proactor timer with the
 *   nearest of (caller's timeout, reconnect, token renewal), waits for one
 *   event batch, then drains what else is ready without waiting. Every pn_*
 *   call happens inside event handling on the owner thread; requests from the
 *   owner between polls (more credit, a token renewal) set a flag and call
 *   pn_connection_wake(), and the PN_CONNECTION_WAKE handler acts on them.
 *
 *   connection states (one connection at a time, proactor owns conn + transport):
 *
 *     none --connect--> INIT: open conn, session, $cbs sender+receiver
 *       --$cbs sender credit--> put-token --2xx--> attach receiver (or $management)
 *       --remote attach with a source--> UP: deliveries, credit, renewals
 *     any error (detach, close, transport) -> status counted, conn closed,
 *       PN_TRANSPORT_CLOSED -> none, reconnect at now + backoff(attempt)
 *
 *   backoff: min(60 s, 0.8 s x 2^(attempt-1)) x uniform[0.8, 1.2); reset once a
 *   receiver link is up. A reconnect attaches with x-opt-sequence-number > the
 *   last seq the callback took, so nothing is skipped and nothing repeated.
 *
 *   deliveries: the bytes of the current delivery are appended to buf until
 *   it is complete, decoded once, and offered to the callback. -EAGAIN keeps
 *   it "held" (current, unsettled); the next pump offers the same event again.
 *   Only a taken event is accepted, settled and advanced past.
 *   Credit: the caller's want; the link is topped up when credit + queued
 *   falls a quarter below it (or to zero), never above it.
 */
#include "eh_rx.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <proton/condition.h>
#include <proton/connection.h>
#include <proton/delivery.h>
#include <proton/error.h>
#include <proton/event.h>
#include <proton/link.h>
#include <proton/logger.h>
#include <proton/message.h>
#include <proton/proactor.h>
#include <proton/sasl.h>
#include <proton/session.h>
#include <proton/ssl.h>
#include <proton/terminus.h>
#include <proton/transport.h>

#include "clock.h"
#include "err.h"
#include "log.h"

#define EH_SELECTOR_KEY "apache.org:selector-filter:string"
#define EH_SELECTOR_DESC 0x0000468C00000004ULL
#define EH_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt" /* Debian's; $SSL_CERT_FILE wins */
#define EH_TOKEN_MAX 16384
#define EH_BACKOFF_BASE_MS 800
#define EH_BACKOFF_MAX_MS 60000
#define EH_CLOSE_WAIT_MS 5000
#define EH_LOG_BURST_MS 10000

/* ---- start positions and filters ------------------------------------------------------- */

static int parse_i64(const char *s, int64_t *out)
{
    if (!s || !*s)
        return -EINVAL;
    char *e;
    errno = 0;
    long long v = strtoll(s, &e, 10);
    if (errno || *e)
        return -EINVAL;
    *out = v;
    return 0;
}

/* "YYYY-MM-DDTHH:MM:SS[.mmm]Z" -> ms since the epoch. */
static int parse_iso_ms(const char *s, int64_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    int ms = 0;
    char rest[8] = "";
    int n = sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%7s", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, rest);
    if (n < 6)
        return -EINVAL;
    const char *r = rest;
    if (*r == '.') {
        r++;
        int digits = 0;
        while (*r >= '0' && *r <= '9') {
            if (digits < 3)
                ms = ms * 10 + (*r - '0');
            digits++;
            r++;
        }
        if (!digits)
            return -EINVAL;
        for (; digits < 3; digits++)
            ms *= 10;
    }
    if (strcmp(r, "Z") != 0 && strcmp(r, "") != 0 && strcmp(r, "+00:00") != 0)
        return -EINVAL;
    if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
        tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
        return -EINVAL;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return -EINVAL;
    *out = (int64_t)t * 1000 + ms;
    return 0;
}

int eh_start_parse(const char *s, struct eh_start *out, char *why, size_t n)
{
    memset(out, 0, sizeof(*out));
    if (strcmp(s, "earliest") == 0) {
        out->kind = EH_START_EARLIEST;
        return 0;
    }
    if (strcmp(s, "latest") == 0) {
        out->kind = EH_START_LATEST;
        return 0;
    }
    if (strncmp(s, "seq:", 4) == 0) {
        if (parse_i64(s + 4, &out->seq) || out->seq < -1) {
            snprintf(why, n, "\"%s\": seq:N needs a sequence number (-1 or more)", s);
            return -EINVAL;
        }
        out->kind = EH_START_SEQ;
        return 0;
    }
    if (strncmp(s, "offset:", 7) == 0) {
        const char *o = s + 7;
        if (!*o || strlen(o) > EH_OFF_MAX || strchr(o, '\'')) {
            snprintf(why, n, "\"%s\": offset:S needs an offset of 1 to %u characters without "
                     "quotes", s, EH_OFF_MAX);
            return -EINVAL;
        }
        out->kind = EH_START_OFFSET;
        snprintf(out->off, sizeof(out->off), "%s", o);
        return 0;
    }
    if (strncmp(s, "time:", 5) == 0) {
        const char *t = s + 5;
        bool digits = *t != '\0';
        for (const char *p = t; *p; p++)
            if (*p < '0' || *p > '9')
                digits = false;
        int rc = digits ? parse_i64(t, &out->time_ms) : parse_iso_ms(t, &out->time_ms);
        if (rc || out->time_ms < 0) {
            snprintf(why, n, "\"%s\": time:T needs an ISO 8601 UTC time like "
                     "2026-11-30T00:00:00Z or milliseconds since 1970", s);
            return -EINVAL;
        }
        out->kind = EH_START_TIME;
        return 0;
    }
    snprintf(why, n, "\"%s\" is not earliest, latest, seq:N, offset:S or time:T", s);
    return -EINVAL;
}

int eh_filter_expr(const struct eh_start *s, char *out, size_t n)
{
    int k;
    switch (s->kind) {
    case EH_START_EARLIEST:
        k = snprintf(out, n, "amqp.annotation.x-opt-offset > '-1'");
        break;
    case EH_START_LATEST:
        k = snprintf(out, n, "amqp.annotation.x-opt-offset > '@latest'");
        break;
    case EH_START_SEQ:
        k = snprintf(out, n, "amqp.annotation.x-opt-sequence-number > '%" PRId64 "'", s->seq);
        break;
    case EH_START_OFFSET:
        if (strchr(s->off, '\''))
            return -EINVAL;
        k = snprintf(out, n, "amqp.annotation.x-opt-offset > '%s'", s->off);
        break;
    case EH_START_TIME:
        k = snprintf(out, n, "amqp.annotation.x-opt-enqueued-time > '%" PRId64 "'", s->time_ms);
        break;
    default:
        return -EINVAL;
    }
    if (k < 0 || (size_t)k >= n)
        return -ENOSPC;
    return k;
}

const char *eh_status_name(enum eh_status s)
{
    static const char *const names[EH_ST__COUNT] = {
        "ok", "connecting", "stolen", "server_busy", "quota_exceeded", "unauthorized",
        "not_found", "out_of_range", "disconnected"};
    return (unsigned)s < EH_ST__COUNT ? names[s] : "?";
}

/* ---- decoding ---------------------------------------------------------------------------- */

struct eh_decoder {
    pn_message_t *m;
};

struct eh_decoder *eh_decoder_create(void)
{
    struct eh_decoder *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->m = pn_message();
    if (!d->m) {
        free(d);
        return NULL;
    }
    return d;
}

void eh_decoder_destroy(struct eh_decoder *d)
{
    if (!d)
        return;
    pn_message_free(d->m);
    free(d);
}

/* Any integer-typed current node as int64; false when it is not an integer. */
static bool data_int(pn_data_t *a, int64_t *v)
{
    switch (pn_data_type(a)) {
    case PN_LONG: *v = pn_data_get_long(a); return true;
    case PN_INT: *v = pn_data_get_int(a); return true;
    case PN_SHORT: *v = pn_data_get_short(a); return true;
    case PN_ULONG: *v = (int64_t)pn_data_get_ulong(a); return true;
    case PN_UINT: *v = pn_data_get_uint(a); return true;
    case PN_USHORT: *v = pn_data_get_ushort(a); return true;
    case PN_TIMESTAMP: *v = pn_data_get_timestamp(a); return true;
    default: return false;
    }
}

static bool data_text(pn_data_t *a, pn_bytes_t *b)
{
    switch (pn_data_type(a)) {
    case PN_STRING: *b = pn_data_get_string(a); return true;
    case PN_SYMBOL: *b = pn_data_get_symbol(a); return true;
    case PN_BINARY: *b = pn_data_get_binary(a); return true;
    default: return false;
    }
}

static bool key_is(pn_bytes_t k, const char *s)
{
    size_t n = strlen(s);
    return k.size == n && memcmp(k.start, s, n) == 0;
}

int eh_event_decode(struct eh_decoder *d, const char *bytes, size_t len, struct eh_event *ev)
{
    pn_message_clear(d->m);
    if (pn_message_decode(d->m, bytes, len) != 0)
        return ERR_FORMAT;
    memset(ev, 0, sizeof(*ev));
    ev->enq_ms = -1;
    bool have_seq = false;
    pn_data_t *a = pn_message_annotations(d->m);
    pn_data_rewind(a);
    if (pn_data_next(a) && pn_data_type(a) == PN_MAP) {
        pn_data_enter(a);
        while (pn_data_next(a)) {
            pn_bytes_t k;
            bool kok = data_text(a, &k);
            if (!pn_data_next(a))
                break;
            if (!kok)
                continue;
            pn_bytes_t b;
            if (key_is(k, "x-opt-sequence-number")) {
                have_seq = data_int(a, &ev->seq);
            } else if (key_is(k, "x-opt-offset")) {
                int64_t iv;
                if (data_text(a, &b)) {
                    ev->off = b.start;
                    ev->off_len = b.size;
                } else if (data_int(a, &iv)) {
                    (void)iv; /* a numeric offset is not what the service sends; ignored */
                }
            } else if (key_is(k, "x-opt-enqueued-time")) {
                if (!data_int(a, &ev->enq_ms))
                    ev->enq_ms = -1;
            } else if (key_is(k, "x-opt-partition-key")) {
                if (data_text(a, &b)) {
                    ev->key = b.start;
                    ev->key_len = b.size;
                }
            }
        }
        pn_data_exit(a);
    }
    if (!have_seq || ev->seq < 0)
        return ERR_FORMAT;
    if (ev->off_len > EH_OFF_MAX)
        ev->off_len = EH_OFF_MAX;
    pn_data_t *body = pn_message_body(d->m);
    pn_data_rewind(body);
    if (!pn_data_next(body) || pn_data_type(body) == PN_NULL) {
        ev->body = "";
        ev->body_len = 0;
        return 0;
    }
    pn_bytes_t b;
    if (pn_data_type(body) == PN_SYMBOL || !data_text(body, &b))
        return ERR_FORMAT;
    ev->body = b.start;
    ev->body_len = b.size;
    return 0;
}

/* ---- the receiver ----------------------------------------------------------------------- */

enum mg_phase { MG_HUB, MG_PART, MG_DONE };

struct eh_rx {
    struct eh_rx_cfg cfg;
    pn_proactor_t *px;
    pn_ssl_domain_t *ssl;
    bool tls_name_bad;         /* this connection: proton said the peer cert lacks our host name */
    pn_connection_t *conn;     /* NULL: none (waiting to reconnect) */
    pn_session_t *ssn;
    pn_link_t *cbs_snd, *cbs_rcv, *rcv, *mg_snd, *mg_rcv;
    pn_message_t *msg;         /* CBS / management requests and responses */
    struct eh_decoder *dec;
    bool mgmt;                 /* management client, not a partition receiver */
    bool up;                   /* receiver link attached */
    bool closing;              /* pn_connection_close() called */
    int64_t closing_since_ms;
    bool token_due;            /* put a token when $cbs has credit */
    bool token_inflight;
    bool token_ok;             /* a token was accepted on this connection */
    char token_id[48];
    uint64_t msg_no;
    int64_t renew_at_ms;       /* monotonic; INT64_MAX: never */
    int64_t reconnect_at_ms;   /* monotonic; when conn == NULL */
    uint32_t attempts;         /* connections since the last good attach */
    bool attached_once;        /* resume by seq after the first attach */
    uint32_t want;             /* caller's credit */
    bool held;                 /* buf holds a complete, decoded event not yet taken */
    struct eh_event ev;
    char *buf;                 /* current delivery bytes */
    size_t buf_len, buf_cap;
    char *ctl;                 /* CBS / management response bytes */
    size_t ctl_len, ctl_cap;
    char *ctl_out;             /* encoded requests */
    size_t ctl_out_cap;
    char *tok;                 /* [EH_TOKEN_MAX] */
    int fatal;
    int taken;                 /* events taken in this poll */
    uint64_t rng;
    int64_t log_at_ms[EH_ST__COUNT];
    uint64_t log_quiet[EH_ST__COUNT];
    struct eh_rx_stats st;
    /* management */
    struct eh_hub_info *info;
    enum mg_phase mg_phase;
    bool was_open;             /* the peer opened the connection once (eh_hub_info.connected) */
    bool was_authed;           /* a CBS put-token was accepted once (eh_hub_info.authenticated) */
    uint32_t mg_next;
    bool mg_due;
    int mg_err;
    char mg_why[512];
    char resp_desc[200];       /* status-description of the last $cbs/$management reply */
};

static uint64_t rnd(struct eh_rx *r)
{
    /* xorshift64*: jitter only */
    r->rng ^= r->rng >> 12;
    r->rng ^= r->rng << 25;
    r->rng ^= r->rng >> 27;
    return r->rng * 2685821657736338717ULL;
}

/* d +/- 20 % */
static int64_t jitter(struct eh_rx *r, int64_t d)
{
    return d * 8 / 10 + (int64_t)(rnd(r) % (uint64_t)(d * 4 / 10 + 1));
}

static enum eh_status cond_status(pn_condition_t *c)
{
    const char *n = c ? pn_condition_get_name(c) : NULL;
    if (!n)
        return EH_ST_DISCONNECTED;
    if (strcmp(n, "amqp:link:stolen") == 0)
        return EH_ST_STOLEN;
    if (strcmp(n, "com.microsoft:server-busy") == 0)
        return EH_ST_BUSY;
    /* proton reports its own idle timeout as resource-limit-exceeded: a silent peer,
     * not a quota */
    const char *d = pn_condition_get_description(c);
    if (d && strstr(d, "idle-timeout"))
        return EH_ST_DISCONNECTED;
    if (strcmp(n, "amqp:resource-limit-exceeded") == 0 || strstr(n, "quota"))
        return EH_ST_QUOTA;
    if (strcmp(n, "amqp:unauthorized-access") == 0 || strcmp(n, "com.microsoft:auth-failed") == 0)
        return EH_ST_UNAUTHORIZED;
    if (strcmp(n, "amqp:not-found") == 0)
        return EH_ST_NOT_FOUND;
    if (strcmp(n, "com.microsoft:argument-out-of-range") == 0)
        return EH_ST_OUT_OF_RANGE;
    return EH_ST_DISCONNECTED;
}

static const char *status_fix(enum eh_status s)
{
    switch (s) {
    case EH_ST_STOLEN:
        return "another receiver with an equal or higher --owner-level took this partition; "
               "stop it or raise --owner-level";
    case EH_ST_BUSY:
        return "the namespace is throttled: add throughput/processing units or lower the load";
    case EH_ST_QUOTA:
        return "too many readers on this partition and consumer group (5 without owner level) "
               "or too many connections: use another --consumer-group or stop other readers";
    case EH_ST_UNAUTHORIZED:
        return "the token was refused: check the connection string key (Listen right) or the "
               "Entra ID role (Azure Event Hubs Data Receiver)";
    case EH_ST_NOT_FOUND:
        return "check --eventhub, --consumer-group and --partitions";
    case EH_ST_OUT_OF_RANGE:
        return "the start position is outside the retained stream: use --start earliest or "
               "move the checkpoint file away";
    default:
        return "network or service interruption; reconnecting";
    }
}

/* The trusted CA file: $SSL_CERT_FILE when set (OpenSSL's variable), else Debian's
 * bundle. (OpenSSL's default paths, which proton also loads, add $SSL_CERT_DIR or
 * /usr/lib/ssl/certs.) */
static const char *ca_file(void)
{
    const char *f = getenv("SSL_CERT_FILE");
    return f && *f ? f : EH_CA_BUNDLE;
}

/* A transport condition from the TLS layer? proton 0.37 closes with
 * "SSL Failure: <OpenSSL error>" when the handshake fails. */
static bool tls_failed(pn_condition_t *c)
{
    const char *d = c ? pn_condition_get_description(c) : NULL;
    return d && strncmp(d, "SSL Failure", 11) == 0;
}

/* What a TLS failure (tls_failed(c)) means, and its fix. */
static void tls_explain(const struct eh_rx *r, pn_condition_t *c, const char **what,
                        const char **fix)
{
    if (!strstr(pn_condition_get_description(c), "certificate verify failed")) {
        *what = "the handshake did not complete";
        *fix = "the endpoint must speak AMQPS (TLS, port 5671); a plain-AMQP development "
               "emulator needs UseDevelopmentEmulator=true in the connection string";
    } else if (r->tls_name_bad) {
        *what = "certificate verification failed: the server certificate does not name "
                "the host";
        *fix = "connect by a DNS name the certificate lists (the Endpoint host; proton "
               "does not match IP addresses), or give the server a certificate for this name";
    } else {
        *what = "certificate verification failed: the server certificate is not issued by "
                "a CA in the CA file (or has expired)";
        *fix = "set SSL_CERT_FILE to the PEM file of the CA that issued the server "
               "certificate (a private CA or a TLS-inspecting proxy)";
    }
}

/* pn_log_sink_t for TLS transports: notes proton's "no name matching <host> found
 * in peer cert" (the only place that tells a name mismatch from an untrusted
 * issuer); everything goes on to stderr as proton's own sink would, when PN_LOG
 * asks for proton's logs. @thread owner (inside eh_rx_poll) */
static void tls_log_sink(intptr_t ctx, pn_log_subsystem_t sub, pn_log_level_t lvl, const char *msg)
{
    struct eh_rx *r = (struct eh_rx *)ctx;
    if (sub == PN_SUBSYSTEM_SSL && strstr(msg, "no name matching"))
        r->tls_name_bad = true;
    if (getenv("PN_LOG"))
        fprintf(stderr, "[proton] %s:%s: %s\n", pn_logger_subsystem_name(sub),
                pn_logger_level_name(lvl), msg);
}

/* Count a status and log it once per burst (EH_LOG_BURST_MS). */
static void report(struct eh_rx *r, enum eh_status s, pn_condition_t *c)
{
    r->st.status = s;
    r->st.by_status[s]++;
    int64_t now = clock_mono_ms();
    if (r->log_at_ms[s] && now - r->log_at_ms[s] < EH_LOG_BURST_MS) {
        r->log_quiet[s]++;
        return;
    }
    if (s == EH_ST_DISCONNECTED && r->cfg.tls && tls_failed(c)) {
        const char *what, *fix;
        tls_explain(r, c, &what, &fix);
        log_err("eh: partition %s: TLS handshake failed: %s host=%s port=%u ca_file=\"%s\" "
                "error=\"%.160s\" count=%" PRIu64 " suppressed=%" PRIu64 " fix=\"%s\"",
                r->mgmt ? "$management" : r->cfg.partition, what, r->cfg.host,
                (unsigned)r->cfg.port, ca_file(), pn_condition_get_description(c),
                r->st.by_status[s], r->log_quiet[s], fix);
        r->log_at_ms[s] = now;
        r->log_quiet[s] = 0;
        return;
    }
    const char *name = c ? pn_condition_get_name(c) : NULL;
    const char *desc = c ? pn_condition_get_description(c) : NULL;
    log_warn("eh: partition %s: %s condition=\"%s\" description=\"%.200s\" count=%" PRIu64
             " suppressed=%" PRIu64 " fix=\"%s\"",
             r->mgmt ? "$management" : r->cfg.partition, eh_status_name(s), name ? name : "-",
             desc ? desc : "-", r->st.by_status[s], r->log_quiet[s], status_fix(s));
    r->log_at_ms[s] = now;
    r->log_quiet[s] = 0;
}

static int grow(char **p, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 4096;
    while (n < need)
        n *= 2;
    /* STYLE-EXCEPTION: plain realloc; the buffer grows to the largest message once */
    char *q = realloc(*p, n);
    if (!q)
        return -ENOMEM;
    *p = q;
    *cap = n;
    return 0;
}

/* Append every pending byte of d to *p. 0 or -ENOMEM. */
static int read_pending(pn_link_t *l, pn_delivery_t *d, char **p, size_t *len, size_t *cap)
{
    size_t n;
    while ((n = pn_delivery_pending(d)) > 0) {
        if (grow(p, cap, *len + n))
            return -ENOMEM;
        ssize_t got = pn_link_recv(l, *p + *len, n);
        if (got <= 0)
            break;
        *len += (size_t)got;
    }
    return 0;
}

static void close_conn(struct eh_rx *r)
{
    if (r->conn && !r->closing) {
        r->closing = true;
        r->closing_since_ms = clock_mono_ms();
        pn_connection_close(r->conn);
    }
}

static void audience(const struct eh_rx *r, char *out, size_t n)
{
    if (r->mgmt)
        snprintf(out, n, "sb://%s/%s/$management", r->cfg.host, r->cfg.hub);
    else
        snprintf(out, n, "sb://%s/%s/ConsumerGroups/%s/Partitions/%s", r->cfg.host, r->cfg.hub,
                 r->cfg.cg, r->cfg.partition);
}

static void put_str(pn_data_t *d, const char *s)
{
    pn_data_put_string(d, pn_bytes(strlen(s), s));
}

/* Encode msg and send it as one unsettled delivery on sender l. 0 or a proton error code. */
static int send_msg(struct eh_rx *r, pn_link_t *l)
{
    for (;;) {
        if (!r->ctl_out_cap && grow(&r->ctl_out, &r->ctl_out_cap, 4096))
            return PN_OUT_OF_MEMORY;
        size_t n = r->ctl_out_cap;
        int rc = pn_message_encode(r->msg, r->ctl_out, &n);
        if (rc == PN_OVERFLOW) {
            if (grow(&r->ctl_out, &r->ctl_out_cap, r->ctl_out_cap * 2))
                return PN_OUT_OF_MEMORY;
            continue;
        }
        if (rc)
            return rc;
        char tag[24];
        int k = snprintf(tag, sizeof(tag), "%" PRIu64, r->msg_no);
        pn_delivery(l, pn_dtag(tag, (size_t)k));
        ssize_t sent = pn_link_send(l, r->ctl_out, n);
        pn_link_advance(l);
        return sent < 0 ? (int)sent : 0;
    }
}

static void send_token(struct eh_rx *r)
{
    if (!r->cbs_snd || pn_link_credit(r->cbs_snd) <= 0 || r->token_inflight)
        return;
    char aud[3 * EH_NAME_MAX + 64];
    audience(r, aud, sizeof(aud));
    const char *type = "servicebus.windows.net:sastoken";
    int64_t exp_s = 0;
    r->tok[0] = '\0';
    int rc = r->cfg.token(r->cfg.token_ctx, aud, r->tok, EH_TOKEN_MAX, &type, &exp_s);
    r->token_due = false;
    if (rc) {
        r->st.cbs_failures++;
        report(r, EH_ST_UNAUTHORIZED, NULL);
        log_warn("eh: cannot get a token: %s audience=\"%s\"", err_str(rc), aud);
        if (r->mgmt) {
            r->mg_err = -EACCES;
            snprintf(r->mg_why, sizeof(r->mg_why), "cannot get a token: %s", err_str(rc));
        }
        close_conn(r);
        return;
    }
    pn_message_clear(r->msg);
    snprintf(r->token_id, sizeof(r->token_id), "sluice-cbs-%" PRIu64, ++r->msg_no);
    pn_atom_t id = {.type = PN_STRING};
    id.u.as_bytes = pn_bytes(strlen(r->token_id), r->token_id);
    pn_message_set_id(r->msg, id);
    pn_message_set_reply_to(r->msg, "sluice-cbs-reply");
    pn_message_set_address(r->msg, "$cbs");
    pn_data_t *ap = pn_message_properties(r->msg);
    pn_data_put_map(ap);
    pn_data_enter(ap);
    put_str(ap, "operation");
    put_str(ap, "put-token");
    put_str(ap, "type");
    put_str(ap, type);
    put_str(ap, "name");
    put_str(ap, aud);
    pn_data_exit(ap);
    put_str(pn_message_body(r->msg), r->tok);
    int sent = send_msg(r, r->cbs_snd);
    if (sent < 0) {
        r->st.cbs_failures++;
        log_warn("eh: cannot send the CBS put-token: %s (%d)", pn_code(sent), sent);
        if (r->mgmt) {
            r->mg_err = -EIO;
            snprintf(r->mg_why, sizeof(r->mg_why), "cannot send the CBS put-token: %s",
                     pn_code(sent));
        }
        close_conn(r);
        return;
    }
    memset(r->tok, 0, strlen(r->tok)); /* do not keep the secret around */
    r->st.cbs_puts++;
    r->token_inflight = true;
    /* Renew when a quarter of the lifetime is left, at most 5 min before expiry and
     * at most 45 min after this put, less up to 20% jitter (never later, so the old
     * token still covers the links while the new one travels); never for a fixed
     * token. A 1 h SAS: renewed after 36..45 min; a 6 s one: after 3.6..4.5 s. */
    if (exp_s > 0) {
        int64_t left_ms = exp_s * 1000 - clock_real_ms();
        left_ms -= MIN(left_ms / 4, (int64_t)300000);
        if (left_ms > 2700000)
            left_ms = 2700000;
        if (left_ms < 500)
            left_ms = 500;
        r->renew_at_ms = clock_mono_ms() + left_ms - (int64_t)(rnd(r) % (uint64_t)(left_ms / 5 + 1));
    } else {
        r->renew_at_ms = INT64_MAX;
    }
}

static void attach_receiver(struct eh_rx *r)
{
    char name[2 * EH_NAME_MAX + 200], src[3 * EH_NAME_MAX + 64], expr[160];
    snprintf(src, sizeof(src), "%s/ConsumerGroups/%s/Partitions/%s", r->cfg.hub, r->cfg.cg,
             r->cfg.partition);
    snprintf(name, sizeof(name), "%s-%s", src, r->cfg.receiver_name);
    struct eh_start st = r->cfg.start;
    if (r->attached_once && r->st.last_seq >= 0) /* resume after the last event taken */
        st = (struct eh_start){.kind = EH_START_SEQ, .seq = r->st.last_seq};
    int k = eh_filter_expr(&st, expr, sizeof(expr));
    if (k < 0) {
        r->fatal = -EINVAL;
        return;
    }
    pn_link_t *l = pn_receiver(r->ssn, name);
    pn_terminus_set_address(pn_link_source(l), src);
    pn_terminus_set_address(pn_link_target(l), r->cfg.receiver_name);
    pn_data_t *f = pn_terminus_filter(pn_link_source(l));
    pn_data_put_map(f);
    pn_data_enter(f);
    pn_data_put_symbol(f, pn_bytes(strlen(EH_SELECTOR_KEY), EH_SELECTOR_KEY));
    pn_data_put_described(f);
    pn_data_enter(f);
    pn_data_put_ulong(f, EH_SELECTOR_DESC);
    pn_data_put_string(f, pn_bytes((size_t)k, expr));
    pn_data_exit(f);
    pn_data_exit(f);
    pn_data_t *p = pn_link_properties(l);
    pn_data_put_map(p);
    pn_data_enter(p);
    if (r->cfg.has_owner_level) {
        pn_data_put_symbol(p, pn_bytes(19, "com.microsoft:epoch"));
        pn_data_put_long(p, r->cfg.owner_level);
    }
    pn_data_put_symbol(p, pn_bytes(27, "com.microsoft:receiver-name"));
    pn_data_put_string(p, pn_bytes(strlen(r->cfg.receiver_name), r->cfg.receiver_name));
    pn_data_exit(p);
    pn_link_set_rcv_settle_mode(l, PN_RCV_FIRST);
    pn_link_open(l);
    r->rcv = l;
    log_info("eh: attaching partition=%s filter=\"%s\"", r->cfg.partition, expr);
}

static void attach_mgmt(struct eh_rx *r)
{
    r->mg_snd = pn_sender(r->ssn, "sluice-mgmt");
    pn_terminus_set_address(pn_link_target(r->mg_snd), "$management");
    pn_link_open(r->mg_snd);
    r->mg_rcv = pn_receiver(r->ssn, "sluice-mgmt-reply");
    pn_terminus_set_address(pn_link_source(r->mg_rcv), "$management");
    pn_terminus_set_address(pn_link_target(r->mg_rcv), "sluice-mgmt-reply");
    pn_link_open(r->mg_rcv);
    pn_link_flow(r->mg_rcv, 8);
    r->mg_due = true;
}

static void send_mgmt(struct eh_rx *r)
{
    if (!r->mg_due || !r->mg_snd || pn_link_credit(r->mg_snd) <= 0)
        return;
    r->mg_due = false;
    pn_message_clear(r->msg);
    snprintf(r->token_id, sizeof(r->token_id), "sluice-mgmt-%" PRIu64, ++r->msg_no);
    pn_atom_t id = {.type = PN_STRING};
    id.u.as_bytes = pn_bytes(strlen(r->token_id), r->token_id);
    pn_message_set_id(r->msg, id);
    pn_message_set_reply_to(r->msg, "sluice-mgmt-reply");
    pn_data_t *ap = pn_message_properties(r->msg);
    pn_data_put_map(ap);
    pn_data_enter(ap);
    put_str(ap, "operation");
    put_str(ap, "READ");
    put_str(ap, "name");
    put_str(ap, r->cfg.hub);
    put_str(ap, "type");
    if (r->mg_phase == MG_HUB) {
        put_str(ap, "com.microsoft:eventhub");
    } else {
        put_str(ap, "com.microsoft:partition");
        put_str(ap, "partition");
        put_str(ap, r->info->part[r->mg_next].id);
    }
    pn_data_exit(ap);
    pn_data_put_binary(pn_message_body(r->msg), pn_bytes(2, "[]"));
    if (send_msg(r, r->mg_snd) < 0) {
        r->mg_err = -EIO;
        snprintf(r->mg_why, sizeof(r->mg_why), "cannot send the $management request");
        close_conn(r);
    }
}

/* Decode a response in r->ctl; its status-code into *status and its
 * status-description (printable ASCII, cut) into r->resp_desc. 0 or ERR_FORMAT. */
static int decode_response(struct eh_rx *r, int64_t *status)
{
    pn_message_clear(r->msg);
    if (pn_message_decode(r->msg, r->ctl, r->ctl_len) != 0)
        return ERR_FORMAT;
    pn_atom_t cid = pn_message_get_correlation_id(r->msg);
    if ((cid.type == PN_STRING || cid.type == PN_SYMBOL || cid.type == PN_BINARY) &&
        !(cid.u.as_bytes.size == strlen(r->token_id) &&
          memcmp(cid.u.as_bytes.start, r->token_id, cid.u.as_bytes.size) == 0))
        return -ESRCH; /* not ours (a late reply): ignore */
    *status = -1;
    r->resp_desc[0] = '\0';
    pn_data_t *ap = pn_message_properties(r->msg);
    pn_data_rewind(ap);
    if (pn_data_next(ap) && pn_data_type(ap) == PN_MAP) {
        pn_data_enter(ap);
        while (pn_data_next(ap)) {
            pn_bytes_t k;
            bool kok = data_text(ap, &k);
            if (!pn_data_next(ap))
                break;
            pn_bytes_t v;
            if (kok && (key_is(k, "status-code") || key_is(k, "statusCode"))) {
                (void)data_int(ap, status);
            } else if (kok && (key_is(k, "status-description") || key_is(k, "statusDescription")) &&
                       data_text(ap, &v)) {
                size_t m = MIN(v.size, sizeof(r->resp_desc) - 1);
                for (size_t i = 0; i < m; i++)
                    r->resp_desc[i] = (v.start[i] >= 0x20 && v.start[i] < 0x7f) ? v.start[i] : '?';
                r->resp_desc[m] = '\0';
            }
        }
        pn_data_exit(ap);
    }
    return *status < 0 ? ERR_FORMAT : 0;
}

static void on_cbs_reply(struct eh_rx *r)
{
    int64_t status;
    int rc = decode_response(r, &status);
    if (rc == -ESRCH)
        return;
    r->token_inflight = false;
    if (rc || status < 200 || status > 299) {
        r->st.cbs_failures++;
        report(r, EH_ST_UNAUTHORIZED, NULL);
        char aud[3 * EH_NAME_MAX + 64];
        audience(r, aud, sizeof(aud));
        const char *cred = r->cfg.cred[0] ? r->cfg.cred : "the token";
        log_warn("eh: CBS put-token refused status=%" PRId64 " credential=\"%s\" audience=\"%s\" "
                 "description=\"%s\" partition=%s",
                 rc ? -1 : status, cred, aud, r->resp_desc, r->mgmt ? "$management" : r->cfg.partition);
        if (r->mgmt) {
            r->mg_err = -EACCES;
            snprintf(r->mg_why, sizeof(r->mg_why),
                     "CBS put-token refused (status %" PRId64 "%s%s) for %s, audience '%.200s'",
                     rc ? -1 : status, r->resp_desc[0] ? ": " : "", r->resp_desc, cred, aud);
        }
        close_conn(r);
        return;
    }
    if (r->token_ok)
        return; /* a renewal */
    r->token_ok = true;
    r->was_authed = true;
    if (r->mgmt)
        attach_mgmt(r);
    else
        attach_receiver(r);
}

static void on_mgmt_reply(struct eh_rx *r)
{
    int64_t status;
    int rc = decode_response(r, &status);
    if (rc == -ESRCH)
        return;
    if (rc || status != 200) {
        r->mg_err = status == 404 ? -ENOENT : rc ? ERR_FORMAT : -EACCES;
        snprintf(r->mg_why, sizeof(r->mg_why), "$management READ %s answered status %" PRId64,
                 r->mg_phase == MG_HUB ? "com.microsoft:eventhub" : "com.microsoft:partition",
                 rc ? -1 : status);
        close_conn(r);
        return;
    }
    pn_data_t *b = pn_message_body(r->msg);
    pn_data_rewind(b);
    if (!pn_data_next(b) || pn_data_type(b) != PN_MAP) {
        r->mg_err = ERR_FORMAT;
        snprintf(r->mg_why, sizeof(r->mg_why), "$management reply body is not a map");
        close_conn(r);
        return;
    }
    struct eh_part_info *pi = r->mg_phase == MG_PART ? &r->info->part[r->mg_next] : NULL;
    pn_data_enter(b);
    while (pn_data_next(b)) {
        pn_bytes_t k;
        bool kok = data_text(b, &k);
        if (!pn_data_next(b))
            break;
        if (!kok)
            continue;
        if (!pi && key_is(k, "partition_ids") &&
            (pn_data_type(b) == PN_ARRAY || pn_data_type(b) == PN_LIST)) {
            pn_data_enter(b);
            r->info->partitions = 0;
            pn_bytes_t s;
            while (pn_data_next(b) && r->info->partitions < EH_MAX_PARTITIONS) {
                if (!data_text(b, &s) || s.size == 0 || s.size >= sizeof(pi->id))
                    continue;
                struct eh_part_info *q = &r->info->part[r->info->partitions++];
                memset(q, 0, sizeof(*q));
                memcpy(q->id, s.start, s.size);
                q->last_seq = -1;
                q->begin_seq = 0;
                q->last_enq_ms = -1;
            }
            pn_data_exit(b);
        } else if (pi) {
            int64_t v;
            if (key_is(k, "begin_sequence_number") && data_int(b, &v))
                pi->begin_seq = v;
            else if (key_is(k, "last_enqueued_sequence_number") && data_int(b, &v))
                pi->last_seq = v;
            else if (key_is(k, "is_partition_empty") && pn_data_type(b) == PN_BOOL)
                pi->empty = pn_data_get_bool(b);
            else if (key_is(k, "last_enqueued_time_utc") && data_int(b, &v))
                pi->last_enq_ms = v;
            else if (key_is(k, "last_enqueued_offset")) {
                pn_bytes_t o;
                if (data_text(b, &o) && o.size < sizeof(pi->last_off)) {
                    memcpy(pi->last_off, o.start, o.size);
                    pi->last_off[o.size] = '\0';
                }
            }
        }
    }
    pn_data_exit(b);
    if (pi && pi->empty)
        pi->last_seq = -1;
    if (r->mg_phase == MG_HUB) {
        if (r->info->partitions == 0) {
            r->mg_err = ERR_FORMAT;
            snprintf(r->mg_why, sizeof(r->mg_why), "$management reply has no partition_ids");
            close_conn(r);
            return;
        }
        if (r->mg_next == UINT32_MAX) { /* hub only */
            r->mg_phase = MG_DONE;
            close_conn(r);
            return;
        }
        r->mg_phase = MG_PART;
        r->mg_next = 0;
    } else if (++r->mg_next >= r->info->partitions) {
        r->mg_phase = MG_DONE;
        close_conn(r);
        return;
    }
    r->mg_due = true;
    send_mgmt(r);
}

static void credit_apply(struct eh_rx *r)
{
    if (!r->rcv || !r->up || r->closing)
        return;
    int have = pn_link_credit(r->rcv) + pn_link_queued(r->rcv);
    if (have < 0)
        have = 0;
    uint32_t cur = (uint32_t)have;
    if (r->want <= cur)
        return;
    uint32_t gap = r->want - cur, low = r->want / 4 ? r->want / 4 : 1;
    if (cur == 0 || gap >= low)
        pn_link_flow(r->rcv, (int)gap);
}

/* Offer complete deliveries to the callback until one is refused. */
static void pump(struct eh_rx *r)
{
    pn_link_t *l = r->rcv;
    if (!l || r->fatal)
        return;
    pn_delivery_t *d;
    while ((d = pn_link_current(l)) && pn_delivery_readable(d)) {
        if (pn_delivery_aborted(d)) {
            pn_link_advance(l);
            pn_delivery_settle(d);
            r->buf_len = 0;
            r->held = false;
            continue;
        }
        if (!r->held) {
            if (read_pending(l, d, &r->buf, &r->buf_len, &r->buf_cap)) {
                r->fatal = -ENOMEM;
                return;
            }
            if (pn_delivery_partial(d))
                return; /* the rest comes with later frames */
            int rc = eh_event_decode(r->dec, r->buf, r->buf_len, &r->ev);
            if (rc) {
                LOG_RATELIMITED(10000, LOG_ERR, "eh: undecodable message skipped: %s "
                                "partition=%s after_seq=%" PRId64 " bytes=%zu",
                                err_str(rc), r->cfg.partition, r->st.last_seq, r->buf_len);
                pn_link_advance(l);
                pn_delivery_update(d, PN_REJECTED);
                pn_delivery_settle(d);
                r->buf_len = 0;
                continue;
            }
            r->held = true;
        }
        int rc = r->cfg.on_event(r->cfg.event_ctx, &r->ev);
        if (rc == -EAGAIN)
            return;
        if (rc < 0) {
            r->fatal = rc;
            return;
        }
        r->held = false;
        r->st.events++;
        r->st.bytes += r->ev.body_len;
        r->st.last_seq = r->ev.seq;
        r->taken++;
        r->buf_len = 0;
        pn_link_advance(l);
        if (!pn_delivery_settled(d))
            pn_delivery_update(d, PN_ACCEPTED);
        pn_delivery_settle(d);
        if (r->want)
            r->want--;
    }
    credit_apply(r);
}

static void on_ctl_delivery(struct eh_rx *r, pn_delivery_t *d, pn_link_t *l)
{
    if (!pn_delivery_readable(d))
        return;
    if (read_pending(l, d, &r->ctl, &r->ctl_len, &r->ctl_cap)) {
        r->fatal = -ENOMEM;
        return;
    }
    if (pn_delivery_partial(d))
        return;
    pn_link_advance(l);
    if (l == r->cbs_rcv)
        on_cbs_reply(r);
    else
        on_mgmt_reply(r);
    r->ctl_len = 0;
    if (!pn_delivery_settled(d))
        pn_delivery_update(d, PN_ACCEPTED);
    pn_delivery_settle(d);
    pn_link_flow(l, 1);
}

static void on_init(struct eh_rx *r, pn_connection_t *c)
{
    pn_connection_set_container(c, r->cfg.receiver_name[0] ? r->cfg.receiver_name : "sluice");
    pn_connection_set_hostname(c, r->cfg.host);
    pn_connection_open(c);
    r->ssn = pn_session(c);
    pn_session_open(r->ssn);
    r->cbs_snd = pn_sender(r->ssn, "sluice-cbs");
    pn_terminus_set_address(pn_link_target(r->cbs_snd), "$cbs");
    pn_link_open(r->cbs_snd);
    r->cbs_rcv = pn_receiver(r->ssn, "sluice-cbs-reply");
    pn_terminus_set_address(pn_link_source(r->cbs_rcv), "$cbs");
    pn_terminus_set_address(pn_link_target(r->cbs_rcv), "sluice-cbs-reply");
    pn_link_open(r->cbs_rcv);
    pn_link_flow(r->cbs_rcv, 8);
    r->token_due = true;
}

static void handle(struct eh_rx *r, pn_event_t *e)
{
    switch (pn_event_type(e)) {
    case PN_CONNECTION_INIT:
        on_init(r, pn_event_connection(e));
        break;
    case PN_CONNECTION_WAKE:
        if (r->token_due)
            send_token(r);
        pump(r);
        credit_apply(r);
        break;
    case PN_CONNECTION_REMOTE_OPEN:
        r->was_open = true;
        break;
    case PN_LINK_FLOW: {
        pn_link_t *l = pn_event_link(e);
        if (l == r->cbs_snd && r->token_due)
            send_token(r);
        else if (l == r->mg_snd)
            send_mgmt(r);
        break;
    }
    case PN_DELIVERY: {
        pn_delivery_t *d = pn_event_delivery(e);
        pn_link_t *l = pn_delivery_link(d);
        if (l == r->rcv)
            pump(r);
        else if (l == r->cbs_rcv || l == r->mg_rcv)
            on_ctl_delivery(r, d, l);
        else if (pn_link_is_sender(l) && pn_delivery_updated(d))
            pn_delivery_settle(d); /* our request was accepted (or not: the reply says) */
        break;
    }
    case PN_LINK_REMOTE_OPEN: {
        pn_link_t *l = pn_event_link(e);
        if (l == r->rcv) {
            const char *a = pn_terminus_get_address(pn_link_remote_source(l));
            if (!a || !*a)
                break; /* refused: a detach with the reason follows */
            r->up = true;
            r->attached_once = true;
            r->attempts = 0;
            r->st.status = EH_ST_OK;
            credit_apply(r);
        }
        break;
    }
    case PN_LINK_REMOTE_DETACH:
    case PN_LINK_REMOTE_CLOSE: {
        pn_link_t *l = pn_event_link(e);
        pn_condition_t *c = pn_link_remote_condition(l);
        enum eh_status s = cond_status(c);
        if (!r->mgmt || r->mg_phase != MG_DONE)
            report(r, s, c);
        if (r->mgmt && !r->mg_err && r->mg_phase != MG_DONE) {
            r->mg_err = s == EH_ST_NOT_FOUND ? -ENOENT : s == EH_ST_UNAUTHORIZED ? -EACCES : -EIO;
            snprintf(r->mg_why, sizeof(r->mg_why), "$management link closed: %s (%.150s)",
                     pn_condition_get_name(c) ? pn_condition_get_name(c) : "no condition",
                     pn_condition_get_description(c) ? pn_condition_get_description(c) : "");
        }
        if (l == r->rcv)
            r->up = false;
        pn_link_close(l);
        close_conn(r);
        break;
    }
    case PN_CONNECTION_REMOTE_CLOSE: {
        pn_connection_t *c = pn_event_connection(e);
        pn_condition_t *cond = pn_connection_remote_condition(c);
        if (pn_condition_is_set(cond))
            report(r, cond_status(cond), cond);
        r->closing = false; /* force the close below even if we started one */
        close_conn(r);
        break;
    }
    case PN_TRANSPORT_CLOSED: {
        pn_condition_t *c = pn_transport_condition(pn_event_transport(e));
        bool expected = r->closing;
        if (!expected || pn_condition_is_set(c)) {
            if (!r->mgmt || r->mg_phase != MG_DONE)
                report(r, EH_ST_DISCONNECTED, c);
        }
        if (r->mgmt && !r->mg_err && r->mg_phase != MG_DONE) {
            r->mg_err = -ECONNREFUSED;
            if (r->cfg.tls && tls_failed(c)) {
                const char *what, *fix;
                tls_explain(r, c, &what, &fix);
                r->mg_err = -EPROTO;
                snprintf(r->mg_why, sizeof(r->mg_why),
                         "TLS handshake with %s failed: %s (CA file %s); fix: %s", r->cfg.host,
                         what, ca_file(), fix);
            } else {
                snprintf(r->mg_why, sizeof(r->mg_why), "connection closed: %.200s",
                         pn_condition_get_description(c) ? pn_condition_get_description(c)
                                                          : "no reason given");
            }
        }
        /* the proactor frees conn, transport and everything under them */
        r->conn = NULL;
        r->ssn = NULL;
        r->cbs_snd = r->cbs_rcv = r->rcv = r->mg_snd = r->mg_rcv = NULL;
        r->up = r->closing = r->token_ok = r->token_inflight = false;
        r->held = false;
        r->buf_len = r->ctl_len = 0;
        r->renew_at_ms = INT64_MAX;
        int64_t d = EH_BACKOFF_BASE_MS;
        for (uint32_t i = 0; i < r->attempts && d < EH_BACKOFF_MAX_MS; i++)
            d *= 2;
        if (d > EH_BACKOFF_MAX_MS)
            d = EH_BACKOFF_MAX_MS;
        r->reconnect_at_ms = clock_mono_ms() + jitter(r, d);
        break;
    }
    default:
        break;
    }
}

static void do_connect(struct eh_rx *r)
{
    pn_connection_t *c = pn_connection();
    pn_transport_t *t = pn_transport();
    /* TLS is set up before connecting or not at all: never plain instead */
    pn_ssl_t *ssl = t && r->cfg.tls ? pn_ssl(t) : NULL;
    if (!c || !t || (r->cfg.tls && (!ssl || pn_ssl_init(ssl, r->ssl, NULL) != 0))) {
        if (c)
            pn_connection_free(c);
        if (t)
            pn_transport_free(t);
        r->reconnect_at_ms = clock_mono_ms() + EH_BACKOFF_BASE_MS;
        return;
    }
    if (r->cfg.tls) {
        r->tls_name_bad = false;
        pn_logger_t *lg = pn_transport_logger(t);
        pn_logger_set_log_sink(lg, tls_log_sink, (intptr_t)r);
        pn_logger_set_mask(lg, PN_SUBSYSTEM_SSL, PN_LEVEL_ERROR);
    }
    pn_sasl_allowed_mechs(pn_sasl(t), "ANONYMOUS");
    pn_transport_set_idle_timeout(t, 120000); /* proton advertises half: 60 s like the SDKs */
    char port[8], addr[PN_MAX_ADDR];
    snprintf(port, sizeof(port), "%u", (unsigned)r->cfg.port);
    pn_proactor_addr(addr, sizeof(addr), r->cfg.host, port);
    r->conn = c;
    r->st.connects++;
    if (r->attempts++ > 0 || r->attached_once)
        r->st.reconnects++;
    r->st.status = EH_ST_CONNECTING;
    pn_proactor_connect2(r->px, c, t, addr);
}

static bool is_loopback(const char *h)
{
    return strcmp(h, "localhost") == 0 || strncmp(h, "127.", 4) == 0 || strcmp(h, "::1") == 0 ||
           strcmp(h, "[::1]") == 0;
}

static struct eh_rx *create(const struct eh_rx_cfg *cfg, bool mgmt, int *err)
{
    *err = -EINVAL;
    if (!cfg->host[0] || !cfg->hub[0] || !cfg->port || !cfg->token ||
        (!mgmt && (!cfg->on_event || !cfg->partition[0] || !cfg->cg[0])))
        return NULL;
    if (!cfg->tls && !is_loopback(cfg->host)) {
        log_err("eh: plain AMQP (no TLS) is only allowed to a loopback development emulator "
                "host=\"%s\"", cfg->host);
        return NULL;
    }
    *err = -ENOMEM;
    struct eh_rx *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->cfg = *cfg;
    r->mgmt = mgmt;
    r->st.last_seq = -1;
    r->renew_at_ms = INT64_MAX;
    r->rng = (uint64_t)clock_mono_ns() ^ ((uint64_t)(uintptr_t)r << 16) ^ 0x9e3779b97f4a7c15ULL;
    if (!r->rng)
        r->rng = 1;
    r->px = pn_proactor();
    r->msg = pn_message();
    r->dec = eh_decoder_create();
    r->tok = malloc(EH_TOKEN_MAX);
    if (!r->px || !r->msg || !r->dec || !r->tok)
        goto fail;
    if (cfg->tls) {
        /* peer verification with the host name, always: there is no switch to turn it off */
        const char *ca = ca_file();
        r->ssl = pn_ssl_domain(PN_SSL_MODE_CLIENT);
        if (!r->ssl || pn_ssl_domain_set_trusted_ca_db(r->ssl, ca) != 0 ||
            pn_ssl_domain_set_peer_authentication(r->ssl, PN_SSL_VERIFY_PEER_NAME, NULL) != 0) {
            log_err("eh: cannot set up TLS with peer verification: the CA file cannot be "
                    "loaded ca_file=\"%s\" fix=\"%s\"",
                    ca,
                    getenv("SSL_CERT_FILE") && *getenv("SSL_CERT_FILE")
                        ? "SSL_CERT_FILE must name a readable PEM file of CA certificates"
                        : "install the ca-certificates package, or set SSL_CERT_FILE to a "
                          "PEM file of CA certificates");
            *err = -EIO;
            goto fail;
        }
    }
    do_connect(r);
    *err = 0;
    return r;
fail:
    eh_rx_destroy(r, 0);
    return NULL;
}

struct eh_rx *eh_rx_create(const struct eh_rx_cfg *cfg, int *err)
{
    return create(cfg, false, err);
}

static void run_batch(struct eh_rx *r, pn_event_batch_t *b)
{
    pn_event_t *e;
    while ((e = pn_event_batch_next(b)))
        handle(r, e);
    pn_proactor_done(r->px, b);
}

int eh_rx_poll(struct eh_rx *r, int timeout_ms)
{
    r->taken = 0;
    if (r->fatal)
        return r->fatal;
    int64_t now = clock_mono_ms();
    bool mg_over = r->mgmt && (r->mg_err || r->mg_phase == MG_DONE);
    if (!r->conn && now >= r->reconnect_at_ms && !mg_over)
        do_connect(r);
    if (r->conn && r->token_ok && !r->token_inflight && now >= r->renew_at_ms) {
        r->token_due = true;
        r->renew_at_ms = INT64_MAX;
        pn_connection_wake(r->conn);
    }
    if (r->conn && r->closing && now - r->closing_since_ms > EH_CLOSE_WAIT_MS)
        pn_proactor_disconnect(r->px, NULL);
    int64_t wait = timeout_ms < 0 ? 0 : timeout_ms;
    if (!r->conn && r->reconnect_at_ms - now < wait)
        wait = r->reconnect_at_ms > now ? r->reconnect_at_ms - now : 0;
    if (r->renew_at_ms != INT64_MAX && r->renew_at_ms - now < wait)
        wait = r->renew_at_ms > now ? r->renew_at_ms - now : 0;
    pn_proactor_set_timeout(r->px, (pn_millis_t)wait);
    run_batch(r, pn_proactor_wait(r->px));
    pn_event_batch_t *b;
    while (!r->fatal && (b = pn_proactor_get(r->px)))
        run_batch(r, b);
    return r->fatal ? r->fatal : r->taken;
}

void eh_rx_set_credit(struct eh_rx *r, uint32_t n)
{
    if (n > r->cfg.prefetch)
        n = r->cfg.prefetch;
    bool wake = (n > r->want && (r->want == 0 || n - r->want >= (n / 4 ? n / 4 : 1))) ||
                (r->held && n > 0);
    r->want = n;
    if (wake && r->conn && r->up)
        pn_connection_wake(r->conn);
}

const struct eh_rx_stats *eh_rx_stats(const struct eh_rx *r) { return &r->st; }

void eh_rx_destroy(struct eh_rx *r, int timeout_ms)
{
    if (!r)
        return;
    if (r->px && r->conn) {
        if (r->held && r->conn)
            r->held = false; /* not taken: the hub redelivers it to the next reader */
        r->reconnect_at_ms = INT64_MAX;
        int64_t end = clock_mono_ms() + timeout_ms;
        /* close from inside event handling: a wake turns into a close */
        r->closing = false;
        r->fatal = 0;
        while (r->conn && clock_mono_ms() < end) {
            if (!r->closing) {
                pn_connection_wake(r->conn);
                pn_proactor_set_timeout(r->px, 50);
                pn_event_batch_t *b = pn_proactor_wait(r->px);
                pn_event_t *e;
                while ((e = pn_event_batch_next(b))) {
                    if (pn_event_type(e) == PN_CONNECTION_WAKE)
                        close_conn(r);
                    else
                        handle(r, e);
                }
                pn_proactor_done(r->px, b);
            } else {
                pn_proactor_set_timeout(r->px, 50);
                run_batch(r, pn_proactor_wait(r->px));
            }
        }
    }
    if (r->px)
        pn_proactor_free(r->px); /* frees any connection left */
    if (r->ssl)
        pn_ssl_domain_free(r->ssl);
    if (r->msg)
        pn_message_free(r->msg);
    eh_decoder_destroy(r->dec);
    if (r->tok)
        memset(r->tok, 0, EH_TOKEN_MAX);
    free(r->tok);
    free(r->buf);
    free(r->ctl);
    if (r->ctl_out)
        memset(r->ctl_out, 0, r->ctl_out_cap); /* held a token */
    free(r->ctl_out);
    free(r);
}

int eh_mgmt_read(const struct eh_rx_cfg *cfg, bool with_parts, struct eh_hub_info *out,
                 int timeout_ms, char *why, size_t n)
{
    int rc;
    memset(out, 0, sizeof(*out));
    struct eh_rx *r = create(cfg, true, &rc);
    if (!r) {
        snprintf(why, n, "cannot start the $management client: %s", err_str(rc));
        return rc;
    }
    r->info = out;
    r->mg_phase = MG_HUB;
    r->mg_next = with_parts ? 0 : UINT32_MAX;
    int64_t end = clock_mono_ms() + timeout_ms;
    while (!r->mg_err && r->mg_phase != MG_DONE && clock_mono_ms() < end)
        if (eh_rx_poll(r, 100) < 0)
            break;
    rc = r->mg_err;
    if (!rc && r->mg_phase != MG_DONE) {
        rc = -ETIMEDOUT;
        snprintf(r->mg_why, sizeof(r->mg_why), "no $management answer within %d ms (status %s)",
                 timeout_ms, eh_status_name(r->st.status));
    }
    if (rc)
        snprintf(why, n, "%s", r->mg_why);
    out->connected = r->was_open;
    out->authenticated = r->was_authed;
    eh_rx_destroy(r, 2000);
    return rc;
}

/* ---- the source: flags to credentials and a receiver template ---------------------- */

int eh_source_token(void *ctx, const char *audience, char *token, size_t n, const char **type,
                    int64_t *expires_s)
{
    const struct eh_source *s = ctx;
    return eh_cbs_token(&s->conn, s->entra, s->sas_ttl_s, audience, token, n, type, expires_s);
}

int eh_source_init(struct eh_source *s, const char *ns, const char *conn_env,
                   const char *hub_flag, int64_t sas_ttl_s, struct eh_rx_cfg *t, char *why,
                   size_t n)
{
    memset(s, 0, sizeof(*s));
    s->sas_ttl_s = sas_ttl_s;
    const char *hub = hub_flag ? hub_flag : "";
    if (ns && *ns) {
        snprintf(s->conn.host, sizeof(s->conn.host), "%s", ns);
        s->conn.port = EH_AMQPS_PORT;
        s->conn.tls = true;
        s->entra = true;
    } else {
        const char *cs = getenv(conn_env);
        if (!cs || !*cs) {
            snprintf(why, n,
                     "$%s is not set; put the Event Hubs connection string there "
                     "(--connection-string-env VAR names another variable), or give "
                     "--namespace and --eventhub to use Microsoft Entra ID",
                     conn_env);
            return -EINVAL;
        }
        char w[512];
        if (eh_conn_parse(cs, &s->conn, w, sizeof(w)) != 0) {
            snprintf(why, n,
                     "$%s: %s; fix the connection string (copy it from the portal: "
                     "Shared access policies)",
                     conn_env, w);
            return -EINVAL;
        }
        if (!hub[0])
            hub = s->conn.entity;
        if (!hub[0]) {
            snprintf(why, n,
                     "the connection string in $%s has no EntityPath; add "
                     "EntityPath=HUB or give --eventhub",
                     conn_env);
            return -EINVAL;
        }
        s->entra = !s->conn.key[0] && !s->conn.sas[0];
    }
    snprintf(t->host, sizeof(t->host), "%s", s->conn.host);
    t->port = s->conn.port;
    t->tls = s->conn.tls;
    snprintf(t->hub, sizeof(t->hub), "%s", hub);
    t->token = eh_source_token;
    t->token_ctx = s;
    eh_cred_describe(&s->conn, s->entra, t->cred, sizeof(t->cred));
    return 0;
}
