/* norm_dump.c - normalize JSON-lines files of Defender records to OCSF NDJSON.
 *
 * DESIGN
 * Test driver for the script tests: every non-blank line of each FILE is one
 * record; it is wrapped as its own message body {"records":[<line>]} and run
 * through norm_message() with file ids (origin = the file's base name,
 * origin_line = the line number), so metadata.uid = UUIDv5("file|<name>|<line>")
 * as in reference/ocsf_examples/. Events go to stdout, dead letters to stderr.
 * A last line on stderr counts records, events and dead letters.
 *
 * Usage: norm_dump [--keep-original] FILE...
 * Exit: 0, 1 when any record became a dead letter, 2 on usage or I/O errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "buf.h"
#include "norm.h"

static int dump_file(struct norm *n, const char *path, struct norm_stats *st)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    struct buf body = {0}, ev = {0}, dead = {0};
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    uint32_t lineno = 0;
    int rc = 0;
    while ((got = getline(&line, &cap, f)) >= 0) {
        lineno++;
        size_t len = (size_t)got;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        size_t i = 0;
        while (i < len && (line[i] == ' ' || line[i] == '\t'))
            i++;
        if (i == len)
            continue;
        buf_reset(&body);
        if (buf_append(&body, "{\"records\":[", 12) || buf_append(&body, line, len) ||
            buf_append(&body, "]}", 2) || buf_reserve(&body, JSON_PAD)) {
            rc = -1;
            break;
        }
        memset(body.p + body.len, 0, JSON_PAD);
        struct norm_msg m = {
            .body = body.p,
            .len = body.len,
            .partition = 0,
            .seq = lineno,
            .enq_ms = 0,
            .origin = base,
            .origin_len = strlen(base),
            .origin_line = lineno,
        };
        buf_reset(&ev);
        buf_reset(&dead);
        int k = norm_message(n, &m, &ev, &dead, st);
        if (k < 0) {
            fprintf(stderr, "%s:%u: norm_message failed: %d\n", path, lineno, k);
            rc = -1;
            break;
        }
        fwrite(ev.p, 1, ev.len, stdout);
        fwrite(dead.p, 1, dead.len, stderr);
    }
    free(line);
    buf_fini(&body);
    buf_fini(&ev);
    buf_fini(&dead);
    fclose(f);
    return rc;
}

int main(int argc, char **argv)
{
    struct norm_cfg cfg = {.ns = "", .hub = "", .keep_original = false};
    int first = 1;
    if (argc > 1 && strcmp(argv[1], "--keep-original") == 0) {
        cfg.keep_original = true;
        first = 2;
    }
    if (first >= argc) {
        fprintf(stderr, "usage: norm_dump [--keep-original] FILE...\n");
        return 2;
    }
    struct norm *n = norm_create(&cfg);
    if (!n) {
        fprintf(stderr, "norm_create failed\n");
        return 2;
    }
    struct norm_stats st = {0};
    int rc = 0;
    for (int i = first; i < argc && rc == 0; i++)
        rc = dump_file(n, argv[i], &st);
    norm_destroy(n);
    uint64_t dead = 0;
    for (int i = 0; i < ND__COUNT; i++)
        dead += st.dead[i];
    fprintf(stderr, "records %llu events %llu dead %llu\n", (unsigned long long)st.records,
            (unsigned long long)st.events, (unsigned long long)dead);
    if (rc)
        return 2;
    return dead ? 1 : 0;
}
