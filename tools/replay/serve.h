/* serve.h - `sluice-replay serve`: a capture served as an Event Hubs-compatible
 * AMQP 1.0 endpoint (io/eh_serve.h does the protocol). */
#ifndef SLUICE_SERVE_H
#define SLUICE_SERVE_H

#include <stdint.h>

#include "compiler.h"

struct replay_serve_opts {
    const char *capture;  /* capture file to serve */
    const char *listen;   /* "HOST:PORT"; PORT 0 picks a free one */
    const char *hub;      /* NULL: the capture's hub, else "eh1" */
    const char *cgs;      /* comma-separated consumer groups; NULL: only $default */
    const char *key_name; /* --sas-key-name; NULL: accept any token */
    const char *key_env;  /* --sas-key-env: the variable holding the key */
    uint64_t rate;        /* events/s over all receivers, 0 unlimited */
    const char *faults;   /* "detach=P,drop=P,busy=P,slow=Nms"; NULL: none */
    const char *tls_cert; /* --tls-cert: PEM certificate; with tls_key, serve AMQPS */
    const char *tls_key;  /* --tls-key: PEM private key */
};

/* Check the options that need more than a flag table (listen address, faults,
 * the key variable, --tls-cert and --tls-key together). 0, or prints one usage
 * line on stderr and returns 2. */
int replay_serve_check(const struct replay_serve_opts *o) MUST_CHECK;

/* Load the capture, serve it until SIGINT/SIGTERM, print
 * "listening HOST:PORT" on stdout (flushed) once bound.
 * Exit status: 0 clean stop, 1 runtime error (logged on stderr).
 * @thread control @blocking */
int replay_serve(const struct replay_serve_opts *o) MUST_CHECK;

#endif
