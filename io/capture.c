/* capture.c - capture files: writer, indexer and per-partition reader (DESIGN.md §8).
 *
 * DESIGN
 * A capture is written once, front to back, by one thread, and read by one
 * reader per partition, each with its own fd (pread only, so readers never
 * share a file position). The layout is in capture.h; byte for byte:
 *
 *   offset 0
 *   +---------------------------+--------------------------------------------+
 *   | u32 0x184D2A5C | u32 size | "SLCP" ver flags parts rsvd created        |
 *   |  (LZ4 skippable frame)    | ns_len hub_len ns hub crc32c               |
 *   +---------------------------+--------------------------------------------+
 *   | u32 0x184D2A5D | u32 48   | "SLCB" part count records first_seq        |  block header
 *   |                           | last_seq raw_len lz4_len lz4_crc hdr_crc   |  (56 bytes)
 *   +---------------------------+--------------------------------------------+
 *   | standard LZ4 frame (0x184D2204 ...), lz4_len bytes -> raw_len bytes:    |
 *   |   [32-byte event header | off | key | origin | body] x count           |
 *   +-------------------------------------------------------------------------+
 *   | next block header, any partition ...                                    |
 *
 * Invariants (checked by the indexer and the reader; the writer never breaks
 * them): blocks are non-empty; within a partition blocks appear in increasing
 * sequence order and events in a block strictly increase from first_seq to
 * last_seq; raw_len is exactly the sum of the encoded events; records is the
 * sum of their records fields. Every byte is either under a CRC32C or compared
 * with a fixed value, so a flipped byte anywhere is an error, never silent.
 *
 * Errors: bad skippable-frame magic, "SLCP"/"SLCB", version or field ranges ->
 * ERR_FORMAT; CRC mismatch -> ERR_CRC; the file ends inside a frame ->
 * ERR_TRUNCATED; LZ4 refuses a frame whose CRC matched -> ERR_LZ4.
 *
 * Durability: none until capture_writer_close(), which flushes every partition
 * and fsyncs. A crash leaves a file whose tail capture_open() reports as
 * ERR_TRUNCATED; captures are test and load-test inputs, so there is no repair.
 *
 * Memory: the writer keeps one raw buffer per partition (block_bytes each, the
 * default shrunk for many partitions) and one compression output buffer. A
 * reader keeps one compressed and one decoded buffer sized by the largest block
 * it has seen, so after the first block there is no allocation, and one
 * pread pair per block; events are parsed in place.
 *
 * CRC32C is file-local (io/frame.c has the public one; this file must not
 * depend on it): SSE4.2 crc32 instructions when the CPU has them, else
 * slice-by-8 tables built by a constructor.
 */
#include "capture.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lz4frame.h>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

#include "buf.h"
#include "clock.h"
#include "err.h"
#include "io_file.h"
#include "log.h"
#include "mem.h"

#define CAP_MAGIC_FILE   0x184D2A5Cu
#define CAP_MAGIC_BLOCK  0x184D2A5Du
#define CAP_VERSION      1u
#define CAP_FHDR_FIXED   28u  /* "SLCP" .. hub_len */
#define CAP_FHDR_MIN     (CAP_FHDR_FIXED + 4u)
#define CAP_FHDR_MAX     (CAP_FHDR_FIXED + 2u * CAPTURE_NAME_MAX + 4u)
#define CAP_BHDR_PAYLOAD 48u
#define CAP_BHDR_BYTES   (8u + CAP_BHDR_PAYLOAD)
#define CAP_EV_FIXED     32u
#define CAP_MAX_BLOCK    (256u << 20) /* writer's largest block_bytes */
#define CAP_MAX_RAW      (CAP_MAX_BLOCK + CAPTURE_MAX_EVENT_BYTES)
#define CAP_DEF_BLOCK    (1u << 20)
#define CAP_MIN_DEF      (64u << 10)
#define CAP_ALL_BUFFERS  (256u << 20) /* default cap on all partitions' buffers together */
#define CAP_LZ4_SLACK    (64u << 10)  /* one LZ4 block: lets LZ4F decode straight into dst */

static const uint8_t magic_slcp[4] = {'S', 'L', 'C', 'P'};
static const uint8_t magic_slcb[4] = {'S', 'L', 'C', 'B'};

/* ---- little-endian access -------------------------------------------------------------- */

static inline void put16(uint8_t *p, uint16_t v) { v = htole16(v); memcpy(p, &v, 2); }
static inline void put32(uint8_t *p, uint32_t v) { v = htole32(v); memcpy(p, &v, 4); }
static inline void put64(uint8_t *p, uint64_t v) { v = htole64(v); memcpy(p, &v, 8); }
static inline uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return le16toh(v); }
static inline uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return le32toh(v); }
static inline uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return le64toh(v); }

/* ---- CRC32C (Castagnoli, reflected polynomial 0x82F63B78) ------------------------------ */

static uint32_t crc_tab[8][256];
static bool crc_hw;

__attribute__((constructor)) static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1u)));
        crc_tab[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            crc_tab[t][i] = (crc_tab[t - 1][i] >> 8) ^ crc_tab[0][crc_tab[t - 1][i] & 0xffu];
#if defined(__x86_64__)
    __builtin_cpu_init();
    crc_hw = __builtin_cpu_supports("sse4.2");
#endif
}

static uint32_t crc_sw(uint32_t c, const uint8_t *p, size_t n)
{
    while (n >= 8) {
        uint32_t lo = get32(p) ^ c, hi = get32(p + 4);
        c = crc_tab[7][lo & 0xffu] ^ crc_tab[6][(lo >> 8) & 0xffu] ^
            crc_tab[5][(lo >> 16) & 0xffu] ^ crc_tab[4][lo >> 24] ^ crc_tab[3][hi & 0xffu] ^
            crc_tab[2][(hi >> 8) & 0xffu] ^ crc_tab[1][(hi >> 16) & 0xffu] ^ crc_tab[0][hi >> 24];
        p += 8;
        n -= 8;
    }
    while (n--)
        c = (c >> 8) ^ crc_tab[0][(c ^ *p++) & 0xffu];
    return c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t crc_sse42(uint32_t c, const uint8_t *p, size_t n)
{
    uint64_t c64 = c;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c64 = _mm_crc32_u64(c64, v);
        p += 8;
        n -= 8;
    }
    c = (uint32_t)c64;
    while (n--)
        c = _mm_crc32_u8(c, *p++);
    return c;
}
#endif

/* CRC32C of n bytes at p, continuing crc (0 to start). */
static uint32_t crc_castagnoli(uint32_t crc, const void *p, size_t n)
{
    crc = ~crc;
#if defined(__x86_64__)
    if (LIKELY(crc_hw))
        return ~crc_sse42(crc, p, n);
#endif
    return ~crc_sw(crc, p, n);
}

/* ---- plain I/O ----------------------------------------------------------------------- */

/* Exactly n bytes at off: 0, -errno, or ERR_TRUNCATED when the file ends first. */
static int pread_all(int fd, void *p, size_t n, uint64_t off)
{
    uint8_t *q = p;
    while (n) {
        ssize_t r = pread(fd, q, n, (off_t)off);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (r == 0)
            return ERR_TRUNCATED;
        q += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

/* ---- block header ---------------------------------------------------------------------- */

struct bhdr {
    uint32_t partition, count, records, raw_len, lz4_len, lz4_crc;
    int64_t first_seq, last_seq;
};

static void bhdr_encode(uint8_t b[CAP_BHDR_BYTES], const struct bhdr *h)
{
    put32(b, CAP_MAGIC_BLOCK);
    put32(b + 4, CAP_BHDR_PAYLOAD);
    memcpy(b + 8, magic_slcb, 4);
    put32(b + 12, h->partition);
    put32(b + 16, h->count);
    put32(b + 20, h->records);
    put64(b + 24, (uint64_t)h->first_seq);
    put64(b + 32, (uint64_t)h->last_seq);
    put32(b + 40, h->raw_len);
    put32(b + 44, h->lz4_len);
    put32(b + 48, h->lz4_crc);
    put32(b + 52, crc_castagnoli(0, b + 8, CAP_BHDR_PAYLOAD - 4));
}

/* Parse and check one block header against a capture of `partitions`. */
static int bhdr_decode(const uint8_t b[CAP_BHDR_BYTES], uint32_t partitions, struct bhdr *h)
{
    if (get32(b) != CAP_MAGIC_BLOCK || get32(b + 4) != CAP_BHDR_PAYLOAD)
        return ERR_FORMAT;
    if (crc_castagnoli(0, b + 8, CAP_BHDR_PAYLOAD - 4) != get32(b + 52))
        return ERR_CRC;
    if (memcmp(b + 8, magic_slcb, 4) != 0)
        return ERR_FORMAT;
    h->partition = get32(b + 12);
    h->count = get32(b + 16);
    h->records = get32(b + 20);
    h->first_seq = (int64_t)get64(b + 24);
    h->last_seq = (int64_t)get64(b + 32);
    h->raw_len = get32(b + 40);
    h->lz4_len = get32(b + 44);
    h->lz4_crc = get32(b + 48);
    if (h->partition >= partitions || h->count == 0 || h->first_seq < 0 ||
        h->last_seq < h->first_seq || (uint64_t)(h->last_seq - h->first_seq) < h->count - 1u ||
        h->raw_len < (uint64_t)h->count * CAP_EV_FIXED || h->raw_len > CAP_MAX_RAW ||
        h->lz4_len == 0)
        return ERR_FORMAT;
    return 0;
}

/* ---- writer ---------------------------------------------------------------------------- */

struct capture_wpart {
    struct buf raw;     /* encoded events of the pending block */
    uint32_t count;     /* events in raw */
    uint32_t records;   /* their records, summed */
    int64_t first_seq;  /* of the pending block */
    int64_t last_seq;   /* last seq written to this partition, -1 before any */
};

struct capture_writer {
    int fd;
    int err;              /* first I/O or LZ4 error: sticky */
    uint32_t partitions;
    size_t block_bytes;
    uint8_t *out;         /* block header + compressed frame */
    size_t out_cap;
    uint8_t fhdr[8 + CAP_FHDR_MAX];
    size_t fhdr_len;
    struct capture_totals tot;
    struct capture_wpart *part; /* [partitions] */
};

static size_t fhdr_encode(uint8_t *b, const char *ns, size_t ns_len, const char *hub,
                          size_t hub_len, uint32_t partitions, int64_t created_ms)
{
    size_t size = CAP_FHDR_FIXED + ns_len + hub_len + 4;
    put32(b, CAP_MAGIC_FILE);
    put32(b + 4, (uint32_t)size);
    uint8_t *q = b + 8;
    memcpy(q, magic_slcp, 4);
    put16(q + 4, CAP_VERSION);
    put16(q + 6, 0);
    put32(q + 8, partitions);
    put32(q + 12, 0);
    put64(q + 16, (uint64_t)created_ms);
    put16(q + 24, (uint16_t)ns_len);
    put16(q + 26, (uint16_t)hub_len);
    if (ns_len)
        memcpy(q + 28, ns, ns_len);
    if (hub_len)
        memcpy(q + 28 + ns_len, hub, hub_len);
    put32(q + size - 4, crc_castagnoli(0, q, size - 4));
    return 8 + size;
}

struct capture_writer *capture_writer_create(const char *path, const char *ns, const char *hub,
                                             uint32_t partitions, size_t block_bytes, int *err)
{
    int rc;
    ns = ns ? ns : "";
    hub = hub ? hub : "";
    size_t ns_len = strlen(ns), hub_len = strlen(hub);
    if (partitions == 0 || partitions > CAPTURE_MAX_PARTITIONS || ns_len > CAPTURE_NAME_MAX ||
        hub_len > CAPTURE_NAME_MAX) {
        rc = -EINVAL;
        goto fail;
    }
    struct capture_writer *w = calloc(1, sizeof(*w));
    if (!w) {
        rc = -ENOMEM;
        goto fail;
    }
    w->partitions = partitions;
    if (block_bytes == 0)
        block_bytes = MIN(CAP_DEF_BLOCK, MAX(CAP_MIN_DEF, CAP_ALL_BUFFERS / partitions));
    w->block_bytes = MIN(block_bytes, CAP_MAX_BLOCK);
    w->part = calloc(partitions, sizeof(*w->part));
    if (!w->part) {
        rc = -ENOMEM;
        goto fail_w;
    }
    for (uint32_t p = 0; p < partitions; p++)
        w->part[p].last_seq = -1;

    w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        rc = -errno; /* the caller reports it: no log line here (one-line CLI errors) */
        goto fail_part;
    }
    w->fhdr_len = fhdr_encode(w->fhdr, ns, ns_len, hub, hub_len, partitions, clock_real_ms());
    rc = io_write_all(w->fd, w->fhdr, w->fhdr_len);
    if (rc) {
        log_err("capture: write() failed: %s path=\"%s\"", err_str(rc), path);
        goto fail_fd;
    }
    w->tot.file_bytes = w->fhdr_len;
    return w;

fail_fd:
    (void)close(w->fd);
    (void)unlink(path);
fail_part:
    free(w->part);
fail_w:
    free(w);
fail:
    if (err)
        *err = rc;
    return NULL;
}

int capture_writer_set_created_ms(struct capture_writer *w, int64_t created_ms)
{
    if (w->err)
        return w->err;
    /* Same ns/hub, so the same length: rewrite the header in place. */
    uint32_t size = get32(w->fhdr + 4);
    uint8_t *q = w->fhdr + 8;
    put64(q + 16, (uint64_t)created_ms);
    put32(q + size - 4, crc_castagnoli(0, q, size - 4));
    size_t done = 0;
    while (done < w->fhdr_len) {
        ssize_t n = pwrite(w->fd, w->fhdr + done, w->fhdr_len - done, (off_t)done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            w->err = -errno;
            return w->err;
        }
        done += (size_t)n;
    }
    return 0;
}

/* Compress and write partition p's pending block. Errors are sticky. */
static int flush_part(struct capture_writer *w, uint32_t p)
{
    struct capture_wpart *wp = &w->part[p];
    LZ4F_preferences_t prefs;
    memset(&prefs, 0, sizeof(prefs));
    prefs.frameInfo.blockSizeID = LZ4F_max64KB;
    prefs.frameInfo.blockMode = LZ4F_blockLinked;
    prefs.frameInfo.contentSize = wp->raw.len;
    size_t bound = LZ4F_compressFrameBound(wp->raw.len, &prefs);
    size_t need = CAP_BHDR_BYTES + bound;
    if (w->out_cap < need) {
        uint8_t *o = mem_realloc(w->out, need);
        if (!o)
            return w->err = -ENOMEM;
        w->out = o;
        w->out_cap = need;
    }
    size_t n = LZ4F_compressFrame(w->out + CAP_BHDR_BYTES, bound, wp->raw.p, wp->raw.len, &prefs);
    if (LZ4F_isError(n) || n > UINT32_MAX) {
        log_err("capture: LZ4F_compressFrame() failed: %s partition=%u",
                LZ4F_isError(n) ? LZ4F_getErrorName(n) : "frame too big", p);
        return w->err = ERR_LZ4;
    }
    struct bhdr h = {
        .partition = p,
        .count = wp->count,
        .records = wp->records,
        .raw_len = (uint32_t)wp->raw.len,
        .lz4_len = (uint32_t)n,
        .lz4_crc = crc_castagnoli(0, w->out + CAP_BHDR_BYTES, n),
        .first_seq = wp->first_seq,
        .last_seq = wp->last_seq,
    };
    bhdr_encode(w->out, &h);
    int rc = io_write_all(w->fd, w->out, CAP_BHDR_BYTES + n);
    if (rc) {
        log_err("capture: write() failed: %s partition=%u", err_str(rc), p);
        return w->err = rc;
    }
    w->tot.file_bytes += CAP_BHDR_BYTES + n;
    w->tot.blocks++;
    buf_reset(&wp->raw);
    wp->count = 0;
    wp->records = 0;
    return 0;
}

int capture_write(struct capture_writer *w, uint32_t p, const struct capture_event *ev)
{
    if (UNLIKELY(w->err))
        return w->err;
    if (p >= w->partitions || ev->seq < 0 || ev->records > UINT16_MAX ||
        ev->off_len > UINT16_MAX || ev->key_len > UINT16_MAX || ev->origin_len > UINT16_MAX)
        return -EINVAL;
    struct capture_wpart *wp = &w->part[p];
    if (ev->seq <= wp->last_seq)
        return ERR_ORDER;
    if (ev->body_len > CAPTURE_MAX_EVENT_BYTES)
        return ERR_TOO_BIG;
    size_t need = CAP_EV_FIXED + ev->off_len + ev->key_len + ev->origin_len + ev->body_len;
    if (need > CAPTURE_MAX_EVENT_BYTES)
        return ERR_TOO_BIG;
    if (wp->count && wp->raw.len + need > w->block_bytes) {
        int rc = flush_part(w, p);
        if (rc)
            return rc;
    }
    int rc = buf_reserve(&wp->raw, need);
    if (rc)
        return rc;

    uint8_t *q = (uint8_t *)wp->raw.p + wp->raw.len;
    put64(q, (uint64_t)ev->seq);
    put64(q + 8, (uint64_t)ev->enq_ms);
    put32(q + 16, (uint32_t)ev->body_len);
    put32(q + 20, ev->origin_line);
    put16(q + 24, (uint16_t)ev->records);
    put16(q + 26, (uint16_t)ev->off_len);
    put16(q + 28, (uint16_t)ev->key_len);
    put16(q + 30, (uint16_t)ev->origin_len);
    q += CAP_EV_FIXED;
    if (ev->off_len)
        memcpy(q, ev->off, ev->off_len);
    q += ev->off_len;
    if (ev->key_len)
        memcpy(q, ev->key, ev->key_len);
    q += ev->key_len;
    if (ev->origin_len)
        memcpy(q, ev->origin, ev->origin_len);
    q += ev->origin_len;
    if (ev->body_len)
        memcpy(q, ev->body, ev->body_len);
    wp->raw.len += need;

    if (wp->count == 0)
        wp->first_seq = ev->seq;
    wp->last_seq = ev->seq;
    wp->count++;
    wp->records += ev->records;
    w->tot.messages++;
    w->tot.records += ev->records;
    w->tot.bytes += ev->body_len;
    if (wp->raw.len >= w->block_bytes)
        return flush_part(w, p);
    return 0;
}

int capture_writer_close_totals(struct capture_writer *w, struct capture_totals *t)
{
    int rc = w->err;
    for (uint32_t p = 0; p < w->partitions; p++) {
        if (!rc && w->part[p].count)
            rc = flush_part(w, p);
        buf_fini(&w->part[p].raw);
    }
    if (!rc && fsync(w->fd) != 0) {
        rc = -errno;
        log_err("capture: fsync() failed: %s", err_str(rc));
    }
    if (close(w->fd) != 0 && !rc)
        rc = -errno;
    if (t)
        *t = w->tot;
    mem_free(w->out);
    free(w->part);
    free(w);
    return rc;
}

int capture_writer_close(struct capture_writer *w)
{
    return capture_writer_close_totals(w, NULL);
}

/* ---- indexer --------------------------------------------------------------------------- */

void capture_close(struct capture *c)
{
    if (c->part) {
        for (uint32_t p = 0; p < c->partitions; p++) {
            free(c->part[p].block_offs);
            free(c->part[p].block_last_seq);
        }
        free(c->part);
    }
    memset(c, 0, sizeof(*c));
}

/* Read and check the file header; *pos is set to the first block. */
static int read_fhdr(int fd, uint64_t size, struct capture *c, uint64_t *pos)
{
    uint8_t b[8 + CAP_FHDR_MAX];
    if (size < 8) {
        /* A prefix of our magic is a capture cut short; anything else is not one. */
        uint8_t m[4];
        put32(m, CAP_MAGIC_FILE);
        if (size == 0 || pread_all(fd, b, (size_t)size, 0) != 0)
            return ERR_FORMAT;
        return memcmp(b, m, MIN((size_t)size, 4u)) == 0 ? ERR_TRUNCATED : ERR_FORMAT;
    }
    int rc = pread_all(fd, b, 8, 0);
    if (rc)
        return rc;
    uint32_t fsize = get32(b + 4);
    if (get32(b) != CAP_MAGIC_FILE || fsize < CAP_FHDR_MIN || fsize > CAP_FHDR_MAX)
        return ERR_FORMAT;
    if (size - 8 < fsize) {
        /* Say FORMAT rather than TRUNCATED when what is there is not ours. */
        size_t have = (size_t)MIN(size - 8, 4u);
        if (pread_all(fd, b + 8, have, 8) == 0 && memcmp(b + 8, magic_slcp, have) != 0)
            return ERR_FORMAT;
        return ERR_TRUNCATED;
    }
    rc = pread_all(fd, b + 8, fsize, 8);
    if (rc)
        return rc;
    const uint8_t *q = b + 8;
    if (memcmp(q, magic_slcp, 4) != 0 || get16(q + 4) != CAP_VERSION)
        return ERR_FORMAT;
    if (crc_castagnoli(0, q, fsize - 4) != get32(q + fsize - 4))
        return ERR_CRC;
    uint32_t parts = get32(q + 8);
    uint16_t ns_len = get16(q + 24), hub_len = get16(q + 26);
    if (parts == 0 || parts > CAPTURE_MAX_PARTITIONS || ns_len > CAPTURE_NAME_MAX ||
        hub_len > CAPTURE_NAME_MAX || CAP_FHDR_FIXED + ns_len + hub_len + 4u != fsize)
        return ERR_FORMAT;
    c->partitions = parts;
    c->created_ms = (int64_t)get64(q + 16);
    memcpy(c->ns, q + 28, ns_len);
    c->ns[ns_len] = '\0';
    memcpy(c->hub, q + 28 + ns_len, hub_len);
    c->hub[hub_len] = '\0';
    *pos = 8u + fsize;
    return 0;
}

static int index_add(struct capture_part *cp, uint32_t *cap, uint64_t off, int64_t last_seq)
{
    if (cp->nblocks == *cap) {
        uint32_t ncap = *cap ? *cap * 2 : 16;
        uint64_t *o = realloc(cp->block_offs, ncap * sizeof(*o));
        if (!o)
            return -ENOMEM;
        cp->block_offs = o;
        int64_t *l = realloc(cp->block_last_seq, ncap * sizeof(*l));
        if (!l)
            return -ENOMEM;
        cp->block_last_seq = l;
        *cap = ncap;
    }
    cp->block_offs[cp->nblocks] = off;
    cp->block_last_seq[cp->nblocks] = last_seq;
    cp->nblocks++;
    return 0;
}

int capture_open(const char *path, struct capture *c)
{
    int rc;
    uint64_t pos = 0;
    uint32_t *caps = NULL;
    memset(c, 0, sizeof(*c));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = -errno;
        goto fail;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = -errno;
        goto fail_fd;
    }
    uint64_t size = (uint64_t)st.st_size;
    rc = read_fhdr(fd, size, c, &pos);
    if (rc)
        goto fail_fd;
    c->part = calloc(c->partitions, sizeof(*c->part));
    caps = calloc(c->partitions, sizeof(*caps));
    if (!c->part || !caps) {
        rc = -ENOMEM;
        goto fail_index;
    }
    for (uint32_t p = 0; p < c->partitions; p++)
        c->part[p].first_seq = c->part[p].last_seq = -1;

    while (pos < size) {
        uint8_t b[CAP_BHDR_BYTES];
        if (size - pos < CAP_BHDR_BYTES) {
            rc = ERR_TRUNCATED;
            goto fail_index;
        }
        rc = pread_all(fd, b, CAP_BHDR_BYTES, pos);
        if (rc)
            goto fail_index;
        struct bhdr h;
        rc = bhdr_decode(b, c->partitions, &h);
        if (rc)
            goto fail_index;
        struct capture_part *cp = &c->part[h.partition];
        if (cp->nblocks && h.first_seq <= cp->last_seq) {
            rc = ERR_FORMAT;
            goto fail_index;
        }
        if (h.lz4_len > size - pos - CAP_BHDR_BYTES) {
            rc = ERR_TRUNCATED;
            goto fail_index;
        }
        rc = index_add(cp, &caps[h.partition], pos, h.last_seq);
        if (rc)
            goto fail_index;
        if (cp->first_seq < 0)
            cp->first_seq = h.first_seq;
        cp->last_seq = h.last_seq;
        cp->messages += h.count;
        cp->records += h.records;
        pos += CAP_BHDR_BYTES + h.lz4_len;
    }
    c->file_bytes = size;
    free(caps);
    (void)close(fd);
    return 0;

fail_index:
    free(caps);
    capture_close(c);
fail_fd:
    (void)close(fd);
fail:
    memset(c, 0, sizeof(*c));
    /* The caller reports the error (CLIs print one line); only debug builds add where. */
    log_dbg("capture: open failed: %s path=\"%s\" off=%llu", err_str(rc), path,
            (unsigned long long)pos);
    return rc;
}

/* ---- reader ---------------------------------------------------------------------------- */

struct capture_reader {
    /* hot: the decoded block being walked */
    const uint8_t *cur, *end; /* next event, end of the decoded block */
    uint32_t left;            /* events left in the block */
    uint32_t count;           /* events in the block */
    uint64_t rec_left;        /* records the block header promises, minus those seen */
    int64_t prev_seq;         /* last seq decoded (first_seq - 1 at block start) */
    int64_t blk_last;         /* last_seq from the block header */
    int64_t after_seq;
    int err;                  /* sticky */
    /* per block */
    uint32_t blk, nblocks, p, partitions;
    int fd;
    uint8_t *raw;             /* decoded block + slack */
    size_t raw_cap;
    uint8_t *lz4;             /* compressed frame */
    size_t lz4_cap;
    LZ4F_dctx *dctx;
    uint64_t *offs;           /* [nblocks] copied from the index */
};

struct capture_reader *capture_reader_open(const char *path, const struct capture *c, uint32_t p,
                                           int64_t after_seq, int *err)
{
    int rc;
    if (p >= c->partitions || !c->part) {
        rc = -EINVAL;
        goto fail;
    }
    const struct capture_part *cp = &c->part[p];
    struct capture_reader *r = mem_alloc(sizeof(*r));
    if (!r) {
        rc = -ENOMEM;
        goto fail;
    }
    memset(r, 0, sizeof(*r));
    r->p = p;
    r->partitions = c->partitions;
    r->after_seq = after_seq;
    r->nblocks = cp->nblocks;
    if (cp->nblocks) {
        r->offs = mem_alloc(cp->nblocks * sizeof(*r->offs));
        if (!r->offs) {
            rc = -ENOMEM;
            goto fail_r;
        }
        memcpy(r->offs, cp->block_offs, cp->nblocks * sizeof(*r->offs));
    }
    /* First block whose last_seq > after_seq: earlier blocks hold nothing we return. */
    uint32_t lo = 0, hi = cp->nblocks;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (cp->block_last_seq[mid] <= after_seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    r->blk = lo;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&r->dctx, LZ4F_VERSION))) {
        rc = -ENOMEM;
        goto fail_offs;
    }
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0) {
        rc = -errno;
        goto fail_dctx;
    }
    return r;

fail_dctx:
    (void)LZ4F_freeDecompressionContext(r->dctx);
fail_offs:
    mem_free(r->offs);
fail_r:
    mem_free(r);
fail:
    if (err)
        *err = rc;
    return NULL;
}

void capture_reader_close(struct capture_reader *r)
{
    if (!r)
        return;
    (void)close(r->fd);
    (void)LZ4F_freeDecompressionContext(r->dctx);
    mem_free(r->raw);
    mem_free(r->lz4);
    mem_free(r->offs);
    mem_free(r);
}

static int grow(uint8_t **p, size_t *cap, size_t need)
{
    if (*cap >= need)
        return 0;
    size_t ncap = MAX(need, *cap + *cap / 2);
    uint8_t *n = mem_alloc(ncap); /* old contents are not needed */
    if (!n)
        return -ENOMEM;
    mem_free(*p);
    *p = n;
    *cap = ncap;
    return 0;
}

/* Read, check and decode block r->blk. */
static int load_block(struct capture_reader *r)
{
    uint64_t off = r->offs[r->blk];
    uint8_t b[CAP_BHDR_BYTES];
    int rc = pread_all(r->fd, b, CAP_BHDR_BYTES, off);
    if (rc)
        return rc;
    struct bhdr h;
    rc = bhdr_decode(b, r->partitions, &h);
    if (rc)
        return rc;
    if (h.partition != r->p)
        return ERR_FORMAT; /* the file changed under us */
    rc = grow(&r->lz4, &r->lz4_cap, h.lz4_len);
    if (rc)
        return rc;
    rc = grow(&r->raw, &r->raw_cap, (size_t)h.raw_len + CAP_LZ4_SLACK + CAPTURE_PAD);
    if (rc)
        return rc;
    rc = pread_all(r->fd, r->lz4, h.lz4_len, off + CAP_BHDR_BYTES);
    if (rc)
        return rc;
    if (crc_castagnoli(0, r->lz4, h.lz4_len) != h.lz4_crc)
        return ERR_CRC;

    size_t dst_done = 0, src_done = 0, ret = 1;
    while (ret != 0) {
        size_t dst_n = r->raw_cap - dst_done, src_n = h.lz4_len - src_done;
        ret = LZ4F_decompress(r->dctx, r->raw + dst_done, &dst_n, r->lz4 + src_done, &src_n,
                              NULL);
        if (LZ4F_isError(ret) || (dst_n == 0 && src_n == 0 && ret != 0)) {
            LZ4F_resetDecompressionContext(r->dctx);
            return ERR_LZ4;
        }
        dst_done += dst_n;
        src_done += src_n;
    }
    if (dst_done != h.raw_len || src_done != h.lz4_len)
        return ERR_LZ4;
    memset(r->raw + h.raw_len, 0, CAPTURE_PAD);

    r->cur = r->raw;
    r->end = r->raw + h.raw_len;
    r->left = r->count = h.count;
    r->rec_left = h.records;
    r->prev_seq = h.first_seq - 1;
    r->blk_last = h.last_seq;
    r->blk++;
    return 0;
}

COLD_NOINLINE static int reader_fail(struct capture_reader *r, int rc)
{
    r->err = rc;
    r->left = 0;
    r->cur = r->end = NULL;
    return rc;
}

int capture_reader_next(struct capture_reader *r, struct capture_event *ev)
{
    for (;;) {
        if (UNLIKELY(r->left == 0)) {
            if (r->err)
                return r->err;
            if (r->blk == r->nblocks)
                return 0;
            int rc = load_block(r);
            if (rc)
                return reader_fail(r, rc);
        }
        const uint8_t *q = r->cur;
        if (UNLIKELY((size_t)(r->end - q) < CAP_EV_FIXED))
            return reader_fail(r, ERR_FORMAT);
        int64_t seq = (int64_t)get64(q);
        uint32_t body_len = get32(q + 16);
        uint16_t records = get16(q + 24);
        uint16_t off_len = get16(q + 26), key_len = get16(q + 28), origin_len = get16(q + 30);
        size_t total = (size_t)CAP_EV_FIXED + off_len + key_len + origin_len + body_len;
        /* First event must be first_seq, seqs strictly increase, the last is last_seq,
         * records add up and the events fill the block exactly. */
        bool first = r->left == r->count;
        if (UNLIKELY(total > (size_t)(r->end - q) || seq <= r->prev_seq || seq > r->blk_last ||
                     (first && seq != r->prev_seq + 1) || records > r->rec_left))
            return reader_fail(r, ERR_FORMAT);
        r->prev_seq = seq;
        r->rec_left -= records;
        r->cur = q + total;
        if (--r->left == 0 && UNLIKELY(r->cur != r->end || seq != r->blk_last || r->rec_left))
            return reader_fail(r, ERR_FORMAT);
        if (seq <= r->after_seq)
            continue;
        ev->seq = seq;
        ev->enq_ms = (int64_t)get64(q + 8);
        ev->origin_line = get32(q + 20);
        ev->records = records;
        q += CAP_EV_FIXED;
        ev->off = (const char *)q;
        ev->off_len = off_len;
        q += off_len;
        ev->key = (const char *)q;
        ev->key_len = key_len;
        q += key_len;
        ev->origin = (const char *)q;
        ev->origin_len = origin_len;
        q += origin_len;
        ev->body = (const char *)q;
        ev->body_len = body_len;
        return 1;
    }
}

/* ---- verify ---------------------------------------------------------------------------- */

int capture_verify(const char *path, struct capture *c)
{
    for (uint32_t p = 0; p < c->partitions; p++) {
        struct capture_part *cp = &c->part[p];
        int rc = 0;
        struct capture_reader *r = capture_reader_open(path, c, p, -1, &rc);
        if (!r)
            return rc;
        uint64_t messages = 0, records = 0, bytes = 0, minb = UINT64_MAX, maxb = 0;
        uint32_t maxr = 0;
        int64_t first = -1, last = -1;
        struct capture_event ev;
        while ((rc = capture_reader_next(r, &ev)) == 1) {
            if (first < 0)
                first = ev.seq;
            last = ev.seq;
            messages++;
            records += ev.records;
            bytes += ev.body_len;
            minb = MIN(minb, (uint64_t)ev.body_len);
            maxb = MAX(maxb, (uint64_t)ev.body_len);
            maxr = MAX(maxr, ev.records);
        }
        capture_reader_close(r);
        if (rc == 0 && (messages != cp->messages || records != cp->records ||
                        first != cp->first_seq || last != cp->last_seq))
            rc = ERR_FORMAT;
        if (rc) {
            log_dbg("capture: verify failed: %s path=\"%s\" partition=%u", err_str(rc), path, p);
            return rc;
        }
        cp->bytes = bytes;
        cp->min_body = messages ? minb : 0;
        cp->max_body = maxb;
        cp->max_records = maxr;
    }
    return 0;
}
