/* norm_route.c - (table, ActionType) -> OCSF class (schemas.md §2).
 *
 * DESIGN
 * One row per mapped (table, ActionType); action NULL matches any ActionType
 * (tables without one). Rows are scanned in order within the table's range, so
 * a specific ActionType row must precede a catch-all row of the same table.
 * Everything without a row is Generic. The next issue fills in the other
 * categories by adding rows and programs; nothing else changes.
 */
#include "norm_int.h"

struct route {
    enum norm_table table;
    const char *action;
    uint8_t action_len;
    const struct norm_class *cls;
};

#define ROUTE(t, a, c) {.table = (t), .action = (a), .action_len = sizeof(a) - 1, .cls = (c)}

static const struct route routes[] = {
    ROUTE(NT_DEVICE_PROCESS_EVENTS, "ProcessCreated", &norm_class_process_launch),
};

const struct norm_class *norm_route(enum norm_table t, const char *action, size_t action_len)
{
    for (size_t i = 0; i < ARRAY_SIZE(routes); i++) {
        const struct route *r = &routes[i];
        if (r->table != t)
            continue;
        if (!r->action)
            return r->cls;
        if (action && r->action_len == action_len && memcmp(r->action, action, action_len) == 0)
            return r->cls;
    }
    return &norm_class_generic;
}
