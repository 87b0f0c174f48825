/* fuzz_util.h - helpers shared by the fuzz targets and the malformed-input test
 * (STYLE.md §10 "fuzz"). Header-only: every target is one .c file plus this.
 *
 * A violated invariant prints one line naming it and calls abort(), so libFuzzer
 * records a crash and the replay binaries fail under ctest.
 */
#ifndef SLUICE_FUZZ_UTIL_H
#define SLUICE_FUZZ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "buf.h"
#include "json_shim.h"
#include "norm.h"

#define FUZZ_CHECK(c, ...)                                                                         \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "fuzz invariant violated at %s:%d: %s: ", __FILE__, __LINE__, #c);     \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* A malloc'ed copy of data[0..size) followed by exactly JSON_PAD zero bytes (no
 * more, so ASan sees any read past the padding). Never NULL. */
static inline char *fuzz_padded(const void *data, size_t size)
{
    char *p = malloc(size + JSON_PAD);
    FUZZ_CHECK(p != NULL, "out of memory for %zu bytes", size);
    if (size)
        memcpy(p, data, size);
    memset(p + size, 0, JSON_PAD);
    return p;
}

/* Length of the valid UTF-8 prefix of s[0..n) (strict: no overlongs, no
 * surrogates, nothing above U+10FFFF); n when all of it is valid. */
static inline size_t fuzz_utf8_valid_prefix(const char *s, size_t n)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t i = 0;
    while (i < n) {
        uint8_t c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k;
        uint32_t cp, min;
        if (c >= 0xC2 && c <= 0xDF) {
            k = 1;
            cp = c & 0x1F;
            min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            k = 2;
            cp = c & 0x0F;
            min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            k = 3;
            cp = c & 0x07;
            min = 0x10000;
        } else {
            return i;
        }
        if (n - i <= k)
            return i;
        for (size_t j = 1; j <= k; j++) {
            if ((p[i + j] & 0xC0) != 0x80)
                return i;
            cp = (cp << 6) | (p[i + j] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += k + 1;
    }
    return n;
}

static inline bool fuzz_utf8_valid(const char *s, size_t n)
{
    return fuzz_utf8_valid_prefix(s, n) == n;
}

/* Strict RFC 8259 check that s[0..n) is exactly one JSON value (whitespace
 * around it allowed; UTF-8 is checked separately). Independent of simdjson, whose
 * On Demand parser skips what it is not asked for and so accepts some invalid
 * texts: this is the oracle the targets compare against. Iterative, any depth. */
static inline bool fuzz_json_strict(const char *s, size_t n)
{
    const uint8_t *p = (const uint8_t *)s;
    uint8_t *stack = malloc(n + 1); /* '{' or '[' per open container */
    FUZZ_CHECK(stack != NULL, "out of memory");
    size_t i = 0, d = 0;
    bool ok = false;
#define WS()                                                                                       \
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))                 \
    i++
    enum { VALUE, KEY, AFTER } st = VALUE;
    for (;;) {
        WS();
        if (st == KEY || (st == VALUE && i < n && p[i] == '"')) {
            if (i >= n || p[i] != '"')
                goto out;
            for (i++;; i++) {
                if (i >= n || p[i] < 0x20)
                    goto out;
                if (p[i] == '"')
                    break;
                if (p[i] == '\\') {
                    if (++i >= n)
                        goto out;
                    if (p[i] == 'u') {
                        for (int k = 0; k < 4; k++)
                            if (++i >= n || !((p[i] >= '0' && p[i] <= '9') ||
                                              ((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'f')))
                                goto out;
                    } else if (!strchr("\"\\/bfnrt", p[i]) || p[i] == 0) {
                        goto out;
                    }
                }
            }
            i++;
            if (st == KEY) {
                WS();
                if (i >= n || p[i] != ':')
                    goto out;
                i++;
                st = VALUE;
                continue;
            }
            st = AFTER;
            continue;
        }
        if (st == VALUE) {
            if (i >= n)
                goto out;
            if (p[i] == '{' || p[i] == '[') {
                uint8_t open = p[i++];
                WS();
                if (i < n && p[i] == (open == '{' ? '}' : ']')) {
                    i++;
                    st = AFTER;
                } else {
                    stack[d++] = open;
                    st = open == '{' ? KEY : VALUE;
                }
                continue;
            }
            if (p[i] == '-' || (p[i] >= '0' && p[i] <= '9')) {
                if (p[i] == '-')
                    i++;
                if (i < n && p[i] == '0')
                    i++;
                else if (i < n && p[i] >= '1' && p[i] <= '9')
                    while (i < n && p[i] >= '0' && p[i] <= '9')
                        i++;
                else
                    goto out;
                if (i < n && p[i] == '.') {
                    if (++i >= n || p[i] < '0' || p[i] > '9')
                        goto out;
                    while (i < n && p[i] >= '0' && p[i] <= '9')
                        i++;
                }
                if (i < n && (p[i] == 'e' || p[i] == 'E')) {
                    i++;
                    if (i < n && (p[i] == '+' || p[i] == '-'))
                        i++;
                    if (i >= n || p[i] < '0' || p[i] > '9')
                        goto out;
                    while (i < n && p[i] >= '0' && p[i] <= '9')
                        i++;
                }
                st = AFTER;
                continue;
            }
            static const char *const lits[] = {"true", "false", "null"};
            bool lit = false;
            for (int k = 0; k < 3 && !lit; k++) {
                size_t l = strlen(lits[k]);
                if (n - i >= l && memcmp(p + i, lits[k], l) == 0) {
                    i += l;
                    lit = true;
                }
            }
            if (!lit)
                goto out;
            st = AFTER;
            continue;
        }
        /* AFTER a value */
        if (d == 0) {
            ok = i == n;
            goto out;
        }
        if (i >= n)
            goto out;
        if (p[i] == ',') {
            i++;
            st = stack[d - 1] == '{' ? KEY : VALUE;
        } else if (p[i] == (stack[d - 1] == '{' ? '}' : ']')) {
            i++;
            d--;
        } else {
            goto out;
        }
    }
#undef WS
out:
    free(stack);
    return ok;
}

/* Deepest container nesting of JSON text s[0..n) (strings skipped). */
static inline size_t fuzz_json_depth(const char *s, size_t n)
{
    size_t d = 0, max = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') {
            for (i++; i < n && s[i] != '"'; i++)
                if (s[i] == '\\')
                    i++;
        } else if (s[i] == '{' || s[i] == '[') {
            if (++d > max)
                max = d;
        } else if ((s[i] == '}' || s[i] == ']') && d > 0) {
            d--;
        }
    }
    return max;
}

/* Give back the scratch memory of p's json_parse_text() results: it lives until
 * the next json_body_begin() (json_shim.h), so a parser used only for
 * json_parse_text() must be rewound by one, or it grows with every call. */
static inline void fuzz_json_rewind(struct json_parser *p)
{
    static const char empty[2 + JSON_PAD] = "{}";
    int rc = json_body_begin(p, empty, 2);
    (void)rc;
}

/* Check the NDJSON appended to b since offset from: every line valid UTF-8, '{'
 * first, '}' just before its '\n', and (when chk is given) exactly one JSON object
 * by the shim's standalone parser. Returns the number of lines. */
static inline size_t fuzz_check_lines(const struct buf *b, size_t from, struct json_parser *chk,
                                      const char *what)
{
    FUZZ_CHECK(b->len >= from, "%s buffer shrank", what);
    size_t lines = 0;
    const char *p = b->p ? b->p + from : NULL, *end = b->p ? b->p + b->len : NULL;
    if (b->len > from)
        FUZZ_CHECK(end[-1] == '\n', "%s output does not end with a newline", what);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        FUZZ_CHECK(nl != NULL, "%s line without newline", what);
        size_t n = (size_t)(nl - p);
        FUZZ_CHECK(n >= 2, "%s line %zu is too short (%zu bytes)", what, lines, n);
        FUZZ_CHECK(p[0] == '{' && p[n - 1] == '}', "%s line %zu is not {...}: %.80s", what, lines,
                   p);
        size_t ok = fuzz_utf8_valid_prefix(p, n);
        FUZZ_CHECK(ok == n, "%s line %zu: invalid UTF-8 at byte %zu: %.80s", what, lines, ok, p);
        if (chk)
            FUZZ_CHECK(fuzz_json_strict(p, n), "%s line %zu is not one JSON object: %.200s", what,
                       lines, p);
        lines++;
        p = nl + 1;
    }
    return lines;
}

static inline uint64_t fuzz_dead_total(const struct norm_stats *st)
{
    uint64_t t = 0;
    for (int i = 0; i < ND__COUNT; i++)
        t += st->dead[i];
    return t;
}

/* What one checked norm_message() call produced. */
struct fuzz_norm_out {
    size_t events; /* lines appended to the events buffer */
    size_t dead;   /* lines appended to the dead-letter buffer */
};

/* Run norm_message() on m and assert its contract: return value == lines appended
 * to events + dead, every line well formed, and the stats moved by exactly as
 * many records, events and dead letters. -ENOMEM is a violation too (no input
 * here is big enough to excuse it). */
static inline struct fuzz_norm_out fuzz_norm_checked(struct norm *n, const struct norm_msg *m,
                                                     struct buf *ev, struct buf *dead,
                                                     struct norm_stats *st, struct json_parser *chk)
{
    size_t ev0 = ev->len, dead0 = dead->len;
    struct norm_stats before = *st;
    int rc = norm_message(n, m, ev, dead, st);
    FUZZ_CHECK(rc >= 0, "norm_message returned %d on a %zu-byte body", rc, m->len);
    struct fuzz_norm_out o;
    o.events = fuzz_check_lines(ev, ev0, chk, "events");
    o.dead = fuzz_check_lines(dead, dead0, chk, "dead letters");
    FUZZ_CHECK((size_t)rc == o.events + o.dead, "returned %d but wrote %zu events + %zu dead", rc,
               o.events, o.dead);
    FUZZ_CHECK(st->messages == before.messages + 1, "messages counter moved wrongly");
    FUZZ_CHECK(st->records - before.records == (uint64_t)rc,
               "records counter moved by %llu, not %d",
               (unsigned long long)(st->records - before.records), rc);
    FUZZ_CHECK(st->events - before.events == o.events, "events counter moved by %llu, not %zu",
               (unsigned long long)(st->events - before.events), o.events);
    FUZZ_CHECK(fuzz_dead_total(st) - fuzz_dead_total(&before) == o.dead,
               "dead counters moved by %llu, not %zu",
               (unsigned long long)(fuzz_dead_total(st) - fuzz_dead_total(&before)), o.dead);
    FUZZ_CHECK(st->bytes_out - before.bytes_out == ev->len - ev0,
               "bytes_out moved by %llu, events grew by %zu",
               (unsigned long long)(st->bytes_out - before.bytes_out), ev->len - ev0);
    FUZZ_CHECK(st->records == st->events + fuzz_dead_total(st),
               "records %llu != events %llu + dead %llu", (unsigned long long)st->records,
               (unsigned long long)st->events, (unsigned long long)fuzz_dead_total(st));
    /* Text that is not JSON is said to be so (finding F4: On Demand alone let
     * some through as events); JSON of ordinary depth is never called invalid. */
    uint64_t invalid = st->dead[ND_INVALID_JSON] - before.dead[ND_INVALID_JSON];
    if (!fuzz_json_strict(m->body, m->len))
        FUZZ_CHECK(invalid > 0, "a body that is not JSON gave no invalid_json dead letter: %.200s",
                   m->body);
    else if (fuzz_json_depth(m->body, m->len) <= 32)
        FUZZ_CHECK(invalid == 0, "a JSON body gave %llu invalid_json dead letters: %.200s",
                   (unsigned long long)invalid, m->body);
    return o;
}

#endif
