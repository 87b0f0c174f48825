/* test_eh_serve.c - the parts of the emulator (io/eh_serve.c) that need no socket:
 * selector filters and start positions (eventhubs.md §1.4), the wire types of
 * delivered events (§1.5), $management READ maps and $cbs put-token answers
 * (§1.6, §1.3), addresses, and splitting a producer's batch envelope (§1.8).
 * The .c is included to reach its statics (STYLE.md §2, h2o pattern). */
#include "eh_serve.c"

#include "harness.h"

static struct eh_serve *mk(const char *key_name, const char *key)
{
    static const char *cgs[] = {"cg1"};
    struct eh_serve_opts o = {.host = "127.0.0.1",
                              .port = "0",
                              .hub = "eh1",
                              .cgs = cgs,
                              .ncgs = 1,
                              .partitions = 2,
                              .created_ms = 1700000000123,
                              .sas_key_name = key_name,
                              .sas_key = key};
    int err = 0;
    g_log_level = LOG_ERR; /* respond() finds no reply link here and would warn */
    struct eh_serve *s = eh_serve_create(&o, &err);
    if (!s)
        abort();
    for (int64_t i = 0; i < 5; i++) {
        char off[16];
        snprintf(off, sizeof(off), "%" PRId64, i * 100);
        struct capture_event ev = {.seq = 10 + i,
                                   .enq_ms = 1000 + i * 10,
                                   .off = off,
                                   .off_len = strlen(off),
                                   .key = i == 2 ? "pk" : NULL,
                                   .key_len = i == 2 ? 2 : 0,
                                   .body = "{\"records\":[]}",
                                   .body_len = 14};
        if (eh_serve_add(s, 0, &ev) != 0)
            abort();
    }
    return s;
}

static int64_t start_of(struct eh_serve *s, const char *expr)
{
    struct sel sl;
    if (sel_parse(expr, strlen(expr), &sl) != 0)
        return -100;
    return sel_start(&s->parts[0], &sl);
}

TEST(selector_every_form)
{
    struct eh_serve *s = mk(NULL, NULL);
    CHECK_EQ_INT(start_of(s, "amqp.annotation.x-opt-offset > '-1'"), 0);
    CHECK_EQ_INT(start_of(s, "amqp.annotation.x-opt-offset > '@latest'"), 5);
    CHECK_EQ_INT(start_of(s, "amqp.annotation.x-opt-offset > '200'"), 3);
    CHECK_EQ_INT(start_of(s, "amqp.annotation.x-opt-offset >= '200'"), 2);
    CHECK_EQ_INT(start_of(s, "amqp.annotation.x-opt-offset >'150'"), 2); /* between events */
    CHECK_EQ_INT(start_of(s, "amqp.annotation.x-opt-sequence-number > '11'"), 2);
    CHECK_EQ_INT(start_of(s, "amqp.annotation.x-opt-sequence-number >= '11'"), 1);
    CHECK_EQ_INT(start_of(s, "amqp.annotation.x-opt-sequence-number > 14"), 5);
    CHECK_EQ_INT(start_of(s, "amqp.annotation.x-opt-sequence-number > '-1'"), 0);
    CHECK_EQ_INT(start_of(s, "amqp.annotation.x-opt-enqueued-time > '1020'"), 3);
    CHECK_EQ_INT(start_of(s, "amqp.annotation.x-opt-enqueued-time >= '1020'"), 2);
    CHECK_EQ_INT(start_of(s, "amqp.annotation.x-opt-enqueuedtimeutc > '0'"), 0);
    CHECK_EQ_INT(start_of(s, "  amqp.annotation.x-opt-offset   >=   '0'  "), 0);
    CHECK_EQ_INT(start_of(s, "amqp.annotation.x-opt-offset < '1'"), -100);
    CHECK_EQ_INT(start_of(s, "amqp.annotation.x-opt-bogus > '1'"), -100);
    CHECK_EQ_INT(start_of(s, "x-opt-offset > '1'"), -100);
    CHECK_EQ_INT(start_of(s, "amqp.annotation.x-opt-offset > 'abc"), -100);
    CHECK_EQ_INT(start_of(s, "amqp.annotation.x-opt-offset > 'abc'"), -1); /* unknown offset */
    eh_serve_destroy(s);
}

TEST(event_wire_types)
{
    struct eh_serve *s = mk(NULL, NULL);
    for (int i = 1; i <= 2; i++) {
        const struct ev *e = &s->parts[0].ev[i];
        size_t n = encode_event(s, &s->parts[0], e);
        REQUIRE(n > 0);
        pn_message_t *m = pn_message();
        CHECK_EQ_INT(pn_message_decode(m, s->eb, n), 0);
        pn_data_t *ma = pn_message_annotations(m);
        pn_data_rewind(ma);
        REQUIRE(pn_data_next(ma) && pn_data_type(ma) == PN_MAP);
        pn_data_enter(ma);
        REQUIRE(pn_data_lookup(ma, "x-opt-sequence-number"));
        CHECK_EQ_INT(pn_data_type(ma), PN_LONG);
        CHECK_EQ_INT(pn_data_get_long(ma), 10 + i);
        pn_data_rewind(ma);
        pn_data_next(ma);
        pn_data_enter(ma);
        REQUIRE(pn_data_lookup(ma, "x-opt-offset"));
        CHECK_EQ_INT(pn_data_type(ma), PN_STRING);
        CHECK(bytes_eq(pn_data_get_string(ma), i == 1 ? "100" : "200"));
        pn_data_rewind(ma);
        pn_data_next(ma);
        pn_data_enter(ma);
        REQUIRE(pn_data_lookup(ma, "x-opt-enqueued-time"));
        CHECK_EQ_INT(pn_data_type(ma), PN_TIMESTAMP);
        CHECK_EQ_INT(pn_data_get_timestamp(ma), 1000 + i * 10);
        pn_data_rewind(ma);
        pn_data_next(ma);
        pn_data_enter(ma);
        bool has_key = pn_data_lookup(ma, "x-opt-partition-key");
        CHECK_EQ_INT(has_key, i == 2);
        if (has_key) {
            CHECK_EQ_INT(pn_data_type(ma), PN_STRING);
            CHECK(bytes_eq(pn_data_get_string(ma), "pk"));
        }
        /* delivery annotations: the runtime metric, the partition's last event */
        pn_data_t *da = pn_message_instructions(m);
        pn_data_rewind(da);
        REQUIRE(pn_data_next(da) && pn_data_type(da) == PN_MAP);
        pn_data_enter(da);
        REQUIRE(pn_data_lookup(da, "last_enqueued_sequence_number"));
        CHECK_EQ_INT(pn_data_type(da), PN_LONG);
        CHECK_EQ_INT(pn_data_get_long(da), 14);
        pn_data_rewind(da);
        pn_data_next(da);
        pn_data_enter(da);
        REQUIRE(pn_data_lookup(da, "last_enqueued_offset"));
        CHECK_EQ_INT(pn_data_type(da), PN_STRING);
        CHECK(bytes_eq(pn_data_get_string(da), "400"));
        pn_data_rewind(da);
        pn_data_next(da);
        pn_data_enter(da);
        REQUIRE(pn_data_lookup(da, "last_enqueued_time_utc"));
        CHECK_EQ_INT(pn_data_type(da), PN_TIMESTAMP);
        CHECK_EQ_INT(pn_data_get_timestamp(da), 1040);
        pn_data_rewind(da);
        pn_data_next(da);
        pn_data_enter(da);
        REQUIRE(pn_data_lookup(da, "runtime_info_retrieval_time_utc"));
        CHECK_EQ_INT(pn_data_type(da), PN_TIMESTAMP);
        /* one data section: proton reports it as an inferred binary body */
        CHECK(pn_message_is_inferred(m));
        pn_data_t *b = pn_message_body(m);
        pn_data_rewind(b);
        REQUIRE(pn_data_next(b) && pn_data_type(b) == PN_BINARY);
        CHECK(bytes_eq(pn_data_get_binary(b), "{\"records\":[]}"));
        pn_message_free(m);
    }
    eh_serve_destroy(s);
}

/* Put app-properties {operation, type, name[, partition]} on s->req. */
static void request(struct eh_serve *s, const char *op, const char *type, const char *name,
                    const char *part)
{
    pn_message_clear(s->req);
    pn_atom_t id = {.type = PN_STRING};
    id.u.as_bytes = pn_bytes(4, "id-1");
    pn_message_set_id(s->req, id);
    pn_data_t *ap = pn_message_properties(s->req);
    pn_data_put_map(ap);
    pn_data_enter(ap);
    put_kv_str(ap, "operation", op, strlen(op));
    put_kv_str(ap, "type", type, strlen(type));
    put_kv_str(ap, "name", name, strlen(name));
    if (part)
        put_kv_str(ap, "partition", part, strlen(part));
    pn_data_exit(ap);
}

static int resp_status(struct eh_serve *s)
{
    pn_data_t *ap = pn_message_properties(s->resp);
    pn_data_rewind(ap);
    if (!pn_data_next(ap))
        return -1;
    pn_data_enter(ap);
    if (!pn_data_lookup(ap, "status-code") || pn_data_type(ap) != PN_INT)
        return -2;
    return pn_data_get_int(ap);
}

/* Position the response body on key k; its type. */
static pn_type_t body_at(struct eh_serve *s, const char *k)
{
    pn_data_t *b = pn_message_body(s->resp);
    pn_data_rewind(b);
    if (!pn_data_next(b) || pn_data_type(b) != PN_MAP)
        return PN_INVALID;
    pn_data_enter(b);
    return pn_data_lookup(b, k) ? pn_data_type(b) : PN_INVALID;
}

TEST(management_read_types)
{
    struct eh_serve *s = mk(NULL, NULL);
    struct conn c = {0};
    request(s, "READ", "com.microsoft:eventhub", "EH1", NULL);
    handle_mgmt(s, &c);
    CHECK_EQ_INT(resp_status(s), 200);
    pn_msgid_t cid = pn_message_get_correlation_id(s->resp);
    CHECK(cid.type == PN_STRING && bytes_eq(cid.u.as_bytes, "id-1"));
    CHECK_EQ_INT(body_at(s, "name"), PN_STRING);
    CHECK_EQ_INT(body_at(s, "created_at"), PN_TIMESTAMP);
    CHECK_EQ_INT(pn_data_get_timestamp(pn_message_body(s->resp)), 1700000000123);
    CHECK_EQ_INT(body_at(s, "partition_count"), PN_INT);
    CHECK_EQ_INT(pn_data_get_int(pn_message_body(s->resp)), 2);
    CHECK_EQ_INT(body_at(s, "partition_ids"), PN_ARRAY);
    pn_data_t *b = pn_message_body(s->resp);
    CHECK_EQ_INT(pn_data_get_array(b), 2);
    CHECK_EQ_INT(pn_data_get_array_type(b), PN_STRING);

    request(s, "READ", "com.microsoft:partition", "eh1", "0");
    handle_mgmt(s, &c);
    CHECK_EQ_INT(resp_status(s), 200);
    CHECK_EQ_INT(body_at(s, "partition"), PN_STRING);
    CHECK_EQ_INT(body_at(s, "begin_sequence_number"), PN_LONG);
    CHECK_EQ_INT(pn_data_get_long(pn_message_body(s->resp)), 10);
    CHECK_EQ_INT(body_at(s, "last_enqueued_sequence_number"), PN_LONG);
    CHECK_EQ_INT(pn_data_get_long(pn_message_body(s->resp)), 14);
    CHECK_EQ_INT(body_at(s, "last_enqueued_offset"), PN_STRING);
    CHECK(bytes_eq(pn_data_get_string(pn_message_body(s->resp)), "400"));
    CHECK_EQ_INT(body_at(s, "last_enqueued_time_utc"), PN_TIMESTAMP);
    CHECK_EQ_INT(pn_data_get_timestamp(pn_message_body(s->resp)), 1040);
    CHECK_EQ_INT(body_at(s, "is_partition_empty"), PN_BOOL);
    CHECK(!pn_data_get_bool(pn_message_body(s->resp)));

    request(s, "READ", "com.microsoft:partition", "eh1", "1"); /* empty partition */
    handle_mgmt(s, &c);
    CHECK_EQ_INT(body_at(s, "is_partition_empty"), PN_BOOL);
    CHECK(pn_data_get_bool(pn_message_body(s->resp)));
    CHECK_EQ_INT(body_at(s, "last_enqueued_sequence_number"), PN_LONG);
    CHECK_EQ_INT(pn_data_get_long(pn_message_body(s->resp)), -1);

    request(s, "READ", "com.microsoft:partition", "eh1", "2");
    handle_mgmt(s, &c);
    CHECK_EQ_INT(resp_status(s), 404);
    request(s, "READ", "com.microsoft:eventhub", "other", NULL);
    handle_mgmt(s, &c);
    CHECK_EQ_INT(resp_status(s), 404);
    eh_serve_destroy(s);
}

static void put_token(struct eh_serve *s, struct conn *c, const char *aud, const char *tok)
{
    request(s, "put-token", "servicebus.windows.net:sastoken", aud, NULL);
    pn_data_put_string(pn_message_body(s->req), pn_bytes(strlen(tok), tok));
    handle_cbs(s, c);
}

TEST(cbs_sas_verification)
{
    struct eh_serve *s = mk("RootManageSharedAccessKey", "SAS_KEY_VALUE");
    char tok[512];
    int64_t exp = clock_real_ms() / 1000 + 3600;
    struct conn c = {0};
    REQUIRE(eh_sas_token("sb://127.0.0.1/eh1", "RootManageSharedAccessKey", "SAS_KEY_VALUE", exp,
                         tok, sizeof(tok)) == 0);
    put_token(s, &c, "sb://127.0.0.1/eh1/ConsumerGroups/$default/Partitions/0", tok);
    CHECK_EQ_INT(resp_status(s), 202);
    CHECK(c.authorized);

    struct conn c2 = {0};
    put_token(s, &c2, "sb://127.0.0.1/other", tok); /* token does not cover it */
    CHECK_EQ_INT(resp_status(s), 401);
    CHECK(!c2.authorized);
    REQUIRE(eh_sas_token("sb://127.0.0.1/eh1", "RootManageSharedAccessKey", "WRONG", exp, tok,
                         sizeof(tok)) == 0);
    put_token(s, &c2, "sb://127.0.0.1/eh1", tok);
    CHECK_EQ_INT(resp_status(s), 401);
    pn_data_t *ap = pn_message_properties(s->resp);
    pn_bytes_t d = {0};
    CHECK(ap_get(ap, "status-description", &d) &&
          memmem(d.start, d.size, "'RootManageSharedAccessKey'", 27));
    CHECK(!c2.authorized);
    REQUIRE(eh_sas_token("sb://127.0.0.1/eh1", "RootManageSharedAccessKey", "SAS_KEY_VALUE", 1000,
                         tok, sizeof(tok)) == 0);
    put_token(s, &c2, "sb://127.0.0.1/eh1", tok); /* expired */
    CHECK_EQ_INT(resp_status(s), 401);
    CHECK(!c2.authorized);
    eh_serve_destroy(s);

    s = mk(NULL, NULL); /* no key: anything goes */
    put_token(s, &c2, "sb://x/y", "garbage");
    CHECK_EQ_INT(resp_status(s), 202);
    CHECK(c2.authorized);
    eh_serve_destroy(s);
}

TEST(addresses)
{
    struct eh_serve *s = mk(NULL, NULL);
    uint32_t cg = 9, p = 9;
    char why[256];
    CHECK_EQ_INT(
        parse_source(s, "eh1/ConsumerGroups/$default/Partitions/1", &cg, &p, why, sizeof(why)), 0);
    CHECK_EQ_INT(cg, 0);
    CHECK_EQ_INT(p, 1);
    CHECK_EQ_INT(parse_source(s, "/EH1/consumergroups/CG1/partitions/0", &cg, &p, why, sizeof(why)),
                 0);
    CHECK_EQ_INT(cg, 1);
    CHECK_EQ_INT(parse_source(s, "amqps://ns.example.net/eh1/ConsumerGroups/cg1/Partitions/0", &cg,
                              &p, why, sizeof(why)),
                 0);
    CHECK_EQ_INT(parse_source(s, "eh1/ConsumerGroups/cg2/Partitions/0", &cg, &p, why, sizeof(why)),
                 -ENOENT);
    CHECK(strstr(why, "could not be found") != NULL);
    CHECK_EQ_INT(parse_source(s, "eh1/ConsumerGroups/cg1/Partitions/2", &cg, &p, why, sizeof(why)),
                 -ENOENT);
    CHECK_EQ_INT(
        parse_source(s, "eh1/ConsumerGroups/cg1/Partitions/0/x", &cg, &p, why, sizeof(why)),
        -ENOENT);
    CHECK(audience_covers("sb://h/eh1", "amqps://h/eh1/ConsumerGroups/a/Partitions/0", 43));
    CHECK(audience_covers("sb://h/", "sb://h/eh1", 10));
    CHECK(!audience_covers("sb://h/eh1", "sb://h/eh10", 11));
    eh_serve_destroy(s);
}

/* Encode a message with optional partition key annotation and app property n. */
static size_t enc_msg(char *out, size_t cap, const char *body, const char *key, int n)
{
    pn_message_t *m = pn_message();
    pn_message_set_inferred(m, true);
    pn_data_put_binary(pn_message_body(m), pn_bytes(strlen(body), body));
    if (key) {
        pn_data_t *ma = pn_message_annotations(m);
        pn_data_put_map(ma);
        pn_data_enter(ma);
        pn_data_put_symbol(ma, pn_bytes(19, "x-opt-partition-key"));
        pn_data_put_string(ma, pn_bytes(strlen(key), key));
        pn_data_exit(ma);
    }
    pn_data_t *ap = pn_message_properties(m);
    pn_data_put_map(ap);
    pn_data_enter(ap);
    pn_data_put_string(ap, pn_bytes(1, "n"));
    pn_data_put_int(ap, n);
    pn_data_exit(ap);
    size_t len = cap;
    if (pn_message_encode(m, out, &len) != 0)
        len = 0;
    pn_message_free(m);
    return len;
}

TEST(producer_batch_split)
{
    struct eh_serve *s = mk(NULL, NULL);
    struct conn c = {0};
    struct lnk k = {.kind = LK_TX, .c = &c, .tx_part = -1};
    char env[4096], inner[512];
    size_t n = 0;
    /* envelope: three data sections, each an encoded message without a key */
    for (int i = 0; i < 3; i++) {
        char body[32];
        snprintf(body, sizeof(body), "{\"i\":%d}", i);
        size_t m = enc_msg(inner, sizeof(inner), body, NULL, i);
        REQUIRE(m > 0);
        memcpy(env + n, "\x00\x53\x75\xb0", 4);
        (void)put_be32((uint8_t *)env + n + 4, (uint32_t)m);
        memcpy(env + n + 8, inner, m);
        n += 8 + m;
    }
    uint32_t touched[CAPTURE_MAX_PARTITIONS / 32] = {0};
    CHECK_EQ_INT(ingest(s, &k, env, n, touched), 0);
    CHECK_EQ_U64(s->parts[0].n, 5 + 2); /* 0, 2 of the three (round robin from 0) */
    CHECK_EQ_U64(s->parts[1].n, 1);
    CHECK_EQ_INT(touched[0], 3);
    /* appended events continue the partition: seq, offset = previous offset + body */
    const struct ev *e = &s->parts[0].ev[5];
    CHECK_EQ_INT(e->seq, 15);
    CHECK(e->sections);
    CHECK_EQ_INT(e->key_len, 0);
    char off[16];
    snprintf(off, sizeof(off), "%.*s", (int)e->off_len, e->mem);
    CHECK_EQ_STR(off, "414");
    CHECK_EQ_INT(s->parts[1].ev[0].off_len, 1); /* first offset of an empty partition: "0" */
    CHECK_EQ_INT(s->parts[1].ev[0].mem[0], '0');
    /* delivered again, the event decodes with our annotations and its own properties */
    size_t dn = encode_event(s, &s->parts[0], e);
    pn_message_t *m = pn_message();
    REQUIRE(pn_message_decode(m, s->eb, dn) == 0);
    pn_data_t *ap = pn_message_properties(m);
    pn_data_rewind(ap);
    REQUIRE(pn_data_next(ap));
    pn_data_enter(ap);
    REQUIRE(pn_data_lookup(ap, "n"));
    CHECK_EQ_INT(pn_data_get_int(ap), 0);
    pn_data_t *b = pn_message_body(m);
    pn_data_rewind(b);
    REQUIRE(pn_data_next(b) && pn_data_type(b) == PN_BINARY);
    CHECK(bytes_eq(pn_data_get_binary(b), "{\"i\":0}"));
    pn_message_free(m);

    /* a single keyed event (not a batch): its own key picks the partition */
    size_t m1 = enc_msg(inner, sizeof(inner), "{\"k\":1}", "user-7", 7);
    memset(touched, 0, sizeof(touched));
    CHECK_EQ_INT(ingest(s, &k, inner, m1, touched), 0);
    uint32_t want = key_hash("user-7", 6) % 2;
    const struct part *p = &s->parts[want];
    CHECK_EQ_INT(p->ev[p->n - 1].key_len, 6);
    /* an explicit partition wins */
    k.tx_part = 1;
    size_t before = s->parts[1].n;
    CHECK_EQ_INT(ingest(s, &k, inner, m1, touched), 0);
    CHECK_EQ_U64(s->parts[1].n, before + 1);
    /* garbage is refused */
    CHECK_EQ_INT(ingest(s, &k, "\x00\x53\x75\xb0\xff\xff", 6, touched), -EINVAL);
    eh_serve_destroy(s);
}

TEST_MAIN()
