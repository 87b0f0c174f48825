/* json_shim.h - the C face of simdjson On Demand (STYLE.md §8, DESIGN.md §4).
 *
 * One struct json_parser per shard thread: it owns two On Demand parsers (one for
 * the message body, one for JSON text found inside strings, e.g. AdditionalFields)
 * and the scratch memory that views point into. simdjson is built with exceptions
 * off; no C++ exception or allocation failure crosses this API, errors come back as
 * -errno or enum err values (err.h).
 *
 * Input contract: every buffer passed in must be followed by JSON_PAD (batch.h)
 * readable bytes; the parser reads in place and never copies the body.
 *
 * Reading a message body ({"records":[...]}):
 *
 *   json_body_begin(p, body, len)        0 | ERR_NOT_RECORDS | ERR_JSON | -EILSEQ
 *   while ((rc = json_body_next(p, &r)) != 0) {
 *       rc == 1:        r is one record (r.type JSON_OBJECT: r.fields are its
 *                       envelope and properties members in one forward pass)
 *       rc == ERR_JSON: record r.index is not JSON; r.raw is its text, or the
 *                       rest of the body when r.rest (its end cannot be found)
 *       rc == -ENOMEM:  stop
 *   }
 *
 * Lifetimes: r.raw and views into the body live as long as the body. Every other
 * view (unescaped strings, compact objects, the fields array, json_parse_text()
 * results) lives in parser-owned memory until the next json_body_next(),
 * json_body_begin(), json_shim_walk() or json_parser_destroy() call: one record
 * is fully handled before the next is read. json_shim_walk() ends a body.
 *
 * Duplicate keys: every occurrence is delivered, in document order, except for a
 * repeated "properties" key, whose later occurrences are skipped (the first one
 * wins; callers apply the same first-wins rule to columns).
 * Strings are unescaped, valid UTF-8: \uXXXX surrogate pairs are decoded and a
 * lone surrogate becomes U+FFFD. Invalid UTF-8 in the body makes
 * json_body_begin() return -EILSEQ (the caller repairs and retries).
 */
#ifndef SLUICE_JSON_SHIM_H
#define SLUICE_JSON_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler.h"

#ifdef __cplusplus
extern "C" {
#endif

enum json_type {
    JSON_NULL,
    JSON_BOOL,
    JSON_NUMBER,
    JSON_STRING,
    JSON_OBJECT,
    JSON_ARRAY,
};

enum json_field_flag {
    JSON_F_PROP = 1,   /* member of "properties" (else an envelope member) */
    JSON_F_INT = 2,    /* number that is integral and fits int64: see .i */
    JSON_F_CLEAN = 4,  /* STRING: the text needs no JSON escaping (no '"', '\\', < 0x20) */
    JSON_F_KCLEAN = 8, /* the key needs no JSON escaping */
};

/* One member of a record. */
struct json_field {
    const char *key;  /* unescaped key; not NUL-terminated */
    const char *val;  /* STRING: unescaped text; NUMBER: JSON number text; OBJECT/ARRAY:
                       * compact JSON text (whitespace removed, strings re-escaped);
                       * BOOL: "true"/"false"; NULL: "null" */
    uint32_t key_len;
    uint32_t val_len;
    int64_t i;        /* BOOL: 0/1; NUMBER with JSON_F_INT: the value; else 0 */
    uint8_t type;     /* enum json_type */
    uint8_t flags;    /* enum json_field_flag */
};

/* One element of records[]. */
struct json_record {
    const struct json_field *fields; /* JSON_OBJECT only: members in document order */
    uint32_t nfields;
    uint32_t index;   /* position in records[] */
    const char *raw;  /* the element as received (or, on error with rest, the rest of body) */
    size_t raw_len;
    uint8_t type;     /* enum json_type of the element */
    bool rest;        /* ERR_JSON only: raw runs to the end of the body; no more records */
};

struct json_parser;

/* A parser with its scratch memory, or NULL (no memory, or the CPU lacks the
 * instruction set the shim was built for). @thread owner */
struct json_parser *json_parser_create(void);
void json_parser_destroy(struct json_parser *p);

/* Start reading the message body buf[0..len) (JSON_PAD readable bytes follow).
 * @return 0: positioned before records[0]; ERR_NOT_RECORDS: valid JSON but no
 * "records" array; ERR_JSON: not JSON and no records array can be found in it;
 * -EILSEQ: invalid UTF-8 (nothing was read); -ENOMEM.
 * @borrows buf until the last view of this body is dropped. @thread owner @hot */
int json_body_begin(struct json_parser *p, const char *buf, size_t len) MUST_CHECK;

/* Read the next element of records[] into *r.
 * @return 1: r holds a record; 0: no more records; ERR_JSON: element r->index is
 * not JSON (r->raw/r->raw_len is its text, r->rest when it runs to the end of the
 * body; iteration may go on); -ENOMEM. @thread owner @hot */
int json_body_next(struct json_parser *p, struct json_record *r) MUST_CHECK;

/* Parse the standalone JSON text s[0..len) (need not be padded: it is copied) and
 * describe its root in *out (key empty): STRING unescaped, NUMBER/BOOL/NULL as in
 * struct json_field, OBJECT/ARRAY as compact JSON text. Used to decode JSON held in
 * strings (AdditionalFields and other dynamic columns).
 * @return 0, ERR_JSON (not exactly one JSON value), -ENOMEM. @thread owner */
int json_parse_text(struct json_parser *p, const char *s, size_t len, struct json_field *out)
    MUST_CHECK;

/* Traverse every value of any JSON document buf[0..len) (JSON_PAD readable bytes
 * follow), unescaping every string and converting every number: the raw-parse
 * reference for benchmarks. *values = number of values visited.
 * @return 0, ERR_JSON, -EILSEQ, -ENOMEM. @thread owner */
int json_shim_walk(struct json_parser *p, const char *buf, size_t len, uint64_t *values)
    MUST_CHECK;

#ifdef __cplusplus
}
#endif

#endif
