// bm_norm.cc - the normalize path against simdjson's own parse of the same bytes
// (DESIGN.md §12: normalize >= 500 MB/s per core, within 3x of the raw parse).
//
//   BM_norm_raw_ondemand/<K>  simdjson On Demand full traversal (od_walk.h), built
//                             for the shim's instruction set: the reference
//   BM_norm_shim_walk/<K>     json_shim_walk(): the same traversal behind the C API
//   BM_norm_shim_records/<K>  json_body_begin + json_body_next over every record:
//                             the shim's parse of a Defender message as norm uses it
//   BM_norm_message/<K>       norm_message(): parse + map + OCSF NDJSON encode
//   BM_norm_table/<T>         norm_message() on messages of one table only (one per
//                             normalizer), and BM_norm_table_raw/<T> the raw parse of them
//
// K = records per Event Hub message (synth's --records-per-message; 10 is the
// default and the e2e figure). One iteration handles one message; the benchmark
// cycles through a corpus of messages, so bytes_per_second is Defender JSON in and
// items_per_second is records. A body that is not JSON (synth injects a few) counts
// in invalid_bodies / bad_records / dead_letters. All four read the same bodies, so the ratio of
// their bytes_per_second is the normalize cost over the raw parse; a summary with
// those ratios is printed on stderr at the end (MB = 10^6 bytes).
//
// Corpus: synth_generate() (tools/replay) writes SLUICE_BM_NORM_EVENTS records
// (default 20000, ~40 MB of JSON: well past the caches) over 4 partitions into a
// capture in a temp dir, read back with capture_reader and copied into one buffer,
// every body followed by JSON_PAD zero bytes. Setting SLUICE_BM_NORM_CAPTURE=FILE
// uses that capture instead (e.g. real traffic from `sluice-replay import`); then
// the benchmarks are named .../capture.
#include <benchmark/benchmark.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "od_walk.h"

extern "C" {
#include "batch.h"
#include "buf.h"
#include "capture.h"
#include "err.h"
#include "json_shim.h"
#include "norm.h"
#include "synth.h"
}

namespace {

struct msg {
    size_t off, len;
    uint32_t partition, records;
    int64_t seq, enq_ms;
};

struct corpus {
    std::vector<char> mem; // bodies, each followed by JSON_PAD zero bytes
    std::vector<msg> msgs;
    uint64_t bytes = 0, records = 0;
    std::string error;      // non-empty: could not be built
    const char *ns = "bench.servicebus.windows.net";
    const char *hub = "defender";
};

bool load_capture(const char *path, corpus *c)
{
    struct capture cap;
    int rc = capture_open(path, &cap);
    if (rc) {
        c->error = std::string("capture_open: ") + err_str(rc);
        return false;
    }
    bool ok = true;
    for (uint32_t p = 0; ok && p < cap.partitions; p++) {
        int err = 0;
        struct capture_reader *r = capture_reader_open(path, &cap, p, -1, &err);
        if (!r) {
            c->error = std::string("capture_reader_open: ") + err_str(err);
            ok = false;
            break;
        }
        struct capture_event ev;
        while ((rc = capture_reader_next(r, &ev)) == 1) {
            msg m{c->mem.size(), ev.body_len, p, ev.records, ev.seq, ev.enq_ms};
            c->mem.insert(c->mem.end(), ev.body, ev.body + ev.body_len);
            c->mem.insert(c->mem.end(), JSON_PAD, '\0');
            c->msgs.push_back(m);
            c->bytes += ev.body_len;
            c->records += ev.records;
        }
        if (rc < 0) {
            c->error = std::string("capture_reader_next: ") + err_str(rc);
            ok = false;
        }
        capture_reader_close(r);
    }
    capture_close(&cap);
    if (ok && c->msgs.empty()) {
        c->error = "capture has no events";
        ok = false;
    }
    return ok;
}

// Corpus for K records per message (K == 0: the SLUICE_BM_NORM_CAPTURE file).
const corpus &get_corpus(uint32_t k)
{
    static std::map<uint32_t, std::unique_ptr<corpus>> cache;
    auto it = cache.find(k);
    if (it != cache.end())
        return *it->second;
    auto c = std::make_unique<corpus>();
    if (k == 0) {
        load_capture(std::getenv("SLUICE_BM_NORM_CAPTURE"), c.get());
    } else {
        uint64_t events = 20000;
        if (const char *e = std::getenv("SLUICE_BM_NORM_EVENTS"))
            events = std::strtoull(e, nullptr, 10);
        char dir[] = "/tmp/sluice-bm-norm.XXXXXX";
        if (!mkdtemp(dir)) {
            c->error = "mkdtemp failed";
        } else {
            const std::string path = std::string(dir) + "/synth.cap";
            int err = 0;
            struct capture_writer *w =
                capture_writer_create(path.c_str(), c->ns, c->hub, 4, 0, &err);
            if (!w) {
                c->error = std::string("capture_writer_create: ") + err_str(err);
            } else {
                struct synth_opts o;
                std::memset(&o, 0, sizeof(o));
                o.events = events;
                o.partitions = 4;
                o.records_per_message = k;
                o.seed = 1;
                int rc = synth_generate(w, &o);
                int rc2 = capture_writer_close(w);
                if (rc || rc2)
                    c->error = std::string("synth_generate: ") + err_str(rc ? rc : rc2);
                else
                    load_capture(path.c_str(), c.get());
            }
            (void)unlink(path.c_str());
            (void)rmdir(dir);
        }
    }
    return *(cache[k] = std::move(c));
}

// Shared tail: counters and corpus sanity.
void finish(benchmark::State &state, uint64_t bytes, uint64_t records)
{
    state.SetBytesProcessed(static_cast<int64_t>(bytes));
    state.SetItemsProcessed(static_cast<int64_t>(records));
}

bool usable(benchmark::State &state, const corpus &c)
{
    if (!c.error.empty()) {
        state.SkipWithError(("corpus: " + c.error).c_str());
        return false;
    }
    return true;
}

// ---------------------------------------------------------------------------
void raw_ondemand(benchmark::State &state, const corpus &c)
{
    if (!usable(state, c))
        return;
    auto w = std::make_unique<od::walker>();
    od::walk_result r{};
    size_t i = 0;
    uint64_t bytes = 0, records = 0, invalid = 0;
    for (auto _ : state) {
        const msg &m = c.msgs[i];
        // A body that is not JSON (synth injects a few, as Defender drift does)
        // counts with the work simdjson did up to the error.
        invalid += w->walk(c.mem.data() + m.off, m.len, m.len + JSON_PAD, &r) != simdjson::SUCCESS;
        bytes += m.len;
        records += m.records;
        if (++i == c.msgs.size())
            i = 0;
    }
    benchmark::DoNotOptimize(r);
    state.counters["values_per_byte"] = bytes ? static_cast<double>(r.values) / bytes : 0;
    state.counters["invalid_bodies"] = static_cast<double>(invalid);
    state.SetLabel(od::od_impl_name());
    finish(state, bytes, records);
}

void BM_norm_shim_walk(benchmark::State &state, uint32_t k)
{
    const corpus &c = get_corpus(k);
    if (!usable(state, c))
        return;
    struct json_parser *p = json_parser_create();
    if (!p) {
        state.SkipWithError("json_parser_create failed (no memory, or CPU lacks the shim's ISA)");
        return;
    }
    size_t i = 0;
    uint64_t bytes = 0, records = 0, values = 0, invalid = 0;
    for (auto _ : state) {
        const msg &m = c.msgs[i];
        uint64_t v = 0;
        const int rc = json_shim_walk(p, c.mem.data() + m.off, m.len, &v);
        if (rc == -ENOMEM) {
            state.SkipWithError("json_shim_walk: out of memory");
            break;
        }
        invalid += rc != 0;
        values += v;
        bytes += m.len;
        records += m.records;
        if (++i == c.msgs.size())
            i = 0;
    }
    benchmark::DoNotOptimize(values);
    state.counters["values_per_byte"] = bytes ? static_cast<double>(values) / bytes : 0;
    state.counters["invalid_bodies"] = static_cast<double>(invalid);
    finish(state, bytes, records);
    json_parser_destroy(p);
}

void BM_norm_shim_records(benchmark::State &state, uint32_t k)
{
    const corpus &c = get_corpus(k);
    if (!usable(state, c))
        return;
    struct json_parser *p = json_parser_create();
    if (!p) {
        state.SkipWithError("json_parser_create failed (no memory, or CPU lacks the shim's ISA)");
        return;
    }
    size_t i = 0;
    uint64_t bytes = 0, records = 0, fields = 0, val_bytes = 0, bad = 0;
    for (auto _ : state) {
        const msg &m = c.msgs[i];
        int rc = json_body_begin(p, c.mem.data() + m.off, m.len);
        if (rc == 0) {
            struct json_record r;
            while ((rc = json_body_next(p, &r)) != 0) {
                if (rc == 1) {
                    fields += r.nfields;
                    for (uint32_t f = 0; f < r.nfields; f++)
                        val_bytes += r.fields[f].val_len;
                    records++;
                } else if (rc == -ENOMEM) {
                    break;
                } else {
                    bad++;
                    records++;
                }
            }
        } else {
            bad++;
        }
        if (rc == -ENOMEM) {
            state.SkipWithError("json shim: out of memory");
            break;
        }
        bytes += m.len;
        if (++i == c.msgs.size())
            i = 0;
    }
    benchmark::DoNotOptimize(val_bytes);
    state.counters["fields_per_record"] = records ? static_cast<double>(fields) / records : 0;
    state.counters["bad_records"] = static_cast<double>(bad);
    finish(state, bytes, records);
    json_parser_destroy(p);
}

void norm_corpus(benchmark::State &state, const corpus &c)
{
    if (!usable(state, c))
        return;
    struct norm_cfg cfg;
    std::memset(&cfg, 0, sizeof(cfg));
    cfg.ns = c.ns;
    cfg.hub = c.hub;
    cfg.keep_original = false;
    struct norm *n = norm_create(&cfg);
    if (!n) {
        state.SkipWithError("norm_create failed");
        return;
    }
    struct buf events = {nullptr, 0, 0}, dead = {nullptr, 0, 0};
    struct norm_stats st;
    std::memset(&st, 0, sizeof(st));
    size_t i = 0;
    for (auto _ : state) {
        const msg &m = c.msgs[i];
        struct norm_msg nm;
        std::memset(&nm, 0, sizeof(nm));
        nm.body = c.mem.data() + m.off;
        nm.len = m.len;
        nm.partition = m.partition;
        nm.seq = m.seq;
        nm.enq_ms = m.enq_ms;
        buf_reset(&events);
        buf_reset(&dead);
        if (norm_message(n, &nm, &events, &dead, &st) < 0) {
            state.SkipWithError("norm_message: out of memory");
            break;
        }
        benchmark::DoNotOptimize(events.p);
        if (++i == c.msgs.size())
            i = 0;
    }
    uint64_t dead_n = 0;
    for (int d = 0; d < ND__COUNT; d++)
        dead_n += st.dead[d];
    state.counters["out_per_in"] = st.bytes_in ? static_cast<double>(st.bytes_out) / st.bytes_in : 0;
    state.counters["dead_letters"] = static_cast<double>(dead_n);
    finish(state, st.bytes_in, st.records);
    buf_fini(&events);
    buf_fini(&dead);
    norm_destroy(n);
}

void BM_norm_raw_ondemand(benchmark::State &state, uint32_t k) { raw_ondemand(state, get_corpus(k)); }
void BM_norm_message(benchmark::State &state, uint32_t k) { norm_corpus(state, get_corpus(k)); }

// ---------------------------------------------------------------------------
// Per normalizer: the K=10 synth corpus split by table ("AdvancedHunting-<T>" in each
// record's raw text) and regrouped into bodies of 10 records of that table only, so
// BM_norm_table/<T> measures one table's mapping and BM_norm_table_raw/<T> the raw
// parse of exactly those bytes.
const char *const k_tables[] = {
    "DeviceProcessEvents", "DeviceNetworkEvents",   "DeviceFileEvents",
    "DeviceRegistryEvents", "DeviceLogonEvents",    "DeviceImageLoadEvents",
    "DeviceEvents",        "DeviceInfo",            "DeviceNetworkInfo",
    "DeviceFileCertificateInfo", "AlertInfo",       "AlertEvidence",
};
const uint32_t k_ntables = sizeof(k_tables) / sizeof(k_tables[0]);

const corpus &get_table_corpus(uint32_t t)
{
    static std::vector<std::unique_ptr<corpus>> cache;
    if (cache.empty()) {
        const corpus &src = get_corpus(10);
        std::vector<std::vector<std::string>> recs(k_ntables);
        struct json_parser *p = json_parser_create();
        for (const msg &m : src.msgs) {
            if (!p || json_body_begin(p, src.mem.data() + m.off, m.len) != 0)
                continue;
            struct json_record r;
            int rc;
            while ((rc = json_body_next(p, &r)) == 1) {
                std::string raw(r.raw, r.raw_len);
                size_t at = raw.find("AdvancedHunting-");
                if (at == std::string::npos)
                    continue;
                size_t end = raw.find('"', at);
                std::string name = raw.substr(at + 16, end - at - 16);
                for (uint32_t i = 0; i < k_ntables; i++)
                    if (name == k_tables[i])
                        recs[i].push_back(raw);
            }
        }
        if (p)
            json_parser_destroy(p);
        for (uint32_t i = 0; i < k_ntables; i++) {
            auto c = std::make_unique<corpus>();
            if (!src.error.empty())
                c->error = src.error;
            for (size_t j = 0; j < recs[i].size(); j += 10) {
                std::string body = "{\"records\":[";
                uint32_t n = 0;
                for (size_t q = j; q < recs[i].size() && q < j + 10; q++, n++)
                    body += (n ? "," : "") + recs[i][q];
                body += "]}";
                msg mm{c->mem.size(), body.size(), 0, n, static_cast<int64_t>(c->msgs.size()), 0};
                c->mem.insert(c->mem.end(), body.begin(), body.end());
                c->mem.insert(c->mem.end(), JSON_PAD, '\0');
                c->msgs.push_back(mm);
                c->bytes += body.size();
                c->records += n;
            }
            if (c->msgs.empty() && c->error.empty())
                c->error = std::string("no ") + k_tables[i] + " records in the corpus";
            cache.push_back(std::move(c));
        }
    }
    return *cache[t];
}

void BM_norm_table_raw(benchmark::State &state, uint32_t t) { raw_ondemand(state, get_table_corpus(t)); }
void BM_norm_table(benchmark::State &state, uint32_t t) { norm_corpus(state, get_table_corpus(t)); }

// ---------------------------------------------------------------------------
// Forwards to the display reporter and remembers bytes/s per (op, arg) to print
// the norm/raw ratios at the end. Aggregated runs count by their mean.
class ratio_reporter : public benchmark::BenchmarkReporter {
public:
    explicit ratio_reporter(benchmark::BenchmarkReporter *inner) : inner_(inner) {}
    bool ReportContext(const Context &ctx) override { return inner_->ReportContext(ctx); }
    void ReportRuns(const std::vector<Run> &runs) override
    {
        for (const Run &r : runs) {
            if (r.error_occurred)
                continue;
            if (r.run_type == Run::RT_Aggregate && r.aggregate_name != "mean")
                continue;
            auto it = r.counters.find("bytes_per_second");
            if (it == r.counters.end())
                continue;
            // Registered as "<op>/<K>": function_name holds both.
            const std::string &fn = r.run_name.function_name;
            const size_t slash = fn.find('/');
            const std::string op = fn.substr(0, slash);
            const std::string arg = slash == std::string::npos ? "" : fn.substr(slash + 1);
            mbps_[arg][op] = it->second.value / 1e6;
        }
        inner_->ReportRuns(runs);
    }
    void Finalize() override
    {
        inner_->Finalize();
        if (mbps_.empty())
            return;
        std::fprintf(stderr, "\nbm_norm summary, MB/s (10^6 bytes) of Defender JSON on one core\n");
        bool any_k = false;
        for (auto &row : mbps_)
            any_k |= !row.second.count("BM_norm_table") && !row.second.count("BM_norm_table_raw");
        if (any_k)
            std::fprintf(stderr, "%-8s %12s %12s %12s %12s %9s %9s\n", "K", "raw_ondemand",
                         "shim_walk", "shim_records", "norm_message", "raw/norm", "walk/norm");
        for (auto &row : mbps_) {
            auto get = [&](const char *op) {
                auto f = row.second.find(op);
                return f == row.second.end() ? 0.0 : f->second;
            };
            if (row.second.count("BM_norm_table") || row.second.count("BM_norm_table_raw"))
                continue;
            const double raw = get("BM_norm_raw_ondemand"), walk = get("BM_norm_shim_walk");
            const double nm = get("BM_norm_message");
            std::fprintf(stderr, "%-8s %12.1f %12.1f %12.1f %12.1f %9.2f %9.2f\n", row.first.c_str(),
                         raw, walk, get("BM_norm_shim_records"), nm, nm > 0 ? raw / nm : 0.0,
                         nm > 0 ? walk / nm : 0.0);
        }
        bool head = false;
        for (auto &row : mbps_) {
            auto f = row.second.find("BM_norm_table"), r = row.second.find("BM_norm_table_raw");
            if (f == row.second.end() && r == row.second.end())
                continue;
            if (!head) {
                std::fprintf(stderr, "\nper normalizer (10 records of one table per message):\n"
                                     "%-26s %12s %12s %9s\n", "table", "raw_ondemand", "norm",
                             "raw/norm");
                head = true;
            }
            const double raw = r == row.second.end() ? 0.0 : r->second;
            const double nm = f == row.second.end() ? 0.0 : f->second;
            std::fprintf(stderr, "%-26s %12.1f %12.1f %9.2f\n", row.first.c_str(), raw, nm,
                         nm > 0 ? raw / nm : 0.0);
        }
        std::fprintf(stderr, "target (DESIGN.md §12): norm_message >= 500 MB/s and raw/norm <= 3\n");
    }

private:
    benchmark::BenchmarkReporter *inner_;
    std::map<std::string, std::map<std::string, double>> mbps_; // [K][op] = MB/s
};

} // namespace

int main(int argc, char **argv)
{
    std::string format = "console"; // json or console (csv is deprecated upstream)
    for (int i = 1; i < argc; i++)
        if (!std::strncmp(argv[i], "--benchmark_format=", 19))
            format = argv[i] + 19;
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;

    struct op {
        const char *name;
        void (*fn)(benchmark::State &, uint32_t);
    };
    static const op ops[] = {
        {"BM_norm_raw_ondemand", BM_norm_raw_ondemand},
        {"BM_norm_shim_walk", BM_norm_shim_walk},
        {"BM_norm_shim_records", BM_norm_shim_records},
        {"BM_norm_message", BM_norm_message},
    };
    const bool external = std::getenv("SLUICE_BM_NORM_CAPTURE") != nullptr;
    static const uint32_t ks[] = {1, 10, 100};
    for (const op &o : ops) {
        if (external) {
            benchmark::RegisterBenchmark((std::string(o.name) + "/capture").c_str(), o.fn, 0u);
            continue;
        }
        for (uint32_t k : ks)
            benchmark::RegisterBenchmark((std::string(o.name) + "/" + std::to_string(k)).c_str(),
                                         o.fn, k);
    }

    if (!external)
        for (uint32_t t = 0; t < k_ntables; t++) {
            benchmark::RegisterBenchmark((std::string("BM_norm_table_raw/") + k_tables[t]).c_str(),
                                         BM_norm_table_raw, t);
            benchmark::RegisterBenchmark((std::string("BM_norm_table/") + k_tables[t]).c_str(),
                                         BM_norm_table, t);
        }

    std::unique_ptr<benchmark::BenchmarkReporter> inner;
    if (format == "json")
        inner = std::make_unique<benchmark::JSONReporter>();
    else
        inner = std::make_unique<benchmark::ConsoleReporter>(
            isatty(STDOUT_FILENO) ? benchmark::ConsoleReporter::OO_Color
                                  : benchmark::ConsoleReporter::OO_None);
    ratio_reporter rep(inner.get());
    benchmark::RunSpecifiedBenchmarks(&rep);
    benchmark::Shutdown();
    return 0;
}
