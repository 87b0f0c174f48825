/* norm_alert.c - AlertInfo -> Detection Finding (2004) Create and AlertEvidence ->
 * Technique Finding (Detection Finding Update) (schemas.md §2, §3.10, §3.11).
 *
 * DESIGN
 * Pure data. finding_info (uid = AlertId) is the required object. AttackTechniques
 * becomes finding_info.attacks[] through NR_ATTACKS (a sub-technique carries its
 * technique, named when that technique is listed too). AlertEvidence picks one
 * variant per EntityType through the class's cases; every variant writes the same
 * finding_info and one evidences[0] = {name, <entity>, data (the AF members left),
 * user (Account*)}. An evidence without an entity, data or user is dropped (the
 * evidences object needs one of them); EntityType then stays in unmapped. The
 * RegistryKey/RegistryValue variants declare the Windows extension (reg_key and
 * reg_value in evidences come from it). Severity comes from a Severity column
 * (0 Unknown without one).
 */
#include "norm_blocks.h"

#define NB_PRODUCT                                                                          \
    N_OBJ("product", 0), N_FIELD("name", SERVICE_SOURCE, NR_STR, NN_KEY),                   \
        N_CONST("vendor_name", "\"Microsoft\""), N_CLOSE

/* AlertInfo: Detection Finding Create */
static const struct norm_node prog_alert_info[] = {
    NB_DEVICE(0, NULL),
    N_OBJ_REQ("finding_info", "finding_info.uid"),
    N_FIELD("uid", ALERT_ID, NR_STR, NN_KEY),
    N_FIELD("title", TITLE, NR_STR, 0),
    N_FIELD("created_time", TIMESTAMP, NR_TIME, 0),
    N_FIELD("types", CATEGORY, NR_STR_ARR1, 0),
    N_FIELD("data_sources", DETECTION_SOURCE, NR_STR_ARR1, 0),
    NB_PRODUCT,
    N_FIELD("attacks", ATTACK_TECHNIQUES, NR_ATTACKS, 0),
    N_CLOSE,
    N_CONST("is_alert", "true"),
    N_CONST("status_id", "1"),
    N_CONST("status", "\"New\""),
    N_FIELD("message", TITLE, NR_STR, 0),
    N_STOP,
};

const struct norm_class norm_class_alert_info = {
    .head = NC_HEAD(1), .activity = "\"Create\"",
    .tail = NC_TAIL("Detection Finding", "Create", 2, "Findings", 2004, 200401),
    .sev = NULL, .type = "\"Detection Finding\"", .prog = prog_alert_info,
    .cat = NC_DETECTION_FINDING, .host = true, .sc = true,
};

/* AlertEvidence: Detection Finding Update, one evidence by EntityType */
#define NB_EV_FILE(key)                                                                     \
    N_OBJ(key, NN_KEY), N_FIELD("name", FILE_NAME, NR_STR, NN_KEY), N_CONST("type_id", "1"),  \
        N_FIELD2("path", FOLDER_PATH, FILE_NAME, NR_JOIN_PATH, 0),                           \
        N_FIELD("parent_folder", FOLDER_PATH, NR_STR, 0), N_FIELD("size", FILE_SIZE, NR_SIZE, 0), \
        N_ARR("hashes", 0), N_HASH(1, MD5, 32), N_HASH(2, SHA1, 40), N_HASH(3, SHA256, 64),   \
        N_CLOSE, N_CLOSE

#define AE_PROG(...)                                                                        \
    {NN_K("device"), .op = NOP_OBJ, .flags = 0}, N_CONST("type_id", "0"),                   \
        N_FIELD("hostname", DEVICE_NAME, NR_STR, NN_KEY),                                   \
        N_FIELD("uid", DEVICE_ID, NR_STR, NN_KEY), N_RULE("ip", LOCAL_IP, NR_IP, 0, 0),       \
        N_ARR("groups", 0), N_ELEM(NN_KEY), N_FIELD("name", MACHINE_GROUP, NR_STR, NN_KEY),  \
        N_CLOSE, N_CLOSE, N_CLOSE, N_OBJ_REQ("finding_info", "finding_info.uid"),           \
        N_FIELD("uid", ALERT_ID, NR_STR, NN_KEY), N_FIELD("title", TITLE, NR_STR, 0),        \
        N_FIELD("types", CATEGORIES, NR_JSON_STRARR, 0),                                    \
        N_FIELD("data_sources", DETECTION_SOURCE, NR_STR_ARR1, 0), NB_PRODUCT,               \
        N_FIELD("attacks", ATTACK_TECHNIQUES, NR_ATTACKS, 0), N_CLOSE, N_ARR("evidences", 0), \
        N_ELEM(NN_KEY), N_FIELD("name", ENTITY_TYPE, NR_STR, 0), __VA_ARGS__,                \
        N_FIELD("data", ADDITIONAL_FIELDS, NR_AF_REST, NN_KEY),                             \
        NB_USER("user", NN_KEY, ACCOUNT_NAME, ACCOUNT_DOMAIN, ACCOUNT_SID, ACCOUNT_OBJECT_ID, \
                ACCOUNT_UPN),                                                               \
        N_CLOSE, N_CLOSE, N_CONST("status_id", "1"), N_CONST("status", "\"New\""), N_STOP

#define EV_PROCESS                                                                          \
    N_OBJ("process", NN_KEY), N_FIELD("pid", AF_PROCESS_ID, NR_PID, NN_KEY),                 \
        N_FIELD("cmd_line", PROCESS_COMMAND_LINE, NR_STR, NN_KEY), NB_EV_FILE("file"), N_CLOSE
#define EV_MACHINE                                                                          \
    N_OBJ("device", NN_KEY), N_FIELD("uid", DEVICE_ID, NR_STR, NN_KEY | NN_NOUSE),           \
        N_FIELD("hostname", DEVICE_NAME, NR_STR, NN_KEY | NN_NOUSE), N_CONST("type_id", "0"), \
        N_CLOSE
#define EV_EP(key, IP) N_OBJ(key, NN_KEY), N_RULE("ip", IP, NR_IP, 0, NN_KEY), N_CLOSE
#define EV_URL                                                                              \
    N_OBJ("url", NN_KEY), N_FIELD("url_string", REMOTE_URL, NR_STR, NN_KEY), N_CLOSE
#define EV_REG_KEY                                                                          \
    N_OBJ("reg_key", NN_KEY), N_FIELD("path", REGISTRY_KEY, NR_STR, NN_KEY), N_CLOSE
#define EV_REG_VALUE                                                                        \
    N_OBJ("reg_value", NN_KEY), N_FIELD("path", REGISTRY_KEY, NR_STR, NN_MUST),              \
        N_FIELD("name", REGISTRY_VALUE_NAME, NR_STR, NN_KEY | NN_MUST),                      \
        N_FIELD("data", REGISTRY_VALUE_DATA, NR_STR, 0), N_CLOSE
#define EV_NONE N_USE(NONE)

static const struct norm_node prog_ae_file[] = {AE_PROG(NB_EV_FILE("file"))};
static const struct norm_node prog_ae_process[] = {AE_PROG(EV_PROCESS)};
static const struct norm_node prog_ae_machine[] = {AE_PROG(EV_MACHINE)};
static const struct norm_node prog_ae_user[] = {AE_PROG(EV_NONE)};
static const struct norm_node prog_ae_url[] = {AE_PROG(EV_URL)};
static const struct norm_node prog_ae_reg_key[] = {AE_PROG(EV_REG_KEY)};
static const struct norm_node prog_ae_reg_value[] = {AE_PROG(EV_REG_VALUE)};

#define AE_TAIL                                                                             \
    .head = NC_HEAD(2), .activity = "\"Update\"",                                           \
    .tail = NC_TAIL("Detection Finding", "Update", 2, "Findings", 2004, 200402),             \
    .sev = NULL, .type = "\"Technique Finding\"", .cat = NC_TECHNIQUE_FINDING, .host = true, \
    .af = true

#define AE(name, pg) static const struct norm_class name = {AE_TAIL, .prog = pg}
AE(ae_file, prog_ae_file);
AE(ae_process, prog_ae_process);
AE(ae_machine, prog_ae_machine);
AE(ae_user, prog_ae_user);
AE(ae_url, prog_ae_url);
AE(ae_other, prog_ae_user);
static const struct norm_class ae_reg_key = {AE_TAIL, .prog = prog_ae_reg_key, .meta = NC_WIN};
static const struct norm_class ae_reg_value = {AE_TAIL, .prog = prog_ae_reg_value,
                                               .meta = NC_WIN};

/* Ip: RemoteIP when there is one, else LocalIP (also device.ip); source or
 * destination by EvidenceDirection. */
#define EV_IP(key)                                                                          \
    EV_EP(key, REMOTE_IP), {NN_K(key), .op = NOP_OBJ, .flags = NN_KEY | NN_ELSE},            \
        N_RULE("ip", LOCAL_IP, NR_IP, 0, NN_KEY | NN_NOUSE), N_CLOSE
static const struct norm_node prog_ae_ip_src[] = {AE_PROG(EV_IP("src_endpoint"))};
static const struct norm_node prog_ae_ip_dst[] = {AE_PROG(EV_IP("dst_endpoint"))};
AE(ae_ip_src, prog_ae_ip_src);
AE(ae_ip_dst, prog_ae_ip_dst);
static const struct norm_case ip_cases[] = {{"source", &ae_ip_src}, {NULL, &ae_ip_dst}};
static const struct norm_class ae_ip = {AE_TAIL, .cases = ip_cases,
                                        .sw = NCOL_EVIDENCE_DIRECTION};

static const struct norm_case ae_cases[] = {
    {"file", &ae_file},         {"process", &ae_process},         {"machine", &ae_machine},
    {"user", &ae_user},         {"ip", &ae_ip},                   {"url", &ae_url},
    {"registrykey", &ae_reg_key}, {"registryvalue", &ae_reg_value}, {NULL, &ae_other},
};

const struct norm_class norm_class_alert_evidence = {
    AE_TAIL, .prog = prog_ae_user, .cases = ae_cases, .sw = NCOL_ENTITY_TYPE,
};
