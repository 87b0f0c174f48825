/* norm_enums.c - Defender string values -> OCSF enum ids (schemas.md §3, §4).
 *
 * DESIGN
 * One table per enum, scanned linearly (they are short), matched without regard
 * to case; a name ending in '*' matches as a prefix. An enum with a sibling key
 * maps an unknown value to 99 and writes the raw value under that key; one
 * without (network scope) leaves an unknown value unmapped.
 */
#include "norm_int.h"

#define E(s, id) {s, sizeof(s) - 1, id}
#define ENUM(sibkey, tab)                                                                     \
    {.sib = sibkey, .siblen = sizeof(sibkey) - 1, .n = ARRAY_SIZE(tab), .e = tab}
#define ENUM_NOSIB(tab) {.sib = NULL, .siblen = 0, .n = ARRAY_SIZE(tab), .e = tab}

static const struct norm_enum_ent logon_type[] = {
    E("interactive", 2),        E("network", 3),           E("batch", 4),
    E("service", 5),            E("unlock", 7),            E("networkcleartext", 8),
    E("newcredentials", 9),     E("remoteinteractive", 10), E("cachedinteractive", 11),
    E("cachedremoteinteractive", 12), E("cachedunlock", 13),
};
static const struct norm_enum_ent auth_protocol[] = {
    E("ntlm", 1), E("kerberos", 2), E("digest", 3), E("basic", 11), E("ldap", 12),
};
static const struct norm_enum_ent reg_type[] = {
    E("string", 10), E("expandstring", 4), E("binary", 1), E("dword", 2), E("qword", 8),
    E("multistring", 6), E("none", 7), E("link", 5),
};
static const struct norm_enum_ent severity[] = {
    E("informational", 1), E("low", 2), E("medium", 3), E("high", 4), E("critical", 5),
};
static const struct norm_enum_ent scope[] = {
    E("public", 2), E("private", 1),
};
static const struct norm_enum_ent iface_type[] = {
    E("ethernet", 1), E("wireless80211", 2), E("tunnel", 4),
};
static const struct norm_enum_ent os_type[] = {
    E("windows*", 100), E("linux", 200), E("macos", 300), E("ios", 301), E("android", 201),
};
static const struct norm_enum_ent device_type[] = {
    E("server", 1), E("workstation", 2), E("desktop", 2), E("laptop", 3), E("tablet", 4),
    E("mobile", 5), E("virtual", 6), E("iot", 7), E("firewall", 9), E("switch", 10),
    E("router", 12),
};
static const struct norm_enum_ent cpu_bits[] = {
    E("64-bit", 64), E("32-bit", 32),
};
static const struct norm_enum_ent rcode[] = {
    E("0", 0), E("1", 1), E("2", 2), E("3", 3), E("4", 4), E("5", 5),
};

const struct norm_enum norm_enums[NE__COUNT] = {
    [NE_LOGON_TYPE] = ENUM("\"logon_type\":", logon_type),
    [NE_AUTH_PROTOCOL] = ENUM("\"auth_protocol\":", auth_protocol),
    [NE_REG_TYPE] = ENUM("\"type\":", reg_type),
    [NE_SEVERITY] = ENUM("\"severity\":", severity),
    [NE_SCOPE] = ENUM_NOSIB(scope),
    [NE_IFACE_TYPE] = ENUM("\"type\":", iface_type),
    [NE_OS_TYPE] = ENUM("\"type\":", os_type),
    [NE_DEVICE_TYPE] = ENUM("\"type\":", device_type),
    [NE_CPU_BITS] = ENUM_NOSIB(cpu_bits),
    [NE_RCODE] = ENUM_NOSIB(rcode),
};
