/* synth.c - realistic synthetic Defender streaming traffic (synth.h).
 *
 * DESIGN
 * A seeded world, then a stream of records drawn from it:
 *
 *   seed -> world rng:  tenant, SYN_USERS domain users, SYN_DEVICES devices (40-hex id, name,
 *                       OS, addresses, local accounts), image / DLL / signer catalogues with
 *                       stable hashes
 *        -> event rng:  per device SYN_PROCS "running" processes (pid, creation times,
 *                       parent, account, command line) that initiate its events and are
 *                       replaced now and then; per record a clock step, a table by mix, an
 *                       ActionType by that table's weights, a device, the values of its
 *                       columns, rarely drift
 *
 *   time:     Timestamp = a clock from start_ms, ~1 ms per record, never going back; the
 *             envelope `time` (export) is 1-5 minutes later; enq_ms = clock + 301 s
 *
 *   record:   val[col] = {stamp, kind, string | int | ticks}; a column whose stamp is not the
 *             current record's is null. emit() walks the table's column list:
 *             {"time":..,"tenantId":..,"operationName":"Publish","category":..,
 *              "properties":{<columns>},"Tenant":"DefaultTenant"}
 *   message:  {"records":[r1,...,rK]} -> partition (message number mod N), seq per partition
 *             from 0, offset = body bytes of that partition before it, enq_ms increasing
 *
 * Table mix (per 10,000): process 2500, network 2500, file 1500, registry 1000, image load
 * 800, DeviceEvents 800, logon 400, DeviceInfo / DeviceNetworkInfo / certificates 150
 * each, AlertInfo 20, AlertEvidence 30 (evidence rows follow the latest alert).
 *
 * Columns are one X-macro list; each table lists its columns (defender.md §2), sorted by
 * name at start as real rows are. Strings are kept JSON-escaped: catalogue text is escaped
 * once at start, dynamic text (command lines, paths, AdditionalFields) is written escaped
 * into a per-record scratch area (at most SYN_PIECE_MAX per piece), so emitting a string
 * is a copy. AdditionalFields and the other "dynamic" columns are built as JSON text and
 * emitted as a JSON string (escaped once more), or as a nested object (Zeek-style DNS
 * inspections; one drift style). The body is written through a raw cursor into a struct
 * buf reserved once per record for the worst case (SYN_REC_RESERVE: every value is
 * bounded by the scratch size or the catalogue limit), so there is no bounds check,
 * allocation or snprintf per field.
 *
 * Drift (defender.md §1.4) hits SYN_DRIFT_PER_10K records in 10,000 with one or two
 * styles: numbers as strings, booleans as 0/1, "1"/"0" or "true"/"false", datetimes with a
 * fixed 0-7 fractional digits, _TimeReceivedBySvc without Z, IPs as "-" or "", a space
 * after ':' and ',', another key order, "®" as \u00ae or as mojibake "Â®", AdditionalFields
 * as an object. Timestamp stays a valid datetime and category is always there.
 * Determinism: everything comes from two xoshiro256** streams seeded by splitmix64; no
 * clock, no addresses, no libc rand. Same options -> same bytes, with any compiler: at
 * most one draw per unsequenced expression (never two rnd() among the operands of | or +
 * or the arguments of one call; ?:, &&, || and separate declarators are sequenced).
 */
#include "synth.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "compiler.h"

#define SYN_DEVICES       320
#define SYN_USERS         240
#define SYN_PROCS         12             /* tracked running processes per device */
#define SYN_CMD_CAP       1024           /* escaped command line of a tracked process */
#define SYN_TOKEN_MAX     320            /* most one template token can add, escaped */
#define SYN_SCRATCH       (128u << 10)   /* per-record dynamic text */
#define SYN_PIECE_MAX     (8u << 10)     /* one piece of dynamic text */
#define SYN_STR_MAX       1024           /* longest escaped catalogue string */
#define SYN_REC_RESERVE   (2u << 20)     /* worst-case record, see emit() */
#define SYN_DRIFT_PER_10K 150
#define SYN_DEF_K         10
#define SYN_DEF_START_MS  1740988800000LL /* 2025-03-03T08:00:00Z */
#define SYN_ARENA_CHUNK   (64u << 10)

#define TICKS_PER_MS   10000LL
#define TICKS_PER_S    10000000LL
#define TICKS_PER_DAY  (86400LL * TICKS_PER_S)
#define FILETIME_EPOCH 116444736000000000LL /* 1601-01-01 -> 1970-01-01 in 100-ns ticks */

#define REG "\xc2\xae" /* U+00AE REGISTERED SIGN in UTF-8 */

/* ------------------------------------------------------------------------------------- */
/* PRNG: splitmix64 seeding xoshiro256** */

struct rng {
    uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl64(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl64(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl64(s[3], 45);
    return out;
}

/* Uniform in [0, n) by multiply-shift (n > 0). */
static inline uint32_t rnd(struct rng *r, uint32_t n)
{
    return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

static inline bool chance(struct rng *r, uint32_t per_10k) { return rnd(r, 10000) < per_10k; }

/* ------------------------------------------------------------------------------------- */
/* Cursor writers: each writes at p and returns the new end. The caller guarantees room. */

static const char DIG2[201] = "00010203040506070809101112131415161718192021222324252627282930313233"
                              "34353637383940414243444546474849"
                              "50515253545556575859606162636465666768697071727374757677787980818283"
                              "84858687888990919293949596979899";
static const char HEXL[] = "0123456789abcdef";
static const char HEXU[] = "0123456789ABCDEF";
static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char ALNUM[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

#define PUTL(p, lit) (memcpy((p), (lit), sizeof(lit) - 1), (p) + sizeof(lit) - 1)

static inline char *put(char *p, const void *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

static char *put_u64(char *p, uint64_t v)
{
    char tmp[20];
    char *e = tmp + sizeof(tmp), *q = e;
    while (v >= 100) {
        unsigned d = (unsigned)(v % 100);
        v /= 100;
        q -= 2;
        memcpy(q, DIG2 + 2 * d, 2);
    }
    if (v >= 10) {
        q -= 2;
        memcpy(q, DIG2 + 2 * v, 2);
    } else {
        *--q = (char)('0' + v);
    }
    return put(p, q, (size_t)(e - q));
}

static char *put_i64(char *p, int64_t v)
{
    if (v < 0) {
        *p++ = '-';
        return put_u64(p, (uint64_t)0 - (uint64_t)v);
    }
    return put_u64(p, (uint64_t)v);
}

static inline char *put_2(char *p, unsigned v) { return put(p, DIG2 + 2 * v, 2); }

static char *put_rhex(struct rng *r, char *p, size_t n, const char *digits)
{
    while (n) {
        uint64_t x = rng_next(r);
        size_t k = n < 16 ? n : 16;
        for (size_t i = 0; i < k; i++, x >>= 4)
            p[i] = digits[x & 15];
        p += k;
        n -= k;
    }
    return p;
}

static char *put_ralnum(struct rng *r, char *p, size_t n, unsigned alphabet)
{
    for (size_t i = 0; i < n; i++)
        p[i] = ALNUM[rnd(r, alphabet)];
    return p + n;
}

static char *put_guid(struct rng *r, char *p, const char *digits)
{
    p = put_rhex(r, p, 8, digits);
    *p++ = '-';
    p = put_rhex(r, p, 4, digits);
    *p++ = '-';
    p = put_rhex(r, p, 4, digits);
    *p++ = '-';
    p = put_rhex(r, p, 4, digits);
    *p++ = '-';
    return put_rhex(r, p, 12, digits);
}

/* One IPv6 group: lower-case hex without leading zeros. */
static char *put_hex16(char *p, unsigned v)
{
    int sh = 12;
    while (sh > 0 && !((v >> sh) & 15))
        sh -= 4;
    for (; sh >= 0; sh -= 4)
        *p++ = HEXL[(v >> sh) & 15];
    return p;
}

static char *put_ip4(char *p, uint32_t ip)
{
    for (int i = 3; i >= 0; i--) {
        p = put_u64(p, (ip >> (8 * i)) & 255);
        if (i)
            *p++ = '.';
    }
    return p;
}

/* n bytes of s, JSON-escaped (at most 6n bytes). */
static char *put_esc(char *p, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (LIKELY(c >= 0x20 && c != '"' && c != '\\')) {
            *p++ = (char)c;
            continue;
        }
        *p++ = '\\';
        switch (c) {
        case '"': *p++ = '"'; break;
        case '\\': *p++ = '\\'; break;
        case '\n': *p++ = 'n'; break;
        case '\r': *p++ = 'r'; break;
        case '\t': *p++ = 't'; break;
        default:
            p = PUTL(p, "u00");
            *p++ = HEXL[c >> 4];
            *p++ = HEXL[c & 15];
        }
    }
    return p;
}

static inline char *put_escz(char *p, const char *s) { return put_esc(p, s, strlen(s)); }

/* Days since 1970-01-01 -> civil date (H. Hinnant), for days >= 0. */
static void civil_from_days(int64_t z, unsigned *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = z / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (unsigned)(yoe + era * 400 + (*m <= 2));
}

/* ISO-8601 UTC of 100-ns ticks since the epoch (ticks >= 0). digits < 0: trailing
 * zeros of the 7-digit fraction trimmed (no '.' when it is 0), the way Defender
 * renders columns; else exactly `digits` (0-7) digits, truncated. */
static char *put_time(char *p, int64_t ticks, int digits, bool z)
{
    int64_t secs = ticks / TICKS_PER_S;
    unsigned frac = (unsigned)(ticks - secs * TICKS_PER_S);
    int64_t days = secs / 86400;
    unsigned sod = (unsigned)(secs - days * 86400);
    unsigned y, m, d;
    civil_from_days(days, &y, &m, &d);
    p = put_2(p, y / 100);
    p = put_2(p, y % 100);
    *p++ = '-';
    p = put_2(p, m);
    *p++ = '-';
    p = put_2(p, d);
    *p++ = 'T';
    p = put_2(p, sod / 3600);
    *p++ = ':';
    p = put_2(p, sod / 60 % 60);
    *p++ = ':';
    p = put_2(p, sod % 60);
    int n = 7;
    if (digits < 0) {
        while (n > 0 && frac % 10 == 0) {
            frac /= 10;
            n--;
        }
    } else {
        for (; n > digits; n--)
            frac /= 10;
    }
    if (n > 0) {
        *p++ = '.';
        for (int i = n - 1; i >= 0; i--, frac /= 10)
            p[i] = (char)('0' + frac % 10);
        p += n;
    }
    if (z)
        *p++ = 'Z';
    return p;
}

/* ------------------------------------------------------------------------------------- */
/* Columns */

#define SYN_COLS(X)                                                                            \
    X(AadDeviceId) X(AccountDomain) X(AccountName) X(AccountObjectId) X(AccountSid)          \
    X(AccountUpn) X(ActionType) X(AdditionalFields) X(AlertId) X(AppGuardContainerId)        \
    X(Application) X(ApplicationId) X(AssetValue) X(AttackTechniques) X(AwsResourceName)     \
    X(AzureResourceId) X(Categories) X(Category) X(CertificateCountersignatureTime)          \
    X(CertificateCreationTime) X(CertificateExpirationTime) X(CertificateSerialNumber)       \
    X(ClientVersion) X(ConnectedNetworks) X(CreatedProcessSessionId)                         \
    X(CrlDistributionPointUrls) X(DefaultGateways) X(DetectionSource) X(DeviceCategory)      \
    X(DeviceDynamicTags) X(DeviceId) X(DeviceManualTags) X(DeviceName) X(DeviceObjectId)     \
    X(DeviceSubtype) X(DeviceType) X(DnsAddresses) X(EmailSubject) X(EntityType)             \
    X(EvidenceDirection) X(EvidenceRole) X(ExclusionReason) X(ExposureLevel)                 \
    X(FailureReason) X(FileName) X(FileOriginIP) X(FileOriginReferrerUrl) X(FileOriginUrl)   \
    X(FileSize) X(FolderPath) X(GcpFullResourceName) X(IPAddresses) X(IPv4Dhcp) X(IPv6Dhcp)  \
    X(InitiatingProcessAccountDomain) X(InitiatingProcessAccountName)                        \
    X(InitiatingProcessAccountObjectId) X(InitiatingProcessAccountSid)                       \
    X(InitiatingProcessAccountUpn) X(InitiatingProcessCommandLine)                           \
    X(InitiatingProcessCreationTime) X(InitiatingProcessFileName)                            \
    X(InitiatingProcessFileSize) X(InitiatingProcessFolderPath) X(InitiatingProcessId)       \
    X(InitiatingProcessIntegrityLevel) X(InitiatingProcessLogonId) X(InitiatingProcessMD5)   \
    X(InitiatingProcessParentCreationTime) X(InitiatingProcessParentFileName)                \
    X(InitiatingProcessParentId) X(InitiatingProcessRemoteSessionDeviceName)                 \
    X(InitiatingProcessRemoteSessionIP) X(InitiatingProcessSHA1) X(InitiatingProcessSHA256)  \
    X(InitiatingProcessSessionId) X(InitiatingProcessSignatureStatus)                        \
    X(InitiatingProcessSignerType) X(InitiatingProcessTokenElevation)                        \
    X(InitiatingProcessVersionInfoCompanyName) X(InitiatingProcessVersionInfoFileDescription) \
    X(InitiatingProcessVersionInfoInternalFileName)                                          \
    X(InitiatingProcessVersionInfoOriginalFileName)                                          \
    X(InitiatingProcessVersionInfoProductName) X(InitiatingProcessVersionInfoProductVersion) \
    X(IsAzureADJoined) X(IsAzureInfoProtectionApplied) X(IsExcluded)                         \
    X(IsInitiatingProcessRemoteSession) X(IsInternetFacing) X(IsLocalAdmin)                  \
    X(IsProcessRemoteSession) X(IsRootSignerMicrosoft) X(IsSigned) X(IsTrusted) X(Issuer)    \
    X(IssuerHash) X(JoinType) X(LocalIP) X(LocalIPType) X(LocalPort) X(LoggedOnUsers)        \
    X(LogonId) X(LogonType) X(MD5) X(MacAddress) X(MachineGroup) X(MergedDeviceIds)          \
    X(MergedToDeviceId) X(Model) X(NetworkAdapterName) X(NetworkAdapterStatus)               \
    X(NetworkAdapterType) X(NetworkAdapterVendor) X(NetworkMessageId) X(OAuthApplicationId)  \
    X(OSArchitecture) X(OSBuild) X(OSDistribution) X(OSPlatform) X(OSVersion)                \
    X(OSVersionInfo) X(OnboardingStatus) X(PreviousFileName) X(PreviousFolderPath)           \
    X(PreviousRegistryKey) X(PreviousRegistryValueData) X(PreviousRegistryValueName)         \
    X(ProcessCommandLine) X(ProcessCreationTime) X(ProcessId) X(ProcessIntegrityLevel)       \
    X(ProcessRemoteSessionDeviceName) X(ProcessRemoteSessionIP) X(ProcessTokenElevation)     \
    X(ProcessVersionInfoCompanyName) X(ProcessVersionInfoFileDescription)                    \
    X(ProcessVersionInfoInternalFileName) X(ProcessVersionInfoOriginalFileName)              \
    X(ProcessVersionInfoProductName) X(ProcessVersionInfoProductVersion) X(Protocol)         \
    X(PublicIP) X(RegistryDeviceTag) X(RegistryKey) X(RegistryValueData)                     \
    X(RegistryValueName) X(RegistryValueType) X(RemoteDeviceName) X(RemoteIP)               \
    X(RemoteIPType) X(RemotePort) X(RemoteUrl) X(ReportId) X(RequestAccountDomain)           \
    X(RequestAccountName) X(RequestAccountSid) X(RequestProtocol) X(RequestSourceIP)         \
    X(RequestSourcePort) X(SHA1) X(SHA256) X(SensitivityLabel) X(SensitivitySubLabel)        \
    X(SensorHealthState) X(ServiceSource) X(Severity) X(ShareName) X(SignatureType)          \
    X(Signer) X(SignerHash) X(ThreatFamily) X(Timestamp) X(Title) X(TunnelType) X(Vendor)

enum col {
#define X(n) C_##n,
    SYN_COLS(X)
#undef X
    NCOL
};
_Static_assert(NCOL < 256, "column ids are stored in uint8_t");

static const char *const col_names[NCOL] = {
#define X(n) #n,
    SYN_COLS(X)
#undef X
};

/* Columns that hold an IP address (the "-" / "" drift). */
static const uint8_t ip_cols[] = {C_LocalIP, C_RemoteIP, C_FileOriginIP, C_RequestSourceIP,
                                  C_PublicIP, C_IPv4Dhcp, C_IPv6Dhcp,
                                  C_InitiatingProcessRemoteSessionIP, C_ProcessRemoteSessionIP};

#define ID_EV                                                                                  \
    C_DeviceId, C_DeviceName, C_ReportId, C_MachineGroup, C_Timestamp, C_AppGuardContainerId
#define ID_SNAP C_DeviceId, C_DeviceName, C_ReportId, C_MachineGroup, C_Timestamp
#define IPB_BASE                                                                                \
    C_InitiatingProcessAccountDomain, C_InitiatingProcessAccountName,                           \
        C_InitiatingProcessAccountObjectId, C_InitiatingProcessAccountSid,                      \
        C_InitiatingProcessAccountUpn, C_InitiatingProcessCommandLine,                          \
        C_InitiatingProcessCreationTime, C_InitiatingProcessFileName, C_InitiatingProcessFileSize, \
        C_InitiatingProcessFolderPath, C_InitiatingProcessId, C_InitiatingProcessMD5,           \
        C_InitiatingProcessParentCreationTime, C_InitiatingProcessParentFileName,               \
        C_InitiatingProcessParentId, C_InitiatingProcessSHA1, C_InitiatingProcessSHA256,        \
        C_InitiatingProcessVersionInfoCompanyName, C_InitiatingProcessVersionInfoFileDescription, \
        C_InitiatingProcessVersionInfoInternalFileName,                                         \
        C_InitiatingProcessVersionInfoOriginalFileName,                                         \
        C_InitiatingProcessVersionInfoProductName, C_InitiatingProcessVersionInfoProductVersion, \
        C_InitiatingProcessSessionId, C_IsInitiatingProcessRemoteSession,                       \
        C_InitiatingProcessRemoteSessionDeviceName, C_InitiatingProcessRemoteSessionIP
#define IPB_ELEV C_InitiatingProcessIntegrityLevel, C_InitiatingProcessTokenElevation
#define ACC5 C_AccountDomain, C_AccountName, C_AccountObjectId, C_AccountSid, C_AccountUpn
#define HASH3 C_MD5, C_SHA1, C_SHA256

static const uint8_t cols_proc[] = {
    ID_EV, IPB_BASE, IPB_ELEV, C_InitiatingProcessLogonId, C_InitiatingProcessSignatureStatus,
    C_InitiatingProcessSignerType, ACC5, C_ActionType, C_AdditionalFields, C_FileName,
    C_FolderPath, C_FileSize, HASH3, C_LogonId, C_ProcessCommandLine, C_ProcessCreationTime,
    C_ProcessId, C_ProcessIntegrityLevel, C_ProcessTokenElevation, C_ProcessVersionInfoCompanyName,
    C_ProcessVersionInfoFileDescription, C_ProcessVersionInfoInternalFileName,
    C_ProcessVersionInfoOriginalFileName, C_ProcessVersionInfoProductName,
    C_ProcessVersionInfoProductVersion, C_CreatedProcessSessionId, C_IsProcessRemoteSession,
    C_ProcessRemoteSessionDeviceName, C_ProcessRemoteSessionIP};
static const uint8_t cols_net[] = {ID_EV, IPB_BASE, IPB_ELEV, C_ActionType, C_AdditionalFields,
                                   C_LocalIP, C_LocalIPType, C_LocalPort, C_Protocol, C_RemoteIP,
                                   C_RemoteIPType, C_RemotePort, C_RemoteUrl};
static const uint8_t cols_file[] = {
    ID_EV, IPB_BASE, IPB_ELEV, C_ActionType, C_AdditionalFields, C_FileName, C_FolderPath,
    C_FileSize, HASH3, C_PreviousFileName, C_PreviousFolderPath, C_FileOriginUrl,
    C_FileOriginReferrerUrl, C_FileOriginIP, C_IsAzureInfoProtectionApplied, C_SensitivityLabel,
    C_SensitivitySubLabel, C_ShareName, C_RequestAccountDomain, C_RequestAccountName,
    C_RequestAccountSid, C_RequestProtocol, C_RequestSourceIP, C_RequestSourcePort};
static const uint8_t cols_reg[] = {
    ID_EV, IPB_BASE, IPB_ELEV, C_ActionType, C_RegistryKey, C_RegistryValueName,
    C_RegistryValueType, C_RegistryValueData, C_PreviousRegistryKey, C_PreviousRegistryValueName,
    C_PreviousRegistryValueData};
static const uint8_t cols_logon[] = {
    ID_EV, IPB_BASE, IPB_ELEV, C_AccountDomain, C_AccountName, C_AccountSid, C_ActionType,
    C_AdditionalFields, C_FailureReason, C_IsLocalAdmin, C_LogonId, C_LogonType, C_Protocol,
    C_RemoteDeviceName, C_RemoteIP, C_RemoteIPType, C_RemotePort};
static const uint8_t cols_img[] = {ID_EV, IPB_BASE, IPB_ELEV, C_ActionType, C_FileName,
                                   C_FolderPath, C_FileSize, HASH3};
static const uint8_t cols_evt[] = {
    ID_EV, IPB_BASE, C_InitiatingProcessLogonId, C_AccountDomain, C_AccountName, C_AccountSid,
    C_ActionType, C_AdditionalFields, C_FileName, C_FolderPath, C_FileSize, HASH3,
    C_FileOriginIP, C_FileOriginUrl, C_LocalIP, C_LocalPort, C_RemoteIP, C_RemotePort,
    C_RemoteUrl, C_RemoteDeviceName, C_LogonId, C_ProcessId, C_ProcessCommandLine,
    C_ProcessCreationTime, C_ProcessTokenElevation, C_RegistryKey, C_RegistryValueName,
    C_RegistryValueData};
static const uint8_t cols_info[] = {
    ID_SNAP, C_AadDeviceId, C_AdditionalFields, C_AssetValue, C_AwsResourceName,
    C_AzureResourceId, C_ClientVersion, C_DeviceCategory, C_DeviceDynamicTags,
    C_DeviceManualTags, C_DeviceObjectId, C_DeviceSubtype, C_DeviceType, C_ExclusionReason,
    C_ExposureLevel, C_GcpFullResourceName, C_IsAzureADJoined, C_IsExcluded, C_IsInternetFacing,
    C_JoinType, C_LoggedOnUsers, C_MergedDeviceIds, C_MergedToDeviceId, C_Model,
    C_OnboardingStatus, C_OSArchitecture, C_OSBuild, C_OSDistribution, C_OSPlatform,
    C_OSVersion, C_OSVersionInfo, C_PublicIP, C_RegistryDeviceTag, C_SensorHealthState,
    C_Vendor};
static const uint8_t cols_netinfo[] = {
    ID_SNAP, C_ConnectedNetworks, C_DefaultGateways, C_DnsAddresses, C_IPAddresses, C_IPv4Dhcp,
    C_IPv6Dhcp, C_MacAddress, C_NetworkAdapterName, C_NetworkAdapterStatus,
    C_NetworkAdapterType, C_NetworkAdapterVendor, C_TunnelType};
static const uint8_t cols_cert[] = {
    ID_SNAP, C_SHA1, C_IsSigned, C_IsTrusted, C_IsRootSignerMicrosoft, C_SignatureType, C_Signer,
    C_SignerHash, C_Issuer, C_IssuerHash, C_CertificateSerialNumber, C_CertificateCreationTime,
    C_CertificateExpirationTime, C_CertificateCountersignatureTime, C_CrlDistributionPointUrls};
static const uint8_t cols_ainfo[] = {C_AlertId, C_Title, C_Category, C_Severity,
                                     C_DetectionSource, C_ServiceSource, C_AttackTechniques,
                                     C_Timestamp, C_MachineGroup};
static const uint8_t cols_aev[] = {
    C_AlertId, C_Title, C_Categories, C_AttackTechniques, C_DetectionSource, C_ServiceSource,
    C_EntityType, C_EvidenceRole, C_EvidenceDirection, ACC5, C_DeviceId, C_DeviceName,
    C_LocalIP, C_RemoteIP, C_RemoteUrl, C_FileName, C_FolderPath, C_FileSize, C_SHA1, C_SHA256,
    C_ThreatFamily, C_ProcessCommandLine, C_RegistryKey, C_RegistryValueName,
    C_RegistryValueData, C_EmailSubject, C_NetworkMessageId, C_Application, C_ApplicationId,
    C_OAuthApplicationId, C_AdditionalFields, C_Timestamp, C_MachineGroup};

/* ------------------------------------------------------------------------------------- */
/* Catalogues (raw text; escaped once at start) */

enum plat { PL_WIN = 1, PL_LINUX = 2, PL_MAC = 4, PL_POSIX = PL_LINUX | PL_MAC, PL_ANY = 7 };

enum acct_kind { AK_SYSTEM, AK_LOCALSVC, AK_NETSVC, AK_USER, AK_ADMIN, AK_ROOT, AK_PUSER,
                 AK_WWW, AK_INHERIT };

enum img_flag { IF_NET = 1, IF_SHELL = 2, IF_BROWSER = 4, IF_OFFICE = 8 };

struct img_def {
    const char *path; /* full path, real case */
    const char *company, *product, *version, *desc, *internal, *original;
    uint32_t size;
    uint8_t plat, ak, flags;
    uint16_t weight;     /* how often it is started, among its platform's images */
    const char *parent;  /* file name of its usual parent */
    const char *cmd[3];  /* command-line templates, see expand() */
};

#define MSW "Microsoft Corporation", "Microsoft" REG " Windows" REG " Operating System"
#define MSO "Microsoft Corporation", "Microsoft Office"

static const struct img_def img_defs[] = {
    {"C:\\Windows\\System32\\svchost.exe", MSW, "10.0.19041.3996",
     "Host Process for Windows Services",
     "svchost.exe", "svchost.exe", 55320, PL_WIN, AK_SYSTEM, IF_NET, 40, "services.exe",
     {"svchost.exe -k netsvcs -p -s %s",
      "C:\\Windows\\system32\\svchost.exe -k LocalService -p -s %s",
      "C:\\Windows\\System32\\svchost.exe -k NetworkService -p"}},
    {"C:\\Windows\\System32\\services.exe", MSW, "10.0.19041.3930", "Services and Controller app",
     "services.exe", "services.exe", 714856, PL_WIN, AK_SYSTEM, 0, 0, "wininit.exe",
     {"C:\\Windows\\system32\\services.exe"}},
    {"C:\\Windows\\System32\\wininit.exe", MSW, "10.0.19041.3636", "Windows Start-Up Application",
     "wininit.exe", "wininit.exe", 431616, PL_WIN, AK_SYSTEM, 0, 0, "smss.exe", {"wininit.exe"}},
    {"C:\\Windows\\System32\\lsass.exe", MSW, "10.0.19041.3996",
     "Local Security Authority Process", "lsass.exe", "lsass.exe", 59456, PL_WIN, AK_SYSTEM,
     IF_NET, 0, "wininit.exe", {"C:\\Windows\\system32\\lsass.exe"}},
    {"C:\\Windows\\System32\\winlogon.exe", MSW, "10.0.19041.3930", "Windows Logon Application",
     "winlogon", "WINLOGON.EXE", 906240, PL_WIN, AK_SYSTEM, 0, 0, "smss.exe", {"winlogon.exe"}},
    {"C:\\Windows\\System32\\userinit.exe", MSW, "10.0.19041.3636", "Userinit Logon Application",
     "userinit", "USERINIT.EXE", 34816, PL_WIN, AK_USER, 0, 1, "winlogon.exe",
     {"C:\\Windows\\system32\\userinit.exe"}},
    {"C:\\Windows\\explorer.exe", MSW, "10.0.19041.3996", "Windows Explorer", "explorer",
     "EXPLORER.EXE", 5574640, PL_WIN, AK_USER, IF_NET, 2, "userinit.exe",
     {"C:\\Windows\\Explorer.EXE",
      "C:\\Windows\\explorer.exe /factory,{75dff2b7-6936-4c06-a8bb-676a7b00b24b} -Embedding"}},
    {"C:\\Windows\\System32\\cmd.exe", MSW, "10.0.19041.3636", "Windows Command Processor", "cmd",
     "Cmd.Exe", 289792, PL_WIN, AK_INHERIT, IF_SHELL, 26, "explorer.exe",
     {"\"C:\\Windows\\system32\\cmd.exe\" /c \"%c\"", "cmd.exe /c %c",
      "C:\\Windows\\system32\\cmd.exe /d /c \"C:\\ProgramData\\%w\\%w.cmd\""}},
    {"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe", MSW, "10.0.19041.3996",
     "Windows PowerShell", "POWERSHELL", "PowerShell.EXE", 452608, PL_WIN, AK_INHERIT,
     IF_SHELL | IF_NET, 22, "explorer.exe",
     {"\"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe\" -NoProfile "
      "-ExecutionPolicy Bypass -File \"C:\\ProgramData\\%w\\%w.ps1\"",
      "powershell.exe -ExecutionPolicy AllSigned -NoProfile -NonInteractive -Command \"& {%c}\"",
      "\"powershell.exe\" -nop -w hidden -encodedcommand %B"}},
    {"C:\\Windows\\System32\\conhost.exe", MSW, "10.0.19041.3930", "Console Window Host",
     "ConHost", "CONHOST.EXE", 868352, PL_WIN, AK_INHERIT, 0, 30, "cmd.exe",
     {"\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1"}},
    {"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe", "Google LLC", "Google Chrome",
     "122.0.6261.129", "Google Chrome", "chrome_exe", "chrome.exe", 3085928, PL_WIN, AK_USER,
     IF_NET | IF_BROWSER, 40, "explorer.exe",
     {"\"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe\" --type=renderer --lang=en-US "
      "--device-scale-factor=1 --num-raster-threads=4 --enable-main-frame-before-activation "
      "--renderer-client-id=%n --time-ticks-at-unix-epoch=-%N --launch-time-ticks=%N "
      "--field-trial-handle=%N,i,%N,%N,262144 /prefetch:1",
      "\"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe\" --type=utility "
      "--utility-sub-type=network.mojom.NetworkService --lang=en-US --service-sandbox-type=none "
      "--mojo-platform-channel-handle=%n --field-trial-handle=%N,i,%N,%N,262144 /prefetch:8",
      "\"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe\" https://%d/"}},
    {"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe", "Microsoft Corporation",
     "Microsoft Edge", "122.0.2365.92", "Microsoft Edge", "msedge_exe", "msedge.exe", 4033984,
     PL_WIN, AK_USER, IF_NET | IF_BROWSER, 40, "explorer.exe",
     {"\"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe\" --type=renderer "
      "--instant-process --lang=en-US --js-flags=--ms-user-locale= --device-scale-factor=1 "
      "--num-raster-threads=4 --renderer-client-id=%n --mojo-platform-channel-handle=%n "
      "--field-trial-handle=%N,i,%N,%N,262144 /prefetch:1",
      "\"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe\" --single-argument "
      "https://%d/",
      "\"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe\" --type=gpu-process "
      "--gpu-preferences=%B --mojo-platform-channel-handle=%n /prefetch:2"}},
    {"C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE", MSO, "16.0.17328.20184",
     "Microsoft Outlook", "Outlook", "Outlook.exe", 43287432, PL_WIN, AK_USER,
     IF_NET | IF_OFFICE, 8, "explorer.exe",
     {"\"C:\\Program Files\\Microsoft Office\\Root\\Office16\\OUTLOOK.EXE\" ",
      "\"C:\\Program Files\\Microsoft Office\\Root\\Office16\\OUTLOOK.EXE\" /recycle"}},
    {"C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE", MSO, "16.0.17328.20184",
     "Microsoft Word", "WinWord", "WinWord.exe", 1623448, PL_WIN, AK_USER, IF_NET | IF_OFFICE, 6,
     "explorer.exe",
     {"\"C:\\Program Files\\Microsoft Office\\Root\\Office16\\WINWORD.EXE\" /n \"C:\\Users\\%u\\"
      "Documents\\%w.docx\" /o \"\"",
      "\"C:\\Program Files\\Microsoft Office\\Root\\Office16\\WINWORD.EXE\" /n \"C:\\Users\\%u\\"
      "Downloads\\%w_%n.docx\""}},
    {"C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE", MSO, "16.0.17328.20184",
     "Microsoft Excel", "Excel", "Excel.exe", 69911456, PL_WIN, AK_USER, IF_NET | IF_OFFICE, 5,
     "explorer.exe",
     {"\"C:\\Program Files\\Microsoft Office\\Root\\Office16\\EXCEL.EXE\" \"C:\\Users\\%u\\"
      "OneDrive - Contoso\\%w.xlsx\""}},
    {"C:\\Program Files\\WindowsApps\\MSTeams_24060.2623.2790.8046_x64__8wekyb3d8bbwe\\"
     "ms-teams.exe",
     "Microsoft Corporation", "Microsoft Teams", "24060.2623.2790.8046", "Microsoft Teams",
     "ms-teams.exe", "ms-teams.exe", 1163560, PL_WIN, AK_USER, IF_NET, 12, "explorer.exe",
     {"\"ms-teams.exe\" msteams:system-initiated", "\"ms-teams.exe\""}},
    {"C:\\Program Files\\Microsoft OneDrive\\OneDrive.exe", "Microsoft Corporation",
     "Microsoft OneDrive", "24.040.0225.0003", "Microsoft OneDrive", "OneDrive.exe",
     "OneDrive.exe", 3650480, PL_WIN, AK_USER, IF_NET, 8, "explorer.exe",
     {"\"C:\\Program Files\\Microsoft OneDrive\\OneDrive.exe\" /background",
      "\"C:\\Program Files\\Microsoft OneDrive\\OneDrive.exe\" /updateInstalled /background"}},
    {"C:\\Windows\\System32\\rundll32.exe", MSW, "10.0.19041.3636",
     "Windows host process (Rundll32)", "rundll", "RUNDLL32.EXE", 71680, PL_WIN, AK_INHERIT, 0,
     12, "svchost.exe",
     {"rundll32.exe C:\\Windows\\system32\\PcaSvc.dll,PcaPatchSdbTask",
      "\"C:\\Windows\\system32\\rundll32.exe\" C:\\Windows\\System32\\shell32.dll,"
      "SHCreateLocalServerRunDll {%g} -Embedding",
      "C:\\Windows\\System32\\rundll32.exe C:\\Windows\\System32\\"
      "Windows.StateRepositoryClient.dll,StateRepositoryDoMaintenanceTasks"}},
    {"C:\\Windows\\System32\\backgroundTaskHost.exe", MSW, "10.0.19041.3636",
     "Background Task Host", "Background Task Host", "backgroundTaskHost.exe", 19776, PL_WIN,
     AK_USER, 0, 10, "svchost.exe",
     {"\"backgroundTaskHost.exe\" -ServerName:App.AppX%h%h%h.mca",
      "\"backgroundTaskHost.exe\" -ServerName:BackgroundTaskHost.WebAccountProvider"}},
    {"C:\\Windows\\System32\\SearchProtocolHost.exe", MSW, "7.0.19041.3996",
     "Microsoft Windows Search Protocol Host", "SearchProtocolHost.exe",
     "SearchProtocolHost.exe", 407552, PL_WIN, AK_SYSTEM, 0, 10, "SearchIndexer.exe",
     {"\"C:\\Windows\\system32\\SearchProtocolHost.exe\" Global\\UsGthrFltPipeMssGthrPipe%n_ "
      "Global\\UsGthrCtrlFltPipeMssGthrPipe%n 1 -2147483646 \"Software\\Microsoft\\Windows "
      "Search\" \"Mozilla/4.0 (compatible; MSIE 6.0; Windows NT; MS Search 4.0 Robot)\" \"C:\\"
      "ProgramData\\Microsoft\\Search\\Data\\Temp\\usgthrsvc\" \"DownLevelDaemon\" "}},
    {"C:\\Windows\\System32\\SearchIndexer.exe", MSW, "7.0.19041.3996",
     "Microsoft Windows Search Indexer", "SearchIndexer.exe", "SearchIndexer.exe", 862720,
     PL_WIN, AK_SYSTEM, 0, 0, "services.exe",
     {"C:\\Windows\\system32\\SearchIndexer.exe /Embedding"}},
    {"C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24020.7-0\\MsMpEng.exe",
     "Microsoft Corporation", "Microsoft" REG " Windows" REG " Operating System", "4.18.24020.7",
     "Antimalware Service Executable", "MsMpEng.exe", "MsMpEng.exe", 133576, PL_WIN, AK_SYSTEM,
     IF_NET, 1, "services.exe",
     {"\"C:\\ProgramData\\Microsoft\\Windows Defender\\platform\\4.18.24020.7-0\\MsMpEng.exe\""}},
    {"C:\\Program Files\\Windows Defender Advanced Threat Protection\\MsSense.exe",
     "Microsoft Corporation", "Microsoft" REG " Windows" REG " Operating System",
     "10.8760.19041.4170", "Windows Defender Advanced Threat Protection Service Executable",
     "MsSense.exe", "MsSense.exe", 5101888, PL_WIN, AK_SYSTEM, IF_NET, 1, "services.exe",
     {"\"MsSense.exe\""}},
    {"C:\\Program Files\\Windows Defender Advanced Threat Protection\\SenseIR.exe",
     "Microsoft Corporation", "Microsoft" REG " Windows" REG " Operating System",
     "10.8760.19041.4170",
      "Windows Defender Advanced Threat Protection Automated Investigation & Remediation",
     "SenseIR.exe", "SenseIR.exe", 4218048, PL_WIN, AK_SYSTEM, IF_NET, 2, "MsSense.exe",
     {"\"SenseIR.exe\" \"OfflineSenseIR\" %n \"%g\""}},
    {"C:\\Windows\\System32\\wbem\\WmiPrvSE.exe", MSW, "10.0.19041.3570", "WMI Provider Host",
     "Wmiprvse.exe", "Wmiprvse.exe", 496640, PL_WIN, AK_NETSVC, 0, 8, "svchost.exe",
     {"C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding",
      "C:\\Windows\\system32\\wbem\\wmiprvse.exe -Embedding"}},
    {"C:\\Windows\\System32\\taskhostw.exe", MSW, "10.0.19041.3996",
     "Host Process for Windows Tasks", "taskhostw.exe", "taskhostw.exe", 101664, PL_WIN,
     AK_USER, 0, 8, "svchost.exe", {"taskhostw.exe {%g}", "taskhostw.exe Install $(Arg0)"}},
    {"C:\\Windows\\System32\\smartscreen.exe", MSW, "10.0.19041.3996",
     "Windows Defender SmartScreen", "smartscreen.exe", "smartscreen.exe", 2387456, PL_WIN,
     AK_USER, IF_NET, 4, "svchost.exe", {"C:\\Windows\\System32\\smartscreen.exe -Embedding"}},
    {"C:\\Windows\\System32\\msiexec.exe", MSW, "5.0.19041.3636", "Windows" REG " installer",
     "msiexec", "msiexec.exe", 69632, PL_WIN, AK_SYSTEM, 0, 3, "services.exe",
     {"C:\\Windows\\system32\\msiexec.exe /V",
      "C:\\Windows\\System32\\MsiExec.exe -Embedding %H E Global\\MSI0000"}},
    {"C:\\Program Files\\Git\\cmd\\git.exe", "The Git Development Community", "Git",
     "2.44.0.1", "Git for Windows", "git", "git.exe", 45584, PL_WIN, AK_INHERIT, IF_NET, 6,
     "powershell.exe",
     {"git fetch --prune origin",
      "\"C:\\Program Files\\Git\\cmd\\git.exe\" status --porcelain=v2 --branch",
      "git -c core.quotepath=false log -n 20 --format=%%H"}},
    {"C:\\Program Files\\Microsoft VS Code\\Code.exe", "Microsoft Corporation",
     "Visual Studio Code", "1.87.2", "Visual Studio Code", "Code", "electron.exe", 154923432,
     PL_WIN, AK_USER, IF_NET, 8, "explorer.exe",
     {"\"C:\\Program Files\\Microsoft VS Code\\Code.exe\" --type=utility "
      "--utility-sub-type=node.mojom.NodeService --lang=en-US --service-sandbox-type=none "
      "--field-trial-handle=%N,i,%N,%N,262144 /prefetch:8",
      "\"C:\\Program Files\\Microsoft VS Code\\Code.exe\" \"C:\\Users\\%u\\source\\repos\\%w\""}},
    {"C:\\Program Files\\Python312\\python.exe", "Python Software Foundation", "Python",
     "3.12.2", "Python", "python.exe", "python.exe", 103192, PL_WIN, AK_INHERIT, IF_NET, 4,
     "cmd.exe",
     {"python.exe -m pip install --upgrade %w",
      "\"C:\\Program Files\\Python312\\python.exe\" C:\\Users\\%u\\source\\repos\\%w\\main.py "
      "--verbose"}},
    {"C:\\Windows\\System32\\schtasks.exe", MSW, "10.0.19041.3636",
     "Task Scheduler Configuration Tool", "schtasks.exe", "schtasks.exe", 235008, PL_WIN,
     AK_INHERIT, 0, 3, "cmd.exe",
     {"schtasks.exe /query /fo CSV /nh",
      "schtasks /create /tn \"%w\" /tr \"C:\\ProgramData\\%w\\%w.exe\" /sc onlogon /rl "
      "highest /f"}},
    {"C:\\Windows\\System32\\net.exe", MSW, "10.0.19041.3636", "Net Command", "net.exe",
     "net.exe", 57344, PL_WIN, AK_INHERIT, IF_NET, 3, "cmd.exe",
     {"net.exe user %u /domain", "net  localgroup administrators",
      "net use \\\\fs01.corp.contoso.com\\share /persistent:no"}},
    {"C:\\Windows\\System32\\whoami.exe", MSW, "10.0.19041.3636",
     "whoami - displays logged on user information", "whoami.exe", "whoami.exe", 73728, PL_WIN,
     AK_INHERIT, 0, 2, "cmd.exe", {"whoami /all", "whoami.exe /groups /fo csv"}},
    {"C:\\Windows\\System32\\reg.exe", MSW, "10.0.19041.3636", "Registry Console Tool",
     "reg.exe", "reg.exe", 73216, PL_WIN, AK_INHERIT, 0, 2, "cmd.exe",
     {"reg.exe query HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run",
      "reg add HKCU\\Software\\%w /v %w /t REG_SZ /d %n /f"}},
    {"C:\\Windows\\System32\\certutil.exe", MSW, "10.0.19041.3570", "CertUtil.exe",
     "CertUtil.exe", "CertUtil.exe", 1557504, PL_WIN, AK_INHERIT, IF_NET, 1, "cmd.exe",
     {"certutil.exe -urlcache -split -f https://%d/%w.txt C:\\Users\\Public\\%w.txt",
      "certutil -verifystore root"}},
    {"C:\\Windows\\System32\\curl.exe", "curl, https://curl.se/", "The curl executable",
     "8.4.0", "The curl executable", "curl", "curl.exe", 601600, PL_WIN, AK_INHERIT, IF_NET, 2,
     "powershell.exe", {"curl.exe -sS https://%d/api/v1/status",
                        "curl -k -o %w.zip https://%d/%w.zip"}},
    {"C:\\Windows\\System32\\CompatTelRunner.exe", MSW, "10.0.19041.3996",
     "Microsoft Compatibility Telemetry", "CompatTelRunner.exe", "CompatTelRunner.exe", 213504,
     PL_WIN, AK_SYSTEM, IF_NET, 3, "svchost.exe",
     {"C:\\Windows\\system32\\compattelrunner.exe -m:appraiser.dll -f:DoScheduledTelemetryRun",
      "C:\\Windows\\system32\\CompatTelRunner.exe -m:invagent.dll -f:RunUpdate"}},
    {"C:\\Windows\\System32\\dllhost.exe", MSW, "10.0.19041.3636", "COM Surrogate", "dllhost.exe",
     "dllhost.exe", 21312, PL_WIN, AK_USER, 0, 10, "svchost.exe",
     {"C:\\Windows\\system32\\DllHost.exe /Processid:{%g}"}},
    {"C:\\Windows\\System32\\RuntimeBroker.exe", MSW, "10.0.19041.3636", "Runtime Broker",
     "RuntimeBroker.exe", "RuntimeBroker.exe", 139264, PL_WIN, AK_USER, 0, 8, "svchost.exe",
     {"C:\\Windows\\System32\\RuntimeBroker.exe -Embedding"}},
    {"C:\\Windows\\System32\\tasklist.exe", MSW, "10.0.19041.3636",
     "Lists the current running tasks", "tasklist.exe", "tasklist.exe", 84992, PL_WIN,
     AK_INHERIT, 0, 1, "cmd.exe", {"tasklist /v /fo csv", "tasklist /svc"}},
    {"C:\\Windows\\System32\\nslookup.exe", MSW, "10.0.19041.3636", "nslookup", "nslookup.exe",
     "nslookup.exe", 92672, PL_WIN, AK_INHERIT, IF_NET, 1, "cmd.exe",
     {"nslookup %d", "nslookup -type=srv _ldap._tcp.corp.contoso.com"}},
    {"C:\\WindowsAzure\\GuestAgent_2.7.41491.1102_2024-03-01_031101\\WaAppAgent.exe",
     "Microsoft Corporation", "Microsoft" REG " CoReXT", "2.7.41491.1102",
     "Microsoft Azure\xc3\x82" REG, "WaAppAgent", "WaAppAgent.exe", 91360, PL_WIN, AK_SYSTEM,
     IF_NET, 1, "services.exe", {"WaAppAgent.exe"}},
    {"C:\\Program Files\\Microsoft SQL Server\\MSSQL16.MSSQLSERVER\\MSSQL\\Binn\\sqlservr.exe",
     "Microsoft Corporation", "Microsoft SQL Server", "2022.160.4105.2",
     "SQL Server Windows NT - 64 Bit", "SQLSERVR", "SQLSERVR.EXE", 625720, PL_WIN, AK_NETSVC,
     IF_NET, 1, "services.exe",
     {"\"C:\\Program Files\\Microsoft SQL Server\\MSSQL16.MSSQLSERVER\\MSSQL\\Binn\\sqlservr.exe\" "
      "-sMSSQLSERVER"}},
    {"C:\\Windows\\System32\\inetsrv\\w3wp.exe", MSW, "10.0.20348.1", "IIS Worker Process",
     "w3wp.exe", "w3wp.exe", 30720, PL_WIN, AK_NETSVC, IF_NET, 1, "svchost.exe",
     {"c:\\windows\\system32\\inetsrv\\w3wp.exe -ap \"DefaultAppPool\" -v \"v4.0\" -l "
      "\"webengine4.dll\" -a \\\\.\\pipe\\iisipm%g -h \"C:\\inetpub\\temp\\apppools\\"
      "DefaultAppPool\\DefaultAppPool.config\" -w \"\" -m 0"}},
    {"C:\\Windows\\System32\\wsmprovhost.exe", MSW, "10.0.19041.3636",
     "Host process for WinRM plug-ins", "wsmprovhost.exe", "wsmprovhost.exe", 57344, PL_WIN,
     AK_ADMIN, IF_NET, 1, "svchost.exe", {"C:\\Windows\\system32\\wsmprovhost.exe -Embedding"}},
    /* Linux and macOS */
    {"/usr/bin/bash", NULL, NULL, NULL, NULL, NULL, NULL, 1396520, PL_LINUX, AK_INHERIT,
     IF_SHELL, 20, "sshd", {"-bash", "/bin/bash -c \"%c\"", "bash /opt/%w/run.sh"}},
    {"/usr/bin/dash", NULL, NULL, NULL, NULL, NULL, NULL, 125688, PL_LINUX, AK_ROOT, IF_SHELL,
     14, "cron", {"/bin/sh -c \"%c\"", "/bin/sh /usr/libexec/dpkg/dpkg-db-backup"}},
    {"/usr/bin/python3.10", NULL, NULL, NULL, NULL, NULL, NULL, 5937800, PL_LINUX, AK_INHERIT,
     IF_NET, 8, "bash",
     {"python3 -m %w --config /etc/%w.yaml",
      "/usr/bin/python3 /usr/bin/networkd-dispatcher --run-startup-triggers",
      "/usr/bin/python3 /usr/share/unattended-upgrades/unattended-upgrade-shutdown "
      "--wait-for-signal"}},
    {"/usr/bin/curl", NULL, NULL, NULL, NULL, NULL, NULL, 260328, PL_POSIX, AK_INHERIT, IF_NET, 6,
     "bash", {"curl -fsSL https://%d/install.sh",
              "curl -s -o /dev/null -w %%{http_code} http://127.0.0.1:%p/health"}},
    {"/usr/bin/wget", NULL, NULL, NULL, NULL, NULL, NULL, 512104, PL_LINUX, AK_INHERIT, IF_NET, 2,
     "bash", {"wget -q -O /tmp/%w.tar.gz https://%d/releases/%w.tar.gz"}},
    {"/usr/sbin/sshd", NULL, NULL, NULL, NULL, NULL, NULL, 921288, PL_LINUX, AK_ROOT, IF_NET, 3,
     "systemd", {"sshd: %u [priv]", "/usr/sbin/sshd -D", "sshd: %u@pts/%n"}},
    {"/usr/lib/systemd/systemd", NULL, NULL, NULL, NULL, NULL, NULL, 1849992, PL_LINUX, AK_ROOT,
     0, 0, "systemd", {"/sbin/init splash", "/lib/systemd/systemd --user"}},
    {"/usr/sbin/cron", NULL, NULL, NULL, NULL, NULL, NULL, 51856, PL_LINUX, AK_ROOT, 0, 3,
     "systemd", {"/usr/sbin/cron -f -P"}},
    {"/usr/bin/tar", NULL, NULL, NULL, NULL, NULL, NULL, 517952, PL_POSIX, AK_INHERIT, 0, 3,
     "dash", {"tar -df alternatives.tar.0 -C /var/lib/dpkg alternatives",
              "tar czf /var/backups/%w.tgz /etc"}},
    {"/usr/bin/apt-get", NULL, NULL, NULL, NULL, NULL, NULL, 52184, PL_LINUX, AK_ROOT, IF_NET, 2,
     "dash", {"apt-get -qq update", "apt-get install -y --no-install-recommends %w"}},
    {"/usr/bin/dpkg", NULL, NULL, NULL, NULL, NULL, NULL, 318824, PL_LINUX, AK_ROOT, 0, 2,
     "apt-get", {"dpkg --print-foreign-architectures",
                 "/usr/bin/dpkg --status-fd 42 --configure --pending"}},
    {"/usr/bin/sudo", NULL, NULL, NULL, NULL, NULL, NULL, 232416, PL_POSIX, AK_ROOT, 0, 3, "bash",
     {"sudo systemctl restart %w", "sudo -n true"}},
    {"/usr/bin/dockerd", NULL, NULL, NULL, NULL, NULL, NULL, 96339880, PL_LINUX, AK_ROOT, IF_NET,
     1, "systemd", {"/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock"}},
    {"/usr/bin/containerd-shim-runc-v2", NULL, NULL, NULL, NULL, NULL, NULL, 8474624, PL_LINUX,
     AK_ROOT, 0, 2, "systemd",
     {"/usr/bin/containerd-shim-runc-v2 -namespace moby -id %H%H -address "
      "/run/containerd/containerd.sock"}},
    {"/usr/lib/jvm/java-17-openjdk-amd64/bin/java", NULL, NULL, NULL, NULL, NULL, NULL, 14480,
     PL_LINUX, AK_PUSER, IF_NET, 2, "bash", {"java -Xms512m -Xmx2g -jar /opt/%w/%w.jar "
                                             "--spring.profiles.active=prod"}},
    {"/usr/bin/node", NULL, NULL, NULL, NULL, NULL, NULL, 96487624, PL_POSIX, AK_PUSER, IF_NET, 2,
     "bash", {"node /opt/%w/server.js", "node /usr/lib/node_modules/npm/bin/npm-cli.js ci"}},
    {"/usr/sbin/nginx", NULL, NULL, NULL, NULL, NULL, NULL, 1193960, PL_LINUX, AK_WWW, IF_NET, 2,
     "nginx", {"nginx: worker process",
               "nginx: master process /usr/sbin/nginx -g daemon on; master_process on;"}},
    {"/usr/bin/ps", NULL, NULL, NULL, NULL, NULL, NULL, 137688, PL_POSIX, AK_INHERIT, 0, 4, "bash",
     {"ps -eo pid,ppid,user,cmd", "ps aux"}},
    {"/usr/bin/grep", NULL, NULL, NULL, NULL, NULL, NULL, 186408, PL_POSIX, AK_INHERIT, 0, 6,
     "bash", {"grep -E %w /var/log/syslog", "grep -c processor /proc/cpuinfo"}},
    {"/opt/microsoft/mdatp/sbin/wdavdaemon", NULL, NULL, NULL, NULL, NULL, NULL, 10486784,
     PL_POSIX, AK_ROOT, IF_NET, 2, "systemd", {"/opt/microsoft/mdatp/sbin/wdavdaemon edr 12 11 "
                                               "--log_level info"}},
    {"/usr/bin/git", NULL, NULL, NULL, NULL, NULL, NULL, 3776248, PL_POSIX, AK_PUSER, IF_NET, 2,
     "bash", {"git pull --ff-only", "git fetch origin --tags"}},
    {"/usr/bin/ssh", NULL, NULL, NULL, NULL, NULL, NULL, 852344, PL_POSIX, AK_PUSER, IF_NET, 2,
     "bash", {"ssh -o BatchMode=yes deploy@%i", "ssh -T git@github.com"}},
    {"/bin/zsh", NULL, NULL, NULL, NULL, NULL, NULL, 1331248, PL_MAC, AK_PUSER, IF_SHELL, 6,
     "login", {"-zsh", "/bin/zsh -c \"%c\""}},
    {"/Applications/Safari.app/Contents/MacOS/Safari", NULL, NULL, NULL, NULL, NULL, NULL,
     104048, PL_MAC, AK_PUSER, IF_NET | IF_BROWSER, 6, "launchd",
     {"/Applications/Safari.app/Contents/MacOS/Safari"}},
    {"/usr/libexec/xpcproxy", NULL, NULL, NULL, NULL, NULL, NULL, 138416, PL_MAC, AK_ROOT, 0, 6,
     "launchd", {"xpcproxy com.apple.%w.%n"}},
    {"/usr/bin/osascript", NULL, NULL, NULL, NULL, NULL, NULL, 121904, PL_MAC, AK_PUSER, 0, 1,
     "zsh",
     {"osascript -e \"tell application \\\"System Events\\\" to get name of every process\""}},
};

struct dll_def {
    const char *path;
    uint32_t size;
};

static const struct dll_def dll_defs[] = {
    {"C:\\Windows\\System32\\ntdll.dll", 2163296},
    {"C:\\Windows\\System32\\kernel32.dll", 774896},
    {"C:\\Windows\\System32\\KernelBase.dll", 3799040},
    {"C:\\Windows\\System32\\user32.dll", 1849280},
    {"C:\\Windows\\System32\\combase.dll", 3629936},
    {"C:\\Windows\\System32\\advapi32.dll", 710040},
    {"C:\\Windows\\System32\\crypt32.dll", 1505280},
    {"C:\\Windows\\System32\\wininet.dll", 4819968},
    {"C:\\Windows\\System32\\winhttp.dll", 1093632},
    {"C:\\Windows\\System32\\ws2_32.dll", 421112},
    {"C:\\Windows\\System32\\amsi.dll", 87552},
    {"C:\\Windows\\System32\\bcrypt.dll", 150384},
    {"C:\\Windows\\System32\\rpcrt4.dll", 1172432},
    {"C:\\Windows\\System32\\ole32.dll", 1547264},
    {"C:\\Windows\\System32\\shell32.dll", 7560056},
    {"C:\\Windows\\System32\\ucrtbase.dll", 1205248},
    {"C:\\Windows\\System32\\dbghelp.dll", 1970688},
    {"C:\\Windows\\System32\\samlib.dll", 136704},
    {"C:\\Windows\\System32\\vaultcli.dll", 261632},
    {"C:\\Windows\\System32\\wldp.dll", 289280},
    {"C:\\Windows\\System32\\taskschd.dll", 776704},
    {"C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\clr.dll", 10569296},
    {"C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\mscoreei.dll", 581632},
    {"C:\\Windows\\assembly\\NativeImages_v4.0.30319_64\\System.Management\\"
     "8af759007c012da690062882e06694f1\\System.Management.ni.dll", 1458688},
    {"C:\\Windows\\assembly\\NativeImages_v4.0.30319_64\\System.Manaa57fc8cc#\\"
     "0b4c1d1ab1a0b3f1e6a1a3f4d0c6e0b2\\System.Management.Automation.ni.dll", 33425408},
    {"C:\\Program Files\\Google\\Chrome\\Application\\122.0.6261.129\\chrome.dll", 231357952},
    {"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\122.0.2365.92\\msedge.dll", 264218176},
    {"C:\\Program Files\\Microsoft Office\\root\\vfs\\ProgramFilesCommonX64\\Microsoft Shared\\"
     "Office16\\mso20win32client.dll", 5472152},
};

struct signer_def {
    const char *signer, *issuer, *crl;
    bool ms_root;
};

static const struct signer_def signer_defs[] = {
    {"Microsoft Windows", "Microsoft Windows Production PCA 2011",
     "http://www.microsoft.com/pkiops/crl/MicWinProPCA2011_2011-10-19.crl", true},
    {"Microsoft Corporation", "Microsoft Code Signing PCA 2011",
     "http://www.microsoft.com/pkiops/crl/MicCodSigPCA2011_2011-07-08.crl", true},
    {"Google LLC", "DigiCert Trusted G4 Code Signing RSA4096 SHA384 2021 CA1",
     "http://crl3.digicert.com/DigiCertTrustedG4CodeSigningRSA4096SHA3842021CA1.crl", false},
    {"Python Software Foundation", "DigiCert Trusted G4 Code Signing RSA4096 SHA384 2021 CA1",
     "http://crl4.digicert.com/DigiCertTrustedG4CodeSigningRSA4096SHA3842021CA1.crl", false},
    {"Johannes Schindelin", "Sectigo Public Code Signing CA R36",
     "http://crl.sectigo.com/SectigoPublicCodeSigningCAR36.crl", false},
};

/* Operating systems of the device pool. */
enum os { OS_WIN10, OS_WIN11, OS_WS2019, OS_WS2022, OS_UBUNTU, OS_RHEL, OS_MACOS, NOS };

struct os_def {
    const char *platform, *dist, *version, *vinfo, *client, *arch;
    int build; /* 0: null */
    uint8_t plat;
    bool server;
    uint16_t weight;
};

static const struct os_def os_defs[NOS] = {
    {"Windows10", "Windows10", "10.0", "22H2", "10.8760.19041.4170", "64-bit", 19045, PL_WIN,
     false, 300},
    {"Windows11", "Windows11", "10.0", "23H2", "10.8760.22621.3296", "64-bit", 22631, PL_WIN,
     false, 380},
    {"WindowsServer2019", "WindowsServer2019", "10.0", "1809", "10.8760.17763.5576", "64-bit",
     17763, PL_WIN, true, 70},
    {"WindowsServer2022", "WindowsServer2022", "10.0", "21H2", "10.8760.20348.2340", "64-bit",
     20348, PL_WIN, true, 90},
    {"Linux", "Ubuntu", "22.04", NULL, "101.24022.0004", "64-bit", 0, PL_LINUX, true, 100},
    {"Linux", "RedHatEnterpriseLinux", "9.3", NULL, "101.24022.0004", "64-bit", 0, PL_LINUX, true,
     30},
    {"macOS", "macOS", "14.4", NULL, "101.24012.0008", "arm64", 0, PL_MAC, false, 30},
};

static const char *const first_names[] = {
    "adele", "alex", "allan", "bianca", "brian", "cameron", "christie", "debra", "diego", "emily",
    "enrico", "grady", "henrietta", "irvin", "isaiah", "johanna", "joni", "lee", "lidia", "lynne",
    "megan", "miriam", "nestor", "patti", "pradeep", "raul", "sofia", "tomas", "wanda", "yuki",
    "zainab", "olga", "kenji", "amara", "lucas", "noah", "fatima", "sven", "chloe", "mateo"};
static const char *const last_names[] = {
    "vance", "wilber", "deyoung", "pala", "johnson", "white", "cline", "berger", "siciliani",
    "braun", "bowen", "archie", "gonzalez", "sayers", "hernandez", "lauer", "sherman", "gu",
    "holloway", "robbins", "bowen", "bell", "wilke", "fernandez", "gupta", "rodriguez", "costa",
    "novak", "kowalski", "tanaka", "okafor", "ivanova", "sato", "mensah", "silva", "smith",
    "haddad", "larsen", "dubois", "garcia"};

static const char *const words[] = {
    "report", "backup", "update", "invoice", "setup", "agent", "sync", "config", "payroll",
    "forecast", "notes", "budget", "roadmap", "install", "plugin", "service", "helper", "monitor",
    "archive", "export", "import", "cache", "session", "profile", "upgrade", "deploy", "metrics",
    "telemetry", "release", "draft", "minutes", "contract", "summary", "inventory", "scanner"};

static const char *const domains[] = {
    "login.microsoftonline.com", "graph.microsoft.com", "outlook.office365.com",
    "teams.microsoft.com", "www.bing.com", "settings-win.data.microsoft.com",
    "v10.events.data.microsoft.com", "winatp-gw-eus.microsoft.com", "github.com",
    "api.github.com", "objects.githubusercontent.com", "update.googleapis.com", "www.google.com",
    "clients4.google.com", "slack.com", "zoom.us", "s3.amazonaws.com", "cdn.jsdelivr.net",
    "pypi.org", "files.pythonhosted.org", "registry.npmjs.org", "archive.ubuntu.com",
    "security.ubuntu.com", "packages.microsoft.com", "www.linkedin.com",
    "contoso.sharepoint.com", "contoso-my.sharepoint.com", "ocsp.digicert.com",
    "ctldl.windowsupdate.com", "dl.delivery.mp.microsoft.com", "self.events.data.microsoft.com",
    "edge.microsoft.com", "fonts.gstatic.com", "www.youtube.com", "docs.python.org"};

static const char *const svc_names[] = {
    "Schedule", "BITS", "wuauserv", "Dnscache", "LanmanWorkstation", "WinHttpAutoProxySvc",
    "CryptSvc", "DiagTrack", "gpsvc", "Appinfo", "iphlpsvc", "TrkWks", "EventLog", "W32Time",
    "Netman", "UsoSvc", "DoSvc", "WpnService", "StateRepository", "TokenBroker"};

static const char *const win_cmds[] = {
    "ipconfig /all", "whoami /priv", "net user", "systeminfo", "tasklist /svc",
    "dir /s /b C:\\Users\\Public", "echo %PROCESSOR_ARCHITECTURE%", "ping -n 1 10.0.0.4",
    "gpupdate /force", "net time \\\\dc01 /set /y", "netstat -ano",
    "cscript //nologo C:\\Windows\\System32\\slmgr.vbs /dli",
    "type C:\\ProgramData\\app\\config.ini", "Get-Service | Where-Object {$_.Status -eq 'Running'}",
    "Get-ChildItem -Path $env:TEMP -Recurse | Remove-Item -Force"};

static const char *const posix_cmds[] = {
    "uname -a", "cat /etc/os-release", "id -u", "hostname -f", "df -h /", "ls -la /tmp",
    "systemctl is-active nginx", "ps aux --sort=-%mem | head -n 5",
    "grep -c processor /proc/cpuinfo", "find /var/log -name '*.gz' -mtime +7 -delete",
    "echo \"$(date) heartbeat\" >> /var/log/agent.log", "command -v docker"};

static const char *const ps_cmdlets[] = {
    "Get-ChildItem", "Get-Process", "Import-Module", "Get-WmiObject", "Invoke-WebRequest",
    "Set-ExecutionPolicy", "Get-ItemProperty", "Test-Path", "Start-Sleep", "Get-Service",
    "New-Object", "Out-Null", "Write-Host", "Get-Date", "Join-Path", "Resolve-DnsName",
    "Get-CimInstance", "Select-Object", "Where-Object", "ForEach-Object", "Invoke-Expression",
    "Add-Type", "Get-Content", "ConvertTo-Json", "Get-NetAdapter", "Get-MpComputerStatus"};

static const char *const threat_names[] = {
    "Trojan:Win32/Wacatac.B!ml", "PUA:Win32/Presenoker", "HackTool:Win32/Mimikatz.D",
    "Trojan:Script/Wacatac.H!ml", "Virus:DOS/EICAR_Test_File", "Behavior:Win32/CobaltStrike.A",
    "Exploit:Java/CVE-2021-44228.A", "Trojan:Win32/AgentTesla!ml", "PUA:Win32/Softcnapp"};

static const char *const user_agents[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/122.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/122.0.0.0 Safari/537.36 Edg/122.0.0.0",
    "Microsoft-CryptoAPI/10.0", "Windows-Update-Agent/10.0.10011.16384 Client-Protocol/2.71",
    "python-requests/2.31.0"};

static const char *const groups[] = {"UnassignedGroup", "Workstations - EU", "Workstations - US",
                                     "Servers - Tier 1", "Linux Servers", "Executives"};

static const char *const models[][2] = {
    {"Dell Inc.", "Latitude 7440"}, {"LENOVO", "ThinkPad X1 Carbon Gen 11"},
    {"HP", "HP EliteBook 840 G9"}, {"Microsoft Corporation", "Virtual Machine"},
    {"Microsoft Corporation", "Surface Laptop 5"}, {"Apple Inc.", "MacBookPro18,3"}};

/* Public address space of the "internet" side (first two octets). */
static const uint8_t pub_prefix[][2] = {
    {20, 190}, {20, 42}, {13, 107}, {52, 96}, {40, 126}, {142, 250}, {151, 101}, {104, 16},
    {185, 199}, {3, 5}, {34, 117}, {23, 55}, {172, 217}, {52, 113}, {204, 79}, {140, 82}};

/* Weighted lists: any struct with a uint16_t `w` (see WPICK). */
struct wname {
    const char *name;
    uint16_t w;
};

/* ------------------------------------------------------------------------------------- */
/* World and generator state */

struct str {
    const char *s; /* JSON-escaped bytes without quotes; NULL: null */
    uint32_t n;
};

#define S_NULL  ((struct str){NULL, 0})
#define SLIT(x) ((struct str){(x), (uint32_t)(sizeof(x) - 1)})

struct acct {
    struct str dom, name, sid, upn, oid; /* oid: Entra object id */
    uint32_t uid;                        /* POSIX uid */
};

struct image {
    const struct img_def *d;
    struct str name, path, lpath, pname; /* lpath: lower-cased; pname: usual parent's name */
    struct str company, product, version, desc, internal, original;
    char md5[33], sha1[41], sha256[65];
    int16_t parent;                      /* index of the usual parent image, -1 none */
    uint8_t ncmd, signer;
    bool posix;
};

struct dll {
    struct str name, path;
    char md5[33], sha1[41], sha256[65];
    uint8_t signer;
};

struct signer {
    struct str signer, issuer, crl;
    char shash[41], ihash[41], serial[39];
    int64_t created; /* ticks */
    bool ms_root;
};

enum il { IL_SYSTEM, IL_HIGH, IL_MEDIUM, IL_LOW };
enum te { TE_DEFAULT, TE_FULL, TE_LIMITED, TE_NONE };

static const struct str il_names[] = {SLIT("System"), SLIT("High"), SLIT("Medium"), SLIT("Low")};
static const struct str te_names[] = {SLIT("TokenElevationTypeDefault"),
                                      SLIT("TokenElevationTypeFull"),
                                      SLIT("TokenElevationTypeLimited"), SLIT("None")};

struct proc {
    const struct image *img;
    const struct acct *acct;
    struct str pname;   /* parent's file name */
    int64_t ct, pct;    /* creation ticks of the process and its parent */
    uint32_t pid, ppid, sess;
    int64_t logon;
    uint8_t il, te;
    bool remote;        /* runs in a remote (RDP) session */
    uint16_t cmd_n;
    char cmd[SYN_CMD_CAP];
};

struct device {
    char id[41];
    struct str name, host;  /* host: short name */
    uint8_t os, plat, group, model;
    bool server, posix, aad;
    uint32_t ip4, gw4, pub4;
    char ip4s[16];          /* ip4 as text */
    uint8_t ip4n;
    char ip6[40], ll6[40];
    uint8_t mac[6];
    char adapter[39], aad_id[37], obj_id[37];
    uint16_t user;          /* primary domain user */
    int64_t logon;          /* the interactive session's logon id */
    struct acct admin;      /* local administrator, or root */
    struct acct local;      /* POSIX interactive user */
    struct acct www;        /* POSIX service user */
    int64_t report_id;
    struct proc procs[SYN_PROCS];
};

struct alert {
    char id[40];
    uint8_t id_n;
    uint8_t def;
    uint32_t dev;
    int64_t ts;
    uint32_t nev; /* evidence rows emitted so far */
    bool live;
};

enum vkind { V_STR, V_INT, V_BOOL, V_TIME, V_JSON };

struct val {
    uint32_t stamp; /* == gen.stamp: set in this record; else null */
    uint8_t kind;
    uint32_t n;
    union {
        const char *s;
        int64_t i;
    } u;
};

enum table_id { T_PROC, T_NET, T_FILE, T_REG, T_LOGON, T_IMG, T_EVT, T_INFO, T_NETINFO, T_CERT,
                T_AINFO, T_AEV, NTBL };

struct table {
    struct str cat;      /* "AdvancedHunting-<Table>" */
    uint8_t n;
    uint8_t order[NCOL]; /* sorted by name */
    uint8_t alt[NCOL];   /* drift order: Timestamp, DeviceId, DeviceName, ActionType, the rest
                            reversed */
};

enum drift {
    D_NUMSTR = 1u << 0,
    D_BOOL = 1u << 1,
    D_FRAC = 1u << 2,
    D_TRSVC = 1u << 3,
    D_IPDASH = 1u << 4,
    D_SPACE = 1u << 5,
    D_ORDER = 1u << 6,
    D_UESC = 1u << 7,
    D_AFOBJ = 1u << 8,
    ND = 9
};

struct chunk {
    struct chunk *next;
    size_t used, cap;
    char data[];
};

struct gen {
    struct rng r;  /* the event stream */
    struct rng wr; /* world building */
    uint32_t stamp;
    int err;
    int64_t start, now, ts, exp; /* ticks: first event, clock, this event, export time */
    unsigned drift;
    uint8_t bool_style, frac, ip_style, uesc_style;
    bool af_obj, trsvc;
    uint32_t x_pid; /* %I */
    size_t sc_n;
    struct chunk *arena;

    char tenant[37];
    struct acct sys[3]; /* SYSTEM, LOCAL SERVICE, NETWORK SERVICE */
    struct acct *users;
    struct device *dev;
    uint16_t win[SYN_DEVICES], posix[SYN_DEVICES]; /* device indexes by platform */
    uint32_t nwin, nposix;
    struct image img[ARRAY_SIZE(img_defs)];
    struct dll dll[ARRAY_SIZE(dll_defs)];
    struct signer sig[ARRAY_SIZE(signer_defs)];
    uint16_t pl_img[3][ARRAY_SIZE(img_defs)]; /* [win, linux, mac] startable images */
    uint32_t pl_cum[3][ARRAY_SIZE(img_defs)];
    uint16_t pl_n[3];
    int16_t i_powershell, i_lsass, i_services, i_svchost, i_cmd, i_sshd, i_wmiprvse, i_winlogon,
        i_msmpeng;
    uint32_t site_pub[4];
    int16_t de_init[64]; /* de_defs[i].init as an image index */
    struct str group[ARRAY_SIZE(groups)];
    struct alert alert;

    struct val v[NCOL];
    char key[NCOL][64]; /* "\"Name\":" padded, copied 64 bytes at a time */
    uint8_t keylen[NCOL];
    bool is_ip[NCOL];
    struct table tab[NTBL];
    char sc[SYN_SCRATCH];
};

/* ------------------------------------------------------------------------------------- */
/* Strings: arena, interning, scratch */

static char *arena_alloc(struct gen *g, size_t n)
{
    struct chunk *c = g->arena;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > SYN_ARENA_CHUNK ? n : SYN_ARENA_CHUNK;
        struct chunk *nc = malloc(sizeof(*nc) + cap);
        if (!nc) {
            g->err = -ENOMEM;
            return NULL;
        }
        nc->next = c;
        nc->used = 0;
        nc->cap = cap;
        g->arena = c = nc;
    }
    char *p = c->data + c->used;
    c->used += n;
    return p;
}

/* raw text -> escaped copy in the arena (lower-cased when asked). */
static struct str intern_n(struct gen *g, const char *raw, size_t n, bool lower)
{
    if (!raw)
        return S_NULL;
    char *p = arena_alloc(g, 6 * n + 1);
    if (!p)
        return SLIT("");
    char *e = put_esc(p, raw, n);
    if (lower)
        for (char *q = p; q < e; q++)
            if (*q >= 'A' && *q <= 'Z')
                *q = (char)(*q - 'A' + 'a');
    g->arena->used -= (size_t)(6 * n + 1 - (size_t)(e - p)); /* give back the slack */
    if (e - p > SYN_STR_MAX) {
        g->err = -EINVAL;
        return SLIT("");
    }
    return (struct str){p, (uint32_t)(e - p)};
}

static struct str intern(struct gen *g, const char *raw)
{
    return raw ? intern_n(g, raw, strlen(raw), false) : S_NULL;
}

static struct str internf(struct gen *g, const char *fmt, ...) PRINTF_LIKE(2, 3);
static struct str internf(struct gen *g, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        g->err = -EINVAL;
        return SLIT("");
    }
    return intern_n(g, tmp, (size_t)n, false);
}

/* A piece of per-record dynamic text: sc_open() gives room for SYN_PIECE_MAX bytes. */
static inline char *sc_open(struct gen *g)
{
    if (UNLIKELY(SYN_SCRATCH - g->sc_n < SYN_PIECE_MAX)) {
        g->err = -EOVERFLOW; /* a bug: the record is garbage and the run fails */
        g->sc_n = 0;
    }
    return g->sc + g->sc_n;
}

static inline struct str sc_close(struct gen *g, const char *start, char *end)
{
    g->sc_n = (size_t)(end - g->sc);
    return (struct str){start, (uint32_t)(end - start)};
}

/* ------------------------------------------------------------------------------------- */
/* Values of the current record */

static inline void set_s(struct gen *g, unsigned c, struct str s)
{
    if (!s.s)
        return;
    struct val *v = &g->v[c];
    v->stamp = g->stamp;
    v->kind = V_STR;
    v->n = s.n;
    v->u.s = s.s;
}

#define set_l(g, c, lit) set_s((g), (c), SLIT(lit))

static inline void set_i(struct gen *g, unsigned c, int64_t i)
{
    struct val *v = &g->v[c];
    v->stamp = g->stamp;
    v->kind = V_INT;
    v->u.i = i;
}

static inline void set_b(struct gen *g, unsigned c, bool b)
{
    struct val *v = &g->v[c];
    v->stamp = g->stamp;
    v->kind = V_BOOL;
    v->u.i = b;
}

static inline void set_t(struct gen *g, unsigned c, int64_t ticks)
{
    struct val *v = &g->v[c];
    v->stamp = g->stamp;
    v->kind = V_TIME;
    v->u.i = ticks;
}

/* s is JSON text (not escaped for a string): emitted as a JSON string. */
static inline void set_j(struct gen *g, unsigned c, struct str s)
{
    struct val *v = &g->v[c];
    v->stamp = g->stamp;
    v->kind = V_JSON;
    v->n = s.n;
    v->u.s = s.s;
}

#define set_jl(g, c, lit) set_j((g), (c), SLIT(lit))

static inline void set_hex(struct gen *g, unsigned c, const char *h, uint32_t n)
{
    set_s(g, c, (struct str){h, n});
}

/* A random entry of a list of raw strings that need no escaping. */
static inline struct str pickz(struct gen *g, const char *const *a, size_t n)
{
    const char *s = a[rnd(&g->r, (uint32_t)n)];
    return (struct str){s, (uint32_t)strlen(s)};
}

#define PICKZ(g, arr) pickz((g), (arr), ARRAY_SIZE(arr))

static size_t wpick_(struct rng *r, const void *base, size_t n, size_t stride, size_t woff)
{
    const char *b = base;
    uint32_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += *(const uint16_t *)(const void *)(b + i * stride + woff);
    uint32_t x = rnd(r, total);
    for (size_t i = 0; i < n; i++) {
        uint16_t w = *(const uint16_t *)(const void *)(b + i * stride + woff);
        if (x < w)
            return i;
        x -= w;
    }
    return n - 1;
}

#define WPICK(g, arr)                                                                          \
    wpick_(&(g)->r, (arr), ARRAY_SIZE(arr), sizeof((arr)[0]), offsetof(__typeof__((arr)[0]), w))

static inline struct str wstr(const char *s) { return (struct str){s, (uint32_t)strlen(s)}; }

/* ------------------------------------------------------------------------------------- */
/* Template expansion. Placeholders: %n number, %N long number, %h 8 hex, %H 32 hex (upper),
 * %g GUID, %u account name, %S account SID, %w word, %d domain, %i internal IPv4, %v public
 * IPv4, %p port, %s service, %c shell command, %P PowerShell cmdlet, %T threat name, %a
 * access mask, %I the current initiating PID, %B base64 blob, %% '%'. Placeholders expand
 * to JSON-escaped text; literal template text is escaped too when `esc`, else copied (a
 * template of raw JSON, e.g. AdditionalFields). Stops at a token boundary before `end`. */

static uint32_t internal_ip(struct gen *g)
{
    /* One draw per statement: the order of operands of | is unspecified in C. */
    uint32_t b = 10 + rnd(&g->r, 4);
    uint32_t c = rnd(&g->r, 64);
    uint32_t d = 4 + rnd(&g->r, 240);
    return (10u << 24) | (b << 16) | (c << 8) | d;
}

static char *put_word(struct gen *g, char *p)
{
    const char *w = words[rnd(&g->r, ARRAY_SIZE(words))];
    return put(p, w, strlen(w));
}

static char *put_domain(struct gen *g, char *p)
{
    const char *w = domains[rnd(&g->r, ARRAY_SIZE(domains))];
    return put(p, w, strlen(w));
}

static uint32_t public_ip(struct gen *g);

static char *expand(struct gen *g, char *p, const char *end, const char *t, const struct acct *a,
                    bool posix, bool esc)
{
    static const uint32_t masks[] = {4096, 5136, 2097151, 4112, 1040, 1410, 1050624};
    struct rng *r = &g->r;
    while (*t && end - p > SYN_TOKEN_MAX) {
        char c = *t++;
        if (c != '%') {
            if (esc)
                p = put_esc(p, &c, 1);
            else
                *p++ = c;
            continue;
        }
        c = *t ? *t++ : '%';
        switch (c) {
        case 'n': p = put_u64(p, 1 + rnd(r, rnd(r, 2) ? 9999 : 999999)); break;
        case 'N': p = put_u64(p, 100000000ull + rng_next(r) % 90000000000ull); break;
        case 'h': p = put_rhex(r, p, 8, HEXL); break;
        case 'H': p = put_rhex(r, p, 32, HEXU); break;
        case 'g': p = put_guid(r, p, HEXU); break;
        case 'u': p = a && a->name.s ? put(p, a->name.s, a->name.n) : PUTL(p, "user"); break;
        case 'S': p = a && a->sid.s ? put(p, a->sid.s, a->sid.n) : PUTL(p, "S-1-5-18"); break;
        case 'v': p = put_ip4(p, public_ip(g)); break;
        case 'P': p = put_escz(p, ps_cmdlets[rnd(r, ARRAY_SIZE(ps_cmdlets))]); break;
        case 'T': p = put_escz(p, threat_names[rnd(r, ARRAY_SIZE(threat_names))]); break;
        case 'a': p = put_u64(p, masks[rnd(r, ARRAY_SIZE(masks))]); break;
        case 'I': p = put_u64(p, g->x_pid); break;
        case 'w': p = put_word(g, p); break;
        case 'd': p = put_domain(g, p); break;
        case 'i': p = put_ip4(p, internal_ip(g)); break;
        case 'p': p = put_u64(p, 1024 + rnd(r, 9000)); break;
        case 's': p = put_escz(p, svc_names[rnd(r, ARRAY_SIZE(svc_names))]); break;
        case 'c':
            p = posix ? put_escz(p, posix_cmds[rnd(r, ARRAY_SIZE(posix_cmds))])
                      : put_escz(p, win_cmds[rnd(r, ARRAY_SIZE(win_cmds))]);
            break;
        case 'B': {
            size_t n = 4 * (16 + rnd(r, 40));
            for (size_t i = 0; i < n; i++)
                p[i] = B64[rnd(r, 64)];
            p += n;
            break;
        }
        default: *p++ = c; break;
        }
    }
    return p;
}

/* ------------------------------------------------------------------------------------- */
/* World building */

static const char *base_name(const char *path)
{
    const char *b = path;
    for (const char *q = path; *q; q++)
        if (*q == '\\' || *q == '/')
            b = q + 1;
    return b;
}

static bool name_eq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a >= 'A' && *a <= 'Z' ? (char)(*a - 'A' + 'a') : *a;
        char y = *b >= 'A' && *b <= 'Z' ? (char)(*b - 'A' + 'a') : *b;
        if (x != y)
            return false;
    }
    return *a == *b;
}

static int16_t find_img(const struct gen *g, const char *name)
{
    if (!name)
        return -1;
    for (size_t i = 0; i < ARRAY_SIZE(img_defs); i++)
        if (name_eq(base_name(g->img[i].d->path), name))
            return (int16_t)i;
    return -1;
}

static void hexz(struct rng *r, char *dst, size_t n, const char *digits)
{
    put_rhex(r, dst, n, digits);
    dst[n] = 0;
}

static int col_cmp(const void *a, const void *b)
{
    return strcmp(col_names[*(const uint8_t *)a], col_names[*(const uint8_t *)b]);
}

struct tdef {
    const char *name;
    const uint8_t *cols;
    size_t n;
    uint16_t weight; /* per 10,000 records */
};

static const struct tdef tdefs[NTBL] = {
    [T_PROC] = {"DeviceProcessEvents", cols_proc, ARRAY_SIZE(cols_proc), 2500},
    [T_NET] = {"DeviceNetworkEvents", cols_net, ARRAY_SIZE(cols_net), 2500},
    [T_FILE] = {"DeviceFileEvents", cols_file, ARRAY_SIZE(cols_file), 1500},
    [T_REG] = {"DeviceRegistryEvents", cols_reg, ARRAY_SIZE(cols_reg), 1000},
    [T_LOGON] = {"DeviceLogonEvents", cols_logon, ARRAY_SIZE(cols_logon), 400},
    [T_IMG] = {"DeviceImageLoadEvents", cols_img, ARRAY_SIZE(cols_img), 800},
    [T_EVT] = {"DeviceEvents", cols_evt, ARRAY_SIZE(cols_evt), 800},
    [T_INFO] = {"DeviceInfo", cols_info, ARRAY_SIZE(cols_info), 150},
    [T_NETINFO] = {"DeviceNetworkInfo", cols_netinfo, ARRAY_SIZE(cols_netinfo), 150},
    [T_CERT] = {"DeviceFileCertificateInfo", cols_cert, ARRAY_SIZE(cols_cert), 150},
    [T_AINFO] = {"AlertInfo", cols_ainfo, ARRAY_SIZE(cols_ainfo), 20},
    [T_AEV] = {"AlertEvidence", cols_aev, ARRAY_SIZE(cols_aev), 30},
};

static int init_tables(struct gen *g)
{
    for (unsigned c = 0; c < NCOL; c++) {
        size_t n = strlen(col_names[c]);
        if (n + 3 > sizeof(g->key[c]))
            return -EINVAL;
        g->key[c][0] = '"';
        memcpy(g->key[c] + 1, col_names[c], n);
        memcpy(g->key[c] + 1 + n, "\":", 2);
        g->keylen[c] = (uint8_t)(n + 3);
    }
    for (size_t i = 0; i < ARRAY_SIZE(ip_cols); i++)
        g->is_ip[ip_cols[i]] = true;
    unsigned total = 0;
    for (unsigned t = 0; t < NTBL; t++) {
        struct table *tb = &g->tab[t];
        const struct tdef *d = &tdefs[t];
        total += d->weight;
        tb->cat = internf(g, "AdvancedHunting-%s", d->name);
        tb->n = (uint8_t)d->n;
        memcpy(tb->order, d->cols, d->n);
        qsort(tb->order, d->n, 1, col_cmp);
        for (size_t i = 1; i < d->n; i++)
            if (tb->order[i] == tb->order[i - 1])
                return -EINVAL; /* a column listed twice */
        static const uint8_t first[] = {C_Timestamp, C_DeviceId, C_DeviceName, C_ActionType};
        size_t k = 0;
        for (size_t f = 0; f < ARRAY_SIZE(first); f++)
            for (size_t i = 0; i < d->n; i++)
                if (tb->order[i] == first[f])
                    tb->alt[k++] = first[f];
        for (size_t i = d->n; i-- > 0;) {
            bool is_first = false;
            for (size_t f = 0; f < ARRAY_SIZE(first); f++)
                is_first |= tb->order[i] == first[f];
            if (!is_first)
                tb->alt[k++] = tb->order[i];
        }
    }
    return total == 10000 ? 0 : -EINVAL;
}

static void init_accounts(struct gen *g)
{
    struct rng *r = &g->wr;
    g->sys[0] = (struct acct){SLIT("nt authority"), SLIT("system"), SLIT("S-1-5-18"), S_NULL,
                              S_NULL, 0};
    g->sys[1] = (struct acct){SLIT("nt authority"), SLIT("local service"), SLIT("S-1-5-19"),
                              S_NULL, S_NULL, 0};
    g->sys[2] = (struct acct){SLIT("nt authority"), SLIT("network service"), SLIT("S-1-5-20"),
                              S_NULL, S_NULL, 0};
    unsigned d1 = 1000000000u + rnd(r, 2000000000u), d2 = 100000000u + rnd(r, 900000000u),
             d3 = 1000000000u + rnd(r, 3000000000u);
    for (unsigned i = 0; i < SYN_USERS; i++) {
        const char *f = first_names[i % ARRAY_SIZE(first_names)];
        const char *l = last_names[(i / ARRAY_SIZE(first_names) + i) % ARRAY_SIZE(last_names)];
        struct acct *a = &g->users[i];
        char oid[37];
        hexz(r, oid, 36, HEXL);
        oid[8] = oid[13] = oid[18] = oid[23] = '-';
        a->dom = SLIT("contoso");
        a->name = internf(g, "%s.%s", f, l);
        a->sid = internf(g, "S-1-5-21-%u-%u-%u-%u", d1, d2, d3, 1105 + 3 * i);
        a->upn = internf(g, "%s.%s@contoso.com", f, l);
        a->oid = intern(g, oid);
    }
}

static uint8_t signer_of(const char *company, const char *path)
{
    if (!company)
        return 0;
    if (!strcmp(company, "Google LLC"))
        return 2;
    if (!strcmp(company, "Python Software Foundation"))
        return 3;
    if (!strcmp(company, "The Git Development Community"))
        return 4;
    return strncmp(path, "C:\\Windows\\", 11) == 0 ? 0 : 1;
}

static void init_catalogues(struct gen *g)
{
    struct rng *r = &g->wr;
    for (size_t i = 0; i < ARRAY_SIZE(img_defs); i++) {
        const struct img_def *d = &img_defs[i];
        struct image *im = &g->img[i];
        im->d = d;
        im->posix = !(d->plat & PL_WIN);
        im->name = intern(g, base_name(d->path));
        im->path = intern(g, d->path);
        im->lpath = im->posix ? im->path : intern_n(g, d->path, strlen(d->path), true);
        im->pname = intern(g, d->parent);
        im->company = intern(g, d->company);
        im->product = intern(g, d->product);
        im->version = intern(g, d->version);
        im->desc = intern(g, d->desc);
        im->internal = intern(g, d->internal);
        im->original = intern(g, d->original);
        while (im->ncmd < ARRAY_SIZE(d->cmd) && d->cmd[im->ncmd])
            im->ncmd++;
        im->signer = signer_of(d->company, d->path);
        hexz(r, im->md5, 32, HEXL);
        hexz(r, im->sha1, 40, HEXL);
        hexz(r, im->sha256, 64, HEXL);
    }
    for (size_t i = 0; i < ARRAY_SIZE(img_defs); i++) {
        struct image *im = &g->img[i];
        im->parent = find_img(g, im->d->parent);
        for (unsigned p = 0; p < 3; p++) {
            if (!(im->d->plat & (1u << p)) || !im->d->weight)
                continue;
            uint16_t n = g->pl_n[p]++;
            g->pl_img[p][n] = (uint16_t)i;
            g->pl_cum[p][n] = (n ? g->pl_cum[p][n - 1] : 0) + im->d->weight;
        }
    }
    g->i_powershell = find_img(g, "powershell.exe");
    g->i_lsass = find_img(g, "lsass.exe");
    g->i_services = find_img(g, "services.exe");
    g->i_svchost = find_img(g, "svchost.exe");
    g->i_cmd = find_img(g, "cmd.exe");
    g->i_sshd = find_img(g, "sshd");
    g->i_wmiprvse = find_img(g, "WmiPrvSE.exe");
    g->i_winlogon = find_img(g, "winlogon.exe");
    g->i_msmpeng = find_img(g, "MsMpEng.exe");
    for (size_t i = 0; i < ARRAY_SIZE(dll_defs); i++) {
        struct dll *dl = &g->dll[i];
        dl->name = intern(g, base_name(dll_defs[i].path));
        dl->path = intern(g, dll_defs[i].path);
        dl->signer = strstr(dll_defs[i].path, "Google") ? 2 : signer_of("", dll_defs[i].path);
        hexz(r, dl->md5, 32, HEXL);
        hexz(r, dl->sha1, 40, HEXL);
        hexz(r, dl->sha256, 64, HEXL);
    }
    for (size_t i = 0; i < ARRAY_SIZE(signer_defs); i++) {
        struct signer *s = &g->sig[i];
        s->signer = intern(g, signer_defs[i].signer);
        s->issuer = intern(g, signer_defs[i].issuer);
        s->crl = intern(g, signer_defs[i].crl);
        s->ms_root = signer_defs[i].ms_root;
        hexz(r, s->shash, 40, HEXL);
        hexz(r, s->ihash, 40, HEXL);
        hexz(r, s->serial, 38, HEXL);
        int64_t days = 30 + rnd(r, 600);
        s->created = g->start - days * TICKS_PER_DAY - (int64_t)rnd(r, 86400) * TICKS_PER_S;
    }
    for (size_t i = 0; i < ARRAY_SIZE(groups); i++)
        g->group[i] = intern(g, groups[i]);
    for (size_t i = 0; i < ARRAY_SIZE(g->site_pub); i++) {
        const uint8_t *pp = pub_prefix[rnd(r, ARRAY_SIZE(pub_prefix))];
        uint32_t c = rnd(r, 256);
        uint32_t d = 1 + rnd(r, 254);
        g->site_pub[i] = ((uint32_t)pp[0] << 24) | ((uint32_t)pp[1] << 16) | (c << 8) | d;
    }
}

static unsigned plat_index(uint8_t plat) { return plat == PL_WIN ? 0 : plat == PL_LINUX ? 1 : 2; }

static const struct image *pick_image(struct gen *g, uint8_t plat)
{
    unsigned p = plat_index(plat);
    uint32_t n = g->pl_n[p];
    uint32_t x = rnd(&g->r, g->pl_cum[p][n - 1]);
    uint32_t lo = 0, hi = n - 1;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (g->pl_cum[p][mid] > x)
            hi = mid;
        else
            lo = mid + 1;
    }
    return &g->img[g->pl_img[p][lo]];
}

static int64_t ago(struct gen *g, int64_t max_ticks)
{
    return (int64_t)(rng_next(&g->r) % (uint64_t)max_ticks);
}

static const struct acct *acct_for(struct gen *g, struct device *d, uint8_t ak,
                                   const struct proc *parent)
{
    switch (ak) {
    case AK_SYSTEM: return d->posix ? &d->admin : &g->sys[0];
    case AK_LOCALSVC: return d->posix ? &d->admin : &g->sys[1];
    case AK_NETSVC: return d->posix ? &d->www : &g->sys[2];
    case AK_USER: return d->posix ? &d->local : &g->users[d->user];
    case AK_ADMIN: return d->posix || rnd(&g->r, 2) ? &d->admin : &g->users[d->user];
    case AK_ROOT: return &d->admin;
    case AK_PUSER: return &d->local;
    case AK_WWW: return &d->www;
    default: return parent ? parent->acct : d->posix ? &d->local : &g->users[d->user];
    }
}

static void proc_spawn(struct gen *g, struct device *d, struct proc *pr, const struct image *im,
                       const struct proc *parent, bool fresh)
{
    struct rng *r = &g->r;
    pr->img = im;
    pr->pid = d->posix ? 300 + rnd(r, 400000) : 4 * (100 + rnd(r, 12000));
    pr->ct = fresh ? g->ts - 2000 - ago(g, 2 * TICKS_PER_S) : g->ts - ago(g, 3 * TICKS_PER_DAY);
    if (parent) {
        pr->pname = parent->img->name;
        pr->ppid = parent->pid;
        pr->pct = parent->ct;
    } else {
        pr->pname = im->pname;
        pr->ppid = d->posix ? 1 + rnd(r, 400000) : 4 * (100 + rnd(r, 12000));
        pr->pct = pr->ct - 1 - ago(g, TICKS_PER_DAY);
    }
    if (pr->pct >= pr->ct)
        pr->pct = pr->ct - 1 - ago(g, TICKS_PER_S);
    if (d->posix) {
        pr->ct -= pr->ct % 10;
        pr->pct -= pr->pct % 10;
    }
    pr->acct = acct_for(g, d, im->d->ak, parent);
    pr->remote = false;
    if (pr->acct == &g->sys[0] || pr->acct == &g->sys[1] || pr->acct == &g->sys[2]) {
        pr->il = IL_SYSTEM;
        pr->te = TE_DEFAULT;
        pr->sess = 0;
        pr->logon = pr->acct == &g->sys[0] ? 999 : pr->acct == &g->sys[1] ? 997 : 996;
    } else if (d->posix) {
        pr->il = IL_SYSTEM;
        pr->te = TE_NONE;
        pr->sess = 0;
        pr->logon = 0;
    } else {
        bool admin = pr->acct == &d->admin || (parent && parent->te == TE_FULL);
        pr->il = admin ? IL_HIGH : IL_MEDIUM;
        pr->te = admin ? TE_FULL : (d->user & 1) ? TE_LIMITED : TE_DEFAULT;
        pr->remote = d->server;
        pr->sess = d->server ? 2 + (d->user & 3) : 1;
        pr->logon = d->logon;
    }
    const char *t = im->d->cmd[rnd(r, im->ncmd)];
    char *e = expand(g, pr->cmd, pr->cmd + sizeof(pr->cmd), t, pr->acct, d->posix, true);
    pr->cmd_n = (uint16_t)(e - pr->cmd);
}

/* A running process of d (with one of `flags` when it finds one quickly), never `avoid`.
 * Now and then one process is replaced (process churn). */
static struct proc *proc_pick(struct gen *g, struct device *d, unsigned flags,
                              const struct proc *avoid)
{
    struct rng *r = &g->r;
    struct proc *pr = NULL;
    if (chance(r, 150)) {
        pr = &d->procs[rnd(r, SYN_PROCS)];
        if (pr != avoid)
            proc_spawn(g, d, pr, pick_image(g, d->plat), NULL, false);
    }
    for (int i = 0; i < 6; i++) {
        pr = &d->procs[rnd(r, SYN_PROCS)];
        if (pr != avoid && (!flags || (pr->img->d->flags & flags)))
            return pr;
    }
    return pr != avoid ? pr : &d->procs[(pr - d->procs + 1) % SYN_PROCS];
}

/* The running process of image `idx` on d, started (in a slot other than avoid's) if none. */
static struct proc *proc_find(struct gen *g, struct device *d, int idx, const struct proc *avoid)
{
    unsigned s0 = rnd(&g->r, SYN_PROCS);
    for (unsigned i = 0; i < SYN_PROCS; i++) {
        struct proc *pr = &d->procs[(s0 + i) % SYN_PROCS];
        if (pr->img == &g->img[idx] && pr != avoid)
            return pr;
    }
    struct proc *pr = &d->procs[s0];
    if (pr == avoid)
        pr = &d->procs[(s0 + 1) % SYN_PROCS];
    proc_spawn(g, d, pr, &g->img[idx], NULL, false);
    return pr;
}

static void init_devices(struct gen *g)
{
    struct rng *r = &g->wr;
    static const char *const ws_roles[] = {"sql", "web",  "app", "file",
                                           "dc",  "exch", "rds", "print"};
    static const char *const lx_roles[] = {"web", "api", "db", "k8s-node", "build", "kafka", "vpn"};
    static const char *const lx_envs[] = {"prod", "stage", "dev"};
    uint32_t os_total = 0;
    for (unsigned i = 0; i < NOS; i++)
        os_total += os_defs[i].weight;
    for (unsigned i = 0; i < SYN_DEVICES; i++) {
        struct device *d = &g->dev[i];
        unsigned os = 0;
        if (i < NOS) {
            os = i;
        } else {
            uint32_t x = rnd(r, os_total);
            while (x >= os_defs[os].weight)
                x -= os_defs[os++].weight;
        }
        const struct os_def *od = &os_defs[os];
        d->os = (uint8_t)os;
        d->plat = od->plat;
        d->server = od->server;
        d->posix = od->plat != PL_WIN;
        hexz(r, d->id, 40, HEXL);
        d->user = (uint16_t)rnd(r, SYN_USERS);
        const char *ufirst = first_names[d->user % ARRAY_SIZE(first_names)];
        char host[64];
        if (od->plat == PL_WIN && !od->server) {
            if (rnd(r, 2)) {
                memcpy(host, "desktop-", 8);
                put_ralnum(r, host + 8, 7, 36);
                host[15] = 0;
            } else {
                snprintf(host, sizeof(host), "lt-%s-%03u", ufirst, rnd(r, 1000));
            }
        } else if (od->plat == PL_WIN) {
            const char *role = ws_roles[rnd(r, ARRAY_SIZE(ws_roles))];
            snprintf(host, sizeof(host), "srv-%s-%02u", role, 1 + rnd(r, 40));
        } else if (od->plat == PL_LINUX) {
            const char *role = lx_roles[rnd(r, ARRAY_SIZE(lx_roles))];
            const char *env = lx_envs[rnd(r, ARRAY_SIZE(lx_envs))];
            snprintf(host, sizeof(host), "%s-%s-%02u", role, env, 1 + rnd(r, 30));
        } else {
            snprintf(host, sizeof(host), "%ss-macbook-pro-%u", ufirst, rnd(r, 100));
        }
        d->host = intern(g, host);
        if (od->plat == PL_WIN)
            d->name = internf(g, "%s.corp.contoso.com", host);
        else if (od->plat == PL_LINUX && rnd(r, 2))
            d->name = internf(g, "%s.internal.cloudapp.net", host);
        else
            d->name = d->host;
        d->group = od->plat == PL_LINUX ? 4 : od->server ? 3 : od->plat == PL_MAC ? 0
                 : (uint8_t)(rnd(r, 4) == 0 ? 0 : rnd(r, 8) == 0 ? 5 : 1 + rnd(r, 2));
        d->model = od->plat == PL_MAC ? 5 : (od->server || od->plat == PL_LINUX) ? 3
                 : (uint8_t)(rnd(r, 3) == 0 ? 4 : rnd(r, 3));
        d->aad = od->plat == PL_WIN && !od->server;
        d->ip4 = internal_ip(g);
        d->gw4 = (d->ip4 & 0xffffff00u) | 1;
        d->pub4 = g->site_pub[rnd(r, ARRAY_SIZE(g->site_pub))];
        char *e = put_ip4(d->ip4s, d->ip4);
        d->ip4n = (uint8_t)(e - d->ip4s);
        e = PUTL(d->ip6, "2603:10b6:");
        for (int k = 0; k < 6; k++) {
            e = put_hex16(e, 1 + rnd(r, 0xffff));
            if (k < 5)
                *e++ = ':';
        }
        *e = 0;
        e = PUTL(d->ll6, "fe80::");
        for (int k = 0; k < 4; k++) {
            e = put_hex16(e, 1 + rnd(r, 0xffff));
            if (k < 3)
                *e++ = ':';
        }
        *e = 0;
        for (int k = 0; k < 6; k++)
            d->mac[k] = (uint8_t)rnd(r, 256);
        if (d->server)
            memcpy(d->mac, "\x00\x0d\x3a", 3);
        d->mac[0] &= 0xfc;
        d->adapter[0] = '{';
        put_guid(r, d->adapter + 1, HEXU);
        d->adapter[37] = '}';
        d->adapter[38] = 0;
        put_guid(r, d->aad_id, HEXL);
        put_guid(r, d->obj_id, HEXL);
        d->aad_id[36] = d->obj_id[36] = 0;
        d->logon = 0x10000 + rnd(r, 0x1000000);
        d->report_id = 1000 + rnd(r, 200000);
        if (d->posix) {
            d->admin = (struct acct){d->host, SLIT("root"), S_NULL, S_NULL, S_NULL, 0};
            const char *lu = od->plat == PL_MAC ? ufirst : rnd(r, 2) ? "azureuser" : ufirst;
            d->local = (struct acct){d->host, intern(g, lu), S_NULL, S_NULL, S_NULL,
                                     1000 + rnd(r, 4)};
            d->www = (struct acct){d->host, SLIT("www-data"), S_NULL, S_NULL, S_NULL, 33};
        } else {
            unsigned m1 = 1000000000u + rnd(r, 2000000000u);
            unsigned m2 = 100000000u + rnd(r, 900000000u);
            unsigned m3 = 1000000000u + rnd(r, 3000000000u);
            d->admin = (struct acct){d->host, SLIT("administrator"),
                                     internf(g, "S-1-5-21-%u-%u-%u-500", m1, m2, m3), S_NULL,
                                     S_NULL, 0};
        }
        if (d->posix)
            g->posix[g->nposix++] = (uint16_t)i;
        else
            g->win[g->nwin++] = (uint16_t)i;
    }
    /* Running processes: drawn from the event stream so they follow the clock. */
    for (unsigned i = 0; i < SYN_DEVICES; i++) {
        struct device *d = &g->dev[i];
        for (unsigned k = 0; k < SYN_PROCS; k++)
            proc_spawn(g, d, &d->procs[k], pick_image(g, d->plat), NULL, false);
    }
}

/* ------------------------------------------------------------------------------------- */
/* Column helpers */

static const uint8_t ipacct_cols[5] = {
    C_InitiatingProcessAccountDomain, C_InitiatingProcessAccountName,
    C_InitiatingProcessAccountObjectId, C_InitiatingProcessAccountSid,
    C_InitiatingProcessAccountUpn};
static const uint8_t acct_cols[5] = {ACC5};

static void set_acct(struct gen *g, const uint8_t *cols, const struct acct *a)
{
    set_s(g, cols[0], a->dom);
    set_s(g, cols[1], a->name);
    set_s(g, cols[2], a->oid);
    set_s(g, cols[3], a->sid);
    set_s(g, cols[4], a->upn);
}

static struct device *pick_dev(struct gen *g, unsigned plat)
{
    const uint16_t *idx = NULL;
    uint32_t n = SYN_DEVICES;
    if (plat == PL_WIN) {
        idx = g->win;
        n = g->nwin;
    } else if (plat == PL_POSIX) {
        idx = g->posix;
        n = g->nposix;
    }
    uint32_t a = rnd(&g->r, n), b = rnd(&g->r, n); /* skewed: low indexes are chattier */
    uint32_t i = a < b ? a : b;
    return &g->dev[idx ? idx[i] : i];
}

static void set_ident(struct gen *g, struct device *d)
{
    if (d->posix)
        g->ts -= g->ts % 10; /* POSIX sensors report microseconds */
    set_hex(g, C_DeviceId, d->id, 40);
    set_s(g, C_DeviceName, d->name);
    d->report_id += 1 + rnd(&g->r, 6);
    set_i(g, C_ReportId, d->report_id);
    set_s(g, C_MachineGroup, g->group[d->group]);
    set_t(g, C_Timestamp, g->ts);
}

static struct str sc_ip4(struct gen *g, uint32_t ip)
{
    char *s = sc_open(g);
    return sc_close(g, s, put_ip4(s, ip));
}

static struct str sc_rhex(struct gen *g, size_t n)
{
    char *s = sc_open(g);
    return sc_close(g, s, put_rhex(&g->r, s, n, HEXL));
}

static struct str sc_expand(struct gen *g, const char *t, const struct acct *a, bool posix)
{
    char *s = sc_open(g);
    return sc_close(g, s, expand(g, s, s + SYN_PIECE_MAX, t, a, posix, true));
}

/* A raw-JSON template (AdditionalFields and friends) expanded into scratch. */
static struct str sc_json(struct gen *g, const char *t, const struct acct *a, bool posix)
{
    char *s = sc_open(g);
    return sc_close(g, s, expand(g, s, s + SYN_PIECE_MAX, t, a, posix, false));
}

static inline struct str dev_ip4(const struct device *d) { return (struct str){d->ip4s, d->ip4n}; }

static uint32_t public_ip(struct gen *g)
{
    const uint8_t *pp = pub_prefix[rnd(&g->r, ARRAY_SIZE(pub_prefix))];
    uint32_t c = rnd(&g->r, 256);
    uint32_t d = 1 + rnd(&g->r, 254);
    return ((uint32_t)pp[0] << 24) | ((uint32_t)pp[1] << 16) | (c << 8) | d;
}

static struct str sc_pub_ip6(struct gen *g)
{
    static const char *const pre[] = {"2603:1030:", "2620:1ec:", "2a00:1450:", "2606:4700:"};
    char *s = sc_open(g), *p = s;
    const char *x = pre[rnd(&g->r, ARRAY_SIZE(pre))];
    p = put(p, x, strlen(x));
    p = put_hex16(p, 1 + rnd(&g->r, 0xfff));
    p = PUTL(p, "::");
    return sc_close(g, s, put_hex16(p, 1 + rnd(&g->r, 0xfff)));
}

static void set_hashes(struct gen *g, const char *md5, const char *sha1, const char *sha256)
{
    set_hex(g, C_MD5, md5, 32);
    set_hex(g, C_SHA1, sha1, 40);
    set_hex(g, C_SHA256, sha256, 64);
}

static void set_rhashes(struct gen *g)
{
    set_s(g, C_MD5, sc_rhex(g, 32));
    set_s(g, C_SHA1, sc_rhex(g, 40));
    set_s(g, C_SHA256, sc_rhex(g, 64));
}

static void set_version_info(struct gen *g, unsigned first, const struct image *im)
{
    /* first: the CompanyName column; the other five follow in X-macro (= name) order */
    set_s(g, first, im->company);
    set_s(g, first + 1, im->desc);
    set_s(g, first + 2, im->internal);
    set_s(g, first + 3, im->original);
    set_s(g, first + 4, im->product);
    set_s(g, first + 5, im->version);
}
_Static_assert(C_InitiatingProcessVersionInfoProductVersion ==
                   C_InitiatingProcessVersionInfoCompanyName + 5 &&
               C_ProcessVersionInfoProductVersion == C_ProcessVersionInfoCompanyName + 5,
               "VersionInfo columns are consecutive");

/* The InitiatingProcess block of the process pr of d. */
static void set_iproc(struct gen *g, const struct device *d, const struct proc *pr)
{
    const struct image *im = pr->img;
    set_acct(g, ipacct_cols, pr->acct);
    set_s(g, C_InitiatingProcessCommandLine, (struct str){pr->cmd, pr->cmd_n});
    set_t(g, C_InitiatingProcessCreationTime, pr->ct);
    set_s(g, C_InitiatingProcessFileName, im->name);
    set_i(g, C_InitiatingProcessFileSize, im->d->size);
    set_s(g, C_InitiatingProcessFolderPath, im->lpath);
    set_i(g, C_InitiatingProcessId, pr->pid);
    if (!d->posix)
        set_s(g, C_InitiatingProcessIntegrityLevel, il_names[pr->il]);
    set_i(g, C_InitiatingProcessLogonId, pr->logon);
    set_hex(g, C_InitiatingProcessMD5, im->md5, 32);
    set_hex(g, C_InitiatingProcessSHA1, im->sha1, 40);
    set_hex(g, C_InitiatingProcessSHA256, im->sha256, 64);
    set_t(g, C_InitiatingProcessParentCreationTime, pr->pct);
    set_s(g, C_InitiatingProcessParentFileName, pr->pname);
    set_i(g, C_InitiatingProcessParentId, pr->ppid);
    set_s(g, C_InitiatingProcessSignatureStatus, d->posix ? SLIT("Unknown") : SLIT("Valid"));
    set_s(g, C_InitiatingProcessSignerType,
          d->posix ? SLIT("Unknown") : im->signer == 0 ? SLIT("OsVendor") : SLIT("ThirdParty"));
    set_s(g, C_InitiatingProcessTokenElevation, te_names[pr->te]);
    set_version_info(g, C_InitiatingProcessVersionInfoCompanyName, im);
    if (!d->posix)
        set_i(g, C_InitiatingProcessSessionId, pr->sess);
    set_b(g, C_IsInitiatingProcessRemoteSession, pr->remote);
    if (pr->remote) {
        const struct device *rd = &g->dev[g->win[pr->pid % g->nwin]];
        set_s(g, C_InitiatingProcessRemoteSessionDeviceName, rd->host);
        set_s(g, C_InitiatingProcessRemoteSessionIP, dev_ip4(rd));
    }
}

/* An InitiatingProcess block with no process (network sensor, some logons). */
static void set_iproc_none(struct gen *g)
{
    set_i(g, C_InitiatingProcessId, 0);
    set_i(g, C_InitiatingProcessParentId, 0);
    set_l(g, C_InitiatingProcessTokenElevation, "None");
}

/* Process columns of DeviceEvents / DeviceProcessEvents for process pr (the target). */
static void set_target(struct gen *g, const struct proc *pr)
{
    set_i(g, C_ProcessId, pr->pid);
    set_s(g, C_ProcessCommandLine, (struct str){pr->cmd, pr->cmd_n});
    set_t(g, C_ProcessCreationTime, pr->ct);
    set_s(g, C_ProcessTokenElevation, te_names[pr->te]);
    set_s(g, C_FileName, pr->img->name);
    set_s(g, C_FolderPath, pr->img->path);
}

/* ------------------------------------------------------------------------------------- */
/* Tables */

static uint32_t eph_port(struct gen *g, bool posix)
{
    return posix ? 32768 + rnd(&g->r, 28232) : 49152 + rnd(&g->r, 16383);
}

static uint32_t svc_port(struct gen *g, const struct device *d)
{
    static const uint16_t win[] = {445, 135, 3389, 5985, 139, 443, 80, 1433, 88, 389};
    static const uint16_t lx[] = {22, 443, 80, 8080, 5432, 9092, 6443, 3306};
    return d->posix ? lx[rnd(&g->r, ARRAY_SIZE(lx))] : win[rnd(&g->r, ARRAY_SIZE(win))];
}

/* Text builders for dynamic pieces (scratch). */
static struct str sc_fname(struct gen *g, bool posix)
{
    static const char *const wx[] = {".docx", ".xlsx", ".pdf", ".tmp", ".log", ".zip", ".exe",
                                     ".dll", ".ps1", ".json", ".txt", ".lnk", ".js", ".png",
                                     ".pf", ".dat", ".etl"};
    static const char *const px[] = {"", ".log", ".tar.gz", ".sh", ".py", ".json", ".conf",
                                     ".so.1", ".tmp", ".pid"};
    char *s = sc_open(g), *p = put_word(g, s);
    if (rnd(&g->r, 2)) {
        *p++ = '_';
        p = put_u64(p, rnd(&g->r, 10000));
    }
    const char *e = posix ? px[rnd(&g->r, ARRAY_SIZE(px))] : wx[rnd(&g->r, ARRAY_SIZE(wx))];
    return sc_close(g, s, put(p, e, strlen(e)));
}

static struct str sc_join(struct gen *g, struct str dir, struct str name, bool posix)
{
    char *s = sc_open(g), *p = put(s, dir.s, dir.n);
    p = posix ? PUTL(p, "/") : PUTL(p, "\\\\");
    return sc_close(g, s, put(p, name.s, name.n));
}

/* {"a":"b"}-style list of one quoted JSON string: ["<s>"] */
static struct str sc_list1(struct gen *g, struct str s1)
{
    char *s = sc_open(g), *p = PUTL(s, "[\"");
    p = put(p, s1.s, s1.n);
    return sc_close(g, s, PUTL(p, "\"]"));
}

/* --- DeviceProcessEvents --- */

static char *put_puser(char *p, const struct acct *a)
{
    p = PUTL(p, "{\"Name\":\"");
    p = put(p, a->name.s, a->name.n);
    p = PUTL(p, "\",\"DomainName\":\"");
    p = put(p, a->dom.s, a->dom.n);
    p = PUTL(p, "\",\"LogonId\":0,\"PosixUserId\":");
    p = put_u64(p, a->uid);
    p = PUTL(p, ",\"PrimaryPosixGroup\":{\"Name\":\"");
    p = put(p, a->name.s, a->name.n);
    p = PUTL(p, "\",\"PosixGroupId\":");
    p = put_u64(p, a->uid);
    return PUTL(p, "}}");
}

static char *put_pgroup(char *p, const struct acct *a)
{
    p = PUTL(p, "{\"Name\":\"");
    p = put(p, a->name.s, a->name.n);
    p = PUTL(p, "\",\"PosixGroupId\":");
    p = put_u64(p, a->uid);
    return PUTL(p, "}");
}

/* The POSIX block of defender.md §1.4-7 for one process (prefix InitiatingProcess/Process). */
static char *put_posix(char *p, const struct device *d, const struct proc *pr, bool initiating)
{
#define PKEY(lit)                                                                              \
    do {                                                                                       \
        p = initiating ? PUTL(p, "\"InitiatingProcess" lit "\":")                              \
                       : PUTL(p, "\"Process" lit "\":");                                       \
    } while (0)
    const struct acct *a = pr->acct, *root = &d->admin;
    PKEY("PosixEffectiveUser");
    p = put_puser(p, a);
    *p++ = ',';
    PKEY("PosixEffectiveGroup");
    p = put_pgroup(p, a);
    *p++ = ',';
    PKEY("PosixProcessGroupId");
    p = put_u64(p, pr->ppid);
    *p++ = ',';
    PKEY("PosixSessionId");
    p = put_u64(p, pr->ppid);
    *p++ = ',';
    if (a != root) {
        PKEY("PosixAttachedTerminal");
        p = PUTL(p, "\"/dev/pts/");
        p = put_u64(p, pr->pid % 7);
        p = PUTL(p, "\",");
    }
    PKEY("CurrentWorkingDirectory");
    if (a == root) {
        p = (pr->pid & 1) ? PUTL(p, "\"/var/backups\"") : PUTL(p, "\"/\"");
    } else {
        p = PUTL(p, "\"/home/");
        p = put(p, a->name.s, a->name.n);
        p = PUTL(p, "\"");
    }
    *p++ = ',';
    PKEY("PosixFilePermissions");
    p = PUTL(p, "[\"OthersExecute\",\"OthersRead\",\"GroupExecute\",\"GroupRead\","
                "\"UserExecute\",\"UserWrite\",\"UserRead\",\"UserAll\"],");
    if (initiating) {
        PKEY("PosixUserOwner");
        p = put_puser(p, root);
        *p++ = ',';
        PKEY("PosixGroupOwner");
        p = put_pgroup(p, root);
        *p++ = ',';
        PKEY("PosixRealUser");
        p = put_puser(p, a);
    } else {
        PKEY("PosixFileUserOwner");
        p = put_puser(p, root);
        *p++ = ',';
        PKEY("PosixFileGroupOwner");
        p = put_pgroup(p, root);
    }
    return p;
#undef PKEY
}

static void gen_process(struct gen *g)
{
    struct rng *r = &g->r;
    struct device *d = pick_dev(g, PL_ANY);
    set_ident(g, d);
    const struct image *ci = pick_image(g, d->plat);
    struct proc *ip;
    if (ci->parent >= 0 && (g->img[ci->parent].d->plat & d->plat))
        ip = proc_find(g, d, ci->parent, NULL);
    else
        ip = proc_pick(g, d, IF_SHELL, NULL);
    struct proc *cp = &d->procs[rnd(r, SYN_PROCS)];
    if (cp == ip)
        cp = &d->procs[(cp - d->procs + 1) % SYN_PROCS];
    proc_spawn(g, d, cp, ci, ip, true);
    set_iproc(g, d, ip);
    set_l(g, C_ActionType, "ProcessCreated");
    set_acct(g, acct_cols, cp->acct);
    set_s(g, C_FileName, ci->name);
    set_s(g, C_FolderPath, ci->path);
    set_i(g, C_FileSize, ci->d->size);
    set_hashes(g, ci->md5, ci->sha1, ci->sha256);
    set_i(g, C_LogonId, cp->logon);
    set_s(g, C_ProcessCommandLine, (struct str){cp->cmd, cp->cmd_n});
    set_t(g, C_ProcessCreationTime, cp->ct);
    set_i(g, C_ProcessId, cp->pid);
    if (!d->posix) {
        set_s(g, C_ProcessIntegrityLevel, il_names[cp->il]);
        set_i(g, C_CreatedProcessSessionId, cp->sess);
    }
    set_s(g, C_ProcessTokenElevation, te_names[cp->te]);
    set_version_info(g, C_ProcessVersionInfoCompanyName, ci);
    set_b(g, C_IsProcessRemoteSession, cp->remote);
    if (cp->remote) {
        const struct device *rd = &g->dev[g->win[cp->pid % g->nwin]];
        set_s(g, C_ProcessRemoteSessionDeviceName, rd->host);
        set_s(g, C_ProcessRemoteSessionIP, dev_ip4(rd));
    }
    if (d->posix) {
        char *s = sc_open(g), *p = s;
        *p++ = '{';
        p = put_posix(p, d, ip, true);
        *p++ = ',';
        p = put_posix(p, d, cp, false);
        *p++ = '}';
        set_j(g, C_AdditionalFields, sc_close(g, s, p));
    } else if (rnd(r, 2)) {
        set_jl(g, C_AdditionalFields, "[]");
    }
}

/* --- DeviceNetworkEvents --- */

enum nk { NK_OUT, NK_FAIL, NK_REQ, NK_FOUND, NK_IN, NK_LISTEN, NK_ATTEMPT, NK_DNS, NK_HTTP,
          NK_SSL, NK_SIG, NK_SSH, NK_SMTP, NK_FTP, NK_ICMP, NK_NTLM, NK_SCAN };

static const struct wname net_acts[] = {
    [NK_OUT] = {"ConnectionSuccess", 400}, [NK_FAIL] = {"ConnectionFailed", 80},
    [NK_REQ] = {"ConnectionRequest", 150}, [NK_FOUND] = {"ConnectionFound", 80},
    [NK_IN] = {"InboundConnectionAccepted", 110}, [NK_LISTEN] = {"ListeningConnectionCreated", 50},
    [NK_ATTEMPT] = {"ConnectionAttempt", 20}, [NK_DNS] = {"DnsConnectionInspected", 30},
    [NK_HTTP] = {"HttpConnectionInspected", 20}, [NK_SSL] = {"SslConnectionInspected", 25},
    [NK_SIG] = {"NetworkSignatureInspected", 10}, [NK_SSH] = {"SshConnectionInspected", 5},
    [NK_SMTP] = {"SmtpConnectionInspected", 3}, [NK_FTP] = {"FtpConnectionInspected", 2},
    [NK_ICMP] = {"IcmpConnectionInspected", 5}, [NK_NTLM] = {"NtlmAuthenticationInspected", 3},
    [NK_SCAN] = {"InboundInternetScanInspected", 2}};

static char *put_zeek_tail(struct gen *g, char *p, bool ts)
{
    p = PUTL(p, ",\"uid\":\"C");
    p = put_ralnum(&g->r, p, 17, 62);
    if (!ts)
        return PUTL(p, "\"}");
    p = PUTL(p, "\",\"ts\":\"");
    p = put_u64(p, (uint64_t)(g->ts + FILETIME_EPOCH));
    return PUTL(p, "\"}");
}

static void net_inspected(struct gen *g, struct device *d, unsigned k)
{
    static const uint16_t kport[] = {[NK_DNS] = 53, [NK_HTTP] = 80, [NK_SSL] = 443,
                                     [NK_SIG] = 80, [NK_SSH] = 22, [NK_SMTP] = 25,
                                     [NK_FTP] = 21, [NK_ICMP] = 0, [NK_NTLM] = 445,
                                     [NK_SCAN] = 3389};
    static const char *const sigs[] = {"HTTP_Server", "HTTP_Client", "SMB_Client", "RDP_Client",
                                       "DNS_Request", "Kerberos_AS_REQ", "SSH_Server"};
    struct rng *r = &g->r;
    set_iproc_none(g);
    bool in = k == NK_SCAN || (k == NK_SSH && rnd(r, 10) < 6) || (k == NK_SIG && rnd(r, 2)) ||
              (k == NK_HTTP && rnd(r, 10) == 0);
    const struct device *srv = NULL;
    uint32_t rip;
    if (k == NK_NTLM) {
        srv = &g->dev[g->win[rnd(r, g->nwin)]];
        for (int i = 0; i < 8 && !srv->server; i++)
            srv = &g->dev[g->win[rnd(r, g->nwin)]];
        rip = srv->ip4;
    } else {
        bool pub = k == NK_SCAN || (k != NK_DNS && rnd(r, 10) < 7) || (k == NK_DNS && !rnd(r, 5));
        rip = pub ? public_ip(g) : internal_ip(g);
    }
    struct str rips = sc_ip4(g, rip);
    uint32_t sport = k == NK_SCAN ? svc_port(g, d) : kport[k];
    set_s(g, C_LocalIP, dev_ip4(d));
    set_s(g, C_RemoteIP, rips);
    if (k != NK_ICMP) {
        set_i(g, C_LocalPort, in ? sport : eph_port(g, false));
        set_i(g, C_RemotePort, in ? eph_port(g, false) : sport);
    }
    if (k == NK_DNS)
        set_l(g, C_Protocol, "Udp");
    else if (k == NK_ICMP)
        set_l(g, C_Protocol, "Icmp");
    else if (k != NK_SIG)
        set_l(g, C_Protocol, "Tcp");
    char *s = sc_open(g), *p = s;
    const char *dir = in ? "{\"direction\":\"In\"" : "{\"direction\":\"Out\"";
    p = put(p, dir, strlen(dir));
    switch (k) {
    case NK_DNS:
        p = PUTL(p, ",\"trans_id\":\"");
        p = put_u64(p, rnd(r, 65536));
        p = PUTL(p, "\",\"rtt\":\"0.0");
        p = put_u64(p, 1000000 + rnd(r, 8000000));
        p = PUTL(p, "\",\"query\":\"");
        p = put_domain(g, p);
        p = PUTL(p, "\",\"qclass\":\"1\",\"qclass_name\":\"C_INTERNET\",\"qtype\":\"1\","
                    "\"qtype_name\":\"A\",\"rcode\":\"0\",\"rcode_name\":\"NOERROR\","
                    "\"AA\":\"false\","
                    "\"TC\":\"false\",\"RD\":\"true\",\"RA\":\"true\",\"answers\":\"[\\\"");
        p = put_ip4(p, public_ip(g));
        p = PUTL(p, "\\\"]\",\"TTLs\":\"[");
        p = put_u64(p, 30 + rnd(r, 3600));
        p = PUTL(p, ".0]\",\"rejected\":\"false\"");
        p = put_zeek_tail(g, p, true);
        g->af_obj |= rnd(r, 2) != 0; /* Zeek-style rows often arrive as nested objects */
        break;
    case NK_HTTP: {
        static const char *const st[] = {
            "200\",\"status_msg\":\"OK", "304\",\"status_msg\":\"Not Modified",
            "404\",\"status_msg\":\"Not Found", "302\",\"status_msg\":\"Found"};
        p = PUTL(p, ",\"host\":\"");
        p = put_domain(g, p);
        p = PUTL(p, "\",\"method\":\"GET\",\"uri\":\"/");
        p = put_word(g, p);
        *p++ = '/';
        p = put_u64(p, rnd(r, 100000));
        p = PUTL(p, "\",\"user_agent\":\"");
        p = put_escz(p, user_agents[rnd(r, ARRAY_SIZE(user_agents))]);
        p = PUTL(p, "\",\"version\":\"1.1\",\"status_code\":\"");
        const char *x = st[rnd(r, ARRAY_SIZE(st))];
        p = put(p, x, strlen(x));
        p = PUTL(p, "\",\"request_body_len\":\"0\",\"response_body_len\":\"");
        p = put_u64(p, rnd(r, 200000));
        p = PUTL(p, "\",\"trans_depth\":\"1\",\"proxied\":\"\",\"tags\":\"[]\"");
        p = put_zeek_tail(g, p, true);
        break;
    }
    case NK_SSL:
        p = rnd(r, 3) ? PUTL(p, ",\"version\":\"TLSv13\",\"cipher\":\"TLS_AES_256_GCM_SHA384\","
                                "\"curve\":\"x25519\",\"next_protocol\":\"h2\"")
                      : PUTL(p, ",\"version\":\"TLSv12\",\"cipher\":"
                                "\"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\",\"curve\":\"secp384r1\","
                                "\"next_protocol\":\"http/1.1\"");
        p = PUTL(p, ",\"server_name\":\"");
        p = put_domain(g, p);
        p = PUTL(p, "\",\"resumed\":\"false\",\"established\":\"true\",\"subject\":\"CN=");
        p = put_domain(g, p);
        p = PUTL(p, "\",\"issuer\":\"CN=Microsoft Azure RSA TLS Issuing CA 04, O=Microsoft "
                    "Corporation, C=US\"");
        p = put_zeek_tail(g, p, true);
        break;
    case NK_SIG: {
        p = s;
        const char *x = sigs[rnd(r, ARRAY_SIZE(sigs))];
        p = PUTL(p, "{\"SignatureName\":\"");
        p = put(p, x, strlen(x));
        if (x[0] == 'H') {
            p = PUTL(p, "\",\"SignatureMatchedContent\":\"GET /");
            p = put_word(g, p);
            p = PUTL(p, " HTTP/1.1\",\"SamplePacketContent\":"
                        "\"R0VUIC8gSFRUUC8xLjENCkhvc3Q6IA==\"}");
        } else {
            p = PUTL(p, "\"}");
        }
        break;
    }
    case NK_SSH:
        p = PUTL(p, ",\"auth_attempts\":\"");
        p = put_u64(p, rnd(r, 4));
        p = rnd(r, 4) ? PUTL(p, "\",\"auth_success\":\"true\"")
                      : PUTL(p, "\",\"auth_success\":\"false\"");
        p = PUTL(p, ",\"client\":\"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6\","
                    "\"server\":\"SSH-2.0-OpenSSH_for_Windows_8.1\"");
        p = put_zeek_tail(g, p, true);
        break;
    case NK_SMTP:
        p = PUTL(p, ",\"helo\":\"");
        p = put(p, d->name.s, d->name.n);
        p = PUTL(p, "\",\"last_reply\":\"250 2.0.0 OK\",\"path\":\"[\\\"");
        p = put(p, rips.s, rips.n);
        p = PUTL(p, "\\\",\\\"");
        p = put(p, d->ip4s, d->ip4n);
        p = PUTL(p, "\\\"]\",\"tls\":\"true\",\"trans_depth\":\"1\",\"fuids\":\"[]\"");
        p = put_zeek_tail(g, p, false);
        break;
    case NK_FTP:
        p = PUTL(p, ",\"user\":\"anonymous\",\"command\":\"RETR\",\"reply_code\":\"226\","
                    "\"reply_msg\":\"Transfer complete.\",\"cwd\":\"/pub/");
        p = put_word(g, p);
        *p++ = '"';
        p = put_zeek_tail(g, p, false);
        break;
    case NK_ICMP: {
        uint32_t pk = 1 + rnd(r, 8), b = 56 * pk;
        p = PUTL(p, ",\"conn_state\":\"OTH\",\"duration\":\"0.00");
        p = put_u64(p, 100000 + rnd(r, 800000));
        p = PUTL(p, "\",\"orig_bytes\":\"");
        p = put_u64(p, b);
        p = PUTL(p, "\",\"orig_pkts\":\"");
        p = put_u64(p, pk);
        p = PUTL(p, "\",\"orig_ip_bytes\":\"");
        p = put_u64(p, b + 28 * pk);
        p = PUTL(p, "\",\"resp_bytes\":\"");
        p = put_u64(p, b);
        p = PUTL(p, "\",\"resp_pkts\":\"");
        p = put_u64(p, pk);
        p = PUTL(p, "\",\"resp_ip_bytes\":\"");
        p = put_u64(p, b + 28 * pk);
        p = PUTL(p, "\",\"missed_bytes\":\"0\"");
        p = put_zeek_tail(g, p, false);
        break;
    }
    case NK_NTLM: {
        p = PUTL(p, ",\"server_nb_computer_name\":\"");
        for (uint32_t i = 0; i < srv->host.n; i++) {
            char c = srv->host.s[i];
            *p++ = c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
        }
        p = PUTL(p, "\",\"server_nb_domain_name\":\"CONTOSO\",\"server_dns_computer_name\":\"");
        p = put(p, srv->name.s, srv->name.n);
        p = PUTL(p, "\",\"server_dns_domain_name\":\"corp.contoso.com\",\"server_tree_name\":"
                    "\"corp.contoso.com\",\"server_version\":\"10.0.20348\"");
        p = put_zeek_tail(g, p, true);
        break;
    }
    default: /* NK_SCAN */
        p = s;
        p = PUTL(p, "{\"PublicScannedIp\":\"");
        p = put_ip4(p, d->pub4);
        p = PUTL(p, "\",\"PublicScannedPort\":");
        p = put_u64(p, sport);
        *p++ = '}';
        break;
    }
    set_j(g, C_AdditionalFields, sc_close(g, s, p));
}

static void gen_network(struct gen *g)
{
    static const uint16_t priv_ports[] = {445, 135, 389, 88, 3389, 5985, 1433, 8080, 53, 636, 9389};
    struct rng *r = &g->r;
    unsigned k = (unsigned)WPICK(g, net_acts);
    bool insp = k >= NK_DNS;
    struct device *d = pick_dev(g, insp ? PL_WIN : PL_ANY);
    struct proc *ip = insp ? NULL : proc_pick(g, d, IF_NET, NULL);
    set_ident(g, d);
    set_s(g, C_ActionType, wstr(net_acts[k].name));
    if (insp) {
        net_inspected(g, d, k);
        return;
    }
    set_iproc(g, d, ip);
    bool udp = k != NK_IN && k != NK_LISTEN && chance(r, 900);
    set_s(g, C_Protocol, udp ? SLIT("Udp") : SLIT("Tcp"));
    if (k == NK_LISTEN) {
        unsigned v = rnd(r, 3);
        set_s(g, C_LocalIP, v == 0 ? SLIT("0.0.0.0") : v == 1 ? SLIT("::") : dev_ip4(d));
        set_s(g, C_LocalIPType, v == 2 ? SLIT("Private") : SLIT("Reserved"));
        set_i(g, C_LocalPort, rnd(r, 2) ? svc_port(g, d) : eph_port(g, d->posix));
        return;
    }
    if (k == NK_IN) {
        bool pub = d->server && chance(r, 1500);
        set_s(g, C_LocalIP, dev_ip4(d));
        set_l(g, C_LocalIPType, "Private");
        set_i(g, C_LocalPort, svc_port(g, d));
        set_s(g, C_RemoteIP, sc_ip4(g, pub ? public_ip(g) : internal_ip(g)));
        set_s(g, C_RemoteIPType, pub ? SLIT("Public") : SLIT("Private"));
        set_i(g, C_RemotePort, eph_port(g, false));
        return;
    }
    unsigned x = rnd(r, 100);
    set_i(g, C_LocalPort, eph_port(g, d->posix));
    if (x < 6) { /* loopback */
        bool v6 = rnd(r, 4) == 0;
        set_s(g, C_LocalIP, v6 ? SLIT("::1") : SLIT("127.0.0.1"));
        set_s(g, C_RemoteIP, v6 ? SLIT("::1") : SLIT("127.0.0.1"));
        set_l(g, C_LocalIPType, "Loopback");
        set_l(g, C_RemoteIPType, "Loopback");
        set_i(g, C_RemotePort, rnd(r, 2) ? 8080 + rnd(r, 10) : eph_port(g, d->posix));
        return;
    }
    bool v6 = x >= 38 && chance(r, 900);
    if (v6) {
        set_s(g, C_LocalIP, wstr(d->ip6));
        set_l(g, C_LocalIPType, "Public");
    } else if (!d->posix && chance(r, 300)) {
        char *s = sc_open(g), *p = PUTL(s, "::ffff:");
        set_s(g, C_LocalIP, sc_close(g, s, put(p, d->ip4s, d->ip4n)));
        set_l(g, C_LocalIPType, "FourToSixMapping");
    } else {
        set_s(g, C_LocalIP, dev_ip4(d));
        set_l(g, C_LocalIPType, "Private");
    }
    if (x < 38) { /* an internal server */
        set_s(g, C_RemoteIP, sc_ip4(g, internal_ip(g)));
        set_l(g, C_RemoteIPType, "Private");
        set_i(g, C_RemotePort, priv_ports[rnd(r, ARRAY_SIZE(priv_ports))]);
        return;
    }
    set_s(g, C_RemoteIP, v6 ? sc_pub_ip6(g) : sc_ip4(g, public_ip(g)));
    set_l(g, C_RemoteIPType, "Public");
    unsigned port = udp ? (rnd(r, 2) ? 443 : 123) : rnd(r, 5) ? 443 : rnd(r, 4) ? 80 : 8443;
    set_i(g, C_RemotePort, port);
    if (port != 123 && rnd(r, 10) < 7) {
        char *s = sc_open(g);
        set_s(g, C_RemoteUrl, sc_close(g, s, put_domain(g, s)));
    }
}

/* --- DeviceFileEvents --- */

enum { FA_CREATED, FA_MODIFIED, FA_RENAMED, FA_DELETED };
static const struct wname file_acts[] = {[FA_CREATED] = {"FileCreated", 45},
                                         [FA_MODIFIED] = {"FileModified", 35},
                                         [FA_RENAMED] = {"FileRenamed", 10},
                                         [FA_DELETED] = {"FileDeleted", 10}};
static const char *const win_dirs[] = {
    "C:\\Users\\%u\\Downloads", "C:\\Users\\%u\\Documents", "C:\\Users\\%u\\AppData\\Local\\Temp",
    "C:\\Users\\%u\\AppData\\Local\\Microsoft\\Edge\\User Data\\Default\\Cache\\Cache_Data",
    "C:\\Windows\\Temp", "C:\\ProgramData\\Microsoft\\Windows Defender\\Scans\\History\\Service",
    "C:\\Windows\\Prefetch", "C:\\Windows\\SoftwareDistribution\\Download\\%h%h",
    "C:\\Users\\%u\\OneDrive - Contoso\\Documents", "C:\\ProgramData\\%w"};
static const char *const posix_dirs[] = {
    "/tmp", "/var/tmp", "/home/%u", "/home/%u/.cache/pip/http", "/var/log", "/etc/%w",
    "/var/lib/docker/overlay2/%h%h/diff/usr/lib", "/opt/%w", "/var/backups"};

static void gen_file(struct gen *g)
{
    static const char *const types[] = {"PortableExecutable", "Zip", "Pdf", "Docx", "Xlsx",
                                        "Lnk", "PowerShell", "Unknown"};
    static const char *const labels[] = {"General", "Confidential", "Highly Confidential"};
    struct rng *r = &g->r;
    unsigned a = (unsigned)WPICK(g, file_acts);
    struct device *d = pick_dev(g, PL_ANY);
    struct proc *ip = proc_pick(g, d, 0, NULL);
    bool px = d->posix;
    set_ident(g, d);
    set_iproc(g, d, ip);
    set_s(g, C_ActionType, wstr(file_acts[a].name));
    const struct acct *ua = px ? ip->acct : &g->users[d->user];
    struct str dir = sc_expand(g, px ? posix_dirs[rnd(r, ARRAY_SIZE(posix_dirs))]
                                     : win_dirs[rnd(r, ARRAY_SIZE(win_dirs))], ua, px);
    struct str name = sc_fname(g, px);
    set_s(g, C_FileName, name);
    set_s(g, C_FolderPath, sc_join(g, dir, name, px));
    if (a != FA_DELETED) {
        set_i(g, C_FileSize, 64 + rnd(r, rnd(r, 2) ? 65536 : 20000000));
        set_rhashes(g);
    }
    if (a == FA_RENAMED) {
        struct str prev = sc_fname(g, px);
        set_s(g, C_PreviousFileName, prev);
        set_s(g, C_PreviousFolderPath, sc_join(g, dir, prev, px));
    }
    if (!px && a == FA_CREATED && ((ip->img->d->flags & IF_BROWSER) || chance(r, 300))) {
        char *s = sc_open(g), *p = PUTL(s, "https://");
        p = put_domain(g, p);
        struct str ref = sc_close(g, s, PUTL(p, "/"));
        s = sc_open(g);
        p = put(s, ref.s, ref.n);
        p = put_word(g, p);
        *p++ = '/';
        set_s(g, C_FileOriginUrl, sc_close(g, s, put(p, name.s, name.n)));
        set_s(g, C_FileOriginReferrerUrl, ref);
        set_s(g, C_FileOriginIP, sc_ip4(g, public_ip(g)));
    }
    if (!px) {
        if (rnd(r, 2))
            set_b(g, C_IsAzureInfoProtectionApplied, false);
        if (chance(r, 200))
            set_s(g, C_SensitivityLabel, PICKZ(g, labels));
        if (chance(r, 600)) {
            static const char *const shares[] = {"C$", "ADMIN$", "Users", "Shared", "Finance"};
            const struct acct *ra = &g->users[rnd(r, SYN_USERS)];
            set_l(g, C_RequestProtocol, "SMB");
            set_l(g, C_RequestAccountDomain, "CONTOSO");
            set_s(g, C_RequestAccountName, ra->name);
            set_s(g, C_RequestAccountSid, ra->sid);
            set_s(g, C_RequestSourceIP, sc_ip4(g, internal_ip(g)));
            set_i(g, C_RequestSourcePort, eph_port(g, false));
            set_s(g, C_ShareName, PICKZ(g, shares));
        } else {
            set_l(g, C_RequestProtocol, "Local");
            set_s(g, C_RequestAccountDomain, ip->acct->dom);
            set_s(g, C_RequestAccountName, ip->acct->name);
            set_s(g, C_RequestAccountSid, ip->acct->sid);
        }
    }
    if (rnd(r, 10) < 3) {
        char *s = sc_open(g), *p = PUTL(s, "{\"FileType\":\"");
        p = put_escz(p, types[rnd(r, ARRAY_SIZE(types))]);
        set_j(g, C_AdditionalFields, sc_close(g, s, PUTL(p, "\"}")));
    }
}

/* --- DeviceRegistryEvents --- */

enum { RT_SZ, RT_EXPAND, RT_BIN, RT_DWORD, RT_QWORD, RT_MULTI };
static const struct str rt_names[] = {SLIT("String"), SLIT("ExpandString"), SLIT("Binary"),
                                      SLIT("Dword"), SLIT("Qword"), SLIT("MultiString")};

struct reg_def {
    const char *key, *name; /* templates; HKEY_CURRENT_USER keys carry the user's SID (%S) */
    uint8_t type;
    const char *data;       /* template; NULL: the value is binary (shown as null) */
    uint16_t w;
};

static const struct reg_def reg_defs[] = {
    {"HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run", "%w", RT_SZ,
     "\"C:\\Program Files\\%w\\%w.exe\" --autostart", 3},
    {"HKEY_CURRENT_USER\\%S\\Software\\Microsoft\\Windows\\CurrentVersion\\Run", "OneDrive", RT_SZ,
     "\"C:\\Program Files\\Microsoft OneDrive\\OneDrive.exe\" /background", 3},
    {"HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\%s", "Start", RT_DWORD, "3", 8},
    {"HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\%s\\Parameters", "ServiceDll",
     RT_EXPAND, "%%SystemRoot%%\\System32\\%w.dll", 2},
    {"HKEY_CURRENT_USER\\%S\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\RecentDocs\\"
     ".docx",
     "MRUListEx", RT_BIN, NULL, 10},
    {"HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\SystemCertificates\\AuthRoot\\Certificates\\%H%h",
     "Blob", RT_BIN, NULL, 6},
    {"HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows Defender\\Signature Updates",
     "SignaturesLastUpdated", RT_BIN, NULL, 6},
    {"HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache\\"
     "Tree\\%w",
     "Id", RT_SZ, "{%g}", 4},
    {"HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows Defender", "DisableAntiSpyware",
     RT_DWORD, "1", 1},
    {"HKEY_CURRENT_USER\\%S\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\"
     "ZoneMap",
     "ProxyBypass", RT_DWORD, "1", 6},
    {"HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Lsa", "LmCompatibilityLevel", RT_DWORD,
     "5", 1},
    {"HKEY_CURRENT_USER\\%S\\Software\\Classes\\Local Settings\\Software\\Microsoft\\Windows\\"
     "Shell\\BagMRU",
     "NodeSlots", RT_BIN, NULL, 8},
    {"HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{%g}",
     "DisplayVersion", RT_SZ, "%n.%n.%n", 3},
    {"HKEY_CURRENT_USER\\%S\\Software\\Microsoft\\Office\\16.0\\Common\\Identity\\Identities\\"
     "%h%h_ADAL",
     "EmailAddress", RT_SZ, "%u@contoso.com", 4},
    {"HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\bam\\State\\UserSettings\\%S",
     "\\Device\\HarddiskVolume3\\Windows\\System32\\%w.exe", RT_BIN, NULL, 8},
    {"HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\Tcpip\\Parameters\\Interfaces\\{%g}",
     "DhcpIPAddress", RT_SZ, "%i", 4},
    {"HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Session Manager",
     "PendingFileRenameOperations", RT_MULTI, "\\??\\C:\\Windows\\Temp\\%h.tmp", 2},
    {"HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Cryptography\\RNG", "Seed", RT_BIN, NULL, 4},
    {"HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\W32Time\\Config", "LastKnownGoodTime",
     RT_QWORD, "%N", 3},
};

enum { RA_SET, RA_KEYNEW, RA_VALDEL, RA_KEYDEL, RA_KEYREN };
static const struct wname reg_acts[] = {
    [RA_SET] = {"RegistryValueSet", 60}, [RA_KEYNEW] = {"RegistryKeyCreated", 14},
    [RA_VALDEL] = {"RegistryValueDeleted", 10}, [RA_KEYDEL] = {"RegistryKeyDeleted", 10},
    [RA_KEYREN] = {"RegistryKeyRenamed", 6}};

static void gen_registry(struct gen *g)
{
    struct rng *r = &g->r;
    unsigned a = (unsigned)WPICK(g, reg_acts);
    const struct reg_def *rd = &reg_defs[WPICK(g, reg_defs)];
    struct device *d = pick_dev(g, PL_WIN);
    struct proc *ip = proc_pick(g, d, 0, NULL);
    set_ident(g, d);
    set_iproc(g, d, ip);
    set_s(g, C_ActionType, wstr(reg_acts[a].name));
    const struct acct *u = &g->users[d->user];
    struct str key = sc_expand(g, rd->key, u, false);
    struct str name = sc_expand(g, rd->name, u, false);
    struct str data = rd->data ? sc_expand(g, rd->data, u, false) : S_NULL;
    switch (a) {
    case RA_SET:
        set_s(g, C_RegistryKey, key);
        set_s(g, C_RegistryValueName, name);
        set_s(g, C_RegistryValueType, rt_names[rd->type]);
        set_s(g, C_RegistryValueData, data);
        if (rnd(r, 10) < 6)
            set_s(g, C_PreviousRegistryValueName, name);
        if (rd->data && rnd(r, 10) < 4)
            set_s(g, C_PreviousRegistryValueData, sc_expand(g, rd->data, u, false));
        break;
    case RA_KEYNEW:
        set_s(g, C_RegistryKey, key);
        break;
    case RA_VALDEL:
        set_s(g, C_RegistryKey, key);
        set_s(g, C_RegistryValueName, name);
        set_s(g, C_RegistryValueType, rt_names[rd->type]);
        set_s(g, C_PreviousRegistryKey, key);
        set_s(g, C_PreviousRegistryValueName, name);
        set_s(g, C_PreviousRegistryValueData, data);
        break;
    case RA_KEYDEL:
        set_s(g, C_RegistryKey, key);
        set_s(g, C_PreviousRegistryKey, key);
        break;
    default: {
        char *s = sc_open(g), *p = put(s, key.s, key.n);
        set_s(g, C_RegistryKey, sc_close(g, s, PUTL(p, " (2)")));
        set_s(g, C_PreviousRegistryKey, key);
        break;
    }
    }
}

/* --- DeviceLogonEvents --- */

enum { LA_OK, LA_FAIL, LA_TRY };
static const struct wname logon_acts[] = {[LA_OK] = {"LogonSuccess", 75},
                                          [LA_FAIL] = {"LogonFailed", 20},
                                          [LA_TRY] = {"LogonAttempted", 5}};
enum { LT_INTER, LT_REMOTE, LT_NET, LT_BATCH, LT_SVC, LT_UNLOCK, LT_CACHED, LT_CLEAR };
static const struct wname logon_types[] = {
    [LT_INTER] = {"Interactive", 12}, [LT_REMOTE] = {"RemoteInteractive", 5},
    [LT_NET] = {"Network", 50}, [LT_BATCH] = {"Batch", 5}, [LT_SVC] = {"Service", 15},
    [LT_UNLOCK] = {"Unlock", 6}, [LT_CACHED] = {"CachedInteractive", 4},
    [LT_CLEAR] = {"NetworkCleartext", 3}};
static const struct wname fail_reasons[] = {
    {"InvalidUserNameOrPassword", 70}, {"UserAccountLocked", 8}, {"AccountDisabled", 5},
    {"PasswordExpired", 5}, {"UnknownUser", 7}, {"LogonTypeNotGranted", 5}};

static void gen_logon(struct gen *g)
{
    struct rng *r = &g->r;
    unsigned a = (unsigned)WPICK(g, logon_acts);
    struct device *d = pick_dev(g, PL_ANY);
    unsigned lt = d->posix ? (rnd(r, 10) < 7 ? LT_NET : LT_INTER) : (unsigned)WPICK(g, logon_types);
    bool remote = lt == LT_NET || lt == LT_REMOTE || lt == LT_CLEAR;
    struct proc *ip = NULL; /* network logons often have no initiating process */
    if (d->posix)
        ip = proc_find(g, d, g->i_sshd, NULL);
    else if (lt == LT_SVC)
        ip = proc_find(g, d, g->i_services, NULL);
    else if (lt == LT_BATCH)
        ip = proc_find(g, d, g->i_svchost, NULL);
    else if (lt != LT_NET && lt != LT_CLEAR)
        ip = proc_find(g, d, g->i_winlogon, NULL);
    else if (rnd(r, 2))
        ip = proc_find(g, d, g->i_lsass, NULL);
    set_ident(g, d);
    if (ip)
        set_iproc(g, d, ip);
    else
        set_iproc_none(g);
    set_s(g, C_ActionType, wstr(logon_acts[a].name));
    set_s(g, C_LogonType, wstr(logon_types[lt].name));
    const struct acct *ac;
    if (d->posix)
        ac = rnd(r, 3) ? &d->local : &d->admin;
    else if (lt == LT_SVC)
        ac = &g->sys[rnd(r, 3)];
    else if (lt == LT_INTER || lt == LT_UNLOCK || lt == LT_CACHED)
        ac = &g->users[d->user];
    else if (a == LA_FAIL && rnd(r, 3) == 0)
        ac = &d->admin;
    else
        ac = &g->users[rnd(r, SYN_USERS)];
    set_s(g, C_AccountDomain, ac->dom);
    set_s(g, C_AccountName, ac->name);
    set_s(g, C_AccountSid, ac->sid);
    if (!d->posix)
        set_s(g, C_Protocol, lt == LT_NET ? (rnd(r, 10) < 6 ? SLIT("Kerberos") : SLIT("NTLM"))
                                          : SLIT("Negotiate"));
    if (remote) {
        bool pub = a == LA_FAIL && (d->server || d->posix) && rnd(r, 3) == 0;
        set_s(g, C_RemoteIP, sc_ip4(g, pub ? public_ip(g) : internal_ip(g)));
        set_s(g, C_RemoteIPType, pub ? SLIT("Public") : SLIT("Private"));
        set_i(g, C_RemotePort, d->posix || rnd(r, 2) ? eph_port(g, false) : 0);
        if (!pub && rnd(r, 2))
            set_s(g, C_RemoteDeviceName, g->dev[g->win[rnd(r, g->nwin)]].host);
    } else if (!d->posix && rnd(r, 2)) {
        set_l(g, C_RemoteIP, "127.0.0.1");
        set_l(g, C_RemoteIPType, "Loopback");
        set_i(g, C_RemotePort, 0);
    }
    if (a == LA_FAIL) {
        set_s(g, C_FailureReason, wstr(fail_reasons[WPICK(g, fail_reasons)].name));
    } else {
        set_b(g, C_IsLocalAdmin, ac == &d->admin || chance(r, 800));
        set_i(g, C_LogonId, lt == LT_INTER ? d->logon : 0x10000 + rnd(r, 0x4000000));
    }
    bool local = !remote;
    if (d->posix) {
        char *s = sc_open(g);
        char *p = local ? PUTL(s, "{\"IsLocalLogon\":true") : PUTL(s, "{\"IsLocalLogon\":false");
        p = PUTL(p, ",\"PosixUserId\":");
        p = put_u64(p, ac->uid);
        p = PUTL(p, ",\"PosixPrimaryGroupName\":\"");
        p = put(p, ac->name.s, ac->name.n);
        set_j(g, C_AdditionalFields, sc_close(g, s, PUTL(p, "\"}")));
    } else {
        set_j(g, C_AdditionalFields, local ? SLIT("{\"IsLocalLogon\":true}")
                                           : SLIT("{\"IsLocalLogon\":false}"));
    }
}

/* --- DeviceImageLoadEvents --- */

static void gen_image(struct gen *g)
{
    struct rng *r = &g->r;
    struct device *d = pick_dev(g, PL_WIN);
    struct proc *ip = proc_pick(g, d, 0, NULL);
    uint32_t a = rnd(r, ARRAY_SIZE(dll_defs)), b = rnd(r, ARRAY_SIZE(dll_defs));
    const struct dll *dl = &g->dll[a < b ? a : b]; /* the core DLLs load most */
    set_ident(g, d);
    set_iproc(g, d, ip);
    set_l(g, C_ActionType, "ImageLoaded");
    set_s(g, C_FileName, dl->name);
    set_s(g, C_FolderPath, dl->path);
    set_i(g, C_FileSize, dll_defs[dl - g->dll].size);
    set_hashes(g, dl->md5, dl->sha1, dl->sha256);
}

/* --- DeviceEvents (defender.md §2.12): ActionType -> kind of columns + AdditionalFields --- */

enum dk { DK_PLAIN, DK_AV, DK_PS, DK_TARGET, DK_LSASS, DK_TASK, DK_SERVICE, DK_ACCOUNT,
          DK_GROUP, DK_FW_OUT, DK_FW_IN, DK_URL, DK_ASR_CHILD, DK_ASR_LSASS, DK_ASR_FILE,
          DK_WMI, DK_LINK, DK_DRIVER, DK_TAMPER, DK_DPAPI };

struct de_def {
    const char *name;
    uint16_t w;
    uint8_t kind, plat;
    const char *af;   /* raw-JSON template (expand()), NULL: null */
    const char *init; /* file name of the usual initiating image, NULL: any process */
};

#define TASK_XML                                                                               \
    "<?xml version=\\\"1.0\\\" encoding=\\\"UTF-16\\\"?>\\r\\n<Task version=\\\"1.2\\\" "       \
    "xmlns=\\\"http://schemas.microsoft.com/windows/2004/02/mit/task\\\">\\r\\n  <Triggers>\\r\\n" \
    "    <LogonTrigger>\\r\\n      <Enabled>true</Enabled>\\r\\n    </LogonTrigger>\\r\\n"       \
    "  </Triggers>\\r\\n  <Actions Context=\\\"Author\\\">\\r\\n    <Exec>\\r\\n"                \
    "      <Command>C:\\\\ProgramData\\\\%w\\\\%w.exe</Command>\\r\\n    </Exec>\\r\\n"          \
    "  </Actions>\\r\\n</Task>"

static const struct de_def de_defs[] = {
    {"AntivirusDetection", 30, DK_AV, PL_ANY,
     "{\"ThreatName\":\"%T\",\"WasRemediated\":true,\"WasExecutingWhileDetected\":false,"
     "\"ReportSource\":\"Realtime Protection\"}"},
    {"AntivirusReport", 10, DK_AV, PL_WIN,
     "{\"ThreatName\":\"%T\",\"WasRemediated\":false,\"ReportSource\":\"Scan\"}"},
    {"AntivirusMalwareBlocked", 5, DK_AV, PL_WIN,
     "{\"ThreatName\":\"%T\",\"WasRemediated\":true,\"WasExecutingWhileDetected\":true}"},
    {"AntivirusScanCompleted", 30, DK_PLAIN, PL_ANY,
     "{\"ScanTypeIndex\":1,\"ScanParametersIndex\":1,\"ScanId\":\"{%g}\","
     "\"ScanSource\":\"Scheduled\"}", "MsMpEng.exe"},
    {"AntivirusDefinitionsUpdated", 40, DK_PLAIN, PL_WIN,
     "{\"CurrentEngineVersion\":\"1.1.24020.9\",\"PreviousSecurityIntelligenceVersion\":"
     "\"1.407.%n.0\",\"CurrentSecurityIntelligenceVersion\":\"1.407.%n.0\"}", "MsMpEng.exe"},
    {"PowerShellCommand", 120, DK_PS, PL_WIN, "{\"Command\":\"%P\"}"},
    {"ScriptContent", 12, DK_PLAIN, PL_POSIX,
     "{\"ScriptContent\":\"#!/bin/bash\\nset -euo pipefail\\n%c\\nexit 0\\n\"}", "bash"},
    {"CreateRemoteThreadApiCall", 20, DK_TARGET, PL_WIN, NULL},
    {"QueueUserApcRemoteApiCall", 5, DK_TARGET, PL_WIN, NULL},
    {"NtAllocateVirtualMemoryRemoteApiCall", 15, DK_TARGET, PL_WIN,
     "{\"BaseAddress\":\"0x%h\",\"RegionSize\":%n,\"ProtectionMask\":64}"},
    {"OpenProcessApiCall", 80, DK_LSASS, PL_WIN, "{\"DesiredAccess\":%a}"},
    {"ReadProcessMemoryApiCall", 20, DK_LSASS, PL_WIN,
     "{\"TotalBytesCopied\":%n,\"ReadOperationsCount\":%n}"},
    {"NtProtectVirtualMemoryApiCall", 15, DK_PLAIN, PL_WIN,
     "{\"BaseAddress\":\"0x7ff%h\",\"ProtectionMask\":64,\"ProtectionSize\":%n}"},
    {"GetClipboardData", 10, DK_PLAIN, PL_WIN, NULL},
    {"GetAsyncKeyStateApiCall", 5, DK_PLAIN, PL_WIN, "{\"TotalCount\":%n}"},
    {"DpapiAccessed", 40, DK_DPAPI, PL_WIN, "{\"CallerProcessID\":%I}"},
    {"ScheduledTaskCreated", 10, DK_TASK, PL_WIN,
     "{\"TaskName\":\"\\\\%w\\\\%w\",\"TaskContent\":\"" TASK_XML "\"}", "svchost.exe"},
    {"ScheduledTaskUpdated", 10, DK_TASK, PL_WIN,
     "{\"TaskName\":\"\\\\Microsoft\\\\Windows\\\\%w\\\\%w\",\"TaskContent\":\"" TASK_XML "\"}",
      "svchost.exe"},
    {"ScheduledTaskDeleted", 5, DK_TASK, PL_WIN, "{\"TaskName\":\"\\\\%w\\\\%w\"}", "schtasks.exe"},
    {"ServiceInstalled", 8, DK_SERVICE, PL_WIN,
     "{\"ServiceName\":\"%w%h\",\"ServiceAccount\":\"LocalSystem\",\"ServiceStartType\":2,"
     "\"ServiceType\":16}"},
    {"UserAccountCreated", 3, DK_ACCOUNT, PL_WIN, NULL, "net.exe"},
    {"UserAccountModified", 3, DK_ACCOUNT, PL_WIN,
     "{\"UserAccountControl\":\"['Password never expires']\"}", "lsass.exe"},
    {"UserAccountAddedToLocalGroup", 3, DK_GROUP, PL_WIN,
     "{\"GroupName\":\"Administrators\",\"GroupDomainName\":\"BUILTIN\","
     "\"GroupSid\":\"S-1-5-32-544\"}", "net.exe"},
    {"DnsQueryResponse", 90, DK_PLAIN, PL_WIN,
     "{\"DnsQueryString\":\"%d\",\"DnsQueryResult\":\"[{\\\"DnsQueryType\\\":1,"
     "\\\"DnsQueryTypeName\\\":\\\"A\\\",\\\"DnsQueryResultRecord\\\":\\\"%v\\\"}]\"}"},
    {"FirewallOutboundConnectionBlocked", 25, DK_FW_OUT, PL_WIN, NULL},
    {"FirewallInboundConnectionBlocked", 25, DK_FW_IN, PL_WIN, NULL},
    {"SmartScreenUrlWarning", 8, DK_URL, PL_WIN, "{\"Experience\":\"Malicious\"}"},
    {"BrowserLaunchedToOpenUrl", 40, DK_URL, PL_WIN, NULL},
    {"ExploitGuardNetworkProtectionBlocked", 4, DK_URL, PL_WIN,
     "{\"IsAudit\":false,\"ResponseCategory\":\"CustomBlockList\",\"DisplayName\":\"Blocked by "
     "your IT administrator\"}"},
    {"AsrOfficeChildProcessBlocked", 3, DK_ASR_CHILD, PL_WIN, "{\"IsAudit\":false}"},
    {"AsrLsassCredentialTheftAudited", 5, DK_ASR_LSASS, PL_WIN, "{\"IsAudit\":true}"},
    {"AsrObfuscatedScriptBlocked", 2, DK_ASR_FILE, PL_WIN, "{\"IsAudit\":false}"},
    {"UsbDriveMounted", 4, DK_PLAIN, PL_WIN,
     "{\"DriveLetter\":\"E:\",\"BusType\":7,\"ProductName\":\"DataTraveler 3.0\","
     "\"ProductRevision\":\"PMAP\",\"SerialNumber\":\"%H\",\"Manufacturer\":\"Kingston\","
     "\"Volume\":\"\\\\\\\\?\\\\Volume{%g}\"}", "svchost.exe"},
    {"PnpDeviceConnected", 10, DK_PLAIN, PL_WIN,
     "{\"ClassName\":\"USB\",\"DeviceDescription\":\"USB Composite Device\",\"DeviceId\":"
     "\"USB\\\\VID_046D&PID_C52B\\\\5&1D5C&0&2\",\"VendorIds\":\"USB\\\\VID_046D&PID_C52B&REV_1211 "
     "USB\\\\VID_046D&PID_C52B\"}", "svchost.exe"},
    {"NamedPipeEvent", 60, DK_PLAIN, PL_WIN,
     "{\"DesiredAccess\":1180063,\"FileOperation\":\"File opened\",\"NamedPipeEnd\":\"Client\","
     "\"PipeName\":\"\\\\Device\\\\NamedPipe\\\\mojo.%n.%n.%N\",\"RemoteClientsAccess\":"
     "\"AcceptRemote\",\"ShareMode\":\"Read, Write\",\"ThreadId\":%n}"},
    {"LdapSearch", 20, DK_PLAIN, PL_WIN,
     "{\"AttributeList\":\"[\\\"objectSid\\\",\\\"sAMAccountName\\\",\\\"memberOf\\\"]\","
     "\"ScopeOfSearch\":\"SubTree\",\"SearchFilter\":\"(&(objectCategory=person)(objectClass=user)"
     "(sAMAccountName=%u))\",\"DistinguishedName\":\"DC=corp,DC=contoso,DC=com\"}",
     "powershell.exe"},
    {"ProcessCreatedUsingWmiQuery", 8, DK_WMI, PL_WIN, NULL},
    {"ShellLinkCreateFileEvent", 15, DK_LINK, PL_WIN,
     "{\"ShellLinkRecentFilePath\":\"C:\\\\Users\\\\%u\\\\Documents\\\\%w.docx\","
     "\"ShellLinkWorkingDirectory\":\"C:\\\\Users\\\\%u\\\\Documents\"}"},
    {"DriverLoad", 5, DK_DRIVER, PL_WIN, NULL, "services.exe"},
    {"SecurityLogCleared", 1, DK_PLAIN, PL_WIN, NULL, "svchost.exe"},
    {"AuditPolicyModification", 2, DK_PLAIN, PL_WIN,
     "{\"AuditPolicyChanges\":\"%%%%8449, %%%%8451\",\"CategoryId\":\"%%%%8274\","
     "\"SubcategoryId\":\"%%%%12804\"}", "svchost.exe"},
    {"TamperingAttempt", 1, DK_TAMPER, PL_WIN,
     "{\"Status\":\"Blocked\",\"Target\":\"HKLM\\\\SOFTWARE\\\\Microsoft\\\\Windows Defender\\\\"
     "Features\\\\TamperProtection\",\"TamperingAction\":\"RegistryModification\","
     "\"OriginalValue\":\"5\",\"AttemptedValue\":\"0\"}", "powershell.exe"},
};

/* FileName / FolderPath (+ size and hashes) of a file named by templates. */
static void set_file_t(struct gen *g, const char *dir_t, const char *name_t, const struct acct *a,
                       bool hashes)
{
    struct str dir = sc_expand(g, dir_t, a, false);
    struct str name = sc_expand(g, name_t, a, false);
    set_s(g, C_FileName, name);
    set_s(g, C_FolderPath, sc_join(g, dir, name, false));
    if (hashes) {
        set_i(g, C_FileSize, 4096 + rnd(&g->r, 4000000));
        set_rhashes(g);
    }
}

static void gen_devevent(struct gen *g)
{
    struct rng *r = &g->r;
    const struct de_def *e = &de_defs[WPICK(g, de_defs)];
    struct device *d = pick_dev(g, e->plat == PL_ANY ? PL_ANY : e->plat);
    struct proc *ip = NULL, *tp = NULL;
    switch (e->kind) { /* choose the processes before any value points at one */
    case DK_PS: ip = proc_find(g, d, g->i_powershell, NULL); break;
    case DK_AV:
        ip = d->posix ? proc_pick(g, d, 0, NULL) : proc_find(g, d, g->i_msmpeng, NULL);
        break;
    case DK_SERVICE: ip = proc_find(g, d, g->i_services, NULL); break;
    case DK_LSASS:
        ip = proc_pick(g, d, 0, NULL);
        tp = rnd(r, 3) ? proc_find(g, d, g->i_lsass, ip) : proc_pick(g, d, 0, ip);
        break;
    case DK_TARGET:
        ip = proc_pick(g, d, 0, NULL);
        tp = proc_pick(g, d, 0, ip);
        break;
    case DK_WMI:
        ip = proc_find(g, d, g->i_wmiprvse, NULL);
        tp = proc_pick(g, d, 0, ip);
        proc_spawn(g, d, tp, &g->img[rnd(r, 2) ? g->i_powershell : g->i_cmd], ip, true);
        break;
    case DK_URL: ip = proc_pick(g, d, IF_BROWSER | IF_OFFICE, NULL); break;
    case DK_ASR_CHILD: ip = proc_pick(g, d, IF_OFFICE, NULL); break;
    case DK_FW_IN: break;
    case DK_FW_OUT: ip = proc_pick(g, d, IF_NET, NULL); break;
    default:
        ip = e->init && (g->img[g->de_init[e - de_defs]].d->plat & d->plat)
                 ? proc_find(g, d, g->de_init[e - de_defs], NULL)
                 : proc_pick(g, d, 0, NULL);
        break;
    }
    set_ident(g, d);
    if (ip)
        set_iproc(g, d, ip);
    else
        set_iproc_none(g);
    set_s(g, C_ActionType, wstr(e->name));
    const struct acct *u = &g->users[d->user];
    g->x_pid = ip ? ip->pid : 0;
    if (e->af)
        set_j(g, C_AdditionalFields, sc_json(g, e->af, d->posix ? ip->acct : u, d->posix));
    switch (e->kind) {
    case DK_AV:
        if (d->posix)
            set_file_t(g, "/tmp", "%w_%h", NULL, true);
        else {
            const char *dir = rnd(r, 2) ? "C:\\Users\\%u\\Downloads"
                                        : "C:\\Users\\%u\\AppData\\Local\\Temp";
            set_file_t(g, dir, rnd(r, 2) ? "%w_%n.exe" : "%w.zip", u, true);
        }
        break;
    case DK_TARGET:
    case DK_LSASS:
    case DK_WMI: set_target(g, tp); break;
    case DK_SERVICE:
        set_file_t(g, rnd(r, 2) ? "C:\\Windows\\System32" : "C:\\Program Files\\%w", "%w%h.exe", u,
                   true);
        break;
    case DK_ACCOUNT:
    case DK_GROUP: {
        const struct acct *t = e->kind == DK_GROUP ? &g->users[rnd(r, SYN_USERS)] : NULL;
        if (t) {
            set_s(g, C_AccountDomain, t->dom);
            set_s(g, C_AccountName, t->name);
            set_s(g, C_AccountSid, t->sid);
        } else {
            set_s(g, C_AccountDomain, d->host);
            set_s(g, C_AccountName, sc_expand(g, "svc_%w", NULL, false));
            char *s = sc_open(g), *p = put(s, d->admin.sid.s, d->admin.sid.n - 3);
            p = put_u64(p, 1000 + rnd(r, 50));
            set_s(g, C_AccountSid, sc_close(g, s, p));
        }
        set_i(g, C_LogonId, d->logon);
        break;
    }
    case DK_FW_OUT:
    case DK_FW_IN: {
        bool in = e->kind == DK_FW_IN;
        set_s(g, C_LocalIP, dev_ip4(d));
        set_s(g, C_RemoteIP, sc_ip4(g, rnd(r, 3) ? internal_ip(g) : public_ip(g)));
        set_i(g, C_LocalPort, in ? svc_port(g, d) : eph_port(g, false));
        set_i(g, C_RemotePort, in ? eph_port(g, false) : svc_port(g, d));
        break;
    }
    case DK_URL: set_s(g, C_RemoteUrl, sc_expand(g, "https://%d/%w?id=%n", NULL, false)); break;
    case DK_ASR_CHILD: {
        const struct image *ci = &g->img[rnd(r, 2) ? g->i_powershell : g->i_cmd];
        set_s(g, C_FileName, ci->name);
        set_s(g, C_FolderPath, ci->path);
        set_s(g, C_ProcessCommandLine, sc_expand(g, ci->d->cmd[0], u, false));
        break;
    }
    case DK_ASR_LSASS:
        set_s(g, C_FileName, g->img[g->i_lsass].name);
        set_s(g, C_FolderPath, g->img[g->i_lsass].path);
        break;
    case DK_ASR_FILE: set_file_t(g, "C:\\Users\\%u\\Downloads", "%w_%n.js", u, true); break;
    case DK_LINK:
        set_file_t(g, "C:\\Users\\%u\\AppData\\Roaming\\Microsoft\\Windows\\Recent", "%w.lnk", u,
                   false);
        break;
    case DK_DRIVER: set_file_t(g, "C:\\Windows\\System32\\drivers", "%w%n.sys", u, true); break;
    case DK_TAMPER:
        set_l(g, C_RegistryKey,
              "HKEY_LOCAL_MACHINE\\\\SOFTWARE\\\\Microsoft\\\\Windows Defender\\\\Features");
        set_l(g, C_RegistryValueName, "TamperProtection");
        set_l(g, C_RegistryValueData, "0");
        break;
    case DK_DPAPI: set_i(g, C_FileSize, 200 + rnd(r, 2000)); break;
    default: break;
    }
}

/* --- DeviceInfo / DeviceNetworkInfo / DeviceFileCertificateInfo --- */

static void gen_info(struct gen *g)
{
    static const char *const exposure[] = {"Low", "Medium", "High"};
    struct rng *r = &g->r;
    struct device *d = &g->dev[rnd(r, SYN_DEVICES)];
    const struct os_def *od = &os_defs[d->os];
    set_ident(g, d);
    if (d->aad) {
        set_hex(g, C_AadDeviceId, d->aad_id, 36);
        set_hex(g, C_DeviceObjectId, d->obj_id, 36);
        set_l(g, C_JoinType, "Hybrid Azure AD Join");
    } else if (!d->posix) {
        set_l(g, C_JoinType, "Domain Joined");
    }
    if (rnd(r, 5) == 0)
        set_jl(g, C_AdditionalFields, "{}");
    set_s(g, C_AssetValue, d->server ? SLIT("High") : SLIT("Normal"));
    if (d->server && d->model == 3) {
        char *s = sc_open(g), *p = PUTL(s, "/subscriptions/");
        p = put(p, g->tenant, 36);
        p = PUTL(p, "/resourceGroups/rg-prod/providers/Microsoft.Compute/virtualMachines/");
        set_s(g, C_AzureResourceId, sc_close(g, s, put(p, d->host.s, d->host.n)));
    }
    set_s(g, C_ClientVersion, wstr(od->client));
    set_l(g, C_DeviceCategory, "Endpoint");
    set_jl(g, C_DeviceDynamicTags, "[]");
    set_jl(g, C_DeviceManualTags, "[]");
    set_s(g, C_DeviceType, d->server ? SLIT("Server") : SLIT("Workstation"));
    set_s(g, C_ExposureLevel, wstr(exposure[d->id[0] % 3]));
    set_b(g, C_IsAzureADJoined, d->aad);
    set_b(g, C_IsExcluded, false);
    set_b(g, C_IsInternetFacing, d->server && d->id[1] < '2');
    const struct acct *lu = d->posix ? &d->local : &g->users[d->user];
    char *s = sc_open(g), *p = PUTL(s, "[{\"UserName\":\"");
    p = put(p, lu->name.s, lu->name.n);
    if (!d->posix) {
        p = PUTL(p, "\",\"DomainName\":\"CONTOSO\",\"Sid\":\"");
        p = put(p, lu->sid.s, lu->sid.n);
    }
    set_j(g, C_LoggedOnUsers, sc_close(g, s, PUTL(p, "\"}]")));
    set_s(g, C_Model, wstr(models[d->model][1]));
    set_s(g, C_Vendor, wstr(models[d->model][0]));
    set_l(g, C_OnboardingStatus, "Onboarded");
    set_s(g, C_OSArchitecture, wstr(od->arch));
    if (od->build)
        set_i(g, C_OSBuild, od->build);
    set_s(g, C_OSDistribution, wstr(od->dist));
    set_s(g, C_OSPlatform, wstr(od->platform));
    set_s(g, C_OSVersion, wstr(od->version));
    if (od->vinfo)
        set_s(g, C_OSVersionInfo, wstr(od->vinfo));
    set_s(g, C_PublicIP, sc_ip4(g, d->pub4));
    set_s(g, C_SensorHealthState, chance(r, 9500) ? SLIT("Active") : SLIT("Inactive"));
}

static void gen_netinfo(struct gen *g)
{
    static const char *const vendors[] = {"Intel Corporation", "Microsoft",
                                          "Realtek Semiconductor Corp."};
    struct rng *r = &g->r;
    struct device *d = &g->dev[rnd(r, SYN_DEVICES)];
    set_ident(g, d);
    if (!d->posix)
        set_jl(g, C_ConnectedNetworks,
               "[{\"Name\":\"corp.contoso.com\",\"Description\":\"corp.contoso.com\","
               "\"IsConnectedToInternet\":true,\"Category\":\"Domain\"}]");
    char *s = sc_open(g), *p = PUTL(s, "[\"");
    p = put_ip4(p, d->gw4);
    set_j(g, C_DefaultGateways, sc_close(g, s, PUTL(p, "\"]")));
    s = sc_open(g);
    p = PUTL(s, "[\"");
    p = put_ip4(p, (d->ip4 & 0xffff0000u) | 4);
    p = PUTL(p, "\",\"");
    p = put_ip4(p, (d->ip4 & 0xffff0000u) | 5);
    set_j(g, C_DnsAddresses, sc_close(g, s, PUTL(p, "\"]")));
    s = sc_open(g);
    p = PUTL(s, "[{\"IPAddress\":\"");
    p = put(p, d->ip4s, d->ip4n);
    p = PUTL(p, "\",\"SubnetPrefix\":24,\"AddressType\":\"Private\"},{\"IPAddress\":\"");
    p = put(p, d->ll6, strlen(d->ll6));
    p = PUTL(p, "\",\"SubnetPrefix\":64,\"AddressType\":\"Private\"}]");
    set_j(g, C_IPAddresses, sc_close(g, s, p));
    if (!d->server)
        set_s(g, C_IPv4Dhcp, sc_ip4(g, d->gw4));
    s = sc_open(g);
    p = s;
    for (int i = 0; i < 6; i++) {
        *p++ = HEXU[d->mac[i] >> 4];
        *p++ = HEXU[d->mac[i] & 15];
    }
    set_s(g, C_MacAddress, sc_close(g, s, p));
    set_s(g, C_NetworkAdapterName, d->plat == PL_WIN ? wstr(d->adapter)
                                   : d->plat == PL_MAC ? SLIT("en0") : SLIT("eth0"));
    set_l(g, C_NetworkAdapterStatus, "Up");
    set_s(g, C_NetworkAdapterType, !d->server && (d->mac[5] & 1) ? SLIT("Wireless80211")
                                                                 : SLIT("Ethernet"));
    if (!d->posix)
        set_s(g, C_NetworkAdapterVendor, wstr(vendors[d->mac[4] % ARRAY_SIZE(vendors)]));
    set_l(g, C_TunnelType, "None");
}

static void gen_cert(struct gen *g)
{
    struct rng *r = &g->r;
    struct device *d = pick_dev(g, PL_WIN);
    const char *sha1;
    const struct signer *sg;
    if (rnd(r, 2)) {
        const struct image *im = &g->img[g->pl_img[0][rnd(r, g->pl_n[0])]];
        sha1 = im->sha1;
        sg = &g->sig[im->signer];
    } else {
        const struct dll *dl = &g->dll[rnd(r, ARRAY_SIZE(dll_defs))];
        sha1 = dl->sha1;
        sg = &g->sig[dl->signer];
    }
    set_ident(g, d);
    set_hex(g, C_SHA1, sha1, 40);
    set_b(g, C_IsSigned, true);
    set_b(g, C_IsTrusted, chance(r, 9700));
    set_b(g, C_IsRootSignerMicrosoft, sg->ms_root);
    set_s(g, C_SignatureType, rnd(r, 4) ? SLIT("Embedded") : SLIT("Catalog"));
    set_s(g, C_Signer, sg->signer);
    set_hex(g, C_SignerHash, sg->shash, 40);
    set_s(g, C_Issuer, sg->issuer);
    set_hex(g, C_IssuerHash, sg->ihash, 40);
    set_hex(g, C_CertificateSerialNumber, sg->serial, 38);
    set_t(g, C_CertificateCreationTime, sg->created);
    set_t(g, C_CertificateExpirationTime, sg->created + 365 * TICKS_PER_DAY);
    int64_t cs = sg->created + ago(g, 300 * TICKS_PER_DAY);
    set_t(g, C_CertificateCountersignatureTime, cs - cs % TICKS_PER_MS);
    set_j(g, C_CrlDistributionPointUrls, sc_list1(g, sg->crl));
}

/* --- AlertInfo / AlertEvidence --- */

struct alert_def {
    const char *title, *category, *severity, *source, *service;
    const char *techs;  /* JSON array text, "" for none */
    const char *family; /* ThreatFamily or NULL */
    const char *ents;   /* evidence entities: Machine User Process File Ip urL Registry Email */
};

#define MDE "Microsoft Defender for Endpoint"

static const struct alert_def alert_defs[] = {
    {"Suspicious PowerShell command line", "Execution", "Medium", "EDR", MDE,
     "[\"PowerShell (T1059.001)\",\"Obfuscated Files or Information (T1027)\"]", NULL, "MUP"},
    {"Anomalous silent process exit monitor registration", "Persistence", "Medium", "EDR", MDE,
     "[\"Valid Accounts (T1078)\",\"Cloud Accounts (T1078.004)\"]", NULL, "MPR"},
    {"'Wacatac' malware was detected", "Malware", "Informational", "Antivirus", MDE, "",
     "Wacatac", "MF"},
    {"Suspicious access to LSASS service", "CredentialAccess", "High", "EDR", MDE,
     "[\"OS Credential Dumping (T1003)\",\"LSASS Memory (T1003.001)\"]", NULL, "MUP"},
    {"Suspicious scheduled task", "Persistence", "Medium", "EDR", MDE,
     "[\"Scheduled Task (T1053.005)\"]", NULL, "MPF"},
    {"Multiple failed logon attempts", "CredentialAccess", "Low", "EDR", MDE,
     "[\"Brute Force (T1110)\",\"Password Guessing (T1110.001)\"]", NULL, "MUI"},
    {"Connection to a known malicious IP", "CommandAndControl", "High", "EDR", MDE,
     "[\"Application Layer Protocol (T1071)\",\"Web Protocols (T1071.001)\"]", NULL, "MPI"},
    {"An active 'Mimikatz' malware was blocked", "Malware", "High", "Antivirus", MDE, "",
     "Mimikatz", "MFU"},
    {"Suspicious file dropped and launched", "Execution", "Medium", "EDR", MDE,
     "[\"User Execution (T1204)\",\"Malicious File (T1204.002)\"]", NULL, "MPFL"},
    {"Email messages containing malicious URL removed after delivery", "InitialAccess",
     "Informational", "MDO", "Microsoft Defender for Office 365",
     "[\"Phishing (T1566)\",\"Spearphishing Link (T1566.002)\"]", NULL, "EUL"},
    {"Suspicious registry modification", "DefenseEvasion", "Low", "EDR", MDE,
     "[\"Modify Registry (T1112)\"]", NULL, "MPR"},
};

static void alert_new(struct gen *g)
{
    struct rng *r = &g->r;
    struct alert *a = &g->alert;
    a->def = (uint8_t)rnd(r, ARRAY_SIZE(alert_defs));
    a->dev = g->win[rnd(r, g->nwin)];
    a->ts = g->ts;
    a->nev = 0;
    a->live = true;
    char *p = PUTL(a->id, "da638");
    for (int i = 0; i < 15; i++)
        *p++ = (char)('0' + rnd(r, 10));
    *p++ = '_';
    p = put_u64(p, 100000000 + rnd(r, 2000000000u));
    a->id_n = (uint8_t)(p - a->id);
}

static void set_alert_common(struct gen *g, const struct alert_def *ad)
{
    const struct alert *a = &g->alert;
    set_s(g, C_AlertId, (struct str){a->id, a->id_n});
    set_s(g, C_Title, wstr(ad->title));
    set_s(g, C_DetectionSource, wstr(ad->source));
    set_s(g, C_ServiceSource, wstr(ad->service));
    if (ad->techs[0])
        set_j(g, C_AttackTechniques, wstr(ad->techs));
    else
        set_l(g, C_AttackTechniques, "");
    set_t(g, C_Timestamp, a->ts);
    if (rnd(&g->r, 2))
        set_s(g, C_MachineGroup, g->group[g->dev[a->dev].group]);
}

static void gen_alertinfo(struct gen *g)
{
    alert_new(g);
    const struct alert_def *ad = &alert_defs[g->alert.def];
    set_alert_common(g, ad);
    set_s(g, C_Category, wstr(ad->category));
    set_s(g, C_Severity, wstr(ad->severity));
}

static void gen_alertev(struct gen *g)
{
    struct rng *r = &g->r;
    struct alert *a = &g->alert;
    if (!a->live)
        alert_new(g);
    const struct alert_def *ad = &alert_defs[a->def];
    struct device *d = &g->dev[a->dev];
    char ent = ad->ents[a->nev % strlen(ad->ents)];
    uint32_t id = ++a->nev;
    struct proc *pr = ent == 'P' ? proc_pick(g, d, 0, NULL) : NULL;
    set_alert_common(g, ad);
    char *s = sc_open(g), *p = PUTL(s, "[\"");
    p = put_escz(p, ad->category);
    set_j(g, C_Categories, sc_close(g, s, PUTL(p, "\"]")));
    set_s(g, C_EvidenceRole, ent == 'M' || ent == 'U' ? SLIT("Impacted") : SLIT("Related"));
    if (ent != 'E' && ent != 'L') {
        set_hex(g, C_DeviceId, d->id, 40);
        set_s(g, C_DeviceName, d->name);
    }
    const struct acct *u = &g->users[d->user];
    /* Column values first (they take scratch pieces), then the AdditionalFields piece. */
    struct str x1 = S_NULL, x2 = S_NULL;
    switch (ent) {
    case 'M':
        set_l(g, C_EntityType, "Machine");
        set_s(g, C_LocalIP, dev_ip4(d));
        break;
    case 'U':
        set_l(g, C_EntityType, "User");
        set_acct(g, acct_cols, u);
        break;
    case 'E':
        set_l(g, C_EntityType, "MailMessage");
        set_acct(g, acct_cols, u);
        set_s(g, C_EmailSubject, sc_expand(g, "Action required: %w %n", NULL, false));
        s = sc_open(g);
        set_s(g, C_NetworkMessageId, sc_close(g, s, put_guid(r, s, HEXL)));
        break;
    case 'P':
        set_l(g, C_EntityType, "Process");
        set_s(g, C_FileName, pr->img->name);
        set_s(g, C_FolderPath, pr->img->path);
        set_i(g, C_FileSize, pr->img->d->size);
        set_hex(g, C_SHA1, pr->img->sha1, 40);
        set_hex(g, C_SHA256, pr->img->sha256, 64);
        set_s(g, C_ProcessCommandLine, (struct str){pr->cmd, pr->cmd_n});
        break;
    case 'F':
        set_l(g, C_EntityType, "File");
        x1 = sc_expand(g, "%w_%n.exe", u, false);
        x2 = sc_expand(g, "C:\\Users\\%u\\Downloads", u, false);
        set_s(g, C_FileName, x1);
        set_s(g, C_FolderPath, x2);
        set_i(g, C_FileSize, 20000 + rnd(r, 3000000));
        set_s(g, C_SHA1, sc_rhex(g, 40));
        set_s(g, C_SHA256, sc_rhex(g, 64));
        if (ad->family)
            set_s(g, C_ThreatFamily, wstr(ad->family));
        break;
    case 'I':
        set_l(g, C_EntityType, "Ip");
        set_l(g, C_EvidenceDirection, "Destination");
        x1 = sc_ip4(g, public_ip(g));
        set_s(g, C_RemoteIP, x1);
        break;
    case 'L':
        set_l(g, C_EntityType, "Url");
        x1 = sc_expand(g, "https://%d/%w/%h", NULL, false);
        set_s(g, C_RemoteUrl, x1);
        break;
    default: /* 'R' */
        set_l(g, C_EntityType, "RegistryValue");
        set_l(g, C_RegistryKey, "HKEY_LOCAL_MACHINE\\\\SOFTWARE\\\\Microsoft\\\\Windows NT\\\\"
                                "CurrentVersion\\\\SilentProcessExit\\\\lsass.exe");
        set_l(g, C_RegistryValueName, "ReportingMode");
        set_l(g, C_RegistryValueData, "1");
        break;
    }
    s = sc_open(g);
    p = PUTL(s, "{\"$id\":\"");
    p = put_u64(p, id);
    p = PUTL(p, "\",");
    switch (ent) {
    case 'M':
        p = PUTL(p, "\"MdatpDeviceId\":\"");
        p = put(p, d->id, 40);
        p = PUTL(p, "\",\"HostName\":\"");
        p = put(p, d->host.s, d->host.n);
        p = PUTL(p, "\",\"OSFamily\":\"Windows\",\"Type\":\"host\"}");
        break;
    case 'U':
        p = PUTL(p, "\"Name\":\"");
        p = put(p, u->name.s, u->name.n);
        p = PUTL(p, "\",\"NTDomain\":\"CONTOSO\",\"Sid\":\"");
        p = put(p, u->sid.s, u->sid.n);
        p = PUTL(p, "\",\"Type\":\"account\"}");
        break;
    case 'E': p = PUTL(p, "\"Type\":\"mailMessage\"}"); break;
    case 'P':
        p = PUTL(p, "\"ProcessId\":\"");
        p = put_u64(p, pr->pid);
        p = PUTL(p, "\",\"CommandLine\":\"");
        p = put(p, pr->cmd, pr->cmd_n);
        p = PUTL(p, "\",\"CreationTimeUtc\":\"");
        p = put_time(p, pr->ct, -1, true);
        p = PUTL(p, "\",\"Type\":\"process\"}");
        break;
    case 'F':
        p = PUTL(p, "\"Name\":\"");
        p = put(p, x1.s, x1.n);
        p = PUTL(p, "\",\"Directory\":\"");
        p = put(p, x2.s, x2.n);
        p = PUTL(p, "\",\"Type\":\"file\"}");
        break;
    case 'I':
        p = PUTL(p, "\"Address\":\"");
        p = put(p, x1.s, x1.n);
        p = PUTL(p, "\",\"Type\":\"ip\"}");
        break;
    case 'L':
        p = PUTL(p, "\"Url\":\"");
        p = put(p, x1.s, x1.n);
        p = PUTL(p, "\",\"Type\":\"url\"}");
        break;
    default: p = PUTL(p, "\"Type\":\"registry-value\"}"); break;
    }
    set_j(g, C_AdditionalFields, sc_close(g, s, p));
}

/* ------------------------------------------------------------------------------------- */
/* Emitting */

static char *put_uesc(const struct gen *g, char *p, const char *s, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        if (s[i] == '\xc2' && i + 1 < n && s[i + 1] == '\xae') {
            p = g->uesc_style ? PUTL(p, "\xc3\x82\xc2\xae") : PUTL(p, "\\u00ae");
            i++;
        } else {
            *p++ = s[i];
        }
    }
    return p;
}

static char *emit_val(const struct gen *g, char *p, unsigned c, const struct val *v)
{
    unsigned dr = g->drift;
    switch (v->kind) {
    case V_STR:
        if (UNLIKELY(dr & D_IPDASH) && g->is_ip[c])
            return g->ip_style ? PUTL(p, "\"-\"") : PUTL(p, "\"\"");
        *p++ = '"';
        p = UNLIKELY(dr & D_UESC) ? put_uesc(g, p, v->u.s, v->n) : put(p, v->u.s, v->n);
        *p++ = '"';
        return p;
    case V_INT:
        if (UNLIKELY(dr & D_NUMSTR)) {
            *p++ = '"';
            p = put_i64(p, v->u.i);
            *p++ = '"';
            return p;
        }
        return put_i64(p, v->u.i);
    case V_BOOL:
        if (UNLIKELY(dr & D_BOOL)) {
            if (g->bool_style == 0) {
                *p++ = v->u.i ? '1' : '0';
                return p;
            }
            if (g->bool_style == 1)
                return v->u.i ? PUTL(p, "\"1\"") : PUTL(p, "\"0\"");
            return v->u.i ? PUTL(p, "\"true\"") : PUTL(p, "\"false\"");
        }
        return v->u.i ? PUTL(p, "true") : PUTL(p, "false");
    case V_TIME:
        *p++ = '"';
        p = put_time(p, v->u.i, (dr & D_FRAC) ? g->frac : -1, true);
        *p++ = '"';
        return p;
    default: /* V_JSON */
        if (c == C_AdditionalFields && g->af_obj)
            return put(p, v->u.s, v->n);
        *p++ = '"';
        p = put_esc(p, v->u.s, v->n);
        *p++ = '"';
        return p;
    }
}

enum env { E_TIME, E_TENANTID, E_OP, E_CAT, E_PROPS, E_TENANT, E_TRSVC };

/* One record. The caller reserved SYN_REC_RESERVE bytes: keys are < 64 bytes and at most
 * NCOL; a value is at most 6x its escaped text (JSON re-escaping, \u00ae), which is either
 * scratch (SYN_SCRATCH in all) or catalogue text (SYN_STR_MAX each) or a command line
 * (SYN_CMD_CAP), so a record stays well under 2 MiB. */
static char *emit(struct gen *g, char *p, const struct table *t)
{
    static const uint8_t std[] = {E_TIME, E_TENANTID, E_OP, E_CAT, E_PROPS, E_TENANT, E_TRSVC};
    static const uint8_t alt[] = {E_TENANT, E_TRSVC, E_CAT, E_OP, E_PROPS, E_TENANTID, E_TIME};
    bool sp = g->drift & D_SPACE;
    const uint8_t *env = (g->drift & D_ORDER) ? alt : std;
    const uint8_t *ord = (g->drift & D_ORDER) ? t->alt : t->order;
    *p++ = '{';
    bool first = true;
    for (size_t i = 0; i < ARRAY_SIZE(std); i++) {
        if (env[i] == E_TRSVC && !g->trsvc)
            continue;
        if (!first) {
            *p++ = ',';
            if (sp)
                *p++ = ' ';
        }
        first = false;
        switch (env[i]) {
        case E_TIME:
            p = PUTL(p, "\"time\":\"");
            break;
        case E_TENANTID:
            p = PUTL(p, "\"tenantId\":\"");
            break;
        case E_OP:
            p = PUTL(p, "\"operationName\":\"");
            break;
        case E_CAT:
            p = PUTL(p, "\"category\":\"");
            break;
        case E_PROPS:
            p = PUTL(p, "\"properties\":{");
            break;
        case E_TENANT:
            p = PUTL(p, "\"Tenant\":\"");
            break;
        default:
            p = PUTL(p, "\"_TimeReceivedBySvc\":\"");
            break;
        }
        if (sp) { /* the space goes after the ':' */
            char last = p[-1];
            p[-1] = ' ';
            *p++ = last;
        }
        switch (env[i]) {
        case E_TIME: p = put_time(p, g->exp, 7, true); break;
        case E_TENANTID: p = put(p, g->tenant, 36); break;
        case E_OP: p = PUTL(p, "Publish"); break;
        case E_CAT: p = put(p, t->cat.s, t->cat.n); break;
        case E_TENANT: p = PUTL(p, "DefaultTenant"); break;
        case E_TRSVC:
            p = put_time(p, g->exp - 10 * TICKS_PER_S - (g->exp % (20 * TICKS_PER_S)), 7,
                         !(g->drift & D_TRSVC));
            break;
        default: /* E_PROPS */
            for (unsigned k = 0; k < t->n; k++) {
                unsigned c = ord[k];
                if (k) {
                    *p++ = ',';
                    if (sp)
                        *p++ = ' ';
                }
                memcpy(p, g->key[c], sizeof(g->key[c]));
                p += g->keylen[c];
                if (sp)
                    *p++ = ' ';
                const struct val *v = &g->v[c];
                if (v->stamp != g->stamp)
                    p = PUTL(p, "null");
                else
                    p = emit_val(g, p, c, v);
            }
            *p++ = '}';
            continue;
        }
        *p++ = '"';
    }
    *p++ = '}';
    return p;
}

static void (*const gen_fns[NTBL])(struct gen *) = {
    [T_PROC] = gen_process, [T_NET] = gen_network, [T_FILE] = gen_file,
    [T_REG] = gen_registry, [T_LOGON] = gen_logon, [T_IMG] = gen_image,
    [T_EVT] = gen_devevent, [T_INFO] = gen_info, [T_NETINFO] = gen_netinfo,
    [T_CERT] = gen_cert, [T_AINFO] = gen_alertinfo, [T_AEV] = gen_alertev};

/* Generate one record at p; returns its end. */
static char *gen_one(struct gen *g, char *p)
{
    struct rng *r = &g->r;
    if (UNLIKELY(++g->stamp == 0)) {
        memset(g->v, 0, sizeof(g->v));
        g->stamp = 1;
    }
    g->sc_n = 0;
    /* ~1,000 records a second; event times never go back, so a process seen once never
     * appears created after a later event. The export time (`time`) jitters. */
    g->now += 1 + rnd(r, 2 * TICKS_PER_MS);
    g->ts = g->now;
    g->exp = g->now + 60 * TICKS_PER_S + rnd(r, 240 * TICKS_PER_S);
    g->drift = 0;
    if (UNLIKELY(chance(r, SYN_DRIFT_PER_10K))) {
        g->drift = 1u << rnd(r, ND);
        if (rnd(r, 4) == 0)
            g->drift |= 1u << rnd(r, ND);
        g->bool_style = (uint8_t)rnd(r, 3);
        g->frac = (uint8_t)rnd(r, 8);
        g->ip_style = (uint8_t)rnd(r, 2);
        g->uesc_style = (uint8_t)rnd(r, 2);
    }
    g->af_obj = g->drift & D_AFOBJ;
    g->trsvc = (g->drift & D_TRSVC) || chance(r, 500);
    uint32_t x = rnd(r, 10000);
    unsigned t = 0;
    while (x >= tdefs[t].weight)
        x -= tdefs[t++].weight;
    gen_fns[t](g);
    return emit(g, p, &g->tab[t]);
}

/* ------------------------------------------------------------------------------------- */

static int gen_init(struct gen *g, const struct synth_opts *o)
{
    rng_seed(&g->wr, o->seed ^ 0x5eed5eed5eed5eedull);
    rng_seed(&g->r, o->seed);
    g->start = (o->start_ms ? o->start_ms : SYN_DEF_START_MS) * TICKS_PER_MS;
    g->now = g->ts = g->start;
    put_guid(&g->wr, g->tenant, HEXL);
    g->users = calloc(SYN_USERS, sizeof(*g->users));
    g->dev = calloc(SYN_DEVICES, sizeof(*g->dev));
    if (!g->users || !g->dev)
        return -ENOMEM;
    int rc = init_tables(g);
    if (rc)
        return rc;
    init_accounts(g);
    init_catalogues(g);
    if (g->i_powershell < 0 || g->i_lsass < 0 || g->i_services < 0 || g->i_cmd < 0 ||
        g->i_svchost < 0 ||
        g->i_sshd < 0 || g->i_wmiprvse < 0 || g->i_winlogon < 0 || g->i_msmpeng < 0)
        return -EINVAL;
    _Static_assert(ARRAY_SIZE(de_defs) <= ARRAY_SIZE(g->de_init), "de_init too small");
    for (size_t i = 0; i < ARRAY_SIZE(de_defs); i++) {
        g->de_init[i] = find_img(g, de_defs[i].init);
        if (de_defs[i].init && g->de_init[i] < 0)
            return -EINVAL;
    }
    init_devices(g);
    return g->err;
}

static void gen_free(struct gen *g)
{
    while (g->arena) {
        struct chunk *c = g->arena;
        g->arena = c->next;
        free(c);
    }
    free(g->users);
    free(g->dev);
    free(g);
}

int synth_generate(struct capture_writer *w, const struct synth_opts *o)
{
    if (!w || !o || o->partitions == 0 || o->partitions > CAPTURE_MAX_PARTITIONS ||
        o->records_per_message > 65535 || o->start_ms < 0)
        return -EINVAL;
    uint32_t k = o->records_per_message ? o->records_per_message : SYN_DEF_K;
    struct gen *g = calloc(1, sizeof(*g));
    int64_t *seq = calloc(o->partitions, sizeof(*seq));
    uint64_t *off = calloc(o->partitions, sizeof(*off));
    int rc = (g && seq && off) ? 0 : -ENOMEM;
    if (!rc)
        rc = gen_init(g, o);
    struct buf body = {0};
    int64_t last_enq = 0;
    uint64_t left = o->events;
    uint32_t part = 0;
    while (!rc && left) {
        uint32_t n = left < k ? (uint32_t)left : k;
        buf_reset(&body);
        rc = buf_append(&body, "{\"records\":[", 12);
        for (uint32_t i = 0; !rc && i < n; i++) {
            rc = buf_reserve(&body, SYN_REC_RESERVE);
            if (rc)
                break;
            char *p = body.p + body.len;
            if (i)
                *p++ = ',';
            p = gen_one(g, p);
            body.len = (size_t)(p - body.p);
            rc = g->err;
        }
        if (!rc)
            rc = buf_append(&body, "]}", 2);
        if (rc)
            break;
        /* Enqueued after every export time in it (exp <= now + 300 s), strictly increasing. */
        int64_t enq = g->now / TICKS_PER_MS + 301000;
        if (enq <= last_enq)
            enq = last_enq + 1;
        last_enq = enq;
        char offs[24];
        char *oe = put_u64(offs, off[part]);
        struct capture_event ev = {
            .seq = seq[part],
            .enq_ms = enq,
            .off = offs,
            .off_len = (size_t)(oe - offs),
            .key = "",
            .key_len = 0,
            .origin = "",
            .origin_len = 0,
            .origin_line = 0,
            .records = n,
            .body = body.p,
            .body_len = body.len,
        };
        rc = capture_write(w, part, &ev);
        seq[part]++;
        off[part] += body.len;
        left -= n;
        if (++part == o->partitions)
            part = 0;
    }
    buf_fini(&body);
    free(seq);
    free(off);
    if (g)
        gen_free(g);
    return rc;
}
