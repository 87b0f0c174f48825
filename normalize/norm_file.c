/* norm_file.c - DeviceFileEvents and DeviceImageLoadEvents (schemas.md §3.7, §3.13):
 * File System Activity (1001) and Module Activity (1005) Load.
 *
 * DESIGN
 * Pure data. file is required: a row without FileName (and no FolderPath to
 * take the name from) degrades. FileRenamed writes the previous name/path as
 * file and the new one as file_result; without the Previous* columns file is
 * the new file (both objects are in the program: the first one that keeps a
 * name is file, a rolled-back one leaves nothing). actor.user comes from the
 * Request* columns when present, else from the initiating process (§3.7).
 */
#include "norm_blocks.h"

#define NB_TFILE(key, fl, label, NAME, PATH)                                                \
    {NN_K(key), .op = NOP_OBJ, .flags = (fl), .lit = (label)},                              \
        N_FIELD2("name", NAME, PATH, NR_NAME_OR_BASE, NN_KEY), N_FIELD("path", PATH, NR_STR, 0), \
        N_CONST("type_id", "1"), N_FIELD("size", FILE_SIZE, NR_SIZE, 0), N_ARR("hashes", 0), \
        N_HASH(1, MD5, 32), N_HASH(2, SHA1, 40), N_HASH(3, SHA256, 64), N_CLOSE,             \
        N_RULE("parent_folder", PATH, NR_FOLDER, 0, 0), N_CLOSE

/* actor with the requesting account first (§3.7) */
#define NB_FILE_ACTOR                                                                       \
    {NN_K("actor"), .op = NOP_OBJ, .flags = NN_REQ, .lit = "actor"},                        \
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
        NB_USER("user", NN_KEY, REQ_ACCOUNT_NAME, REQ_ACCOUNT_DOMAIN, REQ_ACCOUNT_SID,      \
                NONE, NONE),                                                                \
        NB_USER("user", NN_KEY | NN_ELSE, IP_ACCOUNT_NAME, IP_ACCOUNT_DOMAIN, IP_ACCOUNT_SID,         \
                IP_ACCOUNT_OBJECT_ID, IP_ACCOUNT_UPN),                                      \
        N_CLOSE

static const struct norm_node prog_file[] = {
    NB_DEVICE(NN_REQ, "device"),
    NB_TFILE("file", NN_REQ, "file", FILE_NAME, FOLDER_PATH),
    NB_FILE_ACTOR,
    N_STOP,
};

static const struct norm_node prog_file_rename[] = {
    NB_DEVICE(NN_REQ, "device"),
    NB_TFILE("file", 0, NULL, PREV_FILE_NAME, PREV_FOLDER_PATH),
    NB_TFILE("file", NN_REQ | NN_ELSE, "file", FILE_NAME, FOLDER_PATH),
    NB_TFILE("file_result", 0, NULL, FILE_NAME, FOLDER_PATH),
    NB_FILE_ACTOR,
    N_STOP,
};

#define FS(name, aid, aname, tuid, act, pg)                                                 \
    const struct norm_class name = {                                                        \
        .head = NC_HEAD(aid), .activity = act,                                              \
        .tail = NC_TAIL("File System Activity", aname, 1, "System Activity", 1001, tuid),    \
        .sev = NC_INFO, .type = "\"File Modification\"", .prog = pg, .post = NC_ST_OK,       \
        .cat = NC_FILE_MODIFICATION, .host = true}

FS(norm_class_file_create, 1, "Create", 100101, "\"Create\"", prog_file);
FS(norm_class_file_update, 3, "Update", 100103, "\"Update\"", prog_file);
FS(norm_class_file_delete, 4, "Delete", 100104, "\"Delete\"", prog_file);
FS(norm_class_file_rename, 5, "Rename", 100105, "\"Rename\"", prog_file_rename);
FS(norm_class_file_setattr, 6, "Set Attributes", 100106, "\"Set Attributes\"", prog_file);
FS(norm_class_file_other, 99, "Other", 100199, NULL, prog_file);

/* Module Activity: Load (ImageLoaded, category Generic) */
static const struct norm_node prog_image_load[] = {
    NB_DEVICE(NN_REQ, "device"),
    NB_ACTOR(NN_REQ, "actor"),
    {NN_K("module"), .op = NOP_OBJ, .flags = NN_REQ, .lit = "module"},
    N_OBJ("file", NN_KEY), N_FIELD2("name", FILE_NAME, FOLDER_PATH, NR_NAME_OR_BASE, NN_KEY),
    N_FIELD("path", FOLDER_PATH, NR_STR, 0), N_CONST("type_id", "8"),
    N_FIELD("size", FILE_SIZE, NR_SIZE, 0), N_ARR("hashes", 0), N_HASH(1, MD5, 32),
    N_HASH(2, SHA1, 40), N_HASH(3, SHA256, 64), N_CLOSE, N_CLOSE,
    N_CONST("load_type_id", "0"), N_CLOSE,
    N_STOP,
};

const struct norm_class norm_class_image_load = {
    .head = NC_HEAD(1), .activity = "\"Load\"",
    .tail = NC_TAIL("Module Activity", "Load", 1, "System Activity", 1005, 100501),
    .sev = NC_INFO, .type = "\"Generic\"", .prog = prog_image_load, .post = NC_ST_OK,
    .cat = NC_GENERIC, .host = true,
};
