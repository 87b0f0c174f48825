/* test_pool.c - pools and batches: layout, padding, exhaustion, return. */
#include "batch.h"
#include "harness.h"
#include "pool.h"

TEST(create_rejects_bad_sizes)
{
    CHECK(pool_create(0, 0, 65536, NULL) == NULL);
    CHECK(pool_create(0, 4, 1000, NULL) == NULL);  /* not a power of two */
    CHECK(pool_create(0, 4, 2048, NULL) == NULL);  /* below 4 KiB */
}

TEST(get_until_empty_then_return)
{
    struct pool *p = pool_create(7, 3, 4096, NULL);
    REQUIRE(p);
    CHECK_EQ_INT(pool_home(p), 3);
    struct batch *b[4];
    for (int i = 0; i < 3; i++) {
        b[i] = pool_get(p);
        REQUIRE(b[i]);
        CHECK(b[i]->pool == p);
        CHECK(((uintptr_t)b[i] & 63) == 0);
        CHECK_EQ_INT(b[i]->cap, 4096);
    }
    b[3] = pool_get(p);
    CHECK(b[3] == NULL); /* exhausted: backpressure, not an error */
    for (int i = 0; i < 3; i++)
        pool_put(b[i]);
    CHECK_EQ_INT(pool_home(p), 3);
    pool_destroy(p);
}

TEST(batch_add_layout_and_padding)
{
    struct pool *p = pool_create(1, 1, 4096, NULL);
    REQUIRE(p);
    struct batch *b = pool_get(p);
    REQUIRE(b);
    batch_reset(b, 5);
    memset((char *)b + sizeof(*b), 0xAB, b->cap - sizeof(*b)); /* pool memory is not zeroed */
    const char *body = "{\"records\":[]}";
    char *dst = batch_add(b, 41, 1000, "812", 3, "key", 3, "f.log", 5, 7, 2, strlen(body));
    REQUIRE(dst);
    memcpy(dst, body, strlen(body));
    dst = batch_add(b, 42, 1001, "900", 3, NULL, 0, NULL, 0, 0, 1, 10);
    REQUIRE(dst);
    memcpy(dst, "0123456789", 10);
    CHECK_EQ_INT(b->count, 2);
    CHECK_EQ_INT(b->partition, 5);
    CHECK_EQ_INT(b->first_seq, 41);
    CHECK_EQ_INT(b->last_seq, 42);
    CHECK_EQ_INT(b->bytes, strlen(body) + 10);
    const struct batch_msg *m = &b->msgs[0];
    CHECK_EQ_MEM(batch_ptr(b, m->body_off), body, strlen(body));
    for (int i = 0; i < JSON_PAD; i++)
        CHECK(batch_ptr(b, m->body_off)[strlen(body) + i] == 0);
    CHECK_EQ_MEM(batch_ptr(b, m->off_off), "812", 3);
    CHECK_EQ_MEM(batch_ptr(b, m->key_off), "key", 3);
    CHECK_EQ_MEM(batch_ptr(b, m->origin_off), "f.log", 5);
    CHECK_EQ_INT(m->origin_line, 7);
    CHECK_EQ_INT(m->records, 2);
    CHECK(b->desc_end <= b->data_low);
    /* fill until full: batch_add refuses without corrupting anything */
    int added = 0;
    while (batch_add(b, 43 + added, 0, "1", 1, NULL, 0, NULL, 0, 0, 0, 100))
        added++;
    CHECK(added > 10);
    CHECK(b->desc_end <= b->data_low);
    CHECK_EQ_MEM(batch_ptr(b, b->msgs[0].body_off), body, strlen(body));
    CHECK(!batch_fits_empty(4096, 5000, 0));
    CHECK(batch_fits_empty(4096, 1000, 10));
    pool_put(b);
    pool_destroy(p);
}

TEST_MAIN()
