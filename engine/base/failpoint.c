/* failpoint.c - named fail points for tests; see failpoint.h.
 *
 * DESIGN
 * A fixed table of at most FP_MAX armed points, filled by failpoint_init()
 * before any thread starts and read-only afterwards, except for each point's
 * hit counter:
 *
 *   g_fp[i]: name | err (0: kill) | first (N) | count (M, 0: forever) | hits (atomic)
 *
 * Hit h (1-based, from one relaxed fetch_add, so concurrent hits get distinct
 * numbers) fires when first <= h and (count == 0 or h < first + count).
 * STYLE-EXCEPTION (STYLE.md §9, no shared atomic counters): this counter is
 * only touched when SLUICE_FAILPOINTS is set, i.e. in tests.
 * Names are checked against the list of points that exist, so a misspelt name
 * is an error instead of a test that never fires.
 */
#include "failpoint.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define FP_MAX 16
#define FP_NAME_MAX 32
#define FP_SPEC_MAX 1024
#define FP_SYNTAX "name=kill|err:ENOSPC|err:EIO[@N][*M],..."

/* Every fail point placed in the code; keep in sync with failpoint.h. */
static const char *const fp_known[] = {
    "spool.write",       "spool.submitted", "spool.written",  "spool.synced",
    "ckpt.temp_partial", "ckpt.renamed",    "sink.delivered",
};

struct fp {
    char name[FP_NAME_MAX];
    int err;               /* positive errno to return; 0: kill */
    uint64_t first;        /* N: first hit that fires (1-based) */
    uint64_t count;        /* M: consecutive hits that fire; 0: forever */
    _Atomic uint64_t hits; /* hits so far, any thread */
};

bool failpoint_armed;
static struct fp g_fp[FP_MAX];
static int g_nfp;

static bool known_name(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(fp_known); i++)
        if (strcmp(fp_known[i], name) == 0)
            return true;
    return false;
}

/* Decimal digits at *p (at least one) into *out; advances *p. false on none or overflow. */
static bool parse_u64(const char **p, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    if (*s < '0' || *s > '9')
        return false;
    for (; *s >= '0' && *s <= '9'; s++)
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, *s - '0', &v))
            return false;
    *p = s;
    *out = v;
    return true;
}

/* Parse one "name=action[@N][*M]" into f; NULL or why it is bad. */
static const char *parse_item(const char *item, struct fp *f)
{
    const char *eq = strchr(item, '=');
    if (!eq)
        return "missing '=' (expected name=action)";
    size_t nlen = (size_t)(eq - item);
    if (nlen == 0)
        return "empty fail point name";
    if (nlen >= sizeof(f->name))
        return "fail point name too long";
    memcpy(f->name, item, nlen);
    f->name[nlen] = '\0';
    if (!known_name(f->name))
        return "unknown fail point name (known: spool.write, spool.submitted, spool.written, "
               "spool.synced, ckpt.temp_partial, ckpt.renamed, sink.delivered)";
    const char *a = eq + 1;
    if (strncmp(a, "kill", 4) == 0) {
        f->err = 0;
        a += 4;
    } else if (strncmp(a, "err:ENOSPC", 10) == 0) {
        f->err = ENOSPC;
        a += 10;
    } else if (strncmp(a, "err:EIO", 7) == 0) {
        f->err = EIO;
        a += 7;
    } else {
        return "unknown action (expected kill, err:ENOSPC or err:EIO)";
    }
    f->first = 1;
    f->count = 1;
    if (*a == '@') {
        a++;
        if (!parse_u64(&a, &f->first) || f->first == 0)
            return "@N needs a number >= 1";
    }
    if (*a == '*') {
        a++;
        if (!parse_u64(&a, &f->count))
            return "*M needs a number >= 0";
    }
    if (*a)
        return "unexpected text after the action (expected [@N][*M])";
    return NULL;
}

int failpoint_init(void)
{
    failpoint_armed = false;
    g_nfp = 0;
    const char *spec = getenv("SLUICE_FAILPOINTS");
    if (!spec || !*spec)
        return 0;
    char buf[FP_SPEC_MAX];
    if (strlen(spec) >= sizeof(buf)) {
        log_err("failpoint: bad SLUICE_FAILPOINTS: longer than %d bytes syntax=\"%s\"",
                FP_SPEC_MAX - 1, FP_SYNTAX);
        return -EINVAL;
    }
    snprintf(buf, sizeof(buf), "%s", spec);

    int n = 0;
    char *save = NULL;
    const char *why = NULL;
    const char *item = "";
    /* strtok_r skips empty items; an empty one is an error, so check separators first. */
    size_t len = strlen(buf);
    if (buf[0] == ',' || buf[len - 1] == ',' || strstr(buf, ",,"))
        why = "empty item (stray ',')";
    for (char *it = why ? NULL : strtok_r(buf, ",", &save); it && !why;
         it = strtok_r(NULL, ",", &save)) {
        item = it;
        if (n == FP_MAX) {
            why = "too many fail points";
            break;
        }
        struct fp *f = &g_fp[n];
        why = parse_item(it, f);
        for (int k = 0; !why && k < n; k++)
            if (strcmp(g_fp[k].name, f->name) == 0)
                why = "fail point named twice";
        if (!why) {
            atomic_init(&f->hits, 0);
            n++;
        }
    }
    if (why) {
        log_err("failpoint: bad SLUICE_FAILPOINTS: %s item=\"%s\" spec=\"%s\" syntax=\"%s\"", why,
                item, spec, FP_SYNTAX);
        return -EINVAL;
    }
    g_nfp = n;
    failpoint_armed = n > 0;
    if (failpoint_armed)
        log_warn("failpoint: armed; for tests only, never in production spec=\"%s\"", spec);
    return 0;
}

int failpoint_hit(const char *name)
{
    for (int i = 0; i < g_nfp; i++) {
        struct fp *f = &g_fp[i];
        if (strcmp(f->name, name) != 0)
            continue;
        /* relaxed: only the count matters; nothing else is published through it */
        uint64_t h = atomic_fetch_add_explicit(&f->hits, 1, memory_order_relaxed) + 1;
        if (h < f->first || (f->count && h - f->first >= f->count))
            return 0;
        if (h == f->first)
            log_warn("failpoint: firing name=%s action=%s%s hit=%" PRIu64 " times=%" PRIu64, name,
                     f->err ? "err:" : "kill",
                     f->err == ENOSPC ? "ENOSPC"
                     : f->err == EIO  ? "EIO"
                                      : "",
                     h, f->count);
        if (!f->err) {
            (void)raise(SIGKILL);
            abort(); /* not reached */
        }
        return -f->err;
    }
    return 0;
}
