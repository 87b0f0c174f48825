/* inspect.c - reading the spool and checkpoints back, for people and tests.
 *
 *   sluice spool cat DIR [--dead-letters]   every event (or dead letter), NDJSON, spool order
 *   sluice spool verify DIR                 every frame and CRC; exit 0 only if all good
 *   sluice checkpoint show --spool-dir DIR [--eventhub NAME] [--consumer-group CG]
 */
#include "inspect.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt_store.h"
#include "clock.h"
#include "err.h"
#include "recov.h"
#include "text.h"

static void spool_usage(FILE *o)
{
    fprintf(o, "usage: sluice spool cat DIR [--dead-letters]\n"
               "       sluice spool verify DIR\n\n"
               "cat     prints every event of the spool as NDJSON, in spool order (shard by\n"
               "        shard, segment by segment); --dead-letters prints the dead-letter\n"
               "        stream instead.\n"
               "verify  checks every frame of every segment (header CRC, LZ4 CRC, decode, line\n"
               "        counts); prints one line per problem naming file and offset, then counts.\n"
               "        Exit status 0 only when everything is good.\n");
}

int inspect_spool_main(int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
        spool_usage(argc < 1 ? stderr : stdout);
        return argc < 1 ? 2 : 0;
    }
    const char *cmd = argv[0], *dir = NULL;
    bool dead = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dead-letters") == 0 && strcmp(cmd, "cat") == 0)
            dead = true;
        else if (strcmp(argv[i], "--help") == 0) {
            spool_usage(stdout);
            return 0;
        } else if (argv[i][0] == '-' || dir) {
            fprintf(stderr, "sluice: spool %s: unexpected argument \"%s\" (see sluice spool "
                            "--help)\n", cmd, argv[i]);
            return 2;
        } else
            dir = argv[i];
    }
    if (!dir) {
        fprintf(stderr, "sluice: spool %s: missing DIR (the --spool-dir of sluice run)\n", cmd);
        return 2;
    }
    if (strcmp(cmd, "cat") == 0) {
        int rc = spool_cat(dir, dead, stdout, stderr);
        if (fflush(stdout) != 0)
            return 1;
        if (rc < 0) {
            fprintf(stderr, "sluice: spool cat: cannot read \"%s\": %s\n", dir, err_str(rc));
            return 1;
        }
        return rc ? 1 : 0;
    }
    if (strcmp(cmd, "verify") == 0) {
        struct spool_verify_stats st;
        memset(&st, 0, sizeof(st));
        int rc = spool_verify(dir, stderr, &st);
        if (rc < 0) {
            fprintf(stderr, "sluice: spool verify: cannot read \"%s\": %s\n", dir, err_str(rc));
            return 1;
        }
        printf("{\"ok\":%s,\"segments\":%llu,\"frames\":%llu,\"event_frames\":%llu,"
               "\"dead_frames\":%llu,\"events\":%llu,\"dead_letters\":%llu,\"raw_bytes\":%llu,"
               "\"file_bytes\":%llu,\"problems\":%llu,\"out_of_order_frames\":%llu}\n",
               rc == 0 ? "true" : "false", (unsigned long long)st.segments,
               (unsigned long long)st.frames, (unsigned long long)st.event_frames,
               (unsigned long long)st.dead_frames, (unsigned long long)st.events,
               (unsigned long long)st.dead_letters, (unsigned long long)st.raw_bytes,
               (unsigned long long)st.file_bytes, (unsigned long long)st.bad,
               (unsigned long long)st.out_of_order);
        return rc ? 1 : 0;
    }
    fprintf(stderr, "sluice: spool: unknown command \"%s\" (cat or verify)\n", cmd);
    return 2;
}

int inspect_checkpoint_main(int argc, char **argv)
{
    const char *dir = NULL, *hub = NULL, *cg = NULL;
    if (argc < 1 || strcmp(argv[0], "show") != 0) {
        if (argc >= 1 && strcmp(argv[0], "--help") == 0) {
            printf("usage: sluice checkpoint show --spool-dir DIR [--eventhub NAME] "
                   "[--consumer-group CG]\n\nPrints the checkpoints as JSON: per partition the "
                   "last durable sequence_number,\nits offset and when it was updated.\n");
            return 0;
        }
        fprintf(stderr, "sluice: checkpoint: expected \"show --spool-dir DIR\" (see sluice "
                        "checkpoint --help)\n");
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        const char **dst = NULL;
        if (strcmp(argv[i], "--spool-dir") == 0)
            dst = &dir;
        else if (strcmp(argv[i], "--eventhub") == 0)
            dst = &hub;
        else if (strcmp(argv[i], "--consumer-group") == 0)
            dst = &cg;
        if (!dst || i + 1 >= argc) {
            fprintf(stderr, "sluice: checkpoint show: %s \"%s\" (flags: --spool-dir DIR, "
                            "--eventhub NAME, --consumer-group CG)\n",
                    dst ? "missing value for" : "unexpected argument", argv[i]);
            return 2;
        }
        *dst = argv[++i];
    }
    if (!dir) {
        fprintf(stderr, "sluice: checkpoint show: --spool-dir: missing\n");
        return 2;
    }
    char path[PATH_MAX];
    if (hub || cg) {
        ckpt_path(dir, hub ? hub : "", cg ? cg : "$Default", path, sizeof(path));
    } else {
        /* exactly one checkpoint file, or ask which */
        DIR *d = opendir(dir);
        if (!d) {
            fprintf(stderr, "sluice: checkpoint show: --spool-dir: cannot read \"%s\": %s\n",
                    dir, strerror(errno));
            return 1;
        }
        int found = 0;
        struct dirent *e;
        while ((e = readdir(d))) {
            size_t n = strlen(e->d_name);
            if (strncmp(e->d_name, "checkpoint-", 11) == 0 && n > 5 &&
                strcmp(e->d_name + n - 5, ".json") == 0) {
                if (found++ == 0)
                    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                else
                    fprintf(stderr, "sluice: checkpoint show: several checkpoint files in \"%s\" "
                                    "(%s, ...); pick one with --eventhub and --consumer-group\n",
                            dir, e->d_name);
            }
        }
        closedir(d);
        if (found == 0) {
            fprintf(stderr, "sluice: checkpoint show: no checkpoint file in \"%s\" (nothing is "
                            "durable yet, or not a spool directory)\n", dir);
            return 1;
        }
        if (found > 1)
            return 1;
    }
    struct ckpt_file f;
    char why[256];
    int rc = ckpt_load(path, 0, &f, why, sizeof(why));
    if (rc) {
        fprintf(stderr, "sluice: checkpoint show: \"%s\": %s\n", path,
                rc == ERR_FORMAT ? why : err_str(rc));
        ckpt_file_free(&f);
        return 1;
    }
    printf("{\"file\":");
    json_fputs(stdout, path);
    printf(",\"namespace\":");
    json_fputs(stdout, f.ns);
    printf(",\"eventhub\":");
    json_fputs(stdout, f.hub);
    printf(",\"consumer_group\":");
    json_fputs(stdout, f.cg);
    printf(",\"partitions\":{");
    int first = 1;
    for (uint32_t p = 0; p < f.partitions; p++) {
        if (f.part[p].seq < 0)
            continue;
        char when[32];
        clock_fmt_iso_ms(f.part[p].updated_ms, when);
        printf("%s\n  \"%u\":{\"sequence_number\":%lld,\"offset\":", first ? "" : ",", p,
               (long long)f.part[p].seq);
        json_fputs(stdout, f.part[p].off);
        printf(",\"updated\":\"%s\"}", when);
        first = 0;
    }
    printf("}}\n");
    ckpt_file_free(&f);
    return 0;
}
