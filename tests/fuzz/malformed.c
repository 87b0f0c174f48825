/* malformed.c - the malformed-input corpus, generated at run time and pushed
 * through norm_message() (issue 3; ctest fuzz/malformed, label fuzz).
 *
 * Starting from every record of the .log files in ../shared/samples/elastic, it builds:
 *   truncated records and bodies at many offsets; every envelope member and every
 *   property replaced by each wrong-typed value; 10 MB string values (plain,
 *   escaped, JSON-in-a-string); 100k-deep '[' and '{' nesting; invalid UTF-8
 *   (overlong, surrogates, truncated multibyte, 0xFF, beyond U+10FFFF) in values,
 *   keys and structure; NUL bytes; CRLF; \u escapes incl. lone surrogates.
 * Every input goes through fuzz_norm_body() (fuzz_norm.h): both id schemes, each
 * call checked for return == lines, well-formed UTF-8 JSON lines and counters.
 * On top of that, the record count: a complete record yields exactly one line,
 * and a mutated record between two good ones yields exactly three lines, the good
 * ones as events. Mutations that keep the record valid JSON with its category
 * (wrong-typed properties, bad UTF-8 inside strings, \u escapes) must still
 * give an event (issue 3: "the record is still normalized").
 * Memory: the peak RSS (getrusage) must stay under MAX_RSS_MB. No timing
 * asserts; ctest's TIMEOUT bounds a hang.
 *
 *   fuzz_malformed [--dump DIR]   DIR: also write every 37th input under 64 KiB
 *                                 there (seeds for the fuzz corpora)
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "fuzz_norm.h"

#ifndef SLUICE_SHARED_DIR
#define SLUICE_SHARED_DIR "../shared"
#endif

#if defined(__SANITIZE_ADDRESS__)
#define MAX_RSS_MB 1024 /* ASan's shadow and quarantine count too (about 660 MB seen) */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define MAX_RSS_MB 1024
#endif
#endif
#ifndef MAX_RSS_MB
#define MAX_RSS_MB 512
#endif
#define BIG (10u << 20) /* the 10 MB string */
#define DEEP 100000u    /* nesting depth */

static struct fuzz_norm fn;
static const char *dump_dir;
static unsigned long inputs, dumped, failures;

/* ---- strings ----------------------------------------------------------------- */

struct str {
    char *p;
    size_t len, cap;
};

static void s_add(struct str *s, const void *p, size_t n)
{
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 256;
        while (cap < s->len + n + 1)
            cap *= 2;
        s->p = realloc(s->p, cap);
        FUZZ_CHECK(s->p != NULL, "out of memory");
        s->cap = cap;
    }
    if (n)
        memcpy(s->p + s->len, p, n);
    s->len += n;
    s->p[s->len] = 0;
}

static void s_cat(struct str *s, const char *z)
{
    s_add(s, z, strlen(z));
}

static void s_rep(struct str *s, const char *z, size_t times)
{
    size_t n = strlen(z);
    for (size_t i = 0; i < times; i++)
        s_add(s, z, n);
}

/* ---- the samples ------------------------------------------------------------- */

struct rec {
    char *p;
    size_t len;
    char name[96];
};

static struct rec recs[256];
static size_t nrecs;

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void load_samples(void)
{
    const char *dir = SLUICE_SHARED_DIR "/samples/elastic";
    DIR *d = opendir(dir);
    FUZZ_CHECK(d != NULL, "cannot open %s", dir);
    char *names[64];
    size_t nn = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && nn < 64) {
        size_t l = strlen(e->d_name);
        if (l > 4 && strcmp(e->d_name + l - 4, ".log") == 0)
            names[nn++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, nn, sizeof(*names), by_name);
    for (size_t i = 0; i < nn; i++) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        FILE *f = fopen(path, "rb");
        FUZZ_CHECK(f != NULL, "cannot open %s", path);
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        unsigned lineno = 0;
        while ((n = getline(&line, &cap, f)) > 0) {
            lineno++;
            while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                n--;
            if (n == 0 || nrecs == sizeof(recs) / sizeof(recs[0]))
                continue;
            recs[nrecs].p = malloc((size_t)n + 1);
            memcpy(recs[nrecs].p, line, (size_t)n);
            recs[nrecs].p[n] = 0;
            recs[nrecs].len = (size_t)n;
            snprintf(recs[nrecs].name, sizeof(recs[nrecs].name), "%s:%u", names[i], lineno);
            nrecs++;
        }
        free(line);
        fclose(f);
        free(names[i]);
    }
    FUZZ_CHECK(nrecs >= 10, "only %zu sample records under %s", nrecs, dir);
}

/* ---- a minimal JSON scanner over the (valid) sample records ------------------- */

static size_t ws(const char *s, size_t i, size_t n)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
        i++;
    return i;
}

/* End of the value starting at s[i] (after whitespace). */
static size_t skip_value(const char *s, size_t i, size_t n)
{
    i = ws(s, i, n);
    FUZZ_CHECK(i < n, "sample record ends early");
    if (s[i] == '"') {
        for (i++; i < n && s[i] != '"'; i++)
            if (s[i] == '\\')
                i++;
        return i + 1;
    }
    if (s[i] == '{' || s[i] == '[') {
        int depth = 0;
        for (; i < n; i++) {
            if (s[i] == '"') {
                for (i++; i < n && s[i] != '"'; i++)
                    if (s[i] == '\\')
                        i++;
            } else if (s[i] == '{' || s[i] == '[') {
                depth++;
            } else if (s[i] == '}' || s[i] == ']') {
                if (--depth == 0)
                    return i + 1;
            }
        }
        FUZZ_CHECK(0, "unbalanced sample record");
    }
    while (i < n && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ')
        i++;
    return i;
}

struct member {
    size_t key, key_end; /* the key's text without quotes */
    size_t val, val_end; /* the value */
    bool prop;           /* inside "properties" */
};

/* The members of the object at s[i]; recurses into "properties". */
static size_t members(const char *s, size_t i, size_t n, bool prop, struct member *out, size_t max,
                      size_t k)
{
    i = ws(s, i, n);
    FUZZ_CHECK(i < n && s[i] == '{', "not an object");
    i++;
    for (;;) {
        i = ws(s, i, n);
        if (s[i] == '}')
            return k;
        FUZZ_CHECK(s[i] == '"', "no key at %zu", i);
        size_t key = i + 1, key_end = skip_value(s, i, n) - 1;
        i = ws(s, key_end + 1, n);
        FUZZ_CHECK(s[i] == ':', "no colon");
        size_t val = ws(s, i + 1, n), val_end = skip_value(s, val, n);
        if (k < max)
            out[k++] = (struct member){key, key_end, val, val_end, prop};
        if (!prop && key_end - key == 10 && memcmp(s + key, "properties", 10) == 0 && s[val] == '{')
            k = members(s, val, n, true, out, max, k);
        i = ws(s, val_end, n);
        if (s[i] == ',')
            i++;
    }
}

/* ---- running one input -------------------------------------------------------- */

/* Known findings in normalize/ (reported, see README.md "Findings"): while
 * `known` names one, a miss of the record count or of the event expectation is
 * printed as KNOWN and counted apart instead of failing the test. Crashes,
 * sanitizer reports and fuzz_util.h invariants still fail. Drop the marking once
 * the finding is fixed. */
static const char *known;
static unsigned long known_hits;

static void fail(const char *what, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (known) {
        if (known_hits++ < 3 || getenv("SLUICE_MALFORMED_VERBOSE")) {
            printf("KNOWN (%s) %s: ", known, what);
            vprintf(fmt, ap);
            putchar('\n');
        }
    } else {
        fprintf(stderr, "FAIL %s: ", what);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        failures++;
    }
    va_end(ap);
}

static void dump(const char *body, size_t len)
{
    if (!dump_dir || len > (64u << 10) || inputs % 37 != 0)
        return;
    char path[1024];
    snprintf(path, sizeof(path), "%s/malformed-%06lu", dump_dir, dumped++);
    FILE *f = fopen(path, "wb");
    FUZZ_CHECK(f && fwrite(body, 1, len, f) == len && fclose(f) == 0, "cannot write %s", path);
}

/* Normalize body[0..len) (copied with JSON_PAD after it); keep_original alternates. */
static struct fuzz_norm_out run(const char *body, size_t len)
{
    char *p = fuzz_padded(body, len);
    struct fuzz_norm_out o = fuzz_norm_body(&fn, p, len, inputs & 1);
    free(p);
    inputs++;
    dump(body, len);
    return o;
}

enum want { ANY_LINE, ONE_LINE, ONE_EVENT };

/* {"records":[rec]} must give exactly one line (an event for ONE_EVENT). */
static void run_one(const char *what, const char *rec, size_t len, enum want want)
{
    struct str b = {0};
    s_cat(&b, "{\"records\":[");
    s_add(&b, rec, len);
    s_cat(&b, "]}");
    struct fuzz_norm_out o = run(b.p, b.len);
    if (want != ANY_LINE && o.events + o.dead != 1)
        fail(what, "%zu events + %zu dead letters for one record", o.events, o.dead);
    else if (want == ONE_EVENT && o.events != 1)
        fail(what, "dead letter where an event was due");
    free(b.p);
}

/* {"records":[good, rec, good]}: exactly three lines, at least the good two events. */
static void run_between(const char *what, const char *rec, size_t len, const struct rec *good,
                        enum want want)
{
    struct str b = {0};
    s_cat(&b, "{\"records\":[");
    s_add(&b, good->p, good->len);
    s_cat(&b, ",");
    s_add(&b, rec, len);
    s_cat(&b, ",");
    s_add(&b, good->p, good->len);
    s_cat(&b, "]}");
    struct fuzz_norm_out o = run(b.p, b.len);
    size_t need = want == ONE_EVENT ? 3 : 2;
    if (o.events + o.dead != 3 || o.events < need)
        fail(what, "%zu events + %zu dead letters for 3 records (%zu events due)", o.events, o.dead,
             need);
    free(b.p);
}

/* rec with s[from..to) replaced by z. */
static void splice(struct str *out, const struct rec *r, size_t from, size_t to, const char *z,
                   size_t zlen)
{
    out->len = 0;
    s_add(out, r->p, from);
    s_add(out, z, zlen);
    s_add(out, r->p + to, r->len - to);
}

/* ---- the cases ------------------------------------------------------------------ */

static void case_samples(void)
{
    for (size_t i = 0; i < nrecs; i++)
        run_one(recs[i].name, recs[i].p, recs[i].len, ONE_LINE);
    /* all of them in one body */
    struct str b = {0};
    s_cat(&b, "{\"records\":[");
    for (size_t i = 0; i < nrecs; i++) {
        if (i)
            s_cat(&b, ",\r\n");
        s_add(&b, recs[i].p, recs[i].len);
    }
    s_cat(&b, "]}\r\n");
    struct fuzz_norm_out o = run(b.p, b.len);
    if (o.events + o.dead != nrecs)
        fail("all samples", "%zu lines for %zu records", o.events + o.dead, nrecs);
    free(b.p);
}

static void case_truncated(void)
{
    struct str b = {0};
    for (size_t i = 0; i < nrecs; i++) {
        const struct rec *r = &recs[i];
        size_t step = r->len <= 1200 ? 1 : 3;
        /* the record cut short, alone in an unterminated body */
        for (size_t cut = 0; cut < r->len; cut += step) {
            b.len = 0;
            s_cat(&b, "{\"records\":[");
            s_add(&b, r->p, cut);
            struct fuzz_norm_out o = run(b.p, b.len);
            if (o.events + o.dead != 1)
                fail(r->name, "truncated at %zu: %zu events + %zu dead", cut, o.events, o.dead);
        }
        /* the record cut short, then the body closed */
        for (size_t cut = 1; cut < r->len; cut += step * 5) {
            b.len = 0;
            s_cat(&b, "{\"records\":[");
            s_add(&b, r->p, cut);
            s_cat(&b, "]}");
            struct fuzz_norm_out o = run(b.p, b.len);
            if (o.events + o.dead < 1 || o.events + o.dead > 2)
                fail(r->name, "cut at %zu and closed: %zu events + %zu dead", cut, o.events,
                     o.dead);
        }
    }
    /* a three-record body cut at many offsets: 1..3 lines */
    const struct rec *a = &recs[0], *c = &recs[nrecs / 2], *d = &recs[nrecs - 1];
    struct str body = {0};
    s_cat(&body, "{\"records\":[");
    s_add(&body, a->p, a->len);
    s_cat(&body, ",");
    s_add(&body, c->p, c->len);
    s_cat(&body, ",");
    s_add(&body, d->p, d->len);
    s_cat(&body, "]}");
    for (size_t cut = 0; cut < body.len; cut += 7) {
        struct fuzz_norm_out o = run(body.p, cut);
        if (o.events + o.dead < 1 || o.events + o.dead > 3)
            fail("3 records", "cut at %zu: %zu events + %zu dead", cut, o.events, o.dead);
    }
    free(body.p);
    free(b.p);
}

static const char *const wrong[] = {
    "null",
    "0",
    "-1",
    "42",
    "3.25",
    "\"a string\"",
    "true",
    "false",
    "{\"a\":1,\"b\":[null]}",
    "[1,\"x\",{}]",
    "{}",
    "[]",
    "123456789012345678901234567890",
    "18446744073709551616",
    "-9223372036854775809",
    "1e400",
    "-1e-400",
    "\"-\"",
    "\"\"",
    "\" \"",
    "\"null\"",
    "\"{\\\"x\\\":1}\"",
    "\"2023-13-45T99:99:99Z\"",
};

static bool member_is(const struct rec *r, const struct member *m, const char *name)
{
    size_t n = strlen(name);
    return m->key_end - m->key == n && memcmp(r->p + m->key, name, n) == 0;
}

static void case_wrong_types(void)
{
    static struct member ms[512];
    struct str out = {0};
    char what[256];
    for (size_t i = 0; i < nrecs; i++) {
        const struct rec *r = &recs[i];
        const struct rec *good = &recs[(i + 1) % nrecs];
        size_t nm = members(r->p, 0, r->len, false, ms, 512, 0);
        for (size_t k = 0; k < nm; k++) {
            const struct member *m = &ms[k];
            /* Envelope members may legitimately turn the record into a dead letter
             * (category gone: no_table); properties may not. */
            bool envelope = !m->prop;
            for (size_t w = 0; w < sizeof(wrong) / sizeof(wrong[0]); w++) {
                splice(&out, r, m->val, m->val_end, wrong[w], strlen(wrong[w]));
                snprintf(what, sizeof(what), "%s %.*s=%s", r->name, (int)(m->key_end - m->key),
                         r->p + m->key, wrong[w]);
                bool strict = !envelope && !member_is(r, m, "properties");
                if (w % 2 == 0)
                    run_one(what, out.p, out.len, strict ? ONE_EVENT : ONE_LINE);
                else
                    run_between(what, out.p, out.len, good, strict ? ONE_EVENT : ONE_LINE);
            }
        }
    }
    free(out.p);
}

/* The first string property value of r at or after a member named like `pref`
 * (or any string property): its [from, to) without the quotes. */
static bool string_prop(const struct rec *r, const char *pref, size_t *from, size_t *to)
{
    static struct member ms[512];
    size_t nm = members(r->p, 0, r->len, false, ms, 512, 0);
    size_t pick = SIZE_MAX;
    for (size_t k = 0; k < nm; k++) {
        if (!ms[k].prop || r->p[ms[k].val] != '"')
            continue;
        if (pick == SIZE_MAX)
            pick = k;
        if (member_is(r, &ms[k], pref)) {
            pick = k;
            break;
        }
    }
    if (pick == SIZE_MAX)
        return false;
    *from = ms[pick].val + 1;
    *to = ms[pick].val_end - 1;
    return true;
}

static const struct rec *find_rec(const char *needle)
{
    for (size_t i = 0; i < nrecs; i++)
        if (strstr(recs[i].p, needle))
            return &recs[i];
    return &recs[0];
}

static void case_big_strings(void)
{
    const struct rec *r = find_rec("AdvancedHunting-DeviceProcessEvents");
    size_t from, to;
    FUZZ_CHECK(string_prop(r, "ProcessCommandLine", &from, &to), "no string property");
    struct str v = {0}, out = {0};

    /* 10 MB of plain text */
    s_rep(&v, "A", BIG);
    splice(&out, r, from, to, v.p, v.len);
    run_one("10 MB plain string", out.p, out.len, ONE_EVENT);

    /* 10 MB with escapes and multibyte text */
    v.len = 0;
    while (v.len < BIG)
        s_cat(&v, "abc\\\"def\\\\ghi\\u00e9\\ud83d\\ude00\\n\\t\xc3\xa9\xe2\x82\xac ");
    splice(&out, r, from, to, v.p, v.len);
    run_one("10 MB escaped string", out.p, out.len, ONE_EVENT);

    /* 10 MB of JSON inside a string (the AdditionalFields path) */
    const struct rec *dr = find_rec("\"AdditionalFields\"");
    size_t af, af_end;
    if (string_prop(dr, "AdditionalFields", &af, &af_end)) {
        v.len = 0;
        s_cat(&v, "{\\\"Big\\\":\\\"");
        s_rep(&v, "B", BIG);
        s_cat(&v, "\\\"}");
        splice(&out, dr, af, af_end, v.p, v.len);
        run_one("10 MB JSON in a string", out.p, out.len, ANY_LINE);
    }

    /* 10 MB key */
    v.len = 0;
    s_cat(&v, "{\"records\":[{\"time\":\"2024-01-01T00:00:00Z\",\"category\":"
              "\"AdvancedHunting-DeviceEvents\",\"properties\":{\"");
    s_rep(&v, "K", BIG);
    s_cat(&v, "\":1,\"Timestamp\":\"2024-01-01T00:00:00Z\",\"ActionType\":\"Other\"}}]}");
    struct fuzz_norm_out o = run(v.p, v.len);
    if (o.events + o.dead != 1)
        fail("10 MB key", "%zu lines", o.events + o.dead);

    /* 10 MB category: no usable table -> one line */
    v.len = 0;
    s_cat(&v, "{\"records\":[{\"category\":\"");
    s_rep(&v, "C", BIG);
    s_cat(&v, "\",\"properties\":{}}]}");
    o = run(v.p, v.len);
    if (o.events + o.dead != 1)
        fail("10 MB category", "%zu lines", o.events + o.dead);
    free(v.p);
    free(out.p);
}

static void case_deep(void)
{
    const struct rec *r = find_rec("\"AdditionalFields\"");
    size_t from, to;
    FUZZ_CHECK(string_prop(r, "AdditionalFields", &from, &to) ||
                   string_prop(r, "DeviceName", &from, &to),
               "no string property");
    struct str v = {0}, out = {0}, b = {0};
    static const char *const opens[] = {"[", "{\"a\":"};
    static const char *const closes[] = {"]", "}"};
    for (int kind = 0; kind < 2; kind++) {
        for (int closed = 0; closed < 2; closed++) {
            char what[64];
            /* as a property value (replacing the string, quotes included) */
            v.len = 0;
            s_rep(&v, opens[kind], DEEP);
            s_cat(&v, "1");
            if (closed)
                s_rep(&v, closes[kind], DEEP);
            splice(&out, r, from - 1, to + 1, v.p, v.len);
            snprintf(what, sizeof(what), "deep %s value closed=%d", opens[kind], closed);
            run_one(what, out.p, out.len, closed ? ONE_LINE : ANY_LINE);
            /* as the record itself */
            snprintf(what, sizeof(what), "deep %s record closed=%d", opens[kind], closed);
            run_one(what, v.p, v.len, closed ? ONE_LINE : ANY_LINE);
            /* as a whole body */
            struct fuzz_norm_out o = run(v.p, v.len);
            if (o.events + o.dead != 1)
                fail(what, "as a body: %zu lines", o.events + o.dead);
            /* as JSON text inside a string (AdditionalFields) */
            b.len = 0;
            for (size_t i = 0; i < v.len; i++)
                s_add(&b, v.p[i] == '"' ? "\\\"" : &v.p[i], v.p[i] == '"' ? 2 : 1);
            splice(&out, r, from, to, b.p, b.len);
            snprintf(what, sizeof(what), "deep %s in a string closed=%d", opens[kind], closed);
            run_one(what, out.p, out.len, ONE_EVENT);
        }
    }
    free(v.p);
    free(out.p);
    free(b.p);
}

/* Byte sequences that are not UTF-8. */
static const char *const bad_utf8[] = {
    "\xc0\x80",             /* overlong NUL */
    "\xc1\xbf",             /* overlong */
    "\xe0\x80\xaf",         /* overlong '/' */
    "\xf0\x80\x80\xaf",     /* overlong '/' */
    "\xed\xa0\x80",         /* surrogate D800 */
    "\xed\xbf\xbf",         /* surrogate DFFF */
    "\xe2\x82",             /* truncated 3-byte */
    "\xf0\x9f\x98",         /* truncated 4-byte */
    "\xc3",                 /* truncated 2-byte */
    "\x80",                 /* lone continuation */
    "\xbf\xbf",             /* continuations */
    "\xff",                 /* never valid */
    "\xfe\xff",             /* BOM bytes swapped, invalid */
    "\xf4\x90\x80\x80",     /* above U+10FFFF */
    "\xf8\x88\x80\x80\x80", /* 5-byte form */
};

/* Escapes and raw bytes inside strings that JSON allows or forbids. */
static const char *const escapes[] = {
    "\\ud800",
    "\\udc00",
    "\\ud800\\u0041",
    "\\udc00\\ud800",
    "\\ud800\\ud800",
    "\\ud83d\\ude00",
    "\\uD83D\\uDE00",
    "\\u0000",
    "\\u001f",
    "\\u00e9",
    "\\u12G4",
    "\\x41",
    "\\",
    "\\u12",
    "\\r\\n",
    "\r\n",
    "\t",
    "\x01",
    "\\/",
    "\\b\\f",
};

static void case_bytes(void)
{
    struct str out = {0};
    char what[160];
    for (size_t i = 0; i < nrecs; i += 3) {
        const struct rec *r = &recs[i];
        const struct rec *good = &recs[(i + 1) % nrecs];
        size_t from, to;
        if (!string_prop(r, "DeviceName", &from, &to))
            continue;
        size_t mid = from + (to - from) / 2;
        for (size_t k = 0; k < sizeof(bad_utf8) / sizeof(bad_utf8[0]); k++) {
            const char *z = bad_utf8[k];
            snprintf(what, sizeof(what), "%s bad UTF-8 #%zu in a value", r->name, k);
            splice(&out, r, mid, mid, z, strlen(z));
            run_one(what, out.p, out.len, ONE_EVENT);
            run_between(what, out.p, out.len, good, ONE_EVENT);
            /* at the end of the value, right before the quote */
            splice(&out, r, to, to, z, strlen(z));
            run_one(what, out.p, out.len, ONE_EVENT);
            /* in a key: the property "DeviceName" becomes another one */
            snprintf(what, sizeof(what), "%s bad UTF-8 #%zu in a key", r->name, k);
            splice(&out, r, from - 3, from - 3, z, strlen(z));
            run_one(what, out.p, out.len, ONE_LINE);
            /* in the structure: between members */
            snprintf(what, sizeof(what), "%s bad UTF-8 #%zu in structure", r->name, k);
            splice(&out, r, to + 1, to + 1, z, strlen(z));
            run_between(what, out.p, out.len, good, ONE_LINE);
        }
        for (size_t k = 0; k < sizeof(escapes) / sizeof(escapes[0]); k++) {
            const char *z = escapes[k];
            /* the escapes that are valid JSON must still normalize */
            bool valid = k < 10 || k == 14 || k == 18 || k == 19;
            snprintf(what, sizeof(what), "%s escape #%zu in a value", r->name, k);
            splice(&out, r, mid, mid, z, strlen(z));
            run_one(what, out.p, out.len, valid ? ONE_EVENT : ONE_LINE);
            run_between(what, out.p, out.len, good, valid ? ONE_EVENT : ONE_LINE);
            /* right before the closing quote (a lone backslash there was finding
             * F3: one record, two dead letters) */
            splice(&out, r, to, to, z, strlen(z));
            run_one(what, out.p, out.len, valid ? ONE_EVENT : ONE_LINE);
        }
        /* NUL bytes: inside a string, between members, after the body */
        splice(&out, r, mid, mid, "\0", 1);
        run_one("NUL in a value", out.p, out.len, ONE_LINE);
        splice(&out, r, to + 1, to + 1, "\0", 1);
        run_between("NUL in structure", out.p, out.len, good, ONE_LINE);
        splice(&out, r, r->len, r->len, "\0\0\0", 3);
        run_one("NULs after a record", out.p, out.len, ANY_LINE);
        /* CRLF around every comma and colon, and after the record */
        out.len = 0;
        for (size_t j = 0; j < r->len; j++) {
            s_add(&out, &r->p[j], 1);
            if ((r->p[j] == ',' || r->p[j] == ':') && j + 1 < r->len && r->p[j + 1] == '"')
                s_cat(&out, "\r\n");
        }
        s_cat(&out, "\r\n");
        run_one("CRLF", out.p, out.len, ANY_LINE);
    }
    /* whole bodies of hostile bytes */
    static const char *const bodies[] = {
        "",
        "\0",
        "\xff\xfe",
        "\xef\xbb\xbf{\"records\":[]}",
        "{\"records\":[]}",
        "{\"records\":null}",
        "{\"records\":{}}",
        "{\"records\":[1,\"x\",null,[],{}]}",
        "{\"records\":[{}]}",
        "{\"records\":[{\"category\":null}]}",
        "[]",
        "null",
        "\"records\"",
        "{\"records\":[{\"category\":\"AdvancedHunting-DeviceEvents\"}]}",
        "{\"records\":[{\"category\":\"AdvancedHunting-DeviceEvents\",\"properties\":null}]}",
        "{\"records\":[{\"category\":\"AdvancedHunting-DeviceEvents\",\"properties\":[]}]}",
        "{\"records\":[{\"category\":\"AdvancedHunting-\",\"properties\":{}}]}",
        "{\"records\":[{\"category\":\"\xff\",\"time\":\"2024-01-01T00:00:00Z\"}]}",
        "{\"records\":[],\"records\":[{}]}",
        "{\"records\":[{}],\"records\":[]}",
        "{\"records\":[{\"properties\":{},\"properties\":{\"x\":1}}]}",
        "\r\n\r\n",
        "{\"records\":[\r\n]}\r\n",
    };
    for (size_t k = 0; k < sizeof(bodies) / sizeof(bodies[0]); k++) {
        size_t len = k == 1 ? 1 : strlen(bodies[k]);
        struct fuzz_norm_out o = run(bodies[k], len);
        (void)o;
    }
    free(out.p);
}

static long peak_rss_mb(void)
{
    struct rusage ru;
    FUZZ_CHECK(getrusage(RUSAGE_SELF, &ru) == 0, "getrusage");
    return ru.ru_maxrss / 1024;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--dump") == 0)
        dump_dir = argv[2];
    else if (argc != 1) {
        fprintf(stderr, "usage: fuzz_malformed [--dump DIR]\n");
        return 2;
    }
    fuzz_norm_init(&fn);
    load_samples();

    static const struct {
        const char *name;
        void (*fn)(void);
    } cases[] = {
        {"samples", case_samples},         {"truncated", case_truncated},
        {"wrong types", case_wrong_types}, {"bytes", case_bytes},
        {"deep nesting", case_deep},       {"10 MB strings", case_big_strings},
    };
    long rss_mb = 0;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned long in0 = inputs, f0 = failures;
        cases[i].fn();
        rss_mb = peak_rss_mb();
        printf("malformed: %-14s %7lu inputs, %4lu failures, peak RSS %ld MB\n", cases[i].name,
               inputs - in0, failures - f0, rss_mb);
        fflush(stdout);
    }
    printf("malformed: %zu sample records, %lu inputs, %lu failures, %lu known-finding misses, "
           "peak RSS %ld MB\n",
           nrecs, inputs, failures, known_hits, rss_mb);
    if (rss_mb > MAX_RSS_MB)
        fail("memory", "peak RSS %ld MB over %d MB", rss_mb, MAX_RSS_MB);
    fuzz_norm_fini(&fn);
    for (size_t i = 0; i < nrecs; i++)
        free(recs[i].p);
    printf("%lu passed, %lu failed\n", inputs - failures, failures);
    return failures ? 1 : 0;
}
