/* sink_http.c - the http:URL sink: NDJSON batches POSTed with libcurl.
 *
 * DESIGN
 * One libcurl easy handle per sink, used only by that sink's forwarder thread,
 * and reused for every request so the connection stays open (keep-alive).
 * Each batch is one POST:
 *
 *   POST <URL>
 *   Content-Type: application/x-ndjson
 *   Content-Encoding: gzip                     (--sink-gzip; body gzip'ed)
 *   X-Sluice-Batch: shard=3 segno=41 line=1500 lines=500
 *   Authorization: <$SLUICE_SINK_AUTHORIZATION> (when that variable is set)
 *   <NDJSON lines>
 *
 * Only a 2xx answer counts as delivered; any other status, a connection error
 * or --sink-timeout (the whole request, connect included) is a failure that the
 * forwarder retries with backoff. X-Sluice-Batch lets a receiver drop a batch it
 * already has: (shard, segno, line) is the same when a batch is resent.
 * Redirects are not followed (a POST must not silently go elsewhere), only
 * http and https are allowed, and TLS peer and host verification stay on
 * (libcurl's defaults; this file never turns them off). The URL may carry
 * user:pass@ (libcurl sends it as basic auth); it is never logged: errors name
 * the sink by its redacted form.
 */
#include "sink.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <zlib.h>

#include "sink_int.h"

#define SINK_HTTP_RESP_MAX 200 /* bytes of a response body kept for the error text */
#define SINK_HTTP_AUTH_ENV "SLUICE_SINK_AUTHORIZATION"

struct sink_http {
    CURL *h;
    char errbuf[CURL_ERROR_SIZE];
    char resp[SINK_HTTP_RESP_MAX + 1]; /* start of the last response body */
    size_t resp_len;
    char *auth_hdr; /* "Authorization: ..." or NULL */
    z_stream zs;    /* gzip state, reset per batch */
    bool zs_init;
    struct buf gz; /* compressed body */
};

int sink_http_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -EIO;
}

void sink_http_global_fini(void)
{
    curl_global_cleanup();
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
    struct sink_http *h = arg;
    size_t n = size * nmemb;
    size_t room = SINK_HTTP_RESP_MAX - h->resp_len;
    size_t take = n < room ? n : room;
    memcpy(h->resp + h->resp_len, p, take);
    h->resp_len += take;
    h->resp[h->resp_len] = '\0';
    return n;
}

int sink_http_create(struct sink *s)
{
    struct sink_http *h = calloc(1, sizeof(*h));
    if (!h)
        return -ENOMEM;
    h->h = curl_easy_init();
    if (!h->h) {
        free(h);
        return -ENOMEM;
    }
    const char *auth = getenv(SINK_HTTP_AUTH_ENV);
    if (auth && *auth) {
        size_t n = strlen(auth) + sizeof("Authorization: ");
        h->auth_hdr = malloc(n);
        if (!h->auth_hdr) {
            curl_easy_cleanup(h->h);
            free(h);
            return -ENOMEM;
        }
        snprintf(h->auth_hdr, n, "Authorization: %s", auth);
    }
    if (s->opts.gzip) {
        if (deflateInit2(&h->zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
            free(h->auth_hdr);
            curl_easy_cleanup(h->h);
            free(h);
            return -ENOMEM;
        }
        h->zs_init = true;
    }
    CURL *c = h->h;
    long timeout = s->opts.timeout_ms > 0 ? (long)s->opts.timeout_ms : 30000L;
    (void)curl_easy_setopt(c, CURLOPT_URL, s->spec.arg);
    (void)curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    (void)curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout);
    (void)curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout);
    (void)curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    (void)curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    (void)curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
    (void)curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    (void)curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
    (void)curl_easy_setopt(c, CURLOPT_USERAGENT, "sluice/0.1");
    (void)curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    s->http = h;
    return 0;
}

void sink_http_destroy(struct sink *s)
{
    struct sink_http *h = s->http;
    if (!h)
        return;
    curl_easy_cleanup(h->h);
    if (h->zs_init)
        (void)deflateEnd(&h->zs);
    buf_fini(&h->gz);
    free(h->auth_hdr);
    free(h);
    s->http = NULL;
}

/* gzip p into h->gz. 0 or -ENOMEM / -EIO. */
static int gzip_body(struct sink_http *h, const char *p, size_t len)
{
    if (deflateReset(&h->zs) != Z_OK)
        return -EIO;
    uLong bound = deflateBound(&h->zs, (uLong)len);
    buf_reset(&h->gz);
    int rc = buf_reserve(&h->gz, bound);
    if (rc)
        return rc;
    h->zs.next_in = (Bytef *)p;
    h->zs.avail_in = (uInt)len;
    h->zs.next_out = (Bytef *)h->gz.p;
    h->zs.avail_out = (uInt)bound;
    if (deflate(&h->zs, Z_FINISH) != Z_STREAM_END)
        return -EIO;
    h->gz.len = bound - h->zs.avail_out;
    return 0;
}

/* Make the error text one printable line that can sit inside a quoted log value. */
static void flatten(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = ' ';
        else if (*s == '"' || *s == '\\')
            *s = '\'';
}

int sink_http_send(struct sink *s, const struct sink_batch_info *bi, const char *p, size_t len,
                   char *why, size_t n)
{
    struct sink_http *h = s->http;
    const char *body = p;
    size_t blen = len;
    if (h->zs_init) {
        if (len > UINT32_MAX) {
            snprintf(why, n, "http: batch too large to gzip");
            return -E2BIG;
        }
        int rc = gzip_body(h, p, len);
        if (rc) {
            snprintf(why, n, "http: gzip failed: %s", strerror(-rc));
            return rc;
        }
        body = h->gz.p;
        blen = h->gz.len;
    }
    char batch_hdr[160];
    snprintf(batch_hdr, sizeof(batch_hdr),
             "X-Sluice-Batch: shard=%" PRIu32 " segno=%" PRIu64 " line=%" PRIu64 " lines=%" PRIu32,
             bi->shard, bi->segno, bi->first_line, bi->lines);
    struct curl_slist *hdr = NULL, *t;
    const char *lines[] = {"Content-Type: application/x-ndjson",
                           h->zs_init ? "Content-Encoding: gzip" : NULL, batch_hdr,
                           "Expect:", h->auth_hdr};
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        if (!lines[i])
            continue;
        t = curl_slist_append(hdr, lines[i]);
        if (!t) {
            curl_slist_free_all(hdr);
            snprintf(why, n, "http: out of memory");
            return -ENOMEM;
        }
        hdr = t;
    }
    CURL *c = h->h;
    h->errbuf[0] = '\0';
    h->resp_len = 0;
    h->resp[0] = '\0';
    (void)curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    (void)curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    (void)curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
    CURLcode cc = curl_easy_perform(c);
    (void)curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hdr);
    if (cc != CURLE_OK) {
        snprintf(why, n, "http: %s%s%s", curl_easy_strerror(cc), h->errbuf[0] ? ": " : "",
                 h->errbuf);
        flatten(why);
        return cc == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT : -EIO;
    }
    long code = 0;
    (void)curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    if (code >= 200 && code < 300)
        return 0;
    snprintf(why, n, "http: status %ld%s%s", code, h->resp_len ? ": " : "", h->resp);
    flatten(why);
    return -EPROTO;
}
