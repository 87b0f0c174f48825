/* eh_auth.c - Event Hubs credentials; see eh_auth.h.
 *
 * DESIGN
 * Connection strings: split on ';', each part split on its first '=' (keys
 * and SAS tokens hold '='), keys compared case-insensitively. The endpoint is
 * taken apart by hand (scheme sb://, host or [IPv6], optional :port, optional
 * '/'); a path is refused because the SDKs would silently drop it. Plain AMQP
 * (UseDevelopmentEmulator=true) is refused unless the host is loopback, so a
 * copied emulator string can never send a key in clear over a network.
 *
 * SAS (eventhubs.md §1.3, pitfall 8.2): the string to sign is the URL-encoded
 * audience, "\n", the decimal expiry; the HMAC key is the key text itself. The
 * verifier signs sr and se exactly as they appear in the token (whatever
 * encoding the signer used is what it signed) and compares the decoded 32-byte
 * MACs with CRYPTO_memcmp.
 *
 * Entra ID (eventhubs.md §4): one form POST per call, no cache here (the
 * caller refreshes, §1.3 timings). The certificate assertion is RS256 (PKCS#1
 * v1.5) and carries both thumbprints: x5t (SHA-1, the classic form Entra has
 * always accepted with RS256) and x5t#S256 (SHA-256, the current form); RFC
 * 7515 allows both headers together. The response is read with a small JSON
 * member scanner (top-level strings and numbers; nested values skipped).
 * Secrets live only in the request body and local buffers, which are cleansed
 * before release; every `why` built from a server answer has the client
 * secret (if any) masked, in case a server echoes it.
 */
#include "eh_auth.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "compiler.h"
#include "err.h"
#include "log.h"
#include "text.h"

#define SAS_PREFIX     "SharedAccessSignature "
#define ENTRA_DEFAULT  "https://login.microsoftonline.com"
#define ENTRA_TIMEOUT_MS 30000L
#define ENTRA_RESP_MAX (256 * 1024)  /* token answers are a few KB */
#define FILE_MAX       (64 * 1024)   /* federated token / PEM file */

/* ---- small string helpers ---- */

static void trim(const char **b, const char **e)
{
    while (*b < *e && isspace((unsigned char)**b))
        (*b)++;
    while (*e > *b && isspace((unsigned char)(*e)[-1]))
        (*e)--;
}

static bool span_ieq(const char *b, const char *e, const char *lit)
{
    size_t l = strlen(lit);
    return (size_t)(e - b) == l && strncasecmp(b, lit, l) == 0;
}

/* Copy [b, e) into dst[n]; false when it does not fit. */
static bool span_copy(char *dst, size_t n, const char *b, const char *e)
{
    size_t l = (size_t)(e - b);
    if (l >= n)
        return false;
    memcpy(dst, b, l);
    dst[l] = '\0';
    return true;
}

/* One-line why: control characters become spaces. */
static void flatten(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = ' ';
}

/* Replace each occurrence of secret in s by "***" (in place; never longer). */
static void mask(char *s, const char *secret)
{
    size_t l = secret ? strlen(secret) : 0;
    if (l < 3)
        return;
    char *p;
    while ((p = strstr(s, secret)) != NULL) {
        memcpy(p, "***", 3);
        memmove(p + 3, p + l, strlen(p + l) + 1);
    }
}

int eh_url_encode(const char *s, char *out, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        bool keep = isalnum(c) || strchr("-_.!~*'()", c);
        size_t need = keep ? 1 : 3;
        if (o + need >= n) {
            if (n)
                out[0] = '\0';
            return -ENOSPC;
        }
        if (keep) {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    if (o >= n)
        return -ENOSPC;
    out[o] = '\0';
    return (int)o;
}

/* Percent-decode [b, e) into out[n]. -EINVAL bad escape or %00, -ENOSPC. */
static int url_decode(const char *b, const char *e, char *out, size_t n)
{
    size_t o = 0;
    while (b < e) {
        int c = (unsigned char)*b;
        if (c == '%') {
            if (e - b < 3 || hex_digit(b[1]) < 0 || hex_digit(b[2]) < 0)
                return -EINVAL;
            c = hex_digit(b[1]) * 16 + hex_digit(b[2]);
            if (c == 0)
                return -EINVAL;
            b += 3;
        } else {
            b++;
        }
        if (o + 1 >= n)
            return -ENOSPC;
        out[o++] = (char)c;
    }
    if (o >= n)
        return -ENOSPC;
    out[o] = '\0';
    return 0;
}

/* ---- connection strings ---- */

bool eh_host_is_loopback(const char *host)
{
    if (!host)
        return false;
    if (strcasecmp(host, "localhost") == 0)
        return true;
    struct in_addr a4;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    struct in6_addr a6;
    if (inet_pton(AF_INET6, host, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return false;
}

static bool host_char_ok(char c)
{
    return isalnum((unsigned char)c) || c == '.' || c == '-' || c == '_';
}

/* Endpoint value [b, e) -> host, port (0 when absent). */
static int parse_endpoint(const char *b, const char *e, struct eh_conn *out, char *why, size_t n)
{
    static const char scheme[] = "sb://";
    if ((size_t)(e - b) < sizeof(scheme) - 1 || strncasecmp(b, scheme, sizeof(scheme) - 1) != 0) {
        snprintf(why, n, "connection string: Endpoint must start with sb://");
        return -EINVAL;
    }
    b += sizeof(scheme) - 1;
    const char *hb, *he, *p;
    if (b < e && *b == '[') {
        hb = b + 1;
        he = memchr(hb, ']', (size_t)(e - hb));
        if (!he) {
            snprintf(why, n, "connection string: Endpoint has an unclosed [ in its host");
            return -EINVAL;
        }
        for (const char *q = hb; q < he; q++)
            if (!isxdigit((unsigned char)*q) && *q != ':' && *q != '.') {
                snprintf(why, n, "connection string: Endpoint host is not a valid IPv6 address");
                return -EINVAL;
            }
        p = he + 1;
    } else {
        hb = b;
        for (he = b; he < e && host_char_ok(*he); he++)
            ;
        p = he;
    }
    if (he == hb) {
        snprintf(why, n, "connection string: Endpoint has no host");
        return -EINVAL;
    }
    if (!span_copy(out->host, sizeof(out->host), hb, he)) {
        snprintf(why, n, "connection string: Endpoint host is longer than %zu bytes",
                 sizeof(out->host) - 1);
        return -EINVAL;
    }
    if (p < e && *p == ':') {
        long port = 0;
        const char *q = ++p;
        for (; p < e && isdigit((unsigned char)*p) && port <= 65535; p++)
            port = port * 10 + (*p - '0');
        if (p == q || port < 1 || port > 65535 || (p < e && isdigit((unsigned char)*p))) {
            snprintf(why, n, "connection string: Endpoint port must be 1..65535");
            return -EINVAL;
        }
        out->port = (uint16_t)port;
    }
    if (p < e && *p == '/')
        p++;
    if (p != e) {
        snprintf(why, n,
                 "connection string: Endpoint must be sb://HOST[:PORT]/ with no path "
                 "(put the event hub in EntityPath)");
        return -EINVAL;
    }
    return 0;
}

enum ckey { K_ENDPOINT, K_KEYNAME, K_KEY, K_SAS, K_ENTITY, K_EMU, K_N };
static const char *const ckey_name[K_N] = {
    "Endpoint", "SharedAccessKeyName", "SharedAccessKey", "SharedAccessSignature",
    "EntityPath", "UseDevelopmentEmulator",
};

static int conn_parse(const char *s, struct eh_conn *out, char *why, size_t n)
{
    bool seen[K_N] = {0};
    int part = 0;
    const char *p = s;
    while (*p) {
        const char *end = strchr(p, ';');
        if (!end)
            end = p + strlen(p);
        const char *b = p, *e = end;
        p = *end ? end + 1 : end;
        part++;
        trim(&b, &e);
        if (b == e)
            continue; /* trailing or doubled ';' */
        const char *eq = memchr(b, '=', (size_t)(e - b));
        if (!eq) {
            snprintf(why, n, "connection string: part %d is not Key=Value", part);
            return -EINVAL;
        }
        const char *kb = b, *ke = eq, *vb = eq + 1, *ve = e;
        trim(&kb, &ke);
        trim(&vb, &ve);
        int k;
        for (k = 0; k < K_N; k++)
            if (span_ieq(kb, ke, ckey_name[k]))
                break;
        if (k == K_N)
            continue; /* unknown keys are ignored, as the SDKs do */
        if (seen[k]) {
            snprintf(why, n, "connection string: %s is given twice", ckey_name[k]);
            return -EINVAL;
        }
        seen[k] = true;
        if (vb == ve) {
            snprintf(why, n, "connection string: %s is empty", ckey_name[k]);
            return -EINVAL;
        }
        char *dst = NULL;
        size_t dn = 0;
        switch (k) {
        case K_ENDPOINT: {
            int rc = parse_endpoint(vb, ve, out, why, n);
            if (rc)
                return rc;
            break;
        }
        case K_KEYNAME: dst = out->key_name; dn = sizeof(out->key_name); break;
        case K_KEY: dst = out->key; dn = sizeof(out->key); break;
        case K_SAS: dst = out->sas; dn = sizeof(out->sas); break;
        case K_ENTITY: dst = out->entity; dn = sizeof(out->entity); break;
        case K_EMU:
            if (span_ieq(vb, ve, "true")) {
                out->dev_emulator = true;
            } else if (!span_ieq(vb, ve, "false")) {
                snprintf(why, n, "connection string: UseDevelopmentEmulator must be true or false");
                return -EINVAL;
            }
            break;
        }
        if (dst && !span_copy(dst, dn, vb, ve)) {
            snprintf(why, n, "connection string: %s is longer than %zu bytes", ckey_name[k],
                     dn - 1);
            return -EINVAL;
        }
    }
    if (!seen[K_ENDPOINT]) {
        snprintf(why, n, "connection string: Endpoint is missing");
        return -EINVAL;
    }
    if (seen[K_KEY] != seen[K_KEYNAME]) {
        snprintf(why, n, "connection string: %s is given without %s",
                 seen[K_KEY] ? "SharedAccessKey" : "SharedAccessKeyName",
                 seen[K_KEY] ? "SharedAccessKeyName" : "SharedAccessKey");
        return -EINVAL;
    }
    if (seen[K_KEY] && seen[K_SAS]) {
        snprintf(why, n,
                 "connection string: give either SharedAccessKey or SharedAccessSignature, not both");
        return -EINVAL;
    }
    if (strchr(out->entity, '/')) {
        snprintf(why, n, "connection string: EntityPath must be an event hub name, without '/'");
        return -EINVAL;
    }
    if (out->dev_emulator && !eh_host_is_loopback(out->host)) {
        snprintf(why, n, "connection string: plain AMQP is only allowed to a loopback "
                         "development emulator");
        return -EINVAL;
    }
    out->tls = !out->dev_emulator;
    if (!out->port)
        out->port = out->dev_emulator ? EH_AMQP_PORT : EH_AMQPS_PORT;
    return 0;
}

int eh_conn_parse(const char *s, struct eh_conn *out, char *why, size_t n)
{
    memset(out, 0, sizeof(*out));
    if (n)
        why[0] = '\0';
    if (!s || !*s) {
        snprintf(why, n, "connection string: empty");
        return -EINVAL;
    }
    int rc = conn_parse(s, out, why, n);
    if (rc)
        OPENSSL_cleanse(out, sizeof(*out));
    return rc;
}

/* ---- SAS ---- */

/* HMAC-SHA256 over the concatenation of parts. 0 or -EIO. */
static int hmac_sha256(const char *key, const char *const *parts, const size_t *lens,
                       int nparts, unsigned char mac[32])
{
    EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *c = m ? EVP_MAC_CTX_new(m) : NULL;
    int rc = -EIO;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_end(),
    };
    size_t len = 0;
    if (!c || !EVP_MAC_init(c, (const unsigned char *)key, strlen(key), params))
        goto out;
    for (int i = 0; i < nparts; i++)
        if (!EVP_MAC_update(c, (const unsigned char *)parts[i], lens[i]))
            goto out;
    if (EVP_MAC_final(c, mac, &len, 32) && len == 32)
        rc = 0;
out:
    EVP_MAC_CTX_free(c);
    EVP_MAC_free(m);
    return rc;
}

static int sas_mac(const char *key, const char *sr, size_t sr_len, const char *se, size_t se_len,
                   unsigned char mac[32])
{
    const char *parts[] = {sr, "\n", se};
    const size_t lens[] = {sr_len, 1, se_len};
    return hmac_sha256(key, parts, lens, 3, mac);
}

int eh_sas_token(const char *resource_uri, const char *key_name, const char *key,
                 int64_t expiry_s, char *out, size_t n)
{
    if (!out || !n)
        return -ENOSPC;
    out[0] = '\0';
    if (!resource_uri || !*resource_uri || !key_name || !*key_name || !key || !*key ||
        expiry_s <= 0)
        return -EINVAL;
    /* out = prefix "sr=" <enc uri> "&sig=" <enc sig> "&se=" <se> "&skn=" <enc name> */
    size_t o = (size_t)snprintf(out, n, "%ssr=", SAS_PREFIX);
    if (o >= n)
        goto nospc;
    const char *enc_uri = out + o;
    int l = eh_url_encode(resource_uri, out + o, n - o);
    if (l < 0)
        goto nospc;
    size_t enc_len = (size_t)l;
    o += enc_len;
    char se[24];
    int se_len = snprintf(se, sizeof(se), "%" PRId64, expiry_s);
    unsigned char mac[32];
    if (sas_mac(key, enc_uri, enc_len, se, (size_t)se_len, mac)) {
        out[0] = '\0';
        return -EIO;
    }
    char b64[48], sig[160];
    EVP_EncodeBlock((unsigned char *)b64, mac, 32);
    OPENSSL_cleanse(mac, sizeof(mac));
    if (eh_url_encode(b64, sig, sizeof(sig)) < 0)
        goto nospc;
    int w = snprintf(out + o, n - o, "&sig=%s&se=%s&skn=", sig, se);
    if (w < 0 || (size_t)w >= n - o)
        goto nospc;
    o += (size_t)w;
    if (eh_url_encode(key_name, out + o, n - o) < 0)
        goto nospc;
    return 0;
nospc:
    out[0] = '\0';
    return -ENOSPC;
}

int eh_sas_verify(const char *token, const char *key_name, const char *key, int64_t now_s,
                  char *audience, size_t audience_n)
{
    if (audience && audience_n)
        audience[0] = '\0';
    if (!token || !key_name || !key || !*key)
        return -EINVAL;
    while (isspace((unsigned char)*token))
        token++;
    if (strncmp(token, SAS_PREFIX, sizeof(SAS_PREFIX) - 1) == 0)
        token += sizeof(SAS_PREFIX) - 1;
    enum { F_SR, F_SIG, F_SE, F_SKN, F_N };
    static const char *const fname[F_N] = {"sr", "sig", "se", "skn"};
    const char *fb[F_N] = {0}, *fe[F_N] = {0};
    const char *p = token;
    const char *end = token + strlen(token);
    while (end > p && isspace((unsigned char)end[-1]))
        end--;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *e = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(e - p));
        if (!eq)
            return -EINVAL;
        for (int f = 0; f < F_N; f++) {
            if (span_ieq(p, eq, fname[f])) {
                if (fb[f])
                    return -EINVAL; /* repeated */
                fb[f] = eq + 1;
                fe[f] = e;
            }
        }
        p = amp ? amp + 1 : end;
    }
    for (int f = 0; f < F_N; f++)
        if (!fb[f] || fb[f] == fe[f])
            return -EINVAL;

    /* se: plain decimal */
    int64_t se = 0;
    for (const char *q = fb[F_SE]; q < fe[F_SE]; q++) {
        if (!isdigit((unsigned char)*q) || se > (INT64_MAX - 9) / 10)
            return -EINVAL;
        se = se * 10 + (*q - '0');
    }
    char skn[256], sig_b64[128], sr[2048];
    if (url_decode(fb[F_SKN], fe[F_SKN], skn, sizeof(skn)) ||
        url_decode(fb[F_SIG], fe[F_SIG], sig_b64, sizeof(sig_b64)) ||
        url_decode(fb[F_SR], fe[F_SR], sr, sizeof(sr)))
        return -EINVAL;
    size_t sl = strlen(sig_b64);
    unsigned char got[96];
    if (sl != 44 || sig_b64[43] != '=' || sig_b64[42] == '=' ||
        EVP_DecodeBlock(got, (const unsigned char *)sig_b64, (int)sl) != 33)
        return -EINVAL; /* 32 bytes + '=' padding decodes as 33 with a trailing 0 */
    if (strcmp(skn, key_name) != 0)
        return -EACCES;
    unsigned char want[32];
    if (sas_mac(key, fb[F_SR], (size_t)(fe[F_SR] - fb[F_SR]), fb[F_SE],
                (size_t)(fe[F_SE] - fb[F_SE]), want))
        return -EIO;
    int diff = CRYPTO_memcmp(got, want, 32);
    OPENSSL_cleanse(want, sizeof(want));
    if (diff)
        return -EACCES;
    if (se <= now_s)
        return -ETIMEDOUT;
    if (audience) {
        if (strlen(sr) >= audience_n)
            return -ENOSPC;
        memcpy(audience, sr, strlen(sr) + 1);
    }
    return 0;
}

/* ---- Entra ID ---- */

/* A growing buffer for the request body and the response. */
struct sbuf {
    char *p;
    size_t len, cap, max;
    bool oom;
};

static void sb_add(struct sbuf *b, const char *s, size_t l)
{
    if (b->oom)
        return;
    if (b->len + l + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + l + 1)
            cap *= 2;
        if (b->max && cap > b->max + 1)
            cap = b->max + 1;
        if (b->len + l + 1 > cap) {
            b->oom = true;
            return;
        }
        char *np = malloc(cap);
        if (!np) {
            b->oom = true;
            return;
        }
        if (b->p) {
            memcpy(np, b->p, b->len);
            OPENSSL_cleanse(b->p, b->cap);
            free(b->p);
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, l);
    b->len += l;
    b->p[b->len] = '\0';
}

static void sb_str(struct sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

/* Append name=<form-encoded value>, with '&' before all but the first. */
static void sb_form(struct sbuf *b, const char *name, const char *val)
{
    if (b->len)
        sb_str(b, "&");
    sb_str(b, name);
    sb_str(b, "=");
    char enc[3 * 256 + 1];
    for (const char *p = val; *p;) {
        char chunk[256];
        size_t l = strnlen(p, sizeof(chunk) - 1);
        memcpy(chunk, p, l);
        chunk[l] = '\0';
        p += l;
        (void)eh_url_encode(chunk, enc, sizeof(enc)); /* 3 * 255 + 1 always fits */
        sb_str(b, enc);
        OPENSSL_cleanse(chunk, sizeof(chunk));
    }
    OPENSSL_cleanse(enc, sizeof(enc));
}

static void sb_free(struct sbuf *b)
{
    if (b->p) {
        OPENSSL_cleanse(b->p, b->cap);
        free(b->p);
    }
    memset(b, 0, sizeof(*b));
}

/* Read a whole small file into a fresh sbuf. 0 or -errno (-EFBIG when too big). */
static int read_file(const char *path, struct sbuf *b)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -errno;
    b->max = FILE_MAX;
    char tmp[4096];
    size_t r;
    while ((r = fread(tmp, 1, sizeof(tmp), f)) > 0)
        sb_add(b, tmp, r);
    int rc = ferror(f) ? -EIO : b->oom ? -EFBIG : 0;
    fclose(f);
    OPENSSL_cleanse(tmp, sizeof(tmp));
    if (!rc && !b->p)
        sb_add(b, "", 0);
    return b->oom ? -EFBIG : rc;
}

static void b64url(const unsigned char *in, size_t len, struct sbuf *out)
{
    char tmp[4 * 3 + 4];
    for (size_t i = 0; i < len; i += 3) {
        size_t l = len - i < 3 ? len - i : 3;
        int w = EVP_EncodeBlock((unsigned char *)tmp, in + i, (int)l);
        for (int j = 0; j < w; j++) {
            if (tmp[j] == '=') {
                w = j;
                break;
            }
            tmp[j] = tmp[j] == '+' ? '-' : tmp[j] == '/' ? '_' : tmp[j];
        }
        sb_add(out, tmp, (size_t)w);
    }
}

/* JSON-escape s (client ids and URLs: quotes, backslashes, controls). */
static void sb_json_str(struct sbuf *b, const char *s)
{
    sb_str(b, "\"");
    for (; *s; s++) {
        char esc[8];
        size_t k = json_esc((unsigned char)*s, esc);
        sb_add(b, k ? esc : s, k ? k : 1);
    }
    sb_str(b, "\"");
}

static int pem_pass_cb(char *buf, int size, int rwflag, void *u)
{
    (void)rwflag;
    const char *pass = u;
    if (!pass)
        return 0; /* encrypted key, no password: fail instead of prompting */
    int l = (int)strlen(pass);
    if (l > size)
        return 0;
    memcpy(buf, pass, (size_t)l);
    return l;
}

/* The certificate-flow client_assertion into out. 0 or -EINVAL (why set). */
static int cert_assertion(const char *path, const char *client_id, const char *aud,
                          struct sbuf *out, char *why, size_t n)
{
    struct sbuf pem = {0};
    int rc = read_file(path, &pem);
    if (rc) {
        snprintf(why, n, "AZURE_CLIENT_CERTIFICATE_PATH: cannot read %s: %s", path,
                 rc == -EFBIG ? "file too big" : strerror(-rc));
        sb_free(&pem);
        return -EINVAL;
    }
    rc = -EINVAL;
    EVP_PKEY *pkey = NULL;
    X509 *cert = NULL;
    EVP_MD_CTX *md = NULL;
    unsigned char *der = NULL, *sig = NULL;
    struct sbuf jwt = {0};
    BIO *bio = BIO_new_mem_buf(pem.p, (int)pem.len);
    if (bio)
        pkey = PEM_read_bio_PrivateKey(bio, NULL, pem_pass_cb,
                                       getenv("AZURE_CLIENT_CERTIFICATE_PASSWORD"));
    BIO_free(bio);
    bio = BIO_new_mem_buf(pem.p, (int)pem.len);
    if (bio)
        cert = PEM_read_bio_X509(bio, NULL, pem_pass_cb, NULL);
    BIO_free(bio);
    if (!pkey || !cert) {
        snprintf(why, n, "AZURE_CLIENT_CERTIFICATE_PATH: %s holds no %s (PEM with the private "
                         "key and the certificate expected%s)",
                 path, !pkey ? "usable private key" : "certificate",
                 !pkey ? "; an encrypted key needs AZURE_CLIENT_CERTIFICATE_PASSWORD" : "");
        goto out;
    }
    if (!EVP_PKEY_is_a(pkey, "RSA")) {
        snprintf(why, n, "AZURE_CLIENT_CERTIFICATE_PATH: the key in %s is not RSA (RS256 needs RSA)",
                 path);
        goto out;
    }
    if (X509_check_private_key(cert, pkey) != 1) {
        snprintf(why, n, "AZURE_CLIENT_CERTIFICATE_PATH: the key in %s does not match its certificate",
                 path);
        goto out;
    }
    int der_len = i2d_X509(cert, &der);
    unsigned char sha1[20], sha256[32];
    if (der_len <= 0 || !EVP_Digest(der, (size_t)der_len, sha1, NULL, EVP_sha1(), NULL) ||
        !EVP_Digest(der, (size_t)der_len, sha256, NULL, EVP_sha256(), NULL)) {
        snprintf(why, n, "AZURE_CLIENT_CERTIFICATE_PATH: cannot hash the certificate");
        goto out;
    }
    unsigned char rnd[16];
    if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
        snprintf(why, n, "entra: no random bytes for the assertion jti");
        goto out;
    }
    rnd[6] = (unsigned char)((rnd[6] & 0x0f) | 0x40); /* UUID v4 */
    rnd[8] = (unsigned char)((rnd[8] & 0x3f) | 0x80);
    char jti[40];
    snprintf(jti, sizeof(jti),
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", rnd[0],
             rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7], rnd[8], rnd[9], rnd[10],
             rnd[11], rnd[12], rnd[13], rnd[14], rnd[15]);

    struct sbuf hdr = {0}, claims = {0};
    sb_str(&hdr, "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"x5t\":\"");
    b64url(sha1, sizeof(sha1), &hdr);
    sb_str(&hdr, "\",\"x5t#S256\":\"");
    b64url(sha256, sizeof(sha256), &hdr);
    sb_str(&hdr, "\"}");
    int64_t now = (int64_t)time(NULL);
    char num[192]; /* jti 36 + 3 x 20 digits + names */
    sb_str(&claims, "{\"aud\":");
    sb_json_str(&claims, aud);
    sb_str(&claims, ",\"iss\":");
    sb_json_str(&claims, client_id);
    sb_str(&claims, ",\"sub\":");
    sb_json_str(&claims, client_id);
    int nl = snprintf(num, sizeof(num), ",\"jti\":\"%s\",\"nbf\":%" PRId64 ",\"iat\":%" PRId64
                      ",\"exp\":%" PRId64 "}", jti, now, now, now + 600);
    if (nl < 0 || (size_t)nl >= sizeof(num))
        claims.oom = true; /* cannot happen: 192 bytes hold the longest form */
    sb_str(&claims, num);
    if (!hdr.oom && !claims.oom) {
        b64url((const unsigned char *)hdr.p, hdr.len, &jwt);
        sb_str(&jwt, ".");
        b64url((const unsigned char *)claims.p, claims.len, &jwt);
    }
    sb_free(&hdr);
    sb_free(&claims);
    size_t sig_len = 0;
    md = EVP_MD_CTX_new();
    if (jwt.oom || !md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pkey) != 1 ||
        EVP_DigestSign(md, NULL, &sig_len, (const unsigned char *)jwt.p, jwt.len) != 1 ||
        !(sig = malloc(sig_len)) ||
        EVP_DigestSign(md, sig, &sig_len, (const unsigned char *)jwt.p, jwt.len) != 1) {
        snprintf(why, n, "entra: cannot sign the client assertion with the key in %s", path);
        goto out;
    }
    sb_str(&jwt, ".");
    b64url(sig, sig_len, &jwt);
    if (jwt.oom) {
        snprintf(why, n, "entra: out of memory");
        rc = -ENOMEM;
        goto out;
    }
    *out = jwt;
    memset(&jwt, 0, sizeof(jwt));
    rc = 0;
out:
    free(sig);
    OPENSSL_free(der);
    EVP_MD_CTX_free(md);
    X509_free(cert);
    EVP_PKEY_free(pkey);
    sb_free(&jwt);
    sb_free(&pem);
    return rc;
}

/* ---- a tiny reader for the token endpoint's flat JSON answer ---- */

static const char *ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

/* Parse a JSON string at p (at '"'); decode into out[n] when out is non-NULL
 * (truncating is an error). Returns the position after it, or NULL. */
static const char *json_str(const char *p, char *out, size_t n, bool *fits)
{
    if (*p != '"')
        return NULL;
    p++;
    size_t o = 0;
    *fits = true;
    for (;;) {
        unsigned c = (unsigned char)*p++;
        if (c == '\0' || c < 0x20)
            return NULL;
        if (c == '"')
            break;
        char enc[4];
        size_t el = 1;
        enc[0] = (char)c;
        if (c == '\\') {
            char e = *p++;
            switch (e) {
            case '"': case '\\': case '/': enc[0] = e; break;
            case 'b': enc[0] = '\b'; break;
            case 'f': enc[0] = '\f'; break;
            case 'n': enc[0] = '\n'; break;
            case 'r': enc[0] = '\r'; break;
            case 't': enc[0] = '\t'; break;
            case 'u': {
                unsigned v = 0;
                for (int i = 0; i < 4; i++) {
                    int h = hex_digit(p[i]);
                    if (h < 0)
                        return NULL;
                    v = v * 16 + (unsigned)h;
                }
                p += 4;
                /* BMP only; surrogates become '?' (only ever in messages) */
                if (v >= 0xd800 && v < 0xe000) {
                    enc[0] = '?';
                } else if (v < 0x80) {
                    enc[0] = (char)v;
                } else if (v < 0x800) {
                    enc[0] = (char)(0xc0 | (v >> 6));
                    enc[1] = (char)(0x80 | (v & 0x3f));
                    el = 2;
                } else {
                    enc[0] = (char)(0xe0 | (v >> 12));
                    enc[1] = (char)(0x80 | ((v >> 6) & 0x3f));
                    enc[2] = (char)(0x80 | (v & 0x3f));
                    el = 3;
                }
                break;
            }
            default: return NULL;
            }
        }
        if (out) {
            if (o + el < n) {
                memcpy(out + o, enc, el);
                o += el;
            } else {
                *fits = false;
            }
        }
    }
    if (out && n)
        out[o] = '\0';
    return p;
}

/* Skip any JSON value at p. Returns the position after it, or NULL. */
static const char *json_skip(const char *p, int depth)
{
    bool fits;
    p = ws(p);
    if (depth > 32)
        return NULL;
    if (*p == '"')
        return json_str(p, NULL, 0, &fits);
    if (*p == '{' || *p == '[') {
        char close = *p == '{' ? '}' : ']';
        p = ws(p + 1);
        if (*p == close)
            return p + 1;
        for (;;) {
            if (close == '}') {
                p = json_str(ws(p), NULL, 0, &fits);
                if (!p || *(p = ws(p)) != ':')
                    return NULL;
                p++;
            }
            p = json_skip(p, depth + 1);
            if (!p)
                return NULL;
            p = ws(p);
            if (*p == close)
                return p + 1;
            if (*p != ',')
                return NULL;
            p++;
        }
    }
    const char *b = p;
    while (*p && (isalnum((unsigned char)*p) || *p == '-' || *p == '+' || *p == '.'))
        p++;
    return p == b ? NULL : p;
}

struct token_answer {
    char error[128];
    char desc[1024];
    int64_t expires_in; /* -1 when absent */
    bool has_token, token_fits;
};

/* Read the members of the top-level object in body. 0 or -1 (not JSON). */
static int parse_answer(const char *body, struct token_answer *a, struct eh_token *tok)
{
    bool fits;
    a->expires_in = -1;
    const char *p = ws(body);
    if (*p++ != '{')
        return -1;
    p = ws(p);
    if (*p == '}')
        return 0;
    for (;;) {
        char name[64];
        p = json_str(ws(p), name, sizeof(name), &fits);
        if (!p || *(p = ws(p)) != ':')
            return -1;
        p = ws(p + 1);
        if (!fits) {
            name[0] = '\0';
        }
        if (strcmp(name, "access_token") == 0 && *p == '"') {
            p = json_str(p, tok->token, sizeof(tok->token), &a->token_fits);
            a->has_token = true;
        } else if (strcmp(name, "error") == 0 && *p == '"') {
            p = json_str(p, a->error, sizeof(a->error), &fits);
        } else if (strcmp(name, "error_description") == 0 && *p == '"') {
            p = json_str(p, a->desc, sizeof(a->desc), &fits);
        } else if (strcmp(name, "expires_in") == 0) {
            /* a number, or a numeric string (some endpoints quote it) */
            const char *q = *p == '"' ? p + 1 : p;
            int64_t v = 0;
            const char *d = q;
            while (isdigit((unsigned char)*q) && v < INT64_MAX / 100)
                v = v * 10 + (*q++ - '0');
            if (q > d)
                a->expires_in = v;
            p = json_skip(p, 0);
        } else {
            p = json_skip(p, 0);
        }
        if (!p)
            return -1;
        p = ws(p);
        if (*p == '}')
            return 0;
        if (*p++ != ',')
            return -1;
    }
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct sbuf *b = ud;
    size_t l = size * nmemb;
    sb_add(b, ptr, l);
    return b->oom ? 0 : l;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;
static void curl_init(void) { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

/* Split the authority URL: scheme length (7 http, 8 https) and its host. */
static int authority_check(const char *auth, bool *plain, char *why, size_t n)
{
    size_t skip;
    if (strncasecmp(auth, "https://", 8) == 0) {
        skip = 8;
        *plain = false;
    } else if (strncasecmp(auth, "http://", 7) == 0) {
        skip = 7;
        *plain = true;
    } else {
        snprintf(why, n, "AZURE_AUTHORITY_HOST must start with https://");
        return -EINVAL;
    }
    const char *h = auth + skip, *e;
    char host[256];
    if (*h == '[') {
        e = strchr(++h, ']');
    } else {
        e = h + strcspn(h, ":/?#");
    }
    if (!e || e == h || !span_copy(host, sizeof(host), h, e) || strpbrk(host, "@ ")) {
        snprintf(why, n, "AZURE_AUTHORITY_HOST has no usable host");
        return -EINVAL;
    }
    if (*plain && !eh_host_is_loopback(host)) {
        snprintf(why, n, "AZURE_AUTHORITY_HOST: http:// is only allowed to a loopback host; "
                         "use https://");
        return -EINVAL;
    }
    return 0;
}

static bool tenant_ok(const char *t)
{
    if (!*t || strlen(t) > 128)
        return false;
    for (; *t; t++)
        if (!isalnum((unsigned char)*t) && *t != '-' && *t != '.')
            return false;
    return true;
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

int eh_entra_token(const char *scope, struct eh_token *out, char *why, size_t n)
{
    out->token[0] = '\0';
    out->expires_s = 0;
    if (n)
        why[0] = '\0';
    if (!scope || !*scope) {
        snprintf(why, n, "entra: empty scope");
        return -EINVAL;
    }
    const char *tenant = env("AZURE_TENANT_ID"), *client = env("AZURE_CLIENT_ID");
    const char *fed = env("AZURE_FEDERATED_TOKEN_FILE");
    const char *certp = env("AZURE_CLIENT_CERTIFICATE_PATH");
    const char *secret = env("AZURE_CLIENT_SECRET");
    if (!tenant || !client) {
        snprintf(why, n, "entra: %s%s%s not set", !tenant ? "AZURE_TENANT_ID" : "",
                 !tenant && !client ? " and " : "", !client ? "AZURE_CLIENT_ID" : "");
        return -EINVAL;
    }
    if (!fed && !certp && !secret) {
        snprintf(why, n, "entra: none of AZURE_FEDERATED_TOKEN_FILE, "
                         "AZURE_CLIENT_CERTIFICATE_PATH, AZURE_CLIENT_SECRET is set");
        return -EINVAL;
    }
    if (!tenant_ok(tenant)) {
        snprintf(why, n, "entra: AZURE_TENANT_ID may hold only letters, digits, '-' and '.'");
        return -EINVAL;
    }
    const char *auth = env("AZURE_AUTHORITY_HOST");
    if (!auth)
        auth = ENTRA_DEFAULT;
    bool plain;
    int rc = authority_check(auth, &plain, why, n);
    if (rc)
        return rc;
    size_t al = strlen(auth);
    while (al && auth[al - 1] == '/')
        al--;
    char url[1024];
    if ((size_t)snprintf(url, sizeof(url), "%.*s/%s/oauth2/v2.0/token", (int)al, auth, tenant) >=
        sizeof(url)) {
        snprintf(why, n, "entra: AZURE_AUTHORITY_HOST is too long");
        return -EINVAL;
    }

    struct sbuf body = {0}, cred = {0}, resp = {0};
    const char *how;
    sb_form(&body, "grant_type", "client_credentials");
    sb_form(&body, "client_id", client);
    sb_form(&body, "scope", scope);
    if (fed) {
        how = "federated token";
        rc = read_file(fed, &cred);
        if (rc) {
            snprintf(why, n, "entra: AZURE_FEDERATED_TOKEN_FILE: cannot read %s: %s", fed,
                     rc == -EFBIG ? "file too big" : strerror(-rc));
            rc = -EINVAL;
            goto out;
        }
        const char *b = cred.p, *e = cred.p + cred.len;
        trim(&b, &e);
        if (b == e) {
            snprintf(why, n, "entra: AZURE_FEDERATED_TOKEN_FILE: %s is empty", fed);
            rc = -EINVAL;
            goto out;
        }
        memmove(cred.p, b, (size_t)(e - b));
        cred.p[e - b] = '\0';
        cred.len = (size_t)(e - b);
    } else if (certp) {
        how = "certificate";
        rc = cert_assertion(certp, client, url, &cred, why, n);
        if (rc)
            goto out;
    } else {
        how = "client secret";
    }
    if (fed || certp) {
        sb_form(&body, "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
        sb_form(&body, "client_assertion", cred.p);
    } else {
        sb_form(&body, "client_secret", secret);
    }
    if (body.oom) {
        snprintf(why, n, "entra: out of memory");
        rc = -ENOMEM;
        goto out;
    }

    pthread_once(&curl_once, curl_init);
    CURL *c = curl_init_rc == CURLE_OK ? curl_easy_init() : NULL;
    if (!c) {
        snprintf(why, n, "entra: cannot initialise libcurl");
        rc = -EIO;
        goto out;
    }
    char errbuf[CURL_ERROR_SIZE] = "";
    struct curl_slist *hdr = curl_slist_append(NULL, "Accept: application/json");
    resp.max = ENTRA_RESP_MAX;
    (void)curl_easy_setopt(c, CURLOPT_URL, url);
    (void)curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    (void)curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ENTRA_TIMEOUT_MS);
    (void)curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ENTRA_TIMEOUT_MS);
    (void)curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    (void)curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, plain ? "http" : "https");
    (void)curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    (void)curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    (void)curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    (void)curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    (void)curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
    (void)curl_easy_setopt(c, CURLOPT_USERAGENT, "sluice/0.1");
    (void)curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    (void)curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.p);
    (void)curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body.len);
    CURLcode cc = curl_easy_perform(c);
    long code = 0;
    (void)curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    curl_slist_free_all(hdr);
    if (cc != CURLE_OK) {
        snprintf(why, n, "entra: %s: %s%s%s", url, curl_easy_strerror(cc), errbuf[0] ? ": " : "",
                 errbuf);
        rc = -EIO;
        goto out;
    }
    struct token_answer a = {0};
    bool json = resp.p && parse_answer(resp.p, &a, out) == 0;
    if (code == 200 && json && a.has_token && a.token_fits && out->token[0] &&
        a.expires_in > 0) {
        out->expires_s = (int64_t)time(NULL) + a.expires_in;
        rc = 0;
        goto out;
    }
    OPENSSL_cleanse(out->token, sizeof(out->token));
    if (code == 200) {
        snprintf(why, n, "entra: %s answered 200 without a usable %s", url,
                 !json ? "JSON body" : !a.has_token || !out->token[0] ? "access_token"
                 : !a.token_fits ? "access_token (longer than 16383 bytes)" : "expires_in");
        rc = -EIO;
    } else {
        bool denied = code >= 400 && code < 500 && code != 408 && code != 429;
        snprintf(why, n, "entra: %s (%s) %s: HTTP %ld%s%s%s%s", url, how,
                 denied ? "refused" : "failed", code, a.error[0] ? ": " : "", a.error,
                 a.desc[0] ? ": " : "", a.desc);
        rc = denied ? -EACCES : -EIO;
    }
out:
    if (rc && n) {
        flatten(why);
        mask(why, secret);
        mask(why, cred.p);
    }
    sb_free(&resp);
    sb_free(&cred);
    sb_free(&body);
    return rc;
}

void eh_cred_describe(const struct eh_conn *conn, bool entra, char *out, size_t n)
{
    if (entra) {
        const char *id = getenv("AZURE_CLIENT_ID");
        snprintf(out, n, "Microsoft Entra ID (client id '%.64s')", id && *id ? id : "unset");
    } else if (conn->sas[0]) {
        const char *k = strstr(conn->sas, "skn=");
        size_t kn = k ? strcspn(k + 4, "& ") : 0;
        snprintf(out, n, "the SharedAccessSignature (key name '%.*s')", (int)MIN(kn, 64u),
                 k ? k + 4 : "");
    } else {
        snprintf(out, n, "SAS key name '%.64s'", conn->key_name);
    }
}

/* One Entra ID token for every connection of the process: 1024 partitions must not
 * mean 1024 requests to the token endpoint at start and at every renewal. The
 * token is reused while more than a quarter of its life (at most EH_ENTRA_REUSE_S)
 * is left; one caller fetches while the others wait on the lock. A failure is
 * remembered for EH_ENTRA_RETRY_S, so a burst of callers makes one request. */
#define EH_ENTRA_REUSE_S 600
#define EH_ENTRA_RETRY_S 5
static pthread_mutex_t entra_mu = PTHREAD_MUTEX_INITIALIZER;
static struct eh_token entra_tok;   /* SECRET; guarded by entra_mu */
static int64_t entra_got_s;         /* when entra_tok was fetched */
static int64_t entra_fail_s;        /* when the last fetch failed; 0: it did not */
static int entra_fail_rc;
static char entra_fail_why[256];

static int entra_cached(struct eh_token *out)
{
    pthread_mutex_lock(&entra_mu);
    int64_t now = (int64_t)time(NULL);
    int64_t life = entra_tok.expires_s - entra_got_s;
    int rc = 0;
    if (entra_tok.token[0] && entra_tok.expires_s - now > MIN(life / 4, EH_ENTRA_REUSE_S)) {
        *out = entra_tok;
    } else if (entra_fail_s && now - entra_fail_s < EH_ENTRA_RETRY_S) {
        rc = entra_fail_rc;
    } else {
        char why[256];
        rc = eh_entra_token("https://eventhubs.azure.net/.default", out, why, sizeof(why));
        if (rc) {
            entra_fail_s = now;
            entra_fail_rc = rc;
            snprintf(entra_fail_why, sizeof(entra_fail_why), "%s", why);
        } else {
            entra_tok = *out;
            entra_got_s = now;
            entra_fail_s = 0;
        }
    }
    if (rc)
        LOG_RATELIMITED(10000, LOG_ERR, "eh: Entra ID token failed: %s (%s) fix=\"check "
                        "AZURE_TENANT_ID, AZURE_CLIENT_ID and the credential variables\"",
                        err_str(rc), entra_fail_why);
    pthread_mutex_unlock(&entra_mu);
    return rc;
}

int eh_cbs_token(const struct eh_conn *conn, bool entra, int64_t sas_ttl_s, const char *audience,
                 char *token, size_t n, const char **type, int64_t *expires_s)
{
    if (entra) {
        struct eh_token *t = malloc(sizeof(*t)); /* 16 KiB; once per renewal */
        if (!t)
            return -ENOMEM;
        int rc = entra_cached(t);
        if (!rc && strlen(t->token) >= n) {
            rc = -ENOSPC;
        } else if (!rc) {
            snprintf(token, n, "%s", t->token);
            *type = "jwt";
            *expires_s = t->expires_s;
        }
        OPENSSL_cleanse(t, sizeof(*t));
        free(t);
        return rc;
    }
    if (conn->sas[0]) {
        if (strlen(conn->sas) >= n)
            return -ENOSPC;
        snprintf(token, n, "%s", conn->sas);
        *type = "servicebus.windows.net:sastoken";
        *expires_s = 0; /* a fixed signature cannot be renewed */
        return 0;
    }
    int64_t exp = (int64_t)time(NULL) + (sas_ttl_s > 0 ? sas_ttl_s : EH_SAS_TTL_DEFAULT_S);
    int rc = eh_sas_token(audience, conn->key_name, conn->key, exp, token, n);
    if (rc)
        return rc;
    *type = "servicebus.windows.net:sastoken";
    *expires_s = exp;
    return 0;
}
