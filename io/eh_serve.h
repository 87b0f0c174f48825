/* eh_serve.h - an Event Hubs-compatible AMQP 1.0 endpoint serving in-memory partitions
 * (the emulator behind `sluice-replay serve`, DESIGN.md §8, eventhubs.md §6).
 *
 * One hub with N partitions and a set of consumer groups, held in memory: the
 * caller loads the events (e.g. from a capture) with eh_serve_add(), then
 * eh_serve_run() listens on plain AMQP, or AMQPS (TLS, server side) when a
 * certificate and key are given, and serves SASL ANONYMOUS,
 * `$cbs` put-token, `$management` READ, receiver links with selector filters,
 * epochs and the five-readers rule, and sender links (producers) whose events
 * are appended to the partitions and delivered to the receivers.
 *
 * No proton type appears here: proton stays inside the .c files of io/ (DESIGN.md §10).
 */
#ifndef SLUICE_EH_SERVE_H
#define SLUICE_EH_SERVE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "capture.h"
#include "compiler.h"

#define EH_SERVE_MAX_CGS 64u
#define EH_SERVE_MAX_READERS 5u   /* non-epoch receivers per partition per group */
#define EH_SERVE_MAX_MSG 1048576u /* max-message-size advertised to producers */

/* Injected faults, each a probability per delivered event (detach, drop,
 * throttle) or per producer transfer (busy); slow_ms delays every pump of a
 * receiver link. */
struct eh_serve_faults {
    double detach;    /* detach the receiver link with amqp:link:detach-forced */
    double drop;      /* close the whole connection (amqp:connection:forced) */
    double busy;      /* reject a producer transfer with com.microsoft:server-busy */
    double throttle;  /* detach the receiver link with com.microsoft:server-busy */
    uint32_t slow_ms; /* pause between pumps of one receiver link, ms */
};

struct eh_serve_opts {
    const char *host;         /* listen address, e.g. "127.0.0.1" */
    const char *port;         /* "0": a free port, reported through on_listen */
    const char *hub;          /* event hub name (compared case-insensitively) */
    const char *const *cgs;   /* consumer groups besides "$default" (which always exists) */
    size_t ncgs;              /* <= EH_SERVE_MAX_CGS - 1 */
    uint32_t partitions;      /* 1..CAPTURE_MAX_PARTITIONS */
    int64_t created_ms;       /* the hub's created_at */
    const char *sas_key_name; /* NULL: every put-token is accepted */
    const char *sas_key;      /* SECRET: never logged */
    uint64_t rate;            /* events per second over all receivers; 0 unlimited */
    const char *tls_cert;     /* PEM certificate (chain) file; with tls_key: TLS, else plain */
    const char *tls_key;      /* PEM private key file (unencrypted) for tls_cert */
    struct eh_serve_faults faults;
    uint64_t seed; /* for the fault draws */
    /* Called once the listener is bound, with the numeric host and port. */
    void (*on_listen)(const char *host, const char *port, void *arg);
    void *arg;
    /* eh_serve_run() returns soon (<= 100 ms) after *stop becomes non-zero. */
    const volatile sig_atomic_t *stop;
};

struct eh_serve;

/* A server for o (copied; strings are copied too). With tls_cert and tls_key the
 * certificate and key are loaded here, so a bad file fails now, logged with its
 * name. NULL with *err = -EINVAL (bad option; only one of tls_cert and tls_key;
 * a file that is not a PEM certificate or key, or a key that does not match the
 * certificate), -ENOENT / -EACCES (a TLS file cannot be read) or -ENOMEM.
 * @thread control */
struct eh_serve *eh_serve_create(const struct eh_serve_opts *o, int *err);

/* Append a copy of ev to partition p, as the next event (ev->seq must be above
 * the partition's last one). Offsets are kept as opaque strings.
 * @return 0, -EINVAL (p out of range, seq not increasing), -ENOMEM.
 * @thread control, before eh_serve_run() */
int eh_serve_add(struct eh_serve *s, uint32_t p, const struct capture_event *ev) MUST_CHECK;

/* Listen and serve until *o->stop: then close every connection and return.
 * @return 0; -EADDRINUSE / -EINVAL / -EIO when the listener fails (logged).
 * @thread control @blocking */
int eh_serve_run(struct eh_serve *s) MUST_CHECK;

/* Free everything. NULL is a no-op. */
void eh_serve_destroy(struct eh_serve *s);

#endif
