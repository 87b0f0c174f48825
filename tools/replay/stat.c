/* stat.c - a capture summarised as JSON.
 *
 * DESIGN
 * Counts per partition come from the block index (capture_open); body bytes are
 * not in block headers, so capture_verify() decodes every block to add them up,
 * which also makes `stat` a full integrity check of the file. The whole object
 * is printed only after both succeed, so stdout never holds half an object.
 */
#include "stat.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "capture.h"
#include "err.h"
#include "text.h"

static void put_key_str(FILE *out, const char *key, const char *s)
{
    fprintf(out, "  \"%s\": ", key);
    json_fputs(out, s);
    fputs(",\n", out);
}

int stat_print_json(const char *path, FILE *out)
{
    struct capture c;
    int rc = capture_open(path, &c);
    if (rc)
        return rc;
    rc = capture_verify(path, &c);
    if (rc)
        goto out;

    uint64_t messages = 0, records = 0, bytes = 0, blocks = 0;
    for (uint32_t p = 0; p < c.partitions; p++) {
        messages += c.part[p].messages;
        records += c.part[p].records;
        bytes += c.part[p].bytes;
        blocks += c.part[p].nblocks;
    }
    fputs("{\n", out);
    put_key_str(out, "path", path);
    put_key_str(out, "namespace", c.ns);
    put_key_str(out, "eventhub", c.hub);
    fprintf(out,
            "  \"partitions\": %" PRIu32 ",\n  \"created_ms\": %" PRId64 ",\n"
            "  \"messages\": %" PRIu64 ",\n  \"records\": %" PRIu64 ",\n"
            "  \"events\": %" PRIu64 ",\n  \"bytes\": %" PRIu64 ",\n"
            "  \"file_bytes\": %" PRIu64 ",\n  \"blocks\": %" PRIu64 ",\n"
            "  \"per_partition\": {",
            c.partitions, c.created_ms, messages, records, records, bytes, c.file_bytes, blocks);
    for (uint32_t p = 0; p < c.partitions; p++) {
        const struct capture_part *cp = &c.part[p];
        fprintf(out,
                "%s\n    \"%" PRIu32 "\": {\"messages\": %" PRIu64 ", \"records\": %" PRIu64
                ", \"bytes\": %" PRIu64 ", \"blocks\": %" PRIu32
                ", \"first_sequence_number\": %" PRId64 ", \"last_sequence_number\": %" PRId64
                ", \"min_message_bytes\": %" PRIu64 ", \"max_message_bytes\": %" PRIu64
                ", \"max_records_per_message\": %" PRIu32 "}",
                p ? "," : "", p, cp->messages, cp->records, cp->bytes, cp->nblocks,
                cp->first_seq, cp->last_seq, cp->min_body, cp->max_body, cp->max_records);
    }
    fputs("\n  }\n}\n", out);
    if (fflush(out) != 0 || ferror(out))
        rc = -EIO;
out:
    capture_close(&c);
    return rc;
}
