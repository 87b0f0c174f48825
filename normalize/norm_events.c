/* norm_events.c - DeviceEvents by category (schemas.md §2, §3.10, §3.12): Antivirus,
 * Scriptblock, Thread Injection, API Call, Persistence, Management (account/group),
 * DNS (DnsQueryResponse) and the Generic rows with device and actor mapped.
 * (Firewall and network-protection rows are Netflow classes in norm_network.c; the
 * File and WMI-process rows reuse norm_file.c / norm_process.c classes.)
 *
 * DESIGN
 * Pure data. Each class names the objects its OCSF class requires as NN_REQ, so a
 * record without them degrades to Generic with sluice:degraded:<path> (§0.2):
 * job.name (ScheduledTask* without AF.TaskName), win_service.name, script.script_content,
 * user / group (account and group rows), query.hostname, process.pid, module,
 * finding_info.uid. AntivirusDetection picks its action/disposition variant from
 * AF.WasRemediated through the class's cases. Status: 1 for completed changes
 * (task, service, account, group), 0 Unknown for detections' telemetry-side rows,
 * scripts, API calls, injections and DNS responses (§0.1); findings 1 New.
 */
#include "norm_blocks.h"

#define DEV NB_DEVICE(NN_REQ, "device")
#define ACT NB_ACTOR(NN_REQ, "actor")

/* §3.4 without the DeviceProcessEvents-only parts (user, parent): the target of an
 * injection or API call. */
#define NB_EVT_PROCESS(objflags, label)                                                     \
    {NN_K("process"), .op = NOP_OBJ, .flags = (objflags), .lit = (label)},                  \
        N_FIELD("pid", PROCESS_ID, NR_PID, NN_KEY), N_FIELD("name", FILE_NAME, NR_STR, 0),  \
        N_FIELD("cmd_line", PROCESS_COMMAND_LINE, NR_STR, 0),                               \
        N_FIELD("created_time", PROCESS_CREATION_TIME, NR_TIME, 0),                         \
        N_FIELD("integrity_id", PROCESS_INTEGRITY, NR_INTEGRITY, 0), N_OBJ("session", 0),   \
        N_FIELD("uid", LOGON_ID, NR_IDSTR, NN_KEY),                                         \
        N_FIELD("is_remote", IS_PROCESS_REMOTE, NR_BOOL, NN_KEY), N_CLOSE,                  \
        NB_FILE(FILE_NAME, FOLDER_PATH, FILE_SIZE, MD5, SHA1, SHA256, P_VI_COMPANY,         \
                P_VI_DESC, P_VI_INTERNAL, P_VI_PRODUCT, P_VI_VERSION),                      \
        N_CLOSE

/* Memory Activity without a target: process = the initiating process (a copy of
 * actor.process; the columns are consumed by actor). */
#define NB_SELF_PROCESS(objflags, label)                                                    \
    {NN_K("process"), .op = NOP_OBJ, .flags = (objflags), .lit = (label)},                  \
        N_FIELD("pid", IP_ID, NR_PID, NN_KEY | NN_NOUSE),                                   \
        N_FIELD("name", IP_FILE_NAME, NR_STR, NN_NOUSE),                                    \
        N_FIELD("cmd_line", IP_COMMAND_LINE, NR_STR, NN_NOUSE),                             \
        N_FIELD("created_time", IP_CREATION_TIME, NR_TIME, NN_NOUSE), N_CLOSE

/* ---- Antivirus: Detection Finding Create (§3.10) ------------------------- */

#define AV_PROG(...)                                                                        \
    NB_DEVICE(0, NULL), N_ARR("malware", 0), N_ELEM(NN_KEY),                                 \
        N_FIELD("name", AF_THREAT_NAME, NR_STR, NN_KEY),                                    \
        N_FIELD("classification_ids", AF_THREAT_NAME, NR_MALWARE_CLASS, NN_MUST),           \
        N_CONST("provider", "\"Microsoft Defender Antivirus\""), N_CLOSE, N_CLOSE,           \
        N_OBJ_REQ("finding_info", "finding_info.uid"),                                      \
        N_FIELD("uid", DEVICE_ID, NR_FINDING_UID, NN_KEY),                                  \
        N_FIELD2("title", AF_THREAT_NAME, ACTION_TYPE, NR_STR_OR, NN_NOUSE),                 \
        N_FIELD("created_time", TIMESTAMP, NR_TIME, 0),                                     \
        N_FIELD("types", ACTION_TYPE, NR_STR_ARR1, NN_NOUSE), N_OBJ("product", 0),           \
        N_CONSTK("name", "\"Microsoft Defender Antivirus\""),                               \
        N_CONST("vendor_name", "\"Microsoft\""), N_CLOSE, N_CLOSE, N_ARR("evidences", 0),    \
        N_ELEM(NN_KEY), N_OBJ("file", NN_KEY),                                              \
        N_FIELD2("name", FILE_NAME, FOLDER_PATH, NR_NAME_OR_BASE, NN_KEY),                  \
        N_FIELD("path", FOLDER_PATH, NR_STR, 0), N_CONST("type_id", "1"),                   \
        N_FIELD("size", FILE_SIZE, NR_SIZE, 0), N_ARR("hashes", 0), N_HASH(1, MD5, 32),      \
        N_HASH(2, SHA1, 40), N_HASH(3, SHA256, 64), N_CLOSE, N_CLOSE, N_CLOSE, N_CLOSE,       \
        __VA_ARGS__ NB_ACTOR(0, NULL), N_STOP

static const struct norm_node prog_av[] = {AV_PROG()};
static const struct norm_node prog_av_rem[] = {AV_PROG(N_USE(AF_WAS_REMEDIATED),)};

#define AV_POST(aid, aname, did, dname)                                                     \
    ",\"action_id\":" #aid ",\"action\":\"" aname "\",\"disposition_id\":" #did               \
    ",\"disposition\":\"" dname "\",\"is_alert\":true,\"status_id\":1,\"status\":\"New\""
#define AV(stc, name, pg, post_)                                                            \
    stc const struct norm_class name = {                                                 \
        .head = NC_HEAD(1), .activity = "\"Create\"",                                       \
        .tail = NC_TAIL("Detection Finding", "Create", 2, "Findings", 2004, 200401),         \
        .sev = NULL, .type = "\"Antivirus\"", .prog = pg, .post = post_, .cat = NC_ANTIVIRUS, \
        .host = true, .sc = true, .af = true}

AV(static, av_corrected, prog_av_rem, AV_POST(2, "Denied", 11, "Corrected"));
AV(static, av_detected_rem, prog_av_rem, AV_POST(3, "Observed", 15, "Detected"));
AV(static, av_detected, prog_av, AV_POST(3, "Observed", 15, "Detected"));
AV(, norm_class_av_blocked, prog_av, AV_POST(2, "Denied", 2, "Blocked"));
AV(, norm_class_av_failed, prog_av, AV_POST(3, "Observed", 13, "Uncorrected"));
AV(, norm_class_av_report, prog_av, AV_POST(3, "Observed", 17, "Logged"));

static const struct norm_case av_cases[] = {
    {"true", &av_corrected}, {"false", &av_detected_rem}, {NULL, &av_detected}};
const struct norm_class norm_class_av_detection = {
    .head = NC_HEAD(1), .tail = "", .type = "\"Antivirus\"", .cases = av_cases,
    .sw = NCOL_AF_WAS_REMEDIATED, .cat = NC_ANTIVIRUS, .af = true,
};

/* ---- Scriptblock: Script Activity Execute (§3.12) ------------------------- */

static const struct norm_node prog_ps_command[] = {
    DEV,
    {NN_K("script"), .op = NOP_OBJ, .flags = NN_REQ, .lit = "script.script_content"},
    N_CONST("type_id", "2"), N_OBJ("script_content", NN_KEY),
    N_FIELD("value", AF_COMMAND, NR_STR, NN_KEY), N_CLOSE, N_CLOSE,
    ACT,
    N_STOP,
};
static const struct norm_node prog_script_content[] = {
    DEV,
    {NN_K("script"), .op = NOP_OBJ, .flags = NN_REQ, .lit = "script.script_content"},
    N_FIELD("name", FILE_NAME, NR_STR, 0), N_FIELD("type_id", FILE_NAME, NR_SCRIPT_TYPE, 0),
    N_OBJ("file", 0), N_FIELD2("name", FILE_NAME, FOLDER_PATH, NR_NAME_OR_BASE, NN_KEY),
    N_FIELD("path", FOLDER_PATH, NR_STR, 0), N_CONST("type_id", "1"), N_CLOSE,
    N_ARR("hashes", 0), N_HASH(3, SHA256, 64), N_CLOSE,
    N_OBJ("script_content", NN_KEY), N_FIELD("value", AF_SCRIPT_CONTENT, NR_STR, NN_KEY),
    N_CLOSE, N_CLOSE,
    ACT,
    N_STOP,
};

#define SCRIPT(name, pg)                                                                    \
    const struct norm_class name = {                                                        \
        .head = NC_HEAD(1), .activity = "\"Execute\"",                                      \
        .tail = NC_TAIL("Script Activity", "Execute", 1, "System Activity", 1009, 100901),   \
        .sev = NC_INFO, .type = "\"Scriptblock\"", .prog = pg, .post = NC_ST_UNK,            \
        .cat = NC_SCRIPTBLOCK, .host = true, .af = true}
SCRIPT(norm_class_ps_command, prog_ps_command);
SCRIPT(norm_class_script_content, prog_script_content);

/* ---- Thread Injection and API Call: Process Activity Inject / Open ------- */

static const struct norm_node prog_inject[] = {
    DEV, ACT, NB_EVT_PROCESS(NN_REQ, "process.pid"), N_STOP,
};
static const struct norm_node prog_open[] = {
    DEV, ACT, NB_EVT_PROCESS(NN_REQ, "process.pid"),
    N_RULE("requested_permissions", AF_DESIRED_ACCESS, NR_INT_HEX, 0, 0), N_STOP,
};

#define PA(name, aid, aname, tuid, typ, c, pg, post_)                                       \
    const struct norm_class name = {                                                        \
        .head = NC_HEAD(aid), .activity = "\"" aname "\"",                                  \
        .tail = NC_TAIL("Process Activity", aname, 1, "System Activity", 1007, tuid),        \
        .sev = NC_INFO, .type = typ, .prog = pg, .post = post_, .cat = c, .host = true,      \
        .af = true}
PA(norm_class_inject_thread, 4, "Inject", 100704, "\"Thread Injection\"", NC_THREAD_INJECTION,
   prog_inject, ",\"injection_type_id\":1" NC_ST_UNK);
PA(norm_class_inject_apc, 4, "Inject", 100704, "\"Thread Injection\"", NC_THREAD_INJECTION,
   prog_inject, ",\"injection_type_id\":3" NC_ST_UNK);
PA(norm_class_inject_context, 4, "Inject", 100704, "\"Thread Injection\"",
   NC_THREAD_INJECTION, prog_inject,
   ",\"injection_type_id\":99,\"injection_type\":\"SetThreadContext\"" NC_ST_UNK);
PA(norm_class_api_open, 3, "Open", 100703, "\"API Call\"", NC_API_CALL, prog_open, NC_ST_UNK);

/* Memory Activity: the target process, else the caller itself */
static const struct norm_node prog_memory[] = {
    DEV, ACT, NB_EVT_PROCESS(0, NULL), NB_SELF_PROCESS(NN_REQ | NN_ELSE, "process"),
    N_FIELD("base_address", AF_BASE_ADDRESS, NR_IDSTR, 0),
    N_FIELD("size", AF_REGION_SIZE, NR_SIZE, 0), N_STOP,
};

#define MEM(name, aid, aname, tuid)                                                         \
    const struct norm_class name = {                                                        \
        .head = NC_HEAD(aid), .activity = "\"" aname "\"",                                  \
        .tail = NC_TAIL("Memory Activity", aname, 1, "System Activity", 1004, tuid),         \
        .sev = NC_INFO, .type = "\"API Call\"", .prog = prog_memory, .post = NC_ST_UNK,      \
        .cat = NC_API_CALL, .host = true, .af = true}
MEM(norm_class_mem_alloc, 1, "Allocate Page", 100401);
MEM(norm_class_mem_protect, 2, "Modify Page", 100402);
MEM(norm_class_mem_read, 7, "Read", 100407);
MEM(norm_class_mem_write, 8, "Write", 100408);
MEM(norm_class_mem_map, 9, "Map View", 100409);

/* Module Activity Invoke: module.function_name = ActionType minus "ApiCall" */
static const struct norm_node prog_invoke[] = {
    DEV, ACT,
    {NN_K("module"), .op = NOP_OBJ, .flags = NN_REQ, .lit = "module"},
    N_FIELD("function_name", ACTION_TYPE, NR_FUNC_NAME, NN_KEY),
    N_CONST("type", "\"API\""), N_CLOSE,
    N_STOP,
};
const struct norm_class norm_class_api_invoke = {
    .head = NC_HEAD(3), .activity = "\"Invoke\"",
    .tail = NC_TAIL("Module Activity", "Invoke", 1, "System Activity", 1005, 100503),
    .sev = NC_INFO, .type = "\"API Call\"", .prog = prog_invoke, .post = NC_ST_UNK,
    .cat = NC_API_CALL, .host = true, .af = true,
};

/* ---- Persistence: Scheduled Job Activity, Windows Service Activity ------- */

static const struct norm_node prog_task[] = {
    DEV,
    {NN_K("job"), .op = NOP_OBJ, .flags = NN_REQ, .lit = "job.name"},
    N_FIELD("name", AF_TASK_NAME, NR_STR, NN_KEY), N_CLOSE,
    NB_ACTOR(0, NULL),
    N_STOP,
};

#define TASK(name, aid, aname, tuid)                                                        \
    const struct norm_class name = {                                                        \
        .head = NC_HEAD(aid), .activity = "\"" aname "\"",                                  \
        .tail = NC_TAIL("Scheduled Job Activity", aname, 1, "System Activity", 1006, tuid),  \
        .sev = NC_INFO, .type = "\"Persistence\"", .prog = prog_task, .post = NC_ST_OK,      \
        .cat = NC_PERSISTENCE, .host = true, .af = true}
TASK(norm_class_task_create, 1, "Create", 100601);
TASK(norm_class_task_update, 2, "Update", 100602);
TASK(norm_class_task_delete, 3, "Delete", 100603);
TASK(norm_class_task_enable, 4, "Enable", 100604);
TASK(norm_class_task_disable, 5, "Disable", 100605);

static const struct norm_node prog_service[] = {
    DEV,
    {NN_K("win_service"), .op = NOP_OBJ, .flags = NN_REQ, .lit = "win_service.name"},
    N_FIELD("name", AF_SERVICE_NAME, NR_STR, NN_MUST),
    N_OBJ("service_file", 0), N_FIELD2("name", FILE_NAME, FOLDER_PATH, NR_NAME_OR_BASE, NN_KEY),
    N_FIELD("path", FOLDER_PATH, NR_STR, 0), N_CONST("type_id", "8"), N_CLOSE,
    N_FIELD2("cmd_line", PROCESS_COMMAND_LINE, FOLDER_PATH, NR_STR_OR_KEY, NN_KEY),
    N_FIELD("service_start_name", AF_SERVICE_ACCOUNT, NR_STR, NN_KEY),
    N_FIELD("service_start_type_id", AF_SERVICE_START_TYPE, NR_SVC_START, NN_KEY),
    N_FIELD("service_type_id", AF_SERVICE_TYPE, NR_SVC_TYPE, NN_KEY), N_CLOSE,
    ACT,
    N_STOP,
};
const struct norm_class norm_class_service_installed = {
    .head = NC_HEAD(1), .activity = "\"Create\"",
    .tail = NC_TAIL("Windows Service Activity", "Create", 1, "System Activity", 201004,
                    20100401),
    .sev = NC_INFO, .type = "\"Persistence\"", .meta = NC_WIN, .prog = prog_service,
    .post = NC_ST_OK, .cat = NC_PERSISTENCE, .host = true, .af = true,
};

/* ---- Generic rows: Base Event with device and actor ---------------------- */

static const struct norm_node prog_generic_actor[] = {
    NB_DEVICE(0, NULL),
    NB_ACTOR(0, NULL),
    N_STOP,
};
#define BASE(name, typ, c)                                                                  \
    const struct norm_class name = {                                                        \
        .head = NC_HEAD(99), .activity = NULL,                                              \
        .tail = NC_TAIL("Base Event", "Other", 0, "Uncategorized", 0, 99), .sev = NC_INFO,   \
        .type = typ, .prog = prog_generic_actor, .cat = c, .host = true}
BASE(norm_class_generic_actor, "\"Generic\"", NC_GENERIC);
BASE(norm_class_wmi_binding, "\"Persistence\"", NC_PERSISTENCE);

/* ---- Management: Account Change (3001), Group Management (3006) ---------- */

#define NB_TARGET_USER(fl, label)                                                           \
    {NN_K("user"), .op = NOP_OBJ, .flags = (fl), .lit = (label)},                           \
        N_FIELD("name", ACCOUNT_NAME, NR_STR, NN_KEY),                                      \
        N_FIELD("domain", ACCOUNT_DOMAIN, NR_STR, 0), N_FIELD("uid", ACCOUNT_SID, NR_STR, NN_KEY), \
        N_FIELD("uid_alt", ACCOUNT_OBJECT_ID, NR_STR, 0),                                   \
        N_FIELD("email_addr", ACCOUNT_UPN, NR_EMAIL, 0), N_CLOSE

static const struct norm_node prog_account[] = {
    NB_DEVICE(0, NULL), NB_TARGET_USER(NN_REQ, "user"), NB_ACTOR(0, NULL), N_STOP,
};
static const struct norm_node prog_group[] = {
    NB_DEVICE(0, NULL),
    {NN_K("group"), .op = NOP_OBJ, .flags = NN_REQ, .lit = "group"},
    N_FIELD("name", AF_GROUP_NAME, NR_STR, NN_KEY), N_FIELD("domain", AF_GROUP_DOMAIN, NR_STR, 0),
    N_FIELD("uid", AF_GROUP_SID, NR_STR, NN_KEY), N_CLOSE,
    NB_TARGET_USER(0, NULL), NB_ACTOR(0, NULL), N_STOP,
};

#define ACCT(name, aid, act, aname, tuid, st)                                               \
    const struct norm_class name = {                                                        \
        .head = NC_HEAD(aid), .activity = act,                                              \
        .tail = NC_TAIL("Account Change", aname, 3, "Identity & Access Management", 3001,    \
                        tuid),                                                              \
        .sev = NC_INFO, .type = "\"Management\"", .prog = prog_account, .post = st,          \
        .cat = NC_MANAGEMENT, .host = true, .af = true}
ACCT(norm_class_account_create, 1, "\"Create\"", "Create", 300101, NC_ST_OK);
ACCT(norm_class_account_delete, 6, "\"Delete\"", "Delete", 300106, NC_ST_OK);
ACCT(norm_class_account_other, 99, NULL, "Other", 300199, NC_ST_OK);
ACCT(norm_class_account_password, 3, "\"Password Change\"", "Password Change", 300103,
     NC_ST_UNK);

#define GROUP(name, aid, aname, tuid)                                                       \
    const struct norm_class name = {                                                        \
        .head = NC_HEAD(aid), .activity = "\"" aname "\"",                                  \
        .tail = NC_TAIL("Group Management", aname, 3, "Identity & Access Management", 3006,  \
                        tuid),                                                              \
        .sev = NC_INFO, .type = "\"Management\"", .prog = prog_group, .post = NC_ST_OK,      \
        .cat = NC_MANAGEMENT, .host = true, .af = true}
GROUP(norm_class_group_add_user, 3, "Add User", 300603);
GROUP(norm_class_group_remove_user, 4, "Remove User", 300604);
GROUP(norm_class_group_delete, 5, "Delete", 300605);
GROUP(norm_class_group_create, 6, "Create", 300606);

/* ---- DNS: DnsQueryResponse -> DNS Activity Response ----------------------- */

static const struct norm_node prog_dns_response[] = {
    NB_DEVICE(0, NULL),
    N_OBJ("src_endpoint", 0), N_RULE("ip", LOCAL_IP, NR_IP, 0, NN_KEY), N_CLOSE,
    {NN_K("src_endpoint"), .op = NOP_OBJ, .flags = NN_REQ | NN_ELSE, .lit = "src_endpoint"},
    N_FIELD("hostname", DEVICE_NAME, NR_STR, NN_KEY | NN_NOUSE),
    N_FIELD("uid", DEVICE_ID, NR_STR, NN_KEY | NN_NOUSE), N_CLOSE,
    {NN_K("query"), .op = NOP_OBJ, .flags = NN_REQ, .lit = "query.hostname"},
    N_FIELD("hostname", AF_DNS_QUERY_STRING, NR_STR, NN_KEY), N_CLOSE,
    NB_ACTOR(0, NULL),
    N_STOP,
};
const struct norm_class norm_class_dns_response = {
    .head = NC_HEAD(2), .activity = "\"Response\"",
    .tail = NC_TAIL("DNS Activity", "Response", 4, "Network Activity", 4003, 400302),
    .sev = NC_INFO, .type = "\"DNS\"", .prog = prog_dns_response, .post = NC_ST_UNK,
    .cat = NC_DNS, .host = true, .af = true,
};
