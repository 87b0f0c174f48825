/* ckpt_store_file.c - local checkpoint files; see ckpt_store.h.
 *
 * DESIGN
 * Write path: format the whole file into memory, write it to
 * "<path>.tmp.<pid>" (O_CREAT|O_TRUNC, 0600), fsync, rename over <path>, fsync
 * the directory. A crash at any point leaves either the old or the new file
 * (plus maybe a stale temp file, ignored and overwritten next time).
 * Fail points (failpoint.h, tests only): ckpt.temp_partial fires after the
 * first half of the temp file is written (kill leaves a partial temp file; err
 * fails the save and removes it); ckpt.renamed fires after the rename, before
 * the directory fsync (err fails the save; the new file is already in place).
 * Read path: a small strict parser for the JSON this file writes (objects,
 * strings with escapes, integers); anything else is ERR_FORMAT with the byte
 * offset, so a damaged file is never mistaken for "no checkpoint".
 */
#include "ckpt_store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "err.h"
#include "failpoint.h"
#include "io_file.h"
#include "text.h"

static void sanitize(const char *in, char *out, size_t n)
{
    size_t o = 0;
    for (; *in && o + 1 < n; in++) {
        char c = *in;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '-' || c == '_' || c == '$';
        out[o++] = ok ? c : '_';
    }
    out[o] = '\0';
}

void ckpt_path(const char *dir, const char *hub, const char *cg, char *out, size_t out_len)
{
    char h[CKPT_NAME_MAX + 1], c[CKPT_NAME_MAX + 1];
    sanitize(hub && *hub ? hub : "capture", h, sizeof(h));
    sanitize(cg && *cg ? cg : "$Default", c, sizeof(c));
    snprintf(out, out_len, "%s/checkpoint-%s-%s.json", dir, h, c);
}

/* ---- writing ---- */

static int put_str(struct buf *b, const char *s)
{
    int rc = buf_append(b, "\"", 1);
    for (; !rc && *s; s++) {
        char esc[8];
        size_t k = json_esc((unsigned char)*s, esc);
        rc = k ? buf_append(b, esc, k) : buf_append(b, s, 1);
    }
    return rc ? rc : buf_append(b, "\"", 1);
}

static int put_fmt(struct buf *b, const char *fmt, long long v)
{
    char tmp[64];
    int n = snprintf(tmp, sizeof(tmp), fmt, v);
    return buf_append(b, tmp, (size_t)n);
}

static int fsync_dir_of(const char *path)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof(dir), ".");
    return io_fsync_dir(dir[0] ? dir : "/");
}

int ckpt_save(const char *path, const struct ckpt_file *f)
{
    struct buf b = {0};
    int rc = buf_append(&b, "{\"version\":1,\"namespace\":", 25);
    rc = rc ? rc : put_str(&b, f->ns);
    rc = rc ? rc : buf_append(&b, ",\"eventhub\":", 12);
    rc = rc ? rc : put_str(&b, f->hub);
    rc = rc ? rc : buf_append(&b, ",\"consumer_group\":", 18);
    rc = rc ? rc : put_str(&b, f->cg);
    rc = rc ? rc : buf_append(&b, ",\"partitions\":{", 15);
    int first = 1;
    for (uint32_t p = 0; !rc && p < f->partitions; p++) {
        const struct ckpt_part *cp = &f->part[p];
        if (cp->seq < 0)
            continue;
        char when[32];
        clock_fmt_iso_ms(cp->updated_ms, when);
        rc = buf_append(&b, first ? "\n\"" : ",\n\"", first ? 2 : 3);
        rc = rc ? rc : put_fmt(&b, "%lld", p);
        rc = rc ? rc : buf_append(&b, "\":{\"sequence_number\":", 21);
        rc = rc ? rc : put_fmt(&b, "%lld", cp->seq);
        rc = rc ? rc : buf_append(&b, ",\"offset\":", 10);
        rc = rc ? rc : put_str(&b, cp->off);
        rc = rc ? rc : buf_append(&b, ",\"updated\":", 11);
        rc = rc ? rc : put_str(&b, when);
        rc = rc ? rc : buf_append(&b, "}", 1);
        first = 0;
    }
    rc = rc ? rc : buf_append(&b, "}}\n", 3);
    if (rc)
        goto fail_buf;

    char tmp[PATH_MAX];
    snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = -errno;
        goto fail_buf;
    }
    /* Two halves, so that the ckpt.temp_partial fail point sits between them. */
    size_t done = 0, half = b.len / 2;
    while (done < b.len) {
        size_t upto = done < half ? half : b.len;
        ssize_t w = write(fd, b.p + done, upto - done);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            rc = -errno;
            goto fail_fd;
        }
        done += (size_t)w;
        if (done == half && (rc = FAILPOINT("ckpt.temp_partial")) != 0)
            goto fail_fd;
    }
    if (fsync(fd) != 0) {
        rc = -errno;
        goto fail_fd;
    }
    if (close(fd) != 0) {
        rc = -errno;
        goto fail_tmp;
    }
    if (rename(tmp, path) != 0) {
        rc = -errno;
        goto fail_tmp;
    }
    buf_fini(&b);
    rc = FAILPOINT("ckpt.renamed");
    return rc ? rc : fsync_dir_of(path);

fail_fd:
    close(fd);
fail_tmp:
    unlink(tmp);
fail_buf:
    buf_fini(&b);
    return rc;
}

/* ---- reading: a strict parser for what ckpt_save writes ---- */

struct rd {
    const char *s, *end, *start;
    char *err;
    size_t errlen;
};

static int fail(struct rd *r, const char *what)
{
    snprintf(r->err, r->errlen, "offset %ld: %s", (long)(r->s - r->start), what);
    return ERR_FORMAT;
}

static void ws(struct rd *r)
{
    while (r->s < r->end && (*r->s == ' ' || *r->s == '\n' || *r->s == '\r' || *r->s == '\t'))
        r->s++;
}

static int expect(struct rd *r, char c)
{
    ws(r);
    if (r->s >= r->end || *r->s != c) {
        char m[32];
        snprintf(m, sizeof(m), "expected '%c'", c);
        return fail(r, m);
    }
    r->s++;
    return 0;
}

static int peek(struct rd *r, char c)
{
    ws(r);
    return r->s < r->end && *r->s == c;
}

static int read_str(struct rd *r, char *out, size_t n)
{
    int rc = expect(r, '"');
    if (rc)
        return rc;
    size_t o = 0;
    while (r->s < r->end && *r->s != '"') {
        char c = *r->s++;
        if (c == '\\') {
            if (r->s >= r->end)
                return fail(r, "unterminated escape");
            char e = *r->s++;
            if (e == 'u') {
                if (r->end - r->s < 4)
                    return fail(r, "short \\u escape");
                int v = 0;
                for (int i = 0; i < 4; i++) {
                    int h = hex_digit(r->s[i]);
                    if (h < 0)
                        return fail(r, "bad \\u escape");
                    v = v * 16 + h;
                }
                r->s += 4;
                if (v >= 0x80)
                    return fail(r, "non-ASCII \\u escape");
                c = (char)v;
            } else if (e == '"' || e == '\\' || e == '/') {
                c = e;
            } else if (e == 'n') {
                c = '\n';
            } else if (e == 't') {
                c = '\t';
            } else {
                return fail(r, "bad escape");
            }
        }
        if (o + 1 >= n)
            return fail(r, "string too long");
        out[o++] = c;
    }
    if (r->s >= r->end)
        return fail(r, "unterminated string");
    r->s++;
    out[o] = '\0';
    return 0;
}

static int read_int(struct rd *r, int64_t *v)
{
    ws(r);
    const char *p = r->s;
    int neg = 0;
    if (p < r->end && *p == '-') {
        neg = 1;
        p++;
    }
    if (p >= r->end || *p < '0' || *p > '9')
        return fail(r, "expected an integer");
    int64_t x = 0;
    while (p < r->end && *p >= '0' && *p <= '9') {
        if (x > (INT64_MAX - 9) / 10)
            return fail(r, "integer out of range");
        x = x * 10 + (*p - '0');
        p++;
    }
    r->s = p;
    *v = neg ? -x : x;
    return 0;
}

/* Parse "YYYY-MM-DDThh:mm:ss.mmmZ" as written by clock_fmt_iso_ms. */
static int parse_iso_ms(const char *s, int64_t *ms)
{
    int Y, M, D, h, m, sec, frac;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &Y, &M, &D, &h, &m, &sec, &frac) != 7)
        return -1;
    /* days from civil (Howard Hinnant) */
    int y = Y - (M <= 2);
    int era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (unsigned)((153 * (M + (M > 2 ? -3 : 9)) + 2) / 5 + D - 1);
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = (int64_t)era * 146097 + (int64_t)doe - 719468;
    *ms = ((days * 86400) + h * 3600 + m * 60 + sec) * 1000 + frac;
    return 0;
}

static int grow_parts(struct ckpt_file *f, uint32_t need)
{
    if (need <= f->partitions)
        return 0;
    struct ckpt_part *np = realloc(f->part, (size_t)need * sizeof(*np));
    if (!np)
        return -ENOMEM;
    for (uint32_t i = f->partitions; i < need; i++) {
        np[i].seq = -1;
        np[i].off[0] = '\0';
        np[i].updated_ms = 0;
    }
    f->part = np;
    f->partitions = need;
    return 0;
}

static int parse_part(struct rd *r, struct ckpt_part *cp)
{
    int rc = expect(r, '{');
    int have_seq = 0;
    while (!rc && !peek(r, '}')) {
        char key[64];
        rc = read_str(r, key, sizeof(key));
        rc = rc ? rc : expect(r, ':');
        if (rc)
            break;
        if (strcmp(key, "sequence_number") == 0) {
            rc = read_int(r, &cp->seq);
            have_seq = 1;
        } else if (strcmp(key, "offset") == 0) {
            rc = read_str(r, cp->off, sizeof(cp->off));
        } else if (strcmp(key, "updated") == 0) {
            char when[64];
            rc = read_str(r, when, sizeof(when));
            if (!rc && parse_iso_ms(when, &cp->updated_ms) != 0)
                rc = fail(r, "bad updated time");
        } else {
            rc = fail(r, "unknown key in partition entry");
        }
        if (!rc && peek(r, ','))
            r->s++;
    }
    rc = rc ? rc : expect(r, '}');
    if (!rc && (!have_seq || cp->seq < 0))
        rc = fail(r, "partition entry without a valid sequence_number");
    return rc;
}

int ckpt_load(const char *path, uint32_t partitions, struct ckpt_file *f, char *errbuf,
              size_t errlen)
{
    memset(f, 0, sizeof(*f));
    snprintf(errbuf, errlen, "ok");
    int rc = grow_parts(f, partitions ? partitions : 1);
    if (rc)
        return rc;
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        rc = -errno;
        snprintf(errbuf, errlen, "%s", strerror(errno));
        return rc;
    }
    struct buf b = {0};
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
        rc = buf_append(&b, chunk, n);
        if (rc)
            break;
    }
    if (!rc && ferror(fp))
        rc = -EIO;
    fclose(fp);
    if (rc) {
        buf_fini(&b);
        return rc;
    }

    static const char empty[1] = "";
    const char *text = b.len ? b.p : empty; /* b.p is NULL for an empty file */
    struct rd r = {.s = text, .end = text + b.len, .start = text, .err = errbuf, .errlen = errlen};
    if (b.len == 0) {
        rc = fail(&r, "empty file");
        goto out;
    }
    rc = expect(&r, '{');
    int have_parts = 0;
    while (!rc && !peek(&r, '}')) {
        char key[64];
        rc = read_str(&r, key, sizeof(key));
        rc = rc ? rc : expect(&r, ':');
        if (rc)
            break;
        if (strcmp(key, "version") == 0) {
            int64_t v;
            rc = read_int(&r, &v);
            if (!rc && v != 1)
                rc = fail(&r, "unsupported version");
        } else if (strcmp(key, "namespace") == 0) {
            rc = read_str(&r, f->ns, sizeof(f->ns));
        } else if (strcmp(key, "eventhub") == 0) {
            rc = read_str(&r, f->hub, sizeof(f->hub));
        } else if (strcmp(key, "consumer_group") == 0) {
            rc = read_str(&r, f->cg, sizeof(f->cg));
        } else if (strcmp(key, "partitions") == 0) {
            have_parts = 1;
            rc = expect(&r, '{');
            while (!rc && !peek(&r, '}')) {
                char id[16];
                rc = read_str(&r, id, sizeof(id));
                if (rc)
                    break;
                char *e;
                unsigned long p = strtoul(id, &e, 10);
                if (!id[0] || *e || p >= 65536) {
                    rc = fail(&r, "bad partition id");
                    break;
                }
                rc = grow_parts(f, (uint32_t)p + 1);
                rc = rc ? rc : expect(&r, ':');
                rc = rc ? rc : parse_part(&r, &f->part[p]);
                if (!rc && peek(&r, ','))
                    r.s++;
            }
            rc = rc ? rc : expect(&r, '}');
        } else {
            rc = fail(&r, "unknown key");
        }
        if (!rc && peek(&r, ','))
            r.s++;
    }
    rc = rc ? rc : expect(&r, '}');
    ws(&r);
    if (!rc && r.s != r.end)
        rc = fail(&r, "trailing bytes");
    if (!rc && !have_parts)
        rc = fail(&r, "no \"partitions\" object");
out:
    buf_fini(&b);
    if (rc)
        ckpt_file_free(f);
    return rc;
}

void ckpt_file_free(struct ckpt_file *f)
{
    free(f->part);
    f->part = NULL;
    f->partitions = 0;
}
