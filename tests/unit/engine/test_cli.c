/* test_cli.c - flag parsing of `sluice run`: defaults, values, and one-line
 * errors that name the flag. */
#include <errno.h>

#include "budget.h"
#include "cli.h"
#include "harness.h"

static int parse(const char *line, struct run_cfg *cfg, char *err, size_t errlen)
{
    char copy[1024];
    char *argv[64];
    int argc = harness_argv(line, copy, sizeof(copy), argv, 64);
    FILE *o = fopen("/dev/null", "w");
    FILE *e = fmemopen(err, errlen, "w");
    int rc = cli_parse_run(argc, argv, cfg, o, e);
    fclose(o);
    fclose(e);
    return rc;
}

static struct run_cfg cfg;
static char err[4096];

TEST(defaults)
{
    CHECK_EQ_INT(parse("--source replay:/tmp/x.cap --spool-dir /tmp/s", &cfg, err, sizeof(err)), 0);
    CHECK_EQ_STR(cfg.capture, "/tmp/x.cap");
    CHECK_EQ_STR(cfg.spool_dir, "/tmp/s");
    CHECK_EQ_INT(cfg.shards, 0);
    CHECK(cfg.cpus.n >= 1);
    CHECK(!cfg.until_caught_up);
    CHECK_EQ_INT(cfg.fsync, SPOOL_FSYNC_BATCH);
    CHECK_EQ_INT(cfg.checkpoint_ms, 1000);
    CHECK_EQ_INT(cfg.batch_bytes, 1 << 20);
    CHECK_EQ_INT(cfg.rx_batches, 8);
    CHECK_EQ_U64(cfg.segment_bytes, 256ull << 20);
    CHECK_EQ_STR(cfg.consumer_group, "$Default");
}

TEST(values)
{
    CHECK_EQ_INT(parse("--source=replay:c --spool-dir d --shards 3 --cpus 0 --until-caught-up "
                       "--fsync interval:250 --checkpoint-ms 50 --batch-bytes 256K "
                       "--segment-bytes 2MiB --keep-original --consumer-group cg1",
                       &cfg, err, sizeof(err)), 0);
    CHECK_EQ_INT(cfg.shards, 3);
    CHECK_EQ_INT(cfg.cpus.n, 1);
    CHECK(cfg.until_caught_up);
    CHECK_EQ_INT(cfg.fsync, SPOOL_FSYNC_INTERVAL);
    CHECK_EQ_INT(cfg.fsync_interval_ms, 250);
    CHECK_EQ_INT(cfg.checkpoint_ms, 50);
    CHECK_EQ_INT(cfg.batch_bytes, 256 * 1024);
    CHECK_EQ_U64(cfg.segment_bytes, 2u << 20);
    CHECK(cfg.keep_original);
    CHECK_EQ_STR(cfg.consumer_group, "cg1");
    CHECK_EQ_INT(parse("--source replay:c --spool-dir d --fsync none", &cfg, err, sizeof(err)), 0);
    CHECK_EQ_INT(cfg.fsync, SPOOL_FSYNC_NONE);
}

static void expect_error(const char *line, const char *needle)
{
    memset(err, 0, sizeof(err));
    int rc = parse(line, &cfg, err, sizeof(err));
    if (rc != 2)
        HFAIL("\"%s\": rc %d, want 2", line, rc);
    if (!strstr(err, needle))
        HFAIL("\"%s\": error \"%s\" lacks \"%s\"", line, err, needle);
    char *nl = strchr(err, '\n');
    if (!nl || nl[1] != '\0')
        HFAIL("\"%s\": error is not exactly one line: \"%s\"", line, err);
}

TEST(bad_values_name_the_flag)
{
    expect_error("--source replay:c --spool-dir d --shards abc", "--shards");
    expect_error("--source replay:c --spool-dir d --shards 0", "--shards");
    expect_error("--source replay:c --spool-dir d --fsync sometimes", "--fsync");
    expect_error("--source replay:c --spool-dir d --fsync interval:x", "--fsync");
    expect_error("--source replay:c --spool-dir d --batch-bytes 100000", "--batch-bytes");
    expect_error("--source replay:c --spool-dir d --cpus 3-1", "--cpus");
    expect_error("--source replay:c --spool-dir d --cpus 1023", "--cpus");
    expect_error("--source replay:c --spool-dir d --checkpoint-ms -5", "--checkpoint-ms");
    expect_error("--source kafka:x --spool-dir d", "--source");
    expect_error("--spool-dir d", "--source");
    expect_error("--source replay:c", "--spool-dir");
    expect_error("--source replay:c --spool-dir d --bogus 1", "--bogus");
    expect_error("--source replay:c --spool-dir d --shards", "--shards");
    expect_error("--source replay:c --spool-dir d positional", "positional");
    expect_error("--source replay:c --spool-dir d --segment-bytes 1M --batch-bytes 1M",
                 "--segment-bytes");
}

TEST(bytes_parser)
{
    uint64_t v;
    CHECK_EQ_INT(cli_parse_bytes("4096", &v), 0);
    CHECK_EQ_U64(v, 4096);
    CHECK_EQ_INT(cli_parse_bytes("64K", &v), 0);
    CHECK_EQ_U64(v, 65536);
    CHECK_EQ_INT(cli_parse_bytes("1MiB", &v), 0);
    CHECK_EQ_U64(v, 1 << 20);
    CHECK_EQ_INT(cli_parse_bytes("2G", &v), 0);
    CHECK_EQ_U64(v, 2ull << 30);
    CHECK(cli_parse_bytes("", &v) != 0);
    CHECK(cli_parse_bytes("-1", &v) != 0);
    CHECK(cli_parse_bytes("12Q", &v) != 0);
    CHECK(cli_parse_bytes("1Mx", &v) != 0);
    CHECK(cli_parse_bytes("99999999999999999999T", &v) != 0);
}

TEST(help_and_print_config_exit_early)
{
    CHECK_EQ_INT(parse("--help", &cfg, err, sizeof(err)), 1);
    CHECK_EQ_INT(parse("--source replay:c --spool-dir d --print-config", &cfg, err, sizeof(err)), 1);
}

TEST(eventhub_defaults)
{
    CHECK_EQ_INT(parse("--source eventhub --spool-dir /tmp/s", &cfg, err, sizeof(err)), 0);
    CHECK_EQ_INT(cfg.source_kind, RUN_SRC_EVENTHUB);
    CHECK_EQ_STR(cfg.conn_env, "SLUICE_CONNECTION_STRING");
    CHECK(cfg.partitions_all);
    CHECK_EQ_INT(cfg.start.kind, EH_START_EARLIEST);
    CHECK(!cfg.has_owner_level);
    CHECK_EQ_INT(cfg.prefetch, 300);
    CHECK_EQ_STR(cfg.consumer_group, "$Default");
    /* replay stays replay */
    CHECK_EQ_INT(parse("--source replay:/tmp/x.cap --spool-dir /tmp/s", &cfg, err, sizeof(err)), 0);
    CHECK_EQ_INT(cfg.source_kind, RUN_SRC_REPLAY);
}

TEST(eventhub_values)
{
    CHECK_EQ_INT(parse("--source eventhub --spool-dir d --connection-string-env EH_CS "
                       "--eventhub hub1 --consumer-group cg --partitions 0-3,8 "
                       "--start seq:41 --owner-level 0 --prefetch 1000",
                       &cfg, err, sizeof(err)), 0);
    CHECK_EQ_STR(cfg.conn_env, "EH_CS");
    CHECK_EQ_STR(cfg.eventhub, "hub1");
    CHECK(!cfg.partitions_all);
    CHECK_EQ_INT(cfg.partition_set[0] + cfg.partition_set[3] + cfg.partition_set[8], 3);
    CHECK_EQ_INT(cfg.partition_set[4] + cfg.partition_set[7] + cfg.partition_set[9], 0);
    CHECK_EQ_INT(cfg.start.kind, EH_START_SEQ);
    CHECK_EQ_INT(cfg.start.seq, 41);
    CHECK(cfg.has_owner_level);
    CHECK_EQ_INT(cfg.owner_level, 0);
    CHECK_EQ_INT(cfg.prefetch, 1000);
    CHECK_EQ_INT(parse("--source eventhub --spool-dir d --namespace ns.servicebus.windows.net "
                       "--eventhub h --start time:2026-11-30T00:00:00Z",
                       &cfg, err, sizeof(err)), 0);
    CHECK_EQ_STR(cfg.namespace_host, "ns.servicebus.windows.net");
    CHECK_EQ_INT(cfg.start.kind, EH_START_TIME);
    CHECK_EQ_INT(parse("--source eventhub --spool-dir d --start latest", &cfg, err,
                       sizeof(err)), 0);
    CHECK_EQ_INT(cfg.start.kind, EH_START_LATEST);
    CHECK_EQ_INT(parse("--source eventhub --spool-dir d --start offset:1234", &cfg, err,
                       sizeof(err)), 0);
    CHECK_EQ_STR(cfg.start.off, "1234");
}

TEST(eventhub_bad_values_name_the_flag)
{
    const char *bad[][2] = {
        {"--source eventhub --spool-dir d --connection-string-env Endpoint=sb://x",
         "--connection-string-env"},
        {"--source eventhub --spool-dir d --partitions 3-1", "--partitions"},
        {"--source eventhub --spool-dir d --partitions 1,1", "--partitions"},
        {"--source eventhub --spool-dir d --partitions 1024", "--partitions"},
        {"--source eventhub --spool-dir d --start soon", "--start"},
        {"--source eventhub --spool-dir d --owner-level -1", "--owner-level"},
        {"--source eventhub --spool-dir d --prefetch 0", "--prefetch"},
        {"--source eventhub --spool-dir d --namespace ns.servicebus.windows.net", "--namespace"},
        {"--source amqp --spool-dir d", "--source"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        memset(err, 0, sizeof(err));
        CHECK_EQ_INT(parse(bad[i][0], &cfg, err, sizeof(err)), 2);
        if (!strstr(err, bad[i][1]))
            HFAIL("\"%s\": error does not name %s: %s", bad[i][0], bad[i][1], err);
    }
}

/* cli_parse_eventhub (sluice check): run's defaults and syntax, only the allowed flags. */
static int parse_eh(const char *line, const char *const *allowed)
{
    char copy[1024];
    char *argv[64];
    int argc = harness_argv(line, copy, sizeof(copy), argv, 64);
    FILE *e = fmemopen(err, sizeof(err), "w");
    int rc = cli_parse_eventhub("sluice check", argc, argv, allowed, &cfg, e);
    fclose(e);
    return rc;
}

TEST(eventhub_subset_for_check)
{
    static const char *const allowed[] = {"connection-string-env", "namespace", "eventhub",
                                          "consumer-group", "partitions", NULL};
    CHECK_EQ_INT(parse_eh("", allowed), 0);
    CHECK_EQ_INT(cfg.source_kind, RUN_SRC_EVENTHUB);
    CHECK_EQ_STR(cfg.conn_env, "SLUICE_CONNECTION_STRING");
    CHECK_EQ_STR(cfg.consumer_group, "$Default");
    CHECK(cfg.partitions_all);
    CHECK_EQ_INT(parse_eh("--connection-string-env X --consumer-group cg1 --partitions 1,3-4",
                          allowed), 0);
    CHECK_EQ_STR(cfg.conn_env, "X");
    CHECK_EQ_STR(cfg.consumer_group, "cg1");
    CHECK(!cfg.partitions_all && !cfg.partition_set[0] && cfg.partition_set[1] &&
          cfg.partition_set[3] && cfg.partition_set[4]);
    CHECK_EQ_INT(parse_eh("--help", allowed), 1);
    CHECK_EQ_INT(parse_eh("--spool-dir /tmp/s", allowed), 2);
    CHECK(strstr(err, "sluice check: unknown flag --spool-dir") != NULL);
    CHECK_EQ_INT(parse_eh("--partitions 3-1", allowed), 2);
    CHECK(strstr(err, "sluice check: --partitions:") != NULL);
    CHECK_EQ_INT(parse_eh("--namespace ns.servicebus.windows.net", allowed), 2);
    CHECK(strstr(err, "--namespace: needs --eventhub") != NULL);
    CHECK_EQ_INT(parse_eh("--consumer-group", allowed), 2);
    CHECK(strstr(err, "missing value") != NULL);
}

TEST(memory_budget_and_token_ttl)
{
    CHECK_EQ_INT(parse("--source replay:/tmp/x.cap --spool-dir /tmp/s", &cfg, err, sizeof(err)), 0);
    CHECK(cfg.memory_budget > 0 && cfg.memory_budget == budget_memory() / 2); /* auto */
    CHECK(!cfg.rx_batches_given);
    CHECK_EQ_INT(cfg.sas_token_ttl_ms, 3600000);
    CHECK_EQ_INT(parse("--source eventhub --spool-dir /tmp/s --memory-budget none --sas-token-ttl 6s "
                       "--rx-batches 4", &cfg, err, sizeof(err)), 0);
    CHECK_EQ_U64(cfg.memory_budget, 0);
    CHECK_EQ_INT(cfg.sas_token_ttl_ms, 6000);
    CHECK(cfg.rx_batches_given);
    CHECK_EQ_INT(parse("--source eventhub --spool-dir /tmp/s --memory-budget 10M", &cfg, err,
                       sizeof(err)), 2);
    CHECK(strstr(err, "--memory-budget: \"10M\" is not auto, none or a size of at least 64M") != NULL);
    CHECK_EQ_INT(parse("--source eventhub --spool-dir /tmp/s --sas-token-ttl 1s", &cfg, err,
                       sizeof(err)), 2);
    CHECK(strstr(err, "--sas-token-ttl:") != NULL);
}

TEST(memory_plan)
{
    char why[512];
    CHECK_EQ_INT(parse("--source eventhub --spool-dir /tmp/s --batch-bytes 64K --memory-budget 768M",
                       &cfg, err, sizeof(err)), 0);
    /* 1024 partitions x 8 batches of 64K do not fit 768M: lowered to what fits */
    CHECK(budget_estimate(&cfg, 1024, 2) > cfg.memory_budget);
    CHECK_EQ_INT(budget_plan(&cfg, 1024, 2, why, sizeof(why)), 0);
    CHECK_EQ_INT(cfg.rx_batches, 2);
    CHECK(budget_estimate(&cfg, 1024, 2) <= cfg.memory_budget);
    /* 16 partitions fit with the default 8 */
    CHECK_EQ_INT(parse("--source eventhub --spool-dir /tmp/s --batch-bytes 64K --memory-budget 768M",
                       &cfg, err, sizeof(err)), 0);
    CHECK_EQ_INT(budget_plan(&cfg, 16, 2, why, sizeof(why)), 0);
    CHECK_EQ_INT(cfg.rx_batches, 8);
    /* a given --rx-batches is kept: the plan fails and names it */
    CHECK_EQ_INT(parse("--source eventhub --spool-dir /tmp/s --batch-bytes 64K --rx-batches 8 "
                       "--memory-budget 768M", &cfg, err, sizeof(err)), 0);
    CHECK_EQ_INT(budget_plan(&cfg, 1024, 2, why, sizeof(why)), -ENOMEM);
    CHECK_EQ_INT(cfg.rx_batches, 8);
    CHECK(strstr(why, "cannot hold 1024 partitions and 2 shards") != NULL);
    CHECK(strstr(why, "--rx-batches 8") != NULL && strstr(why, "or --rx-batches") != NULL);
    /* not even 2 batches fit: fails, rx_batches untouched */
    CHECK_EQ_INT(parse("--source eventhub --spool-dir /tmp/s --memory-budget 256M", &cfg, err,
                       sizeof(err)), 0);
    CHECK_EQ_INT(budget_plan(&cfg, 1024, 2, why, sizeof(why)), -ENOMEM);
    CHECK_EQ_INT(cfg.rx_batches, 8);
    CHECK(strstr(why, "--rx-batches 2 they need about") != NULL);
    /* no budget: nothing changes */
    CHECK_EQ_INT(parse("--source eventhub --spool-dir /tmp/s --memory-budget none", &cfg, err,
                       sizeof(err)), 0);
    CHECK_EQ_INT(budget_plan(&cfg, 1024, 2, why, sizeof(why)), 0);
    CHECK_EQ_INT(cfg.rx_batches, 8);
    CHECK(budget_rss() > 0 && budget_peak_rss() >= budget_rss() / 2);
}

TEST_MAIN()
