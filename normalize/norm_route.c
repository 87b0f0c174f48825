/* norm_route.c - (table, ActionType) -> OCSF class (schemas.md §2).
 *
 * DESIGN
 * One row per mapped (table, ActionType); action NULL matches any ActionType
 * (tables without one). Rows are scanned in order within the table's range, so
 * a specific ActionType row must precede a catch-all row of the same table.
 * Globs are a prefix ("File*") or a suffix ("*ApiCall"). Everything without a row
 * is Generic. The next issue fills in the other
 * categories by adding rows and programs; nothing else changes.
 */
#include "norm_int.h"

struct route {
    enum norm_table table;
    const char *action;
    uint8_t action_len;
    bool prefix; /* "Name*" */
    bool suffix; /* "*Name" */
    const struct norm_class *cls;
};

#define ROUTE(t, a, c) {.table = (t), .action = (a), .action_len = sizeof(a) - 1, .cls = (c)}
/* a prefix glob ("File*"): action_len counts the prefix only */
#define ROUTE_P(t, a, c)                                                                     \
    {.table = (t), .action = (a), .action_len = sizeof(a) - 1, .prefix = true, .cls = (c)}
/* a suffix glob ("*ApiCall"): action_len counts the suffix only */
#define ROUTE_S(t, a, c)                                                                     \
    {.table = (t), .action = (a), .action_len = sizeof(a) - 1, .suffix = true, .cls = (c)}
#define ROUTE_ANY(t, c) {.table = (t), .action = NULL, .action_len = 0, .cls = (c)}

#define NET NT_DEVICE_NETWORK_EVENTS
#define FIL NT_DEVICE_FILE_EVENTS
#define REG NT_DEVICE_REGISTRY_EVENTS
#define LOG NT_DEVICE_LOGON_EVENTS
#define DEV NT_DEVICE_EVENTS

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
    ROUTE_ANY(NT_ALERT_INFO, &norm_class_alert_info),
    ROUTE_ANY(NT_ALERT_EVIDENCE, &norm_class_alert_evidence),
    ROUTE_ANY(NT_DEVICE_INFO, &norm_class_device_info),
    ROUTE_ANY(NT_DEVICE_NETWORK_INFO, &norm_class_device_network_info),
    ROUTE_ANY(NT_DEVICE_FILE_CERTIFICATE_INFO, &norm_class_file_cert_info),
    ROUTE(DEV, "AntivirusDetection", &norm_class_av_detection),
    ROUTE(DEV, "AntivirusReport", &norm_class_av_report),
    ROUTE(DEV, "AntivirusMalwareBlocked", &norm_class_av_blocked),
    ROUTE(DEV, "AntivirusMalwareActionFailed", &norm_class_av_failed),
    ROUTE(DEV, "PowerShellCommand", &norm_class_ps_command),
    ROUTE(DEV, "ScriptContent", &norm_class_script_content),
    ROUTE(DEV, "CreateRemoteThreadApiCall", &norm_class_inject_thread),
    ROUTE(DEV, "QueueUserApcRemoteApiCall", &norm_class_inject_apc),
    ROUTE(DEV, "SetThreadContextRemoteApiCall", &norm_class_inject_context),
    ROUTE(DEV, "OpenProcessApiCall", &norm_class_api_open),
    ROUTE(DEV, "NtAllocateVirtualMemoryApiCall", &norm_class_mem_alloc),
    ROUTE(DEV, "NtAllocateVirtualMemoryRemoteApiCall", &norm_class_mem_alloc),
    ROUTE(DEV, "NtProtectVirtualMemoryApiCall", &norm_class_mem_protect),
    ROUTE(DEV, "MemoryRemoteProtect", &norm_class_mem_protect),
    ROUTE(DEV, "ReadProcessMemoryApiCall", &norm_class_mem_read),
    ROUTE(DEV, "WriteProcessMemoryApiCall", &norm_class_mem_write),
    ROUTE(DEV, "WriteToLsassProcessMemory", &norm_class_mem_write),
    ROUTE(DEV, "NtMapViewOfSectionRemoteApiCall", &norm_class_mem_map),
    ROUTE(DEV, "GetClipboardData", &norm_class_api_invoke),
    ROUTE(DEV, "DpapiAccessed", &norm_class_api_invoke),
    ROUTE_S(DEV, "ApiCall", &norm_class_api_invoke),
    ROUTE(DEV, "ScheduledTaskCreated", &norm_class_task_create),
    ROUTE(DEV, "ScheduledTaskUpdated", &norm_class_task_update),
    ROUTE(DEV, "ScheduledTaskDeleted", &norm_class_task_delete),
    ROUTE(DEV, "ScheduledTaskEnabled", &norm_class_task_enable),
    ROUTE(DEV, "ScheduledTaskDisabled", &norm_class_task_disable),
    ROUTE(DEV, "ServiceInstalled", &norm_class_service_installed),
    ROUTE(DEV, "WmiBindEventFilterToConsumer", &norm_class_wmi_binding),
    ROUTE(DEV, "UserAccountCreated", &norm_class_account_create),
    ROUTE(DEV, "UserAccountDeleted", &norm_class_account_delete),
    ROUTE(DEV, "UserAccountModified", &norm_class_account_other),
    ROUTE(DEV, "PasswordChangeAttempt", &norm_class_account_password),
    ROUTE(DEV, "UserAccountAddedToLocalGroup", &norm_class_group_add_user),
    ROUTE(DEV, "UserAccountRemovedFromLocalGroup", &norm_class_group_remove_user),
    ROUTE(DEV, "SecurityGroupCreated", &norm_class_group_create),
    ROUTE(DEV, "SecurityGroupDeleted", &norm_class_group_delete),
    ROUTE(DEV, "DnsQueryResponse", &norm_class_dns_response),
    ROUTE(DEV, "ProcessCreatedUsingWmiQuery", &norm_class_process_launch),
    ROUTE(DEV, "FirewallInboundConnectionBlocked", &norm_class_fw_in_blocked),
    ROUTE(DEV, "FirewallInboundConnectionToAppBlocked", &norm_class_fw_in_blocked),
    ROUTE(DEV, "FirewallOutboundConnectionBlocked", &norm_class_fw_out_blocked),
    ROUTE(DEV, "ExploitGuardNetworkProtectionBlocked", &norm_class_ep_blocked),
    ROUTE(DEV, "ExploitGuardNetworkProtectionAudited", &norm_class_ep_audited),
    ROUTE(DEV, "ShellLinkCreateFileEvent", &norm_class_file_create),
    ROUTE(DEV, "FileTimestampModified", &norm_class_file_setattr),
    ROUTE_ANY(DEV, &norm_class_generic_actor),
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
        if (!action)
            continue;
        if (r->suffix) {
            if (r->action_len <= action_len &&
                memcmp(r->action, action + action_len - r->action_len, r->action_len) == 0)
                return r->cls;
        } else if ((r->prefix ? r->action_len <= action_len : r->action_len == action_len) &&
                   memcmp(r->action, action, r->action_len) == 0) {
            return r->cls;
        }
    }
    return &norm_class_generic;
}
