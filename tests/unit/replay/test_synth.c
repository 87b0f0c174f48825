/* test_synth.c - synthetic Defender traffic (tools/replay/synth.h): determinism, totals,
 * round-robin partitions, sequence numbers and offsets, the table mix, body framing, and
 * JSON validity of every body (a small strict JSON checker below). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "err.h"
#include "harness.h"
#include "synth.h"

static char g_dir[256];

static const char *tmp_path(const char *name)
{
    static char p[4][512];
    static int i;
    if (!g_dir[0]) {
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(g_dir, sizeof(g_dir), "%s/test_synth.XXXXXX", base);
        if (!mkdtemp(g_dir)) {
            perror("mkdtemp");
            exit(1);
        }
    }
    i = (i + 1) % 4;
    snprintf(p[i], sizeof(p[i]), "%s/%s", g_dir, name);
    return p[i];
}

static int gen_cap(const char *path, uint64_t events, uint32_t parts, uint32_t k, uint64_t seed)
{
    int err = 0;
    struct capture_writer *w = capture_writer_create(path, "synth.servicebus.windows.net",
                                                     "defender", parts, 0, &err);
    if (!w)
        return err;
    int rc = capture_writer_set_created_ms(w, 0);
    if (!rc) {
        struct synth_opts o = {.events = events, .partitions = parts,
                               .records_per_message = k, .seed = seed, .start_ms = 0};
        rc = synth_generate(w, &o);
    }
    int rc2 = capture_writer_close(w);
    return rc ? rc : rc2;
}

/* --- a strict JSON syntax checker (RFC 8259), enough to say "valid JSON" --- */

struct jp {
    const char *p, *e;
    int depth;
};

static void ws(struct jp *j)
{
    while (j->p < j->e && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static bool lit(struct jp *j, const char *s)
{
    size_t n = strlen(s);
    if ((size_t)(j->e - j->p) < n || memcmp(j->p, s, n) != 0)
        return false;
    j->p += n;
    return true;
}

static bool hexd(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool jstring(struct jp *j)
{
    if (j->p >= j->e || *j->p != '"')
        return false;
    j->p++;
    while (j->p < j->e) {
        unsigned char c = (unsigned char)*j->p++;
        if (c == '"')
            return true;
        if (c < 0x20)
            return false;
        if (c == '\\') {
            if (j->p >= j->e)
                return false;
            char x = *j->p++;
            if (x == 'u') {
                if (j->e - j->p < 4 || !hexd(j->p[0]) || !hexd(j->p[1]) || !hexd(j->p[2]) ||
                    !hexd(j->p[3]))
                    return false;
                j->p += 4;
            } else if (!strchr("\"\\/bfnrt", x)) {
                return false;
            }
        }
    }
    return false;
}

static bool jnumber(struct jp *j)
{
    const char *s = j->p;
    if (j->p < j->e && *j->p == '-')
        j->p++;
    if (j->p >= j->e || *j->p < '0' || *j->p > '9')
        return false;
    if (*j->p == '0')
        j->p++;
    else
        while (j->p < j->e && *j->p >= '0' && *j->p <= '9')
            j->p++;
    if (j->p < j->e && *j->p == '.') {
        j->p++;
        if (j->p >= j->e || *j->p < '0' || *j->p > '9')
            return false;
        while (j->p < j->e && *j->p >= '0' && *j->p <= '9')
            j->p++;
    }
    if (j->p < j->e && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->e && (*j->p == '+' || *j->p == '-'))
            j->p++;
        if (j->p >= j->e || *j->p < '0' || *j->p > '9')
            return false;
        while (j->p < j->e && *j->p >= '0' && *j->p <= '9')
            j->p++;
    }
    return j->p > s;
}

static bool jvalue(struct jp *j);

static bool jcontainer(struct jp *j, char open, char close, bool obj)
{
    if (j->p >= j->e || *j->p != open || ++j->depth > 64)
        return false;
    j->p++;
    ws(j);
    if (j->p < j->e && *j->p == close) {
        j->p++;
        j->depth--;
        return true;
    }
    for (;;) {
        ws(j);
        if (obj) {
            if (!jstring(j))
                return false;
            ws(j);
            if (j->p >= j->e || *j->p++ != ':')
                return false;
            ws(j);
        }
        if (!jvalue(j))
            return false;
        ws(j);
        if (j->p >= j->e)
            return false;
        char c = *j->p++;
        if (c == close) {
            j->depth--;
            return true;
        }
        if (c != ',')
            return false;
    }
}

static bool jvalue(struct jp *j)
{
    if (j->p >= j->e)
        return false;
    switch (*j->p) {
    case '{': return jcontainer(j, '{', '}', true);
    case '[': return jcontainer(j, '[', ']', false);
    case '"': return jstring(j);
    case 't': return lit(j, "true");
    case 'f': return lit(j, "false");
    case 'n': return lit(j, "null");
    default: return jnumber(j);
    }
}

static bool json_valid(const char *s, size_t n)
{
    struct jp j = {s, s + n, 0};
    ws(&j);
    if (!jvalue(&j))
        return false;
    ws(&j);
    return j.p == j.e;
}

static size_t count(const char *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle), c = 0;
    const char *p = hay, *e = hay + n;
    while ((p = memmem(p, (size_t)(e - p), needle, k)) != NULL) {
        c++;
        p += k;
    }
    return c;
}

/* Every message of a capture in generation order (message i: partition i mod P). */
struct scan {
    uint64_t messages, records, bytes;
    uint64_t bad_frame, bad_json, bad_order, bad_seq, bad_off, bad_k;
    uint64_t ts_keys, cat_keys;
    uint64_t tables[12];
    uint64_t numstr, uesc, spaced, af_obj;
};

static const char *const tables[12] = {
    "DeviceProcessEvents", "DeviceNetworkEvents", "DeviceFileEvents", "DeviceRegistryEvents",
    "DeviceLogonEvents", "DeviceImageLoadEvents", "DeviceEvents", "DeviceInfo",
    "DeviceNetworkInfo", "DeviceFileCertificateInfo", "AlertInfo", "AlertEvidence"};

static int scan_cap(const char *path, uint32_t parts, uint32_t k, uint64_t events, bool json,
                    struct scan *s)
{
    memset(s, 0, sizeof(*s));
    struct capture c;
    int rc = capture_open(path, &c);
    if (rc)
        return rc;
    if (c.partitions != parts) {
        capture_close(&c);
        return -EINVAL;
    }
    struct capture_reader **rd = calloc(parts, sizeof(*rd));
    uint64_t *off = calloc(parts, sizeof(*off));
    for (uint32_t p = 0; p < parts && !rc; p++) {
        rd[p] = capture_reader_open(path, &c, p, -1, &rc);
        if (!rd[p] && !rc)
            rc = -EIO;
    }
    uint64_t nmsg = events ? (events + k - 1) / k : 0;
    int64_t last_enq = -1;
    for (uint64_t i = 0; i < nmsg && !rc; i++) {
        uint32_t p = (uint32_t)(i % parts);
        struct capture_event ev;
        int n = capture_reader_next(rd[p], &ev);
        if (n != 1) {
            rc = n < 0 ? n : -ENODATA;
            break;
        }
        s->messages++;
        s->records += ev.records;
        s->bytes += ev.body_len;
        uint32_t want = i + 1 < nmsg ? k : (uint32_t)(events - (nmsg - 1) * k);
        if (ev.records != want)
            s->bad_k++;
        if (ev.seq != (int64_t)(i / parts))
            s->bad_seq++;
        char offs[24];
        int ol = snprintf(offs, sizeof(offs), "%llu", (unsigned long long)off[p]);
        if (ev.off_len != (size_t)ol || memcmp(ev.off, offs, (size_t)ol) != 0 || ev.key_len ||
            ev.origin_len)
            s->bad_off++;
        off[p] += ev.body_len;
        if (ev.enq_ms <= last_enq)
            s->bad_order++;
        last_enq = ev.enq_ms;
        if (ev.body_len < 14 || memcmp(ev.body, "{\"records\":[", 12) != 0 ||
            memcmp(ev.body + ev.body_len - 2, "]}", 2) != 0)
            s->bad_frame++;
        if (json && !json_valid(ev.body, ev.body_len))
            s->bad_json++;
        s->ts_keys += count(ev.body, ev.body_len, "\"Timestamp\":");
        s->cat_keys += count(ev.body, ev.body_len, "\"category\":");
        for (int t = 0; t < 12; t++) {
            char needle[64];
            snprintf(needle, sizeof(needle), "\"AdvancedHunting-%s\"", tables[t]);
            s->tables[t] += count(ev.body, ev.body_len, needle);
        }
        s->numstr += count(ev.body, ev.body_len, "\"ReportId\":\"");
        s->uesc += count(ev.body, ev.body_len, "\\u00ae");
        s->spaced += count(ev.body, ev.body_len, "\"ActionType\": \"");
        s->af_obj += count(ev.body, ev.body_len, "\"AdditionalFields\":{");
    }
    for (uint32_t p = 0; p < parts && !rc; p++) { /* nothing left over */
        struct capture_event ev;
        if (rd[p] && capture_reader_next(rd[p], &ev) != 0)
            rc = -E2BIG;
    }
    for (uint32_t p = 0; p < parts; p++)
        if (rd[p])
            capture_reader_close(rd[p]);
    free(rd);
    free(off);
    capture_close(&c);
    return rc;
}

TEST(json_checker_itself)
{
    static const char *const good[] = {
        "{}", "[]", "{\"a\":[1,-2.5e3,true,false,null,\"\\u00ae\\n\"]}",
        " {\"a\" : {\"b\":\"c\"} } "};
    static const char *const bad[] = {"{", "{\"a\":}", "{\"a\":1,}", "[1 2]", "{\"a\":\"x}",
                                      "{\"a\":\"\\q\"}", "{a:1}", "{\"a\":01}", "{}x", "\"\\u12\""};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        CHECK(json_valid(good[i], strlen(good[i])));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (json_valid(bad[i], strlen(bad[i])))
            HFAIL("accepted invalid JSON: %s", bad[i]);
}

TEST(deterministic_for_a_seed)
{
    const char *a = tmp_path("a.cap"), *b = tmp_path("b.cap"), *c = tmp_path("c.cap");
    REQUIRE(gen_cap(a, 5003, 4, 0, 42) == 0);
    REQUIRE(gen_cap(b, 5003, 4, 0, 42) == 0);
    REQUIRE(gen_cap(c, 5003, 4, 0, 43) == 0);
    size_t na = 0, nb = 0, nc = 0;
    char *fa = harness_read_file(a, &na), *fb = harness_read_file(b, &nb), *fc = harness_read_file(c, &nc);
    REQUIRE(fa && fb && fc);
    CHECK(na > 1000);
    CHECK_EQ_U64(na, nb);
    CHECK(na == nb && memcmp(fa, fb, na) == 0);
    CHECK(na != nc || memcmp(fa, fc, na) != 0);
    free(fa);
    free(fb);
    free(fc);
}

TEST(totals_round_robin_offsets_and_valid_json)
{
    const char *a = tmp_path("rr.cap");
    const uint64_t events = 3007;
    const uint32_t parts = 7, k = 10;
    REQUIRE(gen_cap(a, events, parts, 0, 1) == 0); /* 0: K defaults to 10 */
    struct scan s;
    REQUIRE(scan_cap(a, parts, k, events, true, &s) == 0);
    CHECK_EQ_U64(s.records, events);
    CHECK_EQ_U64(s.messages, (events + k - 1) / k);
    CHECK_EQ_U64(s.bad_k, 0);
    CHECK_EQ_U64(s.bad_seq, 0);
    CHECK_EQ_U64(s.bad_off, 0);
    CHECK_EQ_U64(s.bad_order, 0);
    CHECK_EQ_U64(s.bad_frame, 0);
    CHECK_EQ_U64(s.bad_json, 0);
    CHECK_EQ_U64(s.cat_keys, events);
    CHECK_EQ_U64(s.ts_keys, events);
    /* per-partition summary agrees with round-robin */
    struct capture c;
    REQUIRE(capture_open(a, &c) == 0);
    uint64_t nmsg = (events + k - 1) / k;
    for (uint32_t p = 0; p < parts; p++)
        CHECK_EQ_U64(c.part[p].messages, nmsg / parts + (p < nmsg % parts));
    capture_close(&c);
}

TEST(all_tables_and_a_realistic_mix)
{
    const char *a = tmp_path("mix.cap");
    const uint64_t events = 20000;
    REQUIRE(gen_cap(a, events, 16, 0, 7) == 0);
    struct scan s;
    REQUIRE(scan_cap(a, 16, 10, events, false, &s) == 0);
    CHECK_EQ_U64(s.records, events);
    CHECK_EQ_U64(s.bad_frame, 0);
    uint64_t sum = 0;
    for (int t = 0; t < 12; t++) {
        if (s.tables[t] == 0)
            HFAIL("no AdvancedHunting-%s record in %llu", tables[t], (unsigned long long)events);
        sum += s.tables[t];
    }
    CHECK_EQ_U64(sum, events);
    /* process and network dominate, alerts are rare */
    CHECK(s.tables[0] > events / 5 && s.tables[0] < events * 3 / 10);
    CHECK(s.tables[1] > events / 5 && s.tables[1] < events * 3 / 10);
    CHECK(s.tables[2] > s.tables[3] && s.tables[3] > s.tables[4]);
    CHECK(s.tables[10] + s.tables[11] < events / 100);
    /* a little drift of each kind checked here, never most records */
    CHECK(s.numstr > 0 && s.numstr < events / 50);
    CHECK(s.uesc > 0 && s.uesc < events / 50);
    CHECK(s.spaced > 0 && s.spaced < events / 50);
    CHECK(s.af_obj > 0 && s.af_obj < events / 20);
}

TEST(records_per_message_and_edges)
{
    const char *a = tmp_path("k.cap");
    struct scan s;
    REQUIRE(gen_cap(a, 101, 3, 1, 5) == 0);
    REQUIRE(scan_cap(a, 3, 1, 101, true, &s) == 0);
    CHECK_EQ_U64(s.messages, 101);
    CHECK_EQ_U64(s.records, 101);
    CHECK_EQ_U64(s.bad_json + s.bad_k + s.bad_seq + s.bad_off + s.bad_frame, 0);
    REQUIRE(gen_cap(a, 1000, 2, 37, 5) == 0);
    REQUIRE(scan_cap(a, 2, 37, 1000, true, &s) == 0);
    CHECK_EQ_U64(s.messages, 28);
    CHECK_EQ_U64(s.records, 1000);
    CHECK_EQ_U64(s.bad_json + s.bad_k + s.bad_seq + s.bad_off + s.bad_frame, 0);
    REQUIRE(gen_cap(a, 0, 2, 0, 5) == 0); /* nothing to write is fine */
    REQUIRE(scan_cap(a, 2, 10, 0, true, &s) == 0);
    CHECK_EQ_U64(s.messages, 0);
    /* bad options */
    int err = 0;
    struct capture_writer *w = capture_writer_create(a, "", "", 2, 0, &err);
    REQUIRE(w);
    struct synth_opts o = {.events = 10, .partitions = 0};
    CHECK_EQ_INT(synth_generate(w, &o), -EINVAL);
    o.partitions = 2;
    o.records_per_message = 70000;
    CHECK_EQ_INT(synth_generate(w, &o), -EINVAL);
    CHECK_EQ_INT(synth_generate(w, NULL), -EINVAL);
    CHECK_EQ_INT(capture_writer_close(w), 0);
}

TEST(start_time_is_honoured)
{
    const char *a = tmp_path("t.cap");
    int err = 0;
    struct capture_writer *w = capture_writer_create(a, "", "", 1, 0, &err);
    REQUIRE(w);
    /* 2030-01-02T03:04:05Z */
    struct synth_opts o = {.events = 50, .partitions = 1, .seed = 3, .start_ms = 1893553445000LL};
    CHECK_EQ_INT(synth_generate(w, &o), 0);
    CHECK_EQ_INT(capture_writer_close(w), 0);
    struct capture c;
    REQUIRE(capture_open(a, &c) == 0);
    struct capture_reader *r = capture_reader_open(a, &c, 0, -1, &err);
    REQUIRE(r);
    struct capture_event ev;
    REQUIRE(capture_reader_next(r, &ev) == 1);
    CHECK(memmem(ev.body, ev.body_len, "\"Timestamp\":\"2030-01-02T03:04:0", 31) != NULL ||
          memmem(ev.body, ev.body_len, "\"Timestamp\": \"2030-01-02T03:04:0", 32) != NULL);
    CHECK(ev.enq_ms > 1893553445000LL);
    capture_reader_close(r);
    capture_close(&c);
}

TEST(cleanup)
{
    const char *names[] = {"a.cap", "b.cap", "c.cap", "rr.cap", "mix.cap", "k.cap", "t.cap"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        (void)unlink(tmp_path(names[i]));
    if (g_dir[0])
        CHECK(rmdir(g_dir) == 0);
}

TEST_MAIN()
