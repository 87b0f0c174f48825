/* norm_bench.c - quick throughput check of norm_message() against json_shim_walk().
 *
 * DESIGN
 * Not a ctest (timed tests are not allowed, DESIGN.md §12): a manual tool. It
 * loads JSON-lines sample files, builds Event Hub style bodies of N records each
 * ({"records":[...]}, JSON_PAD zero bytes after each) cycling through the
 * records until about TOTAL_MB of body bytes exist, then times, on one thread:
 *   walk  json_shim_walk() over every body (the raw-parse reference)
 *   norm  norm_message() over every body (events and dead letters into buffers
 *         that are reset per body)
 * Each is run REPS times; the best run is reported in MB/s of body bytes.
 *
 * Usage: norm_bench [-n RECORDS_PER_BODY] [-m TOTAL_MB] [-r REPS] FILE...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "buf.h"
#include "json_shim.h"
#include "mem.h"
#include "norm.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct body {
    char *p;
    size_t len;
};

int main(int argc, char **argv)
{
    int per = 10, reps = 5, opt;
    double total_mb = 64;
    while ((opt = getopt(argc, argv, "n:m:r:")) != -1) {
        if (opt == 'n')
            per = atoi(optarg);
        else if (opt == 'm')
            total_mb = atof(optarg);
        else if (opt == 'r')
            reps = atoi(optarg);
        else
            return 2;
    }
    if (optind >= argc || per < 1 || reps < 1) {
        fprintf(stderr, "usage: norm_bench [-n per_body] [-m total_mb] [-r reps] FILE...\n");
        return 2;
    }
    if (mem_thread_init() != 0)
        return 2;
    char **recs = NULL;
    size_t nrec = 0;
    for (int i = optind; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            perror(argv[i]);
            return 2;
        }
        char *line = NULL;
        size_t cap = 0;
        ssize_t got;
        while ((got = getline(&line, &cap, f)) > 0) {
            while (got && (line[got - 1] == '\n' || line[got - 1] == '\r'))
                line[--got] = 0;
            if (!got)
                continue;
            recs = realloc(recs, (nrec + 1) * sizeof(*recs));
            recs[nrec++] = strdup(line);
        }
        free(line);
        fclose(f);
    }
    if (!nrec)
        return 2;
    size_t target = (size_t)(total_mb * 1024 * 1024), total = 0, nb = 0, k = 0;
    struct body *bodies = NULL;
    while (total < target) {
        size_t len = 14;
        for (int j = 0; j < per; j++)
            len += strlen(recs[(k + (size_t)j) % nrec]) + 1;
        char *p = malloc(len + JSON_PAD);
        size_t o = 0;
        memcpy(p, "{\"records\":[", 12);
        o = 12;
        for (int j = 0; j < per; j++, k++) {
            const char *r = recs[k % nrec];
            size_t rl = strlen(r);
            if (j)
                p[o++] = ',';
            memcpy(p + o, r, rl);
            o += rl;
        }
        memcpy(p + o, "]}", 2);
        o += 2;
        memset(p + o, 0, JSON_PAD);
        bodies = realloc(bodies, (nb + 1) * sizeof(*bodies));
        bodies[nb++] = (struct body){p, o};
        total += o;
    }
    printf("%zu sample records, %zu bodies of %d records, %.1f MB\n", nrec, nb, per,
           (double)total / 1048576);

    struct json_parser *jp = json_parser_create();
    struct norm_cfg cfg = {.ns = "bench.servicebus.windows.net", .hub = "defender"};
    struct norm *n = norm_create(&cfg);
    if (!jp || !n)
        return 2;
    double best_walk = 1e9, best_norm = 1e9;
    uint64_t values = 0, out_bytes = 0, events = 0;
    struct buf ev = {0}, dead = {0};
    for (int rep = 0; rep < reps; rep++) {
        double t0 = now_s();
        for (size_t i = 0; i < nb; i++) {
            uint64_t v;
            if (json_shim_walk(jp, bodies[i].p, bodies[i].len, &v) != 0)
                return 3;
            values += v;
        }
        double t1 = now_s();
        struct norm_stats st = {0};
        for (size_t i = 0; i < nb; i++) {
            struct norm_msg m = {.body = bodies[i].p, .len = bodies[i].len, .partition = 3,
                                 .seq = (int64_t)i, .enq_ms = 1700000000000};
            buf_reset(&ev);
            buf_reset(&dead);
            if (norm_message(n, &m, &ev, &dead, &st) < 0)
                return 3;
        }
        double t2 = now_s();
        if (t1 - t0 < best_walk)
            best_walk = t1 - t0;
        if (t2 - t1 < best_norm)
            best_norm = t2 - t1;
        out_bytes = st.bytes_out;
        events = st.events;
    }
    double mb = (double)total / 1e6;
    printf("json_shim_walk: %8.1f MB/s (%.0f values/body)\n", mb / best_walk,
           (double)values / (double)reps / (double)nb);
    printf("norm_message:   %8.1f MB/s (%llu events, %.1f MB out, %.0f ns/record)\n",
           mb / best_norm, (unsigned long long)events, (double)out_bytes / 1e6,
           best_norm * 1e9 / (double)(nb * (size_t)per));
    printf("ratio walk/norm: %.2f\n", best_norm / best_walk);
    buf_fini(&ev);
    buf_fini(&dead);
    norm_destroy(n);
    json_parser_destroy(jp);
    return 0;
}
