/* log.h - logfmt logging to stderr (STYLE.md §5).
 *
 * Every line is one logfmt record:
 *   ts=2026-11-29T23:40:01.123Z level=error thr=shard/3
 *       msg="spool: write() failed: No space left on device" path=/spool/3/x.seg
 * (one line in the output; wrapped here)
 * The caller writes one printf format. Text up to the first word that looks like
 * `key=` becomes msg="..."; the rest is appended as written, so callers put k=v
 * pairs at the end and quote values that may hold spaces (use %s inside "").
 * Levels below the configured one cost one branch and no formatting.
 * Never log per message on rx or shard threads: count, and use LOG_RATELIMITED.
 */
#ifndef SLUICE_LOG_H
#define SLUICE_LOG_H

#include <stdint.h>

#include "compiler.h"

enum log_level { LOG_ERR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DBG = 3 };

extern int g_log_level; /* written by control before workers start */

/* Parse "error|warn|info|debug"; returns the level or -EINVAL. @thread control */
int log_level_parse(const char *s);

/* Name this thread in every line it logs ("ctl", "rx/17", "shard/3"), and in
 * the OS (pthread_setname_np) for top -H and perf. @thread owner */
void log_set_thread(const char *role, int idx);

/* Format and write one line (a single write(2), so lines never interleave).
 * @thread any @blocking */
void log_write(int level, const char *fmt, ...) PRINTF_LIKE(2, 3);

#define LOG_AT(level, ...)                                                              \
    do {                                                                                \
        if (g_log_level >= (level))                                                     \
            log_write((level), __VA_ARGS__);                                            \
    } while (0)
#define log_err(...)  LOG_AT(LOG_ERR, __VA_ARGS__)
#define log_warn(...) LOG_AT(LOG_WARN, __VA_ARGS__)
#define log_info(...) LOG_AT(LOG_INFO, __VA_ARGS__)
#ifdef NDEBUG
#define log_dbg(...) do { } while (0)
#else
#define log_dbg(...)  LOG_AT(LOG_DBG, __VA_ARGS__)
#endif

/* At most one line per interval_ms per call site and thread; the next line that
 * gets through says how many were suppressed (suppressed=N). */
struct log_rl { int64_t last_ms; uint64_t suppressed; };
int log_rl_allow(struct log_rl *rl, int64_t interval_ms, uint64_t *suppressed_out);
#define LOG_RATELIMITED(interval_ms, level, fmt, ...)                                   \
    do {                                                                                \
        static _Thread_local struct log_rl rl_;                                         \
        uint64_t sup_;                                                                  \
        if (g_log_level >= (level) && log_rl_allow(&rl_, (interval_ms), &sup_))         \
            log_write((level), fmt " suppressed=%llu", ##__VA_ARGS__,                   \
                      (unsigned long long)sup_);                                        \
    } while (0)

#endif
