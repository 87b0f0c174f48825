/* fuzz_norm_record.c - libFuzzer target: ONE Defender record, wrapped as
 * {"records":[<input>]} and normalized by norm_message(), so mutations land in
 * the per-table mappings rather than in the envelope. The corpus holds one real
 * record per table and per interesting ActionType.
 *
 * keep_original is on for inputs of odd length. Checks as in fuzz_norm_message;
 * in addition an input that is one strictly valid JSON value (fuzz_json_strict,
 * not the shim's own lenient parser) must give exactly one line.
 */
#include "fuzz_norm.h"

static struct fuzz_norm fn;

static const char head[] = "{\"records\":[";
static const char tail[] = "]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_norm_init(&fn);
    size_t hl = sizeof(head) - 1, tl = sizeof(tail) - 1, len = hl + size + tl;
    char *body = malloc(len + JSON_PAD);
    FUZZ_CHECK(body != NULL, "out of memory");
    memcpy(body, head, hl);
    if (size)
        memcpy(body + hl, data, size);
    memcpy(body + hl + size, tail, tl);
    memset(body + len, 0, JSON_PAD);

    struct fuzz_norm_out o = fuzz_norm_body(&fn, body, len, size & 1);

    /* A strictly valid JSON value is one element of records[]: exactly one line. */
    if (fuzz_json_strict((const char *)data, size))
        FUZZ_CHECK(o.events + o.dead == 1, "one valid record gave %zu events + %zu dead", o.events,
                   o.dead);
    free(body);
    return 0;
}
