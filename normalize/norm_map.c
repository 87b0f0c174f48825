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

/* ---- helpers of the finding / inventory rules ------------------------------ */

/* The compact JSON text of a dynamic column that must hold an array: an array
 * as it is, or a string decoded once. NULL when it is neither (or no memory:
 * w->err is set). */
static const char *dyn_array(struct norm *n, struct ocsf_w *w, const struct json_field *f,
                             size_t *len)
{
    if (f->type == JSON_ARRAY) {
        *len = f->val_len;
        return f->val;
    }
    if (f->type != JSON_STRING)
        return NULL;
    struct json_field d;
    int rc = json_parse_text(n->jp, f->val, f->val_len, &d);
    if (rc == -ENOMEM && !w->err)
        w->err = rc;
    if (rc || d.type != JSON_ARRAY)
        return NULL;
    *len = d.val_len;
    return d.val;
}

/* Next string element of compact array text: *s at '[' or ','; body (escaped)
 * in *b, *bl. false at the end or on a non-string element (*bad set). */
static bool next_str_elem(const char **s, const char *e, const char **b, size_t *bl, bool *bad)
{
    const char *p = *s;
    if (p >= e || *p == ']' || (p + 1 < e && p[1] == ']'))
        return false;
    p++;
    if (p >= e || *p != '"') {
        *bad = true;
        return false;
    }
    const char *q = norm_json_skip(p, e);
    if (!q) {
        *bad = true;
        return false;
    }
    *b = p + 1;
    *bl = (size_t)(q - p - 2);
    *s = q;
    return true;
}

struct tech {
    const char *id;
    const char *name;
    uint8_t idlen;
    uint32_t nlen;
};

/* "Txxxx" or "Txxxx.yyy" */
static bool tech_id_ok(const char *s, size_t n)
{
    if ((n != 5 && n != 9) || s[0] != 'T')
        return false;
    for (size_t i = 1; i < n; i++)
        if (i == 5 ? s[i] != '.' : (s[i] < '0' || s[i] > '9'))
            return false;
    return true;
}

/* "Name (T1234.001)" (escaped body) -> id and name; false when malformed. */
static bool tech_parse(const char *b, size_t bl, struct tech *t)
{
    while (bl && b[bl - 1] == ' ')
        bl--;
    if (bl < 7 || b[bl - 1] != ')')
        return false;
    const char *o = b + bl - 1;
    while (o > b && *o != '(')
        o--;
    if (*o != '(')
        return false;
    const char *id = o + 1;
    size_t idlen = (size_t)(b + bl - 1 - id);
    if (!tech_id_ok(id, idlen))
        return false;
    const char *ne = o;
    while (ne > b && ne[-1] == ' ')
        ne--;
    t->id = id;
    t->idlen = (uint8_t)idlen;
    t->name = b;
    t->nlen = (uint32_t)(ne - b);
    return true;
}

static void put_tech(struct ocsf_w *w, const char *id, size_t idlen, const struct tech *named)
{
    OCSF_LIT(w, "{\"uid\":\"");
    ocsf_raw(w, id, idlen);
    ocsf_ch(w, '"');
    if (named && named->nlen) {
        OCSF_LIT(w, ",\"name\":\"");
        ocsf_raw(w, named->name, named->nlen);
        ocsf_ch(w, '"');
    }
    ocsf_ch(w, '}');
}

#define NORM_TECH_MAX 32

/* attacks[] (§3.10): true when at least one entry was written; *all: every
 * element parsed (else the column also stays in unmapped). */
static bool put_attacks(struct norm *n, struct ocsf_w *w, const struct json_field *f,
                        const struct norm_node *nd, struct norm_frame *F, bool *all)
{
    size_t len;
    const char *a = dyn_array(n, w, f, &len);
    if (!a)
        return false;
    struct tech t[NORM_TECH_MAX];
    unsigned nt = 0;
    const char *s = a, *e = a + len, *b;
    size_t bl;
    bool bad = false;
    *all = true;
    while (next_str_elem(&s, e, &b, &bl, &bad)) {
        if (nt == NORM_TECH_MAX || !tech_parse(b, bl, &t[nt])) {
            *all = false;
            continue;
        }
        bool dup = false;
        for (unsigned i = 0; i < nt; i++)
            dup |= t[i].idlen == t[nt].idlen && memcmp(t[i].id, t[nt].id, t[nt].idlen) == 0;
        nt += !dup;
    }
    if (bad)
        *all = false;
    unsigned wrote = 0;
    for (unsigned i = 0; i < nt; i++) {
        const struct tech *x = &t[i];
        const struct tech *parent = NULL;
        if (x->idlen == 9) {
            for (unsigned j = 0; j < nt; j++)
                if (t[j].idlen == 5 && memcmp(t[j].id, x->id, 5) == 0)
                    parent = &t[j];
        } else {
            bool has_sub = false;
            for (unsigned j = 0; j < nt; j++)
                has_sub |= t[j].idlen == 9 && memcmp(t[j].id, x->id, 5) == 0;
            if (has_sub)
                continue;
        }
        if (wrote++ == 0)
            member(w, F, nd), ocsf_ch(w, '[');
        else
            ocsf_ch(w, ',');
        if (x->idlen == 9) {
            OCSF_LIT(w, "{\"sub_technique\":");
            put_tech(w, x->id, 9, x);
            OCSF_LIT(w, ",\"technique\":");
            put_tech(w, x->id, 5, parent);
        } else {
            OCSF_LIT(w, "{\"technique\":");
            put_tech(w, x->id, 5, x);
        }
        ocsf_ch(w, '}');
    }
    if (!wrote)
        return false;
    ocsf_ch(w, ']');
    return true;
}

static bool mac_norm(const char *v, size_t n, char out[17])
{
    if (n != 12 && n != 17)
        return false;
    char hex[12];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = v[i];
        if (c == '-' || c == ':')
            continue;
        if (k == 12 || !is_hex(&c, 1))
            return false;
        hex[k++] = (c >= 'a' && c <= 'f') ? (char)(c - 32) : c;
    }
    if (k != 12)
        return false;
    for (int i = 0; i < 6; i++) {
        out[3 * i] = hex[2 * i];
        out[3 * i + 1] = hex[2 * i + 1];
        if (i < 5)
            out[3 * i + 2] = ':';
    }
    return true;
}

/* Member "key" of compact object text [s, e): its value text, or NULL. */
static const char *obj_get(const char *s, const char *e, const char *key, size_t kl,
                           const char **ve)
{
    if (s >= e || *s != '{')
        return NULL;
    s++;
    while (s < e && *s == '"') {
        const char *k = s + 1;
        const char *kend = norm_json_skip(s, e);
        if (!kend || kend >= e || *kend != ':')
            return NULL;
        const char *v = kend + 1;
        const char *vend = norm_json_skip(v, e);
        if (!vend)
            return NULL;
        if ((size_t)(kend - 1 - k) == kl && memcmp(k, key, kl) == 0) {
            *ve = vend;
            return v;
        }
        s = vend;
        if (s < e && *s == ',')
            s++;
    }
    return NULL;
}

/* One network_interfaces[] entry: adapter columns + (ip, prefix) when given. */
static void put_iface(struct norm *n, struct ocsf_w *w, const char *ip, size_t iplen,
                      const char *pfx, size_t pfxlen)
{
    const struct norm_rec *r = &n->rec;
    const struct json_field *name = norm_str(r, NCOL_NETWORK_ADAPTER_NAME);
    const struct json_field *mac = norm_str(r, NCOL_MAC_ADDRESS);
    const struct json_field *type = norm_str(r, NCOL_NETWORK_ADAPTER_TYPE);
    char m[17];
    bool any = false;
    ocsf_ch(w, '{');
    if (name) {
        OCSF_LIT(w, "\"name\":");
        ocsf_str_fast(w, name->val, name->val_len, name->flags & JSON_F_CLEAN);
        OCSF_LIT(w, ",\"uid\":");
        ocsf_str_fast(w, name->val, name->val_len, name->flags & JSON_F_CLEAN);
        any = true;
    }
    if (mac && mac_norm(mac->val, mac->val_len, m)) {
        if (any)
            ocsf_ch(w, ',');
        OCSF_LIT(w, "\"mac\":");
        ocsf_str(w, m, 17);
        any = true;
    }
    if (type) {
        int id = norm_enum_find(&norm_enums[NE_IFACE_TYPE], type->val, type->val_len);
        if (any)
            ocsf_ch(w, ',');
        OCSF_LIT(w, "\"type_id\":");
        ocsf_i64(w, id < 0 ? 99 : id);
        if (id < 0) {
            OCSF_LIT(w, ",\"type\":");
            ocsf_str_fast(w, type->val, type->val_len, type->flags & JSON_F_CLEAN);
        }
        any = true;
    }
    if (ip) {
        if (any)
            ocsf_ch(w, ',');
        OCSF_LIT(w, "\"ip\":");
        ocsf_ch(w, '"');
        ocsf_raw(w, ip, iplen);
        ocsf_ch(w, '"');
        any = true;
        if (pfx) {
            OCSF_LIT(w, ",\"subnet_prefix\":");
            ocsf_raw(w, pfx, pfxlen);
        }
    }
    ocsf_ch(w, '}');
}

/* network_interfaces[] (§3.15): one entry per IPAddresses element, or one
 * without ip. Consumes the adapter columns it wrote. */
static bool put_ifaces(struct norm *n, struct ocsf_w *w, const struct json_field *f,
                       const struct norm_node *nd, struct norm_frame *F)
{
    const struct norm_rec *r = &n->rec;
    const struct json_field *name = norm_str(r, NCOL_NETWORK_ADAPTER_NAME);
    const struct json_field *mac = norm_str(r, NCOL_MAC_ADDRESS);
    char m[17];
    bool mac_ok = mac && mac_norm(mac->val, mac->val_len, m);
    size_t len = 0;
    const char *a = f ? dyn_array(n, w, f, &len) : NULL;
    unsigned k = 0;
    if (a) {
        const char *s = a, *e = a + len;
        while (s < e && *s != ']') {
            const char *el = s + 1;
            const char *ele = norm_json_skip(el, e);
            if (!ele)
                break;
            s = ele;
            const char *ve, *pe;
            const char *ip = obj_get(el, ele, "IPAddress", 9, &ve);
            if (!ip || *ip != '"' || ve - ip < 3 || ve - ip > 42)
                continue;
            size_t iplen = (size_t)(ve - ip - 2);
            if (!is_ipv4(ip + 1, iplen) && !is_ipv6(ip + 1, iplen))
                continue;
            const char *p = obj_get(el, ele, "SubnetPrefix", 12, &pe);
            size_t pl = p ? (size_t)(pe - p) : 0;
            if (p && (pl > 3 || !(*p >= '0' && *p <= '9') || (pl > 1 && *p == '0')))
                p = NULL;
            for (size_t i = 1; p && i < pl; i++)
                if (p[i] < '0' || p[i] > '9')
                    p = NULL;
            if (k++ == 0) {
                member(w, F, nd);
                ocsf_ch(w, '[');
            } else {
                ocsf_ch(w, ',');
            }
            put_iface(n, w, ip + 1, iplen, p, pl);
        }
    }
    if (!k) {
        if (!name && !mac_ok)
            return false;
        member(w, F, nd);
        ocsf_ch(w, '[');
        put_iface(n, w, NULL, 0, NULL, 0);
        k = 1;
    }
    ocsf_ch(w, ']');
    if (name)
        norm_use(n, NCOL_NETWORK_ADAPTER_NAME);
    if (mac_ok)
        norm_use(n, NCOL_MAC_ADDRESS);
    if (norm_str(r, NCOL_NETWORK_ADAPTER_TYPE))
        norm_use(n, NCOL_NETWORK_ADAPTER_TYPE);
    return true;
}

/* Microsoft threat name prefix ("Trojan:Win32/Name") -> malware classification. */
static int malware_class(const char *s, size_t n, size_t *plen)
{
    static const struct {
        const char *name;
        uint8_t len;
        uint8_t id;
    } cl[] = {{"trojan", 6, 18},  {"trojandownloader", 16, 6}, {"trojandropper", 13, 7},
              {"backdoor", 8, 2}, {"ransom", 6, 10},           {"worm", 4, 22},
              {"virus", 5, 19},   {"adware", 6, 1},            {"spyware", 7, 17},
              {"rootkit", 7, 15}};
    const char *c = memchr(s, ':', n);
    if (!c || c == s) {
        *plen = 0;
        return 0;
    }
    *plen = (size_t)(c - s);
    for (size_t i = 0; i < ARRAY_SIZE(cl); i++)
        if (norm_ieq(s, *plen, cl[i].name, cl[i].len))
            return cl[i].id;
    return 99;
}

static bool ends_with_i(const char *s, size_t n, const char *lit, size_t ln)
{
    return n >= ln && norm_ieq(s + n - ln, ln, lit, ln);
}

static int script_type(const char *s, size_t n)
{
    static const struct {
        const char *ext;
        uint8_t len;
        uint8_t id;
    } ex[] = {{".ps1", 4, 2}, {".psm1", 5, 2}, {".sh", 3, 6},  {".bash", 5, 6},
              {".zsh", 4, 6}, {".py", 3, 3},   {".js", 3, 4},  {".vbs", 4, 5},
              {".bat", 4, 1}, {".cmd", 4, 1}};
    for (size_t i = 0; i < ARRAY_SIZE(ex); i++)
        if (ends_with_i(s, n, ex[i].ext, ex[i].len))
            return ex[i].id;
    return 0;
}

/* Service start type / service type: integer codes or names -> OCSF ids, -1 unknown. */
static int svc_enum(const struct json_field *f, bool start)
{
    int64_t v;
    if (get_int(f, &v)) {
        if (start)
            return v >= 0 && v <= 4 ? (int)v + 1 : -1;
        return v == 1 ? 1 : v == 2 ? 2 : v == 16 ? 3 : v == 32 ? 4 : -1;
    }
    if (f->type != JSON_STRING)
        return -1;
    static const struct {
        const char *name;
        uint8_t len;
        uint8_t id;
    } st[] = {{"boot", 4, 1},       {"bootstart", 9, 1},   {"system", 6, 2},
              {"systemstart", 11, 2}, {"auto", 4, 3},      {"autostart", 9, 3},
              {"demand", 6, 4},     {"demandstart", 11, 4}, {"disabled", 8, 5}},
      ty[] = {{"kerneldriver", 12, 1},      {"filesystemdriver", 16, 2},
              {"win32ownprocess", 15, 3},   {"ownprocess", 10, 3},
              {"win32shareprocess", 17, 4}, {"shareprocess", 12, 4}};
    if (start) {
        for (size_t i = 0; i < ARRAY_SIZE(st); i++)
            if (norm_ieq(f->val, f->val_len, st[i].name, st[i].len))
                return st[i].id;
    } else {
        for (size_t i = 0; i < ARRAY_SIZE(ty); i++)
            if (norm_ieq(f->val, f->val_len, ty[i].name, ty[i].len))
                return ty[i].id;
    }
    return -1;
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
    case NR_NOT_BOOL: /* the same value rule, negated */
        if (!f || !get_bool(f, &b))
            return false;
        member(w, F, nd);
        if (b != (nd->rule == NR_NOT_BOOL))
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
        char out[17];
        if (!f || f->type != JSON_STRING || !mac_norm(f->val, f->val_len, out))
            return false;
        member(w, F, nd);
        ocsf_str(w, out, 17);
        break;
    }
    case NR_ENUM0:
        if (!f || f->type != JSON_STRING) {
            member(w, F, nd);
            ocsf_ch(w, '0');
            return true;
        }
        /* fall through */
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
    case NR_STR_OR:
    case NR_STR_OR_KEY: {
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
        /* alt stays where its own field puts it (NR_STR_OR: not a key member) */
        return nd->rule == NR_STR_OR_KEY;
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
    case NR_ATTACKS: {
        bool all;
        if (!f || !put_attacks(n, w, f, nd, F, &all))
            return false;
        if (!all)
            return true;
        break;
    }
    case NR_STR_ARR1:
        if (!f || f->type != JSON_STRING)
            return false;
        member(w, F, nd);
        ocsf_ch(w, '[');
        ocsf_str_fast(w, f->val, f->val_len, f->flags & JSON_F_CLEAN);
        ocsf_ch(w, ']');
        break;
    case NR_JSON_STRARR: {
        size_t len;
        const char *a = f ? dyn_array(n, w, f, &len) : NULL;
        if (!a)
            return false;
        const char *s = a, *e = a + len, *eb;
        size_t bl;
        bool bad = false;
        unsigned k = 0;
        while (next_str_elem(&s, e, &eb, &bl, &bad))
            k++;
        if (bad || !k)
            return false;
        member(w, F, nd);
        ocsf_raw(w, a, len);
        break;
    }
    case NR_AF_REST: {
        size_t pos = ocsf_pos(w);
        uint16_t cnt = F->n;
        member(w, F, nd);
        if (!norm_af_rest(n, w)) {
            ocsf_cut(w, pos);
            F->n = cnt;
            return false;
        }
        return true;
    }
    case NR_JOIN_PATH: {
        const struct json_field *g = norm_str(r, (enum norm_col)nd->alt);
        if (!f || f->type != JSON_STRING || !g)
            return false;
        char sep = memchr(f->val, '\\', f->val_len) ? '\\' : '/';
        member(w, F, nd);
        ocsf_ch(w, '"');
        ocsf_str_body(w, f->val, f->val_len);
        if (f->val[f->val_len - 1] != sep) {
            if (sep == '\\')
                OCSF_LIT(w, "\\\\");
            else
                ocsf_ch(w, '/');
        }
        ocsf_str_body(w, g->val, g->val_len);
        ocsf_ch(w, '"');
        return true; /* name and parent_folder consume the columns */
    }
    case NR_MALWARE_CLASS: {
        if (!f || f->type != JSON_STRING)
            return false;
        size_t pl;
        int id = malware_class(f->val, f->val_len, &pl);
        member(w, F, nd);
        ocsf_ch(w, '[');
        ocsf_i64(w, id);
        ocsf_ch(w, ']');
        if (id == 99) {
            OCSF_LIT(w, ",\"classifications\":[");
            ocsf_str(w, f->val, pl);
            ocsf_ch(w, ']');
        }
        return true;
    }
    case NR_FUNC_NAME: {
        if (!f || f->type != JSON_STRING)
            return false;
        size_t len = f->val_len;
        if (len > 7 && memcmp(f->val + len - 7, "ApiCall", 7) == 0)
            len -= 7;
        member(w, F, nd);
        ocsf_str(w, f->val, len);
        return true;
    }
    case NR_SCRIPT_TYPE:
        member(w, F, nd);
        ocsf_i64(w, f && f->type == JSON_STRING ? script_type(f->val, f->val_len) : 0);
        return true;
    case NR_IS_FALSE:
        if (!f || !get_bool(f, &b) || b)
            return false;
        member(w, F, nd);
        ocsf_raw(w, nd->lit, strlen(nd->lit));
        break;
    case NR_SVC_START:
    case NR_SVC_TYPE: {
        if (!f || (f->type != JSON_STRING && f->type != JSON_NUMBER))
            return false;
        int id = svc_enum(f, nd->rule == NR_SVC_START);
        member(w, F, nd);
        ocsf_i64(w, id < 0 ? 99 : id);
        if (id < 0) {
            if (nd->rule == NR_SVC_START)
                OCSF_LIT(w, ",\"service_start_type\":");
            else
                OCSF_LIT(w, ",\"service_type\":");
            ocsf_str(w, f->val, f->val_len);
        }
        break;
    }
    case NR_IFACES:
        return put_ifaces(n, w, f, nd, F);
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
            C->dead = false;
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
            if (F->keys == 0 || F->dead) {
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
            if (put_field(n, w, nd, F)) {
                if (nd->flags & NN_KEY)
                    F->keys++;
            } else if (nd->flags & NN_MUST) {
                F->dead = true;
            }
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
