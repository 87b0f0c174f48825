/* norm_blocks.h - mapping-program fragments shared by many tables (schemas.md
 * §3.2-§3.4), as initializer lists for struct norm_node[] (norm_int.h).
 * Member order is the output key order of reference/ocsf_examples/.
 */
#ifndef SLUICE_NORM_BLOCKS_H
#define SLUICE_NORM_BLOCKS_H

#include "norm_int.h"

/* §3.2 device: kept when DeviceName or DeviceId is usable. */
#define NB_DEVICE(objflags, label)                                                          \
    {NN_K("device"), .op = NOP_OBJ, .flags = (objflags), .lit = (label)},                   \
        N_CONST("type_id", "0"), N_FIELD("hostname", DEVICE_NAME, NR_STR, NN_KEY),          \
        N_FIELD("uid", DEVICE_ID, NR_STR, NN_KEY), N_ARR("groups", 0), N_ELEM(NN_KEY),       \
        N_FIELD("name", MACHINE_GROUP, NR_STR, NN_KEY), N_CLOSE, N_CLOSE, N_CLOSE

/* A process's image file: name (or the last element of the path), path, size,
 * hashes, PE version resource. Kept only with a name (file.name is required). */
#define NB_FILE(NAME, PATH, SIZE, MD5C, SHA1C, SHA256C, COMPANY, DESC, INTERNAL, PRODUCT,  \
                VERSION)                                                                    \
    N_OBJ("file", 0), N_FIELD2("name", NAME, PATH, NR_NAME_OR_BASE, NN_KEY),                \
        N_FIELD("path", PATH, NR_STR, 0), N_CONST("type_id", "8"),                          \
        N_FIELD("size", SIZE, NR_SIZE, 0), N_ARR("hashes", 0), N_HASH(1, MD5C, 32),         \
        N_HASH(2, SHA1C, 40), N_HASH(3, SHA256C, 64), N_CLOSE,                               \
        N_FIELD("company_name", COMPANY, NR_STR, 0), N_FIELD("desc", DESC, NR_STR, 0),      \
        N_FIELD("internal_name", INTERNAL, NR_STR, 0), N_OBJ("product", 0),                 \
        N_FIELD("name", PRODUCT, NR_STR, NN_KEY), N_FIELD("version", VERSION, NR_STR, NN_KEY), \
        N_FIELD("vendor_name", COMPANY, NR_STR, 0), N_CLOSE, N_CLOSE

/* A user: kept with a name or a uid (user constraint). */
#define NB_USER(key, objflags, NAME, DOMAIN, SID, OBJID, UPN)                               \
    N_OBJ(key, objflags), N_FIELD("name", NAME, NR_STR, NN_KEY),                            \
        N_FIELD("domain", DOMAIN, NR_STR, 0), N_FIELD("uid", SID, NR_STR, NN_KEY),          \
        N_FIELD("uid_alt", OBJID, NR_STR, 0), N_FIELD("email_addr", UPN, NR_EMAIL, 0),      \
        N_CLOSE

/* {pid, name, created_time}: kept only with a pid (process constraint). */
#define NB_PARENT(PID, NAME, CTIME)                                                         \
    N_OBJ("parent_process", 0), N_FIELD("pid", PID, NR_PID, NN_KEY),                        \
        N_FIELD("name", NAME, NR_STR, 0), N_FIELD("created_time", CTIME, NR_TIME, 0), N_CLOSE

/* §3.3 the initiating process -> actor.process (+ actor.user). */
#define NB_ACTOR(objflags, label)                                                           \
    {NN_K("actor"), .op = NOP_OBJ, .flags = (objflags), .lit = (label)},                    \
        N_OBJ("process", NN_KEY), N_FIELD("pid", IP_ID, NR_PID, NN_KEY),                     \
        N_FIELD("name", IP_FILE_NAME, NR_STR, 0),                                           \
        N_FIELD("cmd_line", IP_COMMAND_LINE, NR_STR, 0),                                    \
        N_FIELD("created_time", IP_CREATION_TIME, NR_TIME, 0),                              \
        N_FIELD("integrity_id", IP_INTEGRITY, NR_INTEGRITY, 0), N_OBJ("session", 0),        \
        N_FIELD("uid", IP_LOGON_ID, NR_IDSTR, NN_KEY),                                      \
        N_FIELD("is_remote", IP_IS_REMOTE, NR_BOOL, NN_KEY), N_CLOSE,                       \
        NB_FILE(IP_FILE_NAME, IP_FOLDER_PATH, IP_FILE_SIZE, IP_MD5, IP_SHA1, IP_SHA256,     \
                IP_VI_COMPANY, IP_VI_DESC, IP_VI_INTERNAL, IP_VI_PRODUCT, IP_VI_VERSION),   \
        NB_PARENT(IP_PARENT_ID, IP_PARENT_FILE_NAME, IP_PARENT_CREATION_TIME), N_CLOSE,     \
        NB_USER("user", NN_KEY, IP_ACCOUNT_NAME, IP_ACCOUNT_DOMAIN, IP_ACCOUNT_SID,         \
                IP_ACCOUNT_OBJECT_ID, IP_ACCOUNT_UPN),                                      \
        N_CLOSE

/* §3.4 the target process -> process (DeviceProcessEvents: with its user, and the
 * initiating process as its parent). */
#define NB_TARGET_PROCESS(objflags, label)                                                  \
    {NN_K("process"), .op = NOP_OBJ, .flags = (objflags), .lit = (label)},                  \
        N_FIELD("pid", PROCESS_ID, NR_PID, NN_KEY), N_FIELD("name", FILE_NAME, NR_STR, 0),  \
        N_FIELD("cmd_line", PROCESS_COMMAND_LINE, NR_STR, 0),                               \
        N_FIELD("created_time", PROCESS_CREATION_TIME, NR_TIME, 0),                         \
        N_FIELD("integrity_id", PROCESS_INTEGRITY, NR_INTEGRITY, 0), N_OBJ("session", 0),   \
        N_FIELD("uid", LOGON_ID, NR_IDSTR, NN_KEY),                                         \
        N_FIELD("is_remote", IS_PROCESS_REMOTE, NR_BOOL, NN_KEY), N_CLOSE,                  \
        NB_FILE(FILE_NAME, FOLDER_PATH, FILE_SIZE, MD5, SHA1, SHA256, P_VI_COMPANY,         \
                P_VI_DESC, P_VI_INTERNAL, P_VI_PRODUCT, P_VI_VERSION),                      \
        NB_USER("user", 0, ACCOUNT_NAME, ACCOUNT_DOMAIN, ACCOUNT_SID, ACCOUNT_OBJECT_ID,     \
                ACCOUNT_UPN),                                                               \
        NB_PARENT(IP_ID, IP_FILE_NAME, IP_CREATION_TIME), N_CLOSE

#endif
