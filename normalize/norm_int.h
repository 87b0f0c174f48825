/* norm_int.h - private to normalize/: columns, mapping programs, the normalizer.
 *
 * The mapping is data, not code (next issue: all 18 categories):
 *   - NORM_COLUMNS lists every Defender column sluice maps or treats specially;
 *     a record's properties are looked up by name once and land in rec.col[].
 *   - A mapping program (struct norm_node[]) describes one OCSF class body as a
 *     tree of objects, arrays, constants and fields (column + value rule), in
 *     output key order. norm_map.c interprets it: it writes members in order,
 *     omits objects that end up without a key member (rolling back the columns
 *     they consumed, which then land in unmapped), and reports required objects
 *     that are missing so the record degrades to Generic (schemas.md §0.2).
 *   - struct norm_class gives the class/activity captions and the program;
 *     norm_route() picks one per (table, ActionType).
 */
#ifndef SLUICE_NORM_INT_H
#define SLUICE_NORM_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "json_shim.h"
#include "norm.h"
#include "ocsf_enc.h"

/* ---- columns -------------------------------------------------------------- */

enum norm_col_flag {
    NCF_DYN = 1, /* "dynamic": a JSON string is decoded for unmapped (schemas.md §4) */
    NCF_AF = 2,  /* AdditionalFields rules (empty forms dropped, two decoding levels) */
    NCF_AFKEY = 4, /* a key inside AdditionalFields, not a property (NORM_AF_KEYS) */
};

/* X(id, "DefenderName", flags) */
#define NORM_COLUMNS(X)                                                          \
    X(TIMESTAMP, "Timestamp", 0)                                                 \
    X(ACTION_TYPE, "ActionType", 0)                                              \
    X(REPORT_ID, "ReportId", 0)                                                  \
    X(ALERT_ID, "AlertId", 0)                                                    \
    X(DEVICE_ID, "DeviceId", 0)                                                  \
    X(DEVICE_NAME, "DeviceName", 0)                                              \
    X(MACHINE_GROUP, "MachineGroup", 0)                                          \
    X(ADDITIONAL_FIELDS, "AdditionalFields", NCF_AF)                             \
    X(IP_ID, "InitiatingProcessId", 0)                                           \
    X(IP_FILE_NAME, "InitiatingProcessFileName", 0)                              \
    X(IP_FOLDER_PATH, "InitiatingProcessFolderPath", 0)                          \
    X(IP_COMMAND_LINE, "InitiatingProcessCommandLine", 0)                        \
    X(IP_CREATION_TIME, "InitiatingProcessCreationTime", 0)                      \
    X(IP_INTEGRITY, "InitiatingProcessIntegrityLevel", 0)                        \
    X(IP_LOGON_ID, "InitiatingProcessLogonId", 0)                                \
    X(IP_IS_REMOTE, "IsInitiatingProcessRemoteSession", 0)                       \
    X(IP_FILE_SIZE, "InitiatingProcessFileSize", 0)                              \
    X(IP_MD5, "InitiatingProcessMD5", 0)                                         \
    X(IP_SHA1, "InitiatingProcessSHA1", 0)                                       \
    X(IP_SHA256, "InitiatingProcessSHA256", 0)                                   \
    X(IP_VI_COMPANY, "InitiatingProcessVersionInfoCompanyName", 0)               \
    X(IP_VI_PRODUCT, "InitiatingProcessVersionInfoProductName", 0)               \
    X(IP_VI_VERSION, "InitiatingProcessVersionInfoProductVersion", 0)            \
    X(IP_VI_INTERNAL, "InitiatingProcessVersionInfoInternalFileName", 0)         \
    X(IP_VI_DESC, "InitiatingProcessVersionInfoFileDescription", 0)              \
    X(IP_PARENT_ID, "InitiatingProcessParentId", 0)                              \
    X(IP_PARENT_FILE_NAME, "InitiatingProcessParentFileName", 0)                 \
    X(IP_PARENT_CREATION_TIME, "InitiatingProcessParentCreationTime", 0)         \
    X(IP_ACCOUNT_NAME, "InitiatingProcessAccountName", 0)                        \
    X(IP_ACCOUNT_DOMAIN, "InitiatingProcessAccountDomain", 0)                    \
    X(IP_ACCOUNT_SID, "InitiatingProcessAccountSid", 0)                          \
    X(IP_ACCOUNT_OBJECT_ID, "InitiatingProcessAccountObjectId", 0)               \
    X(IP_ACCOUNT_UPN, "InitiatingProcessAccountUpn", 0)                          \
    X(PROCESS_ID, "ProcessId", 0)                                                \
    X(FILE_NAME, "FileName", 0)                                                  \
    X(FOLDER_PATH, "FolderPath", 0)                                              \
    X(PROCESS_COMMAND_LINE, "ProcessCommandLine", 0)                             \
    X(PROCESS_CREATION_TIME, "ProcessCreationTime", 0)                           \
    X(PROCESS_INTEGRITY, "ProcessIntegrityLevel", 0)                             \
    X(LOGON_ID, "LogonId", 0)                                                    \
    X(IS_PROCESS_REMOTE, "IsProcessRemoteSession", 0)                            \
    X(FILE_SIZE, "FileSize", 0)                                                  \
    X(MD5, "MD5", 0)                                                             \
    X(SHA1, "SHA1", 0)                                                           \
    X(SHA256, "SHA256", 0)                                                       \
    X(P_VI_COMPANY, "ProcessVersionInfoCompanyName", 0)                          \
    X(P_VI_PRODUCT, "ProcessVersionInfoProductName", 0)                          \
    X(P_VI_VERSION, "ProcessVersionInfoProductVersion", 0)                       \
    X(P_VI_INTERNAL, "ProcessVersionInfoInternalFileName", 0)                    \
    X(P_VI_DESC, "ProcessVersionInfoFileDescription", 0)                         \
    X(ACCOUNT_NAME, "AccountName", 0)                                            \
    X(ACCOUNT_DOMAIN, "AccountDomain", 0)                                        \
    X(ACCOUNT_SID, "AccountSid", 0)                                              \
    X(ACCOUNT_OBJECT_ID, "AccountObjectId", 0)                                   \
    X(ACCOUNT_UPN, "AccountUpn", 0)                                              \
    X(LOGGED_ON_USERS, "LoggedOnUsers", NCF_DYN)                                 \
    X(IP_ADDRESSES, "IPAddresses", NCF_DYN)                                      \
    X(CONNECTED_NETWORKS, "ConnectedNetworks", NCF_DYN)                          \
    X(DEFAULT_GATEWAYS, "DefaultGateways", NCF_DYN)                              \
    X(DNS_ADDRESSES, "DnsAddresses", NCF_DYN)                                    \
    X(CRL_DISTRIBUTION_POINT_URLS, "CrlDistributionPointUrls", NCF_DYN)          \
    X(ATTACK_TECHNIQUES, "AttackTechniques", NCF_DYN)                            \
    X(CATEGORIES, "Categories", NCF_DYN)                                         \
    X(AUTHENTICATION_DETAILS, "AuthenticationDetails", NCF_DYN)                  \
    X(RAW_EVENT_DATA, "RawEventData", NCF_DYN)                                   \
    X(LOCAL_IP, "LocalIP", 0)                                                    \
    X(LOCAL_PORT, "LocalPort", 0)                                                \
    X(LOCAL_IP_TYPE, "LocalIPType", 0)                                           \
    X(REMOTE_IP, "RemoteIP", 0)                                                  \
    X(REMOTE_PORT, "RemotePort", 0)                                              \
    X(REMOTE_IP_TYPE, "RemoteIPType", 0)                                         \
    X(REMOTE_URL, "RemoteUrl", 0)                                                \
    X(REMOTE_DEVICE_NAME, "RemoteDeviceName", 0)                                 \
    X(PROTOCOL, "Protocol", 0)                                                   \
    X(LOGON_TYPE, "LogonType", 0)                                                \
    X(FAILURE_REASON, "FailureReason", 0)                                        \
    X(PREV_FILE_NAME, "PreviousFileName", 0)                                     \
    X(PREV_FOLDER_PATH, "PreviousFolderPath", 0)                                 \
    X(REQ_ACCOUNT_NAME, "RequestAccountName", 0)                                 \
    X(REQ_ACCOUNT_DOMAIN, "RequestAccountDomain", 0)                             \
    X(REQ_ACCOUNT_SID, "RequestAccountSid", 0)                                   \
    X(REGISTRY_KEY, "RegistryKey", 0)                                            \
    X(REGISTRY_VALUE_NAME, "RegistryValueName", 0)                               \
    X(REGISTRY_VALUE_TYPE, "RegistryValueType", 0)                               \
    X(REGISTRY_VALUE_DATA, "RegistryValueData", 0)                               \
    X(PREV_REGISTRY_KEY, "PreviousRegistryKey", 0)                               \
    X(PREV_REGISTRY_VALUE_NAME, "PreviousRegistryValueName", 0)                  \
    X(PREV_REGISTRY_VALUE_DATA, "PreviousRegistryValueData", 0)                  \
    X(DEVICE_TYPE, "DeviceType", 0)                                              \
    X(AAD_DEVICE_ID, "AadDeviceId", 0)                                           \
    X(PUBLIC_IP, "PublicIP", 0)                                                  \
    X(MODEL, "Model", 0)                                                         \
    X(VENDOR, "Vendor", 0)                                                       \
    X(OS_PLATFORM, "OSPlatform", 0)                                              \
    X(OS_VERSION, "OSVersion", 0)                                                \
    X(OS_BUILD, "OSBuild", 0)                                                    \
    X(OS_ARCH, "OSArchitecture", 0)                                              \
    X(CLIENT_VERSION, "ClientVersion", 0)                                        \
    X(NETWORK_ADAPTER_NAME, "NetworkAdapterName", 0)                             \
    X(NETWORK_ADAPTER_TYPE, "NetworkAdapterType", 0)                             \
    X(MAC_ADDRESS, "MacAddress", 0)                                              \
    X(TITLE, "Title", 0)                                                         \
    X(CATEGORY, "Category", 0)                                                   \
    X(SEVERITY, "Severity", 0)                                                   \
    X(DETECTION_SOURCE, "DetectionSource", 0)                                    \
    X(SERVICE_SOURCE, "ServiceSource", 0)                                        \
    X(IS_SIGNED, "IsSigned", 0)                                                  \
    X(IS_TRUSTED, "IsTrusted", 0)                                                \
    X(SIGNER, "Signer", 0)                                                       \
    X(SIGNER_HASH, "SignerHash", 0)                                              \
    X(ISSUER, "Issuer", 0)                                                       \
    X(CERT_SERIAL, "CertificateSerialNumber", 0)                                 \
    X(CERT_CREATION_TIME, "CertificateCreationTime", 0)                          \
    X(CERT_EXPIRATION_TIME, "CertificateExpirationTime", 0)                      \
    X(CERT_COUNTERSIG_TIME, "CertificateCountersignatureTime", 0)                \
    X(ENTITY_TYPE, "EntityType", 0)                                              \
    X(EVIDENCE_DIRECTION, "EvidenceDirection", 0)                                \
    X(SUBNET_PREFIX, "SubnetPrefix", 0)

/* Keys inside AdditionalFields that a program reads (schemas.md §3.6, §3.9-§3.12).
 * X(id, "key", NCF_AFKEY); they share the column id space, so rec.col[] and
 * rec.used[] work for them too (the values live in rec.af[]). */
#define NORM_AF_KEYS(X)                                                          \
    X(AF_DIRECTION, "direction", NCF_AFKEY)                                      \
    X(AF_UID, "uid", NCF_AFKEY)                                                  \
    X(AF_IS_LOCAL_LOGON, "IsLocalLogon", NCF_AFKEY)                              \
    X(AF_SIGNATURE_NAME, "SignatureName", NCF_AFKEY)                             \
    X(AF_SIG_CONTENT, "SignatureMatchedContent", NCF_AFKEY)                      \
    X(AF_SAMPLE_PACKET, "SamplePacketContent", NCF_AFKEY)                        \
    X(AF_SCANNED_IP, "PublicScannedIp", NCF_AFKEY)                               \
    X(AF_SCANNED_PORT, "PublicScannedPort", NCF_AFKEY)                           \
    X(AF_METHOD, "method", NCF_AFKEY)                                            \
    X(AF_HOST, "host", NCF_AFKEY)                                                \
    X(AF_URI, "uri", NCF_AFKEY)                                                  \
    X(AF_USER_AGENT, "user_agent", NCF_AFKEY)                                    \
    X(AF_REQ_BODY_LEN, "request_body_len", NCF_AFKEY)                            \
    X(AF_STATUS_CODE, "status_code", NCF_AFKEY)                                  \
    X(AF_STATUS_MSG, "status_msg", NCF_AFKEY)                                    \
    X(AF_RESP_BODY_LEN, "response_body_len", NCF_AFKEY)                          \
    X(AF_VERSION, "version", NCF_AFKEY)                                          \
    X(AF_CIPHER, "cipher", NCF_AFKEY)                                            \
    X(AF_SERVER_NAME, "server_name", NCF_AFKEY)                                  \
    X(AF_QUERY, "query", NCF_AFKEY)                                              \
    X(AF_QTYPE_NAME, "qtype_name", NCF_AFKEY)                                    \
    X(AF_TRANS_ID, "trans_id", NCF_AFKEY)                                        \
    X(AF_RCODE, "rcode", NCF_AFKEY)                                              \
    X(AF_THREAT_NAME, "ThreatName", NCF_AFKEY)                                   \
    X(AF_WAS_REMEDIATED, "WasRemediated", NCF_AFKEY)                             \
    X(AF_COMMAND, "Command", NCF_AFKEY)                                          \
    X(AF_SCRIPT_CONTENT, "ScriptContent", NCF_AFKEY)                             \
    X(AF_TASK_NAME, "TaskName", NCF_AFKEY)                                       \
    X(AF_SERVICE_NAME, "ServiceName", NCF_AFKEY)                                 \
    X(AF_SERVICE_ACCOUNT, "ServiceAccount", NCF_AFKEY)                           \
    X(AF_GROUP_NAME, "GroupName", NCF_AFKEY)                                     \
    X(AF_GROUP_DOMAIN, "GroupDomainName", NCF_AFKEY)                             \
    X(AF_GROUP_SID, "GroupSid", NCF_AFKEY)                                       \
    X(AF_DESIRED_ACCESS, "DesiredAccess", NCF_AFKEY)                             \
    X(AF_BASE_ADDRESS, "BaseAddress", NCF_AFKEY)                                 \
    X(AF_DNS_QUERY_STRING, "DnsQueryString", NCF_AFKEY)                          \
    X(AF_PROCESS_ID, "ProcessId", NCF_AFKEY)                                     \
    X(AF_SEVERITY, "Severity", NCF_AFKEY)                                        \
    X(AF_SERVICE_START_TYPE, "ServiceStartType", NCF_AFKEY)                      \
    X(AF_SERVICE_TYPE, "ServiceType", NCF_AFKEY)                                 \
    X(AF_REGION_SIZE, "RegionSize", NCF_AFKEY)                                   \
    X(AF_SIZE, "Size", NCF_AFKEY)

#define NORM_COL_ENUM(id, name, fl) NCOL_##id,
enum norm_col {
    NCOL_NONE, /* 0: no column */
    NORM_COLUMNS(NORM_COL_ENUM) NCOL__PROPS, /* boundary: AF keys follow */
    NORM_AF_KEYS(NORM_COL_ENUM) NCOL__COUNT
};
#undef NORM_COL_ENUM

struct norm_colinfo {
    const char *name;
    uint8_t len;
    uint8_t flags; /* enum norm_col_flag */
};
extern const struct norm_colinfo norm_cols[NCOL__COUNT];

#define NORM_CTAB_SLOTS 1024 /* power of two, > 4 x NCOL__COUNT */

/* Column id of property name k (h = norm_key_hash(k, n)), or NCOL_NONE. @hot */
enum norm_col norm_col_lookup(const uint16_t *ctab, const char *k, size_t n, uint64_t h);
/* Fill the name -> column hash table with columns [first, end). */
void norm_cols_index(uint16_t ctab[NORM_CTAB_SLOTS], unsigned first, unsigned end);
/* The key hash shared by the column table and the per-record duplicate set. */
uint64_t norm_key_hash(const char *k, size_t n);

/* ---- mapping programs ----------------------------------------------------- */

enum norm_op {
    NOP_STOP,  /* end of program */
    NOP_OBJ,   /* "key":{ members... NOP_CLOSE (no key: an array element) */
    NOP_ARR,   /* "key":[ elements... NOP_CLOSE */
    NOP_CLOSE, /* end of the innermost object/array */
    NOP_FIELD, /* "key": rule(col [, alt]) when the value passes the rule */
    NOP_CONST, /* "key": lit (a JSON literal) */
    NOP_USE,   /* consume column col when present (it drove the class choice) */
};

enum norm_rule {
    NR_STR,          /* non-empty JSON string, verbatim */
    NR_IDSTR,        /* integer -> decimal string; non-empty string verbatim */
    NR_PID,          /* integer > 0 (JSON integer or digit string) */
    NR_SIZE,         /* integer >= 0 */
    NR_TIME,         /* timestamp string -> epoch ms */
    NR_INTEGRITY,    /* integrity level -> integrity_id (and "integrity" when 99) */
    NR_BOOL,         /* true/false, 1/0, "true"/"false"/"1"/"0" */
    NR_HASH,         /* arg hex digits -> lower-case */
    NR_EMAIL,        /* looks like x@y.z (email_t) */
    NR_NAME_OR_BASE, /* string col, else the last path element of string alt */
    NR_INT,          /* any int64 (JSON integer or digit string) */
    NR_INT_HEX,      /* int64, also "0x" + hex digits (DesiredAccess) */
    NR_IP,           /* IPv4 dotted quad / RFC 4291 IPv6 (+%zone), spaces trimmed */
    NR_PORT,         /* integer 1-65535 */
    NR_MAC,          /* 12 hex digits, '-'/':' separators -> AA:BB:CC:DD:EE:FF */
    NR_ENUM,         /* string -> id via norm_enums[arg] (+ sibling string when 99) */
    NR_PROTO,        /* "TCP" -> "protocol_name":"tcp","protocol_num":6 */
    NR_NOT_BOOL,     /* boolean, negated (is_remote = not IsLocalLogon) */
    NR_FOLDER,       /* path up to its last '\\' or '/' (parent_folder) */
    NR_URL_HOST,     /* host part of a URL (scheme, path, port stripped) */
    NR_IS_TRUE,      /* writes lit when the column is boolean true */
    NR_NOT_ZERO_STR, /* string that is not "-" (drift: "-" is absent) */
    NR_FINDING_UID,  /* "<DeviceId>:<ReportId>:<Timestamp>" (§0.3); consumes nothing */
    NR_STR_OR,       /* string col, else string alt; a key member only when from col */
    NR_SLASH,        /* string starting with '/' (url.path) */
    NR_NO_SLASH,     /* string not starting with '/' (url.url_string, CONNECT) */
    NR_ENUM0,        /* NR_ENUM; 0 when the column is absent (device.type_id) */
    NR_STR_OR_KEY,   /* NR_STR_OR, and a key member from alt too (alt not consumed) */
    NR_ATTACKS,      /* AttackTechniques ("Name (T1234.001)" list) -> attacks[] (§3.10) */
    NR_STR_ARR1,     /* non-empty string -> ["string"] */
    NR_JSON_STRARR,  /* a (JSON-encoded) non-empty array of strings, as it is */
    NR_AF_REST,      /* the AdditionalFields members not consumed so far, as an object */
    NR_JOIN_PATH,    /* folder col + separator + name alt (AlertEvidence file.path) */
    NR_MALWARE_CLASS, /* threat name prefix -> classification_ids[] (+ classifications) */
    NR_FUNC_NAME,    /* ActionType minus a trailing "ApiCall" */
    NR_SCRIPT_TYPE,  /* script type_id from the file name's extension */
    NR_IS_FALSE,     /* writes lit when the column is boolean false */
    NR_SVC_START,    /* service start type (0-4 or Boot/System/Auto/Demand/Disabled) */
    NR_SVC_TYPE,     /* service type (1, 2, 16, 32, else 99) */
    NR_IFACES,       /* IPAddresses + adapter columns -> network_interfaces[] (§3.15) */
};

/* String -> enum id tables for NR_ENUM (norm_enums.c). */
struct norm_enum_ent {
    const char *name; /* lower-case; "*" suffix: a prefix match */
    uint8_t len;
    uint16_t id;
};
struct norm_enum {
    const char *sib;  /* "\"logon_type\":" written with the raw value for id 99; NULL:
                       * an unknown value is not mapped (stays in unmapped) */
    uint8_t siblen;
    uint8_t n;
    const struct norm_enum_ent *e;
};
enum norm_enum_id {
    NE_LOGON_TYPE,
    NE_AUTH_PROTOCOL,
    NE_REG_TYPE,
    NE_SEVERITY,
    NE_SCOPE,
    NE_IFACE_TYPE,
    NE_OS_TYPE,
    NE_DEVICE_TYPE,
    NE_CPU_BITS,
    NE_RCODE,
    NE__COUNT
};
extern const struct norm_enum norm_enums[NE__COUNT];
/* The id of s in enum e: >= 0, or -1 when unknown (the caller applies 99). */
int norm_enum_find(const struct norm_enum *e, const char *s, size_t n);
bool norm_ieq(const char *s, size_t n, const char *lit, size_t ln);

enum norm_node_flag {
    NN_KEY = 1, /* written => the enclosing object/array is kept */
    NN_REQ = 2, /* top-level object the class requires: missing => degrade (label req) */
    NN_ELSE = 8,  /* object skipped when the previous sibling object was kept */
    NN_NOUSE = 4, /* the column is not consumed (its raw value also stays in unmapped) */
    NN_MUST = 16, /* the enclosing object is dropped when this field is not written */
};

struct norm_node {
    const char *key;  /* "\"name\":" (quotes and colon included); NULL for elements */
    const char *lit;  /* NOP_CONST: JSON text; NN_REQ: the degrade label path */
    uint16_t col;     /* enum norm_col */
    uint16_t alt;     /* second column for NR_NAME_OR_BASE */
    uint8_t klen;
    uint8_t op;       /* enum norm_op */
    uint8_t rule;     /* enum norm_rule */
    uint8_t flags;    /* enum norm_node_flag */
    uint8_t arg;      /* NR_HASH: number of hex digits */
};

#define NN_K(k) .key = "\"" k "\":", .klen = sizeof("\"" k "\":") - 1
#define N_OBJ(k, fl)          {NN_K(k), .op = NOP_OBJ, .flags = (fl)}
#define N_OBJ_REQ(k, label)   {NN_K(k), .op = NOP_OBJ, .flags = NN_REQ, .lit = (label)}
#define N_ELEM(fl)            {.op = NOP_OBJ, .flags = (fl)}
#define N_ARR(k, fl)          {NN_K(k), .op = NOP_ARR, .flags = (fl)}
#define N_CLOSE               {.op = NOP_CLOSE}
#define N_FIELD(k, c, r, fl)                                                                   \
    {NN_K(k), .op = NOP_FIELD, .col = NCOL_##c, .rule = (r), .flags = (fl)}
#define N_FIELD2(k, c, a, r, fl)                                                               \
    {NN_K(k), .op = NOP_FIELD, .col = NCOL_##c, .alt = NCOL_##a, .rule = (r), .flags = (fl)}
#define N_HASH(alg, c, digits)                                                                 \
    N_ELEM(NN_KEY), {NN_K("algorithm_id"), .op = NOP_CONST, .lit = #alg},                      \
        {NN_K("value"), .op = NOP_FIELD, .col = NCOL_##c, .rule = NR_HASH, .arg = (digits),   \
         .flags = NN_KEY},                                                                     \
        N_CLOSE
#define N_CONST(k, json)      {NN_K(k), .op = NOP_CONST, .lit = (json)}
#define N_USE(c)              {.op = NOP_USE, .col = NCOL_##c}
#define N_CONSTK(k, json)     {NN_K(k), .op = NOP_CONST, .lit = (json), .flags = NN_KEY}
#define N_ENUM(k, c, e, fl)                                                                    \
    {NN_K(k), .op = NOP_FIELD, .col = NCOL_##c, .rule = NR_ENUM, .arg = (e), .flags = (fl)}
#define N_RULE(k, c, r, a, fl)                                                                 \
    {NN_K(k), .op = NOP_FIELD, .col = NCOL_##c, .rule = (r), .arg = (a), .flags = (fl)}
#define N_PROTO(c) {.op = NOP_FIELD, .col = NCOL_##c, .rule = NR_PROTO, .flags = NN_KEY}
#define N_IS_TRUE(k, c, json, fl)                                                              \
    {NN_K(k), .op = NOP_FIELD, .col = NCOL_##c, .rule = NR_IS_TRUE, .lit = (json), .flags = (fl)}
#define N_STOP                {.op = NOP_STOP}


struct norm_class;

/* A class variant chosen by the value of one column (HTTP method, WasRemediated). */
struct norm_case {
    const char *val;        /* lower-case; "true"/"false" also match booleans */
    const struct norm_class *cls;
};

/* One OCSF class + activity as sluice writes it. */
struct norm_class {
    const char *head;       /* "{\"activity_id\":N,\"activity_name\":" */
    const char *activity;   /* "\"Launch\"", or NULL: the ActionType (or table name) */
    const char *tail;       /* ",\"category_uid\":...\"type_name\":\"...\"" */
    const char *sev;        /* ",\"severity_id\":1,\"severity\":\"Informational\"", or NULL:
                             * from the Severity column (AF too), 0 Unknown without one */
    const char *type;       /* metadata.type text, quoted */
    const char *meta;       /* extra metadata members (",\"extensions\":[...]"), or NULL */
    const char *post;       /* constant members after the program (status...), or NULL */
    const struct norm_node *prog;
    const struct norm_node *prog_in; /* inbound flows (AF.direction "In"), or NULL */
    const struct norm_case *cases;   /* variants by column sw (NULL-terminated), or NULL */
    uint16_t sw;            /* enum norm_col for cases */
    enum norm_cat cat;
    bool host;              /* device/actor always present: metadata.profiles ["host"] */
    bool sc;                /* security_control profile */
    bool af;                /* reads AdditionalFields keys */
    bool dir_in;            /* inbound unless AF.direction says otherwise */
};

/* Captions: NC_HEAD(1) "...\"activity_name\":", NC_TAIL(class caption, activity caption,
 * category_uid, category caption, class_uid, type_uid). */
#define NC_HEAD(aid) "{\"activity_id\":" #aid ",\"activity_name\":"
#define NC_TAIL(kname, aname, cuid, cname, kuid, tuid)                                        \
    ",\"category_uid\":" #cuid ",\"category_name\":\"" cname "\",\"class_uid\":" #kuid            \
    ",\"class_name\":\"" kname "\",\"type_uid\":" #tuid ",\"type_name\":\"" kname ": " aname "\""
#define NC_ST_OK ",\"status_id\":1,\"status\":\"Success\""
#define NC_ST_FAIL ",\"status_id\":2,\"status\":\"Failure\""
#define NC_ST_UNK ",\"status_id\":0,\"status\":\"Unknown\""
#define NC_INFO ",\"severity_id\":1,\"severity\":\"Informational\""
#define NC_WIN ",\"extensions\":[{\"name\":\"win\",\"uid\":\"2\",\"version\":\"1.8.0\"}]"

extern const struct norm_class norm_class_generic;
extern const struct norm_class norm_class_process_launch;
extern const struct norm_class norm_class_nf_open_ok, norm_class_nf_open_unk, norm_class_nf_open_in,
    norm_class_nf_fail, norm_class_nf_traffic, norm_class_nf_listen, norm_class_nf_other,
    norm_class_nf_ssl, norm_class_nf_ssh, norm_class_nf_ftp, norm_class_nf_smtp,
    norm_class_nf_icmp, norm_class_nf_ntlm, norm_class_dns_traffic, norm_class_http,
    norm_class_nids_sig, norm_class_nids_scan;
extern const struct norm_class norm_class_file_create, norm_class_file_update,
    norm_class_file_delete, norm_class_file_rename, norm_class_file_setattr,
    norm_class_file_other, norm_class_image_load;
extern const struct norm_class norm_class_regkey_create, norm_class_regkey_delete,
    norm_class_regkey_rename, norm_class_regkey_other, norm_class_regval_set,
    norm_class_regval_delete, norm_class_regval_other;
extern const struct norm_class norm_class_alert_info, norm_class_alert_evidence;
extern const struct norm_class norm_class_device_info, norm_class_device_network_info,
    norm_class_file_cert_info;
extern const struct norm_class norm_class_fw_in_blocked, norm_class_fw_out_blocked,
    norm_class_ep_blocked, norm_class_ep_audited;
extern const struct norm_class norm_class_av_detection, norm_class_av_blocked,
    norm_class_av_failed, norm_class_av_report, norm_class_ps_command,
    norm_class_script_content, norm_class_inject_thread, norm_class_inject_apc,
    norm_class_inject_context, norm_class_api_open, norm_class_mem_alloc,
    norm_class_mem_protect, norm_class_mem_read, norm_class_mem_write, norm_class_mem_map,
    norm_class_api_invoke, norm_class_task_create, norm_class_task_update,
    norm_class_task_delete, norm_class_task_enable, norm_class_task_disable,
    norm_class_service_installed, norm_class_generic_actor, norm_class_wmi_binding,
    norm_class_account_create, norm_class_account_delete, norm_class_account_other,
    norm_class_account_password, norm_class_group_add_user, norm_class_group_remove_user,
    norm_class_group_delete, norm_class_group_create, norm_class_dns_response;
extern const struct norm_class norm_class_logon_ok, norm_class_logon_fail, norm_class_logon_unk,
    norm_class_logon_other;

/* Whether the class at the end of cls's variant chain reads AF keys. */
bool norm_class_reads_af(const struct norm_class *cls);

/* The class for (table, ActionType); never NULL (Generic). */
const struct norm_class *norm_route(enum norm_table t, const char *action, size_t action_len);

/* ---- SHA-1 / UUIDv5 ------------------------------------------------------- */

struct norm_sha1 {
    uint32_t h[5];
    uint32_t blen;
    uint64_t len;
    uint8_t buf[64];
};
void norm_sha1_init(struct norm_sha1 *c);
void norm_sha1_update(struct norm_sha1 *c, const void *p, size_t n);
void norm_sha1_final(struct norm_sha1 *c, uint8_t out[20]);
/* UUIDv5 in pieces: begin (hashes sluice's namespace), update with the name, end
 * writes the 36 lower-case characters. */
void norm_uuid5_begin(struct norm_sha1 *c);
void norm_uuid5_end(struct norm_sha1 *c, char out[36]);
void norm_uuid5(const char *name, size_t n, char out[36]);

/* ---- times ---------------------------------------------------------------- */

/* Parse a Defender timestamp (schemas.md §4) into epoch ms. 0 or -EINVAL. @hot */
int norm_time_parse(const char *s, size_t n, int64_t *ms) MUST_CHECK;

/* ---- the normalizer ------------------------------------------------------- */

#define NORM_MAX_DEPTH 16   /* mapping program nesting */
#define NORM_AF_MAX    48   /* AdditionalFields members looked at (more stay unmapped) */
#define NORM_LOG_MAX   256  /* consumed columns per event (programs are static) */

enum norm_fflag {
    NFF_DUP = 1, /* a later occurrence of a key already seen: ignored (first wins) */
};

/* What the index pass learned about one field of the current record. */
struct norm_fmeta {
    uint16_t col;  /* enum norm_col, NCOL_NONE for names sluice does not know */
    uint8_t flags; /* enum norm_fflag */
};

/* One record being normalized. Field indexes are 1-based (0 = absent). */
struct norm_rec {
    const struct json_record *jr;
    const struct json_field *f;
    uint32_t nf;
    uint32_t env_time;      /* envelope "time", "tenantId", "category" */
    uint32_t env_tenant;
    uint32_t env_category;
    bool time_used;         /* envelope time went to logged_time */
    bool tenant_used;
    enum norm_table table;
    const char *table_name;
    size_t table_len;
    uint32_t col[NCOL__COUNT];  /* first occurrence of each known column; an AF key's
                                 * index is nf + 1 + its position in af[] */
    struct json_field af[NORM_AF_MAX]; /* AdditionalFields members (norm_af.c) */
    uint16_t afcol[NORM_AF_MAX];
    uint32_t naf;
    bool af_split;              /* af[] holds the members of AdditionalFields */
    uint8_t used[NCOL__COUNT];  /* times each column was written (0: unmapped) */
};

struct norm_frame {
    size_t pos;         /* output length before this member (comma included) */
    uint32_t log;       /* consumed-log length when it opened */
    uint16_t n;         /* members written */
    uint16_t keys;      /* key members written */
    bool last_kept;     /* the last child object/array closed was kept */
    bool dead;          /* an NN_MUST field was not written: drop at close */
    const struct norm_node *node;
};

struct norm {
    struct json_parser *jp;
    struct norm_rec rec;
    struct norm_fmeta *fm;      /* per field of the current record */
    uint32_t fm_cap;
    uint32_t *dset;             /* duplicate detection for unknown keys: stamp, field */
    uint32_t dset_cap;          /* slots (power of two) */
    uint32_t dstamp;
    uint16_t ctab[NORM_CTAB_SLOTS];
    uint16_t afctab[NORM_CTAB_SLOTS];
    uint16_t log[NORM_LOG_MAX]; /* columns consumed in program order (for rollback) */
    uint32_t nlog;
    struct norm_sha1 uuid_pre;  /* namespace + this message's id prefix */
    char *eh_prefix;            /* "eh|<ns lower>|<hub lower>|" */
    size_t eh_prefix_len;
    bool keep_original;
    struct buf fix;             /* a body with its invalid UTF-8 repaired (+JSON_PAD) */
};

/* Write the program's members into w (after the metadata). Returns the label
 * path of the first required object that could not be built, or NULL. @hot */
const char *norm_emit_prog(struct norm *n, struct ocsf_w *w, const struct norm_node *prog);

/* The usable field for column c: present, not null, not "". @hot */
static inline const struct json_field *norm_field(const struct norm_rec *r, enum norm_col c)
{
    uint32_t i = r->col[c];
    if (!i)
        return NULL;
    const struct json_field *f = i <= r->nf ? &r->f[i - 1] : &r->af[i - 1 - r->nf];
    if (f->type == JSON_NULL || (f->type == JSON_STRING && f->val_len == 0))
        return NULL;
    return f;
}

static inline const struct json_field *norm_str(const struct norm_rec *r, enum norm_col c)
{
    const struct json_field *f = norm_field(r, c);
    return f && f->type == JSON_STRING ? f : NULL;
}

/* Split AdditionalFields into rec.af[] and index the keys sluice reads
 * (norm_af.c). Returns 0 or -ENOMEM. */
int norm_af_split(struct norm *n) MUST_CHECK;
/* Write {the AF members not consumed so far} and consume AdditionalFields;
 * false (nothing written) when AF was not split or nothing is left. */
bool norm_af_rest(struct norm *n, struct ocsf_w *w);
/* Past the compact JSON value at s (a string, object, array or scalar), or NULL. */
const char *norm_json_skip(const char *s, const char *e);
/* Write "AdditionalFields":{the members no program consumed} (or nothing). */
void norm_af_unmapped(struct norm *n, struct ocsf_w *w, bool *any);

/* Mark column c consumed (logged for rollback). */
static inline void norm_use(struct norm *n, enum norm_col c)
{
    n->rec.used[c]++;
    if (n->nlog < NORM_LOG_MAX)
        n->log[n->nlog++] = (uint16_t)c;
}

#endif
