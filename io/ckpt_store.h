/* ckpt_store.h - the local checkpoint store (DESIGN.md §6).
 *
 * One JSON file per event hub and consumer group in the spool directory:
 *   DIR/checkpoint-<eventhub>-<consumer group>.json   (unsafe characters -> '_')
 *   {"version":1,"namespace":"...","eventhub":"...","consumer_group":"$Default",
 *    "partitions":{"0":{"sequence_number":41,"offset":"8812",
 *                       "updated":"2026-11-29T23:59:00.000Z"},...}}
 * sequence_number is the last sequence number of the partition that is durable
 * in the spool; a restart resumes at sequence_number + 1. Partitions with
 * nothing durable yet are absent.
 * Writes are atomic: temp file in the same directory, write, fsync, rename over
 * the old file, fsync the directory. A reader sees the old or the new file,
 * never a mix. A file that fails to parse is an error naming the file; the
 * caller must not treat it as "no checkpoint".
 */
#ifndef SLUICE_CKPT_STORE_H
#define SLUICE_CKPT_STORE_H

#include <stdint.h>

#include "compiler.h"

#define CKPT_OFF_MAX  31u
#define CKPT_NAME_MAX 255u

struct ckpt_part {
    int64_t seq;                /* -1: no checkpoint for this partition */
    char off[CKPT_OFF_MAX + 1]; /* offset of seq */
    int64_t updated_ms;         /* when seq last moved (wall clock, ms) */
};

struct ckpt_file {
    char ns[CKPT_NAME_MAX + 1];
    char hub[CKPT_NAME_MAX + 1];
    char cg[CKPT_NAME_MAX + 1];
    uint32_t partitions;        /* entries in part[] */
    struct ckpt_part *part;
};

/* Path of the checkpoint file for (hub, cg) under dir, into out (PATH_MAX). */
void ckpt_path(const char *dir, const char *hub, const char *cg, char *out, size_t out_len);

/* Load a checkpoint file into f (part[] sized max(partitions, highest id + 1)),
 * every partition not in the file set to seq -1. Returns 0, -ENOENT when the
 * file does not exist (f is then all -1), ERR_FORMAT when it does not parse
 * (errbuf says where), or another -errno. @thread control @blocking */
int ckpt_load(const char *path, uint32_t partitions, struct ckpt_file *f, char *errbuf,
              size_t errlen) MUST_CHECK;

/* Atomically replace the file at path with f's contents. 0 or -errno.
 * @thread control @blocking */
int ckpt_save(const char *path, const struct ckpt_file *f) MUST_CHECK;

void ckpt_file_free(struct ckpt_file *f);

#endif
