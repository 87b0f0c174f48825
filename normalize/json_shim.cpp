/* json_shim.cpp - simdjson On Demand behind a C API (json_shim.h has the contract).
 *
 * DESIGN
 * The only C++ in the product. Built with -fno-exceptions -fno-rtti and
 * SIMDJSON_EXCEPTIONS=0: every simdjson call returns an error_code, which is mapped
 * to our codes here; nothing throws. Allocation goes through mem_alloc() and
 * simdjson's own new(std::nothrow), so an allocation failure is an error code too.
 *
 * Instruction set: On Demand is compiled inline for ONE implementation chosen at
 * compile time (SIMDJSON_BUILTIN_IMPLEMENTATION). Without ISA flags that is the
 * scalar "fallback" kernel, several times slower, so normalize/CMakeLists.txt
 * builds this file with SLUICE_SHIM_ISA (haswell by default on x86-64) and
 * json_parser_create() refuses to run on a CPU that lacks it instead of dying on
 * SIGILL later.
 *
 * Body reading has two modes:
 *
 *   NORMAL   one On Demand pass over the whole body, in place: root object ->
 *            "records" array -> one element per json_body_next(). Each record's
 *            members (envelope and properties) are collected into p->f in one
 *            forward pass. Strings without a backslash are views into the body
 *            (stage 1 already validated their UTF-8 and rejected raw control
 *            characters); others are unescaped by simdjson, or by unescape() below
 *            when simdjson refuses a lone surrogate (-> U+FFFD).
 *            On Demand checks the grammar of what it reads; the few spans it
 *            skips unread are checked by gram_value() (see "strict grammar").
 *   SALVAGE  entered when the body is not well-formed (stage 1 error other than
 *            UTF-8, a root that does not close, or an error inside a record). A
 *            byte scanner (string- and nesting-aware) finds "records":[ and then
 *            each element's extent; every element is checked by gram_value(),
 *            copied to a padded scratch area and parsed as its own document. An
 *            element that is not JSON is reported alone when a separator follows
 *            it (iteration goes on), otherwise with the rest of the body; text
 *            after records[] that is not JSON is reported too.
 *
 * Scratch memory is an arena of chunks (never moved, so views stay valid) that
 * is rewound at each json_body_next(). Nested objects and arrays are re-encoded
 * compactly into a region reserved for the record; re-encoding never grows a
 * value (whitespace is dropped, an escape is replaced by at most as many bytes),
 * so the bytes from the record's start to the end of the body bound the region.
 * Nested traversal uses an explicit stack (no recursion), at most JSON_MAX_DEPTH.
 */
#include "json_shim.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <new>

#if defined(__AVX2__)
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <simdjson.h>

extern "C" { /* engine/base headers are plain C without extern "C" guards */
#include "batch.h"
#include "err.h"
#include "mem.h"
#include "text.h"

extern "C" {
/* only the escaper: ocsf_enc.h itself is C, not C++ */
char *ocsf_escape_into(char *d, const char *s, size_t n);
}
}

static_assert(JSON_PAD >= simdjson::SIMDJSON_PADDING, "JSON_PAD must cover simdjson's padding");

namespace od = simdjson::ondemand;
using simdjson::error_code;

#define JSON_MAX_DEPTH 64
#define ARENA_MIN_CHUNK (64u * 1024u)

/* ---- arena ---------------------------------------------------------------- */

struct chunk {
    struct chunk *next;
    size_t cap;
    size_t used;
};

static inline char *chunk_data(struct chunk *c) { return reinterpret_cast<char *>(c + 1); }

struct arena {
    struct chunk *head;
    struct chunk *cur;
};

static void arena_rewind(struct arena *a)
{
    for (struct chunk *c = a->head; c; c = c->next)
        c->used = 0;
    a->cur = a->head;
}

/* n contiguous bytes at the arena's tip (not yet committed), or NULL. */
static char *arena_tip(struct arena *a, size_t n)
{
    struct chunk *c = a->cur;
    if (c && c->cap - c->used >= n)
        return chunk_data(c) + c->used;
    /* the following chunk, if big enough, else a new one spliced in after cur */
    if (c && c->next && c->next->cap >= n) {
        a->cur = c->next;
        a->cur->used = 0;
        return chunk_data(a->cur);
    }
    size_t cap = n < ARENA_MIN_CHUNK ? ARENA_MIN_CHUNK : n;
    size_t bytes;
    if (!mem_add_ok(cap, sizeof(struct chunk), &bytes))
        return NULL;
    struct chunk *nc = static_cast<struct chunk *>(mem_alloc(bytes));
    if (!nc)
        return NULL;
    nc->cap = cap;
    nc->used = 0;
    if (!c) {
        nc->next = NULL;
        a->head = nc;
    } else {
        nc->next = c->next;
        c->next = nc;
    }
    a->cur = nc;
    return chunk_data(nc);
}

static inline void arena_commit(struct arena *a, size_t n) { a->cur->used += n; }

static void arena_fini(struct arena *a)
{
    struct chunk *c = a->head;
    while (c) {
        struct chunk *next = c->next;
        mem_free(c);
        c = next;
    }
    a->head = a->cur = NULL;
}

/* ---- parser --------------------------------------------------------------- */

enum mode { M_IDLE, M_NORMAL, M_SALVAGE, M_DONE };

struct json_parser {
    od::parser body;            /* the message body (and salvaged elements) */
    od::parser text;            /* json_parse_text() */
    od::document doc;
    od::document tdoc;
    od::array_iterator it;      /* NORMAL: records[] */
    od::array_iterator end;
    const char *buf;            /* the body */
    size_t len;
    const char *next_pos;       /* just past the previous element (or the '[') */
    uint32_t index;             /* index of the next element */
    int mode;
    bool started;               /* NORMAL: it has been dereferenced once */
    bool flagged;               /* SALVAGE: an element was reported as not JSON */
    struct json_field *f;       /* fields of the current record */
    uint32_t fcap;
    uint32_t nf;
    struct arena ar;            /* unescaped/compact text of the current record */
};

/* ---- small byte helpers --------------------------------------------------- */

static inline bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static inline const char *trim_end(const char *s, const char *e)
{
    while (e > s && is_ws(e[-1]))
        e--;
    return e;
}

/* First '"' or '\\' in [s, e), or e. SWAR, 8 bytes at a time. */
static inline const char *scan_qb(const char *s, const char *e)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    while (e - s >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
        uint64_t t = (((q - ones) & ~q) | ((b - ones) & ~b)) & highs;
        if (t)
            return s + (__builtin_ctzll(t) >> 3);
        s += 8;
    }
    while (s < e && *s != '"' && *s != '\\')
        s++;
    return s;
}

/* JSON string escaping of s[0..n) at d: ocsf_escape_into (ocsf_enc.c). Callers
 * size d by the escaped input span the text came from: never shorter. */
static inline char *escape_into(char *d, const char *s, size_t n)
{
    return ocsf_escape_into(d, s, n);
}

static bool hex4(const char *s, const char *e, uint32_t *v)
{
    if (e - s < 4)
        return false;
    uint32_t x = 0;
    for (int i = 0; i < 4; i++) {
        int h = hex_digit(s[i]);
        if (h < 0)
            return false;
        x = (x << 4) | static_cast<uint32_t>(h);
    }
    *v = x;
    return true;
}

static char *put_utf8(char *d, uint32_t cp)
{
    if (cp < 0x80) {
        *d++ = static_cast<char>(cp);
    } else if (cp < 0x800) {
        *d++ = static_cast<char>(0xc0 | (cp >> 6));
        *d++ = static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *d++ = static_cast<char>(0xe0 | (cp >> 12));
        *d++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        *d++ = static_cast<char>(0x80 | (cp & 0x3f));
    } else {
        *d++ = static_cast<char>(0xf0 | (cp >> 18));
        *d++ = static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
        *d++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        *d++ = static_cast<char>(0x80 | (cp & 0x3f));
    }
    return d;
}

/* Unescape the JSON string body starting at s (just after the opening quote; the
 * closing quote lies before e) into d. A lone surrogate becomes U+FFFD. Returns
 * the end of the output, or NULL on a malformed escape. *stop = the closing quote. */
static char *unescape(char *d, const char *s, const char *e, const char **stop)
{
    while (s < e) {
        char c = *s;
        if (c == '"') {
            *stop = s;
            return d;
        }
        if (c != '\\') {
            *d++ = c;
            s++;
            continue;
        }
        if (e - s < 2)
            return NULL;
        c = s[1];
        s += 2;
        switch (c) {
        case '"': *d++ = '"'; break;
        case '\\': *d++ = '\\'; break;
        case '/': *d++ = '/'; break;
        case 'b': *d++ = '\b'; break;
        case 'f': *d++ = '\f'; break;
        case 'n': *d++ = '\n'; break;
        case 'r': *d++ = '\r'; break;
        case 't': *d++ = '\t'; break;
        case 'u': {
            uint32_t cp;
            if (!hex4(s, e, &cp))
                return NULL;
            s += 4;
            if (cp >= 0xd800 && cp <= 0xdbff) {
                uint32_t lo;
                if (e - s >= 6 && s[0] == '\\' && s[1] == 'u' && hex4(s + 2, e, &lo) &&
                    lo >= 0xdc00 && lo <= 0xdfff) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    s += 6;
                } else {
                    cp = 0xfffd;
                }
            } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                cp = 0xfffd;
            }
            d = put_utf8(d, cp);
            break;
        }
        default:
            return NULL;
        }
    }
    return NULL;
}

static int map_err(error_code e)
{
    switch (e) {
    case simdjson::SUCCESS: return 0;
    case simdjson::MEMALLOC: return -ENOMEM;
    case simdjson::UTF8_ERROR: return -EILSEQ;
    case simdjson::CAPACITY: return ERR_TOO_BIG;
    default: return ERR_JSON;
    }
}


/* ---- strings and values --------------------------------------------------- */

/* Where copies go while one record (or one json_parse_text) is read: [p, e) is
 * free space, ie bounds scans of the current input. */
struct rgn {
    char *p;
    char *e;
    const char *ie;
};

/* The unescaped text of string value v: a view into the input when it has no
 * escape, else simdjson's unescaped copy, or ours when simdjson refuses a lone
 * surrogate. */
/* Step past string value v without unescaping it. A string that is only looked
 * at (raw_json_token) is left for the next ++ to skip, and simdjson's skip takes
 * a string followed by ':' for a key: {"a":"b":"c"} would then read as an object
 * (fuzzing finding F4). A consumed value is not skipped, so the separator after
 * it is checked. */
static inline int consume_string(od::value &v)
{
    od::raw_json_string rs;
    return v.get_raw_json_string().get(rs) ? ERR_JSON : 0;
}

static int read_string(od::value &v, struct rgn *rg, const char **out, size_t *outlen,
                       bool *clean)
{
    std::string_view tok = v.raw_json_token();
    const char *s = tok.data() + 1, *e = tok.data() + tok.size();
    const char *q = scan_qb(s, e);
    if (q < e && *q == '"') {
        *out = s;
        *outlen = static_cast<size_t>(q - s);
        *clean = true; /* stage 1 rejected raw control characters */
        return consume_string(v);
    }
    *clean = false;
    std::string_view sv;
    error_code err = v.get_string().get(sv);
    if (!err) {
        *out = sv.data();
        *outlen = sv.size();
        return 0;
    }
    if (err != simdjson::STRING_ERROR)
        return map_err(err);
    if (rg->e - rg->p < e - s)
        return ERR_TOO_BIG;
    const char *stop = NULL;
    char *d = unescape(rg->p, s, e, &stop);
    if (!d)
        return ERR_JSON;
    *out = rg->p;
    *outlen = static_cast<size_t>(d - rg->p);
    rg->p = d;
    return 0;
}

/* A JSON number token by the grammar of RFC 8259 §6:
 * -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?. simdjson refuses numbers that
 * are valid JSON but outside double range (1e400); those stay numbers (kept as
 * their text: schemas.md §4 "JSON numbers beyond int64 -> unmapped, as text"). */
static bool number_syntax(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && s[i] == '-')
        i++;
    if (i >= n)
        return false;
    if (s[i] == '0')
        i++;
    else if (s[i] >= '1' && s[i] <= '9')
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    else
        return false;
    if (i < n && s[i] == '.') {
        size_t d = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return false;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t d = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return false;
    }
    return i == n;
}

static int check_scalar(od::value &v, od::json_type t)
{
    switch (t) {
    case od::json_type::number: {
        double dv;
        if (!v.get_double().get(dv))
            return 0;
        std::string_view tok = v.raw_json_token();
        return number_syntax(tok.data(), static_cast<size_t>(trim_end(tok.data(), tok.data() +
                                                              tok.size()) - tok.data()))
                   ? 0
                   : ERR_JSON;
    }
    case od::json_type::boolean: {
        bool b;
        return v.get_bool().get(b) ? ERR_JSON : 0;
    }
    case od::json_type::null: {
        bool isnull = false;
        return (v.is_null().get(isnull) || !isnull) ? ERR_JSON : 0;
    }
    default:
        return 0;
    }
}

static inline bool room(const struct rgn *rg, size_t n)
{
    return static_cast<size_t>(rg->e - rg->p) >= n;
}

/* The closing quote of the string body starting at s, or NULL. */
static const char *str_end(const char *s, const char *ie)
{
    for (;;) {
        s = scan_qb(s, ie);
        if (s >= ie)
            return NULL;
        if (*s == '"')
            return s;
        s += 2; /* backslash and the escaped byte */
    }
}

/* Write [,]"key": for a nested member, the key re-escaped. An escaped key is
 * unescaped past the output's reach first (output <= input span + 4). */
static int write_key(od::field &fl, struct rgn *rg, bool comma)
{
    const char *s = fl.key().raw();
    const char *q = str_end(s, rg->ie);
    if (!q)
        return ERR_JSON;
    size_t span = static_cast<size_t>(q - s);
    if (!room(rg, 2 * span + 8))
        return ERR_TOO_BIG;
    const char *k = s;
    size_t kl = span;
    if (scan_qb(s, q) < q) {
        const char *stop = NULL;
        char *tmp = rg->p + span + 4;
        char *te = unescape(tmp, s, q + 1, &stop);
        if (!te)
            return ERR_JSON;
        k = tmp;
        kl = static_cast<size_t>(te - tmp);
    }
    if (comma)
        *rg->p++ = ',';
    *rg->p++ = '"';
    if (k == s) {
        memcpy(rg->p, k, kl); /* raw key bytes are already valid JSON string text */
        rg->p += kl;
    } else {
        rg->p = escape_into(rg->p, k, kl);
    }
    *rg->p++ = '"';
    *rg->p++ = ':';
    return 0;
}

/* A key: its raw bytes when it has no escape (*clean), else our unescaped copy. */
static int read_key(od::field &fl, struct rgn *rg, const char **out, size_t *outlen, bool *clean)
{
    const char *s = fl.key().raw();
    const char *q = scan_qb(s, rg->ie);
    if (q < rg->ie && *q == '"') {
        *out = s;
        *outlen = static_cast<size_t>(q - s);
        *clean = true;
        return 0;
    }
    *clean = false;
    q = str_end(s, rg->ie);
    if (!q)
        return ERR_JSON;
    if (!room(rg, static_cast<size_t>(q - s)))
        return ERR_TOO_BIG;
    const char *stop = NULL;
    char *d = unescape(rg->p, s, q + 1, &stop);
    if (!d)
        return ERR_JSON;
    *out = rg->p;
    *outlen = static_cast<size_t>(d - rg->p);
    rg->p = d;
    return 0;
}

struct cframe {
    od::object_iterator oi, oe;
    od::array_iterator ai, ae;
    bool obj;
    bool started;
    bool first;
};

/* Write scalar v (of type t) compactly, or open container v and push its frame. */
static int compact_one(od::value &v, od::json_type t, struct rgn *rg, struct cframe *st, int *depth)
{
    switch (t) {
    case od::json_type::object:
    case od::json_type::array: {
        if (*depth >= JSON_MAX_DEPTH || !room(rg, 1))
            return ERR_JSON;
        struct cframe *f = &st[(*depth)++];
        f->started = false;
        f->first = true;
        f->obj = t == od::json_type::object;
        if (f->obj) {
            od::object o;
            if (v.get_object().get(o) || o.begin().get(f->oi) || o.end().get(f->oe))
                return ERR_JSON;
            *rg->p++ = '{';
        } else {
            od::array a;
            if (v.get_array().get(a) || a.begin().get(f->ai) || a.end().get(f->ae))
                return ERR_JSON;
            *rg->p++ = '[';
        }
        return 0;
    }
    case od::json_type::string: {
        /* the escaped output is never longer than the escaped input span */
        std::string_view tok = v.raw_json_token();
        const char *s = tok.data() + 1, *e = tok.data() + tok.size();
        const char *q = scan_qb(s, e);
        if (q < e && *q == '"') {
            size_t n = static_cast<size_t>(q - s);
            if (!room(rg, n + 2))
                return ERR_TOO_BIG;
            *rg->p++ = '"';
            memcpy(rg->p, s, n);
            rg->p += n;
            *rg->p++ = '"';
            return consume_string(v);
        }
        size_t span = static_cast<size_t>(e - s);
        if (!room(rg, 2 * span + 2))
            return ERR_TOO_BIG;
        std::string_view sv;
        error_code err = v.get_string().get(sv);
        if (err == simdjson::STRING_ERROR) {
            /* lone surrogate: unescape past the output's reach, escape back */
            const char *stop = NULL;
            char *tmp = rg->p + span + 2;
            char *te = unescape(tmp, s, e, &stop);
            if (!te)
                return ERR_JSON;
            sv = std::string_view(tmp, static_cast<size_t>(te - tmp));
        } else if (err) {
            return map_err(err);
        }
        *rg->p++ = '"';
        rg->p = escape_into(rg->p, sv.data(), sv.size());
        *rg->p++ = '"';
        return 0;
    }
    case od::json_type::number:
    case od::json_type::boolean:
    case od::json_type::null: {
        std::string_view tok = v.raw_json_token();
        const char *e = trim_end(tok.data(), tok.data() + tok.size());
        size_t n = static_cast<size_t>(e - tok.data());
        int rc = check_scalar(v, t);
        if (rc)
            return rc;
        if (!room(rg, n))
            return ERR_TOO_BIG;
        memcpy(rg->p, tok.data(), n);
        rg->p += n;
        return 0;
    }
    }
    return ERR_JSON;
}

/* Re-encode value v compactly at rg->p, validating it on the way. No recursion:
 * an explicit stack of iterators, innermost last. */
static int compact(od::value &v0, struct rgn *rg)
{
    struct cframe st[JSON_MAX_DEPTH];
    int depth = 0;
    od::json_type t;
    if (v0.type().get(t))
        return ERR_JSON;
    int rc = compact_one(v0, t, rg, st, &depth);
    while (!rc && depth > 0) {
        struct cframe *f = &st[depth - 1];
        if (f->obj) {
            if (f->started)
                ++f->oi;
            f->started = true;
            if (!(f->oi != f->oe)) {
                if (!room(rg, 1))
                    return ERR_TOO_BIG;
                *rg->p++ = '}';
                depth--;
                continue;
            }
            od::field fl;
            if ((*f->oi).get(fl))
                return ERR_JSON;
            rc = write_key(fl, rg, !f->first);
            if (rc)
                return rc;
            f->first = false;
            od::value fv = fl.value();
            if (fv.type().get(t))
                return ERR_JSON;
            rc = compact_one(fv, t, rg, st, &depth);
        } else {
            if (f->started)
                ++f->ai;
            f->started = true;
            if (!(f->ai != f->ae)) {
                if (!room(rg, 1))
                    return ERR_TOO_BIG;
                *rg->p++ = ']';
                depth--;
                continue;
            }
            od::value ev;
            if ((*f->ai).get(ev))
                return ERR_JSON;
            if (!f->first) {
                if (!room(rg, 1))
                    return ERR_TOO_BIG;
                *rg->p++ = ',';
            }
            f->first = false;
            if (ev.type().get(t))
                return ERR_JSON;
            rc = compact_one(ev, t, rg, st, &depth);
        }
    }
    return rc;
}

/* ---- strict grammar ------------------------------------------------------ */

static const char *skip_ws(const char *s, const char *e)
{
    while (s < e && is_ws(*s))
        s++;
    return s;
}


/* On Demand checks what it is asked to read, and little of what it skips: a
 * value passed over by ++ or by a key lookup is skipped by counting brackets.
 * The shim reads every member of every record, so records are checked by On
 * Demand itself (with consume_string()); the few places it skips are checked
 * with gram_value() below: root members other than "records", a repeated
 * "properties", records[] elements that are arrays, what follows records[],
 * and, in SALVAGE mode, each element. UTF-8 is not checked here: stage 1 does
 * that. */

#define GRAMMAR_MAX_DEPTH 1024 /* deeper is refused here; compact() stops at JSON_MAX_DEPTH */

/* First '"', '\\' or control byte (< 0x20) at or after s; may read up to 31
 * bytes past e (JSON_PAD covers it). */
static inline const char *scan_str(const char *s, const char *e)
{
#if defined(__AVX2__)
    const __m256i q = _mm256_set1_epi8('"'), b = _mm256_set1_epi8('\\'),
                  c = _mm256_set1_epi8(0x1f);
    while (s < e) {
        __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(s));
        __m256i hit =
            _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(w, q), _mm256_cmpeq_epi8(w, b)),
                            _mm256_cmpeq_epi8(_mm256_max_epu8(w, c), c));
        unsigned m = static_cast<unsigned>(_mm256_movemask_epi8(hit));
        if (m)
            return s + __builtin_ctz(m);
        s += 32;
    }
    return e;
#elif defined(__SSE2__)
    const __m128i q = _mm_set1_epi8('"'), b = _mm_set1_epi8('\\'), c = _mm_set1_epi8(0x1f);
    while (s < e) {
        __m128i w = _mm_loadu_si128(reinterpret_cast<const __m128i *>(s));
        __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(w, q), _mm_cmpeq_epi8(w, b)),
                                   _mm_cmpeq_epi8(_mm_max_epu8(w, c), c));
        unsigned m = static_cast<unsigned>(_mm_movemask_epi8(hit));
        if (m)
            return s + __builtin_ctz(m);
        s += 16;
    }
    return e;
#else
    while (s < e && *s != '"' && *s != '\\' && static_cast<unsigned char>(*s) >= 0x20)
        s++;
    return s;
#endif
}

/* Just past the string whose body starts at s (after the opening quote), or
 * NULL: escapes must be one of RFC 8259 §7, control bytes must be escaped. */
static inline const char *gram_string(const char *s, const char *e)
{
    for (;;) {
        s = scan_str(s, e);
        if (s >= e)
            return NULL;
        if (*s == '"')
            return s + 1;
        if (*s != '\\')
            return NULL; /* a raw control byte */
        if (e - s < 2)
            return NULL;
        switch (s[1]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
            s += 2;
            break;
        case 'u':
            if (e - s < 6 || hex_digit(s[2]) < 0 || hex_digit(s[3]) < 0 || hex_digit(s[4]) < 0 ||
                hex_digit(s[5]) < 0)
                return NULL;
            s += 6;
            break;
        default:
            return NULL;
        }
    }
}

static inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Just past the number starting at s, or NULL (number_syntax()'s grammar). */
static const char *gram_number(const char *s, const char *e)
{
    if (s < e && *s == '-')
        s++;
    if (s >= e)
        return NULL;
    if (*s == '0') {
        s++;
    } else if (*s >= '1' && *s <= '9') {
        while (s < e && is_digit(*s))
            s++;
    } else {
        return NULL;
    }
    if (s < e && *s == '.') {
        const char *d = ++s;
        while (s < e && is_digit(*s))
            s++;
        if (s == d)
            return NULL;
    }
    if (s < e && (*s == 'e' || *s == 'E')) {
        s++;
        if (s < e && (*s == '+' || *s == '-'))
            s++;
        const char *d = s;
        while (s < e && is_digit(*s))
            s++;
        if (s == d)
            return NULL;
    }
    return s;
}

static inline const char *gram_lit(const char *s, const char *e, const char *lit, size_t n)
{
    return static_cast<size_t>(e - s) >= n && memcmp(s, lit, n) == 0 ? s + n : NULL;
}

/* Just past the one JSON value starting at s (no leading whitespace), or NULL
 * when [s, e) does not start with a valid value. Iterative: a byte per level. */
static const char *gram_value(const char *s, const char *e)
{
    char stack[GRAMMAR_MAX_DEPTH]; /* the closer each open container expects */
    size_t depth = 0;
value:
    if (s >= e)
        return NULL;
    switch (*s) {
    case '{':
        if (depth == GRAMMAR_MAX_DEPTH)
            return NULL;
        stack[depth++] = '}';
        s = skip_ws(s + 1, e);
        if (s < e && *s == '}') {
            depth--;
            s++;
            goto after;
        }
        goto key;
    case '[':
        if (depth == GRAMMAR_MAX_DEPTH)
            return NULL;
        stack[depth++] = ']';
        s = skip_ws(s + 1, e);
        if (s < e && *s == ']') {
            depth--;
            s++;
            goto after;
        }
        goto value;
    case '"':
        s = gram_string(s + 1, e);
        break;
    case 't':
        s = gram_lit(s, e, "true", 4);
        break;
    case 'f':
        s = gram_lit(s, e, "false", 5);
        break;
    case 'n':
        s = gram_lit(s, e, "null", 4);
        break;
    default:
        s = gram_number(s, e);
        break;
    }
    if (!s)
        return NULL;
after:
    if (depth == 0)
        return s;
    s = skip_ws(s, e);
    if (s >= e)
        return NULL;
    if (*s == stack[depth - 1]) {
        depth--;
        s++;
        goto after;
    }
    if (*s != ',')
        return NULL;
    s = skip_ws(s + 1, e);
    if (stack[depth - 1] == ']')
        goto value;
key:
    if (s >= e || *s != '"' || !(s = gram_string(s + 1, e)))
        return NULL;
    s = skip_ws(s, e);
    if (s >= e || *s != ':')
        return NULL;
    s = skip_ws(s + 1, e);
    goto value;
}

/* [s, e) is exactly one JSON value with optional whitespace around it. */
static bool gram_ok(const char *s, const char *e)
{
    s = gram_value(skip_ws(s, e), e);
    return s && skip_ws(s, e) == e;
}

/* The value of an object member at s is JSON and is followed by ',' or '}'. */
static bool gram_member(const char *s, const char *e)
{
    s = gram_value(s, e);
    if (!s)
        return false;
    s = skip_ws(s, e);
    return s < e && (*s == ',' || *s == '}');
}

/* What follows "records":[...] in a body: more members, then '}' and the end. */
static bool envelope_tail_ok(const char *s, const char *e)
{
    for (s = skip_ws(s, e); s < e && *s == ','; s = skip_ws(s, e)) {
        s = skip_ws(s + 1, e);
        if (s >= e || *s != '"' || !(s = gram_string(s + 1, e)))
            return false;
        s = skip_ws(s, e);
        if (s >= e || *s != ':')
            return false;
        if (!(s = gram_value(skip_ws(s + 1, e), e)))
            return false;
    }
    return s < e && *s == '}' && skip_ws(s + 1, e) == e;
}

/* ---- records -------------------------------------------------------------- */

static int grow_fields(struct json_parser *p)
{
    uint32_t cap = p->fcap ? p->fcap * 2 : 128;
    size_t bytes;
    if (!mem_mul_ok(cap, sizeof(struct json_field), &bytes))
        return -ENOMEM;
    void *nf = mem_realloc(p->f, bytes);
    if (!nf)
        return -ENOMEM;
    p->f = static_cast<struct json_field *>(nf);
    p->fcap = cap;
    return 0;
}

static int add_field(struct json_parser *p, struct rgn *rg, const char *k, size_t kl,
                     od::value &v, unsigned flags)
{
    if (p->nf == p->fcap) {
        int rc = grow_fields(p);
        if (rc)
            return rc;
    }
    struct json_field *f = &p->f[p->nf];
    od::json_type t;
    if (v.type().get(t))
        return ERR_JSON;
    f->key = k;
    f->key_len = static_cast<uint32_t>(kl);
    f->flags = static_cast<uint8_t>(flags);
    f->i = 0;
    size_t vl = 0;
    int rc = 0;
    switch (t) {
    case od::json_type::string: {
        bool clean;
        f->type = JSON_STRING;
        rc = read_string(v, rg, &f->val, &vl, &clean);
        if (clean)
            f->flags |= JSON_F_CLEAN;
        break;
    }
    case od::json_type::number: {
        std::string_view tok = v.raw_json_token();
        f->type = JSON_NUMBER;
        f->val = tok.data();
        vl = static_cast<size_t>(trim_end(tok.data(), tok.data() + tok.size()) - tok.data());
        int64_t i;
        if (!v.get_int64().get(i)) {
            f->i = i;
            f->flags |= JSON_F_INT;
        } else {
            double dv;
            if (v.get_double().get(dv) && !number_syntax(f->val, vl))
                rc = ERR_JSON;
        }
        break;
    }
    case od::json_type::boolean: {
        bool b;
        f->type = JSON_BOOL;
        if (v.get_bool().get(b)) {
            rc = ERR_JSON;
            break;
        }
        f->i = b;
        f->val = b ? "true" : "false";
        vl = b ? 4 : 5;
        break;
    }
    case od::json_type::null: {
        bool isnull = false;
        f->type = JSON_NULL;
        if (v.is_null().get(isnull) || !isnull)
            rc = ERR_JSON;
        f->val = "null";
        vl = 4;
        break;
    }
    case od::json_type::object:
    case od::json_type::array: {
        char *s = rg->p;
        f->type = t == od::json_type::object ? JSON_OBJECT : JSON_ARRAY;
        rc = compact(v, rg);
        f->val = s;
        vl = static_cast<size_t>(rg->p - s);
        break;
    }
    }
    if (rc)
        return rc;
    f->val_len = static_cast<uint32_t>(vl);
    p->nf++;
    return 0;
}

static inline bool key_is(const char *k, size_t kl, const char *lit, size_t n)
{
    return kl == n && memcmp(k, lit, n) == 0;
}

/* Collect the members of record object o (envelope, then into "properties"). */
static int read_record(struct json_parser *p, od::object &o, struct rgn *rg)
{
    bool props = false;
    p->nf = 0;
    for (auto r : o) {
        od::field fl;
        if (std::move(r).get(fl))
            return ERR_JSON;
        const char *k;
        size_t kl;
        bool kc;
        int rc = read_key(fl, rg, &k, &kl, &kc);
        if (rc)
            return rc;
        if (key_is(k, kl, "properties", 10)) {
            if (props) { /* a repeated "properties": the first one wins */
                if (!gram_member(fl.value().raw_json_token().data(), rg->ie))
                    return ERR_JSON; /* skipped by On Demand: check it here */
                continue;
            }
            props = true;
            od::json_type t;
            if (fl.value().type().get(t))
                return ERR_JSON;
            if (t == od::json_type::object) {
                od::object po;
                if (fl.value().get_object().get(po))
                    return ERR_JSON;
                for (auto r2 : po) {
                    od::field pf;
                    if (std::move(r2).get(pf))
                        return ERR_JSON;
                    rc = read_key(pf, rg, &k, &kl, &kc);
                    if (!rc)
                        rc = add_field(p, rg, k, kl, pf.value(),
                                       JSON_F_PROP | (kc ? JSON_F_KCLEAN : 0));
                    if (rc)
                        return rc;
                }
                continue;
            }
        }
        rc = add_field(p, rg, k, kl, fl.value(), kc ? JSON_F_KCLEAN : 0);
        if (rc)
            return rc;
    }
    return 0;
}

/* Read one element v of records[] starting at `start`; *end = just past it. */
static int read_element(struct json_parser *p, od::value &v, const char *start, struct rgn *rg,
                        struct json_record *r, const char **end)
{
    od::json_type t;
    if (v.type().get(t))
        return ERR_JSON;
    p->nf = 0;
    r->type = JSON_NULL;
    switch (t) {
    case od::json_type::object: {
        od::object o;
        if (v.get_object().get(o))
            return ERR_JSON;
        int rc = read_record(p, o, rg);
        if (rc)
            return rc;
        /* the iterator now stands on the token after '}' (or at the end) */
        const char *loc;
        if (p->mode == M_NORMAL) {
            if (p->doc.current_location().get(loc))
                loc = p->buf + p->len;
        } else {
            loc = rg->ie;
        }
        *end = trim_end(start, loc);
        r->type = JSON_OBJECT;
        return 0;
    }
    case od::json_type::array: {
        od::array a;
        std::string_view raw;
        if (v.get_array().get(a) || a.raw_json().get(raw))
            return ERR_JSON;
        *end = trim_end(start, raw.data() + raw.size());
        r->type = JSON_ARRAY;
        return gram_ok(start, *end) ? 0 : ERR_JSON; /* raw_json() skips, unchecked */
    }
    default: {
        std::string_view tok = v.raw_json_token();
        int rc = 0;
        if (t == od::json_type::string) {
            const char *s;
            size_t n;
            bool clean;
            rc = read_string(v, rg, &s, &n, &clean);
            r->type = JSON_STRING;
        } else {
            rc = check_scalar(v, t);
            r->type = t == od::json_type::number ? JSON_NUMBER
                      : t == od::json_type::boolean ? JSON_BOOL : JSON_NULL;
        }
        *end = trim_end(start, tok.data() + tok.size());
        return rc;
    }
    }
}

/* ---- salvage: a byte scanner for bodies that are not well-formed ---------- */

/* Just past the JSON value starting at s (strings and nesting honoured; brackets
 * are not matched by kind), or NULL when it does not end before e. */
static const char *skip_value(const char *s, const char *e)
{
    if (s >= e)
        return NULL;
    if (*s == '"') {
        const char *q = str_end(s + 1, e);
        return q ? q + 1 : NULL;
    }
    if (*s == '{' || *s == '[') {
        size_t depth = 0;
        while (s < e) {
            char c = *s;
            if (c == '"') {
                const char *q = str_end(s + 1, e);
                if (!q)
                    return NULL;
                s = q + 1;
                continue;
            }
            if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                if (--depth == 0)
                    return s + 1;
            }
            s++;
        }
        return NULL;
    }
    const char *b = s;
    while (s < e && !is_ws(*s) && *s != ',' && *s != '}' && *s != ']')
        s++;
    return s > b ? s : NULL;
}

/* Find "records":[ in a body that failed to parse. 0 or ERR_JSON. */
static int salvage_begin(struct json_parser *p)
{
    const char *s = p->buf, *e = p->buf + p->len;
    s = skip_ws(s, e);
    if (s >= e || *s != '{')
        return ERR_JSON;
    s++;
    for (;;) {
        s = skip_ws(s, e);
        if (s >= e || *s != '"')
            return ERR_JSON;
        const char *q = str_end(s + 1, e);
        if (!q)
            return ERR_JSON;
        bool records = key_is(s + 1, static_cast<size_t>(q - s - 1), "records", 7);
        s = skip_ws(q + 1, e);
        if (s >= e || *s != ':')
            return ERR_JSON;
        s = skip_ws(s + 1, e);
        if (records) {
            if (s >= e || *s != '[')
                return ERR_JSON;
            p->next_pos = s + 1;
            p->started = false;
            p->flagged = false;
            p->mode = M_SALVAGE;
            return 0;
        }
        s = gram_value(s, e);
        if (!s)
            return ERR_JSON;
        s = skip_ws(s, e);
        if (s >= e || *s != ',')
            return ERR_JSON;
        s++;
    }
}

static int salvage_next(struct json_parser *p, struct json_record *r)
{
    const char *e = p->buf + p->len;
    const char *s = skip_ws(p->next_pos, e);
    r->fields = p->f;
    r->nfields = 0;
    r->index = p->index;
    r->rest = false;
    r->type = JSON_NULL;
    if (s >= e && !p->started) {
        /* "{"records":[" and nothing after it: the body ends before any element.
         * Report the whole body, so the message becomes a dead letter instead of
         * vanishing (found by the fuzz targets, F2). */
        r->raw = p->buf;
        r->raw_len = p->len;
        r->rest = true;
        p->mode = M_DONE;
        return ERR_JSON;
    }
    if (s < e && *s == ']' && envelope_tail_ok(s + 1, e)) {
        p->mode = M_DONE;
        return 0;
    }
    if (s >= e && p->flagged) {
        p->mode = M_DONE; /* the element that ate the end is already reported */
        return 0;
    }
    if (s >= e || *s == ']')
        goto rest; /* cut after an element, or bad text after records[]: say so */
    if (p->started) {
        if (*s != ',')
            goto rest;
        s = skip_ws(s + 1, e);
        if (s >= e)
            goto rest;
    }
    p->started = true;
    {
        const char *ve = skip_value(s, e);
        if (!ve)
            goto rest;
        bool json = gram_ok(s, ve);
        if (!json) {
            /* Broken quoting shifts every later string boundary, so the extent
             * found above is a guess: unless a separator follows it, report the
             * element together with the rest, as one dead letter (finding F3). */
            const char *q = skip_ws(ve, e);
            if (q >= e || (*q != ',' && *q != ']'))
                goto rest;
        }
        size_t n = static_cast<size_t>(ve - s);
        /* copy (padded) + region for unescaped/compact text */
        size_t need = n + JSON_PAD + 2 * n + 64;
        char *tip = arena_tip(&p->ar, need);
        if (!tip)
            return -ENOMEM;
        memcpy(tip, s, n);
        memset(tip + n, 0, JSON_PAD);
        struct rgn rg = {tip + n + JSON_PAD, tip + need, tip + n};
        r->raw = s;
        r->raw_len = n;
        p->next_pos = ve;
        p->index++;
        int rc = ERR_JSON;
        if (json)
            rc = map_err(p->body.iterate(tip, n, n + JSON_PAD).get(p->doc));
        if (rc == -ENOMEM)
            return rc;
        od::value v;
        if (!rc) {
            od::json_type t;
            if (p->doc.type().get(t)) {
                rc = ERR_JSON;
            } else if (t == od::json_type::object || t == od::json_type::array) {
                if (p->doc.get_value().get(v))
                    rc = ERR_JSON;
                else {
                    const char *end;
                    rc = read_element(p, v, tip, &rg, r, &end);
                }
            } else {
                /* a scalar element: valid JSON, not a record */
                r->type = t == od::json_type::string ? JSON_STRING
                          : t == od::json_type::number ? JSON_NUMBER
                          : t == od::json_type::boolean ? JSON_BOOL : JSON_NULL;
            }
        }
        if (rc == -ENOMEM)
            return rc;
        arena_commit(&p->ar, static_cast<size_t>(rg.p - tip));
        if (rc) {
            r->nfields = 0;
            p->flagged = true;
            return ERR_JSON;
        }
        r->fields = p->f;
        r->nfields = r->type == JSON_OBJECT ? p->nf : 0;
        return 1;
    }
rest:
    r->raw = s;
    r->raw_len = static_cast<size_t>(e - s);
    r->rest = true;
    p->mode = M_DONE;
    return ERR_JSON;
}

/* ---- API ------------------------------------------------------------------ */

/* Not a records envelope: JSON (ERR_NOT_RECORDS) or not (ERR_JSON). */
static int not_records(struct json_parser *p)
{
    p->mode = M_DONE;
    return gram_ok(p->buf, p->buf + p->len) ? ERR_NOT_RECORDS : ERR_JSON;
}

static int salvage_or_fail(struct json_parser *p)
{
    int rc = salvage_begin(p);
    if (rc)
        p->mode = M_DONE;
    return rc;
}

extern "C" int json_body_begin(struct json_parser *p, const char *buf, size_t len)
{
    p->buf = buf;
    p->len = len;
    p->index = 0;
    p->nf = 0;
    p->started = false;
    p->flagged = false;
    p->mode = M_DONE;
    arena_rewind(&p->ar);
    error_code err = p->body.iterate(buf, len, len + JSON_PAD).get(p->doc);
    if (err) {
        if (err == simdjson::UTF8_ERROR)
            return -EILSEQ;
        if (err == simdjson::MEMALLOC)
            return -ENOMEM;
        if (err == simdjson::EMPTY)
            return ERR_JSON;
        return salvage_or_fail(p);
    }
    od::json_type t;
    if (p->doc.type().get(t))
        return salvage_or_fail(p);
    if (t != od::json_type::object)
        return not_records(p);
    od::object root;
    if (p->doc.get_object().get(root))
        return salvage_or_fail(p);
    struct rgn rg = {NULL, NULL, buf + len};
    for (auto r : root) {
        od::field fl;
        if (std::move(r).get(fl))
            return salvage_or_fail(p);
        const char *k;
        size_t kl;
        const char *s = fl.key().raw();
        const char *q = gram_string(s, rg.ie);
        if (!q)
            return salvage_or_fail(p);
        k = s;
        kl = static_cast<size_t>(q - 1 - s);
        if (!key_is(k, kl, "records", 7)) {
            /* skipped by On Demand: check it here */
            if (!gram_member(fl.value().raw_json_token().data(), rg.ie))
                return salvage_or_fail(p);
            continue;
        }
        od::json_type vt;
        if (fl.value().type().get(vt))
            return salvage_or_fail(p);
        if (vt != od::json_type::array)
            return not_records(p);
        std::string_view tok = fl.value().raw_json_token();
        od::array a;
        if (fl.value().get_array().get(a) || a.begin().get(p->it) || a.end().get(p->end))
            return salvage_or_fail(p);
        p->next_pos = tok.data() + 1;
        p->mode = M_NORMAL;
        return 0;
    }
    return not_records(p);
}

extern "C" int json_body_next(struct json_parser *p, struct json_record *r)
{
    if (p->mode == M_SALVAGE) {
        arena_rewind(&p->ar);
        return salvage_next(p, r);
    }
    if (p->mode != M_NORMAL)
        return 0;
    arena_rewind(&p->ar);
    if (p->started) {
        /* On Demand does not check what lies between elements when it skips
         * ahead: after the previous element only ',' or ']' may follow. Anything
         * else means the body is not JSON from there on; re-read it element by
         * element so the rest becomes a dead letter instead of vanishing
         * (fuzzing finding F4). */
        const char *e = p->buf + p->len;
        const char *q = skip_ws(p->next_pos, e);
        if (q >= e || (*q != ',' && *q != ']')) {
            p->mode = M_SALVAGE;
            return salvage_next(p, r);
        }
        ++p->it;
    }
    p->started = true;
    if (!(p->it != p->end)) {
        /* On Demand never looks past records[]: what follows must be JSON too */
        const char *e = p->buf + p->len;
        const char *q = skip_ws(p->next_pos, e);
        p->mode = M_DONE;
        if (q < e && *q == ']' && envelope_tail_ok(q + 1, e))
            return 0;
        r->fields = p->f;
        r->nfields = 0;
        r->index = p->index;
        r->type = JSON_NULL;
        r->raw = q;
        r->raw_len = static_cast<size_t>(e - q);
        r->rest = true;
        return ERR_JSON;
    }
    od::value v;
    int rc = ERR_JSON;
    if (!(*p->it).get(v)) {
        const char *start = v.raw_json_token().data();
        size_t avail = static_cast<size_t>(p->buf + p->len - start);
        size_t need = 2 * avail + 64;
        char *tip = arena_tip(&p->ar, need);
        if (!tip)
            return -ENOMEM;
        struct rgn rg = {tip, tip + need, p->buf + p->len};
        const char *end = start;
        rc = read_element(p, v, start, &rg, r, &end);
        if (!rc) {
            arena_commit(&p->ar, static_cast<size_t>(rg.p - tip));
            r->fields = p->f;
            r->nfields = r->type == JSON_OBJECT ? p->nf : 0;
            r->index = p->index++;
            r->raw = start;
            r->raw_len = static_cast<size_t>(end - start);
            r->rest = false;
            p->next_pos = end;
            return 1;
        }
        if (rc == -ENOMEM)
            return rc;
    }
    /* Something in this element (or between it and the previous one) is broken:
     * re-read from just past the previous element, one element at a time. */
    p->mode = M_SALVAGE;
    p->started = p->index > 0;
    arena_rewind(&p->ar);
    return salvage_next(p, r);
}

extern "C" int json_parse_text(struct json_parser *p, const char *s, size_t len,
                               struct json_field *out)
{
    size_t need = len + JSON_PAD + 2 * len + 64;
    char *tip = arena_tip(&p->ar, need);
    if (!tip)
        return -ENOMEM;
    memcpy(tip, s, len);
    memset(tip + len, 0, JSON_PAD);
    struct rgn rg = {tip + len + JSON_PAD, tip + need, tip + len};
    out->key = "";
    out->key_len = 0;
    out->flags = 0;
    out->i = 0;
    int rc = map_err(p->text.iterate(tip, len, len + JSON_PAD).get(p->tdoc));
    if (rc)
        return rc == -EILSEQ ? ERR_JSON : rc;
    od::json_type t;
    if (p->tdoc.type().get(t))
        return ERR_JSON;
    size_t vl = 0;
    switch (t) {
    case od::json_type::object:
    case od::json_type::array: {
        od::value v;
        if (p->tdoc.get_value().get(v))
            return ERR_JSON;
        char *o = rg.p;
        rc = compact(v, &rg);
        out->type = t == od::json_type::object ? JSON_OBJECT : JSON_ARRAY;
        out->val = o;
        vl = static_cast<size_t>(rg.p - o);
        break;
    }
    case od::json_type::string: {
        std::string_view sv;
        error_code err = p->tdoc.get_string().get(sv);
        if (err == simdjson::STRING_ERROR) {
            const char *stop = NULL;
            std::string_view tok;
            if (p->tdoc.raw_json_token().get(tok))
                return ERR_JSON;
            char *d = unescape(rg.p, tok.data() + 1, tok.data() + tok.size(), &stop);
            if (!d)
                return ERR_JSON;
            sv = std::string_view(rg.p, static_cast<size_t>(d - rg.p));
        } else if (err) {
            return ERR_JSON;
        } else {
            memcpy(rg.p, sv.data(), sv.size()); /* outlive the next parse */
            sv = std::string_view(rg.p, sv.size());
        }
        rg.p += sv.size();
        out->type = JSON_STRING;
        out->val = sv.data();
        vl = sv.size();
        break;
    }
    case od::json_type::number: {
        std::string_view tok;
        if (p->tdoc.raw_json_token().get(tok))
            return ERR_JSON;
        const char *e = trim_end(tok.data(), tok.data() + tok.size());
        int64_t i;
        double dv;
        out->type = JSON_NUMBER;
        if (!p->tdoc.get_int64().get(i)) {
            out->i = i;
            out->flags = JSON_F_INT;
        } else if (p->tdoc.get_double().get(dv)) {
            return ERR_JSON;
        }
        out->val = tok.data();
        vl = static_cast<size_t>(e - tok.data());
        break;
    }
    case od::json_type::boolean: {
        bool b;
        if (p->tdoc.get_bool().get(b))
            return ERR_JSON;
        out->type = JSON_BOOL;
        out->i = b;
        out->val = b ? "true" : "false";
        vl = b ? 4 : 5;
        break;
    }
    case od::json_type::null: {
        bool isnull = false;
        if (p->tdoc.is_null().get(isnull) || !isnull)
            return ERR_JSON;
        out->type = JSON_NULL;
        out->val = "null";
        vl = 4;
        break;
    }
    }
    if (rc)
        return rc == -ENOMEM ? rc : ERR_JSON;
    /* exactly one value: nothing may follow it */
    const char *loc;
    if (!p->tdoc.current_location().get(loc) && skip_ws(loc, tip + len) < tip + len)
        return ERR_JSON;
    out->val_len = static_cast<uint32_t>(vl);
    arena_commit(&p->ar, static_cast<size_t>(rg.p - tip));
    return 0;
}

/* ---- the reference walk --------------------------------------------------- */

struct wframe {
    od::object_iterator oi, oe;
    od::array_iterator ai, ae;
    bool obj;
    bool started;
};

static int walk_one(od::value &v, struct wframe *st, int *depth, uint64_t *n)
{
    od::json_type t;
    if (v.type().get(t))
        return ERR_JSON;
    (*n)++;
    switch (t) {
    case od::json_type::object: {
        if (*depth >= JSON_MAX_DEPTH)
            return ERR_JSON;
        struct wframe *f = &st[(*depth)++];
        od::object o;
        f->obj = true;
        f->started = false;
        return (v.get_object().get(o) || o.begin().get(f->oi) || o.end().get(f->oe)) ? ERR_JSON
                                                                                    : 0;
    }
    case od::json_type::array: {
        if (*depth >= JSON_MAX_DEPTH)
            return ERR_JSON;
        struct wframe *f = &st[(*depth)++];
        od::array a;
        f->obj = false;
        f->started = false;
        return (v.get_array().get(a) || a.begin().get(f->ai) || a.end().get(f->ae)) ? ERR_JSON
                                                                                   : 0;
    }
    case od::json_type::string: {
        std::string_view sv;
        error_code err = v.get_string().get(sv);
        return err && err != simdjson::STRING_ERROR ? ERR_JSON : 0;
    }
    case od::json_type::number: {
        int64_t i;
        double dv;
        if (!v.get_int64().get(i))
            return 0;
        return v.get_double().get(dv) ? ERR_JSON : 0;
    }
    default:
        return check_scalar(v, t);
    }
}

extern "C" int json_shim_walk(struct json_parser *p, const char *buf, size_t len, uint64_t *values)
{
    *values = 0;
    p->mode = M_DONE;
    int rc = map_err(p->body.iterate(buf, len, len + JSON_PAD).get(p->doc));
    if (rc)
        return rc;
    od::json_type t;
    if (p->doc.type().get(t))
        return ERR_JSON;
    if (t != od::json_type::object && t != od::json_type::array) {
        /* a scalar document: one value, nothing after it */
        std::string_view sv;
        double dv;
        bool b;
        error_code err;
        switch (t) {
        case od::json_type::string: err = p->doc.get_string().get(sv); break;
        case od::json_type::number: err = p->doc.get_double().get(dv); break;
        case od::json_type::boolean: err = p->doc.get_bool().get(b); break;
        default: err = p->doc.is_null().get(b); if (!err && !b) err = simdjson::N_ATOM_ERROR;
        }
        const char *loc;
        if (err || (!p->doc.current_location().get(loc) && skip_ws(loc, buf + len) < buf + len))
            return ERR_JSON;
        *values = 1;
        return 0;
    }
    struct wframe st[JSON_MAX_DEPTH];
    int depth = 0;
    od::value v;
    if (p->doc.get_value().get(v))
        return ERR_JSON;
    rc = walk_one(v, st, &depth, values);
    while (!rc && depth > 0) {
        struct wframe *f = &st[depth - 1];
        if (f->obj) {
            if (f->started)
                ++f->oi;
            f->started = true;
            if (!(f->oi != f->oe)) {
                depth--;
                continue;
            }
            od::field fl;
            std::string_view k;
            if ((*f->oi).get(fl) || fl.unescaped_key().get(k))
                return ERR_JSON;
            rc = walk_one(fl.value(), st, &depth, values);
        } else {
            if (f->started)
                ++f->ai;
            f->started = true;
            if (!(f->ai != f->ae)) {
                depth--;
                continue;
            }
            od::value ev;
            if ((*f->ai).get(ev))
                return ERR_JSON;
            rc = walk_one(ev, st, &depth, values);
        }
    }
    return rc;
}

/* ---- lifetime ------------------------------------------------------------- */

/* The CPU runs what this file was compiled for (checked before any of it runs). */
static bool cpu_ok(void)
{
#if defined(__x86_64__) && defined(__AVX2__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") &&
           __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("popcnt");
#elif defined(__x86_64__) && defined(__SSE4_2__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("pclmul");
#else
    return true;
#endif
}

extern "C" struct json_parser *json_parser_create(void)
{
    if (!cpu_ok())
        return NULL;
    void *mem = mem_alloc(sizeof(struct json_parser));
    if (!mem)
        return NULL;
    struct json_parser *p = new (mem) json_parser();
    p->mode = M_DONE;
    return p;
}

extern "C" void json_parser_destroy(struct json_parser *p)
{
    if (!p)
        return;
    arena_fini(&p->ar);
    mem_free(p->f);
    p->~json_parser();
    mem_free(p);
}
