// raw_parse.cc - simdjson's own On Demand parse of every body of a capture, timed on
// one core: the reference that DESIGN.md §12 compares the normalize path against.
//
// usage: raw_parse CAPTURE [--cpu N] [--chunk-mb MB] [--passes K]
//
// DESIGN
// Bodies are read with capture_reader (LZ4 decode, not timed) into an in-memory
// chunk, each followed by 64 zero bytes (JSON_PAD, simdjson's padding); when the
// chunk is full, every body in it is walked with od::walker (od_walk.h: full
// traversal, every string unescaped and number converted) and only that walk is
// timed. The chunk (default 256 MB) is much larger than the caches, so bodies come
// from memory as they do from a batch pool. With --passes K each chunk is walked K
// times and the best pass counts (default 1: one cold pass, like sluice's shards).
// The thread is pinned to --cpu (default: the first allowed CPU).
// Prints one JSON object on stdout:
//   {"bytes":B,"messages":M,"values":V,"seconds":S,"mb_per_s":B/1e6/S,"impl":"haswell",...}
// MB is 10^6 bytes, as in `sluice run --stats-json`. A body that is not JSON (synth
// injects a few, as real traffic has some) is counted in "invalid", with the time
// simdjson took to reject it. Exit 0, 1 on a capture read error, 2 on usage.
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <cerrno>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "od_walk.h"

extern "C" {
#include "capture.h"
#include "err.h"
}

namespace {

constexpr size_t kPad = 64; // JSON_PAD (batch.h); >= simdjson::SIMDJSON_PADDING
static_assert(kPad >= simdjson::SIMDJSON_PADDING, "pad must cover simdjson's padding");

double now_s()
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct body_ref {
    size_t off, len;
};

struct totals {
    uint64_t bytes = 0, messages = 0, values = 0;
    uint64_t invalid = 0; // bodies simdjson rejected (counted with the work done up to the error)
    double seconds = 0;
    od::walk_result sink{};
};

int usage()
{
    std::fprintf(stderr, "usage: raw_parse CAPTURE [--cpu N] [--chunk-mb MB] [--passes K]\n");
    return 2;
}

bool parse_uint(const char *s, unsigned long *v)
{
    char *end;
    errno = 0;
    *v = std::strtoul(s, &end, 10);
    return errno == 0 && end != s && *end == 0;
}

// Walk every body of the chunk `passes` times; the fastest pass counts.
void walk_chunk(od::walker &w, const std::vector<char> &chunk, const std::vector<body_ref> &bodies,
                unsigned passes, totals *t)
{
    double best = 0;
    for (unsigned k = 0; k < passes; k++) {
        od::walk_result r{};
        const double t0 = now_s();
        uint64_t invalid = 0;
        for (const body_ref &b : bodies)
            invalid += w.walk(chunk.data() + b.off, b.len, b.len + kPad, &r) != simdjson::SUCCESS;
        const double dt = now_s() - t0;
        if (k == 0 || dt < best)
            best = dt;
        if (k == 0) {
            t->invalid += invalid;
            t->values += r.values;
            t->sink.str_bytes += r.str_bytes;
            t->sink.num_sum += r.num_sum;
        }
    }
    t->seconds += best;
}

} // namespace

int main(int argc, char **argv)
{
    const char *path = nullptr;
    unsigned long cpu = ~0ul, chunk_mb = 256, passes = 1;
    for (int i = 1; i < argc; i++) {
        unsigned long *dst = nullptr;
        if (!std::strcmp(argv[i], "--cpu"))
            dst = &cpu;
        else if (!std::strcmp(argv[i], "--chunk-mb"))
            dst = &chunk_mb;
        else if (!std::strcmp(argv[i], "--passes"))
            dst = &passes;
        else if (argv[i][0] == '-' || path)
            return usage();
        else {
            path = argv[i];
            continue;
        }
        if (i + 1 >= argc || !parse_uint(argv[++i], dst))
            return usage();
    }
    if (!path || chunk_mb == 0 || chunk_mb > 65536 || passes == 0 || passes > 100)
        return usage();

    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof(allowed), &allowed) == 0) {
        if (cpu == ~0ul)
            for (int c = 0; c < CPU_SETSIZE; c++)
                if (CPU_ISSET(c, &allowed)) {
                    cpu = static_cast<unsigned long>(c);
                    break;
                }
        cpu_set_t one;
        CPU_ZERO(&one);
        if (cpu < CPU_SETSIZE)
            CPU_SET(cpu, &one);
        if (cpu >= CPU_SETSIZE || pthread_setaffinity_np(pthread_self(), sizeof(one), &one) != 0) {
            std::fprintf(stderr, "raw_parse: cannot pin to cpu %lu\n", cpu);
            return 1;
        }
    }

    struct capture cap;
    int rc = capture_open(path, &cap);
    if (rc) {
        std::fprintf(stderr, "raw_parse: capture_open(%s): %s\n", path, err_str(rc));
        return 1;
    }
    const size_t chunk_cap = chunk_mb << 20;
    std::vector<char> chunk;
    chunk.reserve(chunk_cap + (64u << 20)); // room for one large body past the mark
    std::vector<body_ref> bodies;
    od::walker w;
    totals t;
    bool ok = true;
    for (uint32_t p = 0; ok && p < cap.partitions; p++) {
        int err = 0;
        struct capture_reader *r = capture_reader_open(path, &cap, p, -1, &err);
        if (!r) {
            std::fprintf(stderr, "raw_parse: capture_reader_open(p=%u): %s\n", p, err_str(err));
            ok = false;
            break;
        }
        struct capture_event ev;
        while ((rc = capture_reader_next(r, &ev)) == 1) {
            bodies.push_back({chunk.size(), ev.body_len});
            chunk.insert(chunk.end(), ev.body, ev.body + ev.body_len);
            chunk.insert(chunk.end(), kPad, '\0');
            t.bytes += ev.body_len;
            t.messages++;
            if (chunk.size() >= chunk_cap) {
                walk_chunk(w, chunk, bodies, static_cast<unsigned>(passes), &t);
                chunk.clear();
                bodies.clear();
            }
        }
        if (ok && rc < 0) {
            std::fprintf(stderr, "raw_parse: capture_reader_next(p=%u): %s\n", p, err_str(rc));
            ok = false;
        }
        capture_reader_close(r);
    }
    if (ok && !bodies.empty())
        walk_chunk(w, chunk, bodies, static_cast<unsigned>(passes), &t);
    capture_close(&cap);
    if (!ok)
        return 1;
    const double s = t.seconds > 0 ? t.seconds : 1e-9;
    std::printf("{\"bytes\":%" PRIu64 ",\"messages\":%" PRIu64 ",\"invalid\":%" PRIu64
                ",\"values\":%" PRIu64
                ",\"seconds\":%.6f,\"mb_per_s\":%.3f,\"impl\":\"%s\",\"cpu\":%lu,\"passes\":%lu,"
                "\"string_bytes\":%" PRIu64 ",\"number_sum\":%.6g}\n",
                t.bytes, t.messages, t.invalid, t.values, t.seconds, static_cast<double>(t.bytes) / 1e6 / s,
                od::od_impl_name(), cpu, passes, t.sink.str_bytes, t.sink.num_sum);
    return 0;
}
