/* test_ring.c - SPSC ring: burst semantics, fill levels, index wraparound. */
#include "harness.h"
#include "ring.h"

TEST(create_rejects_bad_sizes)
{
    CHECK(ring_create(0) == NULL);
    CHECK(ring_create(1) == NULL);
    CHECK(ring_create(3) == NULL);
    CHECK(ring_create(100) == NULL);
    struct ring *r = ring_create(8);
    REQUIRE(r);
    CHECK_EQ_INT(r->cap, 8);
    CHECK_EQ_INT(r->mask, 7);
    ring_destroy(r);
}

TEST(head_and_tail_on_separate_lines)
{
    CHECK((offsetof(struct ring, cons) - offsetof(struct ring, prod)) >= 128);
    CHECK(offsetof(struct ring, slots) - offsetof(struct ring, cons) >= 128);
}

TEST(push_pop_fifo_and_partial_bursts)
{
    struct ring *r = ring_create(8);
    REQUIRE(r);
    void *in[12], *out[12];
    for (uintptr_t i = 0; i < 12; i++)
        in[i] = (void *)(i + 1);
    CHECK_EQ_INT(ring_push_burst(r, in, 5), 5);
    CHECK_EQ_INT(ring_push_burst(r, in + 5, 5), 3); /* only 3 fit */
    CHECK_EQ_INT(ring_push_burst(r, in, 1), 0);     /* full */
    CHECK_EQ_INT(ring_count_consumer(r), 8);
    CHECK_EQ_INT(ring_free_producer(r), 0);
    CHECK_EQ_INT(ring_pop_burst(r, out, 3), 3);
    for (int i = 0; i < 3; i++)
        CHECK(out[i] == in[i]);
    CHECK_EQ_INT(ring_pop_burst(r, out, 12), 5);
    for (int i = 0; i < 5; i++)
        CHECK(out[i] == in[3 + i]);
    CHECK_EQ_INT(ring_pop_burst(r, out, 1), 0); /* empty */
    ring_destroy(r);
}

TEST(indices_wrap_around_2_32)
{
    struct ring *r = ring_create(4);
    REQUIRE(r);
    /* Start just below the uint32 wrap; tail - head stays correct across it. */
    uint32_t start = UINT32_MAX - 5;
    atomic_store(&r->prod.tail, start);
    atomic_store(&r->cons.head, start);
    r->prod.head_cache = start;
    r->cons.tail_cache = start;
    uintptr_t next_in = 1, next_out = 1;
    for (int round = 0; round < 50; round++) {
        void *v[3];
        for (int i = 0; i < 3; i++)
            v[i] = (void *)next_in++;
        unsigned n = ring_push_burst(r, v, 3);
        next_in -= 3 - n;
        void *o[4];
        unsigned m = ring_pop_burst(r, o, 2);
        for (unsigned i = 0; i < m; i++)
            CHECK(o[i] == (void *)next_out++);
        CHECK(ring_count_consumer(r) <= 4);
    }
    void *o[4];
    unsigned m;
    while ((m = ring_pop_burst(r, o, 4)) > 0)
        for (unsigned i = 0; i < m; i++)
            CHECK(o[i] == (void *)next_out++);
    CHECK_EQ_U64(next_in, next_out);
    CHECK(atomic_load(&r->prod.tail) < start); /* it did wrap */
    ring_destroy(r);
}

TEST_MAIN()
