/* sink_file.c - the stdout and dir: sinks.
 *
 * DESIGN
 * stdout: each batch is written to the process's stdout and flushed; it counts
 * as delivered once fwrite and fflush both succeeded (for a pipe: the reader
 * has it in the pipe buffer). Only the stdout forwarder thread writes to stdout
 * while a run is going (run.c prints its summary on stderr then).
 *
 * dir:PATH: each sealed segment is copied, byte for byte, so the copy keeps the
 * spool format (lz4cat prints its NDJSON; sluice spool cat/verify read PATH):
 *
 *   PATH/<shard>/.<segno>.seg.tmp   written, fsynced
 *            |  rename
 *            v
 *   PATH/<shard>/<segno>.seg        then PATH/<shard>/ is fsynced
 *
 * So an agent watching PATH only ever sees complete segments under their final
 * name, and a crash leaves at most a hidden temp file, rewritten next time.
 */
#include "sink.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "io_file.h"
#include "sink_int.h"

#define SINK_COPY_CHUNK (1u << 20)

int sink_stdout_send(struct sink *s, const char *p, size_t len, char *why, size_t n)
{
    (void)s;
    clearerr(stdout);
    errno = 0;
    if (len && fwrite(p, 1, len, stdout) != len) {
        int e = errno ? errno : EIO;
        snprintf(why, n, "stdout: fwrite() failed: %s", strerror(e));
        return -e;
    }
    if (fflush(stdout) != 0) {
        int e = errno ? errno : EIO;
        snprintf(why, n, "stdout: fflush() failed: %s", strerror(e));
        return -e;
    }
    return 0;
}

int sink_dir_create(struct sink *s)
{
    const char *path = s->spec.arg;
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return -errno;
    struct stat st;
    if (stat(path, &st) != 0)
        return -errno;
    if (!S_ISDIR(st.st_mode))
        return -ENOTDIR;
    if (access(path, W_OK | X_OK) != 0)
        return -errno;
    return 0;
}

int sink_dir_send(struct sink *s, const char *path, uint32_t shard, uint64_t segno, uint64_t *bytes,
                  char *why, size_t n)
{
    char dir[PATH_MAX], tmp[PATH_MAX + 64], dst[PATH_MAX + 64];
    *bytes = 0;
    if (snprintf(dir, sizeof(dir), "%s/%" PRIu32, s->spec.arg, shard) >= (int)sizeof(dir)) {
        snprintf(why, n, "dir: path too long");
        return -ENAMETOOLONG;
    }
    int rc = sink_mkdir(dir);
    if (rc) {
        snprintf(why, n, "dir: mkdir(\"%s\") failed: %s", dir, err_str(rc));
        return rc;
    }
    snprintf(tmp, sizeof(tmp), "%s/.%020" PRIu64 ".seg.tmp", dir, segno);
    snprintf(dst, sizeof(dst), "%s/%020" PRIu64 ".seg", dir, segno);

    int in = open(path, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        rc = -errno;
        snprintf(why, n, "dir: open(\"%s\") failed: %s", path, err_str(rc));
        return rc;
    }
    int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0) {
        rc = -errno;
        snprintf(why, n, "dir: open(\"%s\") failed: %s", tmp, err_str(rc));
        (void)close(in);
        return rc;
    }
    char *b = malloc(SINK_COPY_CHUNK);
    const char *what = "malloc";
    rc = b ? 0 : -ENOMEM;
    uint64_t total = 0;
    while (rc == 0) {
        ssize_t r = read(in, b, SINK_COPY_CHUNK);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = -errno;
            what = "read";
            break;
        }
        if (r == 0)
            break;
        rc = io_write_all(out, b, (size_t)r);
        what = "write";
        total += (uint64_t)r;
    }
    free(b);
    if (rc == 0 && fsync(out) != 0) {
        rc = -errno;
        what = "fsync";
    }
    if (close(out) != 0 && rc == 0) {
        rc = -errno;
        what = "close";
    }
    (void)close(in);
    if (rc == 0 && rename(tmp, dst) != 0) {
        rc = -errno;
        what = "rename";
    }
    if (rc == 0) {
        rc = io_fsync_dir(dir);
        what = "fsync of the directory";
    }
    if (rc) {
        (void)unlink(tmp);
        snprintf(why, n, "dir: %s() failed: %s (segment %" PRIu32 "/%020" PRIu64 ")", what,
                 err_str(rc), shard, segno);
        return rc;
    }
    *bytes = total;
    return 0;
}
