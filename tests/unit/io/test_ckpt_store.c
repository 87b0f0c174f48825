/* test_ckpt_store.c - checkpoint files: round trip, atomic replace, damage is an error. */
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ckpt_store.h"
#include "err.h"
#include "failpoint.h"
#include "harness.h"

static char dir[64];

static void mkdirtmp(void) { harness_mkdtemp(dir, sizeof(dir), "ckpt"); }
static void rmdirtmp(void) { harness_rm_rf(dir); }

TEST(round_trip)
{
    mkdirtmp();
    char path[512], why[256];
    ckpt_path(dir, "my hub", "$Default", path, sizeof(path));
    CHECK(strstr(path, "checkpoint-my_hub-$Default.json") != NULL);
    struct ckpt_file f;
    CHECK_EQ_INT(ckpt_load(path, 4, &f, why, sizeof(why)), -ENOENT);
    REQUIRE(f.partitions == 4);
    for (uint32_t p = 0; p < 4; p++)
        CHECK_EQ_INT(f.part[p].seq, -1);
    snprintf(f.ns, sizeof(f.ns), "ns.example");
    snprintf(f.hub, sizeof(f.hub), "my hub");
    snprintf(f.cg, sizeof(f.cg), "$Default");
    f.part[1].seq = 41;
    snprintf(f.part[1].off, sizeof(f.part[1].off), "8812");
    f.part[1].updated_ms = 1700000000123;
    f.part[3].seq = 0;
    snprintf(f.part[3].off, sizeof(f.part[3].off), "0");
    f.part[3].updated_ms = 1700000000000;
    CHECK_EQ_INT(ckpt_save(path, &f), 0);
    ckpt_file_free(&f);

    struct ckpt_file g;
    CHECK_EQ_INT(ckpt_load(path, 2, &g, why, sizeof(why)), 0);
    CHECK_EQ_INT(g.partitions, 4);
    CHECK_EQ_STR(g.ns, "ns.example");
    CHECK_EQ_STR(g.hub, "my hub");
    CHECK_EQ_INT(g.part[0].seq, -1);
    CHECK_EQ_INT(g.part[1].seq, 41);
    CHECK_EQ_STR(g.part[1].off, "8812");
    CHECK_EQ_INT(g.part[1].updated_ms, 1700000000123);
    CHECK_EQ_INT(g.part[3].seq, 0);
    ckpt_file_free(&g);
    /* no temp file left behind */
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "test -z \"$(ls %s | grep tmp)\"", dir);
    CHECK_EQ_INT(system(cmd), 0);
    rmdirtmp();
}

TEST(damaged_file_is_an_error_naming_the_place)
{
    mkdirtmp();
    char path[512], why[256];
    snprintf(path, sizeof(path), "%s/checkpoint-x-$Default.json", dir);
    const char *bad[] = {
        "",
        "{",
        ("{\"version\":1,\"namespace\":\"a\",\"eventhub\":\"b\",\"consumer_group\":\"c\","
         "\"partitions\":{\"0\":{\"sequence_number\":\"x\"}}}"),
        "{\"version\":2,\"partitions\":{}}",
        "{\"version\":1,\"partitions\":{\"0\":{\"offset\":\"1\"}}}",
        "{\"version\":1,\"partitions\":{}} trailing",
        "{\"version\":1}",
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        FILE *fp = fopen(path, "w");
        REQUIRE(fp);
        fputs(bad[i], fp);
        fclose(fp);
        struct ckpt_file f;
        int rc = ckpt_load(path, 1, &f, why, sizeof(why));
        if (rc != ERR_FORMAT)
            HFAIL("case %zu: rc %d, want ERR_FORMAT", i, rc);
        CHECK(strstr(why, "offset") != NULL);
    }
    rmdirtmp();
}

/* A small checkpoint: partition 0 at seq. */
static void one(struct ckpt_file *f, int64_t seq)
{
    memset(f, 0, sizeof(*f));
    f->partitions = 1;
    f->part = calloc(1, sizeof(*f->part));
    snprintf(f->ns, sizeof(f->ns), "ns");
    snprintf(f->hub, sizeof(f->hub), "hub");
    snprintf(f->cg, sizeof(f->cg), "$Default");
    f->part[0].seq = seq;
    snprintf(f->part[0].off, sizeof(f->part[0].off), "%lld", (long long)seq * 10);
    f->part[0].updated_ms = 1700000000000;
}

static int64_t load_seq(const char *path)
{
    struct ckpt_file g;
    char why[256];
    if (ckpt_load(path, 1, &g, why, sizeof(why)) != 0)
        return -2;
    int64_t seq = g.part[0].seq;
    ckpt_file_free(&g);
    return seq;
}

static int count_temps(void)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "ls %s | grep -c tmp", dir);
    FILE *p = popen(cmd, "r");
    int n = -1;
    if (p) {
        if (fscanf(p, "%d", &n) != 1)
            n = -1;
        pclose(p);
    }
    return n;
}

static int arm(const char *spec)
{
    if (spec)
        setenv("SLUICE_FAILPOINTS", spec, 1);
    else
        unsetenv("SLUICE_FAILPOINTS");
    return failpoint_init();
}

TEST(failpoint_errors_fail_the_save_and_keep_a_whole_file)
{
    mkdirtmp();
    char path[512];
    ckpt_path(dir, "hub", "$Default", path, sizeof(path));
    struct ckpt_file f;
    one(&f, 5);
    CHECK_EQ_INT(ckpt_save(path, &f), 0);

    /* an error while writing the temp file: the old checkpoint stays, no temp left */
    REQUIRE(arm("ckpt.temp_partial=err:ENOSPC") == 0);
    f.part[0].seq = 6;
    CHECK_EQ_INT(ckpt_save(path, &f), -ENOSPC);
    CHECK_EQ_INT(load_seq(path), 5);
    CHECK_EQ_INT(count_temps(), 0);
    CHECK_EQ_INT(ckpt_save(path, &f), 0); /* fired once: the next save works */
    CHECK_EQ_INT(load_seq(path), 6);

    /* an error after the rename (the directory fsync): reported; the file is the new one */
    REQUIRE(arm("ckpt.renamed=err:EIO") == 0);
    f.part[0].seq = 7;
    CHECK_EQ_INT(ckpt_save(path, &f), -EIO);
    CHECK_EQ_INT(load_seq(path), 7);
    CHECK_EQ_INT(count_temps(), 0);
    REQUIRE(arm(NULL) == 0);
    ckpt_file_free(&f);
    rmdirtmp();
}

/* Killed in the middle of the temp file, or between rename and directory fsync:
 * the checkpoint file is always a whole one (old or new), never a mix. */
static void kill_at(const char *spec, int64_t want_seq, int want_temps)
{
    mkdirtmp();
    char path[512];
    ckpt_path(dir, "hub", "$Default", path, sizeof(path));
    struct ckpt_file f;
    one(&f, 10);
    CHECK_EQ_INT(ckpt_save(path, &f), 0);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        if (arm(spec) != 0)
            _exit(3);
        f.part[0].seq = 11;
        _exit(ckpt_save(path, &f) == 0 ? 0 : 4); /* not reached when kill works */
    }
    int st = 0;
    REQUIRE(waitpid(pid, &st, 0) == pid);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    CHECK_EQ_INT(load_seq(path), want_seq);
    CHECK_EQ_INT(count_temps(), want_temps);
    if (want_temps) { /* the stale temp file is partial; the next save still works */
        char cmd[600];
        snprintf(cmd, sizeof(cmd), "test $(stat -c %%s %s/*tmp*) -lt $(stat -c %%s '%s')", dir,
                 path);
        CHECK_EQ_INT(system(cmd), 0);
        f.part[0].seq = 12;
        CHECK_EQ_INT(ckpt_save(path, &f), 0);
        CHECK_EQ_INT(load_seq(path), 12);
    }
    ckpt_file_free(&f);
    rmdirtmp();
}

TEST(killed_in_the_temp_file_keeps_the_old_checkpoint)
{
    kill_at("ckpt.temp_partial=kill", 10, 1);
}

TEST(killed_after_the_rename_has_the_new_checkpoint)
{
    kill_at("ckpt.renamed=kill", 11, 0);
}

TEST_MAIN()
