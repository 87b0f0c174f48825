/* test_norm_depth.c - the mapping depth issue 3 asks for, one record per kind:
 * process (device, process + parent pid/cmdline/name/path/hashes/creation time, user,
 * time in ms), network (endpoints, ports, protocol, direction), file, registry, logon
 * (outcome, logon type, remote endpoint), alert (title, severity, technique ids) and
 * antivirus (threat name, action). Records come from the shared samples and from
 * tests/normalize/derived_records.jsonl (records for categories the samples lack).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#include "batch.h"
#include "buf.h"
#include "norm.h"

/* Line `lineno` (1-based) of a JSON-lines file, without its newline. */
static char *file_line(const char *path, unsigned lineno)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *line = NULL;
    size_t cap = 0;
    ssize_t got = -1;
    for (unsigned i = 0; i < lineno; i++)
        if ((got = getline(&line, &cap, f)) < 0)
            break;
    fclose(f);
    if (got < 0) {
        free(line);
        return NULL;
    }
    line[strcspn(line, "\r\n")] = 0;
    return line;
}

/* The OCSF event of one record (file ids), NUL-terminated; NULL on failure. */
static char *normalize_line(const char *path, const char *base, unsigned lineno,
                            struct norm_stats *st)
{
    char *rec = file_line(path, lineno);
    if (!rec)
        return NULL;
    size_t len = strlen(rec) + 14;
    char *body = malloc(len + JSON_PAD);
    snprintf(body, len + 1, "{\"records\":[%s]}", rec);
    memset(body + len, 0, JSON_PAD);
    free(rec);
    struct norm_cfg cfg = {.ns = "", .hub = ""};
    struct norm *n = norm_create(&cfg);
    struct buf ev = {0}, dead = {0};
    struct norm_msg m = {.body = body, .len = len, .origin = base,
                         .origin_len = strlen(base), .origin_line = lineno};
    memset(st, 0, sizeof(*st));
    int rc = n ? norm_message(n, &m, &ev, &dead, st) : -1;
    char *out = NULL;
    if (rc == 1 && st->events == 1 && buf_reserve(&ev, 1) == 0) {
        ev.p[ev.len] = 0;
        out = strdup(ev.p);
    }
    buf_fini(&ev);
    buf_fini(&dead);
    norm_destroy(n);
    free(body);
    return out;
}

static char *sample(const char *file, unsigned line, struct norm_stats *st)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/samples/elastic/%s", SLUICE_SHARED_DIR, file);
    return normalize_line(path, file, line, st);
}

static char *derived(unsigned line, struct norm_stats *st)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/tests/normalize/derived_records.jsonl", SLUICE_SOURCE_DIR);
    return normalize_line(path, "derived_records.jsonl", line, st);
}

#define HAS(e, frag)                                                                       \
    do {                                                                                   \
        if (!strstr((e), (frag)))                                                          \
            HFAIL("missing %s", (frag));                                                   \
    } while (0)

TEST(process_depth)
{
    struct norm_stats st;
    char *e = sample("test-device.log", 11, &st);
    REQUIRE(e);
    CHECK_EQ_U64(st.by_cat[NC_PROCESS], 1);
    HAS(e, "\"time\":1668016792626,");
    HAS(e, "\"device\":{\"type_id\":0,\"hostname\":\"testmachine6\","
           "\"uid\":\"999b6fd7c532534ba50b3232fa992c38a273d4fb\"");
    /* the new process */
    HAS(e, "\"process\":{\"pid\":6412,\"name\":\"smartscreen.exe\","
           "\"cmd_line\":\"smartscreen.exe -Embedding\",\"created_time\":1668016792034,");
    HAS(e, "\"path\":\"C:\\\\Windows\\\\System32\\\\smartscreen.exe\"");
    HAS(e, "{\"algorithm_id\":2,\"value\":\"9dec87de894f5228033f87cf874441502bfa4f97\"}");
    HAS(e, "{\"algorithm_id\":3,\"value\":"
           "\"8011a5f4ac65d85cbe593bdad886449e3807d950b234e77c675a0f7ca3b7c781\"}");
    /* its parent = the initiating process, with the grandparent */
    HAS(e, "\"actor\":{\"process\":{\"pid\":996,\"name\":\"svchost.exe\","
           "\"cmd_line\":\"svchost.exe -k DcomLaunch -p\",\"created_time\":1668015574119,");
    HAS(e, "\"parent_process\":{\"pid\":852,\"name\":\"services.exe\","
           "\"created_time\":1668015573827}");
    HAS(e, "\"parent_process\":{\"pid\":996,\"name\":\"svchost.exe\",");
    HAS(e, "\"user\":{\"name\":\"system\",\"domain\":\"nt authority\",\"uid\":\"S-1-5-18\"}");
    free(e);
}

TEST(network_depth)
{
    struct norm_stats st;
    char *e = sample("test-device.log", 19, &st); /* ConnectionSuccess */
    REQUIRE(e);
    CHECK_EQ_U64(st.by_cat[NC_NETFLOW], 1);
    HAS(e, "\"type_uid\":400101,");
    HAS(e, "\"src_endpoint\":{\"ip\":\"89.160.20.112\",\"port\":50830,");
    HAS(e, "\"dst_endpoint\":{\"ip\":\"175.16.199.0\",\"port\":8080,");
    HAS(e, "\"connection_info\":{\"direction_id\":2,\"protocol_name\":\"tcp\","
           "\"protocol_num\":6}");
    HAS(e, "\"status_id\":1,");
    free(e);
}

TEST(file_depth)
{
    struct norm_stats st;
    char *e = sample("test-device.log", 3, &st); /* FileCreated */
    REQUIRE(e);
    CHECK_EQ_U64(st.by_cat[NC_FILE_MODIFICATION], 1);
    HAS(e, "\"file\":{\"name\":\"VMAgentDisabler.dll\","
           "\"path\":\"C:\\\\Windows\\\\System32\\\\VMAgentDisabler.dll\",\"type_id\":1,"
           "\"size\":139848,");
    HAS(e, "\"parent_folder\":\"C:\\\\Windows\\\\System32\"");
    HAS(e, "\"actor\":{\"process\":{");
    free(e);
}

TEST(registry_depth)
{
    struct norm_stats st;
    char *e = sample("test-device.log", 12, &st); /* RegistryValueSet */
    REQUIRE(e);
    CHECK_EQ_U64(st.by_cat[NC_REGISTRY], 1);
    HAS(e, "\"type_uid\":20100202,");
    HAS(e, "\"reg_value\":{\"path\":\"HKEY_LOCAL_MACHINE\\\\SOFTWARE\\\\Microsoft\\\\");
    HAS(e, "\"name\":\"Blob\",\"type_id\":1");
    HAS(e, "\"extensions\":[{\"name\":\"win\",\"uid\":\"2\",\"version\":\"1.8.0\"}]");
    free(e);
}

TEST(logon_depth)
{
    struct norm_stats st;
    char *e = sample("test-device.log", 8, &st); /* LogonFailed */
    REQUIRE(e);
    CHECK_EQ_U64(st.by_cat[NC_AUTH], 1);
    HAS(e, "\"status_detail\":\"InvalidUserNameOrPassword\"");
    HAS(e, "\"user\":{\"name\":\"administrator\"}");
    HAS(e, "\"src_endpoint\":{\"ip\":\"67.43.156.1\",\"network_scope_id\":2}");
    HAS(e, "\"logon_type_id\":3");
    HAS(e, "\"status_id\":2,\"status\":\"Failure\"");
    free(e);
}

TEST(alert_depth)
{
    struct norm_stats st;
    char *e = derived(48, &st); /* AlertInfo, High, three techniques + a bad entry */
    REQUIRE(e);
    CHECK_EQ_U64(st.by_cat[NC_DETECTION_FINDING], 1);
    HAS(e, "\"severity_id\":4,\"severity\":\"High\"");
    HAS(e, "\"title\":\"Suspicious PowerShell\"");
    HAS(e, "\"attacks\":[{\"sub_technique\":{\"uid\":\"T1059.001\",\"name\":\"PowerShell\"},"
           "\"technique\":{\"uid\":\"T1059\",\"name\":\"Command and Scripting Interpreter\"}},"
           "{\"technique\":{\"uid\":\"T1053\",\"name\":\"Scheduled Task/Job\"}}]");
    HAS(e, "\"is_alert\":true");
    HAS(e, "\"unmapped\":{"); /* the unparsable entry keeps the column in unmapped */
    HAS(e, "\"AttackTechniques\":");
    free(e);

    e = sample("test-alert.log", 1, &st); /* AlertEvidence File */
    REQUIRE(e);
    CHECK_EQ_U64(st.by_cat[NC_TECHNIQUE_FINDING], 1);
    HAS(e, "\"evidences\":[{\"name\":\"File\",\"file\":{\"name\":");
    HAS(e, "\"data\":{\"$id\":\"1\",\"ProcessId\":\"1960\"}");
    free(e);
}

TEST(antivirus_depth)
{
    struct norm_stats st;
    char *e = derived(1, &st); /* AntivirusDetection, WasRemediated true */
    REQUIRE(e);
    CHECK_EQ_U64(st.by_cat[NC_ANTIVIRUS], 1);
    HAS(e, "\"malware\":[{\"name\":\"Trojan:Win32/Wacatac.B!ml\",\"classification_ids\":[18],");
    HAS(e, "\"title\":\"Trojan:Win32/Wacatac.B!ml\"");
    HAS(e, "\"action_id\":2,\"action\":\"Denied\",\"disposition_id\":11,"
           "\"disposition\":\"Corrected\"");
    HAS(e, "\"profiles\":[\"host\",\"security_control\"]");
    free(e);

    e = derived(3, &st); /* AntivirusMalwareBlocked */
    REQUIRE(e);
    HAS(e, "\"action_id\":2,\"action\":\"Denied\",\"disposition_id\":2,"
           "\"disposition\":\"Blocked\"");
    free(e);
}

TEST(degrade_task_without_name)
{
    struct norm_stats st;
    char *e = derived(23, &st); /* ScheduledTaskDeleted without TaskName */
    REQUIRE(e);
    CHECK_EQ_U64(st.by_cat[NC_GENERIC], 1);
    HAS(e, "\"labels\":[\"sluice:degraded:job.name\"]");
    free(e);
}

TEST_MAIN()
