/* fuzz_norm.h - the norm_message() driver shared by fuzz_norm_message,
 * fuzz_norm_record and the malformed-input test.
 *
 * Two normalizers live for the whole process (keep_original off and on), as a
 * shard's would. Each body is normalized twice, once with Event Hub ids and once
 * with file-origin ids, every call checked by fuzz_norm_checked(); both runs must
 * sort the records the same way (ids never change what a record becomes).
 */
#ifndef SLUICE_FUZZ_NORM_H
#define SLUICE_FUZZ_NORM_H

#include "fuzz_util.h"

struct fuzz_norm {
    struct norm *n[2]; /* [keep_original] */
    struct json_parser *chk;
    struct buf ev, dead;
    struct norm_stats st;
};

static inline void fuzz_norm_init(struct fuzz_norm *f)
{
    if (f->chk)
        return;
    struct norm_cfg cfg = {.ns = "sluice-fuzz.servicebus.windows.net", .hub = "defender"};
    f->n[0] = norm_create(&cfg);
    cfg.keep_original = true;
    f->n[1] = norm_create(&cfg);
    f->chk = json_parser_create();
    FUZZ_CHECK(f->n[0] && f->n[1] && f->chk, "norm_create/json_parser_create failed");
}

static inline void fuzz_norm_fini(struct fuzz_norm *f)
{
    norm_destroy(f->n[0]);
    norm_destroy(f->n[1]);
    json_parser_destroy(f->chk);
    buf_fini(&f->ev);
    buf_fini(&f->dead);
    memset(f, 0, sizeof(*f));
}

/* Normalize body[0..len) (JSON_PAD bytes must follow) with both id schemes;
 * returns what the Event Hub run produced. */
static inline struct fuzz_norm_out fuzz_norm_body(struct fuzz_norm *f, const char *body, size_t len,
                                                  bool keep_original)
{
    struct norm *n = f->n[keep_original ? 1 : 0];
    struct norm_msg m = {
        .body = body, .len = len, .partition = 3, .seq = 4242, .enq_ms = 1700000000123};
    buf_reset(&f->ev);
    buf_reset(&f->dead);
    struct fuzz_norm_out eh = fuzz_norm_checked(n, &m, &f->ev, &f->dead, &f->st, f->chk);

    m.origin = "PT1H.json";
    m.origin_len = strlen(m.origin);
    m.origin_line = 17;
    buf_reset(&f->ev);
    buf_reset(&f->dead);
    struct fuzz_norm_out file = fuzz_norm_checked(n, &m, &f->ev, &f->dead, &f->st, f->chk);
    FUZZ_CHECK(eh.events == file.events && eh.dead == file.dead,
               "Event Hub ids gave %zu events + %zu dead, file ids %zu + %zu", eh.events, eh.dead,
               file.events, file.dead);
    return eh;
}

#endif
