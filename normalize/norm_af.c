/* norm_af.c - AdditionalFields keys as mapping sources (schemas.md §3, §4).
 *
 * DESIGN
 * A class that reads AF keys (struct norm_class.af) has the record's
 * AdditionalFields split once, before its program runs: the value is decoded as
 * §4 says (an object as it is; a JSON string parsed, twice at most) into the
 * shim's compact JSON text, and a forward scan of that text cuts it into its
 * top-level members. Each member becomes a struct json_field in rec.af[]: a
 * string keeps its escaped body (the compact text is valid JSON, so it is
 * written verbatim and counts as clean), numbers carry their int64 when
 * integral, objects and arrays their text. Keys named in NORM_AF_KEYS get a
 * column id (first occurrence wins), so programs read them like properties and
 * consumption and rollback work unchanged.
 * norm_af_rest() writes the members not consumed so far as one object (AlertEvidence
 * evidences[0].data) and consumes AdditionalFields as a whole.
 * When a program consumed at least one AF key, unmapped.AdditionalFields is
 * rebuilt from the members that were not consumed (raw slices of the compact
 * text, in order); otherwise norm.c writes AdditionalFields as before.
 * No allocation: the members point into parser-owned memory (json_shim.h
 * lifetimes: valid until the next record).
 */
#include "norm_int.h"

#include <errno.h>

static const char *skip_str(const char *s, const char *e)
{
    /* s at the opening quote; returns past the closing quote, or NULL */
    for (s++; s < e; s++) {
        if (*s == '\\')
            s++;
        else if (*s == '"')
            return s + 1;
    }
    return NULL;
}

const char *norm_json_skip(const char *s, const char *e)
{
    if (s >= e)
        return NULL;
    if (*s == '"')
        return skip_str(s, e);
    if (*s == '{' || *s == '[') {
        int depth = 0;
        while (s < e) {
            char c = *s;
            if (c == '"') {
                s = skip_str(s, e);
                if (!s)
                    return NULL;
                continue;
            }
            if (c == '{' || c == '[')
                depth++;
            else if (c == '}' || c == ']') {
                if (--depth == 0)
                    return s + 1;
            }
            s++;
        }
        return NULL;
    }
    while (s < e && *s != ',' && *s != '}' && *s != ']')
        s++;
    return s;
}

/* Describe the compact JSON value v[0..n) as a field. */
static void describe(struct json_field *f, const char *v, size_t n)
{
    f->val = v;
    f->val_len = (uint32_t)n;
    f->i = 0;
    f->flags = 0;
    switch (v[0]) {
    case '"':
        f->type = JSON_STRING;
        f->val = v + 1;
        f->val_len = (uint32_t)(n - 2);
        f->flags = JSON_F_CLEAN;
        break;
    case '{':
        f->type = JSON_OBJECT;
        break;
    case '[':
        f->type = JSON_ARRAY;
        break;
    case 't':
    case 'f':
        f->type = JSON_BOOL;
        f->i = v[0] == 't';
        break;
    case 'n':
        f->type = JSON_NULL;
        break;
    default: {
        f->type = JSON_NUMBER;
        const char *s = v, *e = v + n;
        bool neg = *s == '-';
        s += neg;
        if (e - s < 1 || e - s > 18)
            break;
        int64_t x = 0;
        for (; s < e; s++) {
            if (*s < '0' || *s > '9')
                return;
            x = x * 10 + (*s - '0');
        }
        f->i = neg ? -x : x;
        f->flags = JSON_F_INT;
        break;
    }
    }
}

int norm_af_split(struct norm *n)
{
    struct norm_rec *r = &n->rec;
    r->naf = 0;
    r->af_split = false;
    uint32_t i = r->col[NCOL_ADDITIONAL_FIELDS];
    if (!i)
        return 0;
    const struct json_field *f = &r->f[i - 1];
    const char *t = f->val;
    size_t tl = f->val_len;
    if (f->type == JSON_STRING) {
        struct json_field d;
        int rc = json_parse_text(n->jp, f->val, f->val_len, &d);
        if (rc)
            return rc == -ENOMEM ? rc : 0;
        if (d.type == JSON_STRING) {
            struct json_field d2;
            rc = json_parse_text(n->jp, d.val, d.val_len, &d2);
            if (rc)
                return rc == -ENOMEM ? rc : 0;
            d = d2;
        }
        if (d.type != JSON_OBJECT)
            return 0;
        t = d.val;
        tl = d.val_len;
    } else if (f->type != JSON_OBJECT) {
        return 0;
    }
    const char *s = t, *e = t + tl;
    if (tl < 2 || *s != '{')
        return 0;
    s++;
    while (s < e && *s != '}' && r->naf < NORM_AF_MAX) {
        const char *k = s;
        const char *ke = skip_str(s, e);
        if (!ke || ke >= e || *ke != ':')
            return 0;
        const char *v = ke + 1;
        const char *ve = norm_json_skip(v, e);
        if (!ve || ve == v)
            return 0;
        struct json_field *m = &r->af[r->naf];
        m->key = k + 1;
        m->key_len = (uint32_t)(ke - k - 2);
        describe(m, v, (size_t)(ve - v));
        uint16_t c = (uint16_t)norm_col_lookup(n->afctab, m->key, m->key_len,
                                               norm_key_hash(m->key, m->key_len));
        r->afcol[r->naf] = c;
        if (c && !r->col[c])
            r->col[c] = r->nf + 1 + r->naf;
        else
            r->afcol[r->naf] = NCOL_NONE;
        r->naf++;
        s = ve;
        if (s < e && *s == ',')
            s++;
    }
    if (s < e && *s != '}')
        r->naf = 0; /* more members than NORM_AF_MAX: keep AF whole in unmapped */
    r->af_split = r->naf > 0;
    return 0;
}

static void put_member(struct ocsf_w *w, const struct json_field *m)
{
    ocsf_ch(w, '"');
    ocsf_raw(w, m->key, m->key_len);
    ocsf_ch(w, '"');
    ocsf_ch(w, ':');
    if (m->type == JSON_STRING) {
        ocsf_ch(w, '"');
        ocsf_raw(w, m->val, m->val_len);
        ocsf_ch(w, '"');
    } else {
        ocsf_raw(w, m->val, m->val_len);
    }
}

bool norm_af_rest(struct norm *n, struct ocsf_w *w)
{
    struct norm_rec *r = &n->rec;
    if (!r->af_split)
        return false;
    bool first = true;
    for (uint32_t i = 0; i < r->naf; i++) {
        if (r->afcol[i] && r->used[r->afcol[i]])
            continue;
        ocsf_ch(w, first ? '{' : ',');
        first = false;
        put_member(w, &r->af[i]);
    }
    if (first)
        return false;
    ocsf_ch(w, '}');
    norm_use(n, NCOL_ADDITIONAL_FIELDS);
    return true;
}

void norm_af_unmapped(struct norm *n, struct ocsf_w *w, bool *any)
{
    struct norm_rec *r = &n->rec;
    size_t start = ocsf_pos(w);
    bool was = *any;
    if (*any)
        ocsf_ch(w, ',');
    OCSF_LIT(w, "\"AdditionalFields\":{");
    bool first = true;
    for (uint32_t i = 0; i < r->naf; i++) {
        if (r->afcol[i] && r->used[r->afcol[i]])
            continue;
        const struct json_field *m = &r->af[i];
        if (!first)
            ocsf_ch(w, ',');
        first = false;
        put_member(w, m);
    }
    if (first) {
        ocsf_cut(w, start);
        *any = was;
        return;
    }
    ocsf_ch(w, '}');
    *any = true;
}
