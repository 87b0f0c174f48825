/* sink_int.h - private to io/sink*.c: the sink object and the per-kind entry
 * points (sink_file.c: stdout and dir; sink_http.c: http), plus small file
 * helpers shared by them. */
#ifndef SLUICE_SINK_INT_H
#define SLUICE_SINK_INT_H

#include <stddef.h>
#include <stdint.h>

#include "sink.h"

struct sink_http;

struct sink {
    struct sink_spec spec;
    struct sink_opts opts;
    struct sink_http *http; /* SINK_HTTP */
};

/* sink_http.c */
int sink_http_global_init(void) MUST_CHECK;
void sink_http_global_fini(void);
int sink_http_create(struct sink *s) MUST_CHECK;
void sink_http_destroy(struct sink *s);
int sink_http_send(struct sink *s, const struct sink_batch_info *bi, const char *p, size_t len,
                   char *why, size_t n) MUST_CHECK;

/* sink_file.c */
int sink_dir_create(struct sink *s) MUST_CHECK;
int sink_dir_send(struct sink *s, const char *path, uint32_t shard, uint64_t segno, uint64_t *bytes,
                  char *why, size_t n) MUST_CHECK;
int sink_stdout_send(struct sink *s, const char *p, size_t len, char *why, size_t n) MUST_CHECK;

/* mkdir 0700 (EEXIST is fine); a new directory's name is made durable by an
 * fsync of its parent. 0 or -errno. */
int sink_mkdir(const char *path) MUST_CHECK;

/* Write n bytes to dir/name through dir/.name.tmp (0600): write, fsync, rename,
 * directory fsync. The temp file is removed on failure. 0 or -errno. */
int sink_write_atomic(const char *dir, const char *name, const void *p, size_t n) MUST_CHECK;

#endif
