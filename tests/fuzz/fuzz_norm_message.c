/* fuzz_norm_message.c - libFuzzer target: norm_message() over an arbitrary
 * Event Hub message body.
 *
 * Byte 0 bit 0 chooses keep_original; the rest is the body. Every call is checked
 * by fuzz_norm_checked() (fuzz_util.h): return value == lines appended to events
 * + dead letters, every line valid UTF-8 '{...}\n' that parses as one JSON
 * object, counters consistent; and the Event Hub and file-origin id runs agree.
 */
#include "fuzz_norm.h"

static struct fuzz_norm fn;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    fuzz_norm_init(&fn);
    char *body = fuzz_padded(data + 1, size - 1);
    (void)fuzz_norm_body(&fn, body, size - 1, data[0] & 1);
    free(body);
    return 0;
}
