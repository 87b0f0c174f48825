/* norm_names.c - names of tables, categories and dead-letter reasons. */
#include "norm.h"

static const char *const table_names[NT__COUNT] = {
    [NT_DEVICE_PROCESS_EVENTS] = "DeviceProcessEvents",
    [NT_DEVICE_NETWORK_EVENTS] = "DeviceNetworkEvents",
    [NT_DEVICE_FILE_EVENTS] = "DeviceFileEvents",
    [NT_DEVICE_REGISTRY_EVENTS] = "DeviceRegistryEvents",
    [NT_DEVICE_LOGON_EVENTS] = "DeviceLogonEvents",
    [NT_DEVICE_IMAGE_LOAD_EVENTS] = "DeviceImageLoadEvents",
    [NT_DEVICE_EVENTS] = "DeviceEvents",
    [NT_DEVICE_INFO] = "DeviceInfo",
    [NT_DEVICE_NETWORK_INFO] = "DeviceNetworkInfo",
    [NT_DEVICE_FILE_CERTIFICATE_INFO] = "DeviceFileCertificateInfo",
    [NT_ALERT_INFO] = "AlertInfo",
    [NT_ALERT_EVIDENCE] = "AlertEvidence",
    [NT_OTHER] = "other",
};

static const char *const cat_names[NC__COUNT] = {
    [NC_ANTIVIRUS] = "Antivirus",
    [NC_AUTH] = "Auth",
    [NC_DNS] = "DNS",
    [NC_FILE_COLLECTION] = "File Collection",
    [NC_HTTP] = "HTTP",
    [NC_NIDS] = "NIDS",
    [NC_NETFLOW] = "Netflow",
    [NC_PROCESS] = "Process",
    [NC_FILE_MODIFICATION] = "File Modification",
    [NC_API_CALL] = "API Call",
    [NC_REGISTRY] = "Registry",
    [NC_SCRIPTBLOCK] = "Scriptblock",
    [NC_MANAGEMENT] = "Management",
    [NC_PERSISTENCE] = "Persistence",
    [NC_THREAD_INJECTION] = "Thread Injection",
    [NC_DETECTION_FINDING] = "Detection Finding",
    [NC_TECHNIQUE_FINDING] = "Technique Finding",
    [NC_GENERIC] = "Generic",
};

static const char *const dead_names[ND__COUNT] = {
    [ND_INVALID_JSON] = "invalid_json",
    [ND_NOT_RECORDS] = "not_records",
    [ND_NO_TABLE] = "no_table",
    [ND_NO_TIME] = "no_time",
};

const char *norm_table_name(enum norm_table t)
{
    return (unsigned)t < NT__COUNT ? table_names[t] : "other";
}

const char *norm_cat_name(enum norm_cat c)
{
    return (unsigned)c < NC__COUNT ? cat_names[c] : "Generic";
}

const char *norm_dead_name(enum norm_dead d)
{
    return (unsigned)d < ND__COUNT ? dead_names[d] : "unknown";
}
