/* norm_generic.c - Generic category: the OCSF Base Event (class 0, activity 99)
 * for every table or ActionType without a better class, and for degraded records
 * (schemas.md §0.2, §6.18).
 *
 * DESIGN
 * activity_name is the ActionType, or the table name when there is none. Only
 * the device block is mapped (kept when DeviceId or DeviceName is usable, which
 * also declares the host profile); every other column goes to unmapped.
 */
#include "norm_blocks.h"

static const struct norm_node prog_generic[] = {
    NB_DEVICE(0, NULL),
    N_STOP,
};

const struct norm_class norm_class_generic = {
    .head = "{\"activity_id\":99,\"activity_name\":",
    .activity = NULL,
    .tail = ",\"category_uid\":0,\"category_name\":\"Uncategorized\",\"class_uid\":0,"
            "\"class_name\":\"Base Event\",\"type_uid\":99,\"type_name\":\"Base Event: Other\","
            "\"severity_id\":1,\"severity\":\"Informational\",\"time\":",
    .type = "\"Generic\"",
    .prog = prog_generic,
    .cat = NC_GENERIC,
    .host = false,
};
