/* norm.c - one message body -> OCSF NDJSON events and dead letters (norm.h).
 *
 * DESIGN
 * Per message: json_body_begin() (a body with invalid UTF-8 is repaired into
 * n->fix, U+FFFD for each bad sequence, and parsed again), the UUIDv5 midstate
 * for the message's id prefix, then one json_body_next() per record. Per record:
 *
 *   1. index the members: known envelope keys (time, tenantId, category), known
 *      property columns (rec.col[], first occurrence wins), and everything else
 *      through a per-record duplicate set (later occurrences are ignored);
 *   2. table from category ("AdvancedHunting-<Table>"), time from Timestamp or
 *      the envelope, the class from norm_route();
 *   3. one line: classification captions, time, metadata (§3.1), the class's
 *      mapping program (norm_map.c), unmapped, raw_data, '\n'. When the program
 *      reports a missing required object the line is cut and the record is
 *      written again as Generic with sluice:degraded:<path>.
 *
 * Dead letters (one JSON line each in `dead`):
 *   {"reason","detail","partition","sequence_number"[,"record_index"],
 *    "enqueued_time","raw"}
 * invalid_json  the body, a record, or the rest of a broken body is not JSON
 * not_records   the body is JSON without a "records" array
 * no_table      a record that is not an object or has no usable category
 * no_time       neither a usable Timestamp nor a usable envelope time
 *
 * Output depends only on the input bytes and the message coordinates: no clock,
 * fixed key order, so redelivery and replays give byte-identical lines.
 * Memory: all scratch is owned by struct norm and reused; growth happens only
 * until the largest record seen (buf_grow / mem_realloc), never per record after.
 */
#include "norm.h"

#include <errno.h>
#include <stdlib.h>

#include "batch.h"
#include "err.h"
#include "mem.h"
#include "norm_int.h"

#define AH_PREFIX     "AdvancedHunting-"
#define AH_PREFIX_LEN (sizeof(AH_PREFIX) - 1)

/* ---- lifetime ------------------------------------------------------------- */

static char *lower_dup(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    char *d = malloc(n + 1);
    if (!d)
        return NULL;
    for (size_t i = 0; i < n; i++)
        d[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
    d[n] = 0;
    return d;
}

struct norm *norm_create(const struct norm_cfg *cfg)
{
    struct norm *n = calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    char *ns = lower_dup(cfg ? cfg->ns : NULL);
    char *hub = lower_dup(cfg ? cfg->hub : NULL);
    if (!ns || !hub)
        goto fail_names;
    n->eh_prefix_len = 3 + strlen(ns) + 1 + strlen(hub) + 1;
    n->eh_prefix = malloc(n->eh_prefix_len + 1);
    if (!n->eh_prefix)
        goto fail_names;
    memcpy(n->eh_prefix, "eh|", 3);
    strcpy(n->eh_prefix + 3, ns);
    strcat(n->eh_prefix, "|");
    strcat(n->eh_prefix, hub);
    strcat(n->eh_prefix, "|");
    free(ns);
    free(hub);
    ns = hub = NULL;
    n->jp = json_parser_create();
    if (!n->jp)
        goto fail_parser;
    norm_cols_index(n->ctab, 1, NCOL__PROPS);
    norm_cols_index(n->afctab, NCOL__PROPS + 1, NCOL__COUNT);
    n->keep_original = cfg && cfg->keep_original;
    return n;

fail_parser:
    free(n->eh_prefix);
fail_names:
    free(ns);
    free(hub);
    free(n);
    return NULL;
}

void norm_destroy(struct norm *n)
{
    if (!n)
        return;
    json_parser_destroy(n->jp);
    mem_free(n->fm);
    mem_free(n->dset);
    buf_fini(&n->fix);
    free(n->eh_prefix);
    free(n);
}

/* ---- per-record index ----------------------------------------------------- */

static int grow_scratch(struct norm *n, uint32_t nf)
{
    if (nf > n->fm_cap) {
        uint32_t cap = n->fm_cap ? n->fm_cap : 128;
        while (cap < nf)
            cap *= 2;
        void *p = mem_realloc(n->fm, (size_t)cap * sizeof(struct norm_fmeta));
        if (!p)
            return -ENOMEM;
        n->fm = p;
        n->fm_cap = cap;
    }
    if ((uint64_t)nf * 2 > n->dset_cap) {
        uint32_t cap = n->dset_cap ? n->dset_cap : 256;
        while (cap < (uint64_t)nf * 2)
            cap *= 2;
        void *p = mem_realloc(n->dset, (size_t)cap * 2 * sizeof(uint32_t));
        if (!p)
            return -ENOMEM;
        memset(p, 0, (size_t)cap * 2 * sizeof(uint32_t));
        n->dset = p;
        n->dset_cap = cap;
        n->dstamp = 0;
    }
    return 0;
}

/* True when an earlier unknown key equals field i's key; else remembers it. */
static bool seen_before(struct norm *n, uint32_t i, uint64_t h)
{
    const struct json_field *f = &n->rec.f[i];
    uint32_t mask = n->dset_cap - 1;
    for (uint32_t s = (uint32_t)h & mask;; s = (s + 1) & mask) {
        uint32_t *slot = &n->dset[2 * s];
        if (slot[0] != n->dstamp) {
            slot[0] = n->dstamp;
            slot[1] = i;
            return false;
        }
        const struct json_field *g = &n->rec.f[slot[1]];
        if (g->key_len == f->key_len && memcmp(g->key, f->key, f->key_len) == 0)
            return true;
    }
}

static inline bool key_is(const struct json_field *f, const char *lit, size_t n)
{
    return f->key_len == n && memcmp(f->key, lit, n) == 0;
}

static int index_record(struct norm *n, const struct json_record *jr)
{
    struct norm_rec *r = &n->rec;
    int rc = grow_scratch(n, jr->nfields);
    if (rc)
        return rc;
    if (++n->dstamp == 0) { /* stamp wrapped: forget every slot */
        memset(n->dset, 0, (size_t)n->dset_cap * 2 * sizeof(uint32_t));
        n->dstamp = 1;
    }
    r->jr = jr;
    r->f = jr->fields;
    r->nf = jr->nfields;
    r->env_time = r->env_tenant = r->env_category = 0;
    r->time_used = r->tenant_used = false;
    memset(r->col, 0, sizeof(r->col));
    struct norm_fmeta *fm = n->fm;
    for (uint32_t i = 0; i < r->nf; i++) {
        const struct json_field *f = &r->f[i];
        fm[i].col = 0;
        fm[i].flags = 0;
        uint64_t h = norm_key_hash(f->key, f->key_len);
        if (f->flags & JSON_F_PROP) {
            enum norm_col c = norm_col_lookup(n->ctab, f->key, f->key_len, h);
            if (c) {
                fm[i].col = (uint16_t)c;
                if (r->col[c])
                    fm[i].flags = NFF_DUP;
                else
                    r->col[c] = i + 1;
                continue;
            }
        } else {
            uint32_t *slot = key_is(f, "time", 4)           ? &r->env_time
                             : key_is(f, "tenantId", 8)     ? &r->env_tenant
                             : key_is(f, "category", 8)     ? &r->env_category
                                                            : NULL;
            if (slot) {
                if (*slot)
                    fm[i].flags = NFF_DUP;
                else
                    *slot = i + 1;
                continue;
            }
        }
        if (seen_before(n, i, h))
            fm[i].flags = NFF_DUP;
    }
    return 0;
}

static enum norm_table table_of(const char *s, size_t n)
{
    for (int t = 0; t < NT_OTHER; t++) {
        const char *name = norm_table_name((enum norm_table)t);
        if (strlen(name) == n && memcmp(name, s, n) == 0)
            return (enum norm_table)t;
    }
    return NT_OTHER;
}

/* ---- unmapped ------------------------------------------------------------- */

static inline bool is_empty_json(const char *s, size_t n)
{
    return n == 2 && ((s[0] == '{' && s[1] == '}') || (s[0] == '[' && s[1] == ']'));
}

/* What to write for one unmapped value: nothing, JSON text, or a string. */
enum uv_kind { UV_SKIP, UV_RAW, UV_STR };

/* AdditionalFields (schemas.md §4): empty forms -> nothing; a JSON string is
 * decoded (twice at most); a parse failure keeps the raw string. */
static enum uv_kind af_value(struct norm *n, const struct json_field *f, const char **v,
                             size_t *vl, int *err)
{
    *v = f->val;
    *vl = f->val_len;
    if (f->type == JSON_OBJECT || f->type == JSON_ARRAY)
        return is_empty_json(f->val, f->val_len) ? UV_SKIP : UV_RAW;
    if (f->type != JSON_STRING)
        return UV_RAW;
    if (is_empty_json(f->val, f->val_len))
        return UV_SKIP;
    struct json_field d;
    int rc = json_parse_text(n->jp, f->val, f->val_len, &d);
    if (rc) {
        *err = rc == -ENOMEM ? rc : 0;
        return UV_STR;
    }
    if (d.type == JSON_STRING) {
        struct json_field d2;
        const char *s1 = d.val;
        size_t l1 = d.val_len;
        if (l1 == 0)
            return UV_SKIP;
        rc = json_parse_text(n->jp, s1, l1, &d2);
        if (rc == -ENOMEM)
            *err = rc;
        if (rc || (d2.type != JSON_OBJECT && d2.type != JSON_ARRAY)) {
            *v = s1;
            *vl = l1;
            return UV_STR;
        }
        d = d2;
    }
    if (d.type != JSON_OBJECT && d.type != JSON_ARRAY)
        return UV_STR;
    if (is_empty_json(d.val, d.val_len))
        return UV_SKIP;
    *v = d.val;
    *vl = d.val_len;
    return UV_RAW;
}

static void put_unmapped(struct norm *n, struct ocsf_w *w, const struct json_field *f,
                         unsigned colflags, bool *any)
{
    if (f->type == JSON_NULL || (f->type == JSON_STRING && f->val_len == 0))
        return;
    const char *v = f->val;
    size_t vl = f->val_len;
    enum uv_kind k = f->type == JSON_STRING ? UV_STR : UV_RAW;
    int err = 0;
    if (colflags & NCF_AF) {
        k = af_value(n, f, &v, &vl, &err);
    } else if ((colflags & NCF_DYN) && f->type == JSON_STRING) {
        struct json_field d;
        int rc = json_parse_text(n->jp, f->val, f->val_len, &d);
        if (rc == -ENOMEM)
            err = rc;
        if (!rc && (d.type == JSON_OBJECT || d.type == JSON_ARRAY)) {
            v = d.val;
            vl = d.val_len;
            k = UV_RAW;
        }
    }
    if (err && !w->err)
        w->err = err;
    if (k == UV_SKIP)
        return;
    if (*any)
        ocsf_ch(w, ',');
    *any = true;
    ocsf_str_fast(w, f->key, f->key_len, f->flags & JSON_F_KCLEAN);
    ocsf_ch(w, ':');
    if (k == UV_RAW)
        ocsf_raw(w, v, vl);
    else
        ocsf_str_fast(w, v, vl, v == f->val && (f->flags & JSON_F_CLEAN));
}

static bool af_consumed(const struct norm_rec *r)
{
    if (!r->af_split)
        return false;
    for (uint32_t i = 0; i < r->naf; i++)
        if (r->afcol[i] && r->used[r->afcol[i]])
            return true;
    return false;
}

/* "unmapped": envelope extras first, then unconsumed columns, in input order. */
static void write_unmapped(struct norm *n, struct ocsf_w *w)
{
    const struct norm_rec *r = &n->rec;
    const struct norm_fmeta *fm = n->fm;
    size_t start = ocsf_pos(w);
    bool any = false;
    OCSF_LIT(w, ",\"unmapped\":{");
    for (uint32_t i = 0; i < r->nf; i++) {
        const struct json_field *f = &r->f[i];
        if ((f->flags & JSON_F_PROP) || (fm[i].flags & NFF_DUP))
            continue;
        uint32_t id = i + 1;
        if (id == r->env_category || (id == r->env_time && r->time_used) ||
            (id == r->env_tenant && r->tenant_used))
            continue;
        put_unmapped(n, w, f, 0, &any);
    }
    for (uint32_t i = 0; i < r->nf; i++) {
        const struct json_field *f = &r->f[i];
        if (!(f->flags & JSON_F_PROP) || (fm[i].flags & NFF_DUP))
            continue;
        unsigned c = fm[i].col;
        if (c && r->used[c])
            continue;
        if (c == NCOL_ADDITIONAL_FIELDS && af_consumed(r)) {
            norm_af_unmapped(n, w, &any);
            continue;
        }
        put_unmapped(n, w, f, c ? norm_cols[c].flags : 0, &any);
    }
    if (any)
        ocsf_ch(w, '}');
    else
        ocsf_cut(w, start);
}

/* ---- one event ------------------------------------------------------------ */

struct rec_time {
    int64_t ms;       /* event time */
    int64_t env_ms;   /* envelope time, when env_ok */
    bool ts_ok;       /* from Timestamp (else from the envelope) */
    bool env_ok;
};

static bool is_alert_table(enum norm_table t)
{
    return t == NT_ALERT_INFO || t == NT_ALERT_EVIDENCE;
}

/* severity_id/severity from the Severity column, else AF.Severity (findings):
 * 0 Unknown without one. */
static void write_severity(struct norm *n, struct ocsf_w *w)
{
    static const char *const cap[] = {"Unknown", "Informational", "Low",   "Medium",
                                      "High",    "Critical",      "Fatal"};
    enum norm_col c = NCOL_SEVERITY;
    const struct json_field *f = norm_str(&n->rec, c);
    if (!f && n->rec.af_split)
        f = norm_str(&n->rec, c = NCOL_AF_SEVERITY);
    if (!f) {
        OCSF_LIT(w, ",\"severity_id\":0,\"severity\":\"Unknown\"");
        return;
    }
    int id = norm_enum_find(&norm_enums[NE_SEVERITY], f->val, f->val_len);
    n->rec.used[c]++;
    OCSF_LIT(w, ",\"severity_id\":");
    if (id < 0 || id > 6) {
        OCSF_LIT(w, "99,\"severity\":");
        ocsf_str_fast(w, f->val, f->val_len, f->flags & JSON_F_CLEAN);
        return;
    }
    ocsf_i64(w, id);
    OCSF_LIT(w, ",\"severity\":\"");
    ocsf_raw(w, cap[id], strlen(cap[id]));
    ocsf_ch(w, '"');
}

/* The program for this record: prog_in for inbound flows (AF.direction, else the
 * class's default), prog otherwise. */
static const struct norm_node *pick_prog(struct norm *n, const struct norm_class *cls)
{
    if (!cls->prog_in)
        return cls->prog;
    bool in = cls->dir_in;
    const struct json_field *d = norm_str(&n->rec, NCOL_AF_DIRECTION);
    if (d && norm_ieq(d->val, d->val_len, "in", 2)) {
        in = true;
        norm_use(n, NCOL_AF_DIRECTION);
    } else if (d && norm_ieq(d->val, d->val_len, "out", 3)) {
        in = false;
        norm_use(n, NCOL_AF_DIRECTION);
    }
    return in ? cls->prog_in : cls->prog;
}

/* Write the event; returns NULL, or the label path when the class could not be
 * built (the line is then cut and nothing was written). */
static const char *write_event(struct norm *n, struct ocsf_w *w, const struct norm_class *cls,
                               const struct rec_time *tm, const char uid[36],
                               const char *degraded)
{
    struct norm_rec *r = &n->rec;
    size_t line = ocsf_pos(w);
    memset(r->used, 0, sizeof(r->used));
    n->nlog = 0;
    r->time_used = r->tenant_used = false;

    const struct json_field *act = norm_str(r, NCOL_ACTION_TYPE);
    const struct json_field *ts = norm_str(r, NCOL_TIMESTAMP);
    ocsf_raw(w, cls->head, strlen(cls->head));
    if (cls->activity)
        ocsf_raw(w, cls->activity, strlen(cls->activity));
    else if (act)
        ocsf_str_fast(w, act->val, act->val_len, act->flags & JSON_F_CLEAN);
    else
        ocsf_str(w, r->table_name, r->table_len);
    ocsf_raw(w, cls->tail, strlen(cls->tail));
    if (cls->sev)
        ocsf_raw(w, cls->sev, strlen(cls->sev));
    else
        write_severity(n, w);
    OCSF_LIT(w, ",\"time\":");
    ocsf_i64(w, tm->ms);
    OCSF_LIT(w, ",\"timezone_offset\":0,\"metadata\":{\"version\":\"1.8.0\",\"product\":"
                "{\"name\":\"Microsoft Defender XDR\",\"vendor_name\":\"Microsoft\"}");
    bool host = cls->host || norm_str(r, NCOL_DEVICE_NAME) || norm_str(r, NCOL_DEVICE_ID);
    if (host && cls->sc)
        OCSF_LIT(w, ",\"profiles\":[\"host\",\"security_control\"]");
    else if (host)
        OCSF_LIT(w, ",\"profiles\":[\"host\"]");
    else if (cls->sc)
        OCSF_LIT(w, ",\"profiles\":[\"security_control\"]");
    OCSF_LIT(w, ",\"uid\":\"");
    ocsf_raw(w, uid, 36);
    ocsf_ch(w, '"');
    if (tm->ts_ok) {
        OCSF_LIT(w, ",\"original_time\":");
        ocsf_str_fast(w, ts->val, ts->val_len, ts->flags & JSON_F_CLEAN);
        r->used[NCOL_TIMESTAMP]++;
    }
    if (tm->env_ok) {
        OCSF_LIT(w, ",\"logged_time\":");
        ocsf_i64(w, tm->env_ms);
        r->time_used = true;
    }
    OCSF_LIT(w, ",\"log_name\":");
    ocsf_str(w, r->table_name, r->table_len);
    OCSF_LIT(w, ",\"log_provider\":\"Microsoft Defender XDR Streaming API\"");
    if (r->env_tenant) {
        const struct json_field *t = &r->f[r->env_tenant - 1];
        if (t->type == JSON_STRING && t->val_len) {
            OCSF_LIT(w, ",\"tenant_uid\":");
            ocsf_str_fast(w, t->val, t->val_len, t->flags & JSON_F_CLEAN);
            r->tenant_used = true;
        }
    }
    OCSF_LIT(w, ",\"type\":");
    ocsf_raw(w, cls->type, strlen(cls->type));
    const struct json_field *rid = norm_field(r, NCOL_REPORT_ID);
    const struct json_field *alert = is_alert_table(r->table) ? norm_str(r, NCOL_ALERT_ID) : NULL;
    if (rid && rid->type == JSON_NUMBER && (rid->flags & JSON_F_INT)) {
        OCSF_LIT(w, ",\"original_event_uid\":\"");
        ocsf_i64(w, rid->i);
        ocsf_ch(w, '"');
        r->used[NCOL_REPORT_ID]++;
    } else if (rid && rid->type == JSON_STRING) {
        OCSF_LIT(w, ",\"original_event_uid\":");
        ocsf_str(w, rid->val, rid->val_len);
        r->used[NCOL_REPORT_ID]++;
    } else if (alert) {
        OCSF_LIT(w, ",\"original_event_uid\":");
        ocsf_str(w, alert->val, alert->val_len);
    }
    if (alert) {
        OCSF_LIT(w, ",\"correlation_uid\":");
        ocsf_str(w, alert->val, alert->val_len);
        r->used[NCOL_ALERT_ID]++;
    }
    if (act) {
        OCSF_LIT(w, ",\"event_code\":");
        ocsf_str_fast(w, act->val, act->val_len, act->flags & JSON_F_CLEAN);
        r->used[NCOL_ACTION_TYPE]++;
    }
    if (!tm->ts_ok || degraded) {
        OCSF_LIT(w, ",\"labels\":[");
        if (!tm->ts_ok)
            OCSF_LIT(w, "\"sluice:time-from-envelope\"");
        if (degraded) {
            if (!tm->ts_ok)
                ocsf_ch(w, ',');
            OCSF_LIT(w, "\"sluice:degraded:");
            ocsf_str_body(w, degraded, strlen(degraded));
            ocsf_ch(w, '"');
        }
        ocsf_ch(w, ']');
    }
    if (cls->meta)
        ocsf_raw(w, cls->meta, strlen(cls->meta));
    ocsf_ch(w, '}');

    const char *missing = norm_emit_prog(n, w, pick_prog(n, cls));
    if (missing) {
        ocsf_cut(w, line);
        return missing;
    }
    if (cls->post)
        ocsf_raw(w, cls->post, strlen(cls->post));
    write_unmapped(n, w);
    if (n->keep_original) {
        OCSF_LIT(w, ",\"raw_data\":");
        ocsf_str(w, r->jr->raw, r->jr->raw_len);
    }
    OCSF_LIT(w, "}\n");
    return NULL;
}

/* ---- dead letters --------------------------------------------------------- */

static COLD_NOINLINE void dead_letter(struct ocsf_w *w, const struct norm_msg *m,
                                      enum norm_dead why, const char *detail,
                                      const struct json_record *jr, const char *raw,
                                      size_t raw_len, struct norm_stats *st)
{
    OCSF_LIT(w, "{\"reason\":\"");
    const char *name = norm_dead_name(why);
    ocsf_raw(w, name, strlen(name));
    OCSF_LIT(w, "\",\"detail\":");
    ocsf_str(w, detail, strlen(detail));
    OCSF_LIT(w, ",\"partition\":");
    ocsf_u64(w, m->partition);
    OCSF_LIT(w, ",\"sequence_number\":");
    ocsf_i64(w, m->seq);
    if (jr) {
        OCSF_LIT(w, ",\"record_index\":");
        ocsf_u64(w, jr->index);
    }
    OCSF_LIT(w, ",\"enqueued_time\":");
    ocsf_i64(w, m->enq_ms);
    OCSF_LIT(w, ",\"raw\":");
    ocsf_str_any(w, raw, raw_len);
    OCSF_LIT(w, "}\n");
    st->dead[why]++;
}

/* ---- records and messages ------------------------------------------------- */

static void uuid_prefix(struct norm *n, const struct norm_msg *m)
{
    char d[24];
    norm_uuid5_begin(&n->uuid_pre);
    if (m->origin_len) {
        norm_sha1_update(&n->uuid_pre, "file|", 5);
        norm_sha1_update(&n->uuid_pre, m->origin, m->origin_len);
        norm_sha1_update(&n->uuid_pre, "|", 1);
        return;
    }
    norm_sha1_update(&n->uuid_pre, n->eh_prefix, n->eh_prefix_len);
    norm_sha1_update(&n->uuid_pre, d, ocsf_fmt_u64(d, m->partition));
    norm_sha1_update(&n->uuid_pre, "|", 1);
    size_t k = 0;
    uint64_t s = (uint64_t)m->seq;
    if (m->seq < 0) {
        d[k++] = '-';
        s = 0 - s;
    }
    k += ocsf_fmt_u64(d + k, s);
    norm_sha1_update(&n->uuid_pre, d, k);
    norm_sha1_update(&n->uuid_pre, "|", 1);
}

static void uuid_record(const struct norm *n, const struct norm_msg *m, uint32_t index,
                        char out[36])
{
    struct norm_sha1 c = n->uuid_pre;
    char d[24];
    uint64_t v = m->origin_len ? (uint64_t)m->origin_line + index : index;
    norm_sha1_update(&c, d, ocsf_fmt_u64(d, v));
    norm_uuid5_end(&c, out);
}

/* Follow the class's variants (HTTP method, WasRemediated, ...). */
static const struct norm_class *pick_case(const struct norm_rec *r, const struct norm_class *cls)
{
    for (int depth = 0; cls->cases && depth < 4; depth++) {
        const struct json_field *f = norm_field(r, (enum norm_col)cls->sw);
        const struct norm_case *c = cls->cases;
        if (f) {
            const char *v = f->type == JSON_BOOL ? (f->i ? "true" : "false") : f->val;
            size_t vl = f->type == JSON_BOOL ? strlen(v) : f->val_len;
            if (f->type == JSON_STRING || f->type == JSON_BOOL)
                while (c->val && !norm_ieq(v, vl, c->val, strlen(c->val)))
                    c++;
            else
                while (c->val)
                    c++;
        } else {
            while (c->val)
                c++;
        }
        if (!c->cls)
            break;
        cls = c->cls;
    }
    return cls;
}

static int do_record(struct norm *n, const struct norm_msg *m, const struct json_record *jr,
                     struct ocsf_w *ev, struct ocsf_w *dw, struct norm_stats *st)
{
    struct norm_rec *r = &n->rec;
    int rc = index_record(n, jr);
    if (rc)
        return rc;

    const struct json_field *cat = r->env_category ? &r->f[r->env_category - 1] : NULL;
    if (!cat || cat->type != JSON_STRING || cat->val_len == 0) {
        dead_letter(dw, m, ND_NO_TABLE, "record has no usable category", jr, jr->raw,
                    jr->raw_len, st);
        return 0;
    }
    r->table_name = cat->val;
    r->table_len = cat->val_len;
    if (r->table_len > AH_PREFIX_LEN && memcmp(r->table_name, AH_PREFIX, AH_PREFIX_LEN) == 0) {
        r->table_name += AH_PREFIX_LEN;
        r->table_len -= AH_PREFIX_LEN;
    } else if (r->table_len == AH_PREFIX_LEN &&
               memcmp(r->table_name, AH_PREFIX, AH_PREFIX_LEN) == 0) {
        dead_letter(dw, m, ND_NO_TABLE, "record has no usable category", jr, jr->raw,
                    jr->raw_len, st);
        return 0;
    }
    r->table = table_of(r->table_name, r->table_len);

    struct rec_time tm = {0};
    const struct json_field *ts = norm_str(r, NCOL_TIMESTAMP);
    tm.ts_ok = ts && norm_time_parse(ts->val, ts->val_len, &tm.ms) == 0;
    if (r->env_time) {
        const struct json_field *t = &r->f[r->env_time - 1];
        tm.env_ok = t->type == JSON_STRING && norm_time_parse(t->val, t->val_len, &tm.env_ms) == 0;
    }
    if (!tm.ts_ok) {
        if (!tm.env_ok) {
            dead_letter(dw, m, ND_NO_TIME, "record has neither a usable Timestamp nor time", jr,
                        jr->raw, jr->raw_len, st);
            return 0;
        }
        tm.ms = tm.env_ms;
    }

    const struct json_field *act = norm_str(r, NCOL_ACTION_TYPE);
    const struct norm_class *cls =
        norm_route(r->table, act ? act->val : NULL, act ? act->val_len : 0);
    r->naf = 0;
    r->af_split = false;
    if (norm_class_reads_af(cls)) {
        rc = norm_af_split(n);
        if (rc)
            return rc;
    }
    cls = pick_case(r, cls);
    char uid[36];
    uuid_record(n, m, jr->index, uid);
    size_t before = ocsf_pos(ev);
    const char *missing = write_event(n, ev, cls, &tm, uid, NULL);
    if (missing) {
        cls = &norm_class_generic;
        (void)write_event(n, ev, cls, &tm, uid, missing);
    }
    st->events++;
    st->by_table[r->table]++;
    st->by_cat[cls->cat]++;
    st->bytes_out += ocsf_pos(ev) - before;
    return 0;
}

/* A body whose UTF-8 is invalid: repair into n->fix (U+FFFD per bad sequence). */
static COLD_NOINLINE int repair_body(struct norm *n, const char **body, size_t *len)
{
    size_t need;
    if (!mem_mul_ok(*len, 3, &need) || !mem_add_ok(need, JSON_PAD, &need))
        return -ENOMEM;
    buf_reset(&n->fix);
    int rc = buf_reserve(&n->fix, need);
    if (rc)
        return rc;
    size_t k = ocsf_utf8_repair(n->fix.p, *body, *len);
    memset(n->fix.p + k, 0, JSON_PAD);
    *body = n->fix.p;
    *len = k;
    return 0;
}

int norm_message(struct norm *n, const struct norm_msg *m, struct buf *events, struct buf *dead,
                 struct norm_stats *st)
{
    struct ocsf_w ev, dw;
    ocsf_w_init(&ev, events);
    ocsf_w_init(&dw, dead);
    st->messages++;
    st->bytes_in += m->len;

    const char *body = m->body;
    size_t len = m->len;
    int rc = json_body_begin(n->jp, body, len);
    if (rc == -EILSEQ) {
        rc = repair_body(n, &body, &len);
        if (rc)
            return rc;
        rc = json_body_begin(n->jp, body, len);
    }
    if (rc == -ENOMEM)
        return rc;
    if (rc) {
        st->records++;
        if (rc == ERR_NOT_RECORDS)
            dead_letter(&dw, m, ND_NOT_RECORDS, "body has no records array", NULL, m->body,
                        m->len, st);
        else
            dead_letter(&dw, m, ND_INVALID_JSON, "body is not valid JSON", NULL, m->body, m->len,
                        st);
        return dw.err ? dw.err : 1;
    }

    uuid_prefix(n, m);
    int count = 0;
    struct json_record jr;
    while ((rc = json_body_next(n->jp, &jr)) != 0) {
        if (rc != 1 && rc != ERR_JSON)
            return rc;
        count++;
        st->records++;
        if (rc == ERR_JSON) {
            dead_letter(&dw, m, ND_INVALID_JSON,
                        jr.rest ? "rest of body is not valid JSON" : "record is not valid JSON",
                        &jr, jr.raw, jr.raw_len, st);
        } else if (jr.type != JSON_OBJECT) {
            dead_letter(&dw, m, ND_NO_TABLE, "record is not a JSON object", &jr, jr.raw,
                        jr.raw_len, st);
        } else {
            rc = do_record(n, m, &jr, &ev, &dw, st);
            if (rc)
                return rc;
        }
        if (ev.err || dw.err)
            return ev.err ? ev.err : dw.err;
    }
    return count;
}
