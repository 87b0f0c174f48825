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

bool norm_ieq(const char *s, size_t n, const char *lit, size_t ln)
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
        if (norm_ieq(f->val, f->val_len, "true", 4) || norm_ieq(f->val, f->val_len, "1", 1)) {
            *b = true;
            return true;
        }
        if (norm_ieq(f->val, f->val_len, "false", 5) || norm_ieq(f->val, f->val_len, "0", 1)) {
            *b = false;
            return true;
        }
        return false;
    default:
        return false;
    }
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

/* IPv4 dotted quad without leading zeros. */
static bool is_ipv4(const char *s, size_t n)
{
    int parts = 0;
    size_t i = 0;
    while (i < n) {
        size_t st = i;
        unsigned v = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9' && i - st < 4)
            v = v * 10 + (unsigned)(s[i++] - '0');
        size_t len = i - st;
        if (len == 0 || len > 3 || v > 255 || (len > 1 && s[st] == '0'))
            return false;
        parts++;
        if (i == n)
            break;
        if (s[i] != '.' || parts == 4)
            return false;
        i++;
        if (i == n)
            return false;
    }
    return parts == 4;
}

/* RFC 4291 text: up to 8 groups of 1-4 hex digits, one "::", an embedded IPv4
 * in the last 32 bits, an optional %zone. */
static bool is_ipv6(const char *s, size_t n)
{
    const char *pct = memchr(s, '%', n);
    if (pct) {
        if (pct + 1 == s + n)
            return false;
        n = (size_t)(pct - s);
    }
    if (n < 2)
        return false;
    int groups = 0;
    bool dbl = false;
    size_t i = 0;
    if (s[0] == ':') {
        if (s[1] != ':')
            return false;
        dbl = true;
        i = 2;
        if (i == n)
            return true;
    }
    while (i < n) {
        size_t st = i;
        while (i < n && i - st < 5 && is_hex(s + i, 1))
            i++;
        size_t len = i - st;
        if (i < n && s[i] == '.') {
            if (!is_ipv4(s + st, n - st) || groups > 6)
                return false;
            groups += 2;
            i = n;
            break;
        }
        if (len == 0 || len > 4)
            return false;
        groups++;
        if (i == n)
            break;
        if (s[i] != ':')
            return false;
        i++;
        if (i < n && s[i] == ':') {
            if (dbl)
                return false;
            dbl = true;
            i++;
            if (i == n)
                break;
        } else if (i == n) {
            return false;
        }
    }
    return dbl ? groups <= 7 : groups == 8;
}

int norm_enum_find(const struct norm_enum *e, const char *s, size_t n)
{
    for (unsigned i = 0; i < e->n; i++) {
        const struct norm_enum_ent *x = &e->e[i];
        if (x->len && x->name[x->len - 1] == '*') {
            if (n >= (size_t)x->len - 1 && norm_ieq(s, (size_t)x->len - 1, x->name, (size_t)x->len - 1))
                return x->id;
        } else if (norm_ieq(s, n, x->name, x->len)) {
            return x->id;
        }
    }
    return -1;
}

static const struct {
    const char *name;
    uint8_t len;
    uint8_t num;
} protos[] = {{"tcp", 3, 6},   {"udp", 3, 17}, {"icmp", 4, 1},  {"icmpv6", 6, 58},
              {"igmp", 4, 2},  {"gre", 3, 47}, {"esp", 3, 50},  {"ah", 2, 51},
              {"sctp", 4, 132}};

static int integrity_id(const char *s, size_t n)
{
    static const struct {
        const char *name;
        uint8_t len;
        uint8_t id;
    } lv[] = {{"untrusted", 9, 1}, {"low", 3, 2},    {"medium", 6, 3},
              {"high", 4, 4},      {"system", 6, 5}, {"protected", 9, 6}};
    for (size_t i = 0; i < ARRAY_SIZE(lv); i++)
        if (norm_ieq(s, n, lv[i].name, lv[i].len))
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
    case NR_INT:
    case NR_INT_HEX:
        if (!f)
            return false;
        if (!get_int(f, &v)) {
            if (nd->rule != NR_INT_HEX || f->type != JSON_STRING || f->val_len < 3 ||
                f->val_len > 18 || f->val[0] != '0' || (f->val[1] | 32) != 'x' ||
                !is_hex(f->val + 2, f->val_len - 2))
                return false;
            uint64_t u = 0;
            for (size_t i = 2; i < f->val_len; i++) {
                unsigned char c = (unsigned char)f->val[i];
                u = u * 16 + (c <= '9' ? (unsigned)(c - '0') : (unsigned)((c | 32) - 'a' + 10));
            }
            if (u > INT64_MAX)
                return false;
            v = (int64_t)u;
        }
        member(w, F, nd);
        ocsf_i64(w, v);
        break;
    case NR_IP: {
        if (!f || f->type != JSON_STRING)
            return false;
        const char *s = f->val, *e = f->val + f->val_len;
        while (s < e && *s == ' ')
            s++;
        while (e > s && e[-1] == ' ')
            e--;
        size_t len = (size_t)(e - s);
        if (len == 0 || len > 40 || !(is_ipv4(s, len) || is_ipv6(s, len)))
            return false;
        member(w, F, nd);
        ocsf_str(w, s, len);
        break;
    }
    case NR_PORT:
        if (!f || !get_int(f, &v) || v < 1 || v > 65535)
            return false;
        member(w, F, nd);
        ocsf_i64(w, v);
        break;
    case NR_MAC: {
        if (!f || f->type != JSON_STRING || f->val_len < 12 || f->val_len > 17)
            return false;
        char hex[12];
        size_t k = 0;
        for (size_t i = 0; i < f->val_len; i++) {
            char c = f->val[i];
            if (c == '-' || c == ':')
                continue;
            if (k == 12 || !is_hex(&c, 1))
                return false;
            hex[k++] = (c >= 'a' && c <= 'f') ? (char)(c - 32) : c;
        }
        if (k != 12 || (f->val_len != 12 && f->val_len != 17))
            return false;
        char out[17];
        for (int i = 0; i < 6; i++) {
            out[3 * i] = hex[2 * i];
            out[3 * i + 1] = hex[2 * i + 1];
            if (i < 5)
                out[3 * i + 2] = ':';
        }
        member(w, F, nd);
        ocsf_str(w, out, 17);
        break;
    }
    case NR_ENUM: {
        if (!f || f->type != JSON_STRING)
            return false;
        const struct norm_enum *en = &norm_enums[nd->arg];
        int id = norm_enum_find(en, f->val, f->val_len);
        if (id < 0 && !en->sib)
            return false;
        member(w, F, nd);
        ocsf_i64(w, id < 0 ? 99 : id);
        if (id < 0) {
            ocsf_ch(w, ',');
            ocsf_raw(w, en->sib, en->siblen);
            ocsf_str_fast(w, f->val, f->val_len, f->flags & JSON_F_CLEAN);
        }
        break;
    }
    case NR_PROTO: {
        if (!f || f->type != JSON_STRING || f->val_len > 16)
            return false;
        char low[16];
        for (size_t i = 0; i < f->val_len; i++) {
            char c = f->val[i];
            low[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
        }
        if (F->n++)
            ocsf_ch(w, ',');
        OCSF_LIT(w, "\"protocol_name\":");
        ocsf_str(w, low, f->val_len);
        for (size_t i = 0; i < ARRAY_SIZE(protos); i++)
            if (protos[i].len == f->val_len && memcmp(protos[i].name, low, f->val_len) == 0) {
                OCSF_LIT(w, ",\"protocol_num\":");
                ocsf_i64(w, protos[i].num);
            }
        break;
    }
    case NR_NOT_BOOL:
        if (!f || !get_bool(f, &b))
            return false;
        member(w, F, nd);
        if (b)
            OCSF_LIT(w, "false");
        else
            OCSF_LIT(w, "true");
        break;
    case NR_IS_TRUE:
        if (!f || !get_bool(f, &b) || !b)
            return false;
        member(w, F, nd);
        ocsf_raw(w, nd->lit, strlen(nd->lit));
        break;
    case NR_FOLDER: {
        if (!f || f->type != JSON_STRING)
            return false;
        const char *s = f->val, *p = f->val + f->val_len;
        while (p > s && p[-1] != '\\' && p[-1] != '/')
            p--;
        if (p - s < 2)
            return false;
        member(w, F, nd);
        ocsf_str(w, s, (size_t)(p - s - 1));
        return true; /* the column is also the path: not consumed twice */
    }
    case NR_URL_HOST: {
        if (!f || f->type != JSON_STRING)
            return false;
        const char *s = f->val, *e = f->val + f->val_len;
        const char *sch = NULL;
        for (const char *q = s; q + 2 < e; q++)
            if (q[0] == ':' && q[1] == '/' && q[2] == '/') {
                sch = q + 3;
                break;
            }
        if (sch)
            s = sch;
        const char *h = s;
        while (h < e && *h != '/' && *h != ':' && *h != '?' && *h != '#')
            h++;
        if (h == s)
            return false;
        member(w, F, nd);
        ocsf_str(w, s, (size_t)(h - s));
        return true;
    }
    case NR_FINDING_UID: {
        const struct json_field *dv = norm_str(r, NCOL_DEVICE_ID);
        const struct json_field *rid = norm_field(r, NCOL_REPORT_ID);
        const struct json_field *ts = norm_str(r, NCOL_TIMESTAMP);
        if (!dv || !rid || !ts || (rid->type != JSON_STRING && !(rid->flags & JSON_F_INT)))
            return false;
        member(w, F, nd);
        ocsf_ch(w, '"');
        ocsf_str_body(w, dv->val, dv->val_len);
        ocsf_ch(w, ':');
        if (rid->type == JSON_STRING)
            ocsf_str_body(w, rid->val, rid->val_len);
        else
            ocsf_i64(w, rid->i);
        ocsf_ch(w, ':');
        ocsf_str_body(w, ts->val, ts->val_len);
        ocsf_ch(w, '"');
        return true;
    }
    case NR_STR_OR: {
        if (f && f->type == JSON_STRING) {
            member(w, F, nd);
            ocsf_str_fast(w, f->val, f->val_len, f->flags & JSON_F_CLEAN);
            break;
        }
        const struct json_field *g = norm_str(r, (enum norm_col)nd->alt);
        if (!g)
            return false;
        member(w, F, nd);
        ocsf_str_fast(w, g->val, g->val_len, g->flags & JSON_F_CLEAN);
        return false; /* not a key member; alt stays where its own field puts it */
    }
    case NR_SLASH:
    case NR_NO_SLASH:
        if (!f || f->type != JSON_STRING || ((f->val[0] == '/') != (nd->rule == NR_SLASH)))
            return false;
        member(w, F, nd);
        ocsf_str_fast(w, f->val, f->val_len, f->flags & JSON_F_CLEAN);
        break;
    case NR_NOT_ZERO_STR:
        if (!f || f->type != JSON_STRING || (f->val_len == 1 && f->val[0] == '-'))
            return false;
        member(w, F, nd);
        ocsf_str_fast(w, f->val, f->val_len, f->flags & JSON_F_CLEAN);
        break;
    default:
        return false;
    }
    if (!(nd->flags & NN_NOUSE))
        norm_use(n, (enum norm_col)nd->col);
    return true;
}

const char *norm_emit_prog(struct norm *n, struct ocsf_w *w, const struct norm_node *prog)
{
    struct norm_frame st[NORM_MAX_DEPTH];
    int d = 0;
    const char *missing = NULL;
    st[0] = (struct norm_frame){.n = 1}; /* the event object: metadata precedes */
    if (!prog)
        return NULL;
    for (const struct norm_node *nd = prog; nd->op != NOP_STOP; nd++) {
        struct norm_frame *F = &st[d];
        switch (nd->op) {
        case NOP_OBJ:
        case NOP_ARR: {
            if ((nd->flags & NN_ELSE) && F->last_kept) {
                int skip = 0;
                for (;; nd++) { /* to the matching NOP_CLOSE */
                    if (nd->op == NOP_OBJ || nd->op == NOP_ARR)
                        skip++;
                    else if (nd->op == NOP_CLOSE && --skip == 0)
                        break;
                    else if (nd->op == NOP_STOP)
                        return "program";
                }
                break;
            }
            if (d + 1 >= NORM_MAX_DEPTH)
                return "program";
            struct norm_frame *C = &st[++d];
            C->pos = ocsf_pos(w);
            C->log = n->nlog;
            C->n = 0;
            C->keys = 0;
            C->last_kept = false;
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
                P->last_kept = false;
                if ((on->flags & NN_REQ) && !missing)
                    missing = on->lit;
            } else {
                P->last_kept = true;
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
        case NOP_USE:
            if (norm_field(&n->rec, (enum norm_col)nd->col))
                norm_use(n, (enum norm_col)nd->col);
            break;
        default:
            return "program";
        }
    }
    return missing;
}
