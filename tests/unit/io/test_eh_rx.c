/* test_eh_rx.c - the parts of the Event Hubs receiver that need no server:
 * start positions, selector filter expressions (eventhubs.md §1.4), and
 * decoding of received events from messages encoded here with proton the way
 * the service sends them (annotation types of §1.5). */
#include "eh_rx.h"
#include "harness.h"

#include <errno.h>

#include <proton/message.h>

#include "err.h"

static char why[256];

static const char *expr_of(const char *start)
{
    static char out[160];
    struct eh_start s;
    if (eh_start_parse(start, &s, why, sizeof(why)) != 0)
        return "(parse failed)";
    if (eh_filter_expr(&s, out, sizeof(out)) < 0)
        return "(expr failed)";
    return out;
}

TEST(filter_every_start_form)
{
    CHECK_EQ_STR(expr_of("earliest"), "amqp.annotation.x-opt-offset > '-1'");
    CHECK_EQ_STR(expr_of("latest"), "amqp.annotation.x-opt-offset > '@latest'");
    CHECK_EQ_STR(expr_of("seq:41"), "amqp.annotation.x-opt-sequence-number > '41'");
    CHECK_EQ_STR(expr_of("seq:-1"), "amqp.annotation.x-opt-sequence-number > '-1'");
    CHECK_EQ_STR(expr_of("offset:8812"), "amqp.annotation.x-opt-offset > '8812'");
    CHECK_EQ_STR(expr_of("offset:geo:1:abc"), "amqp.annotation.x-opt-offset > 'geo:1:abc'");
    CHECK_EQ_STR(expr_of("time:1700000000000"),
                 "amqp.annotation.x-opt-enqueued-time > '1700000000000'");
    CHECK_EQ_STR(expr_of("time:2023-11-14T22:13:20Z"),
                 "amqp.annotation.x-opt-enqueued-time > '1700000000000'");
    CHECK_EQ_STR(expr_of("time:2023-11-14T22:13:20.5Z"),
                 "amqp.annotation.x-opt-enqueued-time > '1700000000500'");
}

TEST(checkpoint_resume_is_exclusive_seq)
{
    struct eh_start s = {.kind = EH_START_SEQ, .seq = 9223372036854775806LL};
    char out[160];
    CHECK(eh_filter_expr(&s, out, sizeof(out)) > 0);
    CHECK_EQ_STR(out, "amqp.annotation.x-opt-sequence-number > '9223372036854775806'");
    CHECK_EQ_INT(eh_filter_expr(&s, out, 10), -ENOSPC);
}

TEST(start_rejects)
{
    struct eh_start s;
    const char *bad[] = {"", "first", "seq:", "seq:x", "seq:-2", "offset:", "offset:a'b",
                         "time:", "time:yesterday", "time:2023-13-01T00:00:00Z",
                         "time:2023-11-14T22:13:20+02:00"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why[0] = '\0';
        if (eh_start_parse(bad[i], &s, why, sizeof(why)) != -EINVAL)
            HFAIL("accepted \"%s\"", bad[i]);
        CHECK(why[0] != '\0');
    }
}

/* Encode an event as the service sends it. */
static size_t encode(char *buf, size_t cap, bool data_body, bool with_key, bool with_seq)
{
    pn_message_t *m = pn_message();
    const char *json = "{\"records\":[]}";
    if (data_body) {
        pn_message_set_inferred(m, true);
        pn_data_put_binary(pn_message_body(m), pn_bytes(strlen(json), json));
    } else {
        pn_data_put_string(pn_message_body(m), pn_bytes(strlen(json), json));
    }
    pn_data_t *ma = pn_message_annotations(m);
    pn_data_put_map(ma);
    pn_data_enter(ma);
    if (with_seq) {
        pn_data_put_symbol(ma, pn_bytes(21, "x-opt-sequence-number"));
        pn_data_put_long(ma, 4242);
    }
    pn_data_put_symbol(ma, pn_bytes(12, "x-opt-offset"));
    pn_data_put_string(ma, pn_bytes(6, "123456"));
    pn_data_put_symbol(ma, pn_bytes(19, "x-opt-enqueued-time"));
    pn_data_put_timestamp(ma, 1700000000123LL);
    if (with_key) {
        pn_data_put_symbol(ma, pn_bytes(19, "x-opt-partition-key"));
        pn_data_put_string(ma, pn_bytes(5, "host1"));
    }
    pn_data_put_symbol(ma, pn_bytes(15, "x-opt-publisher"));
    pn_data_put_string(ma, pn_bytes(1, "p"));
    pn_data_exit(ma);
    size_t n = cap;
    int rc = pn_message_encode(m, buf, &n);
    pn_message_free(m);
    return rc == 0 ? n : 0;
}

TEST(decode_data_section)
{
    char buf[1024];
    size_t n = encode(buf, sizeof(buf), true, true, true);
    REQUIRE(n > 0);
    struct eh_decoder *d = eh_decoder_create();
    REQUIRE(d);
    struct eh_event ev;
    CHECK_EQ_INT(eh_event_decode(d, buf, n, &ev), 0);
    CHECK_EQ_INT(ev.seq, 4242);
    CHECK_EQ_INT(ev.enq_ms, 1700000000123LL);
    CHECK_EQ_INT(ev.off_len, 6);
    CHECK_EQ_MEM(ev.off, "123456", 6);
    CHECK_EQ_INT(ev.key_len, 5);
    CHECK_EQ_MEM(ev.key, "host1", 5);
    CHECK_EQ_INT(ev.body_len, 14);
    CHECK_EQ_MEM(ev.body, "{\"records\":[]}", 14);
    eh_decoder_destroy(d);
}

TEST(decode_amqp_value_string_no_key)
{
    char buf[1024];
    size_t n = encode(buf, sizeof(buf), false, false, true);
    REQUIRE(n > 0);
    struct eh_decoder *d = eh_decoder_create();
    REQUIRE(d);
    struct eh_event ev;
    CHECK_EQ_INT(eh_event_decode(d, buf, n, &ev), 0);
    CHECK_EQ_INT(ev.seq, 4242);
    CHECK_EQ_INT(ev.key_len, 0);
    CHECK_EQ_INT(ev.body_len, 14);
    CHECK_EQ_MEM(ev.body, "{\"records\":[]}", 14);
    eh_decoder_destroy(d);
}

TEST(decode_rejects)
{
    char buf[1024];
    size_t n = encode(buf, sizeof(buf), true, false, false);
    REQUIRE(n > 0);
    struct eh_decoder *d = eh_decoder_create();
    REQUIRE(d);
    struct eh_event ev;
    CHECK_EQ_INT(eh_event_decode(d, buf, n, &ev), ERR_FORMAT); /* no sequence number */
    CHECK_EQ_INT(eh_event_decode(d, "\x00\x53garbage", 9, &ev), ERR_FORMAT);
    eh_decoder_destroy(d);
}

TEST(plain_amqp_only_to_loopback)
{
    struct eh_rx_cfg c;
    memset(&c, 0, sizeof(c));
    snprintf(c.host, sizeof(c.host), "ns.servicebus.windows.net");
    c.port = 5672;
    c.tls = false;
    snprintf(c.hub, sizeof(c.hub), "h");
    snprintf(c.cg, sizeof(c.cg), "$Default");
    snprintf(c.partition, sizeof(c.partition), "0");
    int err = 0;
    CHECK(eh_rx_create(&c, &err) == NULL);
    CHECK_EQ_INT(err, -EINVAL);
}

TEST(status_names)
{
    CHECK_EQ_STR(eh_status_name(EH_ST_STOLEN), "stolen");
    CHECK_EQ_STR(eh_status_name(EH_ST_BUSY), "server_busy");
    CHECK_EQ_STR(eh_status_name(EH_ST_QUOTA), "quota_exceeded");
    CHECK_EQ_STR(eh_status_name(EH_ST_UNAUTHORIZED), "unauthorized");
}

TEST_MAIN()
