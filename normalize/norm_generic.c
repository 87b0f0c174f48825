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
    .tail = NC_TAIL("Base Event", "Other", 0, "Uncategorized", 0, 99),
    .sev = NC_INFO,
    .type = "\"Generic\"",
    .prog = prog_generic,
    .cat = NC_GENERIC,
    .host = false,
};
