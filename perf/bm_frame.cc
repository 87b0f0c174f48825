// bm_frame.cc - spool frame codec micro-benchmarks (STYLE.md §11: LZ4 per batch
// size, frame + CRC).
//
//   BM_frame_encode/<raw bytes>  frame_encode(): LZ4 fast + CRC32C of the LZ4 frame +
//                                the 64-byte header, one reused frame_enc (as a shard
//                                keeps one); bytes = raw NDJSON bytes in
//   BM_frame_decode/<raw bytes>  frame_parse() (header + CRC check) + frame_decode()
//                                of that frame; bytes = raw NDJSON bytes out
//   BM_frame_crc32c/<bytes>      crc32c() alone over the same text
//
// Sizes 4K, 64K, 256K, 1M, 4M. The text is OCSF-like NDJSON from ndjson_gen.h
// (whole lines, the shape sluice writes); counters: ratio = raw / frame bytes,
// items = NDJSON lines.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "ndjson_gen.h"

extern "C" {
#include "buf.h"
#include "frame.h"
}

namespace {

constexpr size_t kMaxRaw = 4u << 20;

const std::string &ndjson()
{
    static const std::string s = ndjson_gen::make(kMaxRaw, 42);
    return s;
}

// The first whole lines of the text that fit in `bytes` (at least one line).
size_t prefix_len(const std::string &s, size_t bytes)
{
    if (bytes >= s.size())
        return s.size();
    size_t cut = s.rfind('\n', bytes - 1);
    return cut == std::string::npos ? s.find('\n') + 1 : cut + 1;
}

int64_t count_lines(const char *p, size_t n)
{
    int64_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += p[i] == '\n';
    return k;
}

struct frame_meta meta_for(int64_t lines)
{
    struct frame_meta m;
    std::memset(&m, 0, sizeof(m));
    m.kind = FRAME_EVENTS;
    m.partition = 3;
    m.count = static_cast<uint32_t>(lines);
    m.first_seq = 1000;
    m.last_seq = 1000 + lines - 1;
    return m;
}

void BM_frame_encode(benchmark::State &state)
{
    const std::string &s = ndjson();
    const size_t raw_len = prefix_len(s, static_cast<size_t>(state.range(0)));
    const int64_t lines = count_lines(s.data(), raw_len);
    const struct frame_meta m = meta_for(lines);
    struct frame_enc *e = frame_enc_create();
    std::vector<char> dst(frame_bound(raw_len));
    if (!e) {
        state.SkipWithError("frame_enc_create failed");
        return;
    }
    ssize_t flen = 0;
    for (auto _ : state) {
        flen = frame_encode(e, &m, s.data(), raw_len, dst.data(), dst.size());
        benchmark::DoNotOptimize(flen);
        benchmark::ClobberMemory();
    }
    if (flen <= 0)
        state.SkipWithError("frame_encode failed");
    state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(raw_len));
    state.SetItemsProcessed(state.iterations() * lines);
    state.counters["ratio"] = flen > 0 ? static_cast<double>(raw_len) / static_cast<double>(flen) : 0;
    state.counters["raw_bytes"] = static_cast<double>(raw_len);
    frame_enc_destroy(e);
}
BENCHMARK(BM_frame_encode)->Arg(4 << 10)->Arg(64 << 10)->Arg(256 << 10)->Arg(1 << 20)->Arg(4 << 20);

void BM_frame_decode(benchmark::State &state)
{
    const std::string &s = ndjson();
    const size_t raw_len = prefix_len(s, static_cast<size_t>(state.range(0)));
    const int64_t lines = count_lines(s.data(), raw_len);
    const struct frame_meta m = meta_for(lines);
    struct frame_enc *e = frame_enc_create();
    struct frame_dec *d = frame_dec_create();
    std::vector<char> frame(frame_bound(raw_len));
    struct buf out = {nullptr, 0, 0};
    ssize_t flen = e ? frame_encode(e, &m, s.data(), raw_len, frame.data(), frame.size()) : -1;
    if (!e || !d || flen <= 0 || buf_reserve(&out, raw_len) != 0) {
        state.SkipWithError("setup failed (frame_enc/dec_create, frame_encode or buffer)");
        goto done;
    }
    for (auto _ : state) {
        struct frame_view v;
        buf_reset(&out);
        int rc = frame_parse(frame.data(), static_cast<size_t>(flen), &v);
        if (rc == 0)
            rc = frame_decode(d, &v, &out);
        if (rc != 0) {
            state.SkipWithError("frame_parse/frame_decode failed");
            break;
        }
        benchmark::DoNotOptimize(out.p);
        benchmark::ClobberMemory();
    }
    if (out.len != raw_len || std::memcmp(out.p, s.data(), raw_len) != 0)
        state.SkipWithError("decoded text differs from the input");
    state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(raw_len));
    state.SetItemsProcessed(state.iterations() * lines);
done:
    buf_fini(&out);
    frame_dec_destroy(d);
    frame_enc_destroy(e);
}
BENCHMARK(BM_frame_decode)->Arg(4 << 10)->Arg(64 << 10)->Arg(256 << 10)->Arg(1 << 20)->Arg(4 << 20);

void BM_frame_crc32c(benchmark::State &state)
{
    const std::string &s = ndjson();
    const size_t n = prefix_len(s, static_cast<size_t>(state.range(0)));
    uint32_t c = 0;
    for (auto _ : state) {
        c = crc32c(0, s.data(), n);
        benchmark::DoNotOptimize(c);
    }
    state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(n));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_frame_crc32c)->Arg(4 << 10)->Arg(64 << 10)->Arg(256 << 10)->Arg(1 << 20)->Arg(4 << 20);

} // namespace

BENCHMARK_MAIN();
