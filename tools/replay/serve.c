/* serve.c - `sluice-replay serve` (serve.h): flags to eh_serve options, the capture
 * into memory, signals to a clean stop.
 *
 * DESIGN
 * The whole capture is loaded into eh_serve's in-memory partitions (every event,
 * in sequence order, offsets kept as the capture's strings) before the listener
 * opens, so "listening" means ready. SIGINT/SIGTERM set a flag that the serve loop
 * polls (<= 100 ms); it then closes every connection and returns, and we exit 0.
 */
#include "serve.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "clock.h"
#include "eh_serve.h"
#include "err.h"
#include "log.h"

#define PROG "sluice-replay"
#define SERVE_MAX_CGS 32

static volatile sig_atomic_t g_serve_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_serve_stop = 1;
}

static void on_listen(const char *host, const char *port, void *arg)
{
    (void)arg;
    printf("listening %s:%s\n", host, port);
    fflush(stdout);
}

/* "HOST:PORT" -> host, port. false when malformed. */
static bool split_listen(const char *s, char *host, size_t hn, char *port, size_t pn)
{
    const char *c = strrchr(s, ':');
    if (!c || c == s || (size_t)(c - s) >= hn || !c[1] || strlen(c + 1) >= pn)
        return false;
    unsigned long v = 0;
    for (const char *p = c + 1; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (unsigned long)(*p - '0');
        if (v > 65535)
            return false;
    }
    memcpy(host, s, (size_t)(c - s));
    host[c - s] = '\0';
    if (host[0] == '[' && host[strlen(host) - 1] == ']') {
        memmove(host, host + 1, strlen(host));
        host[strlen(host) - 1] = '\0';
    }
    snprintf(port, pn, "%s", c + 1);
    return true;
}

static bool parse_prob(const char *v, size_t n, double *out)
{
    char buf[32];
    if (n == 0 || n >= sizeof(buf))
        return false;
    memcpy(buf, v, n);
    buf[n] = '\0';
    char *end;
    errno = 0;
    double d = strtod(buf, &end);
    if (errno || *end || !(d >= 0.0 && d <= 1.0))
        return false;
    *out = d;
    return true;
}

/* "detach=P,drop=P,busy=P,throttle=P,slow=Nms" (any subset, any order). NULL, or the
 * bad item. */
static const char *parse_faults(const char *s, struct eh_serve_faults *f, char *bad, size_t bn)
{
    memset(f, 0, sizeof(*f));
    const char *p = s;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        snprintf(bad, bn, "%.*s", (int)MIN(n, 60u), p);
        if (!eq)
            return bad;
        size_t kn = (size_t)(eq - p), vn = n - kn - 1;
        const char *v = eq + 1;
        if (kn == 6 && memcmp(p, "detach", 6) == 0) {
            if (!parse_prob(v, vn, &f->detach))
                return bad;
        } else if (kn == 4 && memcmp(p, "drop", 4) == 0) {
            if (!parse_prob(v, vn, &f->drop))
                return bad;
        } else if (kn == 4 && memcmp(p, "busy", 4) == 0) {
            if (!parse_prob(v, vn, &f->busy))
                return bad;
        } else if (kn == 8 && memcmp(p, "throttle", 8) == 0) {
            if (!parse_prob(v, vn, &f->throttle))
                return bad;
        } else if (kn == 4 && memcmp(p, "slow", 4) == 0) {
            uint64_t ms = 0;
            size_t i = 0;
            for (; i < vn && v[i] >= '0' && v[i] <= '9' && ms < 3600000; i++)
                ms = ms * 10 + (uint64_t)(v[i] - '0');
            if (i == 0 || ms > 3600000 ||
                !(vn - i == 0 || (vn - i == 2 && memcmp(v + i, "ms", 2) == 0)))
                return bad;
            f->slow_ms = (uint32_t)ms;
        } else {
            return bad;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    return NULL;
}

/* Split a comma list into cgs (pointers into buf). Count, or -1 when bad. */
static int split_cgs(const char *s, char *buf, size_t bn, const char **cgs, size_t max)
{
    snprintf(buf, bn, "%s", s);
    int n = 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if ((size_t)n == max || !*t || strlen(t) > 50)
            return -1;
        for (const char *q = t; *q; q++)
            if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
                  (*q >= '0' && *q <= '9') || *q == '.' || *q == '-' || *q == '_' || *q == '$'))
                return -1;
        cgs[n++] = t;
    }
    return n;
}

int replay_serve_check(const struct replay_serve_opts *o)
{
    char host[256], port[16], bad[64], buf[2048];
    const char *cgs[SERVE_MAX_CGS];
    if (!split_listen(o->listen, host, sizeof(host), port, sizeof(port))) {
        fprintf(stderr,
                PROG ": --listen: \"%s\" is not HOST:PORT with PORT 0..65535 (e.g. "
                     "127.0.0.1:0 for a free port)\n",
                o->listen);
        return 2;
    }
    struct eh_serve_faults f;
    if (o->faults && parse_faults(o->faults, &f, bad, sizeof(bad))) {
        fprintf(stderr,
                PROG ": --faults: \"%s\" is not a fault (give detach=P,drop=P,busy=P,throttle=P with "
                     "P in 0..1 and slow=Nms, comma-separated)\n",
                bad);
        return 2;
    }
    if (o->cgs && (strlen(o->cgs) >= sizeof(buf) ||
                   split_cgs(o->cgs, buf, sizeof(buf), cgs, SERVE_MAX_CGS) <= 0)) {
        fprintf(stderr,
                PROG ": --consumer-groups: \"%s\" is not a comma-separated list of at "
                     "most %d names (letters, digits, '.', '-', '_', '$')\n",
                o->cgs, SERVE_MAX_CGS);
        return 2;
    }
    if ((o->key_name != NULL) != (o->key_env != NULL)) {
        fprintf(stderr, PROG ": %s: needs %s too (the key name and the variable holding the key)\n",
                o->key_name ? "--sas-key-name" : "--sas-key-env",
                o->key_name ? "--sas-key-env" : "--sas-key-name");
        return 2;
    }
    if ((o->tls_cert != NULL) != (o->tls_key != NULL)) {
        fprintf(stderr,
                PROG ": %s: needs %s too (the PEM certificate and its private key, for TLS)\n",
                o->tls_cert ? "--tls-cert" : "--tls-key", o->tls_cert ? "--tls-key" : "--tls-cert");
        return 2;
    }
    if (o->key_env) {
        const char *k = getenv(o->key_env);
        if (!k || !*k) {
            fprintf(stderr,
                    PROG ": --sas-key-env: the variable %s is not set or empty (export "
                         "the SharedAccessKey in it)\n",
                    o->key_env);
            return 2;
        }
    }
    return 0;
}

static int load(struct eh_serve *s, const char *path, const struct capture *c)
{
    for (uint32_t p = 0; p < c->partitions; p++) {
        int err = 0;
        struct capture_reader *r = capture_reader_open(path, c, p, -1, &err);
        if (!r)
            return err;
        struct capture_event ev;
        int rc;
        while ((rc = capture_reader_next(r, &ev)) == 1) {
            rc = eh_serve_add(s, p, &ev);
            if (rc)
                break;
        }
        capture_reader_close(r);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int replay_serve(const struct replay_serve_opts *o)
{
    char host[256], port[16], bad[64], buf[2048];
    const char *cgs[SERVE_MAX_CGS];
    int ncg = 0;
    if (!split_listen(o->listen, host, sizeof(host), port, sizeof(port)))
        return 2;
    struct eh_serve_faults f = {0};
    if (o->faults && parse_faults(o->faults, &f, bad, sizeof(bad)))
        return 2;
    if (o->cgs)
        ncg = split_cgs(o->cgs, buf, sizeof(buf), cgs, SERVE_MAX_CGS);

    struct capture c;
    int rc = capture_open(o->capture, &c);
    if (rc) {
        fprintf(stderr, PROG ": serve: %s: %s\n", o->capture, err_str(rc));
        return 1;
    }
    const char *hub = o->hub ? o->hub : (c.hub[0] ? c.hub : "eh1");
    struct eh_serve_opts so = {
        .host = host,
        .port = port,
        .hub = hub,
        .cgs = cgs,
        .ncgs = ncg > 0 ? (size_t)ncg : 0,
        .partitions = c.partitions,
        .created_ms = c.created_ms,
        .sas_key_name = o->key_name,
        .sas_key = o->key_env ? getenv(o->key_env) : NULL,
        .rate = o->rate,
        .faults = f,
        .tls_cert = o->tls_cert,
        .tls_key = o->tls_key,
        .seed = 1,
        .on_listen = on_listen,
        .stop = &g_serve_stop,
    };
    int err = 0;
    struct eh_serve *s = eh_serve_create(&so, &err);
    if (!s) {
        capture_close(&c);
        if (o->tls_cert)
            fprintf(stderr, PROG ": serve: cannot set up TLS with --tls-cert %s --tls-key %s: %s\n",
                    o->tls_cert, o->tls_key, err_str(err));
        else
            fprintf(stderr, PROG ": serve: %s\n", err_str(err));
        return 1;
    }
    rc = load(s, o->capture, &c);
    capture_close(&c);
    if (rc) {
        fprintf(stderr, PROG ": serve: reading %s failed: %s\n", o->capture, err_str(rc));
        eh_serve_destroy(s);
        return 1;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGINT, &sa, NULL);
    (void)sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    rc = eh_serve_run(s);
    eh_serve_destroy(s);
    if (rc) {
        fprintf(stderr, PROG ": serve: listening on %s failed: %s\n", o->listen, err_str(rc));
        return 1;
    }
    log_info("serve: stopped");
    return 0;
}
