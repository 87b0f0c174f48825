/* recov.c - reading a spool back: `sluice spool verify` and `sluice spool cat`.
 *
 * DESIGN
 * Purpose: walk a spool directory in spool order and either check every frame
 * (verify) or print the NDJSON of one stream (cat). Offline tools, run on the
 * control thread or from the CLI; they allocate freely and may block.
 *
 * Walk order:
 *
 *   DIR/                      ignored: checkpoint files, non-numeric names
 *    +- 0/                    shard dirs, numeric order (0, 1, 2, ..., 10)
 *    |   +- <segno>.seg       segments by segno; at equal segno .seg before
 *    |   +- <segno>.seg.open  .seg.open; other names are ignored
 *    +- 1/ ...
 *
 * Each segment is mapped read-only and parsed frame after frame (frame.h):
 *
 *   offset 0          off                      off + total_len
 *   | frame | frame | [64-byte header][LZ4 frame] | frame | ... | torn tail |
 *
 * Invariants: a frame's length is trusted only once its header CRC matched
 * (frame_view.hdr_ok), so a bad LZ4 payload is skipped by length and checking
 * goes on; after a bad header, verify searches forward for the next header
 * signature (skippable magic, size 56, "SLSF") and resumes there; a frame that
 * runs past the end of the file is a torn tail and ends that file. cat stops at
 * the first bad frame: it must never print past a gap.
 */
#include "recov.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "frame.h"

#define RECOV_SEG_DIGITS 20

struct recov_ent {
    uint64_t n;    /* shard number or segno */
    int rank;      /* 0 .seg, 1 .seg.open (segments); 0 for shards */
    char *name;
};

/* One walk: what it is for, where it writes, and what it has found. */
struct recov_walk {
    const char *what;         /* "verify" or "cat" */
    FILE *err;
    FILE *out;                /* cat only */
    bool dead_letters;        /* cat: the stream to print */
    bool stop_on_bad;         /* cat */
    struct spool_verify_stats *st;
    struct frame_dec *dec;
    struct buf raw;           /* decoded NDJSON of one frame */
    int64_t *last_seq;        /* per partition: last_seq of its previous events frame in this
                               * shard directory, -1 none (verify's ordering check) */
    uint32_t nlast;
};

/* Ordering check: a partition's frames must move forward within a shard. */
static void check_order(struct recov_walk *w, const struct frame_meta *m)
{
    if (m->partition >= w->nlast) {
        uint32_t n = w->nlast ? w->nlast : 64;
        while (n <= m->partition && n < (1u << 20))
            n *= 2;
        if (m->partition >= n)
            return;
        int64_t *nl = realloc(w->last_seq, (size_t)n * sizeof(*nl));
        if (!nl)
            return;
        for (uint32_t i = w->nlast; i < n; i++)
            nl[i] = -1;
        w->last_seq = nl;
        w->nlast = n;
    }
    if (m->first_seq <= w->last_seq[m->partition])
        w->st->out_of_order++;
    if (m->last_seq > w->last_seq[m->partition])
        w->last_seq[m->partition] = m->last_seq;
}

static void problem(struct recov_walk *w, const char *path, uint64_t off, const char *fmt, ...)
    PRINTF_LIKE(4, 5);

static void problem(struct recov_walk *w, const char *path, uint64_t off, const char *fmt, ...)
{
    va_list ap;
    w->st->bad++;
    if (!w->err)
        return;
    fprintf(w->err, "sluice: spool %s: %s: offset %" PRIu64 ": ", w->what, path, off);
    va_start(ap, fmt);
    vfprintf(w->err, fmt, ap);
    va_end(ap);
    fputc('\n', w->err);
}

/* ---- directory listing ------------------------------------------------------------------- */

static bool parse_digits(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, s[i] - '0', &v))
            return false;
    }
    *out = v;
    return true;
}

static int ent_cmp(const void *a, const void *b)
{
    const struct recov_ent *x = a, *y = b;
    if (x->n != y->n)
        return x->n < y->n ? -1 : 1;
    if (x->rank != y->rank)
        return x->rank - y->rank;
    return strcmp(x->name, y->name);
}

static void ents_free(struct recov_ent *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i].name);
    free(v);
}

/* List dir: shard directories (segments = false) or segment files (true), sorted.
 * 0 or -errno (-errno from opendir means dir itself is unreadable). */
static int list_dir(const char *dir, bool segments, struct recov_ent **out, size_t *nout)
{
    DIR *d = opendir(dir);
    if (!d)
        return -errno;
    struct recov_ent *v = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        const char *nm = de->d_name;
        size_t len = strlen(nm);
        uint64_t num;
        int rank = 0;
        mode_t want = segments ? S_IFREG : S_IFDIR;
        if (segments) {
            if (len < RECOV_SEG_DIGITS || !parse_digits(nm, RECOV_SEG_DIGITS, &num))
                continue;
            if (strcmp(nm + RECOV_SEG_DIGITS, ".seg") == 0)
                rank = 0;
            else if (strcmp(nm + RECOV_SEG_DIGITS, ".seg.open") == 0)
                rank = 1;
            else
                continue;
        } else if (!parse_digits(nm, len, &num)) {
            continue;
        }
        struct stat sb;
        if (fstatat(dirfd(d), nm, &sb, 0) != 0 || (sb.st_mode & S_IFMT) != want)
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            struct recov_ent *nv = realloc(v, ncap * sizeof(*v));
            if (!nv) {
                rc = -ENOMEM;
                goto fail_list;
            }
            v = nv;
            cap = ncap;
        }
        v[n].name = strdup(nm);
        if (!v[n].name) {
            rc = -ENOMEM;
            goto fail_list;
        }
        v[n].n = num;
        v[n].rank = rank;
        n++;
    }
    (void)closedir(d);
    if (n)
        qsort(v, n, sizeof(*v), ent_cmp);
    *out = v;
    *nout = n;
    return 0;

fail_list:
    ents_free(v, n);
    (void)closedir(d);
    return rc;
}

/* ---- frame checks ------------------------------------------------------------------------ */

/* Check the decoded NDJSON of one frame; report each problem once. Returns lines seen. */
static uint64_t check_lines(struct recov_walk *w, const char *path, uint64_t off,
                            const struct frame_view *v, const char *p, size_t n)
{
    uint64_t lines = 0, bad_line = 0;
    size_t i = 0;
    while (i < n) {
        const char *nl = memchr(p + i, '\n', n - i);
        if (!nl) {
            problem(w, path, off, "last line is not newline-terminated");
            lines++;
            break;
        }
        size_t len = (size_t)(nl - (p + i));
        lines++;
        if (!bad_line && (len < 2 || p[i] != '{' || p[i + len - 1] != '}'))
            bad_line = lines;
        i += len + 1;
    }
    if (bad_line)
        problem(w, path, off, "line %" PRIu64 " is not a JSON object", bad_line);
    if (lines != v->meta.count)
        problem(w, path, off, "header says %" PRIu32 " lines, frame has %" PRIu64,
                v->meta.count, lines);
    if (v->meta.first_seq > v->meta.last_seq)
        problem(w, path, off, "first_seq %" PRId64 " > last_seq %" PRId64, v->meta.first_seq,
                v->meta.last_seq);
    return lines;
}

/* Next plausible frame header after a bad one, or n. */
static size_t resync(const uint8_t *p, size_t n, size_t from)
{
    static const uint8_t sig[12] = {0x5A, 0x2A, 0x4D, 0x18, 56, 0, 0, 0, 'S', 'L', 'S', 'F'};
    if (from >= n)
        return n;
    const uint8_t *q = memmem(p + from, n - from, sig, sizeof(sig));
    return q ? (size_t)(q - p) : n;
}

static const char *parse_what(int rc, const struct frame_view *v)
{
    if (!v->hdr_ok)
        return rc == ERR_CRC ? "bad frame header: checksum mismatch"
                             : "bad frame header: not a sluice frame (magic, version or kind)";
    return rc == ERR_CRC ? "LZ4 data checksum mismatch" : "LZ4 data is not an LZ4 frame";
}

/* verify one segment's bytes */
static void verify_segment(struct recov_walk *w, const char *path, const uint8_t *p, size_t n)
{
    size_t off = 0;
    while (off < n) {
        struct frame_view v;
        int rc = frame_parse(p + off, n - off, &v);
        if (rc == ERR_TRUNCATED) {
            problem(w, path, off, "frame truncated: need %zu bytes, file has %zu", v.total_len,
                    n - off);
            return;
        }
        if (rc) {
            problem(w, path, off, "%s", parse_what(rc, &v));
            if (v.hdr_ok) {
                w->st->frames++;
                off += v.total_len;
            } else {
                off = resync(p, n, off + 1);
            }
            continue;
        }
        w->st->frames++;
        bool dead = v.meta.kind == FRAME_DEAD;
        if (dead)
            w->st->dead_frames++;
        else {
            w->st->event_frames++;
            check_order(w, &v.meta);
        }
        buf_reset(&w->raw);
        rc = frame_decode(w->dec, &v, &w->raw);
        if (rc) {
            problem(w, path, off, "LZ4 decode failed: %s (raw_len %" PRIu32 ")", err_str(rc),
                    v.raw_len);
        } else {
            uint64_t lines = check_lines(w, path, off, &v, w->raw.p, w->raw.len);
            w->st->raw_bytes += w->raw.len;
            if (dead)
                w->st->dead_letters += lines;
            else
                w->st->events += lines;
        }
        off += v.total_len;
    }
}

/* cat one segment's bytes; 0, 1 (bad frame) or -errno (write error) */
static int cat_segment(struct recov_walk *w, const char *path, const uint8_t *p, size_t n)
{
    size_t off = 0;
    while (off < n) {
        struct frame_view v;
        int rc = frame_parse(p + off, n - off, &v);
        if (rc == ERR_TRUNCATED) {
            problem(w, path, off, "frame truncated: need %zu bytes, file has %zu", v.total_len,
                    n - off);
            return 1;
        }
        if (rc) {
            problem(w, path, off, "%s", parse_what(rc, &v));
            return 1;
        }
        bool want = w->dead_letters ? v.meta.kind == FRAME_DEAD : v.meta.kind == FRAME_EVENTS;
        if (want) {
            buf_reset(&w->raw);
            rc = frame_decode(w->dec, &v, &w->raw);
            if (rc == -ENOMEM)
                return rc;
            if (rc) {
                problem(w, path, off, "LZ4 decode failed: %s", err_str(rc));
                return 1;
            }
            if (w->raw.len && fwrite(w->raw.p, 1, w->raw.len, w->out) != w->raw.len)
                return -EIO;
        }
        off += v.total_len;
    }
    return 0;
}

/* ---- the walk ------------------------------------------------------------------------------ */

/* Map and process one segment file; 0, 1 (stop: bad) or -errno. */
static int do_file(struct recov_walk *w, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        problem(w, path, 0, "cannot open: %s", err_str(-errno));
        return w->stop_on_bad ? 1 : 0;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        problem(w, path, 0, "cannot stat: %s", err_str(-errno));
        (void)close(fd);
        return w->stop_on_bad ? 1 : 0;
    }
    size_t n = (size_t)sb.st_size;
    w->st->segments++;
    w->st->file_bytes += n;
    if (n == 0) {
        (void)close(fd);
        return 0;
    }
    void *p = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
    (void)close(fd);
    if (p == MAP_FAILED) {
        problem(w, path, 0, "cannot map: %s", err_str(-errno));
        return w->stop_on_bad ? 1 : 0;
    }
    (void)madvise(p, n, MADV_SEQUENTIAL);
    int rc = 0;
    if (w->out)
        rc = cat_segment(w, path, p, n);
    else
        verify_segment(w, path, p, n);
    (void)munmap(p, n);
    return rc;
}

static int walk(const char *dir, struct recov_walk *w)
{
    struct recov_ent *shards = NULL;
    size_t nshards = 0;
    int rc = list_dir(dir, false, &shards, &nshards);
    if (rc)
        return rc;
    w->dec = frame_dec_create();
    if (!w->dec) {
        rc = -ENOMEM;
        goto fail_dec;
    }
    char spath[PATH_MAX], fpath[PATH_MAX];
    for (size_t i = 0; i < nshards && !rc; i++) {
        snprintf(spath, sizeof(spath), "%s/%s", dir, shards[i].name);
        for (uint32_t k = 0; k < w->nlast; k++)
            w->last_seq[k] = -1; /* ordering is per shard directory */
        struct recov_ent *segs = NULL;
        size_t nsegs = 0;
        int lrc = list_dir(spath, true, &segs, &nsegs);
        if (lrc == -ENOMEM) {
            rc = lrc;
            break;
        }
        if (lrc) {
            problem(w, spath, 0, "cannot read directory: %s", err_str(lrc));
            if (w->stop_on_bad)
                rc = 1;
            continue;
        }
        for (size_t j = 0; j < nsegs && !rc; j++) {
            if (snprintf(fpath, sizeof(fpath), "%s/%s", spath, segs[j].name) >=
                (int)sizeof(fpath)) {
                problem(w, spath, 0, "path too long: %s", segs[j].name);
                rc = w->stop_on_bad ? 1 : 0;
                continue;
            }
            rc = do_file(w, fpath);
        }
        ents_free(segs, nsegs);
    }
    buf_fini(&w->raw);
    free(w->last_seq);
    w->last_seq = NULL;
    w->nlast = 0;
    frame_dec_destroy(w->dec);
    w->dec = NULL;
fail_dec:
    ents_free(shards, nshards);
    return rc;
}

int spool_verify(const char *dir, FILE *err, struct spool_verify_stats *st)
{
    struct spool_verify_stats local;
    struct recov_walk w = {.what = "verify", .err = err, .st = st ? st : &local};
    memset(w.st, 0, sizeof(*w.st));
    int rc = walk(dir, &w);
    if (rc < 0)
        return rc;
    return w.st->bad ? 1 : 0;
}

int spool_cat(const char *dir, bool dead_letters, FILE *out, FILE *err)
{
    if (!out)
        return -EINVAL;
    struct spool_verify_stats local;
    memset(&local, 0, sizeof(local));
    struct recov_walk w = {.what = "cat", .err = err, .out = out, .dead_letters = dead_letters,
                           .stop_on_bad = true, .st = &local};
    int rc = walk(dir, &w);
    if (rc == 0 && fflush(out) != 0)
        rc = -EIO;
    return rc;
}
