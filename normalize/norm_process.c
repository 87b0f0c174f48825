/* norm_process.c - Process category: DeviceProcessEvents ProcessCreated ->
 * Process Activity (1007) Launch (schemas.md §1, §3.1-§3.4, §6.8).
 *
 * DESIGN
 * Pure data: the class captions and the mapping program. The class requires
 * actor, device and process; a record that cannot fill one of them (no
 * DeviceId/DeviceName, no initiating pid or account, no ProcessId) degrades to
 * Generic with the label sluice:degraded:<path>.
 */
#include "norm_blocks.h"

static const struct norm_node prog_process_launch[] = {
    NB_DEVICE(NN_REQ, "device"),
    NB_ACTOR(NN_REQ, "actor"),
    NB_TARGET_PROCESS(NN_REQ, "process.pid"),
    N_CONST("status_id", "1"),
    N_CONST("status", "\"Success\""),
    N_STOP,
};

const struct norm_class norm_class_process_launch = {
    .head = "{\"activity_id\":1,\"activity_name\":",
    .activity = "\"Launch\"",
    .tail = NC_TAIL("Process Activity", "Launch", 1, "System Activity", 1007, 100701),
    .sev = NC_INFO,
    .type = "\"Process\"",
    .prog = prog_process_launch,
    .cat = NC_PROCESS,
    .host = true,
};
