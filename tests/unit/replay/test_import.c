/* test_import.c - `sluice-replay import` grouping (tools/replay/import.h) and the
 * stat summary (stat.h). */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "err.h"
#include "harness.h"
#include "import.h"
#include "log.h"
#include "stat.h"

static char g_dir[256];

static const char *tmp_path(const char *name)
{
    static char p[4][512];
    static int i;
    if (!g_dir[0]) {
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(g_dir, sizeof(g_dir), "%s/test_import.XXXXXX", base);
        if (!mkdtemp(g_dir)) {
            perror("mkdtemp");
            exit(1);
        }
    }
    i = (i + 1) % 4;
    snprintf(p[i], sizeof(p[i]), "%s/%s", g_dir, name);
    return p[i];
}

static void spit(const char *path, const char *s)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return;
    fputs(s, f);
    fclose(f);
}

/* One message read back, in import order. */
struct msg {
    uint32_t p;
    int64_t seq, enq_ms;
    char off[24];
    char origin[64];
    uint32_t origin_line, records;
    char *body;
    size_t body_len;
};

/* Import files into a capture and read every message back in import order
 * (message i is partition i mod P, sequence number i div P). */
static struct msg *import_and_read(const char *const *files, size_t nfiles, uint32_t parts,
                                   uint32_t k, bool origin, size_t *nmsg, struct import_stats *st)
{
    const char *cap = tmp_path("imp.cap");
    int err = 0;
    struct capture_writer *w =
        capture_writer_create(cap, origin ? "" : "ns.servicebus.windows.net",
                              origin ? "" : "hub", parts, 0, &err);
    if (!w)
        return NULL;
    struct import_opts o = {.partitions = parts, .records_per_message = k, .with_origin = origin,
                            .start_ms = 1000000};
    size_t failed;
    int rc = import_files(w, &o, files, nfiles, st, &failed);
    if (capture_writer_close(w) != 0 || rc != 0) {
        HFAIL("import failed: %s", err_str(rc));
        return NULL;
    }
    struct capture c;
    if (capture_open(cap, &c) != 0)
        return NULL;
    size_t n = 0;
    for (uint32_t p = 0; p < parts; p++)
        n += c.part[p].messages;
    struct msg *m = calloc(n + 1, sizeof(*m));
    struct capture_reader **r = calloc(parts, sizeof(*r));
    for (uint32_t p = 0; p < parts; p++)
        r[p] = capture_reader_open(cap, &c, p, -1, &err);
    for (size_t i = 0; i < n; i++) {
        uint32_t p = (uint32_t)(i % parts);
        struct capture_event ev;
        if (!r[p] || capture_reader_next(r[p], &ev) != 1) {
            HFAIL("message %zu missing from partition %u", i, p);
            break;
        }
        m[i].p = p;
        m[i].seq = ev.seq;
        m[i].enq_ms = ev.enq_ms;
        snprintf(m[i].off, sizeof(m[i].off), "%.*s", (int)ev.off_len, ev.off);
        snprintf(m[i].origin, sizeof(m[i].origin), "%.*s", (int)ev.origin_len, ev.origin);
        m[i].origin_line = ev.origin_line;
        m[i].records = ev.records;
        m[i].body = malloc(ev.body_len + 1);
        memcpy(m[i].body, ev.body, ev.body_len);
        m[i].body[ev.body_len] = '\0';
        m[i].body_len = ev.body_len;
    }
    for (uint32_t p = 0; p < parts; p++) {
        struct capture_event ev;
        if (r[p] && capture_reader_next(r[p], &ev) != 0)
            HFAIL("partition %u has more messages than expected", p);
        capture_reader_close(r[p]);
    }
    free(r);
    capture_close(&c);
    *nmsg = n;
    return m;
}

static void free_msgs(struct msg *m, size_t n)
{
    for (size_t i = 0; m && i < n; i++)
        free(m[i].body);
    free(m);
}

/* Round-robin partitions, per-partition seq from 0, offsets = cumulative body
 * bytes of the partition, enqueued time = start + index. */
static void check_envelope(const struct msg *m, size_t n, uint32_t parts)
{
    uint64_t off[64] = {0};
    for (size_t i = 0; i < n; i++) {
        CHECK_EQ_INT(m[i].p, i % parts);
        CHECK_EQ_INT(m[i].seq, (int64_t)(i / parts));
        CHECK_EQ_INT(m[i].enq_ms, 1000000 + (int64_t)i);
        char want[24];
        snprintf(want, sizeof(want), "%llu", (unsigned long long)off[m[i].p]);
        CHECK_EQ_STR(m[i].off, want);
        off[m[i].p] += m[i].body_len;
    }
}

TEST(grouping_blank_lines_non_json_crlf_bom)
{
    const char *a = tmp_path("a.log"), *b = tmp_path("b.json");
    spit(a, "{\"a\":1}\r\n"
            "{\"a\":2}\r\n"
            "  \r\n"
            "{\"a\":4}\n"
            "not json\n"
            "{\"a\":6}\n"
            "  {\"a\":7}  \n"
            "{\"a\":8}\n"
            "{\"a\":9}");
    spit(b, "\xEF\xBB\xBF{\"b\":1}\n{\"b\":2}\n\n\n");
    const char *files[] = {a, b};
    size_t n = 0;
    struct import_stats st;
    struct msg *m = import_and_read(files, 2, 3, 2, true, &n, &st);
    REQUIRE(m != NULL);
    REQUIRE(n == 6);
    static const struct {
        const char *origin;
        uint32_t line, records;
        const char *body;
    } want[] = {
        {"a.log", 1, 2, "{\"records\":[{\"a\":1},{\"a\":2}]}"},
        {"a.log", 4, 1, "{\"records\":[{\"a\":4}]}"},
        {"a.log", 5, 1, "{\"records\":[not json]}"},
        {"a.log", 6, 2, "{\"records\":[{\"a\":6},  {\"a\":7}  ]}"},
        {"a.log", 8, 2, "{\"records\":[{\"a\":8},{\"a\":9}]}"},
        {"b.json", 1, 2, "{\"records\":[{\"b\":1},{\"b\":2}]}"},
    };
    for (size_t i = 0; i < n; i++) {
        CHECK_EQ_STR(m[i].origin, want[i].origin);
        CHECK_EQ_INT(m[i].origin_line, want[i].line);
        CHECK_EQ_INT(m[i].records, want[i].records);
        CHECK_EQ_STR(m[i].body, want[i].body);
    }
    check_envelope(m, n, 3);
    CHECK_EQ_U64(st.files, 2);
    CHECK_EQ_U64(st.records, 10);
    CHECK_EQ_U64(st.messages, 6);
    CHECK_EQ_U64(st.blank, 3);
    CHECK_EQ_U64(st.not_json, 1);
    free_msgs(m, n);

    /* With hub coordinates there is no origin. */
    m = import_and_read(files, 2, 3, 2, false, &n, &st);
    REQUIRE(m != NULL);
    for (size_t i = 0; i < n; i++) {
        CHECK_EQ_STR(m[i].origin, "");
        CHECK_EQ_INT(m[i].origin_line, 0);
    }
    free_msgs(m, n);
}

/* The shared Defender samples: each message is K or fewer consecutive lines of
 * one file, copied verbatim, and all non-blank lines arrive once, in order. */
TEST(shared_samples_round_trip)
{
    glob_t g;
    REQUIRE(glob(SLUICE_SHARED_DIR "/samples/elastic/*.log", 0, NULL, &g) == 0);
    REQUIRE(g.gl_pathc >= 7);
    /* the file lines, by file, as the test reads them (LF, optional CR) */
    char **lines[16] = {0};
    size_t nlines[16] = {0}, total = 0;
    for (size_t f = 0; f < g.gl_pathc && f < 16; f++) {
        FILE *fp = fopen(g.gl_pathv[f], "rb");
        REQUIRE(fp != NULL);
        char *l = NULL;
        size_t cap = 0;
        ssize_t len;
        while ((len = getline(&l, &cap, fp)) >= 0) {
            while (len && (l[len - 1] == '\n' || l[len - 1] == '\r'))
                l[--len] = '\0';
            lines[f] = realloc(lines[f], (nlines[f] + 1) * sizeof(char *));
            lines[f][nlines[f]++] = strdup(l);
            total += len > 0;
        }
        free(l);
        fclose(fp);
    }
    CHECK_EQ_U64(total, 58); /* samples/elastic/README.md */

    static const uint32_t ks[] = {10, 3, 1};
    static const uint32_t ps[] = {4, 5, 64};
    for (size_t t = 0; t < ARRAY_SIZE(ks); t++) {
        size_t n = 0;
        struct import_stats st;
        struct msg *m = import_and_read((const char *const *)g.gl_pathv, g.gl_pathc, ps[t], ks[t],
                                        true, &n, &st);
        REQUIRE(m != NULL);
        check_envelope(m, n, ps[t]);
        CHECK_EQ_U64(st.records, 58);
        size_t f = 0, next_line = 1, records = 0;
        for (size_t i = 0; i < n; i++) {
            /* the next record line: skip blank lines and finished files */
            while (f < g.gl_pathc && (next_line > nlines[f] || !lines[f][next_line - 1][0])) {
                if (next_line > nlines[f]) {
                    f++;
                    next_line = 1;
                } else {
                    next_line++;
                }
            }
            REQUIRE(f < g.gl_pathc);
            CHECK_EQ_STR(m[i].origin, strrchr(g.gl_pathv[f], '/') + 1);
            CHECK_EQ_INT(m[i].origin_line, next_line);
            REQUIRE(m[i].records >= 1 && m[i].records <= ks[t]);
            REQUIRE(next_line - 1 + m[i].records <= nlines[f]);
            /* body = {"records":[<line>,<line>,...]}, lines verbatim */
            size_t need = 16;
            for (uint32_t r = 0; r < m[i].records; r++)
                need += strlen(lines[f][next_line - 1 + r]) + 1;
            char *want = malloc(need);
            size_t w = (size_t)sprintf(want, "{\"records\":[");
            for (uint32_t r = 0; r < m[i].records; r++)
                w += (size_t)sprintf(want + w, "%s%s", r ? "," : "", lines[f][next_line - 1 + r]);
            strcpy(want + w, "]}");
            CHECK_EQ_STR(m[i].body, want);
            free(want);
            next_line += m[i].records;
            /* no blank or non-JSON lines here: a short message ends its file */
            if (m[i].records < ks[t])
                CHECK_EQ_INT(next_line - 1, nlines[f]);
            records += m[i].records;
        }
        CHECK_EQ_U64(records, 58);
        CHECK_EQ_U64(f, g.gl_pathc - 1);
        free_msgs(m, n);
    }
    for (size_t f = 0; f < 16; f++) {
        for (size_t i = 0; i < nlines[f]; i++)
            free(lines[f][i]);
        free(lines[f]);
    }
    globfree(&g);
}

TEST(missing_file_names_its_index)
{
    const char *a = tmp_path("ok.log");
    spit(a, "{\"a\":1}\n");
    const char *files[] = {a, tmp_path("missing.log")};
    int err = 0;
    struct capture_writer *w = capture_writer_create(tmp_path("x.cap"), "", "", 2, 0, &err);
    REQUIRE(w != NULL);
    struct import_opts o = {.partitions = 2, .records_per_message = 10, .with_origin = true};
    struct import_stats st;
    size_t failed = 0;
    CHECK_EQ_INT(import_files(w, &o, files, 2, &st, &failed), -ENOENT);
    CHECK_EQ_U64(failed, 1);
    CHECK_EQ_U64(st.records, 1);
    o.records_per_message = 0;
    CHECK_EQ_INT(import_files(w, &o, files, 1, &st, &failed), -EINVAL);
    CHECK_EQ_INT(capture_writer_close(w), 0);
}

static char *stat_to_string(const char *cap, int *rc)
{
    char *s = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&s, &n);
    *rc = stat_print_json(cap, f);
    fclose(f);
    return s;
}

TEST(stat_json)
{
    const char *a = tmp_path("q\"uote.log");
    spit(a, "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n");
    const char *files[] = {a};
    const char *cap = tmp_path("stat.cap");
    int err = 0;
    struct capture_writer *w = capture_writer_create(cap, "", "", 4, 0, &err);
    REQUIRE(w != NULL);
    struct import_opts o = {.partitions = 4, .records_per_message = 2, .with_origin = true};
    struct import_stats st;
    size_t failed;
    CHECK_EQ_INT(import_files(w, &o, files, 1, &st, &failed), 0);
    CHECK_EQ_INT(capture_writer_close(w), 0);
    int rc;
    char *s = stat_to_string(cap, &rc);
    CHECK_EQ_INT(rc, 0);
    REQUIRE(s != NULL);
    CHECK(strstr(s, "\"namespace\": \"\"") != NULL);
    CHECK(strstr(s, "\"partitions\": 4,") != NULL);
    CHECK(strstr(s, "\"messages\": 2,") != NULL);
    CHECK(strstr(s, "\"records\": 3,") != NULL);
    CHECK(strstr(s, "\"events\": 3,") != NULL);
    /* bodies: {"records":[{"a":1},{"a":2}]} (29) + {"records":[{"a":3}]} (21) */
    CHECK(strstr(s, "\"bytes\": 50,") != NULL);
    CHECK(strstr(s, "\"0\": {\"messages\": 1, \"records\": 2, \"bytes\": 29, \"blocks\": 1, "
                    "\"first_sequence_number\": 0, \"last_sequence_number\": 0, "
                    "\"min_message_bytes\": 29, \"max_message_bytes\": 29, "
                    "\"max_records_per_message\": 2}") != NULL);
    CHECK(strstr(s, "\"3\": {\"messages\": 0, \"records\": 0, \"bytes\": 0, \"blocks\": 0, "
                    "\"first_sequence_number\": -1, \"last_sequence_number\": -1, "
                    "\"min_message_bytes\": 0, \"max_message_bytes\": 0, "
                    "\"max_records_per_message\": 0}") != NULL);
    CHECK(strstr(s, "q\\\"uote") == NULL); /* the input name is not in stat */
    CHECK(strstr(s, "stat.cap\"") != NULL);
    free(s);

    int saved = g_log_level;
    g_log_level = -1;
    s = stat_to_string(a, &rc);
    CHECK_EQ_INT(rc, ERR_FORMAT);
    CHECK(s == NULL || s[0] == '\0'); /* nothing printed on failure */
    free(s);
    g_log_level = saved;
}

static void cleanup(void)
{
    if (!g_dir[0])
        return;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cleanup of %s failed\n", g_dir);
}

__attribute__((constructor)) static void at_start(void) { atexit(cleanup); }

TEST_MAIN()
