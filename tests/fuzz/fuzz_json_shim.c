/* fuzz_json_shim.c - libFuzzer target for normalize/json_shim.h.
 *
 * The first byte chooses the action (simdjson's fuzzers do the same), the rest
 * is the document, copied so that exactly JSON_PAD zero bytes follow it:
 *   0 body:   json_body_begin + json_body_next to the end, checking every view
 *   1 text:   json_parse_text
 *   2 walk:   json_shim_walk
 *   3 switch: read one record of the first half, then restart on the second
 *             half (parser state must not leak from one body into the next)
 * Views are checked against the header's promises: strings and keys are valid
 * UTF-8, JSON_F_CLEAN text needs no escaping, compact OBJECT/ARRAY text parses
 * back to the same type, r.raw lies inside the body, and records[] ends.
 */
#include <errno.h>
#include <stdint.h>

#include "err.h"
#include "fuzz_util.h"

static struct json_parser *parser, *checker;

static void init(void)
{
    if (parser)
        return;
    parser = json_parser_create();
    checker = json_parser_create();
    FUZZ_CHECK(parser && checker, "json_parser_create failed");
}

static bool needs_escape(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\' || c < 0x20)
            return true;
    }
    return false;
}

/* Everything a caller may rely on for one value. */
static void check_field(const struct json_field *f, bool keyed)
{
    FUZZ_CHECK(f->type <= JSON_ARRAY, "bad type %u", f->type);
    FUZZ_CHECK(f->val != NULL || f->val_len == 0, "NULL val with length %u", f->val_len);
    if (keyed) {
        FUZZ_CHECK(f->key != NULL || f->key_len == 0, "NULL key with length %u", f->key_len);
        FUZZ_CHECK(fuzz_utf8_valid(f->key, f->key_len), "key is not UTF-8");
        if (f->flags & JSON_F_KCLEAN)
            FUZZ_CHECK(!needs_escape(f->key, f->key_len), "KCLEAN key needs escaping");
    }
    switch (f->type) {
    case JSON_NULL:
        FUZZ_CHECK(f->val_len == 4 && memcmp(f->val, "null", 4) == 0, "null text");
        break;
    case JSON_BOOL:
        FUZZ_CHECK((f->i == 1 && f->val_len == 4 && memcmp(f->val, "true", 4) == 0) ||
                       (f->i == 0 && f->val_len == 5 && memcmp(f->val, "false", 5) == 0),
                   "bool text/value disagree");
        break;
    case JSON_NUMBER:
        FUZZ_CHECK(f->val_len > 0, "empty number text");
        break;
    case JSON_STRING:
        FUZZ_CHECK(fuzz_utf8_valid(f->val, f->val_len), "string is not UTF-8");
        if (f->flags & JSON_F_CLEAN)
            FUZZ_CHECK(!needs_escape(f->val, f->val_len), "CLEAN string needs escaping");
        break;
    case JSON_OBJECT:
    case JSON_ARRAY: {
        FUZZ_CHECK(f->val_len >= 2, "compact text too short");
        FUZZ_CHECK(fuzz_utf8_valid(f->val, f->val_len), "compact text is not UTF-8");
        struct json_field back;
        fuzz_json_rewind(checker);
        int rc = json_parse_text(checker, f->val, f->val_len, &back);
        FUZZ_CHECK(rc == 0 && back.type == f->type, "compact text does not parse back (%d): %.*s",
                   rc, (int)(f->val_len > 200 ? 200 : f->val_len), f->val);
        break;
    }
    }
    if (f->flags & JSON_F_INT)
        FUZZ_CHECK(f->type == JSON_NUMBER, "JSON_F_INT on a non-number");
}

/* Reads records until the end (or `max` records); returns how many were read. */
static size_t read_records(const char *body, size_t len, size_t max)
{
    struct json_record r;
    size_t n = 0;
    int rc;
    while (n < max && (rc = json_body_next(parser, &r)) != 0) {
        FUZZ_CHECK(rc == 1 || rc == ERR_JSON, "json_body_next returned %d", rc);
        FUZZ_CHECK(n <= len, "more records (%zu) than body bytes (%zu): no progress", n, len);
        FUZZ_CHECK(r.raw >= body && r.raw_len <= len && r.raw <= body + len - r.raw_len,
                   "raw view outside the body");
        FUZZ_CHECK(r.index == n, "index %u, expected %zu", r.index, n);
        if (rc == 1) {
            FUZZ_CHECK(r.type <= JSON_ARRAY, "bad record type %u", r.type);
            if (r.type == JSON_OBJECT) {
                FUZZ_CHECK(r.fields != NULL || r.nfields == 0, "NULL fields");
                for (uint32_t i = 0; i < r.nfields; i++)
                    check_field(&r.fields[i], true);
            }
        }
        n++;
        if (rc == ERR_JSON && r.rest)
            break;
    }
    return n;
}

static void body(const char *buf, size_t len)
{
    int rc = json_body_begin(parser, buf, len);
    FUZZ_CHECK(rc == 0 || rc == ERR_NOT_RECORDS || rc == ERR_JSON || rc == -EILSEQ,
               "json_body_begin returned %d", rc);
    if (rc == -EILSEQ)
        FUZZ_CHECK(!fuzz_utf8_valid(buf, len), "-EILSEQ on valid UTF-8");
    if (rc == 0)
        (void)read_records(buf, len, SIZE_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    init();
    if (size == 0)
        return 0;
    uint8_t action = data[0] & 3;
    size_t len = size - 1;
    char *buf = fuzz_padded(data + 1, len);
    switch (action) {
    case 0:
        body(buf, len);
        break;
    case 1: {
        struct json_field f;
        fuzz_json_rewind(parser);
        int rc = json_parse_text(parser, buf, len, &f);
        FUZZ_CHECK(rc == 0 || rc == ERR_JSON, "json_parse_text returned %d", rc);
        if (rc == 0)
            check_field(&f, false);
        break;
    }
    case 2: {
        uint64_t values = 0;
        int rc = json_shim_walk(parser, buf, len, &values);
        FUZZ_CHECK(rc == 0 || rc == ERR_JSON || rc == -EILSEQ, "json_shim_walk returned %d", rc);
        if (rc == 0)
            FUZZ_CHECK(values >= 1 && values <= len, "walk counted %llu values in %zu bytes",
                       (unsigned long long)values, len);
        break;
    }
    default: {
        size_t half = len / 2;
        char *a = fuzz_padded(buf, half), *b = fuzz_padded(buf + half, len - half);
        if (json_body_begin(parser, a, half) == 0)
            (void)read_records(a, half, 1);
        body(b, len - half);
        free(a);
        free(b);
        break;
    }
    }
    free(buf);
    return 0;
}
