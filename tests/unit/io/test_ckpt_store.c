/* test_ckpt_store.c - checkpoint files: round trip, atomic replace, damage is an error. */
#include <errno.h>
#include <unistd.h>

#include "ckpt_store.h"
#include "err.h"
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

TEST_MAIN()
