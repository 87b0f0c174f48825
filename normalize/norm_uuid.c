/* norm_uuid.c - SHA-1 and RFC 9562 UUIDv5 for metadata.uid (schemas.md §0.3).
 *
 * DESIGN
 * metadata.uid = UUIDv5(namespace 57e5a4e4-c7c1-41c1-8f2b-d19ad8cb7981, name),
 * name = "eh|<ns>|<hub>|<partition>|<seq>|<index>" or "file|<origin>|<line>".
 * Within one message only the tail (index or line) changes, so norm hashes the
 * namespace and the constant prefix once per message (struct norm_sha1 holds
 * the midstate) and per record copies it and adds the tail: usually one SHA-1
 * block per record. Plain C SHA-1 (FIPS 180-4), no table, no allocation.
 */
#include "norm_int.h"

static const uint8_t uuid_ns[16] = {0x57, 0xe5, 0xa4, 0xe4, 0xc7, 0xc1, 0x41, 0xc1,
                                    0x8f, 0x2b, 0xd1, 0x9a, 0xd8, 0xcb, 0x79, 0x81};

static inline uint32_t rol(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

#define SHA1_ROUND(a, b, c, d, e, f, k, w)                                             \
    do {                                                                                \
        e += rol(a, 5) + (f) + (k) + (w);                                               \
        b = rol(b, 30);                                                                 \
    } while (0)

/* One 64-byte block. The schedule is kept in a 16-word ring (w[i & 15]) and
 * the 80 rounds are four loops of 20 with the role of a..e rotated by the
 * 5-round unroll, so there is no branch per round. */
static void sha1_block(uint32_t h[5], const uint8_t *p)
{
    uint32_t w[16];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
#define W(i) (w[(i) & 15] = rol(w[((i) + 13) & 15] ^ w[((i) + 8) & 15] ^ w[((i) + 2) & 15] ^ \
                                     w[(i) & 15], 1))
#define WX(i) ((i) < 16 ? w[i] : W(i))
#define F1(b, c, d) (((b) & (c)) | (~(b) & (d)))
#define F2(b, c, d) ((b) ^ (c) ^ (d))
#define F3(b, c, d) (((b) & (c)) | ((b) & (d)) | ((c) & (d)))
#define FIVE(i, F, K)                                                                   \
    SHA1_ROUND(a, b, c, d, e, F(b, c, d), K, WX(i));                                    \
    SHA1_ROUND(e, a, b, c, d, F(a, b, c), K, WX(i + 1));                                \
    SHA1_ROUND(d, e, a, b, c, F(e, a, b), K, WX(i + 2));                                \
    SHA1_ROUND(c, d, e, a, b, F(d, e, a), K, WX(i + 3));                                \
    SHA1_ROUND(b, c, d, e, a, F(c, d, e), K, WX(i + 4))
    for (int i = 0; i < 20; i += 5) {
        FIVE(i, F1, 0x5a827999u);
    }
    for (int i = 20; i < 40; i += 5) {
        FIVE(i, F2, 0x6ed9eba1u);
    }
    for (int i = 40; i < 60; i += 5) {
        FIVE(i, F3, 0x8f1bbcdcu);
    }
    for (int i = 60; i < 80; i += 5) {
        FIVE(i, F2, 0xca62c1d6u);
    }
#undef FIVE
#undef F3
#undef F2
#undef F1
#undef WX
#undef W
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
}

void norm_sha1_init(struct norm_sha1 *c)
{
    c->h[0] = 0x67452301;
    c->h[1] = 0xefcdab89;
    c->h[2] = 0x98badcfe;
    c->h[3] = 0x10325476;
    c->h[4] = 0xc3d2e1f0;
    c->len = 0;
    c->blen = 0;
}

void norm_sha1_update(struct norm_sha1 *c, const void *data, size_t n)
{
    const uint8_t *p = data;
    c->len += n;
    if (c->blen) {
        size_t k = MIN(n, 64 - (size_t)c->blen);
        memcpy(c->buf + c->blen, p, k);
        c->blen += (uint32_t)k;
        p += k;
        n -= k;
        if (c->blen < 64)
            return;
        sha1_block(c->h, c->buf);
        c->blen = 0;
    }
    for (; n >= 64; p += 64, n -= 64)
        sha1_block(c->h, p);
    memcpy(c->buf, p, n);
    c->blen = (uint32_t)n;
}

void norm_sha1_final(struct norm_sha1 *c, uint8_t out[20])
{
    uint64_t bits = c->len * 8;
    uint8_t pad[72] = {0x80};
    size_t padn = (c->blen < 56 ? 56 : 120) - c->blen;
    for (int i = 0; i < 8; i++)
        pad[padn + (size_t)i] = (uint8_t)(bits >> (56 - 8 * i));
    norm_sha1_update(c, pad, padn + 8);
    for (int i = 0; i < 5; i++) {
        out[4 * i] = (uint8_t)(c->h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
        out[4 * i + 3] = (uint8_t)c->h[i];
    }
}

void norm_uuid5_begin(struct norm_sha1 *c)
{
    norm_sha1_init(c);
    norm_sha1_update(c, uuid_ns, sizeof(uuid_ns));
}

void norm_uuid5_end(struct norm_sha1 *c, char out[36])
{
    static const char hex[] = "0123456789abcdef";
    uint8_t d[20];
    norm_sha1_final(c, d);
    d[6] = (uint8_t)((d[6] & 0x0f) | 0x50); /* version 5 */
    d[8] = (uint8_t)((d[8] & 0x3f) | 0x80); /* RFC 9562 variant */
    char *o = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *o++ = '-';
        *o++ = hex[d[i] >> 4];
        *o++ = hex[d[i] & 15];
    }
}

void norm_uuid5(const char *name, size_t n, char out[36])
{
    struct norm_sha1 c;
    norm_uuid5_begin(&c);
    norm_sha1_update(&c, name, n);
    norm_uuid5_end(&c, out);
}
