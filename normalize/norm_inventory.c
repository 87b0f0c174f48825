/* norm_inventory.c - DeviceInfo and DeviceNetworkInfo -> Device Inventory Info (5001)
 * Log; DeviceFileCertificateInfo -> Live Evidence Info (5040) Query (schemas.md §3.14,
 * §3.15, §3.16).
 *
 * DESIGN
 * Pure data. device is the required object of all three. DeviceType sets
 * device.type_id (0 without one) and stays in unmapped too (README decision 5).
 * network_interfaces[] is written by NR_IFACES (one entry per IPAddresses element,
 * the adapter columns repeated in each); IPAddresses itself stays in unmapped,
 * decoded, because AddressType has no OCSF slot. The certificate file has no name
 * in the table, so file.name is the SHA1 (§1 workaround). A certificate needs both
 * Issuer and CertificateSerialNumber (NN_MUST); without them it is left out and its
 * columns go to unmapped. Status is 0 Unknown (inventory, §0.1).
 */
#include "norm_blocks.h"

static const struct norm_node prog_device_info[] = {
    {NN_K("device"), .op = NOP_OBJ, .flags = NN_REQ, .lit = "device"},
    N_RULE("type_id", DEVICE_TYPE, NR_ENUM0, NE_DEVICE_TYPE, NN_NOUSE),
    N_FIELD("hostname", DEVICE_NAME, NR_STR, NN_KEY), N_FIELD("uid", DEVICE_ID, NR_STR, NN_KEY),
    N_ARR("groups", 0), N_ELEM(NN_KEY), N_FIELD("name", MACHINE_GROUP, NR_STR, NN_KEY), N_CLOSE,
    N_CLOSE,
    N_FIELD("uid_alt", AAD_DEVICE_ID, NR_STR, 0),
    N_RULE("ip", PUBLIC_IP, NR_IP, 0, 0),
    N_FIELD("model", MODEL, NR_STR, 0),
    N_FIELD("vendor_name", VENDOR, NR_STR, 0),
    N_OBJ("os", 0), N_FIELD("name", OS_PLATFORM, NR_STR, NN_KEY),
    N_RULE("type_id", OS_PLATFORM, NR_ENUM, NE_OS_TYPE, NN_NOUSE),
    N_FIELD("version", OS_VERSION, NR_STR, 0), N_FIELD("build", OS_BUILD, NR_IDSTR, 0),
    N_RULE("cpu_bits", OS_ARCH, NR_ENUM, NE_CPU_BITS, 0), N_CLOSE,
    N_ARR("agent_list", 0), N_ELEM(NN_KEY),
    N_CONST("name", "\"Microsoft Defender for Endpoint\""), N_CONST("type_id", "1"),
    N_CONST("vendor_name", "\"Microsoft\""), N_FIELD("version", CLIENT_VERSION, NR_STR, NN_KEY),
    N_FIELD("uid", DEVICE_ID, NR_STR, NN_NOUSE), N_CLOSE, N_CLOSE,
    N_CLOSE,
    N_STOP,
};

static const struct norm_node prog_device_network_info[] = {
    {NN_K("device"), .op = NOP_OBJ, .flags = NN_REQ, .lit = "device"},
    N_CONST("type_id", "0"),
    N_FIELD("hostname", DEVICE_NAME, NR_STR, NN_KEY), N_FIELD("uid", DEVICE_ID, NR_STR, NN_KEY),
    N_ARR("groups", 0), N_ELEM(NN_KEY), N_FIELD("name", MACHINE_GROUP, NR_STR, NN_KEY), N_CLOSE,
    N_CLOSE,
    N_FIELD("network_interfaces", IP_ADDRESSES, NR_IFACES, NN_NOUSE),
    N_FIELD("mac", MAC_ADDRESS, NR_MAC, 0),
    N_CLOSE,
    N_STOP,
};

#define INV(name, pg)                                                                       \
    const struct norm_class name = {                                                        \
        .head = NC_HEAD(1), .activity = "\"Log\"",                                          \
        .tail = NC_TAIL("Device Inventory Info", "Log", 5, "Discovery", 5001, 500101),       \
        .sev = NC_INFO, .type = "\"Management\"", .prog = pg, .post = NC_ST_UNK,             \
        .cat = NC_MANAGEMENT, .host = true}
INV(norm_class_device_info, prog_device_info);
INV(norm_class_device_network_info, prog_device_network_info);

static const struct norm_node prog_file_cert[] = {
    NB_DEVICE(NN_REQ, "device"),
    N_CONST("query_result_id", "1"),
    {NN_K("query_evidence"), .op = NOP_OBJ, .flags = NN_REQ, .lit = "query_evidence.file"},
    N_CONST("query_type_id", "2"),
    N_OBJ("file", NN_KEY), N_RULE("name", SHA1, NR_HASH, 40, NN_KEY), N_CONST("type_id", "1"),
    N_ARR("hashes", 0), N_HASH(2, SHA1, 40), N_CLOSE,
    N_ARR("signatures", 0), N_ELEM(NN_KEY),
    N_IS_TRUE("algorithm_id", IS_SIGNED, "4", NN_KEY | NN_MUST),
    N_OBJ("certificate", 0), N_FIELD("issuer", ISSUER, NR_STR, NN_KEY | NN_MUST),
    N_FIELD("serial_number", CERT_SERIAL, NR_STR, NN_KEY | NN_MUST),
    N_FIELD("subject", SIGNER, NR_STR, 0),
    N_FIELD("created_time", CERT_CREATION_TIME, NR_TIME, 0),
    N_FIELD("expiration_time", CERT_EXPIRATION_TIME, NR_TIME, 0),
    N_ARR("fingerprints", 0), N_HASH(2, SIGNER_HASH, 40), N_HASH(3, SIGNER_HASH, 64), N_CLOSE,
    N_CLOSE,
    N_IS_TRUE("state_id", IS_TRUSTED, "1", 0),
    {NN_K("state_id"), .op = NOP_FIELD, .col = NCOL_IS_TRUSTED, .rule = NR_IS_FALSE, .lit = "6"},
    N_FIELD("created_time", CERT_COUNTERSIG_TIME, NR_TIME, 0),
    N_CLOSE, N_CLOSE,
    N_CLOSE, N_CLOSE,
    N_STOP,
};

const struct norm_class norm_class_file_cert_info = {
    .head = NC_HEAD(1), .activity = "\"Query\"",
    .tail = NC_TAIL("Live Evidence Info", "Query", 5, "Discovery", 5040, 504001),
    .sev = NC_INFO, .type = "\"File Collection\"", .prog = prog_file_cert, .post = NC_ST_UNK,
    .cat = NC_FILE_COLLECTION, .host = true,
};
