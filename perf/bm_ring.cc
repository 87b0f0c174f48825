// bm_ring.cc - SPSC ring, batch pool and checkpoint tracker micro-benchmarks
// (STYLE.md §11).
//
//   BM_ring_same_core/<burst>   push a burst then pop it, one thread pinned to CPU 0:
//                               the cost of the ring operations without cache-line transfer
//   BM_ring_cross_core/<burst>  producer (thread 0, CPU 0) pushes, consumer (thread 1,
//                               CPU 1) pops, `burst` items per iteration on each side;
//                               real time; items counted once (consumer side)
//   BM_pool_get_put/<burst>     owner takes `burst` batches, then returns them (pool_put)
//   BM_tracker_begin_done/<n>   register n ranges, complete them in reverse order (the
//                               watermark moves once, over all n): per range cost
//
// Counters: items_per_second, and "ns_per_item" (seconds per item, shown with an
// SI prefix: "5.1n" is 5.1 ns). Read cross core from ns_per_item: Google Benchmark
// divides the Time column of a threaded run by the thread count. Threads are pinned with pthread_setaffinity_np and
// the main thread's affinity is restored after each benchmark.
// Cross socket is not measured here: the development hosts have one socket.
#include <benchmark/benchmark.h>

#include <pthread.h>
#include <sched.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

// ring.h, pool.h and tracker.h use C11 _Atomic, which C++17 cannot include: they
// are reached through the C bridge perf_base.h (LTO inlines it; see that header).
#include "perf_base.h"

namespace {

constexpr uint32_t kRingSlots = 1024; // >= 2 x the largest burst

// Pins the calling thread to `cpu` for the lifetime of the object, then restores
// the previous mask (benchmark thread 0 is the process's main thread).
class pin_guard {
public:
    explicit pin_guard(int cpu)
    {
        saved_ok_ = pthread_getaffinity_np(pthread_self(), sizeof(saved_), &saved_) == 0;
        if (cpu < 0 || cpu >= CPU_SETSIZE)
            return;
        cpu_set_t s;
        CPU_ZERO(&s);
        CPU_SET(cpu, &s);
        ok_ = pthread_setaffinity_np(pthread_self(), sizeof(s), &s) == 0;
    }
    ~pin_guard()
    {
        if (saved_ok_)
            (void)pthread_setaffinity_np(pthread_self(), sizeof(saved_), &saved_);
    }
    pin_guard(const pin_guard &) = delete;
    pin_guard &operator=(const pin_guard &) = delete;
    bool ok() const { return ok_; }

private:
    cpu_set_t saved_;
    bool saved_ok_ = false;
    bool ok_ = false;
};

int allowed_cpus()
{
    cpu_set_t s;
    if (sched_getaffinity(0, sizeof(s), &s) != 0)
        return 1;
    return CPU_COUNT(&s);
}

// Nth allowed CPU (so pinning works inside a restricted cpuset too), or -1.
int nth_allowed_cpu(int n)
{
    cpu_set_t s;
    if (sched_getaffinity(0, sizeof(s), &s) != 0)
        return -1;
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &s) && n-- == 0)
            return c;
    return -1;
}

void per_item_counters(benchmark::State &state, int64_t items)
{
    state.SetItemsProcessed(items);
    state.counters["ns_per_item"] = benchmark::Counter(
        static_cast<double>(items), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// Distinct non-NULL values to move through the ring.
void *const *payload()
{
    static void *objs[512];
    static bool init = [] {
        for (uintptr_t i = 0; i < 512; i++)
            objs[i] = reinterpret_cast<void *>((i + 1) * 64);
        return true;
    }();
    (void)init;
    return objs;
}

// ---------------------------------------------------------------------------
// Same core: push then pop in one thread.
void BM_ring_same_core(benchmark::State &state)
{
    const unsigned burst = static_cast<unsigned>(state.range(0));
    pin_guard pin(nth_allowed_cpu(0));
    struct ring *r = perf_ring_create(kRingSlots);
    if (!r || !pin.ok()) {
        state.SkipWithError(!r ? "ring_create failed" : "cannot pin to a CPU");
        perf_ring_destroy(r);
        return;
    }
    void *const *in = payload();
    void *out[512];
    uint64_t moved = 0;
    for (auto _ : state) {
        unsigned pushed = perf_ring_push_burst(r, in, burst);
        unsigned popped = perf_ring_pop_burst(r, out, pushed);
        benchmark::DoNotOptimize(out[0]);
        benchmark::ClobberMemory();
        moved += popped;
    }
    if (moved != static_cast<uint64_t>(state.iterations()) * burst)
        state.SkipWithError("ring moved fewer items than pushed");
    per_item_counters(state, static_cast<int64_t>(moved));
    perf_ring_destroy(r);
}
BENCHMARK(BM_ring_same_core)->Arg(1)->Arg(8)->Arg(32)->Arg(128)->Arg(512);

// ---------------------------------------------------------------------------
// Cross core: thread 0 produces, thread 1 consumes; both move `burst` items per
// iteration, so both loops end after the same number of items.
struct ring *g_xring;

void xring_setup(const benchmark::State &) { g_xring = perf_ring_create(kRingSlots); }
void xring_teardown(const benchmark::State &)
{
    perf_ring_destroy(g_xring);
    g_xring = nullptr;
}

void BM_ring_cross_core(benchmark::State &state)
{
    const unsigned burst = static_cast<unsigned>(state.range(0));
    const bool producer = state.thread_index() == 0;
    if (allowed_cpus() < 2) {
        state.SkipWithError("needs 2 CPUs");
        return;
    }
    pin_guard pin(nth_allowed_cpu(producer ? 0 : 1));
    struct ring *r = g_xring;
    if (!r || !pin.ok()) {
        state.SkipWithError(!r ? "ring_create failed" : "cannot pin to a CPU");
        return;
    }
    void *const *in = payload();
    void *out[512];
    uint64_t moved = 0, sum = 0;
    if (producer) {
        for (auto _ : state) {
            unsigned done = 0;
            while (done < burst) {
                unsigned n = perf_ring_push_burst(r, in + done, burst - done);
                if (n == 0)
                    perf_cpu_relax();
                done += n;
            }
            moved += done;
        }
    } else {
        for (auto _ : state) {
            unsigned done = 0;
            while (done < burst) {
                unsigned n = perf_ring_pop_burst(r, out + done, burst - done);
                if (n == 0)
                    perf_cpu_relax();
                done += n;
            }
            sum += reinterpret_cast<uintptr_t>(out[burst - 1]);
            moved += done;
        }
        benchmark::DoNotOptimize(sum);
        // Items counted on the consumer only: counters are summed over threads.
        per_item_counters(state, static_cast<int64_t>(moved));
    }
}
BENCHMARK(BM_ring_cross_core)
    ->Arg(1)->Arg(8)->Arg(32)->Arg(128)->Arg(512)
    ->Threads(2)
    ->UseRealTime()
    ->Setup(xring_setup)
    ->Teardown(xring_teardown);

// ---------------------------------------------------------------------------
// Pool: the owner takes `burst` batches and gives them back (in one thread the
// get side and the put side are the free ring's consumer and producer).
void BM_pool_get_put(benchmark::State &state)
{
    const unsigned burst = static_cast<unsigned>(state.range(0));
    pin_guard pin(nth_allowed_cpu(0));
    struct pool *p = perf_pool_create(512, 4096);
    if (!p) {
        state.SkipWithError("pool_create failed");
        return;
    }
    struct batch *held[512];
    uint64_t moved = 0;
    for (auto _ : state) {
        unsigned n = 0;
        for (; n < burst; n++) {
            held[n] = perf_pool_get(p);
            if (!held[n])
                break;
        }
        benchmark::DoNotOptimize(held[0]);
        for (unsigned i = 0; i < n; i++)
            perf_pool_put(held[i]);
        moved += n;
    }
    if (moved != static_cast<uint64_t>(state.iterations()) * burst)
        state.SkipWithError("pool ran dry");
    per_item_counters(state, static_cast<int64_t>(moved));
    perf_pool_destroy(p);
}
BENCHMARK(BM_pool_get_put)->Arg(1)->Arg(8)->Arg(32)->Arg(128)->Arg(512);

// ---------------------------------------------------------------------------
// Tracker: n ranges of 10 messages registered in order, completed in reverse
// (out-of-order completions; the watermark advances once per iteration, over
// all n). A final in-order check makes sure the watermark really moved.
void BM_tracker_begin_done(benchmark::State &state)
{
    const unsigned n = static_cast<unsigned>(state.range(0));
    pin_guard pin(nth_allowed_cpu(0));
    struct tracker *t = perf_tracker_create();
    if (!t) {
        state.SkipWithError("no memory");
        return;
    }
    static const char off[] = "8589934592"; // a realistic offset string
    int tok[1024];
    int64_t seq = 0;
    uint64_t moved = 0, bad = 0;
    for (auto _ : state) {
        for (unsigned i = 0; i < n; i++) {
            tok[i] = perf_tracker_begin(t, seq, seq + 9, off, sizeof(off) - 1);
            seq += 10;
        }
        bool advanced = false;
        for (unsigned i = n; i-- > 0;) {
            if (tok[i] < 0)
                bad++;
            else
                advanced |= perf_tracker_done(t, static_cast<uint32_t>(tok[i]));
        }
        benchmark::DoNotOptimize(advanced);
        moved += n;
    }
    if (bad || perf_tracker_pending(t) != 0)
        state.SkipWithError("tracker refused a range or left ranges pending");
    per_item_counters(state, static_cast<int64_t>(moved));
    perf_tracker_destroy(t);
}
BENCHMARK(BM_tracker_begin_done)->Arg(1)->Arg(8)->Arg(32)->Arg(128)->Arg(512);

} // namespace

BENCHMARK_MAIN();
