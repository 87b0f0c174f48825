/* sink.c - forwarder building blocks: sink specs, reading sealed segments as
 * NDJSON batches, delivery markers, backoff, failed segments, dead letters,
 * spool listing and the retention rule (sink.h has the file layout).
 *
 * DESIGN
 * Purpose: everything a forwarder thread (engine/fwd.c) needs below the
 * thread itself, as plain functions that tests can drive one by one. Nothing
 * here runs on rx or shard threads: it allocates, blocks and syncs freely.
 *
 * Reading a segment (struct sink_seg): the sealed file is mapped read-only and
 * walked frame by frame (frame.h). Dead-letter frames are skipped; each events
 * frame is CRC-checked and decoded into `raw`, and whole lines are copied out
 * of it into the caller's batch:
 *
 *   file   | hdr | LZ4 events | hdr | LZ4 dead | hdr | LZ4 events | ...
 *                     |                  (skipped)        |
 *   raw    line line line line            line line line line
 *            \____batch 1____/\___batch 2 (crosses frames)___/
 *
 * A batch is at least one line, then more while it stays within the byte and
 * line limits; it never spans two segments. `line` counts the lines handed
 * out, so a partly delivered segment resumes at a line (the marker's
 * "partial S L"), whatever the batch limits of the next run are.
 *
 * Durability: a marker, a dead-letter file and an .error file are each written
 * to a temp name, fsynced, renamed over the final name, and the directory is
 * fsynced; a crash leaves the old or the new file. A segment a sink gives up
 * on is hard-linked into failed/ before the sink's marker moves past it, so the
 * bytes survive any later deletion. A segment is deleted only after its dead
 * letters are saved; the newest sealed segment of a shard directory is replaced by an
 * empty file instead, so the spool (which numbers new segments after the
 * highest segno on disk) never reuses a segno a marker already covers.
 */
#include "sink.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "err.h"
#include "frame.h"
#include "io_file.h"
#include "sink_int.h"
#include "spool.h"

#define SINK_SEG_DIGITS 20
#define SINK_MARK_MAX (SINK_ARG_MAX + 256)

/* ---- specs ----------------------------------------------------------------------------------- */

void sink_redact(const char *v, char *out, size_t n)
{
    if (!n)
        return;
    const char *scheme = strstr(v, "://");
    if (!scheme) {
        snprintf(out, n, "%s", v);
        return;
    }
    const char *auth = scheme + 3;
    size_t alen = strcspn(auth, "/?#");
    const char *at = memrchr(auth, '@', alen);
    if (!at) {
        snprintf(out, n, "%s", v);
        return;
    }
    snprintf(out, n, "%.*s%s", (int)(auth - v), v, at + 1);
}

static uint64_t fnv1a64(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ull;
    }
    return h;
}

static bool is_http_url(const char *u)
{
    return (strncmp(u, "http://", 7) == 0 && u[7]) || (strncmp(u, "https://", 8) == 0 && u[8]);
}

int sink_spec_parse(const char *v, struct sink_spec *out, char *why, size_t n)
{
    memset(out, 0, sizeof(*out));
    if (!v || !*v) {
        snprintf(why, n, "empty; use stdout, dir:PATH or http:URL");
        return -EINVAL;
    }
    if (strlen(v) >= SINK_ARG_MAX) {
        snprintf(why, n, "longer than %d characters", SINK_ARG_MAX - 1);
        return -EINVAL;
    }
    for (const char *p = v; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            snprintf(why, n, "contains a control character");
            return -EINVAL;
        }
    const char *kind;
    if (strcmp(v, "stdout") == 0) {
        out->kind = SINK_STDOUT;
        kind = "stdout";
    } else if (strncmp(v, "dir:", 4) == 0) {
        if (!v[4]) {
            snprintf(why, n, "\"%s\" has no PATH after dir:", v);
            return -EINVAL;
        }
        out->kind = SINK_DIR;
        kind = "dir";
        snprintf(out->arg, sizeof(out->arg), "%s", v + 4);
    } else if (is_http_url(v) || (strncmp(v, "http:", 5) == 0 && is_http_url(v + 5))) {
        out->kind = SINK_HTTP;
        kind = "http";
        snprintf(out->arg, sizeof(out->arg), "%s", is_http_url(v) ? v : v + 5);
    } else {
        char shown[SINK_ARG_MAX];
        sink_redact(v, shown, sizeof(shown));
        snprintf(why, n,
                 "\"%.200s\" is not stdout, dir:PATH or http:URL (URL: http:// or "
                 "https://)",
                 shown);
        return -EINVAL;
    }
    /* shown: the value as given, minus credentials; for http the bare URL */
    if (out->kind == SINK_HTTP) {
        char red[SINK_ARG_MAX];
        sink_redact(out->arg, red, sizeof(red));
        snprintf(out->shown, sizeof(out->shown), "%s", red);
    } else {
        snprintf(out->shown, sizeof(out->shown), "%s", v);
    }
    snprintf(out->id, sizeof(out->id), "%s-%016" PRIx64, kind, fnv1a64(out->shown));
    return 0;
}

/* ---- file helpers ---------------------------------------------------------------------------- */

int sink_mkdir(const char *path)
{
    if (mkdir(path, 0700) != 0)
        return errno == EEXIST ? 0 : -errno;
    char parent[PATH_MAX];
    snprintf(parent, sizeof(parent), "%s", path);
    char *slash = strrchr(parent, '/');
    if (slash == parent)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        snprintf(parent, sizeof(parent), ".");
    return io_fsync_dir(parent);
}

int sink_write_atomic(const char *dir, const char *name, const void *p, size_t n)
{
    char tmp[PATH_MAX], dst[PATH_MAX];
    if (snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name) >= (int)sizeof(tmp) ||
        snprintf(dst, sizeof(dst), "%s/%s", dir, name) >= (int)sizeof(dst))
        return -ENAMETOOLONG;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    int rc = io_write_all(fd, p, n);
    if (rc == 0 && fsync(fd) != 0)
        rc = -errno;
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, dst) != 0)
        rc = -errno;
    if (rc) {
        (void)unlink(tmp);
        return rc;
    }
    return io_fsync_dir(dir);
}

/* Read a whole small file (at most max bytes) into a NUL-terminated malloc'd string. */
static int read_small(const char *path, size_t max, char **out, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    char *b = malloc(max + 1);
    if (!b) {
        (void)close(fd);
        return -ENOMEM;
    }
    size_t got = 0;
    for (;;) {
        ssize_t r = read(fd, b + got, max - got);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = -errno;
            free(b);
            (void)close(fd);
            return e;
        }
        if (r == 0 || (got += (size_t)r) == max)
            break;
    }
    (void)close(fd);
    b[got] = '\0';
    *out = b;
    *len = got;
    return 0;
}

/* ---- sinks ----------------------------------------------------------------------------------- */

int sink_global_init(void)
{
    return sink_http_global_init();
}

void sink_global_fini(void)
{
    sink_http_global_fini();
}

struct sink *sink_create(const struct sink_spec *spec, const struct sink_opts *o, int *err)
{
    struct sink *s = calloc(1, sizeof(*s));
    int rc = -ENOMEM;
    if (!s)
        goto fail;
    s->spec = *spec;
    s->opts = *o;
    switch (spec->kind) {
    case SINK_STDOUT:
        rc = 0;
        break;
    case SINK_DIR:
        rc = sink_dir_create(s);
        break;
    case SINK_HTTP:
        rc = sink_http_create(s);
        break;
    default:
        rc = -EINVAL;
    }
    if (rc)
        goto fail;
    return s;
fail:
    free(s);
    if (err)
        *err = rc;
    return NULL;
}

void sink_destroy(struct sink *s)
{
    if (!s)
        return;
    if (s->spec.kind == SINK_HTTP)
        sink_http_destroy(s);
    free(s);
}

bool sink_takes_files(const struct sink *s)
{
    return s->spec.kind == SINK_DIR;
}

int sink_send_batch(struct sink *s, const struct sink_batch_info *bi, const char *p, size_t len,
                    char *why, size_t n)
{
    switch (s->spec.kind) {
    case SINK_STDOUT:
        return sink_stdout_send(s, p, len, why, n);
    case SINK_HTTP:
        return sink_http_send(s, bi, p, len, why, n);
    default:
        snprintf(why, n, "this sink takes whole segments");
        return -EINVAL;
    }
}

int sink_send_file(struct sink *s, const char *path, uint32_t shard, uint64_t segno,
                   uint64_t *bytes, char *why, size_t n)
{
    if (s->spec.kind != SINK_DIR) {
        snprintf(why, n, "this sink takes batches");
        return -EINVAL;
    }
    return sink_dir_send(s, path, shard, segno, bytes, why, n);
}

/* ---- reading a segment ----------------------------------------------------------------------- */

int sink_seg_open(struct sink_seg *sg, const char *path)
{
    memset(sg, 0, sizeof(*sg));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = -errno;
        (void)close(fd);
        return e;
    }
    sg->size = (size_t)st.st_size;
    if (sg->size) {
        void *p = mmap(NULL, sg->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            int e = -errno;
            (void)close(fd);
            return e;
        }
        (void)madvise(p, sg->size, MADV_SEQUENTIAL);
        sg->map = p;
    }
    (void)close(fd);
    sg->dec = frame_dec_create();
    if (!sg->dec) {
        sink_seg_close(sg);
        return -ENOMEM;
    }
    return 0;
}

void sink_seg_close(struct sink_seg *sg)
{
    if (sg->map)
        (void)munmap((void *)sg->map, sg->size);
    sg->map = NULL;
    frame_dec_destroy(sg->dec);
    sg->dec = NULL;
    buf_fini(&sg->raw);
}

/* Decode the next events frame into raw. 1, 0 at the end, or an error. */
static int next_events_frame(struct sink_seg *sg)
{
    while (sg->off < sg->size) {
        struct frame_view v;
        int rc = frame_parse(sg->map + sg->off, sg->size - sg->off, &v);
        if (rc)
            return rc;
        sg->off += v.total_len;
        if (v.meta.kind != FRAME_EVENTS)
            continue;
        buf_reset(&sg->raw);
        sg->raw_off = 0;
        rc = frame_decode(sg->dec, &v, &sg->raw);
        if (rc)
            return rc;
        if (sg->raw.len)
            return 1;
    }
    return 0;
}

int sink_seg_more(struct sink_seg *sg)
{
    while (sg->raw_off >= sg->raw.len) {
        if (sg->err)
            return sg->err;
        int rc = next_events_frame(sg);
        if (rc < 0)
            sg->err = rc; /* sticky: the lines before the damage still go out */
        if (rc <= 0)
            return rc;
    }
    return 1;
}

/* Length of the next line in raw, its newline included (or to the end). */
static size_t next_line_len(const struct sink_seg *sg, bool *has_nl)
{
    const char *p = sg->raw.p + sg->raw_off;
    size_t left = sg->raw.len - sg->raw_off;
    const char *nl = memchr(p, '\n', left);
    *has_nl = nl != NULL;
    return nl ? (size_t)(nl - p) + 1 : left;
}

int sink_seg_next(struct sink_seg *sg, struct buf *out, uint64_t max_bytes, uint32_t max_lines)
{
    size_t start = out->len;
    int lines = 0;
    while ((uint32_t)lines < max_lines && lines < INT32_MAX) {
        int rc = sink_seg_more(sg);
        if (rc < 0 && lines == 0)
            return rc;
        if (rc <= 0)
            break; /* an error after some lines comes back on the next call */
        bool nl;
        size_t len = next_line_len(sg, &nl);
        if (lines > 0 && (out->len - start) + len + !nl > max_bytes)
            break;
        rc = buf_append(out, sg->raw.p + sg->raw_off, len);
        if (rc == 0 && !nl)
            rc = buf_append(out, "\n", 1);
        if (rc)
            return rc;
        sg->raw_off += len;
        sg->line++;
        lines++;
    }
    return lines;
}

int sink_seg_skip(struct sink_seg *sg, uint64_t lines)
{
    for (uint64_t i = 0; i < lines; i++) {
        int rc = sink_seg_more(sg);
        if (rc < 0)
            return rc;
        if (rc == 0)
            return ERR_TRUNCATED;
        bool nl;
        sg->raw_off += next_line_len(sg, &nl);
        sg->line++;
    }
    return 0;
}

/* ---- markers --------------------------------------------------------------------------------- */

int sink_mark_path(char *out, size_t n, const char *shard_dir, const char *sink_id)
{
    if (snprintf(out, n, "%s/delivered.%s", shard_dir, sink_id) >= (int)n)
        return -ENAMETOOLONG;
    return 0;
}

static bool parse_i64(const char *s, int64_t lo, int64_t *out, const char **end)
{
    char *e;
    errno = 0;
    long long v = strtoll(s, &e, 10);
    if (errno || e == s || v < lo)
        return false;
    *out = v;
    *end = e;
    return true;
}

int sink_mark_load(const char *path, struct sink_mark *m, char *why, size_t n)
{
    m->done = -1;
    m->part_segno = -1;
    m->part_lines = 0;
    char *b;
    size_t len;
    int rc = read_small(path, SINK_MARK_MAX, &b, &len);
    if (rc)
        return rc;
    rc = ERR_FORMAT;
    bool have_ver = false, have_done = false;
    int line = 0;
    for (char *save = NULL, *l = strtok_r(b, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        const char *e;
        line++;
        if (line == 1) {
            if (strcmp(l, "sluice-delivered 1") != 0) {
                snprintf(why, n, "first line is not \"sluice-delivered 1\"");
                goto out;
            }
            have_ver = true;
        } else if (strncmp(l, "sink ", 5) == 0) {
            /* informational */
        } else if (strncmp(l, "done ", 5) == 0) {
            if (!parse_i64(l + 5, -1, &m->done, &e) || *e) {
                snprintf(why, n, "line %d: bad done value", line);
                goto out;
            }
            have_done = true;
        } else if (strncmp(l, "partial ", 8) == 0) {
            int64_t lines;
            if (!parse_i64(l + 8, 0, &m->part_segno, &e) || *e != ' ' ||
                !parse_i64(e + 1, 0, &lines, &e) || *e) {
                snprintf(why, n, "line %d: bad partial value", line);
                goto out;
            }
            m->part_lines = (uint64_t)lines;
        } else {
            snprintf(why, n, "line %d: unexpected \"%.40s\"", line, l);
            goto out;
        }
    }
    if (!have_ver || !have_done) {
        snprintf(why, n, "%s", have_ver ? "no done line" : "empty");
        goto out;
    }
    if (m->part_segno >= 0 && m->part_segno <= m->done) {
        snprintf(why, n, "partial segment %" PRId64 " is not after done %" PRId64, m->part_segno,
                 m->done);
        goto out;
    }
    rc = 0;
out:
    if (rc) {
        m->done = -1;
        m->part_segno = -1;
        m->part_lines = 0;
    }
    free(b);
    return rc;
}

int sink_mark_save(const char *path, const struct sink_spec *spec, const struct sink_mark *m)
{
    char text[SINK_MARK_MAX];
    int len = snprintf(text, sizeof(text), "sluice-delivered 1\nsink %s %s\ndone %" PRId64 "\n",
                       spec->id, spec->shown, m->done);
    if (m->part_segno > m->done && m->part_lines > 0)
        len += snprintf(text + len, sizeof(text) - (size_t)len, "partial %" PRId64 " %" PRIu64 "\n",
                        m->part_segno, m->part_lines);
    if (len >= (int)sizeof(text))
        return -ENAMETOOLONG;
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return -EINVAL;
    *slash = '\0';
    return sink_write_atomic(dir, slash + 1, text, (size_t)len);
}

/* ---- retries --------------------------------------------------------------------------------- */

uint64_t sink_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

int64_t sink_backoff_ms(uint32_t attempt, int64_t base_ms, int64_t cap_ms, uint64_t *rng)
{
    if (attempt == 0 || base_ms <= 0 || cap_ms <= 0)
        return 0;
    int64_t lim = cap_ms;
    if (attempt - 1 < 40 && base_ms <= (cap_ms >> (attempt - 1)))
        lim = base_ms << (attempt - 1);
    return (int64_t)(sink_rand(rng) % (uint64_t)(lim + 1));
}

/* ---- failed segments, dead letters ----------------------------------------------------------- */

static int copy_file(const char *from, const char *to)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return -errno;
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0) {
        int e = -errno;
        (void)close(in);
        return e;
    }
    static const size_t chunk = 1u << 20;
    char *b = malloc(chunk);
    int rc = b ? 0 : -ENOMEM;
    while (rc == 0) {
        ssize_t r = read(in, b, chunk);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            rc = -errno;
        if (r <= 0)
            break;
        rc = io_write_all(out, b, (size_t)r);
    }
    free(b);
    if (rc == 0 && fsync(out) != 0)
        rc = -errno;
    if (close(out) != 0 && rc == 0)
        rc = -errno;
    (void)close(in);
    if (rc)
        (void)unlink(to);
    return rc;
}

int sink_fail_segment(const char *spool_dir, const char *seg_path, uint32_t shard, uint64_t segno,
                      const char *sink_shown, uint32_t attempts, const char *error)
{
    char fdir[PATH_MAX], base[96], dst[PATH_MAX + 128], ename[128];
    if (snprintf(fdir, sizeof(fdir), "%s/failed", spool_dir) >= (int)sizeof(fdir))
        return -ENAMETOOLONG;
    int rc = sink_mkdir(fdir);
    if (rc)
        return rc;
    struct stat src;
    if (stat(seg_path, &src) != 0)
        return -errno;
    /* a free name, or one that already is this very file (a second sink failed it too) */
    for (int k = 0; k < 100; k++) {
        if (k == 0)
            snprintf(base, sizeof(base), "%" PRIu32 "-%020" PRIu64, shard, segno);
        else
            snprintf(base, sizeof(base), "%" PRIu32 "-%020" PRIu64 ".%d", shard, segno, k);
        snprintf(dst, sizeof(dst), "%s/%s.seg", fdir, base);
        struct stat st;
        if (lstat(dst, &st) != 0) {
            if (errno != ENOENT)
                return -errno;
            if (link(seg_path, dst) != 0) {
                rc = copy_file(seg_path, dst);
                if (rc)
                    return rc;
            }
            break;
        }
        if (st.st_ino == src.st_ino && st.st_dev == src.st_dev)
            break;
        if (k == 99)
            return -EEXIST;
    }
    /* the .error file: earlier blocks (another sink) kept, this one appended */
    snprintf(ename, sizeof(ename), "%s.error", base);
    char epath[PATH_MAX + 160];
    snprintf(epath, sizeof(epath), "%s/%s", fdir, ename);
    char *old = NULL;
    size_t olen = 0;
    if (read_small(epath, 64 * 1024, &old, &olen) != 0) {
        old = NULL;
        olen = 0;
    }
    char ts[32];
    clock_fmt_iso_ms(clock_real_ms(), ts);
    size_t cap = olen + strlen(sink_shown) + strlen(error) + strlen(seg_path) + 256;
    char *text = malloc(cap);
    if (!text) {
        free(old);
        return -ENOMEM;
    }
    int len = snprintf(text, cap,
                       "%.*ssink: %s\ntime: %s\nattempts: %" PRIu32 "\nsegment: %s\n"
                       "error: %s\n\n",
                       (int)olen, old ? old : "", sink_shown, ts, attempts, seg_path, error);
    free(old);
    rc = sink_write_atomic(fdir, ename, text, (size_t)len);
    free(text);
    return rc;
}

int sink_save_dead_letters(const char *spool_dir, const char *seg_path, uint32_t shard,
                           uint64_t segno)
{
    struct sink_seg sg;
    int rc = sink_seg_open(&sg, seg_path);
    if (rc)
        return rc;
    struct buf out = {0};
    uint64_t lines = 0;
    while (sg.off < sg.size) {
        struct frame_view v;
        rc = frame_parse(sg.map + sg.off, sg.size - sg.off, &v);
        if (rc)
            goto out;
        sg.off += v.total_len;
        if (v.meta.kind != FRAME_DEAD)
            continue;
        rc = frame_decode(sg.dec, &v, &out);
        if (rc)
            goto out;
        lines += v.meta.count;
        if (out.len && out.p[out.len - 1] != '\n') {
            rc = buf_append(&out, "\n", 1);
            if (rc)
                goto out;
        }
    }
    rc = 0;
    if (out.len) {
        char dir[PATH_MAX], name[96];
        if (snprintf(dir, sizeof(dir), "%s/dead-letters", spool_dir) >= (int)sizeof(dir)) {
            rc = -ENAMETOOLONG;
            goto out;
        }
        rc = sink_mkdir(dir);
        if (rc == 0) {
            snprintf(name, sizeof(name), "%" PRIu32 "-%020" PRIu64 ".ndjson", shard, segno);
            rc = sink_write_atomic(dir, name, out.p, out.len);
        }
    }
out:
    buf_fini(&out);
    sink_seg_close(&sg);
    if (rc)
        return rc;
    return lines > INT32_MAX ? INT32_MAX : (int)lines;
}

/* ---- listing --------------------------------------------------------------------------------- */

static int u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

int sink_list_shards(const char *dir, uint32_t **out, size_t *nout)
{
    *out = NULL;
    *nout = 0;
    DIR *d = opendir(dir);
    if (!d)
        return -errno;
    uint32_t *v = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        uint64_t num;
        if (!spool_parse_num(de->d_name, strlen(de->d_name), &num) || num > UINT32_MAX)
            continue;
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, 0) != 0 || !S_ISDIR(st.st_mode))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            uint32_t *nv = realloc(v, cap * sizeof(*v));
            if (!nv) {
                free(v);
                (void)closedir(d);
                return -ENOMEM;
            }
            v = nv;
        }
        v[n++] = (uint32_t)num;
    }
    (void)closedir(d);
    if (n)
        qsort(v, n, sizeof(*v), u32_cmp);
    *out = v;
    *nout = n;
    return 0;
}

static int ent_cmp(const void *a, const void *b)
{
    const struct sink_ent *x = a, *y = b;
    if (x->segno != y->segno)
        return x->segno < y->segno ? -1 : 1;
    return (int)x->open - (int)y->open;
}

int sink_list_segments(const char *shard_dir, struct sink_ent **out, size_t *nout)
{
    *out = NULL;
    *nout = 0;
    DIR *d = opendir(shard_dir);
    if (!d)
        return -errno;
    struct sink_ent *v = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *nm = de->d_name;
        uint64_t segno;
        if (strlen(nm) < SINK_SEG_DIGITS || !spool_parse_num(nm, SINK_SEG_DIGITS, &segno))
            continue;
        bool open;
        if (strcmp(nm + SINK_SEG_DIGITS, ".seg") == 0)
            open = false;
        else if (strcmp(nm + SINK_SEG_DIGITS, ".seg.open") == 0)
            open = true;
        else
            continue;
        struct stat st;
        if (fstatat(dirfd(d), nm, &st, 0) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            struct sink_ent *nv = realloc(v, cap * sizeof(*v));
            if (!nv) {
                free(v);
                (void)closedir(d);
                return -ENOMEM;
            }
            v = nv;
        }
        v[n++] = (struct sink_ent){
            .segno = segno,
            .open = open,
            .bytes = (uint64_t)st.st_size,
            .mtime_ms = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000,
        };
    }
    (void)closedir(d);
    if (n)
        qsort(v, n, sizeof(*v), ent_cmp);
    *out = v;
    *nout = n;
    return 0;
}

/* ---- retention ------------------------------------------------------------------------------- */

static int age_cmp(const void *a, const void *b)
{
    const struct sink_retain_seg *x = a, *y = b;
    if (x->mtime_ms != y->mtime_ms)
        return x->mtime_ms < y->mtime_ms ? -1 : 1;
    if (x->shard != y->shard)
        return x->shard < y->shard ? -1 : 1;
    if (x->segno != y->segno)
        return x->segno < y->segno ? -1 : 1;
    return 0;
}

size_t sink_retain_pick(struct sink_retain_seg *v, size_t n, uint64_t total_bytes,
                        uint64_t retain_bytes, int64_t retain_ms, int64_t now_ms)
{
    size_t picked = 0;
    if (n)
        qsort(v, n, sizeof(*v), age_cmp);
    for (size_t i = 0; i < n; i++) {
        v[i].del = false;
        if (!v[i].delivered)
            continue;
        if ((retain_bytes == 0 && retain_ms == 0) ||
            (retain_ms > 0 && now_ms - v[i].mtime_ms > retain_ms)) {
            v[i].del = true;
            picked++;
            total_bytes = total_bytes > v[i].bytes ? total_bytes - v[i].bytes : 0;
        }
    }
    if (retain_bytes == 0)
        return picked;
    for (size_t i = 0; i < n && total_bytes > retain_bytes; i++) {
        if (!v[i].delivered || v[i].del)
            continue;
        v[i].del = true;
        picked++;
        total_bytes = total_bytes > v[i].bytes ? total_bytes - v[i].bytes : 0;
    }
    return picked;
}

int sink_delete_segment(const char *spool_dir, const char *seg_path, uint32_t shard, uint64_t segno,
                        bool keep_name)
{
    int dl = sink_save_dead_letters(spool_dir, seg_path, shard, segno);
    if (dl < 0)
        return dl;
    int rc;
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", seg_path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return -EINVAL;
    *slash = '\0';
    if (keep_name) {
        /* an empty file renamed over the segment: the name stays, the bytes go (a link in
         * failed/ keeps its inode) */
        char tmp[PATH_MAX + 64];
        snprintf(tmp, sizeof(tmp), "%s/.%020" PRIu64 ".empty", dir, segno);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
            return -errno;
        (void)close(fd);
        if (rename(tmp, seg_path) != 0) {
            rc = -errno;
            (void)unlink(tmp);
            return rc;
        }
    } else if (unlink(seg_path) != 0 && errno != ENOENT) {
        return -errno;
    }
    rc = io_fsync_dir(dir);
    return rc ? rc : dl;
}
