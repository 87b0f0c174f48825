/* norm_registry.c - DeviceRegistryEvents -> Registry Key (201001) / Registry Value
 * (201002) Activity, Windows extension (schemas.md §3.8).
 *
 * DESIGN
 * Pure data. reg_key.path or reg_value.path (+ name) is required; without
 * RegistryKey the row degrades. metadata.extensions names "win" (class meta).
 * RegistryValueData goes to reg_value.data verbatim (json_t string).
 */
#include "norm_blocks.h"

static const struct norm_node prog_reg_key[] = {
    NB_DEVICE(NN_REQ, "device"),
    N_OBJ_REQ("reg_key", "reg_key.path"), N_FIELD("path", REGISTRY_KEY, NR_STR, NN_KEY), N_CLOSE,
    N_OBJ("prev_reg_key", 0), N_FIELD("path", PREV_REGISTRY_KEY, NR_STR, NN_KEY), N_CLOSE,
    NB_ACTOR(NN_REQ, "actor"),
    N_STOP,
};

static const struct norm_node prog_reg_value[] = {
    NB_DEVICE(NN_REQ, "device"),
    N_OBJ_REQ("reg_value", "reg_value.path"), N_FIELD("path", REGISTRY_KEY, NR_STR, NN_KEY),
    N_FIELD("name", REGISTRY_VALUE_NAME, NR_STR, 0),
    N_ENUM("type_id", REGISTRY_VALUE_TYPE, NE_REG_TYPE, 0),
    N_FIELD("data", REGISTRY_VALUE_DATA, NR_STR, 0), N_CLOSE,
    N_OBJ("prev_reg_value", 0),
    N_FIELD2("path", PREV_REGISTRY_KEY, REGISTRY_KEY, NR_STR_OR, 0),
    N_FIELD2("name", PREV_REGISTRY_VALUE_NAME, REGISTRY_VALUE_NAME, NR_STR_OR, NN_KEY),
    N_FIELD("data", PREV_REGISTRY_VALUE_DATA, NR_STR, NN_KEY), N_CLOSE,
    NB_ACTOR(NN_REQ, "actor"),
    N_STOP,
};

#define REG(name, kname, kuid, aid, aname, tuid, act, pg, st)                               \
    const struct norm_class name = {                                                        \
        .head = NC_HEAD(aid), .activity = act,                                              \
        .tail = NC_TAIL(kname, aname, 1, "System Activity", kuid, tuid), .sev = NC_INFO,     \
        .type = "\"Registry\"", .meta = NC_WIN, .prog = pg, .post = st,                     \
        .cat = NC_REGISTRY, .host = true}

REG(norm_class_regkey_create, "Registry Key Activity", 201001, 1, "Create", 20100101,
    "\"Create\"", prog_reg_key, NC_ST_OK);
REG(norm_class_regkey_delete, "Registry Key Activity", 201001, 4, "Delete", 20100104,
    "\"Delete\"", prog_reg_key, NC_ST_OK);
REG(norm_class_regkey_rename, "Registry Key Activity", 201001, 5, "Rename", 20100105,
    "\"Rename\"", prog_reg_key, NC_ST_OK);
REG(norm_class_regkey_other, "Registry Key Activity", 201001, 99, "Other", 20100199, NULL,
    prog_reg_key, NC_ST_OK);
REG(norm_class_regval_set, "Registry Value Activity", 201002, 2, "Set", 20100202, "\"Set\"",
    prog_reg_value, NC_ST_OK);
REG(norm_class_regval_delete, "Registry Value Activity", 201002, 4, "Delete", 20100204,
    "\"Delete\"", prog_reg_value, NC_ST_OK);
REG(norm_class_regval_other, "Registry Value Activity", 201002, 99, "Other", 20100299, NULL,
    prog_reg_value, NC_ST_OK);
