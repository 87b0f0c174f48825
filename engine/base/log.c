/* log.c - logfmt lines on stderr.
 *
 * DESIGN: one line is formatted into a stack buffer and written with a single
 * write(2) so that lines from different threads never interleave (POSIX makes
 * writes to one fd atomic with respect to each other up to PIPE_BUF for pipes;
 * for regular files and terminals glibc's single write is what we can do).
 * The thread name is thread-local; the level is a global set once at start.
 */
#include "log.h"

#include <ctype.h>
#include <pthread.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

int g_log_level = LOG_INFO;
static _Thread_local char tl_thread[24] = "ctl";

static const char *const level_names[] = {"error", "warn", "info", "debug"};

int log_level_parse(const char *s)
{
    for (int i = 0; i < (int)ARRAY_SIZE(level_names); i++)
        if (strcmp(s, level_names[i]) == 0)
            return i;
    return -EINVAL;
}

void log_set_thread(const char *role, int idx)
{
    if (idx >= 0)
        snprintf(tl_thread, sizeof(tl_thread), "%s/%d", role, idx);
    else
        snprintf(tl_thread, sizeof(tl_thread), "%s", role);
    /* The same name in top -H, perf and gdb (15 characters at most). */
    char comm[16];
    snprintf(comm, sizeof(comm), "%s", tl_thread);
    (void)pthread_setname_np(pthread_self(), comm);
}

/* Length of the msg part: up to the first space-separated word of form key=. */
static size_t msg_len(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t w = i;
        while (w < n && (isalnum((unsigned char)s[w]) || s[w] == '_' || s[w] == '.'))
            w++;
        if (w > i && w < n && s[w] == '=' && !isdigit((unsigned char)s[i]))
            return i == 0 ? 0 : i - 1; /* drop the separating space */
        while (i < n && s[i] != ' ')
            i++;
        i++;
    }
    return n;
}

void log_write(int level, const char *fmt, ...)
{
    char text[1536], line[2048];
    va_list ap;
    va_start(ap, fmt);
    int tn = vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (tn < 0)
        return;
    size_t n = (size_t)tn < sizeof(text) ? (size_t)tn : sizeof(text) - 1;
    size_t m = msg_len(text, n);

    int64_t now = clock_real_ms();
    time_t secs = (time_t)(now / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    int off = snprintf(line, sizeof(line),
                       "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03dZ level=%s thr=%s msg=\"",
                       tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                       tm.tm_sec, (int)(now % 1000), level_names[level & 3], tl_thread);
    size_t o = (size_t)off;
    for (size_t i = 0; i < m && o + 4 < sizeof(line); i++) {
        char c = text[i];
        if (c == '"' || c == '\\')
            line[o++] = '\\';
        line[o++] = (c == '\n') ? ' ' : c;
    }
    line[o++] = '"';
    if (m < n) {
        size_t rest = n - m;
        if (rest > sizeof(line) - o - 2)
            rest = sizeof(line) - o - 2;
        memcpy(line + o, text + m, rest);
        o += rest;
    }
    line[o++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, o);
    (void)w;
}

int log_rl_allow(struct log_rl *rl, int64_t interval_ms, uint64_t *suppressed_out)
{
    int64_t now = clock_mono_ms();
    if (rl->last_ms != 0 && now - rl->last_ms < interval_ms) {
        rl->suppressed++;
        return 0;
    }
    rl->last_ms = now;
    *suppressed_out = rl->suppressed;
    rl->suppressed = 0;
    return 1;
}
