/* norm_logon.c - DeviceLogonEvents -> Authentication (3002) (schemas.md §3.9).
 *
 * DESIGN
 * Pure data. user is required (AccountName/Sid): without one the row degrades.
 * dst_endpoint is the device logged on to; src_endpoint the remote side.
 */
#include "norm_blocks.h"

static const struct norm_node prog_logon[] = {
    NB_DEVICE(0, NULL),
    N_FIELD("status_detail", FAILURE_REASON, NR_STR, 0),
    NB_USER("user", NN_REQ, ACCOUNT_NAME, ACCOUNT_DOMAIN, ACCOUNT_SID, NONE, NONE),
    {NN_K("dst_endpoint"), .op = NOP_OBJ, .flags = NN_REQ, .lit = "dst_endpoint"},
    N_FIELD("hostname", DEVICE_NAME, NR_STR, NN_KEY | NN_NOUSE),
    N_FIELD("uid", DEVICE_ID, NR_STR, NN_KEY | NN_NOUSE), N_CLOSE,
    N_OBJ("src_endpoint", 0), N_FIELD("hostname", REMOTE_DEVICE_NAME, NR_STR, NN_KEY),
    N_RULE("ip", REMOTE_IP, NR_IP, 0, NN_KEY), N_RULE("port", REMOTE_PORT, NR_PORT, 0, 0),
    N_ENUM("network_scope_id", REMOTE_IP_TYPE, NE_SCOPE, 0), N_CLOSE,
    N_ENUM("logon_type_id", LOGON_TYPE, NE_LOGON_TYPE, 0),
    N_ENUM("auth_protocol_id", PROTOCOL, NE_AUTH_PROTOCOL, 0),
    N_OBJ("session", 0), N_FIELD("uid", LOGON_ID, NR_IDSTR, NN_KEY), N_CLOSE,
    N_FIELD("is_remote", AF_IS_LOCAL_LOGON, NR_NOT_BOOL, 0),
    NB_ACTOR(0, NULL),
    N_STOP,
};

#define AUTH(name, aid, aname, tuid, act, st)                                               \
    const struct norm_class name = {                                                        \
        .head = NC_HEAD(aid), .activity = act,                                              \
        .tail = NC_TAIL("Authentication", aname, 3, "Identity & Access Management", 3002,    \
                        tuid),                                                              \
        .sev = NC_INFO, .type = "\"Auth\"", .prog = prog_logon, .post = st, .cat = NC_AUTH,  \
        .host = true, .af = true}

AUTH(norm_class_logon_ok, 1, "Logon", 300201, "\"Logon\"", NC_ST_OK);
AUTH(norm_class_logon_fail, 1, "Logon", 300201, "\"Logon\"", NC_ST_FAIL);
AUTH(norm_class_logon_unk, 1, "Logon", 300201, "\"Logon\"", NC_ST_UNK);
AUTH(norm_class_logon_other, 99, "Other", 300299, NULL, NC_ST_UNK);
