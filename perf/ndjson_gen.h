// ndjson_gen.h - deterministic OCSF-like NDJSON for perf/ (what a shard hands to
// frame_encode).
//
// DESIGN
// LZ4 speed and ratio depend on the text, so the frame benchmarks need output that
// looks like sluice's: OCSF 1.8.0 events (reference/schemas.md §6 shapes: process
// launch, network flow, file modification) with the metadata block, device, actor
// process and hashes. Values vary the way real traffic does: a unique metadata.uid
// and increasing times per event, hosts/users/images from bounded pools (so
// repeated strings compress as they would), random pids, ports and IPs. The mix is
// 45% process, 35% network, 20% file. Deterministic for a seed within one build
// (argument evaluation order is the compiler's). Header-only: the
// benchmarks that need it (bm_frame) compile it in.
#ifndef SLUICE_PERF_NDJSON_GEN_H
#define SLUICE_PERF_NDJSON_GEN_H

#include <cinttypes>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <string>

namespace ndjson_gen {

class rng {
public:
    explicit rng(uint64_t seed) : s_(seed * 0x9E3779B97F4A7C15ull + 1) {}
    uint64_t next()
    {
        s_ ^= s_ << 13;
        s_ ^= s_ >> 7;
        s_ ^= s_ << 17;
        return s_;
    }
    uint32_t below(uint32_t n) { return static_cast<uint32_t>(next() % n); }

private:
    uint64_t s_;
};

// Hex digest derived from key (same key -> same digest: the same binary has the
// same hash on every host).
inline void hex(char *out, int n, uint64_t key)
{
    rng h(key * 2654435761u + 7);
    static const char d[] = "0123456789abcdef";
    for (int i = 0; i < n; i++)
        out[i] = d[h.next() & 15];
    out[n] = 0;
}

// A line being formatted into a fixed buffer; overflow truncates (never happens
// with these templates: the longest event is ~2.3 KB).
struct line {
    char buf[4096];
    size_t n = 0;
    __attribute__((format(printf, 2, 3))) void put(const char *fmt, ...)
    {
        va_list ap;
        va_start(ap, fmt);
        int k = std::vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
        va_end(ap);
        if (k > 0)
            n = n + static_cast<size_t>(k) < sizeof(buf) ? n + static_cast<size_t>(k) : sizeof(buf) - 1;
    }
};

inline void uuid(rng &r, char out[37])
{
    static const char d[] = "0123456789abcdef";
    uint64_t a = r.next(), b = r.next();
    int k = 0;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            out[i] = '-';
            continue;
        }
        uint64_t &src = k < 16 ? a : b;
        out[i] = d[src & 15];
        src >>= 4;
        k++;
    }
    out[14] = '5';
    out[36] = 0;
}

struct image {
    const char *name, *dir, *company, *desc;
};

inline const image &pick_image(rng &r, uint32_t *idx)
{
    static const image imgs[] = {
        {"svchost.exe", "c:\\\\windows\\\\system32", "Microsoft Corporation", "Host Process for Windows Services"},
        {"smartscreen.exe", "c:\\\\windows\\\\system32", "Microsoft Corporation", "Windows Defender SmartScreen"},
        {"powershell.exe", "c:\\\\windows\\\\system32\\\\windowspowershell\\\\v1.0", "Microsoft Corporation", "Windows PowerShell"},
        {"chrome.exe", "c:\\\\program files\\\\google\\\\chrome\\\\application", "Google LLC", "Google Chrome"},
        {"msedge.exe", "c:\\\\program files (x86)\\\\microsoft\\\\edge\\\\application", "Microsoft Corporation", "Microsoft Edge"},
        {"outlook.exe", "c:\\\\program files\\\\microsoft office\\\\root\\\\office16", "Microsoft Corporation", "Microsoft Outlook"},
        {"teams.exe", "c:\\\\users\\\\public\\\\appdata\\\\local\\\\microsoft\\\\teams\\\\current", "Microsoft Corporation", "Microsoft Teams"},
        {"cmd.exe", "c:\\\\windows\\\\system32", "Microsoft Corporation", "Windows Command Processor"},
        {"MsMpEng.exe", "c:\\\\programdata\\\\microsoft\\\\windows defender\\\\platform\\\\4.18.2211.5-0", "Microsoft Corporation", "Antimalware Service Executable"},
        {"explorer.exe", "c:\\\\windows", "Microsoft Corporation", "Windows Explorer"},
        {"rundll32.exe", "c:\\\\windows\\\\system32", "Microsoft Corporation", "Windows host process (Rundll32)"},
        {"java.exe", "c:\\\\program files\\\\java\\\\jre1.8.0_351\\\\bin", "Oracle Corporation", "Java(TM) Platform SE binary"},
    };
    *idx = r.below(sizeof(imgs) / sizeof(imgs[0]));
    return imgs[*idx];
}

// Appends one event line ('\n'-terminated) for event number i.
inline void append_event(std::string &out, rng &r, uint64_t i)
{
    line L;
    char uid[37], sha1[41], sha256[65], md5[33], psha256[65], dev[41];
    const int64_t t = 1668016792626 + static_cast<int64_t>(i) * 3;
    const uint32_t host = r.below(400), user = r.below(120);
    uint32_t ii, pi;
    const image &img = pick_image(r, &ii);
    const image &par = pick_image(r, &pi);
    uuid(r, uid);
    hex(dev, 40, 1000 + host);
    hex(md5, 32, 2000 + ii);
    hex(sha1, 40, 3000 + ii);
    hex(sha256, 64, 4000 + ii);
    hex(psha256, 64, 4000 + pi);
    const uint32_t kind = r.below(100);
    const unsigned pid = 400 + r.below(30000), ppid = 400 + r.below(30000);
#define NDJSON_GEN_META \
        "\"time\":%" PRId64 ",\"timezone_offset\":0,\"metadata\":{\"version\":\"1.8.0\",\"product\":" \
        "{\"name\":\"Microsoft Defender XDR\",\"vendor_name\":\"Microsoft\"},\"profiles\":[\"host\"]," \
        "\"uid\":\"%s\",\"original_time\":\"2022-11-09T17:59:52.%07uZ\",\"logged_time\":%" PRId64 \
        ",\"log_name\":\"%s\",\"log_provider\":\"Microsoft Defender XDR Streaming API\"," \
        "\"tenant_uid\":\"12345af3-bc0e-4f36-b08e-27759e912345\",\"type\":\"%s\"," \
        "\"original_event_uid\":\"%u\",\"event_code\":\"%s\"},\"device\":{\"type_id\":0," \
        "\"hostname\":\"wks-%05u.corp.contoso.com\",\"uid\":\"%s\",\"groups\":[{\"name\":\"UnassignedGroup\"}]},"
#define NDJSON_GEN_ACTOR \
        "\"actor\":{\"process\":{\"pid\":%u,\"name\":\"%s\",\"cmd_line\":\"%s -k netsvcs -p\"," \
        "\"created_time\":%" PRId64 ",\"integrity_id\":4,\"session\":{\"uid\":\"%u\"},\"file\":{\"name\":" \
        "\"%s\",\"path\":\"%s\\\\%s\",\"type_id\":1,\"hashes\":[{\"algorithm_id\":3,\"value\":\"%s\"}]}}," \
        "\"user\":{\"name\":\"user%03u\",\"domain\":\"CONTOSO\",\"uid\":\"S-1-5-21-1874808502-2282282112-" \
        "3464708742-%u\"}},"
    if (kind < 45) {
        L.put(
            "{\"activity_id\":1,\"activity_name\":\"Launch\",\"category_uid\":1,\"category_name\":"
            "\"System Activity\",\"class_uid\":1007,\"class_name\":\"Process Activity\",\"type_uid\":100701,"
            "\"type_name\":\"Process Activity: Launch\",\"severity_id\":1,\"severity\":\"Informational\",");
        L.put(NDJSON_GEN_META, t, uid, r.below(10000000), t + 209368,
              "DeviceProcessEvents", "Process", r.below(100000), "ProcessCreated", host, dev);
        L.put(NDJSON_GEN_ACTOR, ppid, par.name, par.name, t - 1218507,
              r.below(5), par.name, par.dir, par.name, psha256, user, 1000 + user);
        L.put(
            "\"process\":{\"pid\":%u,\"name\":\"%s\",\"cmd_line\":\"\\\"%s\\\\%s\\\" --type=renderer --lang=en-US "
            "--field-trial-handle=%u\",\"created_time\":%" PRId64 ",\"integrity_id\":4,\"file\":{\"name\":\"%s\","
            "\"path\":\"%s\\\\%s\",\"type_id\":1,\"size\":%u,\"hashes\":[{\"algorithm_id\":1,\"value\":\"%s\"},"
            "{\"algorithm_id\":2,\"value\":\"%s\"},{\"algorithm_id\":3,\"value\":\"%s\"}],\"company_name\":\"%s\","
            "\"desc\":\"%s\",\"product\":{\"name\":\"%s\",\"vendor_name\":\"%s\"}},\"parent_process\":"
            "{\"pid\":%u,\"name\":\"%s\"}},\"status_id\":1,\"status\":\"Success\",\"unmapped\":{\"Tenant\":"
            "\"DefaultTenant\",\"operationName\":\"Publish\",\"ProcessTokenElevation\":\"TokenElevationTypeDefault\","
            "\"InitiatingProcessSignatureStatus\":\"Valid\"}}\n",
            pid, img.name, img.dir, img.name, r.below(1u << 30), t - 592, img.name, img.dir, img.name,
            20000 + ii * 7919, md5, sha1, sha256, img.company, img.desc, img.desc, img.company, ppid, par.name);
    } else if (kind < 80) {
        L.put(
            "{\"activity_id\":1,\"activity_name\":\"Open\",\"category_uid\":4,\"category_name\":"
            "\"Network Activity\",\"class_uid\":4001,\"class_name\":\"Network Activity\",\"type_uid\":400101,"
            "\"type_name\":\"Network Activity: Open\",\"severity_id\":1,\"severity\":\"Informational\",");
        L.put(NDJSON_GEN_META, t, uid, r.below(10000000), t + 209368,
              "DeviceNetworkEvents", "NetFlow", r.below(100000), "ConnectionSuccess", host, dev);
        L.put(NDJSON_GEN_ACTOR, pid, img.name, img.name, t - 1218507,
              r.below(5), img.name, img.dir, img.name, sha256, user, 1000 + user);
        L.put(
            "\"src_endpoint\":{\"ip\":\"10.%u.%u.%u\",\"port\":%u},\"dst_endpoint\":{\"ip\":\"%u.%u.%u.%u\","
            "\"port\":%u,\"hostname\":\"edge-%u.example.net\"},\"connection_info\":{\"protocol_name\":\"tcp\","
            "\"protocol_num\":6,\"direction_id\":2,\"direction\":\"Outbound\"},\"status_id\":1,\"status\":"
            "\"Success\",\"unmapped\":{\"Tenant\":\"DefaultTenant\",\"operationName\":\"Publish\"}}\n",
            host >> 4, host & 15, 2 + r.below(250), 49152 + r.below(16383), 13 + r.below(200),
            r.below(256), r.below(256), r.below(256), r.below(10) < 7 ? 443u : 80u, r.below(5000));
    } else {
        L.put(
            "{\"activity_id\":1,\"activity_name\":\"Create\",\"category_uid\":1,\"category_name\":"
            "\"System Activity\",\"class_uid\":1001,\"class_name\":\"File System Activity\",\"type_uid\":100101,"
            "\"type_name\":\"File System Activity: Create\",\"severity_id\":1,\"severity\":\"Informational\",");
        L.put(NDJSON_GEN_META, t, uid, r.below(10000000), t + 209368,
              "DeviceFileEvents", "FileModification", r.below(100000), "FileCreated", host, dev);
        L.put(NDJSON_GEN_ACTOR, pid, img.name, img.name, t - 1218507,
              r.below(5), img.name, img.dir, img.name, sha256, user, 1000 + user);
        char fsha[65];
        hex(fsha, 64, r.next());
        L.put(
            "\"file\":{\"name\":\"report_%u.docx\",\"path\":\"C:\\\\Users\\\\user%03u\\\\Documents\\\\report_%u.docx\","
            "\"type_id\":1,\"size\":%u,\"hashes\":[{\"algorithm_id\":3,\"value\":\"%s\"}]},\"status_id\":1,"
            "\"status\":\"Success\",\"unmapped\":{\"Tenant\":\"DefaultTenant\",\"operationName\":\"Publish\","
            "\"FileOriginUrl\":\"https://contoso.sharepoint.com/sites/s%u/docs\"}}\n",
            r.below(100000), user, r.below(100000), 1000 + r.below(1u << 22), fsha, r.below(300));
    }
#undef NDJSON_GEN_META
#undef NDJSON_GEN_ACTOR
    out.append(L.buf, L.n);
}

// At least `bytes` of NDJSON, cut back to the last whole line at or below `bytes`
// (whole lines only, as a shard's output buffer holds).
inline std::string make(size_t bytes, uint64_t seed = 1)
{
    std::string s;
    s.reserve(bytes + 8192);
    rng r(seed);
    for (uint64_t i = 0; s.size() < bytes; i++)
        append_event(s, r, i);
    size_t cut = s.rfind('\n', bytes - 1);
    if (cut != std::string::npos)
        s.resize(cut + 1);
    return s;
}

} // namespace ndjson_gen

#endif
