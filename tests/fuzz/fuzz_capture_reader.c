/* fuzz_capture_reader.c - libFuzzer target: capture_open() and every
 * partition's reader to the end over arbitrary file contents.
 *
 * The input lives in one memfd made at the first call (no file or process per
 * input) and is opened by path as /proc/self/fd/N, which the capture API opens
 * itself. Every partition with blocks is read (and the first four
 * in any case). Byte 0 bit 0 set: recompute the file-header CRC and every block's
 * header and LZ4 CRCs first (in place, front to back), so that mutations reach
 * the indexer's range checks, the LZ4 decoder and the event layout checks.
 * Any error code is fine; crashes, leaks, UB and endless loops are not. Events
 * returned must lie in the partition's sequence range, in order, with their
 * bodies readable (body + CAPTURE_PAD bytes are touched).
 */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "capture.h"
#include "err.h"
#include "frame.h"
#include "fuzz_util.h"

static int mfd = -1;
static char path[64];

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* capture.h layout: file header frame 0x184D2A5C (CRC in its last 4 bytes), then
 * blocks: 0x184D2A5D, 48, payload with lz4_len at 36, lz4_crc at 40, hdr_crc at
 * 44 (payload offsets), then lz4_len bytes of LZ4 frame. */
static void fix_crcs(uint8_t *p, size_t n)
{
    size_t pos = 0;
    if (n >= 8 && rd32(p) == 0x184D2A5Cu) {
        size_t fs = rd32(p + 4);
        if (fs >= 4 && fs <= n - 8)
            wr32(p + 8 + fs - 4, crc32c(0, p + 8, fs - 4));
        pos = fs <= n - 8 ? 8 + fs : n;
    }
    while (pos + 56 <= n) {
        uint8_t *b = p + pos;
        if (rd32(b) != 0x184D2A5Du || rd32(b + 4) != 48)
            break;
        size_t lz4_len = rd32(b + 8 + 36);
        if (lz4_len <= n - pos - 56)
            wr32(b + 8 + 40, crc32c(0, b + 56, lz4_len));
        wr32(b + 8 + 44, crc32c(0, b + 8, 44));
        if (lz4_len > n - pos - 56)
            break;
        pos += 56 + lz4_len;
    }
}

static void read_partition(const struct capture *c, uint32_t part)
{
    int err = 0;
    struct capture_reader *r = capture_reader_open(path, c, part, -1, &err);
    if (!r) {
        FUZZ_CHECK(err < 0, "capture_reader_open failed without an error");
        return;
    }
    const struct capture_part *cp = &c->part[part];
    struct capture_event ev;
    int64_t prev = -1;
    uint64_t n = 0;
    volatile uint8_t sink = 0;
    int rc;
    while ((rc = capture_reader_next(r, &ev)) == 1) {
        FUZZ_CHECK(ev.seq > prev, "seq %lld after %lld", (long long)ev.seq, (long long)prev);
        FUZZ_CHECK(ev.seq >= cp->first_seq && ev.seq <= cp->last_seq,
                   "seq %lld outside [%lld, %lld]", (long long)ev.seq, (long long)cp->first_seq,
                   (long long)cp->last_seq);
        FUZZ_CHECK(++n <= cp->messages, "more events than the index promised (%llu)",
                   (unsigned long long)cp->messages);
        prev = ev.seq;
        if (ev.body_len)
            sink ^= (uint8_t)(ev.body[0] ^ ev.body[ev.body_len - 1]);
        sink ^= (uint8_t)ev.body[ev.body_len + CAPTURE_PAD - 1];
        if (ev.off_len)
            sink ^= (uint8_t)ev.off[ev.off_len - 1];
        if (ev.key_len)
            sink ^= (uint8_t)ev.key[ev.key_len - 1];
        if (ev.origin_len)
            sink ^= (uint8_t)ev.origin[ev.origin_len - 1];
    }
    (void)sink;
    FUZZ_CHECK(rc <= 0, "capture_reader_next returned %d", rc);
    int again = capture_reader_next(r, &ev);
    FUZZ_CHECK(again == rc, "reader did not stay put: %d then %d", rc, again);
    capture_reader_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (mfd < 0) {
        mfd = memfd_create("fuzz_capture", MFD_CLOEXEC);
        FUZZ_CHECK(mfd >= 0, "memfd_create: %s", strerror(errno));
        snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
    }
    if (size == 0)
        return 0;
    size_t n = size - 1;
    uint8_t *p = malloc(n ? n : 1);
    FUZZ_CHECK(p != NULL, "out of memory");
    memcpy(p, data + 1, n);
    if (data[0] & 1)
        fix_crcs(p, n);
    FUZZ_CHECK(ftruncate(mfd, 0) == 0, "ftruncate: %s", strerror(errno));
    FUZZ_CHECK(n == 0 || pwrite(mfd, p, n, 0) == (ssize_t)n, "pwrite: %s", strerror(errno));
    free(p);

    struct capture c;
    if (capture_open(path, &c) == 0) {
        FUZZ_CHECK(c.partitions >= 1 && c.partitions <= CAPTURE_MAX_PARTITIONS, "%u partitions",
                   c.partitions);
        /* Empty partitions past the first few only cost an open() each. */
        for (uint32_t i = 0; i < c.partitions; i++)
            if (i < 4 || c.part[i].nblocks)
                read_partition(&c, i);
        capture_close(&c);
    }
    return 0;
}
