/* norm_network.c - DeviceNetworkEvents: Netflow (Network Activity 4001), DNS (4003),
 * HTTP (4002) and NIDS (Detection Finding 2004) (schemas.md §2, §3.5, §3.6).
 *
 * DESIGN
 * Pure data. Every flow class has two programs: outbound (src = Local*, dst =
 * Remote*, direction_id 2) and inbound (src = Remote*, dst = Local*,
 * direction_id 1); AF.direction picks one, else the class's default (Inbound*
 * ActionTypes are inbound). ListeningConnectionCreated has one program (Local*
 * in dst_endpoint, direction_id 0). The remote endpoint is the required one: a
 * row without a usable remote IP or port degrades to Generic (§0.2). HTTP picks
 * its activity from AF.method through the class's cases. The status and other
 * per-ActionType constants are the class's post text. DeviceEvents firewall and
 * network-protection rows use the same programs with the security_control profile.
 */
#include "norm_blocks.h"

#define NB_EP(key, fl, label, IP, PORT, SCOPE)                                              \
    {NN_K(key), .op = NOP_OBJ, .flags = (fl), .lit = (label)},                              \
        N_RULE("ip", IP, NR_IP, 0, NN_KEY), N_RULE("port", PORT, NR_PORT, 0, 0),         \
        N_ENUM("network_scope_id", SCOPE, NE_SCOPE, 0), N_CLOSE

#define NB_OUT(fl) NB_EP("src_endpoint", 0, NULL, LOCAL_IP, LOCAL_PORT, LOCAL_IP_TYPE),       \
        NB_EP("dst_endpoint", fl, "dst_endpoint", REMOTE_IP, REMOTE_PORT, REMOTE_IP_TYPE)
#define NB_IN(fl) NB_EP("src_endpoint", fl, "src_endpoint", REMOTE_IP, REMOTE_PORT,           \
                        REMOTE_IP_TYPE),                                                     \
        NB_EP("dst_endpoint", 0, NULL, LOCAL_IP, LOCAL_PORT, LOCAL_IP_TYPE)

#define NB_CONN(dir)                                                                        \
    N_OBJ("connection_info", 0), N_CONSTK("direction_id", #dir), N_PROTO(PROTOCOL),          \
        N_FIELD("uid", AF_UID, NR_STR, 0), N_CLOSE

#define NB_URL N_OBJ("url", 0), N_FIELD("url_string", REMOTE_URL, NR_STR, NN_KEY),           \
        N_FIELD("hostname", REMOTE_URL, NR_URL_HOST, 0), N_CLOSE

#define NB_TLS N_OBJ("tls", 0), N_FIELD("version", AF_VERSION, NR_STR, NN_KEY),              \
        N_FIELD("cipher", AF_CIPHER, NR_STR, 0), N_FIELD("sni", AF_SERVER_NAME, NR_STR, 0),   \
        N_CLOSE

/* Network Activity */
#define NETFLOW_PROG(EPS, dir, ...)                                                         \
    NB_DEVICE(0, NULL), EPS(NN_REQ), NB_CONN(dir),                                         \
        N_CONST("is_src_dst_assignment_known", "true"), NB_ACTOR(0, NULL), NB_URL,            \
        __VA_ARGS__ N_STOP

static const struct norm_node prog_nf_out[] = {NETFLOW_PROG(NB_OUT, 2)};
static const struct norm_node prog_nf_in[] = {NETFLOW_PROG(NB_IN, 1)};
static const struct norm_node prog_nf_listen[] = {
    NB_DEVICE(0, NULL),
    NB_EP("dst_endpoint", NN_REQ, "dst_endpoint", LOCAL_IP, LOCAL_PORT, LOCAL_IP_TYPE),
    NB_CONN(0), N_CONST("is_src_dst_assignment_known", "false"), NB_ACTOR(0, NULL), NB_URL,
    N_STOP,
};
static const struct norm_node prog_tls_out[] = {NETFLOW_PROG(NB_OUT, 2, NB_TLS,)};
static const struct norm_node prog_tls_in[] = {NETFLOW_PROG(NB_IN, 1, NB_TLS,)};

#define NF_TAIL(aid, aname, tuid)                                                           \
    .head = NC_HEAD(aid), .tail = NC_TAIL("Network Activity", aname, 4, "Network Activity",  \
                                          4001, tuid),                                      \
    .sev = NC_INFO, .type = "\"Netflow\"", .cat = NC_NETFLOW, .host = true, .af = true

#define NETFLOW(name, aid, aname, tuid, in, st)                                              \
    const struct norm_class name = {                                                        \
        NF_TAIL(aid, aname, tuid), .activity = "\"" aname "\"", .prog = prog_nf_out,         \
        .prog_in = prog_nf_in, .dir_in = in, .post = st}

NETFLOW(norm_class_nf_open_ok, 1, "Open", 400101, false, NC_ST_OK);
NETFLOW(norm_class_nf_open_unk, 1, "Open", 400101, false, NC_ST_UNK);
NETFLOW(norm_class_nf_open_in, 1, "Open", 400101, true, NC_ST_OK);
NETFLOW(norm_class_nf_fail, 4, "Fail", 400104, false, NC_ST_FAIL);
NETFLOW(norm_class_nf_traffic, 6, "Traffic", 400106, false, NC_ST_UNK);

const struct norm_class norm_class_nf_listen = {
    NF_TAIL(7, "Listen", 400107), .activity = "\"Listen\"", .prog = prog_nf_listen,
    .post = NC_ST_OK,
};
const struct norm_class norm_class_nf_other = {
    NF_TAIL(99, "Other", 400199), .activity = NULL, .prog = prog_nf_out, .prog_in = prog_nf_in,
    .post = NC_ST_UNK,
};

#define INSPECTED(name, app)                                                                 \
    const struct norm_class name = {                                                        \
        NF_TAIL(6, "Traffic", 400106), .activity = "\"Traffic\"", .prog = prog_nf_out,       \
        .prog_in = prog_nf_in, .post = NC_ST_UNK ",\"app_protocol_name\":\"" app "\""}

INSPECTED(norm_class_nf_ssh, "ssh");
INSPECTED(norm_class_nf_ftp, "ftp");
INSPECTED(norm_class_nf_smtp, "smtp");
INSPECTED(norm_class_nf_icmp, "icmp");
INSPECTED(norm_class_nf_ntlm, "ntlm");
const struct norm_class norm_class_nf_ssl = {
    NF_TAIL(6, "Traffic", 400106), .activity = "\"Traffic\"", .prog = prog_tls_out,
    .prog_in = prog_tls_in, .post = NC_ST_UNK ",\"app_protocol_name\":\"ssl\"",
};

/* DNS Activity: Traffic (inspected query + answer) */
#define DNS_PROG(EPS, dir)                                                                  \
    NB_DEVICE(0, NULL), EPS(NN_REQ), NB_CONN(dir), NB_ACTOR(0, NULL),                        \
        N_OBJ_REQ("query", "query.hostname"), N_FIELD("hostname", AF_QUERY, NR_STR, NN_KEY),  \
        N_FIELD("type", AF_QTYPE_NAME, NR_STR, 0), N_RULE("packet_uid", AF_TRANS_ID, NR_INT, 0, 0), \
        N_CLOSE, N_ENUM("rcode_id", AF_RCODE, NE_RCODE, 0), N_STOP

static const struct norm_node prog_dns_out[] = {DNS_PROG(NB_OUT, 2)};
static const struct norm_node prog_dns_in[] = {DNS_PROG(NB_IN, 1)};

const struct norm_class norm_class_dns_traffic = {
    .head = NC_HEAD(6), .activity = "\"Traffic\"",
    .tail = NC_TAIL("DNS Activity", "Traffic", 4, "Network Activity", 4003, 400306),
    .sev = NC_INFO, .type = "\"DNS\"", .prog = prog_dns_out, .prog_in = prog_dns_in,
    .post = ",\"app_protocol_name\":\"dns\"", .cat = NC_DNS, .host = true, .af = true,
};

/* HTTP Activity, activity by AF.method */
#define HTTP_PROG(EPS, dir)                                                                 \
    NB_DEVICE(0, NULL), EPS(0), NB_CONN(dir), NB_ACTOR(0, NULL),                            \
        N_OBJ_REQ("http_request", "http_request"),                                          \
        N_FIELD("http_method", AF_METHOD, NR_STR, NN_KEY), N_OBJ("url", NN_KEY),            \
        N_FIELD("hostname", AF_HOST, NR_STR, 0), N_FIELD("path", AF_URI, NR_SLASH, NN_KEY),  \
        N_FIELD("url_string", AF_URI, NR_NO_SLASH, NN_KEY), N_CLOSE,                        \
        N_FIELD("user_agent", AF_USER_AGENT, NR_STR, NN_KEY),                               \
        N_RULE("body_length", AF_REQ_BODY_LEN, NR_SIZE, 0, 0), N_CLOSE,                     \
        N_OBJ("http_response", 0), N_RULE("code", AF_STATUS_CODE, NR_INT, 0, NN_KEY),        \
        N_FIELD("message", AF_STATUS_MSG, NR_STR, 0),                                       \
        N_RULE("body_length", AF_RESP_BODY_LEN, NR_SIZE, 0, 0), N_CLOSE, N_STOP

static const struct norm_node prog_http_out[] = {HTTP_PROG(NB_OUT, 2)};
static const struct norm_node prog_http_in[] = {HTTP_PROG(NB_IN, 1)};

#define HTTP(name, aid, aname, tuid, act)                                                   \
    static const struct norm_class name = {                                                 \
        .head = NC_HEAD(aid), .activity = act,                                              \
        .tail = NC_TAIL("HTTP Activity", aname, 4, "Network Activity", 4002, tuid),          \
        .sev = NC_INFO, .type = "\"HTTP\"", .prog = prog_http_out, .prog_in = prog_http_in, \
        .post = ",\"app_protocol_name\":\"http\"", .cat = NC_HTTP, .host = true, .af = true}

HTTP(http_connect, 1, "Connect", 400201, "\"Connect\"");
HTTP(http_delete, 2, "Delete", 400202, "\"Delete\"");
HTTP(http_get, 3, "Get", 400203, "\"Get\"");
HTTP(http_head, 4, "Head", 400204, "\"Head\"");
HTTP(http_options, 5, "Options", 400205, "\"Options\"");
HTTP(http_post, 6, "Post", 400206, "\"Post\"");
HTTP(http_put, 7, "Put", 400207, "\"Put\"");
HTTP(http_trace, 8, "Trace", 400208, "\"Trace\"");
HTTP(http_patch, 9, "Patch", 400209, "\"Patch\"");
HTTP(http_other, 99, "Other", 400299, NULL);

static const struct norm_case http_cases[] = {
    {"connect", &http_connect}, {"delete", &http_delete},   {"get", &http_get},
    {"head", &http_head},       {"options", &http_options}, {"post", &http_post},
    {"put", &http_put},         {"trace", &http_trace},     {"patch", &http_patch},
    {NULL, &http_other},
};

const struct norm_class norm_class_http = {
    .head = NC_HEAD(99), .tail = "", .type = "\"HTTP\"", .prog = prog_http_out,
    .cases = http_cases, .sw = NCOL_AF_METHOD, .cat = NC_HTTP, .af = true,
};

/* NIDS: Detection Finding Create, the flow in evidences[0] */
#define NIDS_PROG(TITLE, EPS, dir)                                                          \
    NB_DEVICE(0, NULL), N_OBJ_REQ("finding_info", "finding_info.uid"),                      \
        N_FIELD("uid", DEVICE_ID, NR_FINDING_UID, NN_KEY), TITLE,                           \
        N_FIELD("created_time", TIMESTAMP, NR_TIME, 0), N_CLOSE, N_ARR("evidences", 0),      \
        N_ELEM(NN_KEY), EPS(NN_KEY), NB_CONN(dir), N_OBJ("data", NN_KEY),                   \
        N_FIELD("SignatureMatchedContent", AF_SIG_CONTENT, NR_STR, NN_KEY),                 \
        N_FIELD("SamplePacketContent", AF_SAMPLE_PACKET, NR_STR, NN_KEY),                   \
        N_FIELD("PublicScannedIp", AF_SCANNED_IP, NR_STR, NN_KEY),                          \
        N_FIELD("PublicScannedPort", AF_SCANNED_PORT, NR_STR, NN_KEY), N_CLOSE, N_CLOSE,     \
        N_CLOSE, NB_ACTOR(0, NULL), N_STOP

#define SIG_TITLE                                                                           \
    N_FIELD("title", AF_SIGNATURE_NAME, NR_STR, 0), N_OBJ("analytic", 0),                   \
        N_FIELD("name", AF_SIGNATURE_NAME, NR_STR, NN_KEY), N_CONST("type_id", "1"), N_CLOSE
#define SCAN_TITLE                                                                          \
    N_CONST("title", "\"Inbound internet scan\""), N_OBJ("analytic", 0),                    \
        N_FIELD("name", ACTION_TYPE, NR_STR, NN_KEY | NN_NOUSE), N_CONST("type_id", "1"),   \
        N_CLOSE

static const struct norm_node prog_sig_out[] = {NIDS_PROG(SIG_TITLE, NB_OUT, 2)};
static const struct norm_node prog_sig_in[] = {NIDS_PROG(SIG_TITLE, NB_IN, 1)};
static const struct norm_node prog_scan_in[] = {NIDS_PROG(SCAN_TITLE, NB_IN, 1)};
static const struct norm_node prog_scan_out[] = {NIDS_PROG(SCAN_TITLE, NB_OUT, 2)};

#define NIDS_POST                                                                           \
    ",\"is_alert\":false,\"action_id\":3,\"action\":\"Observed\",\"disposition_id\":15,"     \
    "\"disposition\":\"Detected\",\"status_id\":1,\"status\":\"New\""
#define NIDS_TAIL                                                                           \
    .head = NC_HEAD(1), .activity = "\"Create\"",                                           \
    .tail = NC_TAIL("Detection Finding", "Create", 2, "Findings", 2004, 200401),             \
    .sev = NC_INFO, .type = "\"NIDS\"", .post = NIDS_POST, .cat = NC_NIDS, .host = true,     \
    .sc = true, .af = true

const struct norm_class norm_class_nids_sig = {
    NIDS_TAIL, .prog = prog_sig_out, .prog_in = prog_sig_in,
};
const struct norm_class norm_class_nids_scan = {
    NIDS_TAIL, .prog = prog_scan_out, .prog_in = prog_scan_in, .dir_in = true,
};

/* DeviceEvents firewall / network protection rows: Netflow with security_control
 * (schemas.md §2). Same programs as DeviceNetworkEvents (RemoteUrl -> url). */
#define FW_POST(aid, aname, did, dname, st)                                                 \
    ",\"action_id\":" #aid ",\"action\":\"" aname "\",\"disposition_id\":" #did               \
    ",\"disposition\":\"" dname "\"" st
#define FIREWALL(name, aid, aname, tuid, in, post_)                                          \
    const struct norm_class name = {                                                        \
        NF_TAIL(aid, aname, tuid), .activity = (aid) == 99 ? NULL : "\"" aname "\"",          \
        .prog = prog_nf_out, .prog_in = prog_nf_in, .dir_in = in, .post = post_, .sc = true}

FIREWALL(norm_class_fw_in_blocked, 5, "Refuse", 400105, true,
         FW_POST(2, "Denied", 2, "Blocked", NC_ST_FAIL));
FIREWALL(norm_class_fw_out_blocked, 5, "Refuse", 400105, false,
         FW_POST(2, "Denied", 2, "Blocked", NC_ST_FAIL));
FIREWALL(norm_class_ep_blocked, 5, "Refuse", 400105, false,
         FW_POST(2, "Denied", 2, "Blocked", NC_ST_FAIL));
FIREWALL(norm_class_ep_audited, 99, "Other", 400199, false,
         FW_POST(1, "Allowed", 17, "Logged", NC_ST_UNK));
