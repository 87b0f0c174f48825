/* ocsf_enc.c - JSON text appenders for OCSF events and dead letters.
 *
 * DESIGN
 * Output is built front to back in one struct buf per shard; nothing is
 * formatted with snprintf. Strings are copied in runs: an 8-byte SWAR test finds
 * the next byte that JSON requires to be escaped ('"', '\\', < 0x20) and the run
 * before it is memcpy'd. Shim strings are already valid UTF-8 (simdjson's stage 1
 * validated the body; norm repairs bodies that fail it), so the hot escaper does
 * not re-validate; ocsf_str_any() does, for dead letters that carry raw bytes.
 * Integers use a two-digits-at-a-time table.
 */
#include "ocsf_enc.h"

#include <errno.h>

#define ONES  0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

bool ocsf_grow(struct ocsf_w *w, size_t n)
{
    if (w->err)
        return false;
    int rc = buf_grow(w->b, n);
    if (rc) {
        w->err = rc;
        return false;
    }
    return true;
}

static const char digits2[201] = "0001020304050607080910111213141516171819"
                                 "2021222324252627282930313233343536373839"
                                 "4041424344454647484950515253545556575859"
                                 "6061626364656667686970717273747576777879"
                                 "8081828384858687888990919293949596979899";

size_t ocsf_fmt_u64(char *d, uint64_t v)
{
    char tmp[20];
    char *e = tmp + sizeof(tmp), *p = e;
    while (v >= 100) {
        unsigned r = (unsigned)(v % 100); /* constant divisor: a multiply */
        v /= 100;
        p -= 2;
        memcpy(p, digits2 + 2 * r, 2);
    }
    if (v >= 10) {
        p -= 2;
        memcpy(p, digits2 + 2 * v, 2);
    } else {
        *--p = (char)('0' + v);
    }
    size_t n = (size_t)(e - p);
    memcpy(d, p, n);
    return n;
}

void ocsf_u64(struct ocsf_w *w, uint64_t v)
{
    if (!ocsf_room(w, 20))
        return;
    w->b->len += ocsf_fmt_u64(w->b->p + w->b->len, v);
}

void ocsf_i64(struct ocsf_w *w, int64_t v)
{
    if (!ocsf_room(w, 21))
        return;
    char *d = w->b->p + w->b->len;
    uint64_t u = (uint64_t)v;
    size_t n = 0;
    if (v < 0) {
        d[n++] = '-';
        u = 0 - u;
    }
    n += ocsf_fmt_u64(d + n, u);
    w->b->len += n;
}

/* Bytes at the start of s[0..n) that need no escaping. */
static inline size_t clean_run(const char *s, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x, q, b;
        memcpy(&x, s + i, 8);
        q = x ^ (ONES * '"');
        b = x ^ (ONES * '\\');
        uint64_t t = ((q - ONES) & ~q) | ((b - ONES) & ~b) | ((x - ONES * 0x20) & ~x);
        if (t & HIGHS)
            break;
    }
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == '"' || c == '\\')
            break;
        i++;
    }
    return i;
}

static inline char *esc1(char *d, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    *d++ = '\\';
    switch (c) {
    case '"': *d++ = '"'; break;
    case '\\': *d++ = '\\'; break;
    case '\b': *d++ = 'b'; break;
    case '\f': *d++ = 'f'; break;
    case '\n': *d++ = 'n'; break;
    case '\r': *d++ = 'r'; break;
    case '\t': *d++ = 't'; break;
    default:
        memcpy(d, "u00", 3);
        d[3] = hex[c >> 4];
        d[4] = hex[c & 15];
        d += 5;
    }
    return d;
}

char *ocsf_escape_into(char *d, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            *d++ = (char)c;
        else
            d = esc1(d, c);
    }
    return d;
}

void ocsf_str_body(struct ocsf_w *w, const char *s, size_t n)
{
    size_t j = clean_run(s, n);
    if (LIKELY(j == n)) {
        ocsf_raw(w, s, n);
        return;
    }
    size_t worst;
    if (__builtin_mul_overflow(n, (size_t)6, &worst) || !ocsf_room(w, worst))
        return;
    char *d = w->b->p + w->b->len;
    size_t i = 0;
    for (;;) {
        memcpy(d, s + i, j);
        d += j;
        i += j;
        if (i >= n)
            break;
        d = esc1(d, (unsigned char)s[i++]);
        j = clean_run(s + i, n - i);
    }
    w->b->len = (size_t)(d - w->b->p);
}

void ocsf_str(struct ocsf_w *w, const char *s, size_t n)
{
    ocsf_ch(w, '"');
    ocsf_str_body(w, s, n);
    ocsf_ch(w, '"');
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when it is invalid
 * (overlong forms, surrogates and code points above U+10FFFF included). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        return (n >= 2 && (s[1] & 0xc0) == 0x80) ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
            return 0;
        if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f))
            return 0;
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
            return 0;
        if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
            return 0;
        return 4;
    }
    return 0;
}

size_t ocsf_utf8_repair(char *dst, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    char *d = dst;
    size_t i = 0;
    while (i < n) {
        size_t k = utf8_len(u + i, n - i);
        if (k) {
            memcpy(d, s + i, k);
            d += k;
            i += k;
        } else {
            memcpy(d, "\xef\xbf\xbd", 3);
            d += 3;
            i++;
        }
    }
    return (size_t)(d - dst);
}

void ocsf_str_any(struct ocsf_w *w, const char *s, size_t n)
{
    size_t worst;
    if (__builtin_mul_overflow(n, (size_t)6, &worst) || !ocsf_room(w, worst + 2))
        return;
    const unsigned char *u = (const unsigned char *)s;
    char *d = w->b->p + w->b->len;
    *d++ = '"';
    size_t i = 0;
    while (i < n) {
        unsigned char c = u[i];
        if (c < 0x20 || c == '"' || c == '\\') {
            d = esc1(d, c);
            i++;
            continue;
        }
        size_t k = utf8_len(u + i, n - i);
        if (k) {
            memcpy(d, s + i, k);
            d += k;
            i += k;
        } else {
            memcpy(d, "\xef\xbf\xbd", 3);
            d += 3;
            i++;
        }
    }
    *d++ = '"';
    w->b->len = (size_t)(d - w->b->p);
}
