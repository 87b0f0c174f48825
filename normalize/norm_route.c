/* norm_route.c - (table, ActionType) -> OCSF class (schemas.md §2).
 *
 * DESIGN
 * One row per mapped (table, ActionType); action NULL matches any ActionType
 * (tables without one). Rows are scanned in order within the table's range, so
 * a specific ActionType row must precede a catch-all row of the same table.
 * Everything without a row is Generic. The next issue fills in the other
 * categories by adding rows and programs; nothing else changes.
 */
#include "norm_int.h"

struct route {
    enum norm_table table;
    const char *action;
    uint8_t action_len;
    bool prefix;
    const struct norm_class *cls;
};

#define ROUTE(t, a, c) {.table = (t), .action = (a), .action_len = sizeof(a) - 1, .cls = (c)}
/* a prefix glob ("File*"): action_len counts the prefix only */
#define ROUTE_P(t, a, c)                                                                     \
    {.table = (t), .action = (a), .action_len = sizeof(a) - 1, .prefix = true, .cls = (c)}
#define ROUTE_ANY(t, c) {.table = (t), .action = NULL, .action_len = 0, .cls = (c)}

#define NET NT_DEVICE_NETWORK_EVENTS
#define FIL NT_DEVICE_FILE_EVENTS
#define REG NT_DEVICE_REGISTRY_EVENTS
#define LOG NT_DEVICE_LOGON_EVENTS

static const struct route routes[] = {
    ROUTE(NT_DEVICE_PROCESS_EVENTS, "ProcessCreated", &norm_class_process_launch),
    ROUTE(NET, "ConnectionSuccess", &norm_class_nf_open_ok),
    ROUTE(NET, "ConnectionFailed", &norm_class_nf_fail),
    ROUTE(NET, "ConnectionRequest", &norm_class_nf_open_unk),
    ROUTE(NET, "ConnectionAttempt", &norm_class_nf_open_unk),
    ROUTE(NET, "ConnectionAcknowledged", &norm_class_nf_open_ok),
    ROUTE(NET, "InboundConnectionAccepted", &norm_class_nf_open_in),
    ROUTE(NET, "InboundConnectionAcknowledged", &norm_class_nf_open_in),
    ROUTE(NET, "ConnectionFound", &norm_class_nf_traffic),
    ROUTE(NET, "ListeningConnectionCreated", &norm_class_nf_listen),
    ROUTE(NET, "DnsConnectionInspected", &norm_class_dns_traffic),
    ROUTE(NET, "HttpConnectionInspected", &norm_class_http),
    ROUTE(NET, "NetworkSignatureInspected", &norm_class_nids_sig),
    ROUTE(NET, "InboundInternetScanInspected", &norm_class_nids_scan),
    ROUTE(NET, "SslConnectionInspected", &norm_class_nf_ssl),
    ROUTE(NET, "SshConnectionInspected", &norm_class_nf_ssh),
    ROUTE(NET, "FtpConnectionInspected", &norm_class_nf_ftp),
    ROUTE(NET, "SmtpConnectionInspected", &norm_class_nf_smtp),
    ROUTE(NET, "IcmpConnectionInspected", &norm_class_nf_icmp),
    ROUTE(NET, "NtlmAuthenticationInspected", &norm_class_nf_ntlm),
    ROUTE_ANY(NET, &norm_class_nf_other),
    ROUTE(FIL, "FileCreated", &norm_class_file_create),
    ROUTE(FIL, "FileModified", &norm_class_file_update),
    ROUTE(FIL, "FileRenamed", &norm_class_file_rename),
    ROUTE(FIL, "FileDeleted", &norm_class_file_delete),
    ROUTE_ANY(FIL, &norm_class_file_other),
    ROUTE(REG, "RegistryKeyCreated", &norm_class_regkey_create),
    ROUTE(REG, "RegistryKeyDeleted", &norm_class_regkey_delete),
    ROUTE(REG, "RegistryKeyRenamed", &norm_class_regkey_rename),
    ROUTE(REG, "RegistryValueSet", &norm_class_regval_set),
    ROUTE(REG, "RegistryValueDeleted", &norm_class_regval_delete),
    ROUTE_P(REG, "RegistryValue", &norm_class_regval_other),
    ROUTE_ANY(REG, &norm_class_regkey_other),
    ROUTE(LOG, "LogonSuccess", &norm_class_logon_ok),
    ROUTE(LOG, "LogonFailed", &norm_class_logon_fail),
    ROUTE(LOG, "LogonAttempted", &norm_class_logon_unk),
    ROUTE_ANY(LOG, &norm_class_logon_other),
    ROUTE(NT_DEVICE_IMAGE_LOAD_EVENTS, "ImageLoaded", &norm_class_image_load),
};

bool norm_class_reads_af(const struct norm_class *cls)
{
    return cls->af;
}

const struct norm_class *norm_route(enum norm_table t, const char *action, size_t action_len)
{
    for (size_t i = 0; i < ARRAY_SIZE(routes); i++) {
        const struct route *r = &routes[i];
        if (r->table != t)
            continue;
        if (!r->action)
            return r->cls;
        if (action && (r->prefix ? r->action_len <= action_len : r->action_len == action_len) &&
            memcmp(r->action, action, r->action_len) == 0)
            return r->cls;
    }
    return &norm_class_generic;
}
