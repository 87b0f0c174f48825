/* recov.c - reading a spool back (`sluice spool verify`, `sluice spool cat`) and
 * repairing it before a run writes (spool_recover).
 *
 * DESIGN
 * Purpose: walk a spool directory in spool order and either check every frame
 * (verify) or print the NDJSON of one stream (cat), or repair and seal the
 * segments a crash left open (recover). Run on the control thread before any
 * shard starts, or from the CLI; they allocate freely and may block.
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
 *
 * Recovery (DESIGN.md §5). For every numeric shard directory (also those of
 * shards a previous run had and this one has not), every <segno>.seg.open is
 * checked frame by frame with verify's checks (header CRC, LZ4 CRC, decode,
 * NDJSON lines, line count, first_seq <= last_seq) and split into runs of good
 * frames and damaged regions (a bad frame and what follows it up to the next
 * good frame; after a bad header, the next header signature, as in verify):
 *
 *   | good | good | good | torn.....|EOF     tail only: ftruncate to the end of
 *                        ^ cut                the last good frame, fsync
 *   | good | hole | good | torn.....|EOF     damage before a good frame: write the
 *            ^ cut         ^ cut              good runs to <segno>.recover.tmp, fsync,
 *                                             rename over the .seg.open, fsync dir
 *
 * The second case happens when a write kept failing (ENOSPC) while later writes
 * became durable, then the process died: those later frames may be below a
 * checkpoint, so nothing after a hole is thrown away. Every cut is logged
 * (file, offset, bytes, why). Then the segment is sealed: renamed to .seg and
 * the directory fsynced; one with no good frame (empty) is unlinked instead.
 * Sealed segments are never opened for writing. A crash during recovery leaves
 * a state recovery handles again (rename is atomic; a stale .recover.tmp is
 * removed first).
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
#include "io_file.h"
#include "log.h"
#include "spool.h"

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
            if (len < RECOV_SEG_DIGITS || !spool_parse_num(nm, RECOV_SEG_DIGITS, &num))
                continue;
            if (strcmp(nm + RECOV_SEG_DIGITS, ".seg") == 0)
                rank = 0;
            else if (strcmp(nm + RECOV_SEG_DIGITS, ".seg.open") == 0)
                rank = 1;
            else
                continue;
        } else if (!spool_parse_num(nm, len, &num)) {
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

/* What the NDJSON of one decoded frame looks like. */
struct line_scan {
    uint64_t lines;     /* lines, the last one counted even without its newline */
    uint64_t bad_line;  /* first line (1-based) that is not a JSON object; 0: none */
    bool unterminated;  /* the last line has no newline */
};

static void scan_lines(const char *p, size_t n, struct line_scan *ls)
{
    memset(ls, 0, sizeof(*ls));
    size_t i = 0;
    while (i < n) {
        const char *nl = memchr(p + i, '\n', n - i);
        if (!nl) {
            ls->unterminated = true;
            ls->lines++;
            break;
        }
        size_t len = (size_t)(nl - (p + i));
        ls->lines++;
        if (!ls->bad_line && (len < 2 || p[i] != '{' || p[i + len - 1] != '}'))
            ls->bad_line = ls->lines;
        i += len + 1;
    }
}

/* The content problems of a frame, in the order verify reports them: the k-th
 * one into why (k from 0). false when there is no k-th problem. */
static bool content_problem(const struct frame_view *v, const struct line_scan *ls, int k,
                            char *why, size_t wl)
{
    if (ls->unterminated && k-- == 0) {
        snprintf(why, wl, "last line is not newline-terminated");
        return true;
    }
    if (ls->bad_line && k-- == 0) {
        snprintf(why, wl, "line %" PRIu64 " is not a JSON object", ls->bad_line);
        return true;
    }
    if (ls->lines != v->meta.count && k-- == 0) {
        snprintf(why, wl, "header says %" PRIu32 " lines, frame has %" PRIu64, v->meta.count,
                 ls->lines);
        return true;
    }
    if (v->meta.first_seq > v->meta.last_seq && k-- == 0) {
        snprintf(why, wl, "first_seq %" PRId64 " > last_seq %" PRId64, v->meta.first_seq,
                 v->meta.last_seq);
        return true;
    }
    return false;
}

/* Check the decoded NDJSON of one frame; report each problem once. Returns lines seen. */
static uint64_t check_lines(struct recov_walk *w, const char *path, uint64_t off,
                            const struct frame_view *v, const char *p, size_t n)
{
    struct line_scan ls;
    scan_lines(p, n, &ls);
    char why[128];
    for (int k = 0; content_problem(v, &ls, k, why, sizeof(why)); k++)
        problem(w, path, off, "%s", why);
    return ls.lines;
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

/* ---- recovery: repair open segments before a run writes ---------------------------------- */

#define RECOV_LOG_CUTS 16 /* per file; the rest are summed up in one line */
#define RECOV_TMP_SUFFIX ".recover.tmp"

struct rec_run {
    size_t off, len;   /* good frames, back to back */
};

struct rec_cut {
    size_t off, len;   /* damaged bytes */
    char why[160];     /* what is wrong with the first frame of them */
};

/* What the scan of one open segment found. */
struct rec_scan {
    struct rec_run *runs;
    size_t nruns, cap_runs;
    struct rec_cut *cuts;
    size_t ncuts, cap_cuts;
    uint64_t frames;   /* good frames */
};

static int rec_grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *nv = realloc(*v, ncap * size);
    if (!nv)
        return -ENOMEM;
    *v = nv;
    *cap = ncap;
    return 0;
}

/* Check the frame at p[off..n) the way verify does (header, LZ4 CRC, decode,
 * lines, count, sequence range). true when good; else why, and *step = how far
 * to move on (to the next plausible frame, or to the end). */
static bool rec_frame_ok(struct frame_dec *dec, struct buf *raw, const uint8_t *p, size_t n,
                         size_t off, size_t *step, char *why, size_t wl)
{
    struct frame_view v;
    int rc = frame_parse(p + off, n - off, &v);
    if (rc == ERR_TRUNCATED) {
        snprintf(why, wl, "frame truncated: need %zu bytes, file has %zu", v.total_len, n - off);
        *step = n - off;
        return false;
    }
    if (rc) {
        snprintf(why, wl, "%s", parse_what(rc, &v));
        *step = v.hdr_ok ? v.total_len : resync(p, n, off + 1) - off;
        return false;
    }
    *step = v.total_len;
    buf_reset(raw);
    rc = frame_decode(dec, &v, raw);
    if (rc) {
        snprintf(why, wl, "LZ4 decode failed: %s (raw_len %" PRIu32 ")", err_str(rc), v.raw_len);
        return false;
    }
    struct line_scan ls;
    scan_lines(raw->p, raw->len, &ls);
    return !content_problem(&v, &ls, 0, why, wl);
}

/* Scan p[0..n) into good runs and damaged cuts. 0 or -ENOMEM. */
static int rec_scan(struct frame_dec *dec, struct buf *raw, const uint8_t *p, size_t n,
                    struct rec_scan *sc)
{
    size_t off = 0;
    bool in_cut = false;
    while (off < n) {
        size_t step = 0;
        char why[sizeof(sc->cuts[0].why)];
        bool ok = rec_frame_ok(dec, raw, p, n, off, &step, why, sizeof(why));
        if (ok) {
            in_cut = false;
            sc->frames++;
            struct rec_run *last = sc->nruns ? &sc->runs[sc->nruns - 1] : NULL;
            if (last && last->off + last->len == off) {
                last->len += step;
            } else {
                if (rec_grow((void **)&sc->runs, &sc->cap_runs, sc->nruns, sizeof(*sc->runs)))
                    return -ENOMEM;
                sc->runs[sc->nruns++] = (struct rec_run){.off = off, .len = step};
            }
        } else if (in_cut) {
            sc->cuts[sc->ncuts - 1].len += step;
        } else {
            if (rec_grow((void **)&sc->cuts, &sc->cap_cuts, sc->ncuts, sizeof(*sc->cuts)))
                return -ENOMEM;
            struct rec_cut *c = &sc->cuts[sc->ncuts++];
            c->off = off;
            c->len = step;
            snprintf(c->why, sizeof(c->why), "%s", why);
            in_cut = true;
        }
        if (step == 0 || step > n - off) /* cannot happen; never loop or run past the end */
            step = n - off;
        off += step;
    }
    return 0;
}

/* Replace dirfd/name by the good runs of p: write them to a temp file, fsync,
 * rename over name, fsync the directory. A crash leaves the old or the new file. */
static int rec_compact(int dirfd, const char *name, const uint8_t *p, const struct rec_scan *sc)
{
    char tmp[96];
    snprintf(tmp, sizeof(tmp), "%.*s%s", RECOV_SEG_DIGITS, name, RECOV_TMP_SUFFIX);
    int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    int rc = 0;
    for (size_t i = 0; i < sc->nruns && !rc; i++)
        rc = io_write_all(fd, p + sc->runs[i].off, sc->runs[i].len);
    if (!rc && fsync(fd) != 0)
        rc = -errno;
    if (close(fd) != 0 && !rc)
        rc = -errno;
    if (!rc && renameat(dirfd, tmp, dirfd, name) != 0)
        rc = -errno;
    if (rc) {
        (void)unlinkat(dirfd, tmp, 0);
        return rc;
    }
    return fsync(dirfd) == 0 ? 0 : -errno;
}

/* Repair and seal one open segment DIR/<shard>/<name>. 0 or -errno (logged). */
static int rec_file(struct frame_dec *dec, struct buf *raw, int dirfd, const char *spath,
                    const char *name, struct spool_recover_stats *st)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", spath, name);
    const char *step = "open";
    struct rec_scan sc;
    memset(&sc, 0, sizeof(sc));
    void *map = MAP_FAILED;
    size_t n = 0;
    int rc = 0;

    int fd = openat(dirfd, name, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        rc = -errno;
        goto fail;
    }
    struct stat sb;
    step = "fstat";
    if (fstat(fd, &sb) != 0) {
        rc = -errno;
        goto fail_fd;
    }
    n = (size_t)sb.st_size;
    if (n) {
        step = "mmap";
        map = mmap(NULL, n, PROT_READ, MAP_SHARED, fd, 0);
        if (map == MAP_FAILED) {
            rc = -errno;
            goto fail_fd;
        }
        step = "scan";
        rc = rec_scan(dec, raw, map, n, &sc);
        if (rc)
            goto fail_map;
    }

    /* Say what is cut, and why. */
    bool tail_only = sc.nruns == 0 || (sc.nruns == 1 && sc.runs[0].off == 0);
    uint64_t cut_bytes = 0;
    for (size_t i = 0; i < sc.ncuts; i++) {
        const struct rec_cut *c = &sc.cuts[i];
        cut_bytes += c->len;
        if (i < RECOV_LOG_CUTS)
            log_warn("recover: %s file=\"%s\" offset=%zu bytes_cut=%zu why=\"%s\"",
                     c->off + c->len == n && tail_only
                         ? "cutting a torn tail off an open segment (everything before it is "
                           "kept)"
                         : "cutting damaged bytes out of an open segment (good frames follow: "
                           "the segment is rewritten without them)",
                     path, c->off, c->len, c->why);
    }
    if (sc.ncuts > RECOV_LOG_CUTS)
        log_warn("recover: more damaged regions cut file=\"%s\" regions=%zu bytes_cut=%" PRIu64,
                 path, sc.ncuts - RECOV_LOG_CUTS, cut_bytes);
    st->cut_regions += sc.ncuts;
    st->bytes_cut += cut_bytes;
    st->frames += sc.frames;

    if (sc.nruns == 0) { /* empty, or nothing good in it: remove */
        if (map != MAP_FAILED)
            (void)munmap(map, n);
        map = MAP_FAILED;
        (void)close(fd);
        fd = -1;
        step = "unlink";
        if (unlinkat(dirfd, name, 0) != 0 || fsync(dirfd) != 0) {
            rc = -errno;
            goto fail;
        }
        st->removed++;
        log_info("recover: removed an open segment with no complete frame file=\"%s\" "
                 "bytes=%zu", path, n);
        goto done;
    }
    if (sc.ncuts && tail_only) {
        step = "ftruncate";
        size_t keep = sc.runs[0].len;
        (void)munmap(map, n);
        map = MAP_FAILED;
        if (ftruncate(fd, (off_t)keep) != 0 || fsync(fd) != 0) {
            rc = -errno;
            goto fail_fd;
        }
    } else if (sc.ncuts) {
        step = "rewrite";
        st->compacted++;
        rc = rec_compact(dirfd, name, map, &sc);
        if (rc)
            goto fail_map;
    }
    if (map != MAP_FAILED)
        (void)munmap(map, n);
    map = MAP_FAILED;
    (void)close(fd);
    fd = -1;

    /* Seal: rename .seg.open -> .seg, unless a sealed file of that number exists
     * (sealed segments are never overwritten). */
    char sealed[96];
    snprintf(sealed, sizeof(sealed), "%.*s.seg", RECOV_SEG_DIGITS, name);
    struct stat tb;
    if (fstatat(dirfd, sealed, &tb, AT_SYMLINK_NOFOLLOW) == 0) {
        st->kept_open++;
        log_err("recover: a sealed segment of the same number exists; leaving this one open "
                "(repaired) file=\"%s\" sealed=\"%s/%s\"", path, spath, sealed);
        goto done;
    }
    step = "rename";
    if (renameat(dirfd, name, dirfd, sealed) != 0 || fsync(dirfd) != 0) {
        rc = -errno;
        goto fail;
    }
    st->sealed++;
    log_info("recover: sealed an open segment file=\"%s/%s\" frames=%" PRIu64 " bytes=%" PRIu64
             " bytes_cut=%" PRIu64, spath, sealed, sc.frames, (uint64_t)n - cut_bytes,
             cut_bytes);
done:
    free(sc.runs);
    free(sc.cuts);
    return 0;

fail_map:
    if (map != MAP_FAILED)
        (void)munmap(map, n);
fail_fd:
    if (fd >= 0)
        (void)close(fd);
fail:
    log_err("recover: cannot repair an open segment: %s() failed: %s file=\"%s\"", step,
            err_str(rc), path);
    free(sc.runs);
    free(sc.cuts);
    return rc;
}

/* Remove temp files a crash during rec_compact left behind. */
static void rec_remove_temps(int dirfd, const char *spath)
{
    int fd = dup(dirfd);
    if (fd < 0)
        return;
    DIR *d = fdopendir(fd);
    if (!d) {
        (void)close(fd);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name), sl = strlen(RECOV_TMP_SUFFIX);
        if (len > sl && strcmp(de->d_name + len - sl, RECOV_TMP_SUFFIX) == 0 &&
            unlinkat(dirfd, de->d_name, 0) == 0)
            log_info("recover: removed a temp file of an interrupted repair file=\"%s/%s\"",
                     spath, de->d_name);
    }
    (void)closedir(d);
}

int spool_recover(const char *dir, struct spool_recover_stats *st)
{
    struct spool_recover_stats local;
    if (!st)
        st = &local;
    memset(st, 0, sizeof(*st));
    struct recov_ent *shards = NULL;
    size_t nshards = 0;
    int rc = list_dir(dir, false, &shards, &nshards);
    if (rc == -ENOENT)
        return 0; /* a new spool: nothing to recover */
    if (rc)
        return rc;
    struct frame_dec *dec = frame_dec_create();
    struct buf raw = {0};
    if (!dec) {
        rc = -ENOMEM;
        goto fail_dec;
    }
    char spath[PATH_MAX];
    for (size_t i = 0; i < nshards && !rc; i++) {
        if (snprintf(spath, sizeof(spath), "%s/%s", dir, shards[i].name) >= (int)sizeof(spath)) {
            rc = -ENAMETOOLONG;
            break;
        }
        st->shards++;
        struct recov_ent *segs = NULL;
        size_t nsegs = 0;
        rc = list_dir(spath, true, &segs, &nsegs);
        if (rc) {
            log_err("recover: cannot list a shard directory: %s dir=\"%s\"", err_str(rc), spath);
            break;
        }
        int dfd = open(spath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0) {
            rc = -errno;
            log_err("recover: cannot open a shard directory: %s dir=\"%s\"", err_str(rc), spath);
            ents_free(segs, nsegs);
            break;
        }
        rec_remove_temps(dfd, spath);
        for (size_t j = 0; j < nsegs && !rc; j++) {
            if (segs[j].rank != 1)
                continue; /* sealed: never touched */
            st->open_segments++;
            rc = rec_file(dec, &raw, dfd, spath, segs[j].name, st);
        }
        (void)close(dfd);
        ents_free(segs, nsegs);
    }
    if (!rc && st->open_segments)
        log_info("recover: done dir=\"%s\" shards=%" PRIu64 " open_segments=%" PRIu64
                 " sealed=%" PRIu64 " removed=%" PRIu64 " rewritten=%" PRIu64
                 " regions_cut=%" PRIu64 " bytes_cut=%" PRIu64,
                 dir, st->shards, st->open_segments, st->sealed, st->removed, st->compacted,
                 st->cut_regions, st->bytes_cut);
    buf_fini(&raw);
    frame_dec_destroy(dec);
fail_dec:
    ents_free(shards, nshards);
    return rc;
}
