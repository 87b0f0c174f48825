/* ocsf_enc.h - a small JSON writer for OCSF NDJSON lines (hot path, no snprintf).
 *
 * struct ocsf_w wraps the output struct buf with a sticky error: appenders return
 * nothing, and the first failed growth leaves w->err = -ENOMEM (later appends
 * may be partial). The caller checks w->err once per line and discards the
 * buffer on error (norm.h: "buffers may hold a partial line").
 * Strings: ocsf_str() takes valid UTF-8 (everything the shim hands out) and
 * escapes only what JSON requires ('"', '\\', control characters);
 * ocsf_str_any() also replaces invalid UTF-8 with U+FFFD (dead letters).
 */
#ifndef SLUICE_OCSF_ENC_H
#define SLUICE_OCSF_ENC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "compiler.h"

struct ocsf_w {
    struct buf *b; /* output; borrowed */
    int err;       /* 0, or -ENOMEM once a growth failed (sticky) */
};

static inline void ocsf_w_init(struct ocsf_w *w, struct buf *b)
{
    w->b = b;
    w->err = 0;
}

/* Make room for n more bytes; false (and w->err set) when that fails. @hot */
bool ocsf_grow(struct ocsf_w *w, size_t n);

static inline bool ocsf_room(struct ocsf_w *w, size_t n)
{
    if (LIKELY(w->b->cap - w->b->len >= n))
        return true;
    return ocsf_grow(w, n);
}

/* Append n bytes verbatim. @hot */
static inline void ocsf_raw(struct ocsf_w *w, const char *s, size_t n)
{
    if (!ocsf_room(w, n))
        return;
    memcpy(w->b->p + w->b->len, s, n);
    w->b->len += n;
}

/* JSON-escape s[0..n) into d (only '"', '\\' and control characters; the bytes
 * are taken as they are); returns the end. d needs room for 6 * n bytes in the
 * worst case. Also used by the shim (json_shim.cpp) when it re-serialises
 * nested values. */
char *ocsf_escape_into(char *d, const char *s, size_t n);

/* Append a string literal verbatim. */
#define OCSF_LIT(w, lit) ocsf_raw((w), (lit), sizeof(lit) - 1)

static inline void ocsf_ch(struct ocsf_w *w, char c)
{
    if (!ocsf_room(w, 1))
        return;
    w->b->p[w->b->len++] = c;
}

/* Current length, for rollback with ocsf_cut(). */
static inline size_t ocsf_pos(const struct ocsf_w *w) { return w->b->len; }
static inline void ocsf_cut(struct ocsf_w *w, size_t pos) { w->b->len = pos; }

/* Decimal integer. @hot */
void ocsf_i64(struct ocsf_w *w, int64_t v);
void ocsf_u64(struct ocsf_w *w, uint64_t v);

/* "s" with JSON escaping; s must be valid UTF-8. @hot */
void ocsf_str(struct ocsf_w *w, const char *s, size_t n);
/* The escaped body of s without the quotes. @hot */
void ocsf_str_body(struct ocsf_w *w, const char *s, size_t n);
/* "s": verbatim when clean (the shim's JSON_F_CLEAN), else escaped. @hot */
static inline void ocsf_str_fast(struct ocsf_w *w, const char *s, size_t n, bool clean)
{
    if (clean && ocsf_room(w, n + 2)) {
        char *d = w->b->p + w->b->len;
        d[0] = '"';
        memcpy(d + 1, s, n);
        d[n + 1] = '"';
        w->b->len += n + 2;
        return;
    }
    ocsf_str(w, s, n);
}

/* "s" with JSON escaping; invalid UTF-8 becomes U+FFFD. */
void ocsf_str_any(struct ocsf_w *w, const char *s, size_t n);

/* Copy s into dst (room for 3 * n bytes) with every invalid UTF-8 sequence
 * replaced by U+FFFD; returns the bytes written. */
size_t ocsf_utf8_repair(char *dst, const char *s, size_t n);

/* Write v as decimal digits at d (room for 20); returns the digit count. */
size_t ocsf_fmt_u64(char *d, uint64_t v);

#endif
