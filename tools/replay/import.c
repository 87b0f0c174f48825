/* import.c - JSON-lines files grouped into Event Hub messages in a capture.
 *
 * DESIGN
 * One pass, one line at a time (getline into one reused buffer), one message
 * body under construction:
 *
 *   file lines:   1 {..}   2 {..}   3 (blank)   4 {..}   5 oops   6 {..}  EOF
 *   messages:     [1,2] (blank ends it)   [4] (non-object ends it)  [5] alone  [6]
 *   body:         {"records":[<line 1>,<line 2>]}
 *
 * A pending message is emitted when it holds K records, at a blank line, before
 * and after a line that does not look like an object, and at the end of each
 * file. Emitting assigns the partition round-robin over all messages of the run
 * and the per-partition sequence number and byte offset (see import.h), so the
 * result depends only on the inputs, K, the partition count and start_ms.
 * Nothing is held across files except those per-partition counters.
 */
#include "import.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"

#define IMPORT_PREFIX     "{\"records\":["
#define IMPORT_PREFIX_LEN (sizeof(IMPORT_PREFIX) - 1)

struct imp {
    struct capture_writer *w;
    const struct import_opts *o;
    struct import_stats *st;
    struct buf body;        /* IMPORT_PREFIX + records joined by ',' */
    uint32_t nrec;          /* records in body */
    uint64_t first_line;    /* line of the body's first record */
    const char *origin;     /* base name of the current file */
    size_t origin_len;
    uint64_t msg;           /* messages emitted so far (all files) */
    int64_t *seq;           /* [partitions] next sequence number */
    uint64_t *off;          /* [partitions] body bytes written so far */
};

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Write the pending message, if any. */
static int emit(struct imp *s)
{
    if (s->nrec == 0)
        return 0;
    int rc = buf_append(&s->body, "]}", 2);
    if (rc)
        return rc;
    uint32_t p = (uint32_t)(s->msg % s->o->partitions);
    char off[24];
    int off_len = snprintf(off, sizeof(off), "%" PRIu64, s->off[p]);
    struct capture_event ev = {
        .seq = s->seq[p],
        .enq_ms = s->o->start_ms + (int64_t)s->msg,
        .off = off,
        .off_len = (size_t)off_len,
        .origin = s->o->with_origin ? s->origin : NULL,
        .origin_len = s->o->with_origin ? s->origin_len : 0,
        .origin_line = s->o->with_origin ? (uint32_t)MIN(s->first_line, UINT32_MAX) : 0,
        .records = s->nrec,
        .body = s->body.p,
        .body_len = s->body.len,
    };
    rc = capture_write(s->w, p, &ev);
    if (rc)
        return rc;
    s->seq[p]++;
    s->off[p] += s->body.len;
    s->msg++;
    s->st->messages++;
    s->st->records += s->nrec;
    s->st->bytes += s->body.len;
    s->body.len = IMPORT_PREFIX_LEN;
    s->nrec = 0;
    return 0;
}

/* Add one non-blank record line to the pending message. */
static int add_line(struct imp *s, const char *line, size_t len, uint64_t lineno)
{
    int rc;
    size_t a = 0, b = len;
    while (a < b && is_space(line[a]))
        a++;
    while (b > a && is_space(line[b - 1]))
        b--;
    bool object = b - a >= 2 && line[a] == '{' && line[b - 1] == '}';
    if (!object || s->nrec == s->o->records_per_message) {
        rc = emit(s);
        if (rc)
            return rc;
    }
    if (s->nrec) {
        rc = buf_append(&s->body, ",", 1);
        if (rc)
            return rc;
    } else {
        s->first_line = lineno;
    }
    rc = buf_append(&s->body, line, len);
    if (rc)
        return rc;
    s->nrec++;
    if (!object) {
        s->st->not_json++;
        return emit(s);
    }
    return 0;
}

static int import_one(struct imp *s, const char *path, char **line, size_t *cap, bool *io_err)
{
    *io_err = true;
    FILE *f = fopen(path, "rb");
    if (!f)
        return -errno;
    const char *slash = strrchr(path, '/');
    s->origin = slash ? slash + 1 : path;
    s->origin_len = strlen(s->origin);
    *io_err = false;

    int rc = 0;
    uint64_t lineno = 0;
    ssize_t n;
    errno = 0;
    while ((n = getline(line, cap, f)) >= 0) {
        char *l = *line;
        size_t len = (size_t)n;
        s->st->in_bytes += len;
        lineno++;
        s->st->lines++;
        if (len && l[len - 1] == '\n') {
            len--;
            if (len && l[len - 1] == '\r')
                len--;
        }
        if (lineno == 1 && len >= 3 && memcmp(l, "\xEF\xBB\xBF", 3) == 0) {
            l += 3;
            len -= 3;
        }
        size_t i = 0;
        while (i < len && is_space(l[i]))
            i++;
        if (i == len) {
            s->st->blank++;
            rc = emit(s);
        } else {
            rc = add_line(s, l, len, lineno);
        }
        if (rc)
            goto out;
        errno = 0;
    }
    if (ferror(f)) {
        rc = errno ? -errno : -EIO;
        *io_err = true;
        goto out;
    }
    rc = emit(s);
    if (!rc)
        s->st->files++;
out:
    (void)fclose(f);
    return rc;
}

int import_files(struct capture_writer *w, const struct import_opts *o, const char *const *paths,
                 size_t n, struct import_stats *st, size_t *failed)
{
    int rc;
    memset(st, 0, sizeof(*st));
    *failed = SIZE_MAX;
    if (o->partitions == 0 || o->partitions > CAPTURE_MAX_PARTITIONS ||
        o->records_per_message == 0 || o->records_per_message > UINT16_MAX)
        return -EINVAL;
    struct imp s = {.w = w, .o = o, .st = st};
    s.seq = calloc(o->partitions, sizeof(*s.seq));
    if (!s.seq) {
        rc = -ENOMEM;
        goto fail;
    }
    s.off = calloc(o->partitions, sizeof(*s.off));
    if (!s.off) {
        rc = -ENOMEM;
        goto fail_seq;
    }
    rc = buf_append(&s.body, IMPORT_PREFIX, IMPORT_PREFIX_LEN);
    if (rc)
        goto fail_off;

    char *line = NULL;
    size_t cap = 0;
    for (size_t i = 0; i < n; i++) {
        bool io_err;
        rc = import_one(&s, paths[i], &line, &cap, &io_err);
        if (rc) {
            if (io_err)
                *failed = i;
            break;
        }
    }
    free(line);
    buf_fini(&s.body);
fail_off:
    free(s.off);
fail_seq:
    free(s.seq);
fail:
    return rc;
}
