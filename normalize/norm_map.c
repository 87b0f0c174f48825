/* norm_map.c - the mapping-program interpreter and the value rules (schemas.md §3, §4).
 *
 * DESIGN
 * A program (norm_int.h) is walked once, front to back, writing JSON members
 * straight into the output. Each open object/array is a frame holding the output
 * position and the consumed-column log length at its start. At NOP_CLOSE a frame
 * with no key member written is rolled back: the output is cut to its start
 * (its comma included) and every column it consumed is released, so those
 * columns land in unmapped instead. A rolled-back NN_REQ object is reported to
 * the caller, which re-emits the record as Generic (degrade rule, §0.2).
 * A field whose value fails its rule (pid 0, malformed hash, bad time...) is not
 * written and its column stays unconsumed: it goes to unmapped raw.
 */
#include "norm_int.h"

#include <errno.h>

static inline void member(struct ocsf_w *w, struct norm_frame *F, const struct norm_node *nd)
{
    if (F->n++)
        ocsf_ch(w, ',');
    ocsf_raw(w, nd->key, nd->klen);
}

/* JSON integer, or a string of optional '-' and 1-19 digits that fits int64. */
static bool get_int(const struct json_field *f, int64_t *v)
{
    if (f->type == JSON_NUMBER)
        return (f->flags & JSON_F_INT) ? (*v = f->i, true) : false;
    if (f->type != JSON_STRING)
        return false;
    const char *s = f->val, *e = f->val + f->val_len;
    bool neg = s < e && *s == '-';
    s += neg;
    if (e - s < 1 || e - s > 19)
        return false;
    uint64_t u = 0;
    for (; s < e; s++) {
        unsigned d = (unsigned)(unsigned char)*s - '0';
        if (d > 9)
            return false;
        u = u * 10 + d;
    }
    if (u > (uint64_t)INT64_MAX + neg)
        return false;
    *v = neg ? (int64_t)(0 - u) : (int64_t)u;
    return true;
}

static bool ieq(const char *s, size_t n, const char *lit, size_t ln)
{
    if (n != ln)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        if (c != lit[i])
            return false;
    }
    return true;
}

static bool get_bool(const struct json_field *f, bool *b)
{
    switch (f->type) {
    case JSON_BOOL:
        *b = f->i != 0;
        return true;
    case JSON_NUMBER:
        if (!(f->flags & JSON_F_INT) || (f->i != 0 && f->i != 1))
            return false;
        *b = f->i == 1;
        return true;
    case JSON_STRING:
        if (ieq(f->val, f->val_len, "true", 4) || ieq(f->val, f->val_len, "1", 1)) {
            *b = true;
            return true;
        }
        if (ieq(f->val, f->val_len, "false", 5) || ieq(f->val, f->val_len, "0", 1)) {
            *b = false;
            return true;
        }
        return false;
    default:
        return false;
    }
}

static int integrity_id(const char *s, size_t n)
{
    static const struct {
        const char *name;
        uint8_t len;
        uint8_t id;
    } lv[] = {{"untrusted", 9, 1}, {"low", 3, 2},    {"medium", 6, 3},
              {"high", 4, 4},      {"system", 6, 5}, {"protected", 9, 6}};
    for (size_t i = 0; i < ARRAY_SIZE(lv); i++)
        if (ieq(s, n, lv[i].name, lv[i].len))
            return lv[i].id;
    return 99;
}

static inline bool is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z');
}

/* OCSF email_t: ^[a-zA-Z0-9!#$%&'*+-/=?^_`{|}~.]+@[a-zA-Z0-9-]+\.[a-zA-Z0-9-.]+$ */
static bool is_email(const char *s, size_t n)
{
    size_t i = 0;
    for (; i < n && s[i] != '@'; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!is_alnum(c) && (c == 0 || !strchr("!#$%&'*+,-./=?^_`{|}~", c)))
            return false;
    }
    if (i == 0 || i >= n)
        return false;
    size_t d = ++i;
    for (; i < n && s[i] != '.'; i++)
        if (!is_alnum((unsigned char)s[i]) && s[i] != '-')
            return false;
    if (i == d || i >= n)
        return false;
    size_t t = ++i;
    for (; i < n; i++)
        if (!is_alnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '.')
            return false;
    return i > t;
}

static bool is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'f')))
            return false;
    }
    return true;
}

/* Write member nd if its value passes the rule; true when written. */
static bool put_field(struct norm *n, struct ocsf_w *w, const struct norm_node *nd,
                      struct norm_frame *F)
{
    const struct norm_rec *r = &n->rec;
    const struct json_field *f = norm_field(r, (enum norm_col)nd->col);
    int64_t v;
    bool b;
    switch (nd->rule) {
    case NR_STR:
        if (!f || f->type != JSON_STRING)
            return false;
        member(w, F, nd);
        ocsf_str_fast(w, f->val, f->val_len, f->flags & JSON_F_CLEAN);
        break;
    case NR_IDSTR:
        if (!f)
            return false;
        if (f->type == JSON_NUMBER && (f->flags & JSON_F_INT)) {
            member(w, F, nd);
            ocsf_ch(w, '"');
            ocsf_i64(w, f->i);
            ocsf_ch(w, '"');
        } else if (f->type == JSON_STRING) {
            member(w, F, nd);
            ocsf_str_fast(w, f->val, f->val_len, f->flags & JSON_F_CLEAN);
        } else {
            return false;
        }
        break;
    case NR_PID:
        if (!f || !get_int(f, &v) || v <= 0)
            return false;
        member(w, F, nd);
        ocsf_i64(w, v);
        break;
    case NR_SIZE:
        if (!f || !get_int(f, &v) || v < 0)
            return false;
        member(w, F, nd);
        ocsf_i64(w, v);
        break;
    case NR_TIME:
        if (!f || f->type != JSON_STRING || norm_time_parse(f->val, f->val_len, &v))
            return false;
        member(w, F, nd);
        ocsf_i64(w, v);
        break;
    case NR_INTEGRITY: {
        if (!f || f->type != JSON_STRING)
            return false;
        int id = integrity_id(f->val, f->val_len);
        member(w, F, nd);
        ocsf_i64(w, id);
        if (id == 99) {
            OCSF_LIT(w, ",\"integrity\":");
            ocsf_str_fast(w, f->val, f->val_len, f->flags & JSON_F_CLEAN);
        }
        break;
    }
    case NR_BOOL:
        if (!f || !get_bool(f, &b))
            return false;
        member(w, F, nd);
        if (b)
            OCSF_LIT(w, "true");
        else
            OCSF_LIT(w, "false");
        break;
    case NR_HASH: {
        if (!f || f->type != JSON_STRING || f->val_len != nd->arg || !is_hex(f->val, f->val_len))
            return false;
        member(w, F, nd);
        if (!ocsf_room(w, (size_t)nd->arg + 2))
            return true;
        char *d = w->b->p + w->b->len;
        *d++ = '"';
        for (size_t i = 0; i < nd->arg; i++) {
            char c = f->val[i];
            *d++ = (c >= 'A' && c <= 'F') ? (char)(c + 32) : c;
        }
        *d++ = '"';
        w->b->len = (size_t)(d - w->b->p);
        break;
    }
    case NR_EMAIL:
        if (!f || f->type != JSON_STRING || !is_email(f->val, f->val_len))
            return false;
        member(w, F, nd);
        ocsf_str_fast(w, f->val, f->val_len, f->flags & JSON_F_CLEAN);
        break;
    case NR_NAME_OR_BASE: {
        if (f && f->type == JSON_STRING) {
            member(w, F, nd);
            ocsf_str_fast(w, f->val, f->val_len, f->flags & JSON_F_CLEAN);
            break;
        }
        const struct json_field *g = norm_str(r, (enum norm_col)nd->alt);
        if (!g)
            return false;
        const char *s = g->val, *e = g->val + g->val_len, *p = e;
        while (p > s && p[-1] != '\\' && p[-1] != '/')
            p--;
        if (p == e)
            return false;
        member(w, F, nd);
        ocsf_str(w, p, (size_t)(e - p));
        norm_use(n, (enum norm_col)nd->alt);
        return true;
    }
    default:
        return false;
    }
    norm_use(n, (enum norm_col)nd->col);
    return true;
}

const char *norm_emit_prog(struct norm *n, struct ocsf_w *w, const struct norm_node *prog)
{
    struct norm_frame st[NORM_MAX_DEPTH];
    int d = 0;
    const char *missing = NULL;
    st[0] = (struct norm_frame){.n = 1}; /* the event object: metadata precedes */
    for (const struct norm_node *nd = prog; nd->op != NOP_STOP; nd++) {
        struct norm_frame *F = &st[d];
        switch (nd->op) {
        case NOP_OBJ:
        case NOP_ARR: {
            if (d + 1 >= NORM_MAX_DEPTH)
                return "program";
            struct norm_frame *C = &st[++d];
            C->pos = ocsf_pos(w);
            C->log = n->nlog;
            C->n = 0;
            C->keys = 0;
            C->node = nd;
            if (F->n++)
                ocsf_ch(w, ',');
            if (nd->key)
                ocsf_raw(w, nd->key, nd->klen);
            ocsf_ch(w, nd->op == NOP_OBJ ? '{' : '[');
            break;
        }
        case NOP_CLOSE: {
            if (d == 0)
                return "program";
            const struct norm_node *on = F->node;
            struct norm_frame *P = &st[--d];
            if (F->keys == 0) {
                ocsf_cut(w, F->pos);
                while (n->nlog > F->log)
                    n->rec.used[n->log[--n->nlog]]--;
                P->n--;
                if ((on->flags & NN_REQ) && !missing)
                    missing = on->lit;
            } else {
                ocsf_ch(w, on->op == NOP_OBJ ? '}' : ']');
                if (on->flags & NN_KEY)
                    P->keys++;
            }
            break;
        }
        case NOP_CONST:
            member(w, F, nd);
            ocsf_raw(w, nd->lit, strlen(nd->lit));
            if (nd->flags & NN_KEY)
                F->keys++;
            break;
        case NOP_FIELD:
            if (put_field(n, w, nd, F) && (nd->flags & NN_KEY))
                F->keys++;
            break;
        default:
            return "program";
        }
    }
    return missing;
}
