/* eh_rx.h - Azure Event Hubs receiver over AMQP 1.0 (DESIGN.md §3, reference/eventhubs.md §1, §5).
 *
 * One struct eh_rx receives ONE partition. It owns its own proton proactor and
 * connection, and every pn_* object under them; the thread that calls
 * eh_rx_poll() drives it and is the only thread that may touch it (the rx
 * thread of the partition). proton headers stay inside io/ .c files: this header is
 * proton-free so engine/ can include it.
 *
 * Per connection: TCP (TLS with peer-name verification on 5671 or the Endpoint's
 * port, trusting the CA file $SSL_CERT_FILE, else /etc/ssl/certs/ca-certificates.crt;
 * plain AMQP only for UseDevelopmentEmulator=true to a loopback host), SASL ANONYMOUS, one
 * session, CBS put-token on $cbs (sender + receiver link pair), then the
 * receiver link on <hub>/ConsumerGroups/<cg>/Partitions/<id> with the selector
 * filter of the start position, com.microsoft:epoch (long) when an owner level
 * is set, and com.microsoft:receiver-name. Tokens come from a callback
 * (SAS or Entra ID) and are re-put before they expire.
 *
 * Credit is the caller's: eh_rx_set_credit() says how many more messages it can
 * take; the link is topped up to that and no further, so a slow pipeline stops
 * the hub. An event the callback cannot take (-EAGAIN) stays in proton,
 * unsettled and unread, and is offered again on the next poll: nothing is
 * dropped. After a detach or a lost connection the receiver reconnects with
 * exponential backoff and jitter, resuming after the last sequence number the
 * callback accepted.
 */
#ifndef SLUICE_EH_RX_H
#define SLUICE_EH_RX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler.h"
#include "eh_auth.h"

#define EH_NAME_MAX 255u
#define EH_OFF_MAX  63u

/* Where a receiver starts when it has no checkpoint (--start). */
enum eh_start_kind {
    EH_START_EARLIEST, /* first retained event: x-opt-offset > '-1' */
    EH_START_LATEST,   /* only events enqueued after the attach: '@latest' */
    EH_START_SEQ,      /* after sequence number seq (exclusive) */
    EH_START_OFFSET,   /* after offset off (exclusive; opaque string) */
    EH_START_TIME,     /* enqueued after time_ms */
};

struct eh_start {
    enum eh_start_kind kind;
    int64_t seq;             /* EH_START_SEQ */
    int64_t time_ms;         /* EH_START_TIME, ms since the Unix epoch */
    char off[EH_OFF_MAX + 1]; /* EH_START_OFFSET */
};

/* Parse earliest | latest | seq:N | offset:S | time:T (T: ISO 8601 UTC like
 * 2026-11-30T00:00:00Z, or ms since the Unix epoch) into *out. 0 or -EINVAL with
 * the reason in why. @thread any */
int eh_start_parse(const char *s, struct eh_start *out, char *why, size_t n) MUST_CHECK;

/* Write the selector filter expression of s into out (NUL-terminated), e.g.
 * "amqp.annotation.x-opt-sequence-number > '41'". Returns its length, or
 * -ENOSPC when out is too small, -EINVAL for an offset holding a quote.
 * @thread any */
int eh_filter_expr(const struct eh_start *s, char *out, size_t n) MUST_CHECK;

/* One received event. Pointers are borrowed: valid only during the callback. */
struct eh_event {
    int64_t seq;          /* x-opt-sequence-number (long) */
    int64_t enq_ms;       /* x-opt-enqueued-time (timestamp), -1 if absent */
    const char *off;      /* x-opt-offset (string), not NUL-terminated */
    size_t off_len;
    const char *key;      /* x-opt-partition-key (string); key_len 0 when none */
    size_t key_len;
    const char *body;     /* data section, or amqp-value string/binary */
    size_t body_len;
};

/* Decode one encoded AMQP message (the bytes of a transfer) into *ev.
 * Pointers in ev point into dec (valid until the next call with dec).
 * 0, ERR_FORMAT (not a message, no sequence number, unusable body), -ENOMEM.
 * @thread the owner of dec */
struct eh_decoder;
struct eh_decoder *eh_decoder_create(void);
void eh_decoder_destroy(struct eh_decoder *d);
int eh_event_decode(struct eh_decoder *d, const char *bytes, size_t len,
                    struct eh_event *ev) MUST_CHECK;

/* Token for a CBS put-token on audience (an sb:// URI). Fill token (NUL
 * terminated, at most n bytes), *type ("servicebus.windows.net:sastoken" or
 * "jwt", static), *expires_s (Unix seconds; 0: never refreshed). 0 or a negative
 * error (the attempt is retried with backoff). @thread the caller of eh_rx_poll */
typedef int (*eh_token_fn)(void *ctx, const char *audience, char *token, size_t n,
                           const char **type, int64_t *expires_s);

/* One event for the caller. 0: taken (it is settled); -EAGAIN: no room now,
 * offer it again later (nothing is settled or skipped); other negative: fatal,
 * eh_rx_poll returns it. @thread the caller of eh_rx_poll */
typedef int (*eh_event_fn)(void *ctx, const struct eh_event *ev);

/* What a receiver reports (counted per condition; see eh_rx_stats). */
enum eh_status {
    EH_ST_OK = 0,
    EH_ST_CONNECTING,
    EH_ST_STOLEN,       /* amqp:link:stolen: a receiver with a higher owner level took it */
    EH_ST_BUSY,         /* com.microsoft:server-busy: throttled */
    EH_ST_QUOTA,        /* amqp:resource-limit-exceeded: too many readers or connections */
    EH_ST_UNAUTHORIZED, /* amqp:unauthorized-access / CBS 401/403 */
    EH_ST_NOT_FOUND,    /* amqp:not-found: hub, consumer group or partition missing */
    EH_ST_OUT_OF_RANGE, /* com.microsoft:argument-out-of-range: start position outside */
    EH_ST_DISCONNECTED, /* transport closed, other detach */
    EH_ST__COUNT
};
const char *eh_status_name(enum eh_status s);

struct eh_rx_cfg {
    char host[EH_NAME_MAX + 1];   /* namespace FQDN or emulator host */
    uint16_t port;                /* 5671 (TLS) or the emulator's port */
    bool tls;                     /* false only for the development emulator */
    char hub[EH_NAME_MAX + 1];
    char cg[EH_NAME_MAX + 1];
    char partition[32];           /* partition id as the hub names it */
    struct eh_start start;        /* first attach; later attaches resume after the last seq */
    bool has_owner_level;
    int64_t owner_level;          /* com.microsoft:epoch (long) */
    char receiver_name[128];      /* com.microsoft:receiver-name and target address */
    uint32_t prefetch;            /* most credit outstanding at once */
    eh_token_fn token;
    void *token_ctx;
    char cred[160];               /* what token presents, for messages (eh_cred_describe) */
    eh_event_fn on_event;
    void *event_ctx;
};

/* The credentials of one event hub source, shared by all its receivers' token
 * callbacks (SECRET: conn). */
struct eh_source {
    struct eh_conn conn; /* parsed connection string, or host/port/tls for --namespace */
    bool entra;          /* tokens from Microsoft Entra ID (eh_entra_token) */
    int64_t sas_ttl_s;   /* lifetime of the SAS tokens signed from conn.key */
};

/* eh_token_fn over a struct eh_source: eh_cbs_token(). @thread any (reentrant) */
int eh_source_token(void *ctx, const char *audience, char *token, size_t n, const char **type,
                    int64_t *expires_s);

/* Resolve the connection flags of `sluice run --source eventhub`, `sluice check` and
 * `sluice-replay record`: ns (--namespace: Entra ID, TLS on 5671) or else the
 * connection string in $conn_env; the hub is hub_flag when given, else the string's
 * EntityPath. Fills s and, in t, host, port, tls, hub, cred and token (over s, which
 * must outlive t's receivers). 0, or -EINVAL with a one-line reason and fix in why
 * (never a secret). @thread control */
int eh_source_init(struct eh_source *s, const char *ns, const char *conn_env,
                   const char *hub_flag, int64_t sas_ttl_s, struct eh_rx_cfg *t, char *why,
                   size_t n) MUST_CHECK;

struct eh_rx_stats {
    uint64_t events, bytes;           /* taken by the callback */
    uint64_t connects, reconnects;
    uint64_t cbs_puts, cbs_failures;
    uint64_t by_status[EH_ST__COUNT]; /* detaches and closes per condition */
    enum eh_status status;            /* the latest */
    int64_t last_seq;                 /* last seq taken; -1 none */
};

struct eh_rx;

/* Create a receiver and start connecting (nothing blocks here). NULL with *err:
 * -EINVAL (bad cfg), -ENOMEM. @thread the owner (rx) */
struct eh_rx *eh_rx_create(const struct eh_rx_cfg *cfg, int *err);
/* Close the connection (best effort, bounded by timeout_ms) and free everything. */
void eh_rx_destroy(struct eh_rx *r, int timeout_ms);

/* Run proton events for at most timeout_ms: deliveries go to on_event, CBS,
 * token renewal, reconnects and heartbeats happen here. Returns the number of
 * events taken (>= 0), or the fatal error returned by on_event.
 * @thread owner @blocking (bounded) */
int eh_rx_poll(struct eh_rx *r, int timeout_ms) MUST_CHECK;

/* The caller can take `n` more messages beyond those already delivered: link
 * credit is topped up so that credit + queued <= n (credit is never revoked;
 * it simply is not renewed). @thread owner */
void eh_rx_set_credit(struct eh_rx *r, uint32_t n);

const struct eh_rx_stats *eh_rx_stats(const struct eh_rx *r);

/* $management READ of a hub: partition ids and, per partition, the first and
 * last sequence numbers. */
#define EH_MAX_PARTITIONS 1024u
struct eh_part_info {
    char id[32];
    int64_t begin_seq;        /* begin_sequence_number */
    int64_t last_seq;         /* last_enqueued_sequence_number; -1 when empty */
    bool empty;               /* is_partition_empty */
    char last_off[EH_OFF_MAX + 1]; /* last_enqueued_offset; "" when not given */
    int64_t last_enq_ms;      /* last_enqueued_time_utc (ms since 1970); -1 when not given */
};
struct eh_hub_info {
    uint32_t partitions;
    /* How far eh_mgmt_read got, also when it fails (sluice check names the step):
     * the AMQP connection was opened by the peer (TCP, TLS, SASL, open), and a CBS
     * put-token was accepted. */
    bool connected;
    bool authenticated;
    struct eh_part_info part[EH_MAX_PARTITIONS];
};

/* Connect like a receiver (cfg's host, port, tls, hub, token; partition, start
 * and callbacks unused), READ com.microsoft:eventhub, then com.microsoft:partition
 * for each id (when with_parts), within timeout_ms. 0, -ETIMEDOUT, ERR_FORMAT
 * (reply not understood), -EACCES (CBS or READ refused: why says so), -ENOENT
 * (hub not found), -ECONNREFUSED / -EIO (transport), -EPROTO (TLS handshake or
 * certificate verification failed: why names the CA file and the fix).
 * @thread control @blocking */
int eh_mgmt_read(const struct eh_rx_cfg *cfg, bool with_parts, struct eh_hub_info *out,
                 int timeout_ms, char *why, size_t n) MUST_CHECK;

#endif
