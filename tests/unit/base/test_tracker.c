/* test_tracker.c - checkpoint tracker: out-of-order completions, gaps,
 * duplicates, overlap, slot wraparound, published mark. */
#include <errno.h>

#include "err.h"
#include "harness.h"
#include "tracker.h"

static struct tracker t; /* large: keep off the stack */

static int64_t mark_seq(char *off)
{
    int64_t seq, upd;
    char o[TRACKER_OFF_MAX + 1];
    tracker_read(&t, &seq, o, &upd);
    if (off)
        strcpy(off, o);
    return seq;
}

static int begin(int64_t a, int64_t b)
{
    char off[32];
    snprintf(off, sizeof(off), "off%lld", (long long)b);
    return tracker_begin(&t, a, b, off, strlen(off));
}

TEST(starts_at_checkpoint)
{
    tracker_init(&t, 99, "777");
    char off[32];
    CHECK_EQ_INT(mark_seq(off), 99);
    CHECK_EQ_STR(off, "777");
    tracker_init(&t, -1, NULL);
    CHECK_EQ_INT(mark_seq(NULL), -1);
}

TEST(out_of_order_completions_advance_only_contiguously)
{
    tracker_init(&t, -1, NULL);
    int a = begin(0, 9), b = begin(10, 19), c = begin(20, 29), d = begin(30, 39);
    REQUIRE(a >= 0 && b >= 0 && c >= 0 && d >= 0);
    CHECK(!tracker_done(&t, (uint32_t)c)); /* C before A, B: nothing moves */
    CHECK(!tracker_done(&t, (uint32_t)b));
    CHECK_EQ_INT(mark_seq(NULL), -1);
    CHECK(tracker_done(&t, (uint32_t)a)); /* A completes: jumps over B and C */
    char off[32];
    CHECK_EQ_INT(mark_seq(off), 29);
    CHECK_EQ_STR(off, "off29");
    CHECK_EQ_INT(tracker_pending(&t), 1);
    CHECK(tracker_done(&t, (uint32_t)d));
    CHECK_EQ_INT(mark_seq(NULL), 39);
    CHECK_EQ_INT(tracker_pending(&t), 0);
}

TEST(gaps_between_ranges_are_allowed)
{
    tracker_init(&t, 4, "x");
    int a = begin(10, 12); /* 5..9 expired from the hub: a gap */
    int b = begin(100, 100);
    REQUIRE(a >= 0 && b >= 0);
    CHECK(!tracker_done(&t, (uint32_t)b));
    CHECK_EQ_INT(mark_seq(NULL), 4);
    CHECK(tracker_done(&t, (uint32_t)a));
    CHECK_EQ_INT(mark_seq(NULL), 100);
}

TEST(duplicates_and_overlaps_are_refused)
{
    tracker_init(&t, 49, "x");
    CHECK_EQ_INT(begin(40, 49), -EALREADY); /* at or below the checkpoint */
    int a = begin(50, 59);
    REQUIRE(a >= 0);
    CHECK_EQ_INT(begin(50, 59), -EALREADY); /* same range again */
    CHECK_EQ_INT(begin(55, 65), ERR_ORDER); /* overlaps */
    CHECK_EQ_INT(begin(70, 60), ERR_ORDER); /* reversed */
    CHECK(tracker_done(&t, (uint32_t)a));
    CHECK(!tracker_done(&t, (uint32_t)a)); /* duplicate completion: ignored */
    CHECK(!tracker_done(&t, 12345));       /* never issued */
    CHECK_EQ_INT(mark_seq(NULL), 59);
}

TEST(full_tracker_is_backpressure)
{
    tracker_init(&t, -1, NULL);
    int first = -1;
    for (uint32_t i = 0; i < TRACKER_SLOTS; i++) {
        int tok = begin(i * 2, i * 2 + 1);
        REQUIRE(tok >= 0);
        if (i == 0)
            first = tok;
    }
    CHECK_EQ_INT(begin(TRACKER_SLOTS * 2, TRACKER_SLOTS * 2), -EAGAIN);
    CHECK(tracker_done(&t, (uint32_t)first));
    CHECK(begin(TRACKER_SLOTS * 2, TRACKER_SLOTS * 2) >= 0);
}

TEST(slots_wrap_many_times_with_random_completion_order)
{
    tracker_init(&t, -1, NULL);
    uint64_t rng = 12345;
    int pending[64];
    int npend = 0;
    int64_t next = 0, max_done_prefix = -1;
    int64_t lasts[64];
    for (int iter = 0; iter < 20000; iter++) {
        if (npend < 64 && (rng % 3 != 0 || npend == 0)) {
            int64_t len = (int64_t)(rng % 5) + 1;
            int tok = begin(next, next + len - 1);
            REQUIRE(tok >= 0);
            lasts[npend] = next + len - 1;
            pending[npend++] = tok;
            next += len + (int64_t)(rng % 2); /* sometimes a gap */
        } else {
            int k = (int)(rng % (uint64_t)npend);
            (void)tracker_done(&t, (uint32_t)pending[k]);
            pending[k] = pending[npend - 1];
            lasts[k] = lasts[npend - 1];
            npend--;
        }
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        rng ^= rng >> 29;
        /* the watermark never passes a pending range */
        int64_t wm = mark_seq(NULL);
        for (int i = 0; i < npend; i++)
            CHECK(wm < lasts[i]);
        CHECK(wm >= max_done_prefix);
        max_done_prefix = wm;
    }
    while (npend) {
        (void)tracker_done(&t, (uint32_t)pending[--npend]);
    }
    int64_t wm = mark_seq(NULL);
    CHECK(wm >= next - 2 && wm < next);
    CHECK_EQ_INT(tracker_pending(&t), 0);
}

TEST_MAIN()
